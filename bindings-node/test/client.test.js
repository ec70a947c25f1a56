'use strict';
// `Client` against an in-process `Localnet`: a provider registers, a buyer rents (job,
// escrow and stream in one transaction), watches the stream accrue, and closes it; every
// error class is thrown by a real failure.
const test = require('node:test');
const assert = require('node:assert/strict');
const cs = require('..');

const { Client, Localnet } = cs;
const PROVIDER_KEY = `0x${'66'.repeat(32)}`;
const BUYER_KEY = `0x${'44'.repeat(32)}`;
const RATE = 2_000_000_000_000n; // nano-units per second: 2000 base units a second
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('rent → watch → close through Client, amounts as bigint', async (t) => {
  const localnet = await Localnet.start();
  t.after(() => localnet.close());
  const provider = new Client({ node: localnet.nodeUrl, privateKey: PROVIDER_KEY });
  const buyer = new Client({ node: localnet.nodeUrl, privateKey: BUYER_KEY, contract: localnet.contract });
  assert.equal(provider.address, cs.addressOf(PROVIDER_KEY));
  localnet.fundAccount(provider.address, 1_000_000_000n);
  localnet.fundAccount(buyer.address, '100000000');

  await provider.registerProvider({ gpuType: 'H100', vramGb: 80, pricePerSecond: RATE, stakeAmount: 1000n });
  const info = await buyer.getProvider({ provider: provider.address });
  assert.deepEqual(
    { gpuType: info.gpuType, vramGb: info.vramGb, pricePerSecond: info.pricePerSecond, isActive: info.isActive },
    { gpuType: 'H100', vramGb: 80n, pricePerSecond: RATE, isActive: true },
  );
  assert.equal(await buyer.getProviderPrice({ provider: provider.address }), RATE);
  assert.deepEqual(await buyer.listProviders({ offset: 0n, limit: 10n }), [provider.address]);

  const before = await buyer.balance(buyer.address);
  const rented = await buyer.rent({
    provider: provider.address, dockerImage: 'pytorch:2', asset: '0xa', deposit: 10_000_000n,
    maxDuration: 3600n, maxRatePerSecond: RATE,
  });
  assert.equal(typeof rented.jobId, 'bigint');
  assert.equal(rented.job, `${buyer.address}/${rented.jobId}`);
  const job = { payer: buyer.address, jobId: rented.jobId };
  const started = await provider.startJob({ buyer: buyer.address, jobId: rented.jobId });
  assert.strictEqual(started.job, null, 'no job created: null, not undefined');
  assert.strictEqual(started.jobId, null);
  assert.equal(await buyer.getJobStatus({ buyer: buyer.address, jobId: rented.jobId }), 'running');

  // Watch it accrue.
  const owed = [];
  for (let i = 0; i < 3; i++) {
    await sleep(1100);
    owed.push(await buyer.calculateCurrentAmount(job));
  }
  assert.ok(owed.every((o) => typeof o === 'bigint'));
  assert.ok(owed[0] > 0n && owed[1] > owed[0] && owed[2] > owed[1], `owed ${owed}`);
  assert.equal(await buyer.isStreamActive(job), true);

  // The same figures without asking the node, from the stream and a chain time: the node's
  // answer lies between the figures at the chain times read before and after it.
  const open = await buyer.getStream(job);
  const t0 = await buyer.nowSeconds();
  const claimable = await buyer.calculateCurrentAmount(job);
  const t1 = await buyer.nowSeconds();
  const [at0, at1] = [cs.streamAt(open, t0), cs.streamAt(open, t1)];
  assert.ok(at0.claimable <= claimable && claimable <= at1.claimable, `${at0.claimable} ≤ ${claimable} ≤ ${at1.claimable}`);
  assert.equal(at0.owed, at0.claimable + open.paid);
  assert.equal(at0.refundable, open.deposited - at0.owed);
  assert.equal(at0.isPaying, true);
  assert.equal(at0.isAccruing, true);
  // 10,000,000 base units at 2000 a second would last 5000 s, but the job's window ends first,
  // after its 3600 s: the stream never runs dry, and stops paying with its window.
  assert.equal(open.windowEnd - open.windowStart, 3600n);
  assert.strictEqual(at0.secondsToDeplete, null);
  const end = cs.streamAt(open, open.windowEnd);
  assert.deepEqual([end.owed, end.refundable, end.isPaying], [7_200_000n, 2_800_000n, false]);
  assert.equal(cs.streamAt(open, '100000000000').owed, 7_200_000n, 'nothing accrues after the window');
  // A deposit that runs out inside the window: 1,000,000 base units last 500 active seconds.
  const small = { ...open, deposited: 1_000_000n };
  assert.equal(cs.streamAt(small, t0).secondsToDeplete, 500n - (t0 - open.windowStart - open.excludedSeconds));
  assert.equal(cs.streamAt(small, open.windowStart + 500n).isPaying, false, 'depleted');
  // Paid for but not started yet: the provider should serve it, nothing accrues.
  const later = cs.streamAt({ ...open, windowStart: t0 + 10n }, t0);
  assert.deepEqual([later.owed, later.isPaying, later.isAccruing], [0n, true, false]);
  // Paused: what it owes stays at the pause, and it neither pays nor runs dry.
  const paused = { ...open, isPaused: true, pausedAt: t0 };
  assert.equal(cs.streamAt(paused, t0 + 100n).owed, at0.owed);
  assert.deepEqual([cs.streamAt(paused, t0).isPaying, cs.streamAt(paused, t0).secondsToDeplete], [false, null]);
  // Seconds excluded (paused before) are not billed: 10 s less at 2000 a second.
  assert.equal(cs.streamAt({ ...open, excludedSeconds: open.excludedSeconds + 10n }, t0 + 20n).owed,
    cs.streamAt(open, t0 + 20n).owed - 20_000n);
  assert.throws(() => cs.streamAt(null, t0), { name: 'InvalidInputError', message: /expected a Stream/ });
  assert.throws(() => cs.streamAt({ ...open, deposited: 10_000_000 }, t0), {
    name: 'InvalidInputError', code: 'INVALID_INPUT', coreCode: 'BigintExpected', message: 'bigint expected on Stream.deposited',
  });
  assert.throws(() => cs.streamAt({ payer: open.payer }, t0), { code: 'INVALID_INPUT', message: /Missing field `jobId`/ });
  assert.throws(() => cs.streamAt({ ...open, paid: -1n }, t0), { code: 'INVALID_INPUT', message: /paid: not a u64/ });
  assert.throws(() => cs.streamAt(open, -1), { code: 'INVALID_INPUT' });

  await buyer.closeStream(job);
  const stream = await buyer.getStream(job);
  assert.equal(stream.isClosed, true);
  assert.equal(stream.ratePerSecond, RATE);
  assert.equal(stream.deposited, 10_000_000n);
  const active = stream.closedAt - stream.windowStart - stream.excludedSeconds;
  assert.equal(stream.paid, BigInt(cs.raw.streamOwed('10000000', RATE.toString(), active.toString())));
  assert.ok(stream.paid > 0n);
  const closed = cs.streamAt(stream, (await buyer.nowSeconds()) + 60n);
  assert.deepEqual(closed, {
    owed: stream.paid, claimable: 0n, refundable: 0n, secondsToDeplete: null, isPaying: false, isAccruing: false,
  });
  // The rest of the escrow went back: the buyer lost exactly what the provider earned.
  assert.equal(before - (await buyer.balance(buyer.address)), stream.paid);
});

test('on a manual clock a rental costs exactly rate × seconds', async (t) => {
  const localnet = await Localnet.start({ manualClock: true });
  t.after(() => localnet.close());
  const provider = new Client({ node: localnet.nodeUrl, privateKey: PROVIDER_KEY });
  const buyer = new Client({ node: localnet.nodeUrl, privateKey: BUYER_KEY });
  localnet.fundAccount(provider.address, 1_000_000_000n);
  localnet.fundAccount(buyer.address, 100_000_000n);
  await provider.registerProvider({ gpuType: 'H100', vramGb: 80n, pricePerSecond: RATE, stakeAmount: 1000n });
  const rented = await buyer.rent({
    provider: provider.address, dockerImage: 'pytorch:2', asset: '0xa', deposit: 1_000_000n,
    maxDuration: 3600n, maxRatePerSecond: RATE,
  });
  const job = { payer: buyer.address, jobId: rented.jobId };
  await provider.startJob({ buyer: buyer.address, jobId: rented.jobId });
  const t0 = localnet.nowSeconds();
  assert.equal(await buyer.nowSeconds(), t0, 'the node reads the same clock');

  localnet.advance(10n);
  assert.equal(localnet.nowSeconds(), t0 + 10n);
  assert.equal(await buyer.calculateCurrentAmount(job), 20_000n, '10 s at 2000 a second');
  const at = cs.streamAt(await buyer.getStream(job), localnet.nowSeconds());
  assert.deepEqual([at.owed, at.claimable, at.refundable, at.secondsToDeplete], [20_000n, 20_000n, 980_000n, 490n]);

  localnet.advance(490);
  assert.equal(await buyer.isStreamActive(job), false, 'the deposit ran out after 500 s');
  assert.equal(cs.streamAt(await buyer.getStream(job), localnet.nowSeconds()).owed, 1_000_000n);
  const before = await buyer.balance(buyer.address);
  await buyer.closeStream(job);
  assert.equal((await buyer.getStream(job)).paid, 1_000_000n);
  assert.equal(await buyer.balance(buyer.address), before, 'nothing left to refund');

  await assert.rejects(Localnet.start({ startSecs: 5n }), { code: 'INVALID_INPUT', message: /needs manualClock/ });
  const fixed = await Localnet.start({ manualClock: true, startSecs: '1800000000' });
  t.after(() => fixed.close());
  assert.equal(fixed.nowSeconds(), 1_800_000_000n);
  assert.throws(() => fixed.advance(-1), { code: 'INVALID_INPUT' });
});

test('errors are typed: ABORT, INVALID_INPUT, NODE', async (t) => {
  const localnet = await Localnet.start();
  t.after(() => localnet.close());
  const buyer = new Client({ node: localnet.nodeUrl, privateKey: BUYER_KEY });
  localnet.fundAccount(buyer.address, 1_000_000n);

  await assert.rejects(buyer.getStream({ payer: buyer.address, jobId: 7n }), (e) => {
    assert.ok(e instanceof cs.AbortError && e instanceof cs.ComputeStreamError);
    assert.equal(e.code, 'ABORT');
    assert.equal(e.abortName, 'E_STREAM_NOT_FOUND');
    assert.equal(e.module, 'payment_stream');
    return true;
  });
  await assert.rejects(buyer.closeStream({ payer: buyer.address, jobId: 1n }), { code: 'ABORT', abortName: 'E_STREAM_NOT_FOUND' });

  await assert.rejects(buyer.topUp({ payer: buyer.address, jobId: 1, amount: 2 ** 53 }), (e) => {
    assert.ok(e instanceof cs.InvalidInputError);
    assert.equal(e.code, 'INVALID_INPUT');
    assert.match(e.message, /topUp: amount.*2\^53/);
    return true;
  });
  await assert.rejects(buyer.topUp({ payer: buyer.address, jobId: 1n }), { code: 'INVALID_INPUT', message: /amount is missing/ });
  await assert.rejects(buyer.cancelJob({ jobId: 1n, job: 1n }), { code: 'INVALID_INPUT', message: /unknown argument job/ });
  // The core refuses what JavaScript cannot: a u64 out of range, an address that is not one.
  await assert.rejects(buyer.cancelJob({ jobId: 2n ** 64n }), { code: 'INVALID_INPUT', coreCode: 'INVALID_INPUT' });
  await assert.rejects(buyer.getJob({ buyer: 'not-an-address', jobId: 1n }), { code: 'INVALID_INPUT' });
  // The refusal names the method and the value.
  await assert.rejects(buyer.getProvider({ provider: '0xzz' }), {
    code: 'INVALID_INPUT', message: /^getProvider: invalid argument: "0xzz" is not an account address/,
  });
  await assert.rejects(buyer.cancelJob({ jobId: '18446744073709551616' }), { message: /^cancelJob: invalid argument: "18446744073709551616" is not a u64/ });
  assert.throws(() => new Client({ node: localnet.nodeUrl, privateKey: '0x12' }), {
    name: 'InvalidInputError', message: /private key: .*expected 64 hex digits/,
  });
  assert.throws(() => new Client({ node: 'not a url' }), { name: 'InvalidInputError', message: /node URL "not a url"/ });
  assert.throws(() => cs.addressOf('zz'), { name: 'InvalidInputError', coreCode: 'INVALID_INPUT' });
  // A key of the wrong type is refused without its bytes in the message, as is any value
  // napi-rs cannot convert.
  const secret = Buffer.alloc(32, 0xab);
  for (const call of [
    () => new Client({ node: localnet.nodeUrl, privateKey: secret }), () => cs.addressOf(secret),
    () => new (require('../x402.js').ExactClientScheme)({ privateKey: secret, node: localnet.nodeUrl }),
    () => cs.streamAt({ payer: secret }, 1n),
  ]) {
    assert.throws(call, (e) => e instanceof cs.InvalidInputError && !/171/.test(e.message) && e.cause === undefined);
  }
  assert.throws(() => require('../fetch.js').wrapFetchWithPayment(fetch, { node: localnet.nodeUrl }), {
    name: 'InvalidInputError', message: 'wrapFetchWithPayment: privateKey is required',
  });
  assert.throws(() => require('../fetch.js').wrapFetchWithPayment(fetch, { privateKey: BUYER_KEY, node: localnet.nodeUrl }), {
    name: 'InvalidInputError', message: 'wrapFetchWithPayment: maxPerPayment is missing',
  });
  await assert.rejects(cs.Facilitator.start({}), { name: 'InvalidInputError', message: 'Facilitator.start: node is required' });
  // A node that answers 404: NodeError with the status.
  await assert.rejects(new Client({ node: `${localnet.url}/elsewhere` }).nowSeconds(), {
    name: 'NodeError', coreCode: 'NOT_FOUND', status: 404,
  });
  // An argument napi-rs cannot convert is refused as typed as the rest.
  await assert.rejects(buyer.balance(123), { name: 'InvalidInputError', coreCode: 'StringExpected' });
  const readOnly = new Client({ node: localnet.nodeUrl });
  assert.equal(readOnly.address, null);
  await assert.rejects(readOnly.cancelJob({ jobId: 1n }), { code: 'INVALID_INPUT', message: /no privateKey/ });
  assert.throws(() => new Client({}), { code: 'INVALID_INPUT' });

  assert.throws(() => localnet.advance(1), { name: 'InvalidInputError', message: /needs Localnet.start\(\{ manualClock: true \}\)/ });
  const stopped = await Localnet.start();
  const url = stopped.nodeUrl;
  await stopped.close();
  await stopped.close(); // idempotent
  await assert.rejects(new Client({ node: url }).nowSeconds(), (e) => {
    assert.ok(e instanceof cs.NodeError);
    assert.equal(e.code, 'NODE');
    assert.equal(e.coreCode, 'TRANSPORT');
    assert.equal(e.retryable, true);
    assert.equal(e.status, null, 'nothing answered');
    return true;
  });
  // A node that answers 503 keeps its status.
  const overloaded = require('node:http').createServer((req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'overloaded', error_code: 'internal_error', vm_error_code: null }));
  });
  await new Promise((resolve) => overloaded.listen(0, '127.0.0.1', resolve));
  try {
    const node = `http://127.0.0.1:${overloaded.address().port}/v1`;
    await assert.rejects(new Client({ node }).nowSeconds(), (e) => {
      assert.ok(e instanceof cs.NodeError, String(e));
      assert.equal(e.status, 503);
      assert.equal(e.retryable, true);
      return true;
    });
  } finally {
    overloaded.close();
  }
});

test('every entry function and view of the contracts is a Client method', () => {
  const abi = Client.abi();
  assert.equal(abi.filter((f) => f.kind === 'entry').length, 20);
  for (const f of abi) {
    const name = f.name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
    assert.equal(typeof Client.prototype[name], 'function', name);
    assert.ok(f.doc.length > 10, `${f.name} says what it does`);
  }
  const depletion = abi.find((f) => f.name === 'depletion_time');
  assert.match(depletion.doc, /^When the escrow will be fully owed; `u64::MAX` if never/);
});

test('a process that starts a Localnet and closes it exits by itself', () => {
  const { spawnSync } = require('node:child_process');
  const script = `
    const { Localnet, Client } = require(${JSON.stringify(require.resolve('..'))});
    (async () => {
      const localnet = await Localnet.start();
      const client = new Client({ node: localnet.nodeUrl });
      console.log(String(await client.nowSeconds() > 0n));
      await localnet.close();
    })();
  `;
  // The timeout only guards against a hang; the assertion is on how the child ended.
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, 'the child was still running: a handle kept it alive');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'true');
});
