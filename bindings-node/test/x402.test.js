'use strict';
// An Express app on `computestream/express`, paid by `computestream/fetch`, against an
// in-process Localnet and Facilitator: `exact` (paid once, a replay refused), `stream` (the
// rental's later requests admitted by COMPUTESTREAM-JOB until the stream closes), and the
// spending policy's refusals.
const test = require('node:test');
const assert = require('node:assert/strict');
const cs = require('..');
const { wrapFetchWithPayment, decodePaymentResponseHeader } = require('computestream/fetch');

const { world, sleep, KEYS, PRICE, RATE, NETWORK } = require('../fixtures/world.js');

test('exact: paid once through the fetch wrapper, a replay refused', async (t) => {
  const w = await world(t);
  const unpaid = await fetch(`${w.base}/infer`);
  assert.equal(unpaid.status, 402);
  const challenge = cs.decodeHeader(unpaid.headers.get('payment-required'));
  assert.equal(challenge.accepts[0].scheme, 'exact');
  assert.equal((await fetch(`${w.base}/free`)).status, 200);

  const sent = [];
  const recording = (request) => { sent.push(request.headers.get('payment-signature')); return fetch(request); };
  const payFetch = wrapFetchWithPayment(recording, {
    privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000n, maxPerHour: 100_000n, networks: [NETWORK],
  });
  const before = w.localnet.balance(w.provider.address);
  const res = await payFetch(`${w.base}/infer`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { output: 'a cat on a GPU', job: null });
  assert.equal(res.paymentResponse.success, true);
  assert.match(res.paymentResponse.transaction, /^0x[0-9a-f]{64}$/);
  assert.deepEqual(decodePaymentResponseHeader(res.headers.get('payment-response')), res.paymentResponse);
  assert.equal(w.localnet.balance(w.provider.address) - before, PRICE);
  assert.equal(payFetch.spentLastHour, PRICE);

  // The same signature again, by hand: refused, nothing moves.
  const signature = sent.at(-1);
  const replay = await fetch(`${w.base}/infer`, { headers: { 'PAYMENT-SIGNATURE': signature } });
  assert.equal(replay.status, 402);
  assert.match((await replay.json()).error ?? cs.decodeHeader(replay.headers.get('payment-required')).error, /_replayed$/);
  // Through the wrapper, a fetch that sends the old signature instead of the new one.
  const replaying = (request) => {
    if (request.headers.has('payment-signature')) request.headers.set('payment-signature', signature);
    return fetch(request);
  };
  const replayFetch = wrapFetchWithPayment(replaying, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000n, maxPerHour: 100_000n });
  await assert.rejects(replayFetch(`${w.base}/infer`), (e) => {
    assert.ok(e instanceof cs.PaymentRejectedError);
    assert.equal(e.code, 'PAYMENT_REJECTED');
    assert.equal(e.status, 402);
    assert.match(e.invalidReason, /^invalid_exact_aptos_payload_replayed$/);
    return true;
  });
  // A buyer without funds: the facilitator's reason and, beside it, its message.
  const broke = wrapFetchWithPayment(fetch, { privateKey: `0x${'77'.repeat(32)}`, node: w.node, maxPerPayment: 10_000n, maxPerHour: 100_000n });
  await assert.rejects(broke(`${w.base}/infer`), (e) => {
    assert.ok(e instanceof cs.PaymentRejectedError);
    assert.match(e.invalidReason, /insufficient/);
    assert.match(e.invalidMessage, /^balance 0 < /);
    return true;
  });
  assert.equal(w.localnet.balance(w.provider.address) - before, PRICE);
  // The buyer's sequence number was freed: it pays again.
  assert.equal((await payFetch(`${w.base}/infer`)).status, 200);
  assert.equal(w.localnet.balance(w.provider.address) - before, 2n * PRICE);
});

test('stream: the payment opens a rental whose later requests are admitted while it pays', async (t) => {
  const w = await world(t);
  // A rental needs an image to run: refused before anything is signed.
  const noImage = wrapFetchWithPayment(fetch, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000_000n, maxPerHour: 10_000_000n });
  await assert.rejects(noImage(`${w.base}/rent`), { name: 'InvalidInputError', code: 'INVALID_INPUT', coreCode: 'INVALID_TXN_PARAMS' });
  const payFetch = wrapFetchWithPayment(fetch, {
    privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000_000n, maxPerHour: '100000000', dockerImage: 'pytorch:2',
  });
  const res = await payFetch(`${w.base}/rent`);
  assert.equal(res.status, 200);
  const body = await res.json();
  const job = res.paymentResponse.extra.jobId;
  assert.equal(body.job, job);
  const [payer, jobId] = job.split('/');
  const buyer = new cs.Client({ node: w.node, privateKey: KEYS.buyer });
  assert.equal(payer, buyer.address);
  const stream = await buyer.getStream({ payer, jobId: BigInt(jobId) });
  assert.equal(stream.ratePerSecond, RATE);
  assert.equal(stream.deposited, RATE * 3600n / 1_000_000_000n);

  const later = await fetch(`${w.base}/rent`, { headers: { 'COMPUTESTREAM-JOB': job } });
  assert.equal(later.status, 200);
  assert.deepEqual(await later.json(), { job, running: true });

  await buyer.closeStream({ payer, jobId: BigInt(jobId) });
  await sleep(1100); // the gate reads a stream at most once a second
  const closed = await fetch(`${w.base}/rent`, { headers: { 'COMPUTESTREAM-JOB': job } });
  assert.equal(closed.status, 402);
  assert.equal(cs.decodeHeader(closed.headers.get('payment-required')).error, 'stream_not_paying');
  const bad = await fetch(`${w.base}/rent`, { headers: { 'COMPUTESTREAM-JOB': 'nonsense' } });
  assert.equal(bad.status, 400);
});

test('the spending policy refuses before anything is signed', async (t) => {
  const w = await world(t);
  const before = w.localnet.balance(cs.addressOf(KEYS.buyer));
  const cheap = wrapFetchWithPayment(fetch, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 1000n, maxPerHour: 100_000n });
  await assert.rejects(cheap(`${w.base}/infer`), (e) => {
    assert.ok(e instanceof cs.SpendingLimitError);
    assert.equal(e.code, 'SPENDING_LIMIT');
    assert.equal(e.coreCode, 'PAYMENT_NOT_ALLOWED');
    return true;
  });
  const hourly = wrapFetchWithPayment(fetch, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000n, maxPerHour: 7_000n });
  assert.equal((await hourly(`${w.base}/infer`)).status, 200);
  await assert.rejects(hourly(`${w.base}/infer`), { code: 'SPENDING_LIMIT', coreCode: 'BUDGET_EXCEEDED' });
  const elsewhere = wrapFetchWithPayment(fetch, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000n, maxPerHour: 7_000n, networks: ['movement:126'] });
  await assert.rejects(elsewhere(`${w.base}/infer`), { code: 'SPENDING_LIMIT' });
  assert.equal(before - w.localnet.balance(cs.addressOf(KEYS.buyer)), PRICE);
  assert.throws(() => wrapFetchWithPayment(fetch, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 2 ** 60, maxPerHour: 1n }), { code: 'INVALID_INPUT' });
});
