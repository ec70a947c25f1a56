// A GPU provider service in Node that sells inference per call over x402, with the
// `computestream` native binding: it answers 402 with a PAYMENT-REQUIRED challenge, checks a
// PAYMENT-SIGNATURE with every local rule (signature included) before spending a round trip,
// serves each payment once (a header stays valid until it expires), has a facilitator settle
// it, and answers with the PAYMENT-RESPONSE receipt.
//
//   NODE_URL=http://127.0.0.1:8070/v1 FACILITATOR_URL=http://127.0.0.1:4021 \
//   PAY_TO=0x… FEE_PAYER=0x… node examples/x402-provider.mjs
//
// Prints its URL on the first line. PRICE is in base units of ASSET (default: 0xa, the
// native coin), NETWORK defaults to the localnet's aptos:4.
import http from 'node:http';
import { createRequire } from 'node:module';

const cs = createRequire(import.meta.url)('../bindings-node');
const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const nodeUrl = env('NODE_URL');
const facilitatorUrl = env('FACILITATOR_URL');
const feePayer = env('FEE_PAYER');
const requirements = cs.x402ExactRequirements(
  env('NETWORK', 'aptos:4'), env('ASSET', '0xa'), env('PAY_TO'), env('PRICE', '5000'), '60', feePayer);

function reply(res, status, headers, body) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function challenge(req, error) {
  return cs.x402EncodeHeader(JSON.stringify({
    x402Version: 2,
    error,
    resource: { url: `http://${req.headers.host}${req.url}`, description: 'one inference call on a GPU' },
    accepts: [JSON.parse(requirements)],
  }));
}

// Payments being or already served, by digest, until they expire (chain seconds).
const served = new Map();

async function chainSeconds() {
  const info = await (await fetch(nodeUrl)).json();
  return (BigInt(info.ledger_timestamp) / 1_000_000n).toString();
}

async function serve(req, res) {
  const payment = req.headers['payment-signature'];
  if (!payment) {
    return reply(res, 402, { 'PAYMENT-REQUIRED': challenge(req, 'payment required') }, {});
  }
  let verdict;
  try {
    verdict = JSON.parse(cs.x402Verify(payment, requirements, [feePayer], await chainSeconds()));
  } catch (e) {
    return reply(res, 400, {}, { error: e.message });
  }
  if (!verdict.isValid) {
    return reply(res, 402, { 'PAYMENT-REQUIRED': challenge(req, verdict.invalidReason) }, verdict);
  }
  const { digest, expires } = verdict.extra;
  if (served.has(digest)) {
    const reason = 'invalid_exact_aptos_payload_replayed';
    return reply(res, 402, { 'PAYMENT-REQUIRED': challenge(req, reason) }, { isValid: false, invalidReason: reason });
  }
  served.set(digest, BigInt(expires));
  const settled = await fetch(`${facilitatorUrl}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      x402Version: 2,
      paymentPayload: JSON.parse(cs.x402DecodeHeader(payment)).header,
      paymentRequirements: JSON.parse(requirements),
    }),
  });
  const receipt = await settled.json();
  const receiptHeader = { 'PAYMENT-RESPONSE': cs.x402EncodeHeader(JSON.stringify(receipt)) };
  if (!receipt.success) {
    served.delete(digest);
    return reply(res, 402, { ...receiptHeader, 'PAYMENT-REQUIRED': challenge(req, receipt.errorReason) }, {});
  }
  reply(res, 200, receiptHeader, { output: 'a cat on a GPU', payer: verdict.payer });
}

setInterval(async () => {
  const now = BigInt(await chainSeconds().catch(() => '0'));
  for (const [digest, expires] of served) if (expires < now) served.delete(digest);
}, 60_000).unref();

const server = http.createServer((req, res) => {
  serve(req, res).catch((e) => reply(res, 500, {}, { error: e.message }));
});
server.listen(Number(env('PORT', '0')), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/infer`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
