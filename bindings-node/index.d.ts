/**
 * ComputeStream core for Node.js: stream math, amounts, the contract ABI and x402 payments.
 * u64/u128 values are decimal strings; errors are thrown as `ComputeStreamError`.
 */
/**
 * What the functions throw: an `Error` with the core's message whose `code` is the error's
 * stable name, the same in every language: `INVALID_INPUT` (also for arguments out of range,
 * such as `decimals` above 255), `DECODE`, `INVALID_BASE64`, `INVALID_JSON`,
 * `UNSUPPORTED_VERSION`, ... Branch on `code`, not on the message.
 */
export interface ComputeStreamError extends Error {
  code: string;
}
export declare function version(): string;
/** `parseAmount("7.2", 6) === "7200000"` (base units). */
export declare function parseAmount(text: string, decimals: number): string;
/** `formatAmount("7200000", 6) === "7.2"`. */
export declare function formatAmount(units: string, decimals: number): string;
/** Nano-rate (1e-9 base unit per second) for `units` base units per second, minute or hour. */
export declare function rate(units: string, per: 'second' | 'minute' | 'hour'): string;
/** Owed after `activeSeconds`, floored and capped at `deposited`. */
export declare function streamOwed(deposited: string, ratePerSecond: string, activeSeconds: string): string;
/** Active seconds until the deposit is fully owed; `null` if never. */
export declare function secondsToDeplete(deposited: string, ratePerSecond: string): string | null;
/** JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record at `now`. */
export declare function streamSnapshot(streamJson: string, now: string): string;
/** BCS of the entry function for a call such as `{"function":"rent",...}`. */
export declare function encodeCall(callJson: string, contract?: string | null): Buffer;
/** JSON of an entry function's BCS bytes; inverse of `encodeCall`. */
export declare function decodeCall(bcs: Buffer, contract?: string | null): string;
/** Name of an abort code raised in `module`, or `null`. */
export declare function abortName(module: string, code: string): string | null;
/**
 * BCS of the signed transaction for a contract call (the JSON `encodeCall` takes), for
 * `POST /v1/transactions` (content type `application/x.aptos.signed_transaction+bcs`).
 * `expirationSecs` is chain time; gas is 200000 units at 100.
 */
export declare function signCall(privateKey: string, callJson: string, sequenceNumber: string, chainId: number, expirationSecs: string, contract?: string | null): Buffer;
/** Hash (`0x` + 64 hex) of a signed transaction's BCS, as the node names it. */
export declare function transactionHash(signed: Buffer): string;
/** Account address (`0x` + 64 hex) of an Ed25519 private key. */
export declare function addressOf(privateKey: string): string;
/** JSON `{kind, header, aptos_transaction?}` of any x402 header (`kind`: payment, payment-required, payment-response). */
export declare function x402DecodeHeader(header: string): string;
/** The header (standard base64 of compact JSON) of an x402 object given as JSON. */
export declare function x402EncodeHeader(json: string): string;
/**
 * Signs a payment for the `accept`-th (default 0) way a PAYMENT-REQUIRED header offers, with the
 * account's next `sequenceNumber`, expiring maxTimeoutSeconds after `now` (chain seconds).
 * Returns the PAYMENT-SIGNATURE header; the server's facilitator submits it.
 */
export declare function x402Pay(privateKey: string, paymentRequired: string, sequenceNumber: string, now: string, accept?: number | null, dockerImage?: string | null): string;
/**
 * Every local rule on a payment header against requirements (JSON): VerifyResponse JSON
 * `{isValid, invalidReason?, invalidMessage?, payer?, extra?: {amount, asset, digest, expires}}`.
 * Throws only for input that does not decode. A header stays valid until it expires: serve a
 * payment once by remembering `digest` until `expires`.
 */
export declare function x402Verify(header: string, requirementsJson: string, feePayers: string[], now: string): string;
/** `exact` PaymentRequirements JSON; `feePayer` sponsors gas. */
export declare function x402ExactRequirements(network: string, asset: string, payTo: string, amount: string, maxTimeoutSeconds: string, feePayer?: string | null): string;
/** `stream` PaymentRequirements JSON; the deposit is the nano-rate over the duration, rounded up. */
export declare function x402StreamRequirements(network: string, contract: string, provider: string, asset: string, ratePerSecond: string, maxDurationSeconds: string, maxTimeoutSeconds: string, feePayer?: string | null): string;
