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
