'use strict';
// `computestream/express`: x402 payments for Express routes, in the shape of
// `@x402/express`'s `paymentMiddleware(routes, ...)`. Each route is one native gate
// (`computestream_x402::gate::Gate` + `HttpFacilitator`, src/gate.rs), which verifies, serves
// each payment once, settles and writes the receipt; this file only moves headers and
// bodies between Express and the gate.
const cs = require('./index.js');
const { native } = require('./errors.js');

const { nativeModule } = cs[Symbol.for('computestream.internal')];

function parseRoute(pattern) {
  const match = /^\s*(?:([A-Za-z]+)\s+)?(\S+)\s*$/.exec(pattern);
  if (!match) throw new cs.InvalidInputError(`paymentMiddleware: route ${JSON.stringify(pattern)}: expected "[METHOD] /path"`);
  const [, method, path] = match;
  return { method: method ? method.toUpperCase() : '*', path };
}

function send(res, step) {
  res.statusCode = step.status;
  for (const [name, value] of step.headers) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(step.body ?? '{}');
}

function headersOf(req) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers;
}

/**
 * Holds the response until the gate has settled: a settled `exact` payment adds its
 * `PAYMENT-RESPONSE`; a failed settlement replaces the handler's answer with the 402.
 */
function settleBeforeSending(res, gate, id, next) {
  const { writeHead, write, end } = res;
  const chunks = [];
  let head = null;
  res.writeHead = function heldWriteHead(...args) {
    head = args;
    return res;
  };
  res.write = function heldWrite(chunk, encoding, callback) {
    chunks.push([chunk, typeof encoding === 'string' ? encoding : undefined]);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) process.nextTick(cb);
    return true;
  };
  res.end = function heldEnd(chunk, encoding, callback) {
    if (typeof chunk === 'function') [chunk, callback] = [undefined, chunk];
    if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
    if (chunk != null) chunks.push([chunk, encoding]);
    Object.assign(res, { writeHead, write, end });
    const status = head ? head[0] : res.statusCode;
    native(() => gate.finish(id, status < 400)).then((step) => {
      if (step.status != null) {
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        return send(res, step);
      }
      for (const [name, value] of step.headers) res.setHeader(name, value);
      if (head) res.writeHead(...head);
      for (const [c, e] of chunks) res.write(c, e);
      return res.end(callback);
    }).catch((e) => {
      Object.assign(res, { writeHead, write, end });
      next(e);
    });
    return res;
  };
}

/**
 * Express middleware charging for `routes` (`{"GET /infer": {accepts, description}}`, where
 * `accepts` is one or more PaymentRequirements from `exactRequirements`/`streamRequirements`),
 * settling through `facilitator` (`{url}` or a URL). With `node`, a request carrying
 * `COMPUTESTREAM-JOB` of a paid stream that still pays this provider is admitted without a
 * new payment. The handler finds the stream's job (`0x<payer>/<id>`) in
 * `req.computestream.job` (`null` for `exact`).
 */
function paymentMiddleware(routes, { facilitator, node = null, contract = null } = {}) {
  const facilitatorUrl = typeof facilitator === 'string' ? facilitator : facilitator?.url;
  if (typeof facilitatorUrl !== 'string') throw new cs.InvalidInputError('paymentMiddleware: facilitator ({url}) is required');
  const table = Object.entries(routes).map(([pattern, config]) => {
    const { method, path } = parseRoute(pattern);
    const accepts = Array.isArray(config.accepts) ? config.accepts : [config.accepts];
    const gate = new nativeModule.NativeGate(
      facilitatorUrl, config.resource ?? path, config.description ?? null, JSON.stringify(accepts),
      node, contract);
    return { method, path, gate };
  });
  return function computestreamPayment(req, res, next) {
    const route = table.find((r) => (r.method === '*' || r.method === req.method) && r.path === req.path);
    if (!route) return next();
    native(() => route.gate.begin(headersOf(req))).then((step) => {
      if (step.status != null) return send(res, step);
      req.computestream = { job: step.job ?? null };
      settleBeforeSending(res, route.gate, step.id, next);
      return next();
    }).catch(next);
  };
}

module.exports = {
  paymentMiddleware,
  exactRequirements: cs.exactRequirements,
  streamRequirements: cs.streamRequirements,
  JOB_HEADER: 'COMPUTESTREAM-JOB',
};
