'use strict';
// `computestream`: Promise classes over the native module (built by `scripts/build-bindings
// node` from src/): `Client` (a method per entry function and view of the contracts),
// `Localnet`, typed errors, x402 requirements; `computestream/express` and
// `computestream/fetch` are the x402 adapters. The native module's synchronous functions are
// under `raw`.
const nativeModule = require('./computestream.node');
const errors = require('./errors.js');

const { InvalidInputError, native, nativeSync } = errors;

const RAW = [
  'version', 'parseAmount', 'formatAmount', 'rate', 'streamOwed', 'secondsToDeplete',
  'streamSnapshot', 'encodeCall', 'decodeCall', 'abortName', 'signCall', 'transactionHash',
  'addressOf', 'x402DecodeHeader', 'x402EncodeHeader', 'x402Pay', 'x402Verify',
  'x402ExactRequirements', 'x402StreamRequirements',
];
const raw = Object.freeze(Object.fromEntries(RAW.map((name) => [name, nativeModule[name]])));

const camel = (snake) => snake.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** A u64/u128 as the decimal string the native module takes: bigint, decimal string, or a safe integer. */
function integer(value, what) {
  if (value === undefined || value === null) throw new InvalidInputError(`${what} is missing`);
  if (typeof value === 'bigint') {
    if (value < 0n) throw new InvalidInputError(`${what}: ${value} is negative`);
    return value.toString();
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidInputError(`${what}: ${value} is not a non-negative integer up to 2^53; pass a bigint or a decimal string`);
    }
    return String(value);
  }
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value;
  throw new InvalidInputError(`${what}: expected a bigint, a decimal string or a safe integer, got ${typeof value} ${String(value)}`);
}

function argument(param, value, fn) {
  const what = `${camel(fn)}: ${camel(param.name)}`;
  if (value === undefined) throw new InvalidInputError(`${what} is missing`);
  switch (param.type) {
    case 'u64':
    case 'u128':
      return integer(value, what);
    case 'bool':
      if (typeof value !== 'boolean') throw new InvalidInputError(`${what}: expected a boolean`);
      return value;
    default:
      if (typeof value !== 'string') throw new InvalidInputError(`${what}: expected a string`);
      return value;
  }
}

/** The JSON `Call`/`View` of the core for one ABI row and the method's argument object. */
function callJson(f, args) {
  if (args === null || typeof args !== 'object') {
    throw new InvalidInputError(`${camel(f.name)}: expected an argument object`);
  }
  const known = new Set(f.params.map((p) => camel(p.name)));
  for (const key of Object.keys(args)) {
    if (!known.has(key)) throw new InvalidInputError(`${camel(f.name)}: unknown argument ${key}`);
  }
  const call = { function: f.name };
  for (const p of f.params) call[p.name] = argument(p, args[camel(p.name)], f.name);
  return JSON.stringify(call);
}

// The native view method of each return type of the ABI tables.
const VIEW_METHOD = {
  u64: 'viewU64',
  bool: 'viewBool',
  String: 'viewString',
  'Vec<AccountAddress>': 'viewAddresses',
  'crate::types::Rate': 'viewRate',
  'crate::types::JobStatus': 'viewJobStatus',
  'crate::types::Provider': 'viewProvider',
  'crate::types::Job': 'viewJob',
  'crate::types::Escrow': 'viewEscrow',
  'crate::types::Stream': 'viewStream',
};

/**
 * The contracts through a node: `new Client({ node, privateKey, contract })`. One Promise
 * method per entry function and view (camelCase of the Move name, arguments as an object
 * with the Move argument names in camelCase); sequence numbers, chain id, gas and waiting
 * for commit are handled inside.
 */
class Client {
  #native;

  constructor({ node, privateKey = null, contract = null } = {}) {
    if (typeof node !== 'string') throw new InvalidInputError('Client: node (the node API URL, …/v1) is required');
    this.#native = nativeSync(() => new nativeModule.NativeClient(node, privateKey, contract));
  }

  /** The signing account; `null` without a key. */
  get address() {
    return this.#native.address;
  }

  /** The contracts' address. */
  get contract() {
    return this.#native.contract;
  }

  /** `owner`'s balance of `asset` (default the native coin `0xa`), base units. */
  balance(owner, asset = null) {
    return native(() => this.#native.balance(owner, asset));
  }

  /** The chain's time, seconds. */
  nowSeconds() {
    return native(() => this.#native.nowSeconds());
  }

  /** Every entry function and view: `{kind, module, name, params, returns}`. */
  static abi() {
    return nativeModule.abi();
  }

  static {
    for (const f of nativeModule.abi()) {
      const name = camel(f.name);
      const method = f.kind === 'entry' ? 'execute' : VIEW_METHOD[f.returns];
      if (method === undefined) throw new Error(`${f.name}: no view method for ${f.returns}`);
      Object.defineProperty(Client.prototype, name, {
        value: {
          async [name](args = {}) {
            const json = callJson(f, args);
            return native(() => this.#native[method](json), name);
          },
        }[name],
        writable: true,
        configurable: true,
      });
    }
  }
}

/** The embedded ledger served in-process on a free loopback port: `await Localnet.start()`. */
class Localnet {
  #native;

  constructor(nativeLocalnet) {
    this.#native = nativeLocalnet;
  }

  /**
   * Starts serving. `manualClock: true` keeps chain time at `startSecs` (default the system's
   * time now) until `advance()` moves it; otherwise chain time is the system clock.
   */
  static async start({ manualClock = false, startSecs = null } = {}) {
    const start = startSecs === null ? null : integer(startSecs, 'Localnet.start: startSecs');
    return new Localnet(await native(() => nativeModule.startLocalnet(manualClock, start)));
  }

  /** Base URL (faucet at the root). */
  get url() {
    return this.#native.url;
  }

  /** Node API URL (`…/v1`), for `Client`. */
  get nodeUrl() {
    return this.#native.nodeUrl;
  }

  /** The contracts' address (`0xcafe…`). */
  get contract() {
    return this.#native.contract;
  }

  /** Mints `amount` base units of `asset` (default the native coin `0xa`) to `address`. */
  fundAccount(address, amount, asset = null) {
    const units = integer(amount, 'fundAccount: amount');
    nativeSync(() => this.#native.fundAccount(address, units, asset));
  }

  /** Creates a fungible asset; its metadata address. */
  createAsset(symbol, decimals) {
    return nativeSync(() => this.#native.createAsset(symbol, decimals));
  }

  /** `owner`'s balance of `asset` (default the native coin), base units. */
  balance(owner, asset = null) {
    return nativeSync(() => this.#native.balance(owner, asset));
  }

  /** Chain time, seconds. */
  nowSeconds() {
    return this.#native.nowSeconds();
  }

  /** Moves a manual clock forward by `seconds`. */
  advance(seconds) {
    const by = integer(seconds, 'advance: seconds');
    nativeSync(() => this.#native.advance(by));
  }

  /** Stops serving; idempotent. */
  close() {
    return native(() => this.#native.close());
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

/**
 * An x402 facilitator (verify, settle, supported) served in-process on a free loopback port,
 * sponsoring gas with `feePayerKey`: `await Facilitator.start({ node, network, feePayerKey })`.
 */
class Facilitator {
  #native;

  constructor(nativeFacilitator) {
    this.#native = nativeFacilitator;
  }

  static async start({ node, network, feePayerKey, contract = null } = {}) {
    for (const [name, value] of Object.entries({ node, network, feePayerKey })) {
      if (typeof value !== 'string') throw new InvalidInputError(`Facilitator.start: ${name} is required`);
    }
    return new Facilitator(await native(() => nativeModule.startFacilitator(node, network, feePayerKey, contract)));
  }

  /** Base URL, for `paymentMiddleware`'s `facilitator`. */
  get url() {
    return this.#native.url;
  }

  /** The account sponsoring gas, for the requirements' `feePayer`. */
  get feePayer() {
    return this.#native.feePayer;
  }

  /** Stops serving; idempotent. */
  close() {
    return native(() => this.#native.close());
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

/** `exact` PaymentRequirements: `amount` base units of `asset` to `payTo`. */
function exactRequirements({ network, asset, payTo, amount, maxTimeoutSeconds = 60, feePayer = null }) {
  return JSON.parse(nativeSync(() => raw.x402ExactRequirements(
    network, asset, payTo, integer(amount, 'exactRequirements: amount'), integer(maxTimeoutSeconds, 'exactRequirements: maxTimeoutSeconds'), feePayer)));
}

/** `stream` PaymentRequirements: a deposit of `ratePerSecond` (nano-units) over `maxDurationSeconds`. */
function streamRequirements({
  network, contract, provider, asset, ratePerSecond, maxDurationSeconds, maxTimeoutSeconds = 60,
  feePayer = null,
}) {
  return JSON.parse(nativeSync(() => raw.x402StreamRequirements(
    network, contract, provider, asset, integer(ratePerSecond, 'streamRequirements: ratePerSecond'),
    integer(maxDurationSeconds, 'streamRequirements: maxDurationSeconds'), integer(maxTimeoutSeconds, 'streamRequirements: maxTimeoutSeconds'),
    feePayer)));
}

/** The address of an Ed25519 private key. */
const addressOf = (privateKey) => nativeSync(() => raw.addressOf(privateKey));

/** Any x402 header (`PAYMENT-REQUIRED`, `PAYMENT-SIGNATURE`, `PAYMENT-RESPONSE`) decoded to its object. */
const decodeHeader = (header) => JSON.parse(nativeSync(() => raw.x402DecodeHeader(header))).header;

// One JSON object of a payment, as `src/decode.rs` hands it over: a single string member as
// its key and value, anything else as JSON text, null when absent.
const member = (key, value) => (key !== null ? { [key]: value } : value === null ? null : JSON.parse(value));

// The `PaymentPayload` of the fields `decodePaymentWith` passes, built as literals (fast in V8,
// unlike objects built through Node-API: see `src/decode.rs`).
function paymentPayload(url, description, mimeType, scheme, network, amount, asset, payTo, maxTimeoutSeconds,
  extraKey, extra, payloadKey, payload, extensionsKey, extensions) {
  const accepted = { scheme, network, amount, asset, payTo, maxTimeoutSeconds };
  if (extra !== null) accepted.extra = member(extraKey, extra);
  const payment = { x402Version: 2 };
  if (url !== null) {
    const resource = { url };
    if (description !== null) resource.description = description;
    if (mimeType !== null) resource.mimeType = mimeType;
    payment.resource = resource;
  }
  payment.accepted = accepted;
  payment.payload = member(payloadKey, payload);
  if (extensions !== null) payment.extensions = member(extensionsKey, extensions);
  return payment;
}

/**
 * A `PAYMENT-SIGNATURE` header (v2) decoded to its `PaymentPayload` by the core's typed wire
 * decoder, as `@x402/core`'s `decodePaymentSignatureHeader` gives it, except that an explicit
 * `null` (`"extensions": null`) comes out absent and members the x402 schema does not define
 * are left out; throws typed errors (`coreCode` `INVALID_BASE64`, `INVALID_JSON`, ...) for
 * anything else, including what the typed decoder refuses and `JSON.parse` lets through
 * (duplicate fields, a byte-order mark, a `maxTimeoutSeconds` that is not an integer).
 */
const decodePayment = (header) => nativeSync(() => nativeModule.decodePaymentWith(header, paymentPayload));

/**
 * A stream's figures at chain time `now` (seconds; `client.nowSeconds()`), by the core's stream
 * math: `owed`, `claimable`, `refundable`, `secondsToDeplete`, `isPaying`, `isAccruing`.
 */
function streamAt(stream, now) {
  if (stream === null || typeof stream !== 'object') throw new InvalidInputError('streamAt: expected a Stream (from getStream)');
  return nativeSync(() => nativeModule.streamAt(stream, integer(now, 'streamAt: now')));
}

/** The header (base64 of compact JSON) of an x402 object. */
const encodeHeader = (object) => nativeSync(() => raw.x402EncodeHeader(JSON.stringify(object)));

module.exports = {
  Client,
  Localnet,
  Facilitator,
  exactRequirements,
  streamRequirements,
  addressOf,
  decodeHeader,
  decodePayment,
  encodeHeader,
  streamAt,
  version: raw.version(),
  raw,
  ComputeStreamError: errors.ComputeStreamError,
  AbortError: errors.AbortError,
  NodeError: errors.NodeError,
  PaymentRejectedError: errors.PaymentRejectedError,
  SpendingLimitError: errors.SpendingLimitError,
  InvalidInputError: errors.InvalidInputError,
  // for computestream/express and computestream/fetch
  [Symbol.for('computestream.internal')]: { nativeModule, integer },
};
