// The ESM entry points give the same objects as the CommonJS ones.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Client, Localnet, raw, AbortError } from 'computestream';
import { paymentMiddleware } from 'computestream/express';
import { wrapFetchWithPayment } from 'computestream/fetch';

const require = createRequire(import.meta.url);

test('named ESM imports are the CommonJS exports', () => {
  const cjs = require('computestream');
  assert.equal(Client, cjs.Client);
  assert.equal(Localnet, cjs.Localnet);
  assert.equal(AbortError, cjs.AbortError);
  assert.equal(raw.streamOwed('100', '1000000000', '5'), '5');
  assert.equal(paymentMiddleware, require('computestream/express').paymentMiddleware);
  assert.equal(wrapFetchWithPayment, require('computestream/fetch').wrapFetchWithPayment);
});
