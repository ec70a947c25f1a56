'use strict';
// Benchmark (not a test), run by scripts/bench-node: in one run,
// 1. PAYMENT-SIGNATURE decode through the binding vs @x402/core, alternating rounds;
// 2. requests per second of one Express app: without the middleware, behind it admitted by
//    COMPUTESTREAM-JOB (a paying rental), and paid per request with `exact` (sign, verify,
//    settle through the in-process facilitator, commit on the in-process localnet).
const x402http = require('@x402/core/http');
const schemas = require('@x402/core/schemas');
const express = require('express');
const cs = require('..');
const { wrapFetchWithPayment } = require('../fetch.js');
const { world, KEYS } = require('../fixtures/world.js');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function rate(fn) {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) fn();
    n += 256;
  }
  return n / ((performance.now() - start) / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function requestsPerSecond(url, fetcher, { total, concurrency }) {
  let next = 0;
  const start = performance.now();
  async function worker() {
    while (next < total) {
      next += 1;
      const res = await fetcher(url);
      if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / ((performance.now() - start) / 1000);
}

async function main() {
  const closers = [];
  const t = { after: (fn) => closers.push(fn) };
  const w = await world(t);

  // A real payment header of the app's `exact` offer, signed by the fetch wrapper.
  let header = null;
  const keep = (request) => {
    header = request.headers.get('payment-signature');
    return header ? new Response(null, { status: 503 }) : fetch(request);
  };
  await wrapFetchWithPayment(keep, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000n, maxPerHour: 10_000n })(`${w.base}/infer`);

  // The same app's requests: a plain route, a paying rental's route, a paid `exact` route.
  const plain = express();
  plain.get('/rent', (req, res) => res.json({ job: null, running: true }));
  const plainServer = await new Promise((resolve) => { const s = plain.listen(0, '127.0.0.1', () => resolve(s)); });
  closers.push(() => new Promise((resolve) => plainServer.close(resolve)));
  const payFetch = wrapFetchWithPayment(fetch, {
    privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000_000n, maxPerHour: 1_000_000_000n, dockerImage: 'pytorch:2',
  });
  const rental = await payFetch(`${w.base}/rent`);
  const job = rental.paymentResponse.extra.jobId;
  const withJob = (url) => fetch(url, { headers: { 'COMPUTESTREAM-JOB': job } });
  const total = Number(process.env.BENCH_REQUESTS ?? 2000);
  const concurrency = 8;
  const unpaid = await requestsPerSecond(`http://127.0.0.1:${plainServer.address().port}/rent`, fetch, { total, concurrency });
  const admitted = await requestsPerSecond(`${w.base}/rent`, withJob, { total, concurrency });
  const unpaid2 = await requestsPerSecond(`http://127.0.0.1:${plainServer.address().port}/rent`, fetch, { total, concurrency });
  const exactTotal = Number(process.env.BENCH_PAID ?? 200);
  const paid = await requestsPerSecond(`${w.base}/infer`, payFetch, { total: exactTotal, concurrency: 1 });
  const base = (unpaid + unpaid2) / 2;
  console.log(`Express, ${concurrency} concurrent keep-alive clients on loopback:`);
  console.log(`  without the middleware                         ${fmt(base).padStart(8)} req/s`);
  console.log(`  behind it, admitted by COMPUTESTREAM-JOB        ${fmt(admitted).padStart(8)} req/s  ${(admitted / base).toFixed(2)}× unpaid, +${((1 / admitted - 1 / base) * 1e6).toFixed(0)} µs per request`);
  console.log(`  paid per request (exact; one client, in series) ${fmt(paid).padStart(8)} req/s  ${((1 / paid) * 1e3).toFixed(1)} ms per paid request (402, sign, verify, settle, commit)`);


  // Decoding blocks the event loop: after the HTTP rounds, so no idle keep-alive socket is cut.
  const peers = {
    'binding: decodePayment (typed decode in Rust, JS object out)': () => cs.decodePayment(header),
    'binding: raw.x402DecodeHeader (+ the transaction\'s BCS, JSON text)': () => cs.raw.x402DecodeHeader(header),
    '@x402/core: decodePaymentSignatureHeader': () => x402http.decodePaymentSignatureHeader(header),
    '@x402/core: decode + validatePaymentPayload (schema)': () => schemas.validatePaymentPayload(x402http.decodePaymentSignatureHeader(header)),
  };
  const names = Object.keys(peers);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) for (const n of names) runs[n].push(rate(peers[n]));
  const reference = median(runs['@x402/core: decodePaymentSignatureHeader']);
  const referenceValidated = median(runs['@x402/core: decode + validatePaymentPayload (schema)']);
  console.log(`PAYMENT-SIGNATURE decode (${header.length} bytes), median of ${ROUNDS} alternating ${SECONDS}-s rounds:`);
  for (const n of names) {
    const m = median(runs[n]);
    console.log(`  ${n.padEnd(68)} ${fmt(m).padStart(10)}/s  ${(m / reference).toFixed(2)}× @x402/core decode, ${(m / referenceValidated).toFixed(2)}× decode+validate`);
  }

  for (const close of closers.reverse()) await close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
