//! The two Aptos/Movement schemes: `exact` (a `primary_fungible_store::transfer`, wire-compatible
//! with the reference `@x402/aptos`) and `stream` (ours: a `payment_stream::rent` that locks an
//! escrow and opens a per-second stream). Requirements builders, the client side (build and
//! sign) and the local verification rules; the ledger-backed checks and settlement are in
//! [`crate::facilitator`].

use aptos_sdk::transaction::{EntryFunction, RawTransaction, TransactionPayload};
use aptos_sdk::types::ChainId;
use computestream_core::contract::{Call, FrameworkCall, metadata_type_tag};
use computestream_core::math::RATE_SCALE;
use computestream_core::{AccountAddress, AssetId, Rate, Signer};
use serde_json::{Map, json};

use crate::Network;
use crate::aptos::{
    AptosPayment, MAX_PLAUSIBLE_NOW_SECS, VerifyPolicy, requirement_address, requirement_amount,
    verify_envelope,
};
use crate::reason::{Invalid, Reason};
use crate::wire::{PaymentPayload, PaymentPayloadRef, PaymentRequirements, ResourceInfo};

mod client;
mod verify;

pub use client::*;
pub use verify::*;

/// An x402 scheme this crate speaks on Aptos-family networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `exact`: pay `amount` of `asset` to `payTo`.
    Exact,
    /// `stream`: escrow `amount` and stream it to `payTo` per second of compute.
    Stream,
}

impl Scheme {
    /// The wire name.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::Exact => "exact",
            Scheme::Stream => "stream",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Scheme> {
        match name {
            "exact" => Some(Scheme::Exact),
            "stream" => Some(Scheme::Stream),
            _ => None,
        }
    }
}

/// `exact` requirements: `amount` base units of `asset` to `pay_to`, gas sponsored by
/// `fee_payer` if given.
pub fn exact_requirements(
    network: Network,
    asset: AssetId,
    pay_to: AccountAddress,
    amount: u64,
    max_timeout_seconds: u64,
    fee_payer: Option<AccountAddress>,
) -> PaymentRequirements {
    let mut extra = Map::new();
    if let Some(fp) = fee_payer {
        extra.insert("feePayer".into(), json!(fp.to_long_string()));
    }
    PaymentRequirements {
        scheme: Scheme::Exact.name().into(),
        network: network.caip2().into(),
        amount: amount.to_string(),
        asset: asset.0.to_long_string(),
        pay_to: pay_to.to_long_string(),
        max_timeout_seconds,
        extra,
    }
}

/// The terms a provider streams at, as the `stream` scheme's requirements carry them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamTerms {
    /// The network.
    pub network: Network,
    /// Where the contracts are deployed.
    pub contract: AccountAddress,
    /// The provider (payee).
    pub provider: AccountAddress,
    /// The streamed asset.
    pub asset: AssetId,
    /// The provider's on-chain price.
    pub rate: Rate,
    /// The longest rental offered; the deposit is the rate over this duration, rounded up.
    pub max_duration_seconds: u64,
    /// The fee payer sponsoring gas, if any.
    pub fee_payer: Option<AccountAddress>,
}

/// Why a rate and a duration make no `stream` offer, or the deposit they ask:
/// `ceil(rate × duration / 1e9)` base units.
fn deposit_for(rate_per_second: u128, max_duration_seconds: u64) -> Result<u64, String> {
    if max_duration_seconds == 0 {
        return Err("maxDurationSeconds is 0: a rental lasts at least a second".into());
    }
    if rate_per_second == 0 {
        return Err("ratePerSecond is 0: a stream pays for its seconds".into());
    }
    rate_per_second
        .checked_mul(u128::from(max_duration_seconds))
        .map(|nanos| nanos.div_ceil(RATE_SCALE))
        .and_then(|deposit| u64::try_from(deposit).ok())
        .ok_or_else(|| "the deposit (rate × duration) exceeds u64".into())
}

/// Checks a `stream` offer's `amount` against its rate and duration.
fn check_stream_amount(
    rate_per_second: u128,
    max_duration: u64,
    amount: u64,
) -> Result<(), String> {
    let deposit = deposit_for(rate_per_second, max_duration)?;
    if amount != deposit {
        return Err(format!(
            "amount {amount} is not the deposit for {max_duration} s at {rate_per_second} \
             nano-units/s: ceil(rate × duration / 1e9) = {deposit}"
        ));
    }
    Ok(())
}

/// The deposit a `stream` offer asks for `max_duration_seconds` at `rate_per_second`
/// (nano-units per second, the on-chain price): `ceil(rate × duration / 1e9)` base units, the
/// least that funds every second of the rental. A rental of no seconds, a zero rate and a
/// deposit past `u64` are [`PayError::BadRequirements`]. The `stream` requirements' `amount`
/// must be exactly this: clients refuse to pay, and verifiers refuse to verify, any other.
pub fn stream_deposit(rate_per_second: u128, max_duration_seconds: u64) -> Result<u64, PayError> {
    deposit_for(rate_per_second, max_duration_seconds).map_err(PayError::BadRequirements)
}

impl StreamTerms {
    /// The deposit ([`stream_deposit`]), or why these terms make no offer.
    pub fn checked_deposit(&self) -> Result<u64, PayError> {
        stream_deposit(self.rate.nanos_per_second(), self.max_duration_seconds)
    }

    /// The deposit: `ceil(rate × max_duration)`, so the escrow covers the whole rental;
    /// `None` when the terms make no offer (see [`StreamTerms::checked_deposit`]).
    pub fn deposit(&self) -> Option<u64> {
        self.checked_deposit().ok()
    }

    /// The `stream` requirements (`extra`: `ratePerSecond`, `maxDurationSeconds`, `contract`,
    /// `feePayer?`); `None` when the terms make no offer (see
    /// [`StreamTerms::checked_deposit`]).
    pub fn requirements(&self, max_timeout_seconds: u64) -> Option<PaymentRequirements> {
        self.checked_requirements(max_timeout_seconds).ok()
    }

    /// [`StreamTerms::requirements`], or why the terms make no offer.
    pub fn checked_requirements(
        &self,
        max_timeout_seconds: u64,
    ) -> Result<PaymentRequirements, PayError> {
        let amount = self.checked_deposit()?;
        let mut extra = Map::new();
        extra.insert(
            "ratePerSecond".into(),
            json!(self.rate.nanos_per_second().to_string()),
        );
        extra.insert(
            "maxDurationSeconds".into(),
            json!(self.max_duration_seconds.to_string()),
        );
        extra.insert("contract".into(), json!(self.contract.to_long_string()));
        if let Some(fp) = self.fee_payer {
            extra.insert("feePayer".into(), json!(fp.to_long_string()));
        }
        Ok(PaymentRequirements {
            scheme: Scheme::Stream.name().into(),
            network: self.network.caip2().into(),
            amount: amount.to_string(),
            asset: self.asset.0.to_long_string(),
            pay_to: self.provider.to_long_string(),
            max_timeout_seconds,
            extra,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One of each variant.
    pub(crate) fn every_pay_error() -> [PayError; 4] {
        [
            PayError::Unsupported(String::new()),
            PayError::BadRequirements(String::new()),
            PayError::BadParams(String::new()),
            PayError::Signing(String::new()),
        ]
    }

    fn requirements() -> PaymentRequirements {
        exact_requirements(
            Network::Localnet,
            AssetId::NATIVE,
            AccountAddress::ONE,
            1_000,
            60,
            None,
        )
    }

    #[test]
    fn every_pay_error_has_its_own_stable_code() {
        crate::tests::assert_stable_codes(&every_pay_error().map(|e| e.code()));
    }

    #[test]
    fn a_now_in_milliseconds_is_refused_before_signing() {
        let signer = Signer::from_seed("schemes:ms");
        let ms = TxnParams::new(0, 1_767_225_540_000);
        let err = pay(&signer, &requirements(), None, ms, "").unwrap_err();
        assert_eq!(err.code(), "INVALID_TXN_PARAMS");
        assert!(err.to_string().contains("milliseconds"), "{err}");
        let secs = TxnParams::new(0, 1_767_225_540);
        assert!(pay(&signer, &requirements(), None, secs, "").is_ok());
    }

    #[test]
    fn the_expiry_is_bounded_by_the_timeout_plus_the_skew() {
        let signer = Signer::from_seed("schemes:expiry");
        let r = requirements();
        let now = 1_767_225_540;
        let p = pay(&signer, &r, None, TxnParams::new(0, now), "").unwrap();
        let policy = VerifyPolicy::default();
        let verify = |at| {
            verify_local(&p.view(), &r, &policy, at)
                .map(|_| ())
                .map_err(|e| e.reason)
        };
        assert_eq!(verify(now), Ok(()));
        assert_eq!(verify(now - 30), Ok(()), "a verifier 30 s behind the payer");
        assert_eq!(verify(now - 31), Err(Reason::ExpirationTooFar));
        assert_eq!(verify(now + 56), Err(Reason::TransactionExpired));
        assert_eq!(
            verify(now * 1_000),
            Err(Reason::VerificationError),
            "a verifier whose clock is in milliseconds accepts nothing"
        );
    }

    fn terms(rate: u128, max_duration_seconds: u64) -> StreamTerms {
        StreamTerms {
            network: Network::Localnet,
            contract: AccountAddress::ONE,
            provider: AccountAddress::from_hex("0xb0b").unwrap(),
            asset: AssetId::NATIVE,
            rate: Rate::from_nanos_per_second(rate),
            max_duration_seconds,
            fee_payer: None,
        }
    }

    #[test]
    fn stream_offers_of_no_seconds_or_no_price_are_not_built() {
        let code = |t: StreamTerms| t.checked_requirements(60).unwrap_err().code();
        assert_eq!(code(terms(2_000_000_000_000, 0)), "INVALID_REQUIREMENTS");
        assert_eq!(code(terms(0, 600)), "INVALID_REQUIREMENTS");
        assert_eq!(code(terms(u128::MAX, 600)), "INVALID_REQUIREMENTS");
        assert_eq!(terms(2_000_000_000_000, 0).requirements(60), None);
        assert_eq!(terms(2_000_000_000_000, 600).deposit(), Some(1_200_000));
        // Below one unit a second, the deposit rounds up: 3 s at 1 nano-unit/s is 1 unit.
        assert_eq!(terms(1, 3).deposit(), Some(1));
    }

    #[test]
    fn a_client_refuses_stream_requirements_whose_amount_is_not_the_deposit() {
        let signer = Signer::from_seed("schemes:stream");
        let offer = terms(2_000_000_000_000, 600).requirements(60).unwrap();
        assert!(pay(&signer, &offer, None, TxnParams::new(0, 1_000), "img").is_ok());
        for amount in ["1", "1199999", "1200001", "0"] {
            let mut r = offer.clone();
            r.amount = amount.into();
            let err = pay(&signer, &r, None, TxnParams::new(0, 1_000), "img").unwrap_err();
            assert_eq!(err.code(), "INVALID_REQUIREMENTS", "{amount}");
            assert!(err.to_string().contains("1200000"), "{err}");
        }
        let mut r = offer.clone();
        r.amount = "0".into();
        r.extra.insert("maxDurationSeconds".into(), json!("0"));
        let err = pay(&signer, &r, None, TxnParams::new(0, 1_000), "img").unwrap_err();
        assert!(err.to_string().contains("maxDurationSeconds is 0"), "{err}");
    }

    proptest::proptest! {
        /// The deposit covers the rental as the contract's math counts it (the stream does
        /// not deplete before the last second), and is the least amount at or above its exact
        /// cost, `rate × duration / 1e9`.
        #[test]
        fn the_deposit_is_the_cost_of_the_rental_rounded_up(
            rate in 1u128..=10_000_000_000_000_000,
            duration in 1u64..=10_000_000,
        ) {
            use computestream_core::math::{accrued, seconds_to_deplete};
            let deposit = stream_deposit(rate, duration).unwrap();
            proptest::prop_assert!(seconds_to_deplete(deposit, rate) >= u128::from(duration));
            proptest::prop_assert!(u128::from(deposit) >= accrued(rate, duration));
            let cost = rate * u128::from(duration);
            proptest::prop_assert!(u128::from(deposit) * RATE_SCALE >= cost);
            proptest::prop_assert!(u128::from(deposit - 1) * RATE_SCALE < cost);
        }
    }

    #[test]
    fn each_unpayable_requirement_has_its_code() {
        let signer = Signer::from_seed("schemes:codes");
        let code = |r: &PaymentRequirements| {
            pay(&signer, r, None, TxnParams::new(0, 0), "")
                .unwrap_err()
                .code()
        };
        let mut r = requirements();
        r.network = "aptos:9".into();
        assert_eq!(code(&r), "UNSUPPORTED_SCHEME_OR_NETWORK");
        let mut r = requirements();
        r.scheme = "upto".into();
        assert_eq!(code(&r), "UNSUPPORTED_SCHEME_OR_NETWORK");
        let mut r = requirements();
        r.amount = "-1".into();
        assert_eq!(code(&r), "INVALID_REQUIREMENTS");
        let mut r = requirements();
        r.scheme = "stream".into();
        assert_eq!(code(&r), "INVALID_REQUIREMENTS", "stream without its extra");
        // A rental needs an image to run: refused before signing, not by the contract.
        let terms = StreamTerms {
            network: Network::Localnet,
            contract: AccountAddress::from_hex("0xcafe").unwrap(),
            provider: signer.address(),
            asset: AssetId::NATIVE,
            rate: Rate::from_nanos_per_second(1_000_000_000),
            max_duration_seconds: 60,
            fee_payer: None,
        };
        let e = code(&terms.requirements(60).unwrap());
        assert_eq!(e, "INVALID_TXN_PARAMS");
    }
}
