//! The client side: the entry function a payment signs, and building and signing it.

use super::*;

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

pub(super) fn field<'a>(r: &'a PaymentRequirements, key: &str) -> Result<&'a str, PayError> {
    r.extra_str(key)
        .ok_or_else(|| PayError::BadRequirements(format!("extra.{key} missing")))
}

pub(super) fn address(text: &str, what: &str) -> Result<AccountAddress, PayError> {
    AccountAddress::from_hex(text)
        .map_err(|_| PayError::BadRequirements(format!("{what} {text:?}")))
}

pub(super) fn int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, PayError> {
    text.parse()
        .map_err(|_| PayError::BadRequirements(format!("{what} {text:?}")))
}

/// The entry function a client signs for `requirements`. `docker_image` is the job the
/// `stream` scheme rents compute for (ignored by `exact`). `stream` requirements whose
/// `amount` is not [`stream_deposit`] of their rate and duration are refused.
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
        Scheme::Stream => {
            let max_duration = int(
                field(requirements, "maxDurationSeconds")?,
                "maxDurationSeconds",
            )?;
            let rate = int(field(requirements, "ratePerSecond")?, "ratePerSecond")?;
            check_stream_amount(rate, max_duration, amount).map_err(PayError::BadRequirements)?;
            // The contract aborts a rent without an image (E_INVALID_DOCKER_IMAGE): refused
            // here, before anything is signed, with what to do about it.
            if docker_image.is_empty() {
                return Err(PayError::BadParams(
                    "a `stream` payment rents compute: give the docker image to run \
                     (docker_image / dockerImage / --image)"
                        .into(),
                ));
            }
            Call::Rent {
                provider: pay_to,
                docker_image: docker_image.into(),
                asset,
                deposit: amount,
                max_duration,
                max_rate_per_second: rate,
            }
            .entry_function(address(field(requirements, "contract")?, "contract")?)
        }
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
