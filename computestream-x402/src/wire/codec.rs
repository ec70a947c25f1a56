//! The header codec: compact JSON in standard base64, size-capped before decoding.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{MAX_HEADER_BYTES, WireError};

// Standard alphabet (SIMD-accelerated), padded on output; padded or unpadded accepted on
// input. The URL-safe alphabet and whitespace are rejected by the alphabet itself.
use base64_simd::{STANDARD, STANDARD_NO_PAD};

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

pub(super) fn json_error(e: serde_json::Error) -> WireError {
    WireError::Json(e.to_string())
}

/// Decodes a header into `T`.
pub fn decode_header<T: DeserializeOwned>(header: &str) -> Result<T, WireError> {
    serde_json::from_str(&decode_text(header)?).map_err(json_error)
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
}
