'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { run, runX402 } = require('../../testdata/bindings/conformance.cjs');
const cs = require('..');

test('the native module gives the core answers for every case', () => {
  run(cs.raw, null);
});

test('the native module pays and verifies x402 exactly as the core does', () => {
  runX402(cs.raw, null);
});

test('u64 arguments outside the range throw instead of wrapping', () => {
  assert.throws(() => cs.raw.streamOwed('18446744073709551616', '1', '1'), /not an integer in range/);
  assert.throws(() => cs.raw.formatAmount('-1', 6), /not an integer in range/);
});

test('the binding\'s own argument checks throw INVALID_INPUT like the core', () => {
  assert.throws(() => cs.raw.parseAmount('1', 256), { code: 'INVALID_INPUT', message: /decimals 256: above 255/ });
  assert.throws(() => cs.raw.signCall('0x55', '{}', '0', 256, '1'), { code: 'INVALID_INPUT', message: /chainId 256/ });
});
