//! The x402 wire format, v2 and v1: header names, the base64-of-compact-JSON codec and the
//! protocol objects. Objects keep unknown `extra` and `extensions` members, so what a peer
//! sends survives a round trip; compare parsed JSON, never header bytes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// v2: the 402 challenge, server → client.
pub const PAYMENT_REQUIRED: &str = "PAYMENT-REQUIRED";
/// v2: the payment, client → server.
pub const PAYMENT_SIGNATURE: &str = "PAYMENT-SIGNATURE";
/// v2: the settlement receipt, server → client.
pub const PAYMENT_RESPONSE: &str = "PAYMENT-RESPONSE";
/// v1: the payment, client → server.
pub const X_PAYMENT: &str = "X-PAYMENT";
/// v1: the settlement receipt, server → client.
pub const X_PAYMENT_RESPONSE: &str = "X-PAYMENT-RESPONSE";

/// Headers are refused above this many bytes, before any decoding. An Aptos
/// `PAYMENT-SIGNATURE` is about 2.9 KB; common HTTP stacks die above 16 KB of headers.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

// Standard alphabet (SIMD-accelerated), padded on output; padded or unpadded accepted on
// input. The URL-safe alphabet and whitespace are rejected by the alphabet itself.
use base64_simd::{STANDARD, STANDARD_NO_PAD};

/// Why a header could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Longer than [`MAX_HEADER_BYTES`].
    #[error("header of {0} bytes is above the {MAX_HEADER_BYTES}-byte limit")]
    TooLarge(usize),
    /// Not standard base64.
    #[error("header is not standard base64: {0}")]
    Base64(String),
    /// Not the expected JSON object.
    #[error("header JSON: {0}")]
    Json(String),
    /// An `x402Version` this crate does not speak (or the other version than expected).
    #[error("unsupported x402Version {0}")]
    Version(u64),
}

/// Compact JSON of `value`, standard padded base64.
pub fn encode_header<T: Serialize>(value: &T) -> String {
    // Serializing these plain data types to a Vec cannot fail.
    STANDARD.encode_to_string(serde_json::to_vec(value).unwrap_or_default())
}

/// Base64 of the bytes (used for the nested Aptos transaction envelope too).
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode_to_string(bytes)
}

/// Decodes base64 under the header size cap.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, WireError> {
    if text.len() > MAX_HEADER_BYTES {
        return Err(WireError::TooLarge(text.len()));
    }
    let engine = if text.len().is_multiple_of(4) {
        STANDARD
    } else {
        STANDARD_NO_PAD
    };
    engine
        .decode_to_vec(text)
        .map_err(|e| WireError::Base64(e.to_string()))
}

/// Decodes a header into `T`.
pub fn decode_header<T: DeserializeOwned>(header: &str) -> Result<T, WireError> {
    let bytes = decode_base64(header)?;
    serde_json::from_slice(&bytes).map_err(|e| WireError::Json(e.to_string()))
}

fn is_none_or_empty(m: &Option<Map<String, Value>>) -> bool {
    m.as_ref().is_none_or(Map::is_empty)
}

/// The resource a payment is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    /// Its URL.
    pub url: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// One way to pay (v2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
    /// `exact`, `stream`, …
    pub scheme: String,
    /// CAIP-2 network id, e.g. `aptos:2`.
    pub network: String,
    /// Base units, a decimal string.
    pub amount: String,
    /// The asset (on Aptos: the fungible-asset metadata address).
    pub asset: String,
    /// The recipient.
    pub pay_to: String,
    /// How long a payment for this stays valid.
    pub max_timeout_seconds: u64,
    /// Scheme-specific data (`feePayer`, `ratePerSecond`, …).
    #[serde(default)]
    pub extra: Map<String, Value>,
}

impl PaymentRequirements {
    /// A string member of `extra`.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
    }

    /// The x402 matching rule: `accepted` equals these requirements in every field but
    /// `extra`, and every member of this `extra` is in `accepted.extra` with the same value.
    pub fn is_matched_by(&self, accepted: &PaymentRequirements) -> bool {
        self.scheme == accepted.scheme
            && self.network == accepted.network
            && self.amount == accepted.amount
            && self.asset == accepted.asset
            && self.pay_to == accepted.pay_to
            && self.max_timeout_seconds == accepted.max_timeout_seconds
            && self
                .extra
                .iter()
                .all(|(k, v)| accepted.extra.get(k) == Some(v))
    }
}

/// The 402 challenge (v2), sent base64-encoded in `PAYMENT-REQUIRED`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequired {
    /// Always 2.
    pub x402_version: u64,
    /// Why payment is required (or why the last one failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What is being paid for.
    pub resource: ResourceInfo,
    /// The ways to pay.
    pub accepts: Vec<PaymentRequirements>,
    /// Protocol extensions.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extensions: Option<Map<String, Value>>,
}

/// A payment (v2), sent base64-encoded in `PAYMENT-SIGNATURE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
    /// 2.
    pub x402_version: u64,
    /// The resource, copied from the challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    /// The requirements the client chose, copied back.
    pub accepted: PaymentRequirements,
    /// The scheme's signed payload.
    pub payload: Map<String, Value>,
    /// Protocol extensions (`payment-identifier`, …).
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extensions: Option<Map<String, Value>>,
}

impl PaymentPayload {
    /// The `payment-identifier` extension's id, if present and well-formed
    /// (16–128 characters of `[A-Za-z0-9_-]`); `Err` if present but malformed.
    pub fn payment_identifier(&self) -> Result<Option<&str>, String> {
        let Some(ext) = self
            .extensions
            .as_ref()
            .and_then(|e| e.get("payment-identifier"))
        else {
            return Ok(None);
        };
        let id = ext
            .get("info")
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str)
            .ok_or("payment-identifier: info.id missing")?;
        let ok = (16..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Some(id))
        } else {
            Err("payment-identifier: id must be 16-128 characters of [A-Za-z0-9_-]".into())
        }
    }
}

/// A settlement receipt, sent base64-encoded in `PAYMENT-RESPONSE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    /// Whether it settled.
    pub success: bool,
    /// The transaction hash (`""` on failure).
    pub transaction: String,
    /// The network.
    pub network: String,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// Details of the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Amount settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Protocol extensions.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extensions: Option<Map<String, Value>>,
    /// Scheme data (the `stream` scheme's `jobId`).
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extra: Option<Map<String, Value>>,
}

impl SettleResponse {
    /// A failed settlement.
    pub fn failure(network: &str, reason: impl Into<String>, payer: Option<String>) -> Self {
        SettleResponse {
            success: false,
            transaction: String::new(),
            network: network.into(),
            payer,
            error_reason: Some(reason.into()),
            error_message: None,
            amount: None,
            extensions: None,
            extra: None,
        }
    }
}

/// A verification result (facilitator `/verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    /// Whether the payment is valid.
    pub is_valid: bool,
    /// Why not (an x402 `invalidReason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_message: Option<String>,
    /// Who pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// Scheme data.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extra: Option<Map<String, Value>>,
}

/// One way to pay (v1): `maxAmountRequired` instead of `amount`, and the resource inline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirementsV1 {
    /// Scheme.
    pub scheme: String,
    /// Network.
    pub network: String,
    /// Base units, a decimal string.
    pub max_amount_required: String,
    /// The resource URL.
    pub resource: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Its media type.
    #[serde(default)]
    pub mime_type: String,
    /// Response schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    /// Recipient.
    pub pay_to: String,
    /// Validity.
    pub max_timeout_seconds: u64,
    /// Asset.
    pub asset: String,
    /// Scheme data.
    #[serde(default, skip_serializing_if = "is_none_or_empty")]
    pub extra: Option<Map<String, Value>>,
}

impl PaymentRequirementsV1 {
    /// The v1 form of v2 requirements for `resource`.
    pub fn from_v2(r: &PaymentRequirements, resource: &ResourceInfo) -> Self {
        PaymentRequirementsV1 {
            scheme: r.scheme.clone(),
            network: r.network.clone(),
            max_amount_required: r.amount.clone(),
            resource: resource.url.clone(),
            description: resource.description.clone().unwrap_or_default(),
            mime_type: resource.mime_type.clone().unwrap_or_default(),
            output_schema: None,
            pay_to: r.pay_to.clone(),
            max_timeout_seconds: r.max_timeout_seconds,
            asset: r.asset.clone(),
            extra: (!r.extra.is_empty()).then(|| r.extra.clone()),
        }
    }
}

/// The 402 JSON body (v1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequiredV1 {
    /// Always 1.
    pub x402_version: u64,
    /// Why payment is required.
    #[serde(default)]
    pub error: String,
    /// The ways to pay.
    pub accepts: Vec<PaymentRequirementsV1>,
}

/// A payment (v1), sent base64-encoded in `X-PAYMENT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayloadV1 {
    /// 1.
    pub x402_version: u64,
    /// Scheme.
    pub scheme: String,
    /// Network.
    pub network: String,
    /// The scheme's signed payload.
    pub payload: Map<String, Value>,
}

/// A payment header of either version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // decoded once per request
pub enum PaymentHeader {
    /// `X-PAYMENT`.
    V1(PaymentPayloadV1),
    /// `PAYMENT-SIGNATURE`.
    V2(PaymentPayload),
}

impl PaymentHeader {
    /// Decodes a payment header, dispatching on its `x402Version`.
    pub fn decode(header: &str) -> Result<PaymentHeader, WireError> {
        let bytes = decode_base64(header)?;
        // The common case, v2, in one typed pass; anything else goes through `Value` to
        // find its version and report a precise error.
        if let Ok(p) = serde_json::from_slice::<PaymentPayload>(&bytes)
            && p.x402_version == 2
        {
            return Ok(PaymentHeader::V2(p));
        }
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| WireError::Json(e.to_string()))?;
        let version = value
            .get("x402Version")
            .and_then(Value::as_u64)
            .ok_or_else(|| WireError::Json("x402Version missing or not an integer".into()))?;
        let json = |e: serde_json::Error| WireError::Json(e.to_string());
        match version {
            1 => serde_json::from_value(value)
                .map(PaymentHeader::V1)
                .map_err(json),
            2 => serde_json::from_value(value)
                .map(PaymentHeader::V2)
                .map_err(json),
            v => Err(WireError::Version(v)),
        }
    }

    /// The v2 payload: v2 as is; v1 resolved against the server's v2 requirements by scheme
    /// and network (v1 does not copy the requirements back).
    pub fn into_v2(
        self,
        accepts: &[PaymentRequirements],
        resource: &ResourceInfo,
    ) -> Option<PaymentPayload> {
        match self {
            PaymentHeader::V2(p) => Some(p),
            PaymentHeader::V1(p) => {
                let accepted = accepts
                    .iter()
                    .find(|r| r.scheme == p.scheme && r.network == p.network)?
                    .clone();
                Some(PaymentPayload {
                    x402_version: 2,
                    resource: Some(resource.clone()),
                    accepted,
                    payload: p.payload,
                    extensions: None,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_optional_but_the_alphabet_is_strict() {
        let padded = encode_base64(b"{\"a\":1}?");
        assert!(padded.ends_with('='));
        assert_eq!(decode_base64(&padded).unwrap(), b"{\"a\":1}?");
        assert_eq!(
            decode_base64(padded.trim_end_matches('=')).unwrap(),
            b"{\"a\":1}?"
        );
        let url_safe = padded.replace('+', "-").replace('/', "_");
        if url_safe != padded {
            assert!(decode_base64(&url_safe).is_err());
        }
        assert!(decode_base64(&format!(" {padded}")).is_err());
        assert!(decode_base64("ab-_").is_err());
        assert_eq!(
            decode_base64(&"A".repeat(MAX_HEADER_BYTES + 1)),
            Err(WireError::TooLarge(MAX_HEADER_BYTES + 1))
        );
    }

    #[test]
    fn payment_identifier_is_validated() {
        let mut p: PaymentPayload = serde_json::from_value(serde_json::json!({
            "x402Version": 2,
            "accepted": {"scheme": "exact", "network": "aptos:2", "amount": "1", "asset": "0x1",
                         "payTo": "0x2", "maxTimeoutSeconds": 60},
            "payload": {}
        }))
        .unwrap();
        assert_eq!(p.payment_identifier(), Ok(None));
        let with = |id: &str| {
            let mut m = Map::new();
            m.insert(
                "payment-identifier".into(),
                serde_json::json!({"info": {"id": id}}),
            );
            Some(m)
        };
        p.extensions = with("order_0123456789-abc");
        assert_eq!(p.payment_identifier(), Ok(Some("order_0123456789-abc")));
        p.extensions = with("short");
        assert!(p.payment_identifier().is_err());
        p.extensions = with("has space in it, sixteen+");
        assert!(p.payment_identifier().is_err());
    }
}
