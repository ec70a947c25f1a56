// An AI agent that pays for GPU work over x402 with the `computestream` Node package.
//
//   node examples/x402-agent.mjs NODE_URL RESOURCE_URL PRIVATE_KEY [MAX_AMOUNT] [RENT_SECONDS]
//
// GET the resource through a fetch that answers the 402 itself: it refuses offers above
// MAX_AMOUNT base units (the spending policy), signs the payment (sequence number and chain
// time come from the node) and retries. An `exact` offer buys the call. A `stream` offer rents
// the GPU: the payment escrows at most MAX_AMOUNT and opens a stream the provider is paid from
// every second; the agent watches it for RENT_SECONDS, then closes it, so the provider keeps
// what accrued and the rest comes back. Prints one JSON line per step (amounts as strings).
import { Client, streamAt } from 'computestream';
import { wrapFetchWithPayment } from 'computestream/fetch';

const [node, url, privateKey, max = '10000', seconds = '3'] = process.argv.slice(2);
const maxAmount = BigInt(max);
/** @param {unknown} line */
const print = (line) => console.log(JSON.stringify(line, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

const pay = wrapFetchWithPayment(fetch, {
  privateKey, node, maxPerPayment: maxAmount, maxPerHour: 10n * maxAmount,
  dockerImage: 'pytorch/pytorch:2.4',                  // what a `stream` rental runs
});
const res = await pay(url);                            // 402 → paid → 200
const receipt = res.paymentResponse;
if (!receipt) throw new Error(`${url}: HTTP ${res.status} without a payment receipt`);
const job = receipt.extra?.jobId ?? null;              // `0xBUYER/ID` when the payment opened a stream
print({ status: res.status, amount: receipt.amount, receipt: { success: receipt.success, transaction: receipt.transaction, job }, result: await res.json() });

if (job) { // the rental: watch the stream accrue, then close it
  const client = new Client({ node, privateKey });
  const [payer, id] = job.split('/');
  const rental = { payer, jobId: BigInt(id) };
  for (let i = 0; i < Number(seconds); i++) {
    await sleep(1000);
    const at = streamAt(await client.getStream(rental), await client.nowSeconds());
    print({ job, owed: at.owed, accruing: at.isAccruing });
  }
  const closed = await client.closeStream(rental);     // the provider keeps what accrued
  const s = await client.getStream(rental);
  const atClose = streamAt(s, s.closedAt);
  print({
    job, closed_by: closed.hash, stream: {
      is_closed: s.isClosed, rate_per_second: s.ratePerSecond, deposited: s.deposited, paid: s.paid,
      window_start: s.windowStart, closed_at: s.closedAt, excluded_seconds: s.excludedSeconds,
      owed_at_close: atClose.owed, refundable_at_close: atClose.refundable, accruing_at_close: atClose.isAccruing,
    },
  });
}
