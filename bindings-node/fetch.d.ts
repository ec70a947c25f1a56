// Types of `computestream/fetch`.
import type { Integer } from './client';

export interface PaymentOptions {
  /** Ed25519 private key of the paying account. */
  privateKey: string;
  /** Node API URL (`…/v1`): sequence numbers and chain time. */
  node: string;
  /** Largest single payment, base units. */
  maxPerPayment: Integer;
  /** Largest total over any rolling hour, base units. */
  maxPerHour: Integer;
  /** CAIP-2 networks allowed (empty: any supported). */
  networks?: string[];
  /** The container image a `stream` payment rents compute for. */
  dockerImage?: string | null;
  contract?: string | null;
}

/** The decoded PAYMENT-RESPONSE. */
export interface PaymentResponse {
  success: boolean;
  transaction: string;
  network: string;
  payer?: string;
  /** Base units settled. */
  amount?: string;
  errorReason?: string;
  errorMessage?: string;
  /** `jobId`: the job (`0xBUYER/ID`) a `stream` payment opened. */
  extra?: { jobId?: string } & Record<string, unknown>;
}

export type PaidResponse = Response & { readonly paymentResponse?: PaymentResponse | null };

export interface FetchWithPayment {
  (input: RequestInfo | URL, init?: RequestInit): Promise<PaidResponse>;
  /** The paying account. */
  readonly address: string;
  /** Spent over the last hour, base units. */
  readonly spentLastHour: bigint;
}

export declare function wrapFetchWithPayment(fetch: typeof globalThis.fetch, options: PaymentOptions): FetchWithPayment;
export declare function decodePaymentResponseHeader(header: string): PaymentResponse;
