'use strict';
// Runs against the nodejs build of the wasm package (scripts/build-bindings wasm writes pkg/).
const test = require('node:test');
const assert = require('node:assert/strict');
const { run, runX402 } = require('../../testdata/bindings/conformance.cjs');
const cs = require('../pkg/computestream_wasm.js');

test('the wasm module gives the core answers for every case', () => {
  run(cs, undefined);
});

test('the wasm module pays and verifies x402 exactly as the core does', () => {
  runX402(cs, undefined);
});

test('u64 arguments outside the range throw instead of wrapping', () => {
  assert.throws(() => cs.streamOwed('18446744073709551616', '1', '1'), /not an integer in range/);
});
