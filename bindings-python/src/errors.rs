//! The exception tree. Every error of the core and of x402 has a stable `code`
//! (`computestream_core::ErrorCode`); the class is chosen from it, once, here:
//!
//! ```text
//! ComputeStreamError (ValueError)      .code, .abort_name
//! ├── InvalidInput                     bad arguments, undecodable input
//! ├── AbortError                       .module, .abort_code, .name
//! │   ├── ProviderRegistryError, JobRegistryError, EscrowError, PaymentStreamError
//! │   └── FungibleAssetError
//! ├── NodeError                        .error_code (the node's VM status), .retryable, .status
//! ├── PaymentRequired                  a 402 this client cannot answer
//! │   └── SpendingLimitExceeded        the spending policy refused
//! └── PaymentRejected                  .invalid_reason: the server refused the payment
//! ```

use computestream_core::ErrorCode;
use computestream_core::contract::{AbortCode, AbortModule};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    computestream,
    ComputeStreamError,
    PyValueError,
    "Every error the core raises: `code` is its stable name (`INVALID_INPUT`, ...), \
     `abort_name` the Move abort's name when a contract aborted, else `None`."
);
create_exception!(
    computestream,
    InvalidInput,
    ComputeStreamError,
    "Arguments out of range or malformed, or input that does not decode."
);
create_exception!(
    computestream,
    AbortError,
    ComputeStreamError,
    "A contract aborted: `module`, `abort_code` (the number), `name` (`E_STREAM_NOT_FOUND`)."
);
create_exception!(
    computestream,
    ProviderRegistryError,
    AbortError,
    "An abort of `provider_registry`."
);
create_exception!(
    computestream,
    JobRegistryError,
    AbortError,
    "An abort of `job_registry`."
);
create_exception!(
    computestream,
    EscrowError,
    AbortError,
    "An abort of `escrow`."
);
create_exception!(
    computestream,
    PaymentStreamError,
    AbortError,
    "An abort of `payment_stream`."
);
create_exception!(
    computestream,
    FungibleAssetError,
    AbortError,
    "An abort of `0x1::fungible_asset` (an insufficient balance)."
);
create_exception!(
    computestream,
    NodeError,
    ComputeStreamError,
    "The node refused, failed or could not be reached: `error_code` is the node's VM status when it gave one, `retryable` whether trying again may succeed."
);
create_exception!(
    computestream,
    PaymentRequired,
    ComputeStreamError,
    "A 402 this client cannot answer (unreadable challenge, no supported network)."
);
create_exception!(
    computestream,
    SpendingLimitExceeded,
    PaymentRequired,
    "The spending policy refused to pay (per-payment cap, hourly budget, network, asset or scheme)."
);
create_exception!(
    computestream,
    PaymentRejected,
    ComputeStreamError,
    "The server refused the payment: `invalid_reason` is its reason (`invalid_exact_aptos_replayed`, ...)."
);

/// Registers the classes in the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ComputeStreamError", py.get_type::<ComputeStreamError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("AbortError", py.get_type::<AbortError>())?;
    m.add(
        "ProviderRegistryError",
        py.get_type::<ProviderRegistryError>(),
    )?;
    m.add("JobRegistryError", py.get_type::<JobRegistryError>())?;
    m.add("EscrowError", py.get_type::<EscrowError>())?;
    m.add("PaymentStreamError", py.get_type::<PaymentStreamError>())?;
    m.add("FungibleAssetError", py.get_type::<FungibleAssetError>())?;
    m.add("NodeError", py.get_type::<NodeError>())?;
    m.add("PaymentRequired", py.get_type::<PaymentRequired>())?;
    m.add(
        "SpendingLimitExceeded",
        py.get_type::<SpendingLimitExceeded>(),
    )?;
    m.add("PaymentRejected", py.get_type::<PaymentRejected>())?;
    Ok(())
}

fn class_of(code: &str, abort: Option<AbortCode>) -> fn(String) -> PyErr {
    if let Some(abort) = abort {
        return match abort.module() {
            AbortModule::ProviderRegistry => ProviderRegistryError::new_err,
            AbortModule::JobRegistry => JobRegistryError::new_err,
            AbortModule::Escrow => EscrowError::new_err,
            AbortModule::PaymentStream => PaymentStreamError::new_err,
            AbortModule::FungibleAsset => FungibleAssetError::new_err,
        };
    }
    match code {
        "INVALID_INPUT"
        | "DECODE"
        | "INVALID_JSON"
        | "INVALID_BASE64"
        | "UNSUPPORTED_VERSION"
        | "HEADER_TOO_LARGE"
        | "INVALID_REQUIREMENTS"
        | "INVALID_TXN_PARAMS"
        | "SIGNING_FAILED" => InvalidInput::new_err,
        "ABORT" => AbortError::new_err,
        "REJECTED" | "EXECUTION_FAILED" | "TRANSPORT" | "APTOS_SDK" | "NOT_FOUND" | "STORAGE"
        | "LEDGER_ERROR" | "TRANSPORT_ERROR" => NodeError::new_err,
        "INVALID_CHALLENGE" | "UNSUPPORTED_SCHEME_OR_NETWORK" | "REQUEST_NOT_RETRYABLE" => {
            PaymentRequired::new_err
        }
        "PAYMENT_NOT_ALLOWED" | "BUDGET_EXCEEDED" => SpendingLimitExceeded::new_err,
        "PAYMENT_REFUSED" => PaymentRejected::new_err,
        _ => ComputeStreamError::new_err,
    }
}

/// Builds the exception for an error, with its attributes.
fn build(
    message: String,
    code: &'static str,
    abort_name: Option<&'static str>,
    extra: &[(&str, Option<String>)],
    retryable: Option<bool>,
) -> PyErr {
    let abort = abort_name.and_then(AbortCode::from_name);
    let err = class_of(code, abort)(message);
    Python::attach(|py| {
        let value = err.value(py);
        let set = || -> PyResult<()> {
            value.setattr("code", code)?;
            value.setattr("abort_name", abort_name)?;
            if let Some(a) = abort {
                value.setattr("module", a.module().name())?;
                value.setattr("abort_code", a.code())?;
                value.setattr("name", a.name())?;
            }
            for (k, v) in extra {
                value.setattr(*k, v.clone())?;
            }
            if let Some(r) = retryable {
                value.setattr("retryable", r)?;
            }
            Ok(())
        };
        set().map_or_else(|failed| failed, |()| err)
    })
}

/// Any error with a stable code.
pub(crate) fn error(e: impl ErrorCode) -> PyErr {
    build(e.to_string(), e.code(), e.abort_name(), &[], None)
}

/// A core error (node errors keep their VM status and retryability).
pub(crate) fn core(e: computestream_core::Error) -> PyErr {
    let error_code = match &e {
        computestream_core::Error::Rejected { reason, .. } => Some(reason.vm_status().to_string()),
        computestream_core::Error::ExecutionFailed { vm_status, .. } => Some(vm_status.clone()),
        _ => None,
    };
    let status = e.http_status();
    let retryable = e.is_retryable();
    let err = build(
        e.to_string(),
        e.code(),
        e.abort_name(),
        &[("error_code", error_code)],
        Some(retryable),
    );
    Python::attach(|py| {
        let _ = err.value(py).setattr("status", status);
    });
    err
}

/// An x402 client error (a refusal keeps the server's reason).
pub(crate) fn client(e: computestream_x402::http::ClientError) -> PyErr {
    use computestream_x402::http::ClientError;
    match e {
        ClientError::Ledger(inner) => {
            let err = core(inner);
            Python::attach(|py| {
                let _ = err.value(py).setattr("code", "LEDGER_ERROR");
            });
            err
        }
        ClientError::Refused {
            ref reason,
            ref message,
            ..
        } => {
            let details = [
                ("invalid_reason", Some(reason.clone())),
                ("invalid_message", message.clone()),
            ];
            build(e.to_string(), e.code(), None, &details, None)
        }
        other => build(other.to_string(), other.code(), None, &[], None),
    }
}

/// `InvalidInput` for an argument the binding could not convert.
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    build(message.into(), "INVALID_INPUT", None, &[], None)
}

/// `FORKED`: an object used in a process it was not made in.
pub(crate) fn forked(what: &str) -> PyErr {
    build(
        format!(
            "{what} was made in another process (before fork()); make a new one in this process"
        ),
        "FORKED",
        None,
        &[],
        None,
    )
}
