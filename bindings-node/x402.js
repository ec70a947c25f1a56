'use strict';
// `computestream/x402`: Aptos/Movement `exact` and ComputeStream's `stream` as scheme classes
// for the reference x402 SDK (@x402/core), so `@x402/fetch` and `@x402/express` users add them
// with one `.register(network, scheme)` each:
//
//   new x402Client().register('movement:126', new ExactClientScheme({ privateKey, node }))
//   new x402ResourceServer(facilitator).register('movement:126', new ExactServerScheme())
//
// Client schemes sign through the native payer (the core signs; the sequence number and chain
// time come from the node); server schemes build requirements with the core's builders. The
// facilitator that verifies and settles is ours (`Facilitator`, `computestream facilitator`).
const cs = require('./index.js');
const { native, nativeSync } = require('./errors.js');

const { nativeModule, integer } = cs[Symbol.for('computestream.internal')];
const U64_MAX = '18446744073709551615';

class ClientScheme {
  #payer;

  constructor(scheme, { privateKey, node, dockerImage = null, contract = null } = {}) {
    this.scheme = scheme;
    // The @x402/core client applies its own spending policy; the native payer only signs.
    this.#payer = nativeSync(() => new nativeModule.NativePayer(privateKey, node, U64_MAX, U64_MAX, [], dockerImage, contract));
  }

  /** The paying account. */
  get address() {
    return this.#payer.address;
  }

  /** Signs a payment for `paymentRequirements`; @x402/core adds `accepted` and `resource`. */
  async createPaymentPayload(x402Version, paymentRequirements) {
    const payload = await native(() => this.#payer.signRequirements(JSON.stringify(paymentRequirements)));
    return { x402Version, payload: JSON.parse(payload) };
  }
}

/** Client side of `exact` on Aptos and Movement: a sponsored fungible-asset transfer. */
class ExactClientScheme extends ClientScheme {
  constructor(options) {
    super('exact', options);
  }
}

/** Client side of `stream`: one `rent` transaction (job, escrow, stream), sponsored. */
class StreamClientScheme extends ClientScheme {
  constructor(options) {
    super('stream', options);
  }
}

function amountOf(price, decimals) {
  if (price !== null && typeof price === 'object') return integer(price.amount, 'price.amount');
  const text = String(price).trim().replace(/^\$/, '');
  return cs.raw.parseAmount(text, decimals);
}

/** Server side of `exact`: `price` is `{amount, asset}` in base units, or a decimal amount of `asset`. */
class ExactServerScheme {
  scheme = 'exact';
  defaultAssetTransferMethod = 'default';
  paymentFlows = { default: { supported: ['authorization'], default: 'authorization' } };

  constructor({ asset = '0xa', decimals = 8 } = {}) {
    this.asset = asset;
    this.decimals = decimals;
  }

  async parsePrice(price) {
    return { amount: amountOf(price, this.decimals), asset: price?.asset ?? this.asset };
  }

  async enhancePaymentRequirements(requirements, supportedKind) {
    const built = cs.exactRequirements({
      network: requirements.network, asset: requirements.asset, payTo: requirements.payTo,
      amount: requirements.amount, maxTimeoutSeconds: requirements.maxTimeoutSeconds ?? 60,
      feePayer: supportedKind?.extra?.feePayer ?? null,
    });
    return { ...built, extra: { ...requirements.extra, ...built.extra } };
  }
}

/**
 * Server side of `stream`: the buyer escrows `ratePerSecond` (nano-units) × `maxDurationSeconds`
 * and opens a stream to `payTo` at the provider's on-chain price (the route's `price` is not
 * used: the deposit follows from the rate).
 */
class StreamServerScheme {
  scheme = 'stream';
  defaultAssetTransferMethod = 'default';
  // The stream settles before the handler: the handler needs the job it opened.
  paymentFlows = { default: { supported: ['upfront'], default: 'upfront' } };

  constructor({ contract, ratePerSecond, maxDurationSeconds, asset = '0xa' }) {
    this.contract = contract;
    this.ratePerSecond = ratePerSecond;
    this.maxDurationSeconds = maxDurationSeconds;
    this.asset = asset;
  }

  #build(network, payTo, maxTimeoutSeconds, feePayer) {
    return cs.streamRequirements({
      network, contract: this.contract, provider: payTo, asset: this.asset,
      ratePerSecond: this.ratePerSecond, maxDurationSeconds: this.maxDurationSeconds,
      maxTimeoutSeconds, feePayer,
    });
  }

  async parsePrice(price, network) {
    const { amount, asset } = this.#build(network, '0x1', 60, null);
    return { amount, asset };
  }

  async enhancePaymentRequirements(requirements, supportedKind) {
    const built = this.#build(requirements.network, requirements.payTo, requirements.maxTimeoutSeconds ?? 60,
      supportedKind?.extra?.feePayer ?? null);
    return { ...built, extra: { ...requirements.extra, ...built.extra } };
  }
}

module.exports = { ExactClientScheme, StreamClientScheme, ExactServerScheme, StreamServerScheme };
