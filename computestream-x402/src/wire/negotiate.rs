//! Version negotiation: a payment header of either version, dispatched on `x402Version`.

use std::borrow::Cow;

use serde_json::Value;

use super::WireError;
use super::codec::{decode_text, json_error};
use super::v1::PaymentPayloadV1;
use super::v2::{PaymentPayload, PaymentRequirements, ResourceInfo};
use super::v2_ref::{PaymentPayloadRef, raw_of};

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
