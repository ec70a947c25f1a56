//! Errors in the node's shape: `{message, error_code, vm_error_code}` with the node's status,
//! for the ledger's errors, the web framework's rejections, unknown routes and methods.

use super::*;

/// The body of an error in the node's shape: `{message, error_code, vm_error_code}`.
pub(super) fn node_error_json(code: &str, message: impl Into<String>, vm: Option<u64>) -> Value {
    let mut body = json!({"message": message.into(), "error_code": code});
    if let Some(vm) = vm {
        body["vm_error_code"] = json!(vm);
    }
    body
}

/// An error in the node's shape: `{message, error_code, vm_error_code}`.
pub(super) fn node_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    vm: Option<u64>,
) -> Response {
    (status, axum::Json(node_error_json(code, message, vm))).into_response()
}

/// The web framework's own error answers in the node's shape, as the node converts those of
/// its framework (poem): an extractor's rejection (a query string, path or body it cannot
/// read, a body over the limit), a 405, the request deadline's 408. The status and headers
/// (e.g. `Allow`) stay, the error code is `web_framework_error` and the framework's text the
/// message. Answers already in the node's JSON shape pass through.
pub(super) async fn node_shaped_framework_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are one line; a longer body is not one, and its text is not needed.
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        text => text.to_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let body = node_error_json("web_framework_error", message, None).to_string();
    Response::from_parts(parts, body.into())
}

pub(super) fn reject_code(reason: RejectReason) -> Option<u64> {
    // Aptos `StatusCode` numbers.
    match reason {
        RejectReason::InvalidSignature => Some(1),
        RejectReason::SequenceNumberTooOld => Some(3),
        RejectReason::SequenceNumberTooNew => Some(4),
        RejectReason::TransactionExpired => Some(6),
        _ => None,
    }
}

pub(super) fn error_response(e: Error, contract: AccountAddress) -> Response {
    match e {
        Error::Rejected {
            reason: RejectReason::MalformedTransaction,
            message,
        } => node_error(StatusCode::BAD_REQUEST, "invalid_input", message, None),
        Error::Rejected { reason, message } => node_error(
            StatusCode::BAD_REQUEST,
            "vm_error",
            format!(
                "Invalid transaction: Type: Validation Code: {}: {message}",
                reason.vm_status()
            ),
            reject_code(reason),
        ),
        Error::Abort { code, .. } => {
            let address = if code.module() == AbortModule::FungibleAsset {
                AccountAddress::ONE
            } else {
                contract
            }
            .to_hex();
            node_error(
                StatusCode::BAD_REQUEST,
                "vm_error",
                format!(
                    "Move abort in {address}::{}: {}(0x{:x})",
                    code.module().name(),
                    code.name(),
                    code.code()
                ),
                Some(4016),
            )
        }
        Error::InvalidArgument(m) | Error::Decode(m) => {
            node_error(StatusCode::BAD_REQUEST, "invalid_input", m, None)
        }
        other => node_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            other.to_string(),
            None,
        ),
    }
}

pub(super) async fn not_found() -> Response {
    node_error(
        StatusCode::NOT_FOUND,
        "web_framework_error",
        "not found",
        None,
    )
}

pub(super) async fn method_not_allowed() -> Response {
    node_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "web_framework_error",
        "method not allowed",
        None,
    )
}
