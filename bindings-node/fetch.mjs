// ESM entry point of `computestream/fetch`.
import fetchModule from './fetch.js';

export const { wrapFetchWithPayment, decodePaymentResponseHeader } = fetchModule;
export default fetchModule;
