// The dashboard in Debian's headless Chromium, driven by playwright-core, against a localnet
// started here (`computestream localnet --port 0`): a provider registers from one browser
// profile, a buyer rents from another, the provider starts the job from its page, the buyer's
// accrued figure rises for three seconds while the page makes no request to the node, the
// buyer closes and sees the refund, which the chain confirms. Then an abort, a node that goes
// down, a localnet whose wasm package is not built, and a rental signed through an AIP-62
// wallet announced by the wallet standard. Run by scripts/test-web.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
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

test('with an AIP-62 wallet present, the page signs through it with the wallet payload', async () => {
  const cs = await import('../../bindings-wasm/pkg/computestream_wasm.js');
  cs.initSync({ module: readFileSync(join(root, 'bindings-wasm/pkg/computestream_wasm_bg.wasm')) });
  const chainNet = await localnet();
  const node = `${chainNet.url}/v1`;
  const post = (path, body, type) => fetch(`${chainNet.url}${path}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
  async function submit(key, call) {
    const account = await (await fetch(`${node}/accounts/${cs.addressOf(key)}`)).json();
    const info = await (await fetch(node)).json();
    const signed = cs.signCall(key, JSON.stringify(call), BigInt(account.sequence_number ?? 0),
      info.chain_id, BigInt(info.ledger_timestamp) / 1_000_000n + 60n);
    const pending = await (await post('/v1/transactions', signed, 'application/x.aptos.signed_transaction+bcs')).json();
    return pending.hash;
  }
  const providerKey = `0x${'31'.repeat(32)}`;
  const walletKey = `0x${'32'.repeat(32)}`;
  const walletAddress = cs.addressOf(walletKey);
  try {
    for (const key of [providerKey, walletKey]) await post(`/mint?address=${cs.addressOf(key)}&amount=100000000000`);
    await submit(providerKey, { function: 'register_provider', gpu_type: 'A100', vram_gb: '40', price_per_second: '200000000000000', stake_amount: '1000' });

    // The wallet: announced through the wallet standard in the page; it signs in this process
    // (the test's key) what the page hands it, after turning the wallet payload back into a call.
    const seen = [];
    const context = await browser.newContext();
    await context.exposeFunction('mockWalletSubmit', async (payload) => {
      seen.push(payload);
      const name = payload.function.split('::')[2];
      assert.equal(name, 'rent');
      const fields = ['provider', 'docker_image', 'asset', 'deposit', 'max_duration', 'max_rate_per_second'];
      const call = { function: name, ...Object.fromEntries(fields.map((f, i) => [f, payload.functionArguments[i]])) };
      assert.deepEqual(cs.entryFunctionPayload(JSON.stringify(call)), payload, 'the payload is the call');
      return submit(walletKey, call);
    });
    await context.addInitScript((address) => {
      const wallet = {
        name: 'Test Wallet', version: '1.0.0', icon: 'data:image/svg+xml;base64,', chains: ['aptos:localnet'], accounts: [],
        features: {
          'aptos:connect': { version: '1.0.0', connect: async () => ({ status: 'Approved', args: { address, publicKey: null } }) },
          'aptos:signAndSubmitTransaction': {
            version: '1.1.0',
            signAndSubmitTransaction: async ({ payload }) => ({ status: 'Approved', args: { hash: await window.mockWalletSubmit(payload) } }),
          },
        },
      };
      const register = (api) => api.register(wallet);
      window.addEventListener('wallet-standard:app-ready', (e) => register(e.detail));
      window.dispatchEvent(new CustomEvent('wallet-standard:register-wallet', { detail: register }));
    }, walletAddress);
    const page = await context.newPage();
    await page.goto(`${chainNet.url}/`);
    await page.locator('button', { hasText: 'Use wallet Test Wallet' }).click();
    await page.locator('#signer-kind').filter({ hasText: 'wallet Test Wallet' }).waitFor();
    assert.equal(await page.locator('#signer-address').textContent(), walletAddress);
    await page.locator('#rent-deposit').fill('0.25');
    await messageAfter(page, () => page.locator('button[data-action="rent"]').click(), /Rented A100/);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].typeArguments, []);
    assert.equal(seen[0].functionArguments[3], '25000000');
    // The rental is the wallet account's, on chain.
    await page.locator('tr[data-job="1"]').waitFor();
    const [job] = await (await post('/v1/view', JSON.stringify({
      function: `${seen[0].function.split('::')[0]}::job_registry::get_job`, type_arguments: [], arguments: [walletAddress, '1'],
    }), 'application/json')).json();
    assert.equal(job.escrow_amount, '25000000');
  } finally {
    await stop(chainNet.proc);
  }
});
