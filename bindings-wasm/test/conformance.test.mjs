// Runs against the browser package (scripts/build-bindings wasm writes pkg/): the ES module
// the package's `exports` name, loaded in Node with initSync and the .wasm bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as cs from 'computestream-wasm';

const require = createRequire(import.meta.url);
const { run, runX402 } = require('../../testdata/bindings/conformance.cjs');

const wasmPath = fileURLToPath(import.meta.resolve('computestream-wasm/computestream_wasm_bg.wasm'));
cs.initSync({ module: readFileSync(wasmPath) });

// The shared cases carry u64/u128 values as decimal strings (Node's binding takes strings):
// this view of the package turns them into the bigints it takes and its bigints back into
// strings, so the same cases check it.
const BIGINT_ARGS = {
  formatAmount: [0], rate: [0], streamOwed: [0, 1, 2], secondsToDeplete: [0, 1],
  streamSnapshot: [1], signCall: [2, 4], abortName: [1], x402Pay: [2, 3], x402Verify: [3],
  x402ExactRequirements: [3, 4], x402StreamRequirements: [4, 5, 6],
};
const asStrings = Object.fromEntries(Object.entries(cs).map(([name, f]) => {
  if (typeof f !== 'function') return [name, f];
  const big = BIGINT_ARGS[name] ?? [];
  return [name, (...args) => {
    const r = f(...args.map((a, i) => (big.includes(i) && typeof a === 'string' ? BigInt(a) : a)));
    return typeof r === 'bigint' ? r.toString() : r;
  }];
}));

test('the wasm package gives the core answers for every case', () => {
  run(asStrings, null);
});

test('the wasm package pays and verifies x402 exactly as the core does', () => {
  runX402(asStrings, null);
});

test('amounts, rates and times are bigint both ways', () => {
  assert.equal(cs.parseAmount('7.2', 6), 7_200_000n);
  assert.equal(cs.formatAmount(7_200_000n, 6), '7.2');
  assert.equal(cs.rate(7_200_000n, 'hour'), 2_000_000_000_000n);
  assert.equal(cs.streamOwed(1_000_000n, 2_000_000_000_000n, 5n), 10_000n);
  assert.equal(cs.secondsToDeplete(1_000_000n, 2_000_000_000_000n), 500n);
  // u128 rates beyond 2^64 are taken whole.
  assert.equal(cs.streamOwed(5n, 340282366920938463463374607431768211455n, 1n), 5n);
});

test('absent values are null, as in the Node binding', () => {
  assert.equal(cs.secondsToDeplete(1_000_000n, 0n), null);
  assert.equal(cs.abortName('payment_stream', 9999n), null);
  assert.equal(cs.abortDescription('nope', 1n), null);
  assert.equal(cs.abortName('payment_stream', 34n), 'E_STREAM_CLOSED');
  assert.equal(cs.abortDescription('payment_stream', 34n), 'The stream is closed.');
});

test('integers outside their range, or not bigint, throw INVALID_INPUT instead of wrapping', () => {
  assert.throws(() => cs.streamOwed(18446744073709551616n, 1n, 1n),
    { code: 'INVALID_INPUT', message: /deposited: .* is not a bigint in range/ });
  assert.throws(() => cs.streamOwed(-1n, 1n, 1n), { code: 'INVALID_INPUT' });
  assert.throws(() => cs.streamOwed(1n, 340282366920938463463374607431768211456n, 1n),
    { code: 'INVALID_INPUT', message: /ratePerSecond/ });
  assert.throws(() => cs.formatAmount('1', 6),
    { code: 'INVALID_INPUT', message: /units: the string "1" is not a bigint/ });
  assert.throws(() => cs.abortName('payment_stream', 34), { code: 'INVALID_INPUT' });
});

test('the binding\'s own argument checks throw INVALID_INPUT like the core', () => {
  // wasm-bindgen would pass 256 to a u8 parameter as 0: the binding takes u32 and checks.
  assert.throws(() => cs.parseAmount('1', 256), { code: 'INVALID_INPUT', message: /decimals 256: above 255/ });
  assert.throws(() => cs.formatAmount(1n, 256), { code: 'INVALID_INPUT', message: /decimals 256/ });
  assert.throws(() => cs.signCall('0x55', '{}', 0n, 256, 1n), { code: 'INVALID_INPUT', message: /chainId 256/ });
});

// One call of every entry function, its fields in ABI order.
const A = '0x00000000000000000000000000000000000000000000000000000000000b0b01';
const B = '0x00000000000000000000000000000000000000000000000000000000000000a1';
const EVERY_CALL = [
  { function: 'register_provider', gpu_type: 'H100', vram_gb: '80', price_per_second: '2000000000000', stake_amount: '1000' },
  { function: 'update_availability', is_active: false },
  { function: 'update_pricing', price_per_second: '1' },
  { function: 'update_endpoint', endpoint: 'https://gpu.example' },
  { function: 'deregister' },
  { function: 'create_job', provider: A, docker_image: 'img', escrow_amount: '10', max_duration: '60' },
  { function: 'start_job', buyer: B, job_id: '1' },
  { function: 'complete_job', buyer: B, job_id: '1', output_url: 'https://out' },
  { function: 'fail_job', buyer: B, job_id: '1' },
  { function: 'cancel_job', job_id: '1' },
  { function: 'reject_job', buyer: B, job_id: '1' },
  { function: 'deposit_escrow', job_id: '1', provider: A, asset: B, amount: '5' },
  { function: 'refund_escrow', job_id: '1' },
  { function: 'open_stream', job_id: '1', payee: A, rate_per_second: '7' },
  { function: 'process_payment', payer: B, job_id: '1' },
  { function: 'pause_stream', job_id: '1' },
  { function: 'resume_stream', job_id: '1' },
  { function: 'top_up', payer: B, job_id: '1', amount: '18446744073709551615' },
  { function: 'close_stream', payer: B, job_id: '1' },
  { function: 'rent', provider: A, docker_image: 'img', asset: B, deposit: '5', max_duration: '60', max_rate_per_second: '340282366920938463463374607431768211455' },
];

test('every contract call has a wallet payload: {function, typeArguments, functionArguments}', () => {
  const modules = new Set();
  for (const call of EVERY_CALL) {
    const p = cs.entryFunctionPayload(JSON.stringify(call));
    assert.deepEqual(Object.keys(p), ['function', 'typeArguments', 'functionArguments']);
    const [address, module, name] = p.function.split('::');
    assert.match(address, /^0x[0-9a-f]{64}$/);
    assert.equal(name, call.function);
    modules.add(module);
    assert.deepEqual(p.typeArguments, []);
    // The call's fields in ABI order, integers as decimal strings (u64 and u128 whole).
    const { function: _, ...fields } = call;
    assert.deepEqual(p.functionArguments, Object.values(fields), call.function);
    // The same call encodeCall encodes.
    assert.deepEqual(JSON.parse(cs.decodeCall(cs.encodeCall(JSON.stringify(call)))), call);
  }
  assert.deepEqual([...modules].sort(), ['escrow', 'job_registry', 'payment_stream', 'provider_registry']);
  const other = cs.entryFunctionPayload(JSON.stringify(EVERY_CALL[0]), '0xbeef');
  assert.match(other.function, /^0x0+beef::provider_registry::register_provider$/);
  assert.throws(() => cs.entryFunctionPayload('{"function":"steal"}'), { code: 'INVALID_INPUT' });
  assert.throws(() => cs.entryFunctionPayload('{"function":"top_up"}'), { code: 'INVALID_INPUT' });
});

test('the declarations are the package API only (no wasm-streams leak), camelCase', () => {
  const dts = readFileSync(fileURLToPath(new URL('../pkg/computestream_wasm.d.ts', import.meta.url)), 'utf8');
  assert.doesNotMatch(dts, /IntoUnderlying|ReadableStreamType|wasm-streams/i);
  assert.match(dts, /export function streamOwed\(deposited: bigint, ratePerSecond: bigint, activeSeconds: bigint\): bigint;/);
  assert.match(dts, /export function abortName\(module: string, code: bigint\): string \| null;/);
  assert.match(dts, /export function rate\(units: bigint, per: 'second' \| 'minute' \| 'hour'\): bigint;/);
  const signatures = dts.split('\n').filter((l) => l.startsWith('export function'));
  assert.ok(signatures.length >= 20);
  for (const s of signatures) assert.doesNotMatch(s, /[(,] ?[a-z]+_[a-z_]+\??: /, s);
});
