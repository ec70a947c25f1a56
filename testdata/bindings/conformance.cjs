'use strict';
// Runs testdata/bindings/cases.json against a JavaScript build of the core (the napi module
// or the wasm package): both must give exactly the answers the Rust core gives.
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');

const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'cases.json'), 'utf8'));

function check(c, f) {
  if (c.error !== undefined) {
    assert.throws(f, (e) => e instanceof Error && e.message.includes(c.error), JSON.stringify(c));
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
  for (const c of cases.abort_name) { check(c, () => opt(cs.abortName(c.module, c.code))); n++; }
  assert.ok(n >= 25, `only ${n} cases`);
  // Another deployment address is not ours.
  const bcs = cs.encodeCall(JSON.stringify(cases.calls[0].call));
  assert.throws(() => cs.decodeCall(bcs, '0xbeef'), /unknown function/);
  assert.equal(typeof cs.version(), 'string');
  return n;
}

module.exports = { run };
