//! The two Aptos/Movement schemes: `exact` (a `primary_fungible_store::transfer`, wire-compatible
//! with the reference `@x402/aptos`) and `stream` (ours: a `payment_stream::rent` that locks an
//! escrow and opens a per-second stream). Requirements builders, the client side (build and
//! sign) and the local verification rules; the ledger-backed checks and settlement are in
//! [`crate::facilitator`].

use aptos_sdk::transaction::{EntryFunction, RawTransaction, TransactionPayload};
use aptos_sdk::types::ChainId;
use computestream_core::contract::{Call, FrameworkCall, metadata_type_tag};
use computestream_core::{AccountAddress, AssetId, Rate, Signer};
use serde_json::{Map, json};

use crate::Network;
use crate::aptos::{
    AptosPayment, MAX_PLAUSIBLE_NOW_SECS, VerifyPolicy, requirement_address, requirement_amount,
    verify_envelope,
};
use crate::reason::{Invalid, Reason};
use crate::wire::{PaymentPayload, PaymentPayloadRef, PaymentRequirements, ResourceInfo};

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

impl StreamTerms {
    /// The deposit: `ceil(rate × max_duration)`, so the escrow covers the whole rental.
    pub fn deposit(&self) -> Option<u64> {
        let nanos = self
            .rate
            .nanos_per_second()
            .checked_mul(u128::from(self.max_duration_seconds))?;
        u64::try_from(nanos.div_ceil(computestream_core::math::RATE_SCALE)).ok()
    }

    /// The `stream` requirements (`extra`: `ratePerSecond`, `maxDurationSeconds`, `contract`,
    /// `feePayer?`).
    pub fn requirements(&self, max_timeout_seconds: u64) -> Option<PaymentRequirements> {
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
        Some(PaymentRequirements {
            scheme: Scheme::Stream.name().into(),
            network: self.network.caip2().into(),
            amount: self.deposit()?.to_string(),
            asset: self.asset.0.to_long_string(),
            pay_to: self.provider.to_long_string(),
            max_timeout_seconds,
            extra,
        })
    }
}

/// Gas and sequence for a payment transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnParams {
    /// The sender's next sequence number.
    pub sequence_number: u64,
    /// Chain (or wall) time now; the transaction expires `maxTimeoutSeconds` later.
    pub now_secs: u64,
    /// Gas limit.
    pub max_gas_amount: u64,
    /// Gas price.
    pub gas_unit_price: u64,
}

impl TxnParams {
    /// Typical gas for a transfer or a rent, within the sponsored caps.
    pub const fn new(sequence_number: u64, now_secs: u64) -> Self {
        TxnParams {
            sequence_number,
            now_secs,
            max_gas_amount: 200_000,
            gas_unit_price: 100,
        }
    }
}

/// Why a client could not build a payment for some requirements.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// The scheme or network is not one this crate pays.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The requirements are malformed.
    #[error("bad requirements: {0}")]
    BadRequirements(String),
    /// The transaction parameters are implausible (a `now` in milliseconds).
    #[error("bad transaction parameters: {0}")]
    BadParams(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
}

impl PayError {
    /// A stable code for programs and bindings to match on (messages may change; codes do
    /// not):
    ///
    /// - `UNSUPPORTED_SCHEME_OR_NETWORK`: [`PayError::Unsupported`], the requirements name a
    ///   scheme or network this crate does not pay.
    /// - `INVALID_REQUIREMENTS`: [`PayError::BadRequirements`], a field of the requirements
    ///   is missing or malformed.
    /// - `INVALID_TXN_PARAMS`: [`PayError::BadParams`], the [`TxnParams`] are not plausible
    ///   (`now_secs` above [`MAX_PLAUSIBLE_NOW_SECS`], i.e. milliseconds).
    /// - `SIGNING_FAILED`: [`PayError::Signing`], the transaction could not be built or
    ///   signed.
    pub fn code(&self) -> &'static str {
        match self {
            PayError::Unsupported(_) => "UNSUPPORTED_SCHEME_OR_NETWORK",
            PayError::BadRequirements(_) => "INVALID_REQUIREMENTS",
            PayError::BadParams(_) => "INVALID_TXN_PARAMS",
            PayError::Signing(_) => "SIGNING_FAILED",
        }
    }
}

fn field<'a>(r: &'a PaymentRequirements, key: &str) -> Result<&'a str, PayError> {
    r.extra_str(key)
        .ok_or_else(|| PayError::BadRequirements(format!("extra.{key} missing")))
}

fn address(text: &str, what: &str) -> Result<AccountAddress, PayError> {
    AccountAddress::from_hex(text)
        .map_err(|_| PayError::BadRequirements(format!("{what} {text:?}")))
}

fn int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, PayError> {
    text.parse()
        .map_err(|_| PayError::BadRequirements(format!("{what} {text:?}")))
}

/// The entry function a client signs for `requirements`. `docker_image` is the job the
/// `stream` scheme rents compute for (ignored by `exact`).
pub fn payment_function(
    requirements: &PaymentRequirements,
    docker_image: &str,
) -> Result<EntryFunction, PayError> {
    let scheme = Scheme::from_name(&requirements.scheme)
        .ok_or_else(|| PayError::Unsupported(format!("scheme {}", requirements.scheme)))?;
    let asset = address(&requirements.asset, "asset")?;
    let pay_to = address(&requirements.pay_to, "payTo")?;
    let amount: u64 = int(&requirements.amount, "amount")?;
    let function = match scheme {
        Scheme::Exact => FrameworkCall::TransferAsset {
            asset,
            to: pay_to,
            amount,
        }
        .entry_function(),
        Scheme::Stream => Call::Rent {
            provider: pay_to,
            docker_image: docker_image.into(),
            asset,
            deposit: amount,
            max_duration: int(
                field(requirements, "maxDurationSeconds")?,
                "maxDurationSeconds",
            )?,
            max_rate_per_second: int(field(requirements, "ratePerSecond")?, "ratePerSecond")?,
        }
        .entry_function(address(field(requirements, "contract")?, "contract")?),
    };
    function.map_err(|e| PayError::Signing(e.to_string()))
}

/// Refuses a `now` that is not seconds since the epoch (see [`MAX_PLAUSIBLE_NOW_SECS`]).
pub fn check_now_secs(now_secs: u64) -> Result<(), PayError> {
    if now_secs > MAX_PLAUSIBLE_NOW_SECS {
        return Err(PayError::BadParams(format!(
            "now {now_secs} is not seconds since the epoch (milliseconds?): it is after the year 5138"
        )));
    }
    Ok(())
}

/// Builds and signs the payment for `requirements` (client side), sponsored when
/// `extra.feePayer` is present. It expires `maxTimeoutSeconds` after `params.now_secs`, which
/// must be seconds ([`check_now_secs`]).
pub fn pay(
    signer: &Signer,
    requirements: &PaymentRequirements,
    resource: Option<ResourceInfo>,
    params: TxnParams,
    docker_image: &str,
) -> Result<PaymentPayload, PayError> {
    check_now_secs(params.now_secs)?;
    let network = Network::from_caip2(&requirements.network)
        .ok_or_else(|| PayError::Unsupported(format!("network {}", requirements.network)))?;
    let function = payment_function(requirements, docker_image)?;
    let fee_payer = requirements
        .extra_str("feePayer")
        .map(|fp| address(fp, "feePayer"))
        .transpose()?;
    let raw = RawTransaction::new(
        signer.address(),
        params.sequence_number,
        TransactionPayload::EntryFunction(function),
        params.max_gas_amount,
        params.gas_unit_price,
        params
            .now_secs
            .saturating_add(requirements.max_timeout_seconds),
        ChainId::new(network.chain_id()),
    );
    let payment =
        AptosPayment::sign(signer, raw, fee_payer).map_err(|e| PayError::Signing(e.to_string()))?;
    Ok(PaymentPayload {
        x402_version: 2,
        resource,
        accepted: requirements.clone(),
        payload: payment.to_payload(),
        extensions: None,
    })
}

/// What a verified payment moves: checked against the sender's balance before settling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Debit {
    /// The asset.
    pub asset: AssetId,
    /// Base units.
    pub amount: u64,
}

/// A payment that passed every local rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The scheme.
    pub scheme: Scheme,
    /// The network.
    pub network: Network,
    /// The decoded payment.
    pub payment: AptosPayment,
    /// What it moves.
    pub debit: Debit,
}

/// Every rule that needs no ledger, in the reference order: the envelope rules, then the
/// scheme's function, type arguments and arguments against the requirements. An owned
/// [`PaymentPayload`] is checked through [`PaymentPayload::view`]. `now_secs` is the
/// verifier's clock in seconds; one in milliseconds refuses every payment.
pub fn verify_local(
    payload: &PaymentPayloadRef<'_>,
    requirements: &PaymentRequirements,
    policy: &VerifyPolicy,
    now_secs: u64,
) -> Result<Verified, Invalid> {
    if now_secs > MAX_PLAUSIBLE_NOW_SECS {
        return Err(Invalid::new(
            Reason::VerificationError,
            format!("the verifier's now {now_secs} is not seconds since the epoch"),
        ));
    }
    let scheme = Scheme::from_name(&requirements.scheme).ok_or_else(|| {
        Invalid::new(
            Reason::UnsupportedScheme,
            format!("scheme {}", requirements.scheme),
        )
    })?;
    let (payment, network) =
        verify_envelope(scheme.name(), payload, requirements, policy, now_secs)?;
    let function = payment
        .entry_function()
        .ok_or_else(|| Invalid::new(Reason::MissingEntryFunction, "not an entry function"))?;
    let debit = match scheme {
        Scheme::Exact => check_transfer(function, requirements)?,
        Scheme::Stream => check_rent(function, requirements)?,
    };
    Ok(Verified {
        scheme,
        network,
        payment,
        debit,
    })
}

fn check_transfer(f: &EntryFunction, r: &PaymentRequirements) -> Result<Debit, Invalid> {
    let is_transfer = f.module.address == AccountAddress::ONE
        && f.module.name.as_str() == "primary_fungible_store"
        && f.function == "transfer";
    if !is_transfer {
        return Err(Invalid::new(
            Reason::WrongFunction,
            format!("{}::{}", f.module, f.function),
        ));
    }
    if f.type_args != [metadata_type_tag()] {
        return Err(Invalid::new(
            Reason::WrongTypeArgs,
            "expected 0x1::fungible_asset::Metadata",
        ));
    }
    let Ok(FrameworkCall::TransferAsset { asset, to, amount }) =
        FrameworkCall::from_entry_function(f)
    else {
        return Err(Invalid::new(
            Reason::WrongArgs,
            "expected (asset: address, to: address, amount: u64)",
        ));
    };
    check_terms(r, asset, to, amount)
}

fn check_terms(
    r: &PaymentRequirements,
    asset: AccountAddress,
    to: AccountAddress,
    amount: u64,
) -> Result<Debit, Invalid> {
    if asset != requirement_address(&r.asset, "asset")? {
        return Err(Invalid::new(Reason::AssetMismatch, asset.to_long_string()));
    }
    if to != requirement_address(&r.pay_to, "payTo")? {
        return Err(Invalid::new(Reason::RecipientMismatch, to.to_long_string()));
    }
    if amount != requirement_amount(&r.amount)? {
        return Err(Invalid::new(Reason::AmountMismatch, amount.to_string()));
    }
    Ok(Debit {
        asset: AssetId(asset),
        amount,
    })
}

fn check_rent(f: &EntryFunction, r: &PaymentRequirements) -> Result<Debit, Invalid> {
    let extra = |key: &str| {
        r.extra_str(key).ok_or_else(|| {
            Invalid::new(
                Reason::VerificationError,
                format!("requirements extra.{key} missing"),
            )
        })
    };
    let contract = requirement_address(extra("contract")?, "contract")?;
    let rate: u128 = extra("ratePerSecond")?
        .parse()
        .map_err(|_| Invalid::new(Reason::VerificationError, "extra.ratePerSecond"))?;
    let max_duration: u64 = extra("maxDurationSeconds")?
        .parse()
        .map_err(|_| Invalid::new(Reason::VerificationError, "extra.maxDurationSeconds"))?;
    let is_rent = f.module.address == contract
        && f.module.name.as_str() == "payment_stream"
        && f.function == "rent";
    if !is_rent {
        return Err(Invalid::new(
            Reason::WrongFunction,
            format!("{}::{}", f.module, f.function),
        ));
    }
    if !f.type_args.is_empty() {
        return Err(Invalid::new(
            Reason::WrongTypeArgs,
            "rent takes no type arguments",
        ));
    }
    let Ok(Call::Rent {
        provider,
        asset,
        deposit,
        max_duration: duration,
        max_rate_per_second,
        ..
    }) = Call::from_entry_function(contract, f)
    else {
        return Err(Invalid::new(
            Reason::WrongArgs,
            "rent arguments do not decode",
        ));
    };
    let debit = check_terms(r, asset, provider, deposit)?;
    if max_rate_per_second < rate {
        return Err(Invalid::new(
            Reason::RateTooLow,
            format!("max rate {max_rate_per_second} below {rate}"),
        ));
    }
    if duration == 0 || duration > max_duration {
        return Err(Invalid::new(
            Reason::DurationTooLong,
            format!("max_duration {duration}, offered 1..={max_duration}"),
        ));
    }
    Ok(debit)
}

/// The `docker_image` of a verified `stream` payment (the job the buyer asked for).
pub fn rented_image(verified: &Verified, contract: AccountAddress) -> Option<String> {
    match Call::from_entry_function(contract, verified.payment.entry_function()?) {
        Ok(Call::Rent { docker_image, .. }) => Some(docker_image),
        _ => None,
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
    }
}
