// ESM entry point of `computestream` (the implementation is the CommonJS index.js).
import cs from './index.js';

export const {
  Client, Localnet, Facilitator, exactRequirements, streamRequirements, addressOf, decodeHeader, decodePayment, encodeHeader,
  streamAt, version, raw, ComputeStreamError, AbortError, NodeError, PaymentRejectedError, SpendingLimitError,
  InvalidInputError,
} = cs;
export default cs;
