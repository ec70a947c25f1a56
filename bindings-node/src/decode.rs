//! `decodePayment`'s native half: a `PAYMENT-SIGNATURE` (v2) decoded by the core's borrowing
//! wire decoder (the one the gate uses), its fields handed as arguments to a JavaScript
//! function that puts them into object literals. Building the objects in JavaScript is what
//! makes the decode fast: V8 makes a literal of a known shape in nanoseconds, while an object
//! built through Node-API costs about 0.7 µs per property (measured: key internalization and
//! a map transition each), more than the whole typed decode.

use std::collections::HashMap;

use computestream_x402::wire::{self, PaymentHeaderRef, WireError};
use napi::Env;
use napi::bindgen_prelude::{FnArgs, Function, JsValue, Null, ToNapiValue, Unknown};
use napi_derive::napi;
use serde_json::value::RawValue;

use crate::error::coded;

/// A string for JavaScript; ASCII (every field of a real payment) is copied as Latin-1, which
/// V8 takes without decoding.
fn text<'e>(env: &'e Env, s: &str) -> napi::Result<Unknown<'e>> {
    Ok(if s.is_ascii() {
        env.create_string_latin1(s.as_bytes())?.to_unknown()
    } else {
        env.create_string(s)?.to_unknown()
    })
}

fn optional_text<'e>(env: &'e Env, s: Option<&str>) -> napi::Result<Unknown<'e>> {
    match s {
        Some(s) => text(env, s),
        None => Null.into_unknown(env),
    }
}

/// A JSON object of the payment (`extra`, `payload`, `extensions`) as two arguments: its key
/// and value when it is one string member (`{"transaction": …}`, `{"feePayer": …}`: every
/// object of the Aptos schemes), null and its JSON text otherwise, null and null when absent.
fn object<'e>(env: &'e Env, raw: Option<&RawValue>) -> napi::Result<(Unknown<'e>, Unknown<'e>)> {
    let Some(raw) = raw else {
        return Ok((Null.into_unknown(env)?, Null.into_unknown(env)?));
    };
    // Strings with escapes do not borrow: they take the general way.
    if let Ok(members) = serde_json::from_str::<HashMap<&str, &str>>(raw.get())
        && members.len() == 1
        && let Some((key, value)) = members.into_iter().next()
    {
        return Ok((text(env, key)?, text(env, value)?));
    }
    Ok((Null.into_unknown(env)?, text(env, raw.get())?))
}

type Parts<'e> = FnArgs<(
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    f64,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
    Unknown<'e>,
)>;

/// A `PAYMENT-SIGNATURE` header (v2) after the core's typed decode, handed to `build` as its
/// arguments: `resource.url`, `resource.description`, `resource.mimeType` (null when absent),
/// `accepted.scheme`, `.network`, `.amount`, `.asset`, `.payTo`, `.maxTimeoutSeconds`, then
/// `accepted.extra`, `payload` and `extensions` as two arguments each (the key and value of a
/// single string member; else null and the JSON text; null and null when absent); returns
/// what `build` returns. Throws (`INVALID_BASE64`, `INVALID_JSON`,
/// `UNSUPPORTED_VERSION`, `HEADER_TOO_LARGE`) when the header is not one. `decodePayment` in
/// `index.js` passes the function that makes the `PaymentPayload` of them.
#[napi(
    ts_args_type = "header: string, build: (url: string | null, description: string | null, mimeType: string | null, scheme: string, network: string, amount: string, asset: string, payTo: string, maxTimeoutSeconds: number, extraKey: string | null, extra: string | null, payloadKey: string | null, payload: string, extensionsKey: string | null, extensions: string | null) => T",
    ts_generic_types = "T",
    ts_return_type = "T"
)]
pub fn decode_payment_with<'e>(
    env: &'e Env,
    header: String,
    build: Function<'e, Parts<'e>, Unknown<'e>>,
) -> napi::Result<Unknown<'e>> {
    let decoded = wire::decode_text(&header).map_err(coded)?;
    let p = match PaymentHeaderRef::parse(&decoded).map_err(coded)? {
        PaymentHeaderRef::V2(p) => p,
        PaymentHeaderRef::V1(_) => return Err(coded(WireError::Version(1))),
    };
    let resource = p.resource.as_ref();
    let a = &p.accepted;
    let (extra_key, extra) = object(env, a.extra.as_deref())?;
    let (payload_key, payload) = object(env, Some(&p.payload))?;
    let (extensions_key, extensions) = object(env, p.extensions.as_deref())?;
    build.call(FnArgs::from((
        optional_text(env, resource.map(|r| &*r.url))?,
        optional_text(env, resource.and_then(|r| r.description.as_deref()))?,
        optional_text(env, resource.and_then(|r| r.mime_type.as_deref()))?,
        text(env, &a.scheme)?,
        text(env, &a.network)?,
        text(env, &a.amount)?,
        text(env, &a.asset)?,
        text(env, &a.pay_to)?,
        // Any u64 the decoder accepts, as a JavaScript number, like `JSON.parse` gives it.
        a.max_timeout_seconds as f64,
        extra_key,
        extra,
        payload_key,
        payload,
        extensions_key,
        extensions,
    )))
}
