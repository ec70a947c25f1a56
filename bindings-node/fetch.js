'use strict';
// `computestream/fetch`: `wrapFetchWithPayment(fetch, ...)` in the shape of `@x402/fetch`. A
// 402 is answered by the native payer (`computestream_x402::http::Payer`, src/payer.rs: the
// spending policy, picking the requirements, signing, booking the spend); this file only
// repeats the request with the payment header and hands the response back.
const cs = require('./index.js');
const { native, nativeSync } = require('./errors.js');

const { nativeModule, integer } = cs[Symbol.for('computestream.internal')];

/**
 * A `fetch` that pays 402s (`exact` and `stream`) as `privateKey`, reading sequence numbers
 * and chain time from `node`, within `maxPerPayment` and `maxPerHour` base units (bigint or
 * decimal string) on `networks` (CAIP-2; empty: any supported). A paid response carries the
 * decoded `PAYMENT-RESPONSE` as `response.paymentResponse`. Throws `SpendingLimitError`
 * when the policy refuses and `PaymentRejectedError` (with `invalidReason`) when the server
 * refuses the payment.
 */
function wrapFetchWithPayment(fetchImpl, {
  privateKey, node, maxPerPayment, maxPerHour, networks = [], dockerImage = null, contract = null,
} = {}) {
  for (const [name, value] of Object.entries({ privateKey, node })) {
    if (typeof value !== 'string') throw new cs.InvalidInputError(`wrapFetchWithPayment: ${name} is required`);
  }
  const payer = nativeSync(() => new nativeModule.NativePayer(
    privateKey, node, integer(maxPerPayment, 'wrapFetchWithPayment: maxPerPayment'), integer(maxPerHour, 'wrapFetchWithPayment: maxPerHour'),
    networks, dockerImage, contract));
  async function fetchWithPayment(input, init) {
    const request = new Request(input, init);
    const first = await fetchImpl(request.clone());
    if (first.status !== 402) return first;
    const challenge = await first.text();
    const payment = await native(() => payer.answer(first.headers.get('payment-required'), challenge));
    const retry = request.clone();
    retry.headers.set(payment.header, payment.value);
    let paid;
    try {
      paid = await fetchImpl(retry);
    } catch (e) {
      payer.release(payment.id);
      throw e;
    }
    const body = paid.status >= 400 ? await paid.clone().text() : '';
    const receipt = nativeSync(() => payer.conclude(
      payment.id, paid.status,
      paid.headers.get('payment-response') ?? paid.headers.get('x-payment-response'),
      paid.headers.get('payment-required'), body));
    Object.defineProperty(paid, 'paymentResponse', { value: receipt === null ? null : JSON.parse(receipt), enumerable: true });
    return paid;
  }
  Object.defineProperties(fetchWithPayment, {
    address: { get: () => payer.address, enumerable: true },
    spentLastHour: { get: () => payer.spentLastHour, enumerable: true },
  });
  return fetchWithPayment;
}

/** The decoded `PAYMENT-RESPONSE` header of a response. */
function decodePaymentResponseHeader(header) {
  return cs.decodeHeader(header);
}

module.exports = { wrapFetchWithPayment, decodePaymentResponseHeader };
