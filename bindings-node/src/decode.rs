//! `decodePayment`: a `PAYMENT-SIGNATURE` (v2) decoded by the core's typed wire decoder and
//! handed to JavaScript as an object (no JSON text in between).

use computestream_x402::wire::{self, PaymentPayload};
use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::error::{coded, input};

/// A JSON value whose numbers serialize as numbers: the workspace builds serde_json with
/// `arbitrary_precision`, whose numbers would otherwise reach JavaScript as
/// `{"$serde_json::private::Number": "5"}`.
struct Plain<'a>(&'a Value);

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => s.serialize_u64(u),
                (None, Some(i), _) => s.serialize_i64(i),
                (None, None, Some(f)) => s.serialize_f64(f),
                (None, None, None) => s.serialize_str(&n.to_string()),
            },
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Plain(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, &Plain(v))?;
                }
                map.end()
            }
        }
    }
}

/// The `PaymentPayload` of a `PAYMENT-SIGNATURE` header, as `@x402/core`'s
/// `decodePaymentSignatureHeader` gives it, after the core's typed decode; throws (`DECODE`,
/// `INVALID_BASE64`, ...) when the header is not one.
#[napi(ts_return_type = "Record<string, unknown>")]
pub fn decode_payment(env: Env, header: String) -> napi::Result<Unknown<'static>> {
    let payload: PaymentPayload = wire::decode_header(&header).map_err(coded)?;
    let value = serde_json::to_value(&payload).map_err(input)?;
    env.to_js_value(&Plain(&value))
}
