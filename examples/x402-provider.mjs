// A GPU provider service in Node: an Express app paid over x402 with `computestream/express`.
//
//   GET /infer  one inference call for PRICE base units (scheme `exact`)
//   GET /rent   a GPU rental paid per second (scheme `stream`): the payment opens an escrowed
//               stream at the provider's on-chain price, and the provider starts the job;
//               later requests carrying COMPUTESTREAM-JOB are served while the stream pays;
//               once it stops paying (closed by the buyer, paused, deposit spent, window
//               over) the provider completes the job and closes the stream
//
// The middleware answers 402 with the challenge, verifies each payment, serves it once, has
// the facilitator settle it and adds the PAYMENT-RESPONSE receipt. On start the provider
// registers itself on chain at RATE (nano-units per second).
//
//   cd examples && npm ci
//   NODE_URL=http://127.0.0.1:8070/v1 FACILITATOR_URL=http://127.0.0.1:4021 \
//   PROVIDER_KEY=0x… FEE_PAYER=0x… node examples/x402-provider.mjs
//
// Prints its base URL on the first line. ASSET defaults to 0xa (the native coin), NETWORK to
// the localnet's aptos:4, CONTRACT to the localnet's 0xcafe.
import express from 'express';
import { AbortError, Client, NodeError, streamAt } from 'computestream';
import { paymentMiddleware, exactRequirements, streamRequirements } from 'computestream/express';

/** @param {string} name @param {string} [fallback] */
const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const node = env('NODE_URL');
const contract = env('CONTRACT', '0xcafe');
const rate = BigInt(env('RATE', '2000000000000'));
const provider = new Client({ node, privateKey: env('PROVIDER_KEY'), contract });
const me = provider.address;
const offer = { network: env('NETWORK', 'aptos:4'), asset: env('ASSET', '0xa'), feePayer: env('FEE_PAYER') };

const app = express();
app.use(paymentMiddleware({
  'GET /infer': {
    description: 'one inference call on a GPU',
    accepts: exactRequirements({ ...offer, payTo: me, amount: env('PRICE', '5000') }),
  },
  'GET /rent': {
    description: 'an H100 by the second, up to an hour',
    accepts: streamRequirements({ ...offer, contract, provider: me, ratePerSecond: rate, maxDurationSeconds: 3600n }),
  },
}, { facilitator: { url: env('FACILITATOR_URL') }, node, contract }));

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `call` again a second later while the node's error says trying again may succeed.
 * @template T @param {() => Promise<T>} call @returns {Promise<T>}
 */
async function retrying(call) {
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof NodeError && e.retryable)) throw e;
      await sleep(1000);
    }
  }
}

/**
 * Ends a rental once its stream stops paying (closed by the buyer, paused, deposit spent,
 * window over): completes the job, which frees the provider's slot, and closes the stream
 * unless the buyer has, which pays what accrued and refunds the rest.
 * @param {string} buyer @param {bigint} jobId
 */
async function endWhenUnpaid(buyer, jobId) {
  const rental = { payer: buyer, jobId };
  const paying = () => retrying(async () => streamAt(await provider.getStream(rental), await provider.nowSeconds()).isPaying);
  while (await paying()) await sleep(1000);
  await retrying(() => provider.completeJob({ buyer, jobId, outputUrl: '' }));
  await retrying(() => provider.closeStream(rental)).catch((e) => {
    if (!(e instanceof AbortError && e.abortName === 'E_STREAM_CLOSED')) throw e;  // the buyer closed it
  });
}

app.get('/infer', (req, res) => {
  res.json({ output: 'a cat on a GPU' });
});
app.get('/rent', async (req, res, next) => {
  const job = req.computestream?.job;             // 0xBUYER/ID, opened by the payment
  if (!job) return next(new Error('not a rental'));   // only `stream` payments reach /rent
  if (req.get('COMPUTESTREAM-JOB')) return res.json({ job, running: true });
  // A new rental: its stream accrues from the job's start.
  const [buyer, jobId] = job.split('/');
  provider.startJob({ buyer, jobId: BigInt(jobId) }).then((started) => {
    res.json({ job, started: started.hash });
    endWhenUnpaid(buyer, BigInt(jobId)).catch((e) => console.error(`rental ${job}: ${e.message}`));
  }, next);
});

await provider.registerProvider({ gpuType: 'H100', vramGb: 80n, pricePerSecond: rate, stakeAmount: 1000n });
const server = app.listen(Number(env('PORT', '0')), '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
