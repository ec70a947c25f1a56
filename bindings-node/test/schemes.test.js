'use strict';
// The scheme classes of `computestream/x402` registered with the reference SDK: an Express
// app on @x402/express (x402ResourceServer + our server schemes, settling through our
// Facilitator) paid by @x402/fetch (x402Client + our client schemes), `exact` and `stream`.
const test = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const { x402ResourceServer, HTTPFacilitatorClient } = require('@x402/core/server');
const { x402Client } = require('@x402/core/client');
const { paymentMiddleware } = require('@x402/express');
const { wrapFetchWithPayment } = require('@x402/fetch');
const { decodePaymentResponseHeader } = require('@x402/core/http');
const cs = require('..');
const { ExactClientScheme, StreamClientScheme, ExactServerScheme, StreamServerScheme } = require('computestream/x402');
const { market, KEYS, RATE, NETWORK } = require('../fixtures/world.js');

test('@x402/fetch pays @x402/express in exact and stream with our scheme classes registered', async (t) => {
  const { localnet, node, facilitator, provider } = await market(t);

  const server = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url }))
    .register(NETWORK, new ExactServerScheme())
    .register(NETWORK, new StreamServerScheme({ contract: localnet.contract, ratePerSecond: RATE, maxDurationSeconds: 60n }));
  const app = express();
  app.use(paymentMiddleware({
    'GET /infer': { accepts: { scheme: 'exact', price: { amount: '5000', asset: '0xa' }, network: NETWORK, payTo: provider.address } },
    'GET /rent': { accepts: { scheme: 'stream', price: '0', network: NETWORK, payTo: provider.address } },
  }, server));
  app.get('/infer', (req, res) => res.json({ output: 'a cat on a GPU' }));
  app.get('/rent', (req, res) => res.json({ renting: true }));
  const listening = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  t.after(() => new Promise((resolve) => listening.close(resolve)));
  const base = `http://127.0.0.1:${listening.address().port}`;

  // The reference client pays only assets it knows unless allowed: the native coin, capped.
  const client = x402Client.fromConfig({
    schemes: [
      { network: NETWORK, client: new ExactClientScheme({ privateKey: KEYS.buyer, node }) },
      { network: NETWORK, client: new StreamClientScheme({ privateKey: KEYS.buyer, node, dockerImage: 'pytorch:2' }) },
    ],
    spendControls: { allowedAssets: [{ network: NETWORK, asset: `0x${'0'.repeat(63)}a`, maxAmountPerPayment: '1000000' }] },
  });
  const pay = wrapFetchWithPayment(fetch, client);

  const before = localnet.balance(provider.address);
  const exact = await pay(`${base}/infer`);
  assert.equal(exact.status, 200, await exact.clone().text());
  assert.deepEqual(await exact.json(), { output: 'a cat on a GPU' });
  const receipt = decodePaymentResponseHeader(exact.headers.get('payment-response'));
  assert.equal(receipt.success, true);
  assert.equal(localnet.balance(provider.address) - before, 5000n);

  const rent = await pay(`${base}/rent`);
  assert.equal(rent.status, 200, await rent.clone().text());
  const rental = decodePaymentResponseHeader(rent.headers.get('payment-response'));
  assert.equal(rental.success, true);
  const [payer, jobId] = rental.extra.jobId.split('/');
  const stream = await provider.getStream({ payer, jobId: BigInt(jobId) });
  assert.equal(payer, cs.addressOf(KEYS.buyer));
  assert.equal(stream.ratePerSecond, RATE);
  assert.equal(stream.payee, provider.address);
  assert.equal(stream.deposited, RATE * 60n / 1_000_000_000n);
});
