//! The x402 wire format, v2 and v1: header names, the base64-of-compact-JSON codec and the
//! protocol objects. Objects keep unknown `extra` and `extensions` members, so what a peer
//! sends survives a round trip; compare parsed JSON, never header bytes.
//!
//! Two forms of a payment: [`PaymentPayload`] owns its fields (build, change, encode it), and
//! [`PaymentPayloadRef`] borrows them from the decoded header text, keeping the scheme's
//! `payload` as raw JSON for the scheme to read. Servers decode into the borrowed form
//! ([`decode_text`], then [`PaymentHeaderRef::parse`]) and verify it without copying;
//! [`PaymentHeader::decode`] does both and returns owned values.

use std::borrow::Cow;

use serde::de::{DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
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

/// The idempotency extension: `extensions["payment-identifier"].info.id`.
pub const PAYMENT_IDENTIFIER: &str = "payment-identifier";

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

/// Decodes a header's base64 into its JSON text (UTF-8 checked once, here, so the JSON
/// reader need not check each string).
pub fn decode_text(header: &str) -> Result<String, WireError> {
    String::from_utf8(decode_base64(header)?)
        .map_err(|_| WireError::Json("header JSON is not UTF-8".into()))
}

fn json_error(e: serde_json::Error) -> WireError {
    WireError::Json(e.to_string())
}

/// Decodes a header into `T`.
pub fn decode_header<T: DeserializeOwned>(header: &str) -> Result<T, WireError> {
    serde_json::from_str(&decode_text(header)?).map_err(json_error)
}

/// A string borrowed from the input when it has no escapes, copied when it has.
struct CowStr;

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

// serde borrows a plain `Cow<str>` field with `#[serde(borrow)]`, but copies one inside an
// `Option`; these keep both borrowed.
fn optional_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    Option::<CowStrSeed>::deserialize(d).map(|o| o.map(|s| s.0))
}

struct CowStrSeed<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for CowStrSeed<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(CowStr).map(CowStrSeed)
    }
}

fn raw_object<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, RawValue>, D::Error> {
    let raw = <&'de RawValue>::deserialize(d)?;
    if raw.get().starts_with('{') {
        Ok(Cow::Borrowed(raw))
    } else {
        Err(serde::de::Error::custom("expected a JSON object"))
    }
}

fn optional_raw_object<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, RawValue>>, D::Error> {
    match Option::<&'de RawValue>::deserialize(d)? {
        None => Ok(None),
        Some(raw) if raw.get().starts_with('{') => Ok(Some(Cow::Borrowed(raw))),
        Some(_) => Err(serde::de::Error::custom("expected a JSON object")),
    }
}

/// The raw JSON of an object (serializing a map cannot fail).
fn raw_of(map: &Map<String, Value>) -> Box<RawValue> {
    serde_json::value::to_raw_value(map).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".into()).unwrap_or_default()
}

/// Parses a raw object into a map (it was checked to be one when it was read).
fn map_of(raw: &RawValue) -> Result<Map<String, Value>, WireError> {
    serde_json::from_str(raw.get()).map_err(json_error)
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
    pub fn is_matched_by(&self, accepted: &RequirementsRef<'_>) -> bool {
        let same = self.scheme == accepted.scheme
            && self.network == accepted.network
            && self.amount == accepted.amount
            && self.asset == accepted.asset
            && self.pay_to == accepted.pay_to
            && self.max_timeout_seconds == accepted.max_timeout_seconds;
        if !same || self.extra.is_empty() {
            return same;
        }
        let Some(Ok(extra)) = accepted.extra.as_deref().map(map_of) else {
            return false;
        };
        self.extra.iter().all(|(k, v)| extra.get(k) == Some(v))
    }

    /// The borrowed form (`extra` as raw JSON).
    pub fn view(&self) -> RequirementsRef<'_> {
        RequirementsRef {
            scheme: Cow::Borrowed(&self.scheme),
            network: Cow::Borrowed(&self.network),
            amount: Cow::Borrowed(&self.amount),
            asset: Cow::Borrowed(&self.asset),
            pay_to: Cow::Borrowed(&self.pay_to),
            max_timeout_seconds: self.max_timeout_seconds,
            extra: (!self.extra.is_empty()).then(|| Cow::Owned(raw_of(&self.extra))),
        }
    }
}

/// [`ResourceInfo`], borrowed from the decoded header.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef<'a> {
    /// Its URL.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// What it is.
    #[serde(
        borrow,
        default,
        deserialize_with = "optional_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<Cow<'a, str>>,
    /// Its media type.
    #[serde(
        borrow,
        default,
        deserialize_with = "optional_str",
        skip_serializing_if = "Option::is_none"
    )]
    pub mime_type: Option<Cow<'a, str>>,
}

impl ResourceRef<'_> {
    /// The owned form.
    pub fn to_owned_info(&self) -> ResourceInfo {
        ResourceInfo {
            url: self.url.to_string(),
            description: self.description.as_deref().map(str::to_owned),
            mime_type: self.mime_type.as_deref().map(str::to_owned),
        }
    }
}

impl<'a> From<&'a ResourceInfo> for ResourceRef<'a> {
    fn from(r: &'a ResourceInfo) -> Self {
        ResourceRef {
            url: Cow::Borrowed(&r.url),
            description: r.description.as_deref().map(Cow::Borrowed),
            mime_type: r.mime_type.as_deref().map(Cow::Borrowed),
        }
    }
}

/// [`PaymentRequirements`], borrowed from the decoded header; `extra` stays raw JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementsRef<'a> {
    /// `exact`, `stream`, …
    #[serde(borrow)]
    pub scheme: Cow<'a, str>,
    /// CAIP-2 network id.
    #[serde(borrow)]
    pub network: Cow<'a, str>,
    /// Base units, a decimal string.
    #[serde(borrow)]
    pub amount: Cow<'a, str>,
    /// The asset.
    #[serde(borrow)]
    pub asset: Cow<'a, str>,
    /// The recipient.
    #[serde(borrow)]
    pub pay_to: Cow<'a, str>,
    /// How long a payment for this stays valid.
    pub max_timeout_seconds: u64,
    /// Scheme-specific data, a JSON object.
    #[serde(
        borrow,
        default,
        deserialize_with = "optional_raw_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub extra: Option<Cow<'a, RawValue>>,
}

impl RequirementsRef<'_> {
    /// The owned form.
    pub fn to_owned_requirements(&self) -> Result<PaymentRequirements, WireError> {
        Ok(PaymentRequirements {
            scheme: self.scheme.to_string(),
            network: self.network.to_string(),
            amount: self.amount.to_string(),
            asset: self.asset.to_string(),
            pay_to: self.pay_to.to_string(),
            max_timeout_seconds: self.max_timeout_seconds,
            extra: self
                .extra
                .as_deref()
                .map(map_of)
                .transpose()?
                .unwrap_or_default(),
        })
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

/// Checks a `payment-identifier` id: 16–128 characters of `[A-Za-z0-9_-]`.
fn check_payment_identifier(id: Option<&str>) -> Result<&str, String> {
    let id = id.ok_or("payment-identifier: info.id missing")?;
    let ok = (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err("payment-identifier: id must be 16-128 characters of [A-Za-z0-9_-]".into())
    }
}

impl PaymentPayload {
    /// The `payment-identifier` extension's id, if present and well-formed
    /// (16–128 characters of `[A-Za-z0-9_-]`); `Err` if present but malformed.
    pub fn payment_identifier(&self) -> Result<Option<&str>, String> {
        let Some(ext) = self
            .extensions
            .as_ref()
            .and_then(|e| e.get(PAYMENT_IDENTIFIER))
        else {
            return Ok(None);
        };
        let id = ext
            .get("info")
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str);
        check_payment_identifier(id).map(Some)
    }

    /// Attaches the `payment-identifier` extension (an idempotency key: a retry under the same
    /// id gets the first settlement's receipt). Extensions are not signed.
    pub fn set_payment_identifier(&mut self, id: &str) {
        self.extensions.get_or_insert_with(Map::new).insert(
            PAYMENT_IDENTIFIER.into(),
            serde_json::json!({"info": {"id": id}}),
        );
    }

    /// The borrowed form, as a server would have decoded it (the maps become raw JSON).
    pub fn view(&self) -> PaymentPayloadRef<'_> {
        PaymentPayloadRef {
            x402_version: self.x402_version,
            resource: self.resource.as_ref().map(ResourceRef::from),
            accepted: self.accepted.view(),
            payload: Cow::Owned(raw_of(&self.payload)),
            extensions: self
                .extensions
                .as_ref()
                .filter(|e| !e.is_empty())
                .map(|e| Cow::Owned(raw_of(e))),
        }
    }
}

/// A payment (v2) borrowed from the decoded `PAYMENT-SIGNATURE` text: strings point into the
/// text, and the scheme's `payload` and the `extensions` stay raw JSON objects until read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayloadRef<'a> {
    /// 2.
    pub x402_version: u64,
    /// The resource, copied from the challenge.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef<'a>>,
    /// The requirements the client chose, copied back.
    #[serde(borrow)]
    pub accepted: RequirementsRef<'a>,
    /// The scheme's signed payload, a JSON object.
    #[serde(borrow, deserialize_with = "raw_object")]
    pub payload: Cow<'a, RawValue>,
    /// Protocol extensions, a JSON object.
    #[serde(
        borrow,
        default,
        deserialize_with = "optional_raw_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub extensions: Option<Cow<'a, RawValue>>,
}

#[derive(Deserialize)]
struct Extensions<'a> {
    #[serde(borrow, rename = "payment-identifier")]
    payment_identifier: Option<PaymentIdentifierExtension<'a>>,
}

#[derive(Deserialize)]
struct PaymentIdentifierExtension<'a> {
    #[serde(borrow)]
    info: Option<PaymentIdentifierInfo<'a>>,
}

#[derive(Deserialize)]
struct PaymentIdentifierInfo<'a> {
    #[serde(borrow, default, deserialize_with = "optional_str")]
    id: Option<Cow<'a, str>>,
}

impl<'a> PaymentPayloadRef<'a> {
    /// Parses the JSON text of a v2 payment.
    pub fn parse(text: &'a str) -> Result<Self, WireError> {
        serde_json::from_str(text).map_err(json_error)
    }

    /// The `payment-identifier` extension's id, if present and well-formed
    /// (16–128 characters of `[A-Za-z0-9_-]`); `Err` if present but malformed.
    pub fn payment_identifier(&self) -> Result<Option<Cow<'_, str>>, String> {
        let Some(raw) = self.extensions.as_deref() else {
            return Ok(None);
        };
        let ext: Extensions<'_> =
            serde_json::from_str(raw.get()).map_err(|e| format!("payment-identifier: {e}"))?;
        let Some(ext) = ext.payment_identifier else {
            return Ok(None);
        };
        let id = ext.info.and_then(|i| i.id);
        check_payment_identifier(id.as_deref())?;
        Ok(id)
    }

    /// The owned form.
    pub fn to_owned_payload(&self) -> Result<PaymentPayload, WireError> {
        Ok(PaymentPayload {
            x402_version: self.x402_version,
            resource: self.resource.as_ref().map(ResourceRef::to_owned_info),
            accepted: self.accepted.to_owned_requirements()?,
            payload: map_of(&self.payload)?,
            extensions: self.extensions.as_deref().map(map_of).transpose()?,
        })
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
    /// Decodes a payment header, dispatching on its `x402Version`, into owned values.
    pub fn decode(header: &str) -> Result<PaymentHeader, WireError> {
        match PaymentHeaderRef::parse(&decode_text(header)?)? {
            PaymentHeaderRef::V1(p) => Ok(PaymentHeader::V1(p)),
            PaymentHeaderRef::V2(p) => p.to_owned_payload().map(PaymentHeader::V2),
        }
    }
}

/// A payment header of either version, the v2 form borrowed from the decoded text.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // decoded once per request
pub enum PaymentHeaderRef<'a> {
    /// `X-PAYMENT` (rare; owned).
    V1(PaymentPayloadV1),
    /// `PAYMENT-SIGNATURE`.
    V2(PaymentPayloadRef<'a>),
}

impl<'a> PaymentHeaderRef<'a> {
    /// Parses the JSON text of a payment header (see [`decode_text`]), dispatching on its
    /// `x402Version`.
    pub fn parse(text: &'a str) -> Result<Self, WireError> {
        // The common case, v2, in one typed pass; anything else goes through `Value` to
        // find its version and report a precise error.
        if let Ok(p) = PaymentPayloadRef::parse(text)
            && p.x402_version == 2
        {
            return Ok(PaymentHeaderRef::V2(p));
        }
        let value: Value = serde_json::from_str(text).map_err(json_error)?;
        let version = value
            .get("x402Version")
            .and_then(Value::as_u64)
            .ok_or_else(|| WireError::Json("x402Version missing or not an integer".into()))?;
        match version {
            1 => serde_json::from_value(value)
                .map(PaymentHeaderRef::V1)
                .map_err(json_error),
            2 => PaymentPayloadRef::parse(text).map(PaymentHeaderRef::V2),
            v => Err(WireError::Version(v)),
        }
    }

    /// The v2 payment: v2 as is; v1 resolved against the server's v2 requirements by scheme
    /// and network (v1 does not copy the requirements back).
    pub fn into_v2(
        self,
        accepts: &'a [PaymentRequirements],
        resource: &'a ResourceInfo,
    ) -> Option<PaymentPayloadRef<'a>> {
        match self {
            PaymentHeaderRef::V2(p) => Some(p),
            PaymentHeaderRef::V1(p) => {
                let accepted = accepts
                    .iter()
                    .find(|r| r.scheme == p.scheme && r.network == p.network)?;
                Some(PaymentPayloadRef {
                    x402_version: 2,
                    resource: Some(resource.into()),
                    accepted: accepted.view(),
                    payload: Cow::Owned(raw_of(&p.payload)),
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
    fn the_borrowed_form_borrows_and_agrees_with_the_owned_form() {
        let template = r#"{"x402Version":2,"resource":{"url":"https://a/\u0062","mimeType":"t"},
            "accepted":{"scheme":"exact","network":"aptos:2","amount":"1","asset":"0x1",
            "payTo":"0x2","maxTimeoutSeconds":60,"extra":{"feePayer":"0x3"}},
            "payload": PAYLOAD, "extensions": EXTENSIONS}"#;
        let with = |payload: &str, extensions: &str| {
            template
                .replace("PAYLOAD", payload)
                .replace("EXTENSIONS", extensions)
        };
        // Whitespace before the raw objects is allowed, as anywhere in JSON.
        let text = &with(
            "\n {\"transaction\":\"eA==\"}",
            r#"{"payment-identifier":{"info":{"id":"order_0123456789-abc"}}}"#,
        );
        let view = PaymentPayloadRef::parse(text).unwrap();
        assert!(matches!(view.accepted.pay_to, Cow::Borrowed("0x2")));
        // An escaped string cannot be borrowed; it is copied and still decoded.
        assert_eq!(view.resource.as_ref().unwrap().url, "https://a/b");
        assert!(matches!(
            view.resource.as_ref().unwrap().mime_type,
            Some(Cow::Borrowed("t"))
        ));
        assert_eq!(
            view.payment_identifier().unwrap().as_deref(),
            Some("order_0123456789-abc")
        );
        let owned = view.to_owned_payload().unwrap();
        assert_eq!(owned, serde_json::from_str::<PaymentPayload>(text).unwrap());
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::to_value(&owned).unwrap()
        );
        assert_eq!(
            serde_json::to_value(owned.view()).unwrap(),
            serde_json::to_value(&owned).unwrap()
        );
        assert!(owned.accepted.is_matched_by(&view.accepted));
        let mut other = owned.accepted.clone();
        other.extra.insert("feePayer".into(), Value::from("0x4"));
        assert!(!other.is_matched_by(&view.accepted));

        for (payload, extensions) in [("[]", "{}"), ("\"x\"", "{}"), ("{}", "1"), ("{}", "[]")] {
            let bad = with(payload, extensions);
            assert!(PaymentPayloadRef::parse(&bad).is_err(), "{bad}");
        }
        assert!(PaymentPayloadRef::parse(&with("{}", "null")).is_ok());
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
        p.set_payment_identifier("order_0123456789-abc");
        assert_eq!(p.payment_identifier(), Ok(Some("order_0123456789-abc")));
        p.set_payment_identifier("short");
        assert!(p.payment_identifier().is_err());
        p.set_payment_identifier("has space in it, sixteen+");
        assert!(p.payment_identifier().is_err());
    }
}
