'use strict';
// An in-process world for the x402 tests: Localnet, Facilitator, a registered provider and an
// Express app selling `/infer` (exact) and `/rent` (stream) through computestream/express.
const express = require('express');
const cs = require('..');
const { paymentMiddleware, exactRequirements, streamRequirements } = require('computestream/express');

const KEYS = { provider: `0x${'66'.repeat(32)}`, buyer: `0x${'44'.repeat(32)}`, feePayer: `0x${'22'.repeat(32)}` };
const PRICE = 5000n;
const RATE = 2_000_000_000_000n;
const NETWORK = 'aptos:4';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function world(t) {
  const localnet = await cs.Localnet.start();
  t.after(() => localnet.close());
  const node = localnet.nodeUrl;
  for (const key of Object.values(KEYS)) localnet.mint(cs.addressOf(key), 1_000_000_000n);
  const facilitator = await cs.Facilitator.start({ node, network: NETWORK, feePayerKey: KEYS.feePayer });
  t.after(() => facilitator.close());
  const provider = new cs.Client({ node, privateKey: KEYS.provider });
  await provider.registerProvider({ gpuType: 'H100', vramGb: 80n, pricePerSecond: RATE, stakeAmount: 1000n });

  const app = express();
  app.use(paymentMiddleware({
    'GET /infer': {
      description: 'one inference call',
      accepts: exactRequirements({ network: NETWORK, asset: '0xa', payTo: provider.address, amount: PRICE, feePayer: facilitator.feePayer }),
    },
    'GET /rent': {
      description: 'an H100 by the second',
      accepts: [streamRequirements({
        network: NETWORK, contract: localnet.contract, provider: provider.address, asset: '0xa',
        ratePerSecond: RATE, maxDurationSeconds: 3600n, feePayer: facilitator.feePayer,
      })],
    },
  }, { facilitator: { url: facilitator.url }, node }));
  app.get('/infer', (req, res) => res.json({ output: 'a cat on a GPU', job: req.computestream.job }));
  app.get('/rent', async (req, res, next) => {
    try {
      const { job } = req.computestream;
      if (!req.get('computestream-job')) {
        const [buyer, jobId] = job.split('/');
        await provider.startJob({ buyer, jobId: BigInt(jobId) });
      }
      res.json({ job, running: true });
    } catch (e) {
      next(e);
    }
  });
  app.get('/free', (req, res) => res.json({ free: true }));
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { localnet, node, provider, base };
}

module.exports = { world, sleep, KEYS, PRICE, RATE, NETWORK };
