//! The native module of `computestream` for Node. `index.js` builds the package on it:
//! `Client` (client.rs), `Localnet` (localnet.rs), `computestream/fetch` (payer.rs) and
//! `computestream/express` (gate.rs) are Promise classes; the synchronous functions below are
//! `raw`: each wraps one of `computestream_core::facade` or `computestream_x402::facade`,
//! u64 and u128 values travel as decimal strings so no precision is lost, and errors are
//! thrown as `Error` with the core's message and its stable `code`.

pub mod client;
pub mod decode;
mod error;
pub mod facilitator;
pub mod gate;
pub mod localnet;
pub mod payer;

use computestream_core::{Error, ErrorCode, facade};
use computestream_x402::facade as x402;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// napi-rs throws an `Error` whose `code` is the status, here the core's stable code.
type Result<T> = napi::Result<T, &'static str>;

/// The one mapping of core and x402 errors to JavaScript.
fn err(e: impl ErrorCode) -> napi::Error<&'static str> {
    napi::Error::new(e.code(), e.to_string())
}

fn int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    facade::parse_int(text, what).map_err(err)
}

/// A `u8` argument (`decimals`, `chainId`), which JavaScript passes as a number.
fn byte(value: u32, what: &str) -> Result<u8> {
    u8::try_from(value)
        .map_err(|_| err(Error::InvalidArgument(format!("{what} {value}: above 255"))))
}

/// The package version.
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `parseAmount("7.2", 6) === "7200000"`.
#[napi]
pub fn parse_amount(text: String, decimals: u32) -> Result<String> {
    Ok(facade::parse_amount(&text, byte(decimals, "decimals")?)
        .map_err(err)?
        .to_string())
}

/// `formatAmount("7200000", 6) === "7.2"`.
#[napi]
pub fn format_amount(units: String, decimals: u32) -> Result<String> {
    Ok(facade::format_amount(
        int(&units, "units")?,
        byte(decimals, "decimals")?,
    ))
}

/// Nano-rate for `units` base units per `per` ("second" | "minute" | "hour").
#[napi]
pub fn rate(units: String, per: String) -> Result<String> {
    Ok(facade::rate(int(&units, "units")?, &per)
        .map_err(err)?
        .to_string())
}

/// Owed after `activeSeconds` at a nano-rate, floored and capped at `deposited`.
#[napi]
pub fn stream_owed(
    deposited: String,
    rate_per_second: String,
    active_seconds: String,
) -> Result<String> {
    Ok(facade::stream_owed(
        int(&deposited, "deposited")?,
        int(&rate_per_second, "ratePerSecond")?,
        int(&active_seconds, "activeSeconds")?,
    )
    .to_string())
}

/// Active seconds until the deposit is fully owed; `null` if never.
#[napi]
pub fn seconds_to_deplete(deposited: String, rate_per_second: String) -> Result<Option<String>> {
    Ok(facade::seconds_to_deplete(
        int(&deposited, "deposited")?,
        int(&rate_per_second, "ratePerSecond")?,
    )
    .map(|s| s.to_string()))
}

/// JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record.
#[napi]
pub fn stream_snapshot(stream_json: String, now: String) -> Result<String> {
    Ok(facade::stream_snapshot(&stream_json, int(&now, "now")?)
        .map_err(err)?
        .to_json())
}

/// BCS of the entry function for a call given as JSON.
#[napi]
pub fn encode_call(call_json: String, contract: Option<String>) -> Result<Buffer> {
    Ok(facade::encode_call(&call_json, contract.as_deref())
        .map_err(err)?
        .into())
}

/// JSON of an entry function's BCS bytes.
#[napi]
pub fn decode_call(bcs: Buffer, contract: Option<String>) -> Result<String> {
    facade::decode_call(&bcs, contract.as_deref()).map_err(err)
}

/// Name of an abort code raised in `module`, or `null`.
#[napi]
pub fn abort_name(module: String, code: String) -> Result<Option<&'static str>> {
    Ok(facade::abort_name(&module, int(&code, "code")?))
}

/// Signs a contract call (the JSON `encodeCall` takes): the signed transaction's BCS, for
/// `POST /v1/transactions` (content type `application/x.aptos.signed_transaction+bcs`).
#[napi]
pub fn sign_call(
    private_key: String,
    call_json: String,
    sequence_number: String,
    chain_id: u32,
    expiration_secs: String,
    contract: Option<String>,
) -> Result<Buffer> {
    Ok(facade::sign_call(
        &private_key,
        &call_json,
        contract.as_deref(),
        int(&sequence_number, "sequenceNumber")?,
        byte(chain_id, "chainId")?,
        int(&expiration_secs, "expirationSecs")?,
    )
    .map_err(err)?
    .into())
}

/// The hash (`0x` + 64 hex) of a signed transaction's BCS.
#[napi]
pub fn transaction_hash(signed: Buffer) -> Result<String> {
    facade::transaction_hash(&signed).map_err(err)
}

/// The account address of an Ed25519 private key (`0x` + 64 hex).
#[napi]
pub fn address_of(private_key: String) -> Result<String> {
    x402::address_of(&private_key).map_err(err)
}

/// Any x402 header as JSON `{kind, header, aptos_transaction?}`.
#[napi(js_name = "x402DecodeHeader")]
pub fn x402_decode_header(header: String) -> Result<String> {
    x402::decode_header(&header).map_err(err)
}

/// The header (base64 of compact JSON) of an x402 object given as JSON.
#[napi(js_name = "x402EncodeHeader")]
pub fn x402_encode_header(json: String) -> Result<String> {
    x402::encode_header(&json).map_err(err)
}

/// Signs a payment for the `accept`-th (default 0) way a `PAYMENT-REQUIRED` header offers;
/// returns the `PAYMENT-SIGNATURE` header.
#[napi(js_name = "x402Pay")]
pub fn x402_pay(
    private_key: String,
    payment_required: String,
    sequence_number: String,
    now: String,
    accept: Option<u32>,
    docker_image: Option<String>,
) -> Result<String> {
    x402::pay(
        &private_key,
        &payment_required,
        accept.unwrap_or(0) as usize,
        int(&sequence_number, "sequenceNumber")?,
        int(&now, "now")?,
        docker_image.as_deref().unwrap_or(""),
    )
    .map_err(err)
}

/// Every local rule on a payment header against requirements (JSON); `VerifyResponse` JSON.
#[napi(js_name = "x402Verify")]
pub fn x402_verify(
    header: String,
    requirements_json: String,
    fee_payers: Vec<String>,
    now: String,
) -> Result<String> {
    x402::verify_payment(&header, &requirements_json, &fee_payers, int(&now, "now")?).map_err(err)
}

/// `exact` requirements as JSON.
#[napi(js_name = "x402ExactRequirements")]
pub fn x402_exact_requirements(
    network: String,
    asset: String,
    pay_to: String,
    amount: String,
    max_timeout_seconds: String,
    fee_payer: Option<String>,
) -> Result<String> {
    x402::exact_requirements(
        &network,
        &asset,
        &pay_to,
        int(&amount, "amount")?,
        int(&max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}

/// `stream` requirements as JSON (the deposit is the rate over the duration, rounded up).
#[napi(js_name = "x402StreamRequirements")]
#[allow(clippy::too_many_arguments)]
pub fn x402_stream_requirements(
    network: String,
    contract: String,
    provider: String,
    asset: String,
    rate_per_second: String,
    max_duration_seconds: String,
    max_timeout_seconds: String,
    fee_payer: Option<String>,
) -> Result<String> {
    x402::stream_requirements(
        &network,
        &contract,
        &provider,
        &asset,
        int(&rate_per_second, "ratePerSecond")?,
        int(&max_duration_seconds, "maxDurationSeconds")?,
        int(&max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}
