// Types of `computestream/express`.
import type { RequestHandler } from 'express';
import type { PaymentRequirements } from './computestream';

export { exactRequirements, streamRequirements } from './computestream';

export interface RouteConfig {
  /** What the route accepts: one or more requirements. */
  accepts: PaymentRequirements | PaymentRequirements[];
  description?: string;
  /** The resource URL in the challenge (default the route's path). */
  resource?: string;
}

/** `{"GET /infer": {...}}`; a key without a method matches every method. */
export type RoutesConfig = Record<string, RouteConfig>;

export interface PaymentMiddlewareOptions {
  /** The facilitator that verifies and settles: `{url}` or its URL. */
  facilitator: { url: string } | string;
  /** Node API URL: admits later requests of a paid stream (`COMPUTESTREAM-JOB`). */
  node?: string | null;
  contract?: string | null;
}

/** What the middleware puts on the request. */
export interface ComputeStreamRequest {
  /** The stream's job (`0x<payer>/<id>`) of a `stream` payment or a `COMPUTESTREAM-JOB` request; `null` for `exact`. */
  job: string | null;
}

declare global {
  namespace Express {
    interface Request {
      computestream?: ComputeStreamRequest;
    }
  }
}

export declare function paymentMiddleware(routes: RoutesConfig, options: PaymentMiddlewareOptions): RequestHandler;
export declare const JOB_HEADER: 'COMPUTESTREAM-JOB';
