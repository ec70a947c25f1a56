//! The v2 objects borrowed from the decoded header text: strings point into the text where
//! they have no escapes, and scheme data stays raw JSON until read.

use std::borrow::Cow;

use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::WireError;
use super::codec::json_error;
use super::v2::{PaymentPayload, PaymentRequirements, ResourceInfo, check_payment_identifier};

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
pub(super) fn raw_of(map: &Map<String, Value>) -> Box<RawValue> {
    serde_json::value::to_raw_value(map).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".into()).unwrap_or_default()
}

/// Parses a raw object into a map (it was checked to be one when it was read).
pub(super) fn map_of(raw: &RawValue) -> Result<Map<String, Value>, WireError> {
    serde_json::from_str(raw.get()).map_err(json_error)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
