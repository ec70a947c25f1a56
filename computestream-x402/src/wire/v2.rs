//! The v2 protocol objects, owned: what clients build and encode, and what facilitators
//! answer.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::PAYMENT_IDENTIFIER;
use super::v2_ref::{PaymentPayloadRef, RequirementsRef, ResourceRef, map_of, raw_of};

pub(super) fn is_none_or_empty(m: &Option<Map<String, Value>>) -> bool {
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
pub(super) fn check_payment_identifier(id: Option<&str>) -> Result<&str, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
