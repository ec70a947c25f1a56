// ESM entry point of `computestream/x402`.
import x402 from './x402.js';

export const { ExactClientScheme, StreamClientScheme, ExactServerScheme, StreamServerScheme } = x402;
export default x402;
