'use strict';
// The reference x402 SDK (@x402/core) against our middleware and fetch wrapper: it decodes
// and schema-validates our challenge, payment and receipt headers, and the middleware serves a
// payment header that @x402/core decoded and re-encoded.
const test = require('node:test');
const assert = require('node:assert/strict');
const x402http = require('@x402/core/http');
const schemas = require('@x402/core/schemas');
const { wrapFetchWithPayment } = require('computestream/fetch');
const cs = require('..');
const { world, KEYS, NETWORK } = require('../fixtures/world.js');

test('@x402/core reads our headers, and the middleware serves a header it re-encoded', async (t) => {
  const w = await world(t);
  const unpaid = await fetch(`${w.base}/rent`);
  assert.equal(unpaid.status, 402);
  const challenge = x402http.decodePaymentRequiredHeader(unpaid.headers.get('payment-required'));
  schemas.validatePaymentRequired(challenge); // throws unless it is a valid PaymentRequired
  assert.ok(schemas.isPaymentRequiredV2(challenge));
  assert.equal(challenge.accepts[0].scheme, 'stream');
  assert.equal(challenge.accepts[0].network, NETWORK);

  // The wrapper signs; this fetch keeps the signature instead of sending it.
  let signature = null;
  const keep = (request) => {
    signature = request.headers.get('payment-signature');
    return signature ? new Response(null, { status: 503 }) : fetch(request);
  };
  const signOnly = wrapFetchWithPayment(keep, { privateKey: KEYS.buyer, node: w.node, maxPerPayment: 10_000_000n, maxPerHour: 10_000_000n, dockerImage: 'pytorch:2' });
  assert.equal((await signOnly(`${w.base}/rent`)).status, 503);
  assert.ok(signature);

  const payload = x402http.decodePaymentSignatureHeader(signature);
  schemas.validatePaymentPayload(payload);
  assert.ok(schemas.isPaymentPayloadV2(payload));
  assert.equal(payload.accepted.scheme, 'stream');
  // The core's typed decode gives JavaScript what @x402/core's decode gives; a challenge is
  // not a payment.
  assert.deepEqual(cs.decodePayment(signature), payload);
  assert.throws(() => cs.decodePayment(unpaid.headers.get('payment-required')), { code: 'INVALID_INPUT', coreCode: 'INVALID_JSON' });
  const reencoded = x402http.encodePaymentSignatureHeader(payload);
  const paid = await fetch(`${w.base}/rent`, { headers: { 'PAYMENT-SIGNATURE': reencoded } });
  assert.equal(paid.status, 200, JSON.stringify(await paid.clone().json()));
  const receipt = x402http.decodePaymentResponseHeader(paid.headers.get('payment-response'));
  assert.equal(receipt.success, true);
  assert.equal(receipt.network, NETWORK);
  assert.equal((await paid.json()).job, receipt.extra.jobId);
});

test('decodePayment gives what @x402/core decodes, for every shape of the free-form objects', () => {
  const exact = require('../../testdata/x402-aptos-exact.json').expected;
  const base = exact.payment_payload_json;
  const variants = {
    'the reference Aptos payment': base,
    'no resource': { ...base, resource: undefined },
    'a resource with its url only': { ...base, resource: { url: 'https://a.example/b' } },
    'no extra': { ...base, accepted: { ...base.accepted, extra: undefined } },
    'an empty extra': { ...base, accepted: { ...base.accepted, extra: {} } },
    'an extra of several members, numbers and nesting': {
      ...base, accepted: { ...base.accepted, extra: { feePayer: '0x3', rate: 5, nested: { a: [1, 'b', null, true] } } },
    },
    'a payload with an escaped string': { ...base, payload: { transaction: 'a"b\\c\n' } },
    'a payload of a number': { ...base, payload: { n: 12 } },
    'non-ASCII strings': { ...base, resource: { url: 'https://a.example/é', description: 'GPU — 1 s ✓' } },
    'extensions': { ...base, extensions: { 'payment-identifier': { info: { id: 'order_0123456789-abc' } } } },
    'empty extensions': { ...base, extensions: {} },
  };
  for (const [name, payment] of Object.entries(variants)) {
    const header = x402http.encodePaymentSignatureHeader(JSON.parse(JSON.stringify(payment)));
    assert.deepEqual(cs.decodePayment(header), x402http.decodePaymentSignatureHeader(header), name);
  }
  assert.deepEqual(cs.decodePayment(exact.payment_signature_header), base);
  // Not a v2 payment: typed refusals, never a partial object.
  const v1 = Buffer.from(JSON.stringify({ x402Version: 1, scheme: 'exact', network: 'aptos-testnet', payload: {} })).toString('base64');
  assert.throws(() => cs.decodePayment(v1), { code: 'INVALID_INPUT', coreCode: 'UNSUPPORTED_VERSION' });
  const payloadNotObject = x402http.encodePaymentSignatureHeader({ ...base, payload: 'x' });
  assert.throws(() => cs.decodePayment(payloadNotObject), { code: 'INVALID_INPUT', coreCode: 'INVALID_JSON' });
  assert.throws(() => cs.decodePayment('not base64!'), { code: 'INVALID_INPUT', coreCode: 'INVALID_BASE64' });
  assert.throws(() => cs.decodePayment('A'.repeat(9000)), { code: 'INVALID_INPUT', coreCode: 'HEADER_TOO_LARGE' });
});
