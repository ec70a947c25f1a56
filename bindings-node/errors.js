'use strict';
// The errors every part of the package throws: `ComputeStreamError` subclasses with a stable
// `code`. The native classes throw an `Error` whose message is the JSON
// `{code, message, ...details}` of the core's error (see src/error.rs); `fromNative` turns it
// into the subclass of its code and keeps the core's own code as `coreCode`.

class ComputeStreamError extends Error {
  constructor(message, { code, coreCode, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code ?? 'COMPUTESTREAM';
    this.coreCode = coreCode ?? this.code;
  }
}

/** A Move abort: `abortName` (e.g. `E_INSUFFICIENT_DEPOSIT`), `module`, `abortCode`. */
class AbortError extends ComputeStreamError {
  constructor(message, detail = {}) {
    super(message, { ...detail, code: 'ABORT' });
    this.abortName = detail.abortName ?? null;
    this.module = detail.module ?? null;
    this.abortCode = detail.abortCode ?? null;
  }
}

/**
 * The node failed, refused the transaction or answered what does not decode (`coreCode` says
 * which); `retryable`: whether trying again may succeed; `status`: the node's HTTP status when it
 * answered with an error status.
 */
class NodeError extends ComputeStreamError {
  constructor(message, detail = {}) {
    super(message, { ...detail, code: 'NODE' });
    this.retryable = detail.retryable ?? null;
    this.status = detail.status ?? null;
  }
}

/**
 * The server refused a payment: `invalidReason` (e.g. `invalid_exact_aptos_payload_replayed`),
 * `invalidMessage` (what the server said beside it, e.g. the Move abort that failed the
 * payment's simulation), `status`.
 */
class PaymentRejectedError extends ComputeStreamError {
  constructor(message, detail = {}) {
    super(message, { ...detail, code: 'PAYMENT_REJECTED' });
    this.invalidReason = detail.invalidReason ?? null;
    this.invalidMessage = detail.invalidMessage ?? null;
    this.status = detail.status ?? null;
  }
}

/** The spending policy refused to pay (`coreCode`: `BUDGET_EXCEEDED` or `PAYMENT_NOT_ALLOWED`). */
class SpendingLimitError extends ComputeStreamError {
  constructor(message, detail = {}) {
    super(message, { ...detail, code: 'SPENDING_LIMIT' });
  }
}

/** An argument out of range or of the wrong type, or a header that does not decode. */
class InvalidInputError extends ComputeStreamError {
  constructor(message, detail = {}) {
    super(message, { ...detail, code: 'INVALID_INPUT' });
  }
}

const NODE_CODES = new Set([
  'TRANSPORT', 'REJECTED', 'EXECUTION_FAILED', 'NOT_FOUND', 'DECODE', 'APTOS_SDK', 'STORAGE',
  'TRANSPORT_ERROR', 'LEDGER_ERROR',
]);
const SPENDING_CODES = new Set(['BUDGET_EXCEEDED', 'PAYMENT_NOT_ALLOWED']);
// Input that does not decode (a header that is not base64, not the JSON it should be, too
// large), and payments that cannot be made of it (as in Python: `InvalidInput`).
const INPUT_CODES = new Set([
  'INVALID_INPUT', 'INVALID_BASE64', 'INVALID_JSON', 'UNSUPPORTED_VERSION', 'HEADER_TOO_LARGE',
  'INVALID_REQUIREMENTS', 'INVALID_TXN_PARAMS', 'SIGNING_FAILED',
]);

// What napi-rs throws when an argument does not convert to the Rust type (a number where a
// bigint goes, a missing field): the status is the error's `code`.
const NAPI_ARGUMENT_CODES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NumberExpected', 'BooleanExpected',
  'ArrayExpected', 'BigintExpected', 'FunctionExpected',
]);

const CODES = new Set([...NODE_CODES, ...SPENDING_CODES, ...INPUT_CODES, 'ABORT', 'PAYMENT_REFUSED']);

function typed(code, message, detail) {
  const options = { ...detail, coreCode: code };
  if (code === 'ABORT') return new AbortError(message, options);
  if (INPUT_CODES.has(code)) return new InvalidInputError(message, options);
  if (code === 'PAYMENT_REFUSED') return new PaymentRejectedError(message, options);
  if (SPENDING_CODES.has(code)) return new SpendingLimitError(message, options);
  if (NODE_CODES.has(code)) return new NodeError(message, options);
  return new ComputeStreamError(message, { code, coreCode: code, cause: detail.cause });
}

function fromNative(error) {
  if (!(error instanceof Error) || error instanceof ComputeStreamError) return error;
  if (NAPI_ARGUMENT_CODES.has(error.code)) {
    // napi-rs leaves the status out of some messages (` on Stream.jobId`), and quotes the
    // value it refused, which may be a secret (a private key passed as a Buffer): keep its type.
    const message = (error.message.startsWith(' on ')
      ? `${error.code.replace(/Expected$/, '').toLowerCase()} expected${error.message}`
      : error.message).replace(/JavaScript value `(\w+)[^`]*`/g, 'JavaScript value of type $1');
    return new InvalidInputError(message, { coreCode: error.code });
  }
  // The synchronous native functions (`raw`) throw the core's code as `code`, the message as is.
  if (CODES.has(error.code)) {
    return typed(error.code, error.message, { cause: error });
  }
  let detail;
  try {
    detail = JSON.parse(error.message);
  } catch {
    return error;
  }
  if (!detail || typeof detail.code !== 'string') return error;
  const { code, message, ...rest } = detail;
  return typed(code, message, rest);
}

/**
 * Calls a native async function and awaits its Promise, rethrowing its error typed: an
 * argument that does not convert throws at the call, before there is a Promise. An input error
 * is prefixed with `method`, the name the caller used (`getProvider: …`).
 */
async function native(call, method = null) {
  try {
    return await call();
  } catch (e) {
    const error = fromNative(e);
    if (method !== null && error instanceof InvalidInputError) error.message = `${method}: ${error.message}`;
    throw error;
  }
}

function nativeSync(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

module.exports = {
  ComputeStreamError, AbortError, NodeError, PaymentRejectedError, SpendingLimitError,
  InvalidInputError, fromNative, native, nativeSync,
};
