//! The one error type of the core.

use std::fmt;

use aptos_sdk::HashValue;
use serde::{Deserialize, Serialize};

use crate::contract::abort::AbortCode;

/// An error with a stable code: what every language binding exposes (Python's exception
/// classes, JavaScript's `error.code`) and what the cross-language case tables check. The
/// core's [`Error`] and the x402 crate's errors implement it.
pub trait ErrorCode: std::error::Error {
    /// A stable SCREAMING_SNAKE name for the kind of failure.
    fn code(&self) -> &'static str;

    /// The Move abort's name (`E_STREAM_NOT_FOUND`) when the failure is a contract abort.
    fn abort_name(&self) -> Option<&'static str> {
        None
    }
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }

    fn abort_name(&self) -> Option<&'static str> {
        Error::abort_name(self)
    }
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a ledger refused a transaction before executing it (nothing committed, the sequence
/// number not used). The names are the Aptos VM status codes a node reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RejectReason {
    /// The sequence number was already used.
    SequenceNumberTooOld,
    /// The sequence number is ahead of the account's.
    SequenceNumberTooNew,
    /// `expiration_timestamp_secs` is not after the chain time.
    TransactionExpired,
    /// The chain id is not this chain's.
    BadChainId,
    /// The authenticator does not verify, or does not match the sender.
    InvalidSignature,
    /// The entry function does not exist.
    FunctionNotFound,
    /// Wrong number, type or encoding of arguments.
    InvalidArguments,
    /// The payload kind (script, multisig, ...) is not supported.
    UnsupportedPayload,
    /// The bytes are not a signed transaction.
    MalformedTransaction,
}

impl RejectReason {
    /// The Aptos VM status name (e.g. `SEQUENCE_NUMBER_TOO_OLD`).
    pub const fn vm_status(self) -> &'static str {
        match self {
            RejectReason::SequenceNumberTooOld => "SEQUENCE_NUMBER_TOO_OLD",
            RejectReason::SequenceNumberTooNew => "SEQUENCE_NUMBER_TOO_NEW",
            RejectReason::TransactionExpired => "TRANSACTION_EXPIRED",
            RejectReason::BadChainId => "BAD_CHAIN_ID",
            RejectReason::InvalidSignature => "INVALID_SIGNATURE",
            RejectReason::FunctionNotFound => "FUNCTION_RESOLUTION_FAILURE",
            RejectReason::InvalidArguments => "NUMBER_OF_ARGUMENTS_MISMATCH",
            RejectReason::UnsupportedPayload => "FEATURE_UNDER_GATING",
            RejectReason::MalformedTransaction => "UNEXPECTED_ERROR_FROM_KNOWN_MOVE_FUNCTION",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.vm_status())
    }
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A contract aborted with a named code: in a committed transaction (`hash` is set;
    /// its sequence number is used, nothing else changed) or in a view (`hash` is `None`).
    #[error("aborted with {code}")]
    Abort {
        /// The named abort code.
        code: AbortCode,
        /// The committed transaction's hash, for transactions.
        hash: Option<HashValue>,
    },
    /// The transaction was committed but failed in a way no named code covers.
    #[error("transaction {hash} failed: {vm_status}")]
    ExecutionFailed {
        /// The VM status as the ledger reported it.
        vm_status: String,
        /// The committed transaction's hash.
        hash: HashValue,
    },
    /// The ledger refused the transaction before executing it.
    #[error("transaction rejected ({reason}): {message}")]
    Rejected {
        /// Why.
        reason: RejectReason,
        /// The ledger's explanation.
        message: String,
    },
    /// A view or lookup found nothing.
    #[error("not found: {0}")]
    NotFound(String),
    /// An argument the caller passed is out of range or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Bytes from a ledger (a view result, an event, a log record) did not decode.
    #[error("decode error: {0}")]
    Decode(String),
    /// A ledger's storage (the embedded ledger's transaction log) could not be read or written.
    #[error("ledger storage: {0}")]
    Storage(#[from] std::io::Error),
    /// The transport to a node failed.
    #[error("transport: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
        /// The node's HTTP status, when it answered with an error status.
        status: Option<u16>,
    },
    /// An error from aptos-sdk (signing, BCS, REST).
    #[error(transparent)]
    Aptos(#[from] aptos_sdk::AptosError),
}

impl Error {
    /// A stable name for the kind of failure, the same in every language binding (Python's
    /// exception classes and JavaScript's `error.code` are built on it):
    ///
    /// | code | variant |
    /// |---|---|
    /// | `ABORT` | [`Error::Abort`]: see [`Error::abort_name`] |
    /// | `EXECUTION_FAILED` | [`Error::ExecutionFailed`] |
    /// | `REJECTED` | [`Error::Rejected`]: the VM status is in the message |
    /// | `NOT_FOUND` | [`Error::NotFound`] |
    /// | `INVALID_INPUT` | [`Error::InvalidArgument`] |
    /// | `DECODE` | [`Error::Decode`] |
    /// | `STORAGE` | [`Error::Storage`] |
    /// | `TRANSPORT` | [`Error::Transport`] |
    /// | `APTOS_SDK` | [`Error::Aptos`] |
    pub const fn code(&self) -> &'static str {
        match self {
            Error::Abort { .. } => "ABORT",
            Error::ExecutionFailed { .. } => "EXECUTION_FAILED",
            Error::Rejected { .. } => "REJECTED",
            Error::NotFound(_) => "NOT_FOUND",
            Error::InvalidArgument(_) => "INVALID_INPUT",
            Error::Decode(_) => "DECODE",
            Error::Storage(_) => "STORAGE",
            Error::Transport { .. } => "TRANSPORT",
            Error::Aptos(_) => "APTOS_SDK",
        }
    }

    /// The node's HTTP status when it answered with an error status: a failed request's, or
    /// 404 for a lookup that found nothing ([`Error::NotFound`] is made only of a 404).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Transport { status, .. } => *status,
            Error::NotFound(_) => Some(404),
            _ => None,
        }
    }

    /// The abort's Move name (`E_STREAM_NOT_FOUND`), if the contracts aborted.
    pub fn abort_name(&self) -> Option<&'static str> {
        self.abort_code().map(AbortCode::name)
    }

    /// The named abort code, if the contracts aborted.
    pub fn abort_code(&self) -> Option<AbortCode> {
        match self {
            Error::Abort { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the same call may succeed if tried again (after refreshing the sequence
    /// number for the sequence-number rejections). Aborts are final: the chain state that
    /// caused them will not change by retrying the same transaction.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { retryable, .. } => *retryable,
            Error::Rejected { reason, .. } => matches!(
                reason,
                RejectReason::SequenceNumberTooOld
                    | RejectReason::SequenceNumberTooNew
                    | RejectReason::TransactionExpired
            ),
            _ => false,
        }
    }

    /// A [`Error::Decode`] from any displayable cause.
    pub fn decode(what: impl fmt::Display) -> Self {
        Error::Decode(what.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_aborts_carry_their_name() {
        let errors = [
            Error::Abort {
                code: AbortCode::StreamNotFound,
                hash: None,
            },
            Error::ExecutionFailed {
                vm_status: "OUT_OF_GAS".into(),
                hash: HashValue::new([0; 32]),
            },
            Error::Rejected {
                reason: RejectReason::BadChainId,
                message: "chain id 2 is not 4".into(),
            },
            Error::NotFound("x".into()),
            Error::InvalidArgument("x".into()),
            Error::Decode("x".into()),
            Error::Storage(std::io::Error::other("disk")),
            Error::Transport {
                message: "x".into(),
                retryable: true,
                status: None,
            },
            Error::Aptos(aptos_sdk::AptosError::Internal("x".into())),
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(Error::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        );
        assert_eq!(errors[0].abort_name(), Some("E_STREAM_NOT_FOUND"));
        assert_eq!(errors[3].abort_name(), None);
    }
}
