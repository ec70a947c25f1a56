// Decodes and schema-validates ComputeStream's x402 headers with the reference TypeScript SDK
// (@x402/core), then re-encodes them with it: `node check.mjs ours.json > node.json`.
import fs from 'node:fs';
import {
  decodePaymentRequiredHeader, decodePaymentSignatureHeader, decodePaymentResponseHeader,
  encodePaymentRequiredHeader, encodePaymentSignatureHeader, encodePaymentResponseHeader,
} from '@x402/core/http';
import {
  PaymentRequiredV2Schema, PaymentPayloadV2Schema, PaymentPayloadV1Schema,
} from '@x402/core/schemas';

const ours = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = {};
const fail = (msg) => { console.error(`@x402/core: ${msg}`); process.exit(1); };

const required = decodePaymentRequiredHeader(ours.payment_required);
const r = PaymentRequiredV2Schema.safeParse(required);
if (!r.success) fail(`payment_required: ${r.error.message}`);
if (required.accepts.length !== 2) fail('payment_required: expected 2 accepts');
out.payment_required = encodePaymentRequiredHeader(required);

for (const key of ['payment_signature', 'payment_signature_stream']) {
  const p = decodePaymentSignatureHeader(ours[key]);
  const v = PaymentPayloadV2Schema.safeParse(p);
  if (!v.success) fail(`${key}: ${v.error.message}`);
  if (typeof p.payload.transaction !== 'string') fail(`${key}: payload.transaction`);
  out[key] = encodePaymentSignatureHeader(p);
}

const v1 = decodePaymentSignatureHeader(ours.x_payment_v1);
const v = PaymentPayloadV1Schema.safeParse(v1);
if (!v.success) fail(`x_payment_v1: ${v.error.message}`);
out.x_payment_v1 = encodePaymentSignatureHeader(v1);

const receipt = decodePaymentResponseHeader(ours.payment_response);
if (receipt.success !== true || !receipt.extra || !receipt.extra.jobId) fail('payment_response');
out.payment_response = encodePaymentResponseHeader(receipt);

process.stdout.write(JSON.stringify(out));
console.error(`@x402/core: ${Object.keys(out).length} headers decoded, validated and re-encoded`);
