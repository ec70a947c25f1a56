//! Every rule that needs no ledger: the envelope, then the scheme's function and arguments
//! against the requirements.

use super::*;

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
    // An offer that contradicts itself is refused before any payment is read against it.
    let offer = match scheme {
        Scheme::Exact => None,
        Scheme::Stream => Some(stream_offer(requirements)?),
    };
    let (payment, network) =
        verify_envelope(scheme.name(), payload, requirements, policy, now_secs)?;
    let function = payment
        .entry_function()
        .ok_or_else(|| Invalid::new(Reason::MissingEntryFunction, "not an entry function"))?;
    let debit = match offer {
        None => check_transfer(function, requirements)?,
        Some(offer) => check_rent(function, requirements, &offer)?,
    };
    Ok(Verified {
        scheme,
        network,
        payment,
        debit,
    })
}

pub(super) fn check_transfer(f: &EntryFunction, r: &PaymentRequirements) -> Result<Debit, Invalid> {
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

pub(super) fn check_terms(
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

/// What `stream` requirements offer: the contracts, the price and the longest rental.
pub(super) struct StreamOffer {
    contract: AccountAddress,
    rate: u128,
    max_duration: u64,
}

/// Reads `stream` requirements and checks that they are one offer: `amount` is
/// [`stream_deposit`] of the rate and the duration.
pub(super) fn stream_offer(r: &PaymentRequirements) -> Result<StreamOffer, Invalid> {
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
    let amount = requirement_amount(&r.amount)?;
    check_stream_amount(rate, max_duration, amount)
        .map_err(|e| Invalid::new(Reason::InvalidPaymentRequirements, e))?;
    Ok(StreamOffer {
        contract,
        rate,
        max_duration,
    })
}

pub(super) fn check_rent(
    f: &EntryFunction,
    r: &PaymentRequirements,
    offer: &StreamOffer,
) -> Result<Debit, Invalid> {
    let StreamOffer {
        contract,
        rate,
        max_duration,
    } = *offer;
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
    if duration == 0 {
        return Err(Invalid::new(Reason::WrongArgs, "a rental of 0 seconds"));
    }
    if duration > max_duration {
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
