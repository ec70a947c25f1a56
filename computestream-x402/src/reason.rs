//! Why a payment is invalid, spelled as x402 `invalidReason` strings. The `exact` scheme uses
//! the reference facilitator's strings (`invalid_exact_aptos_payload_…`); the `stream` scheme
//! the same suffixes under `invalid_stream_aptos_payload_`.

use std::fmt;

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident => $kind:ident $text:literal, )*) => {
        /// A verification failure, independent of the scheme.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
        }

        impl Reason {
            /// Every reason.
            pub const ALL: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The `invalidReason` string under `scheme`.
            pub fn code(self, scheme: &str) -> String {
                match self {
                    $( Reason::$variant => reasons!(@code $kind scheme $text), )*
                }
            }

            /// The reason an `invalidReason` (or a failed settlement's `errorReason`) string
            /// under `scheme` names, if it is one of these.
            pub fn from_code(code: &str, scheme: &str) -> Option<Reason> {
                Reason::ALL.iter().copied().find(|r| r.code(scheme) == code)
            }
        }
    };
    (@code plain $scheme:ident $text:literal) => { $text.to_string() };
    (@code scoped $scheme:ident $text:literal) => { format!("invalid_{}_aptos_payload_{}", $scheme, $text) };
}

reasons! {
    /// `x402Version` is not 2.
    UnsupportedVersion => scoped "unsupported_version",
    /// The server's requirements contradict themselves (a `stream` offer whose amount is not
    /// the deposit for its rate and duration, or of no seconds): the x402 spec's standard
    /// code for invalid requirements.
    InvalidPaymentRequirements => plain "invalid_payment_requirements",
    /// The payload's or the requirements' scheme is not this one.
    UnsupportedScheme => plain "unsupported_scheme",
    /// The payload names another network, or one this crate does not know.
    NetworkMismatch => plain "network_mismatch",
    /// Ours: the payment's `accepted` differs from the requirements in `maxTimeoutSeconds` or
    /// `extra` (the reference servers refuse it before verifying, with the 402 error "No
    /// matching payment requirements"; a difference in amount, asset or payTo gets the
    /// reference Aptos reason for that field).
    NoMatchingRequirements => plain "no_matching_payment_requirements",
    /// `extra.feePayer` is not one of this facilitator's fee payers.
    FeePayerNotManaged => plain "fee_payer_not_managed_by_facilitator",
    /// The transaction's chain id is not the network's.
    ChainIdMismatch => scoped "chain_id_mismatch",
    /// The public key does not derive the sender.
    SenderAuthenticatorMismatch => scoped "sender_authenticator_mismatch",
    /// The sender's signature does not verify.
    InvalidSignature => scoped "sender_authenticator_invalid_signature",
    /// Not an Ed25519 sender.
    UnsupportedAuthenticator => scoped "unsupported_authenticator",
    /// A sponsored transaction asks for too much gas.
    GasTooHigh => scoped "gas_too_high",
    /// A sponsored transaction's gas price is too high.
    GasUnitPriceTooHigh => scoped "gas_unit_price_too_high",
    /// The transaction's fee payer is not the advertised one (or is missing / unexpected).
    FeePayerMismatch => scoped "fee_payer_mismatch",
    /// The sender is one of the fee payers.
    FeePayerTransferringFunds => scoped "fee_payer_transferring_funds",
    /// Expires too soon.
    TransactionExpired => scoped "transaction_expired",
    /// Ours: expires later than `now + maxTimeoutSeconds` plus the allowed clock skew (the
    /// reference has no upper bound, so no string for it).
    ExpirationTooFar => scoped "expiration_too_far",
    /// Not an entry function.
    MissingEntryFunction => scoped "missing_entry_function",
    /// Another function than the scheme's.
    WrongFunction => scoped "wrong_function",
    /// Wrong type arguments.
    WrongTypeArgs => scoped "wrong_type_args",
    /// Wrong arguments.
    WrongArgs => scoped "wrong_args",
    /// Another asset.
    AssetMismatch => scoped "asset_mismatch",
    /// Another amount (the `stream` scheme: another deposit).
    AmountMismatch => scoped "amount_mismatch",
    /// Another recipient (the `stream` scheme: another provider).
    RecipientMismatch => scoped "recipient_mismatch",
    /// The `stream` scheme: the rate cap is below the advertised rate.
    RateTooLow => scoped "rate_too_low",
    /// The `stream` scheme: a longer rental than advertised.
    DurationTooLong => scoped "duration_too_long",
    /// The sender cannot pay.
    InsufficientBalance => scoped "insufficient_balance",
    /// The ledger's simulation failed.
    SimulationFailed => scoped "simulation_failed",
    /// The payload does not decode, or another check failed.
    VerificationError => scoped "verification_error",
    /// The payload was already presented and is locked or settled.
    Replayed => scoped "replayed",
    /// A settlement of a payment that is being or was already settled (the reference
    /// facilitators' `errorReason` for it).
    DuplicateSettlement => plain "duplicate_settlement",
}

/// A failed check: the reason and a human detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// What failed.
    pub reason: Reason,
    /// Details for logs and `invalidMessage`.
    pub message: String,
}

impl Invalid {
    /// A failure.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Invalid {
            reason,
            message: message.into(),
        }
    }

    /// The x402 `invalidReason` string of this failure under `scheme`: what `/verify`
    /// answers in `invalidReason` and a refused settlement in `errorReason`.
    pub fn invalid_reason(&self, scheme: &str) -> String {
        self.reason.code(scheme)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.reason, self.message)
    }
}

impl std::error::Error for Invalid {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_reference_strings() {
        assert_eq!(
            Reason::InvalidSignature.code("exact"),
            "invalid_exact_aptos_payload_sender_authenticator_invalid_signature"
        );
        assert_eq!(
            Reason::UnsupportedVersion.code("exact"),
            "invalid_exact_aptos_payload_unsupported_version"
        );
        assert_eq!(
            Reason::FeePayerNotManaged.code("exact"),
            "fee_payer_not_managed_by_facilitator"
        );
        assert_eq!(
            Reason::DuplicateSettlement.code("stream"),
            "duplicate_settlement"
        );
        assert_eq!(
            Reason::RateTooLow.code("stream"),
            "invalid_stream_aptos_payload_rate_too_low"
        );
        let mut codes: Vec<String> = Reason::ALL.iter().map(|r| r.code("exact")).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Reason::ALL.len());
    }

    #[test]
    fn invalid_reason_strings_read_back_as_reasons() {
        for scheme in ["exact", "stream"] {
            for &reason in Reason::ALL {
                let invalid = Invalid::new(reason, "detail");
                let code = invalid.invalid_reason(scheme);
                assert_eq!(code, reason.code(scheme));
                assert_eq!(Reason::from_code(&code, scheme), Some(reason), "{code}");
            }
        }
        assert_eq!(
            Reason::from_code("invalid_exact_aptos_payload_replayed", "stream"),
            None
        );
        assert_eq!(Reason::from_code("transaction_failed", "exact"), None);
    }
}
