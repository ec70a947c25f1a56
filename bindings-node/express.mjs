// ESM entry point of `computestream/express`.
import express from './express.js';

export const { paymentMiddleware, exactRequirements, streamRequirements, JOB_HEADER } = express;
export default express;
