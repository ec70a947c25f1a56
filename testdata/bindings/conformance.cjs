'use strict';
// Runs testdata/bindings/cases.json against a JavaScript build of the core (the napi module
// or the wasm package): both must give exactly the answers the Rust core gives, and throw
// `Error`s with the same stable `code`.
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');

const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'cases.json'), 'utf8'));

function check(c, f) {
  if (c.error !== undefined) {
    assert.throws(f, (e) => e instanceof Error && e.code === c.code && e.message.includes(c.error),
      JSON.stringify(c));
  } else {
    assert.deepEqual(f(), c.returns, JSON.stringify(c));
  }
}

// `none` is how the binding spells "no value" (napi: null, wasm-bindgen: undefined).
function run(cs, none) {
  const opt = (v) => (v === none ? null : v);
  let n = 0;
  for (const c of cases.parse_amount) { check(c, () => cs.parseAmount(c.text, c.decimals)); n++; }
  for (const c of cases.format_amount) { check(c, () => cs.formatAmount(c.units, c.decimals)); n++; }
  for (const c of cases.rate) { check(c, () => cs.rate(c.units, c.per)); n++; }
  for (const c of cases.stream_owed) {
    check(c, () => cs.streamOwed(c.deposited, c.rate_per_second, c.active_seconds)); n++;
  }
  for (const c of cases.seconds_to_deplete) {
    check(c, () => opt(cs.secondsToDeplete(c.deposited, c.rate_per_second))); n++;
  }
  for (const c of cases.stream_snapshot) {
    check(c, () => JSON.parse(cs.streamSnapshot(JSON.stringify(c.stream), c.now))); n++;
  }
  for (const c of cases.calls) {
    const roundTrip = () => {
      const bcs = cs.encodeCall(JSON.stringify(c.call));
      assert.ok(bcs instanceof Uint8Array);
      const json = cs.decodeCall(bcs);
      assert.deepEqual([...cs.encodeCall(json)], [...bcs], 're-encode');
      return JSON.parse(json);
    };
    check(c.error === undefined ? { ...c, returns: c.call } : c, roundTrip);
    n++;
  }
  for (const c of cases.sign_call) {
    check(c, () => cs.transactionHash(cs.signCall(
      c.private_key, JSON.stringify(c.call), c.sequence_number, c.chain_id, c.expiration_secs,
      c.contract === null ? none : c.contract)));
    n++;
  }
  for (const c of cases.abort_name) { check(c, () => opt(cs.abortName(c.module, c.code))); n++; }
  assert.ok(n >= 25, `only ${n} cases`);
  // Another deployment address is not ours.
  const bcs = cs.encodeCall(JSON.stringify(cases.calls[0].call));
  assert.throws(() => cs.decodeCall(bcs, '0xbeef'), { code: 'DECODE', message: /unknown function/ });
  assert.equal(typeof cs.version(), 'string');
  return n;
}

// The x402 facade (x402_cases.json): the expected payment header is the reference SDKs'.
const x402 = JSON.parse(fs.readFileSync(path.join(__dirname, 'x402_cases.json'), 'utf8'));

function runX402(cs, none) {
  const arg = (v) => (v === null ? none : v);
  let n = 0;
  for (const c of x402.address_of) { check(c, () => cs.addressOf(c.private_key)); n++; }
  for (const c of x402.pay) {
    check(c, () => cs.x402Pay(c.private_key, c.payment_required, c.sequence_number, c.now, c.accept, c.docker_image));
    n++;
  }
  for (const c of x402.verify_payment) {
    const verify = () => JSON.parse(cs.x402Verify(c.header, JSON.stringify(c.requirements), c.fee_payers, c.now));
    if (c.returns_reason !== undefined) {
      // A payment that fails a rule is an answer, not an exception.
      const v = verify();
      assert.equal(v.isValid, false, JSON.stringify(c));
      assert.equal(v.invalidReason, c.returns_reason);
      assert.equal(typeof v.invalidMessage, 'string');
    } else {
      check(c, verify);
    }
    n++;
  }
  for (const c of x402.decode_header) {
    check(c, () => {
      const v = JSON.parse(cs.x402DecodeHeader(c.header));
      const tx = v.aptos_transaction || {};
      return { kind: v.kind, signature_valid: tx.signature_valid ?? null, sender: tx.sender ?? null };
    });
    n++;
  }
  for (const c of x402.encode_header) {
    check(c, () => {
      const header = cs.x402EncodeHeader(JSON.stringify(c.json));
      assert.deepEqual(JSON.parse(cs.x402DecodeHeader(header)).header, c.json);
      return 'round trip';
    });
    n++;
  }
  for (const c of x402.exact_requirements) {
    check(c, () => JSON.parse(cs.x402ExactRequirements(
      c.network, c.asset, c.pay_to, c.amount, c.max_timeout_seconds, arg(c.fee_payer))));
    n++;
  }
  for (const c of x402.stream_requirements) {
    check(c, () => JSON.parse(cs.x402StreamRequirements(
      c.network, c.contract, c.provider, c.asset, c.rate_per_second, c.max_duration_seconds,
      c.max_timeout_seconds, arg(c.fee_payer))));
    n++;
  }
  assert.ok(n >= 25, `only ${n} x402 cases`);
  // Optional arguments: accept 0 and no docker image.
  const p = x402.pay[0];
  assert.equal(cs.x402Pay(p.private_key, p.payment_required, p.sequence_number, p.now), p.returns);
  return n;
}

module.exports = { run, runX402 };
