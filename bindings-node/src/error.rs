//! The one mapping of core and x402 errors to JavaScript for the async classes: the thrown
//! `Error`'s message is the JSON `{code, message, ...details}` (`abortName`, `module`,
//! `abortCode` for an abort; `status`, `invalidReason` for a refused payment), which
//! `index.js` turns into the `Error` subclass of the code. The synchronous `raw` functions keep
//! throwing `Error`s whose `code` is the core's code (see `lib.rs`).

use computestream_x402::http::ClientError;
use serde_json::{Value, json};

fn thrown(detail: Value) -> napi::Error {
    napi::Error::from_reason(detail.to_string())
}

/// A core error, with the abort's name, module and code when it is one, and whether trying
/// again may succeed and the node's HTTP status when the node failed.
pub(crate) fn core(e: computestream_core::Error) -> napi::Error {
    let mut detail =
        json!({"code": e.code(), "message": e.to_string(), "retryable": e.is_retryable()});
    if let Some(status) = e.http_status() {
        detail["status"] = json!(status);
    }
    if let Some(abort) = e.abort_code() {
        detail["abortName"] = abort.name().into();
        detail["module"] = abort.module().name().into();
        detail["abortCode"] = abort.code().into();
    }
    thrown(detail)
}

/// A paying client's error; a refusal carries the status and the server's reason.
pub(crate) fn payer(e: ClientError) -> napi::Error {
    let text = e.to_string();
    match e {
        ClientError::Ledger(inner) => core(inner),
        ClientError::Refused {
            status,
            reason,
            message,
        } => thrown(json!({
            "code": "PAYMENT_REFUSED",
            "message": text,
            "status": status,
            "invalidReason": reason,
            "invalidMessage": message,
        })),
        other => thrown(json!({"code": other.code(), "message": text})),
    }
}

/// Input the binding itself refuses.
pub(crate) fn input(message: impl std::fmt::Display) -> napi::Error {
    core(computestream_core::Error::InvalidArgument(
        message.to_string(),
    ))
}

/// A u64 argument, passed as a decimal string by `index.js`.
pub(crate) fn u64_arg(text: &str, what: &str) -> napi::Result<u64> {
    computestream_core::facade::parse_int(text, what).map_err(core)
}

/// An address argument.
pub(crate) fn address_arg(
    text: &str,
    what: &str,
) -> napi::Result<computestream_core::AccountAddress> {
    computestream_core::AccountAddress::from_hex(text.trim())
        .map_err(|e| input(format!("{what} {text:?}: {e}")))
}

/// An x402 wire error (its stable code).
pub(crate) fn coded(e: impl computestream_core::ErrorCode) -> napi::Error {
    thrown(json!({"code": e.code(), "message": e.to_string()}))
}
