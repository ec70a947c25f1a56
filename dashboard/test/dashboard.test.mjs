// The dashboard in Debian's headless Chromium, driven by playwright-core, against a localnet
// started here (`computestream localnet --port 0`): a provider registers from one browser
// profile, a buyer rents from another, the provider starts the job from its page, the buyer's
// accrued figure rises for three seconds while the page makes no request to the node, the
// buyer closes and sees the refund, which the chain confirms. Then an abort, a node that goes
// down, and a localnet whose wasm package is not built. Run by scripts/test-web.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = process.env.COMPUTESTREAM_BIN ?? join(root, 'target/debug/computestream');
const shots = join(root, 'target/dashboard');
const UNITS_PER_SECOND = 200_000n; // 7.2 coins per hour, 8 decimals

/** `computestream localnet --port 0 ARGS`, resolved with its process and URL. */
function localnet(args = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, ['localnet', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    proc.on('error', reject);
    proc.stdout.once('data', (d) => resolve({ proc, url: d.toString().trim().split('\n')[0] }));
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', resolve);
    proc.kill('SIGINT');
  });
}

/** "0.018 MOVE" → base units of an 8-decimal coin. */
function toUnits(text) {
  const [whole, frac = ''] = text.trim().split(' ')[0].split('.');
  return BigInt(whole) * 100_000_000n + BigInt((frac + '00000000').slice(0, 8));
}

let browser, net;

before(async () => {
  mkdirSync(shots, { recursive: true });
  net = await localnet();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  if (net) await stop(net.proc);
});

/** A page in its own browser profile (so its own development key), with its node requests counted. */
async function openPage(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const node = { count: 0, urls: [] };
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/v1') || new URL(r.url()).pathname === '/mint') {
      node.count++;
      node.urls.push(`${r.method()} ${r.url()}`);
    }
  });
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(url);
  await page.locator('#signer-balance').filter({ hasText: /^[0-9]/ }).waitFor();
  return { page, node };
}

async function messageAfter(page, click, pattern) {
  await click();
  await page.locator('#message').filter({ hasText: pattern }).waitFor({ timeout: 20_000 });
  return page.locator('#message').textContent();
}

test('rent from the page, watch the stream accrue without node reads, close and see the refund', async () => {
  const provider = await openPage(`${net.url}/`);
  const buyer = await openPage(`${net.url}/`);
  const buyerAddress = await buyer.page.locator('#signer-address').textContent();
  const startBalance = toUnits(await buyer.page.locator('#signer-balance').textContent());

  // The provider registers from its page.
  await provider.page.locator('summary').click();
  await messageAfter(provider.page, () => provider.page.locator('#register').click(), /Registered/);

  // The buyer sees it (after its next check for new transactions) and rents.
  const rent = buyer.page.locator('button[data-action="rent"]');
  await rent.waitFor({ timeout: 20_000 });
  await buyer.page.locator('#rent-deposit').fill('0.5');
  await messageAfter(buyer.page, () => rent.click(), /Rented H100/);
  const row = buyer.page.locator('tr[data-job="1"]');
  assert.match(await row.locator('[data-field="status"]').textContent(), /pending/);

  // The provider starts the job from its page, watching the buyer's address.
  await provider.page.locator('#watch').fill(buyerAddress);
  await provider.page.locator('#watch-form button').click();
  const start = provider.page.locator('tr[data-job="1"] button[data-action="start"]');
  await start.waitFor({ timeout: 20_000 });
  await messageAfter(provider.page, () => start.click(), /started/);

  // The buyer's page notices the new transaction and streams.
  await row.locator('[data-field="status"]').filter({ hasText: 'streaming' }).waitFor({ timeout: 20_000 });
  const owed = async () => toUnits(await row.locator('[data-field="owed"]').textContent());
  const readsBefore = buyer.node.count;
  const first = await owed();
  await buyer.page.waitForTimeout(3200);
  const second = await owed();
  assert.equal(buyer.node.count, readsBefore,
    `the page read the node while ticking: ${buyer.node.urls.slice(readsBefore).join(', ')}`);
  assert.ok(second > first, `accrued ${first} then ${second}`);
  assert.equal((second - first) % UNITS_PER_SECOND, 0n, 'accrues whole seconds at the rate');
  await buyer.page.screenshot({ path: join(shots, 'streaming.png'), fullPage: true });

  // Close: the page reports the refund, and the chain agrees.
  const text = await messageAfter(buyer.page, () => row.locator('button[data-action="close"]').click(), /refunded/);
  const [, paid, refund] = /paid ([0-9.]+) MOVE to the provider, refunded ([0-9.]+) MOVE/.exec(text);
  assert.ok(toUnits(refund) > 0n);
  assert.equal(toUnits(paid) + toUnits(refund), toUnits('0.5'));
  assert.ok(toUnits(paid) >= second, 'paid at least what the page showed accrued');
  const balance = toUnits(await buyer.page.locator('#signer-balance').textContent());
  assert.equal(balance, startBalance - toUnits(paid), 'the buyer lost exactly what was paid');
  assert.match(await row.locator('[data-field="status"]').textContent(), /closed/);
  await buyer.page.screenshot({ path: join(shots, 'closed.png'), fullPage: true });

  // An abort is named and explained: a provider cannot register twice.
  await provider.page.locator('#watch').fill('');
  const abort = await messageAfter(provider.page, () => provider.page.locator('#register').click(), /aborted/);
  assert.match(abort, /E_PROVIDER_ALREADY_REGISTERED \(The signer already has a provider record\.\)/);

  // A node that goes down is reported as such.
  await stop(net.proc);
  await buyer.page.locator('#banner').filter({ hasText: 'does not answer' }).waitFor({ timeout: 20_000 });
  await buyer.page.screenshot({ path: join(shots, 'node-down.png'), fullPage: true });
  net = null;
});

test('a localnet whose wasm package is not built says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'no-wasm-'));
  const bare = await localnet(['--wasm-pkg', empty]);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${bare.url}/`);
    await page.locator('#banner').filter({ hasText: 'scripts/build-bindings wasm' }).waitFor();
  } finally {
    await stop(bare.proc);
  }
});
