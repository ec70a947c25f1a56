//! The x402 wire format, v2 and v1: header names, the base64-of-compact-JSON codec and the
//! protocol objects. Objects keep unknown `extra` and `extensions` members, so what a peer
//! sends survives a round trip; compare parsed JSON, never header bytes.
//!
//! Two forms of a payment: [`PaymentPayload`] owns its fields (build, change, encode it), and
//! [`PaymentPayloadRef`] borrows them from the decoded header text, keeping the scheme's
//! `payload` as raw JSON for the scheme to read. Servers decode into the borrowed form
//! ([`decode_text`], then [`PaymentHeaderRef::parse`]) and verify it without copying;
//! [`PaymentHeader::decode`] does both and returns owned values.

mod codec;
mod negotiate;
mod v1;
mod v2;
mod v2_ref;

pub use codec::{decode_base64, decode_header, decode_text, encode_base64, encode_header};
pub use negotiate::{PaymentHeader, PaymentHeaderRef};
pub use v1::{PaymentPayloadV1, PaymentRequiredV1, PaymentRequirementsV1};
pub use v2::{
    PaymentPayload, PaymentRequired, PaymentRequirements, ResourceInfo, SettleResponse,
    VerifyResponse,
};
pub use v2_ref::{PaymentPayloadRef, RequirementsRef, ResourceRef};

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

impl WireError {
    /// A stable code for programs and bindings to match on (messages may change; codes do
    /// not):
    ///
    /// - `HEADER_TOO_LARGE`: [`WireError::TooLarge`], the header is above
    ///   [`MAX_HEADER_BYTES`] and was not decoded.
    /// - `INVALID_BASE64`: [`WireError::Base64`], not standard base64.
    /// - `INVALID_JSON`: [`WireError::Json`], not UTF-8 JSON of the expected object.
    /// - `UNSUPPORTED_VERSION`: [`WireError::Version`], an `x402Version` other than 1 or 2.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::TooLarge(_) => "HEADER_TOO_LARGE",
            WireError::Base64(_) => "INVALID_BASE64",
            WireError::Json(_) => "INVALID_JSON",
            WireError::Version(_) => "UNSUPPORTED_VERSION",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One of each variant.
    pub(crate) fn every_wire_error() -> [WireError; 4] {
        [
            WireError::TooLarge(MAX_HEADER_BYTES + 1),
            WireError::Base64(String::new()),
            WireError::Json(String::new()),
            WireError::Version(3),
        ]
    }

    #[test]
    fn every_error_has_its_own_stable_code() {
        crate::tests::assert_stable_codes(&every_wire_error().map(|e| e.code()));
    }

    #[test]
    fn each_decoding_failure_has_its_code() {
        let code = |header: &str| PaymentHeader::decode(header).unwrap_err().code();
        assert_eq!(code(&"A".repeat(MAX_HEADER_BYTES + 4)), "HEADER_TOO_LARGE");
        assert_eq!(code("eyJ4NDAy-_"), "INVALID_BASE64");
        assert_eq!(code("eyJ4NDAy"), "INVALID_JSON");
        let v3 = encode_header(&serde_json::json!({"x402Version": 3}));
        assert_eq!(code(&v3), "UNSUPPORTED_VERSION");
    }
}
