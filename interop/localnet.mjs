// @aptos-labs/ts-sdk against `computestream localnet`: fund an account from the faucet,
// submit a signed payment_stream::rent, wait for it, read the stream back through a view.
// `node localnet.mjs BASE_URL PROVIDER RATE`
import assert from 'node:assert/strict';
import { Account, Aptos, AptosConfig, Network } from '@aptos-labs/ts-sdk';

const [base, provider, rate] = process.argv.slice(2);
// The contracts' address in the long form the SDK requires for non-special addresses.
const CONTRACT = `0x${'cafe'.padStart(64, '0')}`;
const aptos = new Aptos(new AptosConfig({ network: Network.CUSTOM, fullnode: `${base}/v1`, faucet: base }));

const info = await aptos.getLedgerInfo();
assert.equal(info.chain_id, 4);
const buyer = Account.generate();
// No indexer here: do not wait for one.
await aptos.fundAccount({ accountAddress: buyer.accountAddress, amount: 100_000_000, options: { waitForIndexer: false } });

const transaction = await aptos.transaction.build.simple({
  sender: buyer.accountAddress,
  data: {
    function: `${CONTRACT}::payment_stream::rent`,
    functionArguments: [provider, 'pytorch/pytorch:2.4', '0xa', 1_000_000, 3600, BigInt(rate)],
  },
});
const pending = await aptos.signAndSubmitTransaction({ signer: buyer, transaction });
const done = await aptos.waitForTransaction({ transactionHash: pending.hash });
assert.equal(done.success, true, done.vm_status);
assert.ok(done.events.some((e) => e.type.endsWith('::payment_stream::StreamOpened')));

const [stream] = await aptos.view({
  payload: { function: `${CONTRACT}::payment_stream::get_stream`, functionArguments: [buyer.accountAddress.toString(), 1] },
});
assert.equal(stream.deposited, '1000000');
assert.equal(stream.rate_per_second, rate);
assert.equal(stream.payee, provider);
assert.equal(stream.is_closed, false);
console.error(`ts-sdk: funded, rented and read back stream ${buyer.accountAddress.toString()}/1`);
