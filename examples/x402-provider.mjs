// A GPU provider service in Node, paid over x402 with the `computestream` native binding.
//
//   GET /infer  one inference call for PRICE base units (scheme `exact`)
//   GET /rent   a GPU rental paid per second (scheme `stream`): the payment opens an escrowed
//               stream at the provider's on-chain price, and the provider starts the job
//
// For each: answer 402 with a PAYMENT-REQUIRED challenge; check a PAYMENT-SIGNATURE with every
// local rule (signature included) before spending a round trip; serve each payment once (a
// header stays valid until it expires); have a facilitator settle it; answer with the
// PAYMENT-RESPONSE receipt. On start it registers itself on chain at RATE (nano-units per
// second), signing with the binding and submitting to the node.
//
//   NODE_URL=http://127.0.0.1:8070/v1 FACILITATOR_URL=http://127.0.0.1:4021 \
//   PROVIDER_KEY=0x… FEE_PAYER=0x… node examples/x402-provider.mjs
//
// Prints its base URL on the first line. ASSET defaults to 0xa (the native coin), NETWORK to
// the localnet's aptos:4, CONTRACT to the localnet's 0xcafe.
import http from 'node:http';
import { createRequire } from 'node:module';

const cs = createRequire(import.meta.url)('../bindings-node').raw;
const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const nodeUrl = env('NODE_URL');
const facilitatorUrl = env('FACILITATOR_URL');
const feePayer = env('FEE_PAYER');
const providerKey = env('PROVIDER_KEY');
const contract = env('CONTRACT', '0xcafe');
const network = env('NETWORK', 'aptos:4');
const asset = env('ASSET', '0xa');
const rate = env('RATE', '2000000000000');
const me = cs.addressOf(providerKey);

const products = {
  '/infer': {
    description: 'one inference call on a GPU',
    requirements: cs.x402ExactRequirements(network, asset, me, env('PRICE', '5000'), '60', feePayer),
  },
  '/rent': {
    description: 'an H100 by the second, up to an hour',
    requirements: cs.x402StreamRequirements(network, contract, me, asset, rate, '3600', '60', feePayer),
  },
};

async function getJson(url, init) {
  const r = await fetch(url, init);
  const body = await r.json();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

async function chainSeconds() {
  const info = await getJson(nodeUrl);
  return BigInt(info.ledger_timestamp) / 1_000_000n;
}

// Signs and submits one contract call as the provider, waits for it; one at a time, so
// sequence numbers are taken in order.
let queue = Promise.resolve();
function submit(call) {
  const run = async () => {
    const [{ sequence_number: seq }, { chain_id: chainId }, now] = await Promise.all([
      getJson(`${nodeUrl}/accounts/${me}`), getJson(nodeUrl), chainSeconds()]);
    const signed = cs.signCall(providerKey, JSON.stringify(call), seq, chainId, (now + 60n).toString(), contract);
    await getJson(`${nodeUrl}/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x.aptos.signed_transaction+bcs' },
      body: signed,
    });
    const done = await getJson(`${nodeUrl}/transactions/wait_by_hash/${cs.transactionHash(signed)}`);
    if (!done.success) throw new Error(`${call.function}: ${done.vm_status}`);
    return done.hash;
  };
  const result = queue.then(run);
  queue = result.catch(() => {});
  return result;
}

function reply(res, status, headers, body) {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function challenge(req, product, error) {
  return cs.x402EncodeHeader(JSON.stringify({
    x402Version: 2,
    error,
    resource: { url: `http://${req.headers.host}${req.url}`, description: product.description },
    accepts: [JSON.parse(product.requirements)],
  }));
}

// Payments being or already served, by digest, until they expire (chain seconds).
const served = new Map();

async function serve(req, res) {
  const product = products[new URL(req.url, 'http://x').pathname];
  if (!product) return reply(res, 404, {}, { error: 'not found' });
  const refuse = (reason, body) =>
    reply(res, 402, { 'PAYMENT-REQUIRED': challenge(req, product, reason) }, body);
  const payment = req.headers['payment-signature'];
  if (!payment) return refuse('payment required', {});
  let verdict;
  try {
    verdict = JSON.parse(cs.x402Verify(payment, product.requirements, [feePayer], (await chainSeconds()).toString()));
  } catch (e) {
    return reply(res, 400, {}, { error: e.message });
  }
  if (!verdict.isValid) return refuse(verdict.invalidReason, verdict);
  const { digest, expires } = verdict.extra;
  if (served.has(digest)) {
    const reason = `invalid_${JSON.parse(product.requirements).scheme}_aptos_payload_replayed`;
    return refuse(reason, { isValid: false, invalidReason: reason });
  }
  served.set(digest, BigInt(expires));
  const receipt = await getJson(`${facilitatorUrl}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      x402Version: 2,
      paymentPayload: JSON.parse(cs.x402DecodeHeader(payment)).header,
      paymentRequirements: JSON.parse(product.requirements),
    }),
  });
  const receiptHeader = { 'PAYMENT-RESPONSE': cs.x402EncodeHeader(JSON.stringify(receipt)) };
  if (!receipt.success) {
    served.delete(digest);
    return reply(res, 402, { ...receiptHeader, 'PAYMENT-REQUIRED': challenge(req, product, receipt.errorReason) }, {});
  }
  if (product === products['/infer']) {
    return reply(res, 200, receiptHeader, { output: 'a cat on a GPU', payer: verdict.payer });
  }
  // The rental's stream accrues from the job's start.
  const job = receipt.extra.jobId;
  const [buyer, jobId] = job.split('/');
  const started = await submit({ function: 'start_job', buyer, job_id: jobId });
  reply(res, 200, receiptHeader, { job, started, payer: verdict.payer });
}

setInterval(async () => {
  const now = await chainSeconds().catch(() => 0n);
  for (const [digest, expires] of served) if (expires < now) served.delete(digest);
}, 60_000).unref();

await submit({ function: 'register_provider', gpu_type: 'H100', vram_gb: '80', price_per_second: rate, stake_amount: '1000' });
const server = http.createServer((req, res) => {
  serve(req, res).catch((e) => reply(res, 500, {}, { error: e.message }));
});
server.listen(Number(env('PORT', '0')), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
