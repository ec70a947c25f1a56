//! The v1 protocol objects (`X-PAYMENT`, the 402 JSON body), kept for v1 clients.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::v2::{PaymentRequirements, ResourceInfo, is_none_or_empty};

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
