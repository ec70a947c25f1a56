//! The ComputeStream core for browsers (and any wasm host). Every function wraps one of
//! `computestream_core::facade` or `computestream_x402::facade`; u64 and u128 values travel as
//! decimal strings, errors are thrown as `Error` with the core's message and its stable `code`.
//! Nothing here reads a clock: chain time is an argument (`SystemTime` aborts a
//! wasm32-unknown-unknown module).

use computestream_core::{Error, ErrorCode, facade};
use computestream_x402::facade as x402;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// JavaScript's own `Error` (so `e instanceof Error`), thrown with a `code` property: the
    /// core error's stable name.
    #[wasm_bindgen(js_name = Error)]
    pub type CodedError;

    #[wasm_bindgen(constructor, js_class = "Error")]
    fn new(message: &str) -> CodedError;

    #[wasm_bindgen(method, setter)]
    fn set_code(this: &CodedError, code: &str);
}

#[wasm_bindgen(typescript_custom_section)]
const CODED_ERROR_TS: &str = r#"
/** What the functions throw: an `Error` whose `code` is the core error's stable name
 * (`INVALID_INPUT`, `DECODE`, `INVALID_BASE64`, ...), the same in every language. */
export interface ComputeStreamError extends Error {
    code: string;
}
"#;

type Result<T> = std::result::Result<T, CodedError>;

/// The one mapping of core and x402 errors to JavaScript.
fn err(e: impl ErrorCode) -> CodedError {
    let error = CodedError::new(&e.to_string());
    error.set_code(e.code());
    error
}

fn int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    facade::parse_int(text, what).map_err(err)
}

/// A `u8` argument (`decimals`, `chainId`), taken as `u32`: wasm-bindgen would wrap a larger
/// number into a `u8` silently.
fn byte(value: u32, what: &str) -> Result<u8> {
    u8::try_from(value)
        .map_err(|_| err(Error::InvalidArgument(format!("{what} {value}: above 255"))))
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// `parseAmount("7.2", 6) === "7200000"`.
#[wasm_bindgen(js_name = parseAmount)]
pub fn parse_amount(text: &str, decimals: u32) -> Result<String> {
    Ok(facade::parse_amount(text, byte(decimals, "decimals")?)
        .map_err(err)?
        .to_string())
}

/// `formatAmount("7200000", 6) === "7.2"`.
#[wasm_bindgen(js_name = formatAmount)]
pub fn format_amount(units: &str, decimals: u32) -> Result<String> {
    Ok(facade::format_amount(
        int(units, "units")?,
        byte(decimals, "decimals")?,
    ))
}

/// Nano-rate for `units` base units per `per` ("second" | "minute" | "hour").
#[wasm_bindgen]
pub fn rate(units: &str, per: &str) -> Result<String> {
    Ok(facade::rate(int(units, "units")?, per)
        .map_err(err)?
        .to_string())
}

/// Owed after `activeSeconds` at a nano-rate, floored and capped at `deposited`.
#[wasm_bindgen(js_name = streamOwed)]
pub fn stream_owed(deposited: &str, rate_per_second: &str, active_seconds: &str) -> Result<String> {
    Ok(facade::stream_owed(
        int(deposited, "deposited")?,
        int(rate_per_second, "ratePerSecond")?,
        int(active_seconds, "activeSeconds")?,
    )
    .to_string())
}

/// Active seconds until the deposit is fully owed; `undefined` if never.
#[wasm_bindgen(js_name = secondsToDeplete)]
pub fn seconds_to_deplete(deposited: &str, rate_per_second: &str) -> Result<Option<String>> {
    Ok(facade::seconds_to_deplete(
        int(deposited, "deposited")?,
        int(rate_per_second, "ratePerSecond")?,
    )
    .map(|s| s.to_string()))
}

/// JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record.
#[wasm_bindgen(js_name = streamSnapshot)]
pub fn stream_snapshot(stream_json: &str, now: &str) -> Result<String> {
    Ok(facade::stream_snapshot(stream_json, int(now, "now")?)
        .map_err(err)?
        .to_json())
}

/// BCS of the entry function for a call given as JSON.
#[wasm_bindgen(js_name = encodeCall)]
pub fn encode_call(call_json: &str, contract: Option<String>) -> Result<Vec<u8>> {
    facade::encode_call(call_json, contract.as_deref()).map_err(err)
}

/// JSON of an entry function's BCS bytes.
#[wasm_bindgen(js_name = decodeCall)]
pub fn decode_call(bcs: &[u8], contract: Option<String>) -> Result<String> {
    facade::decode_call(bcs, contract.as_deref()).map_err(err)
}

/// Name of an abort code raised in `module`, or `undefined`.
#[wasm_bindgen(js_name = abortName)]
pub fn abort_name(module: &str, code: &str) -> Result<Option<String>> {
    Ok(facade::abort_name(module, int(code, "code")?).map(String::from))
}

/// Signs a contract call (the JSON `encodeCall` takes): the signed transaction's BCS, for
/// `POST /v1/transactions` (content type `application/x.aptos.signed_transaction+bcs`).
/// `expirationSecs` is chain time.
#[wasm_bindgen(js_name = signCall)]
pub fn sign_call(
    private_key: &str,
    call_json: &str,
    sequence_number: &str,
    chain_id: u32,
    expiration_secs: &str,
    contract: Option<String>,
) -> Result<Vec<u8>> {
    facade::sign_call(
        private_key,
        call_json,
        contract.as_deref(),
        int(sequence_number, "sequenceNumber")?,
        byte(chain_id, "chainId")?,
        int(expiration_secs, "expirationSecs")?,
    )
    .map_err(err)
}

/// The hash (`0x` + 64 hex) of a signed transaction's BCS.
#[wasm_bindgen(js_name = transactionHash)]
pub fn transaction_hash(signed: &[u8]) -> Result<String> {
    facade::transaction_hash(signed).map_err(err)
}

/// The account address of an Ed25519 private key (`0x` + 64 hex).
#[wasm_bindgen(js_name = addressOf)]
pub fn address_of(private_key: &str) -> Result<String> {
    x402::address_of(private_key).map_err(err)
}

/// Any x402 header as JSON `{kind, header, aptos_transaction?}`.
#[wasm_bindgen(js_name = x402DecodeHeader)]
pub fn x402_decode_header(header: &str) -> Result<String> {
    x402::decode_header(header).map_err(err)
}

/// The header (base64 of compact JSON) of an x402 object given as JSON.
#[wasm_bindgen(js_name = x402EncodeHeader)]
pub fn x402_encode_header(json: &str) -> Result<String> {
    x402::encode_header(json).map_err(err)
}

/// Signs a payment for the `accept`-th (default 0) way a `PAYMENT-REQUIRED` header offers;
/// returns the `PAYMENT-SIGNATURE` header. `now` is chain time in seconds.
#[wasm_bindgen(js_name = x402Pay)]
pub fn x402_pay(
    private_key: &str,
    payment_required: &str,
    sequence_number: &str,
    now: &str,
    accept: Option<u32>,
    docker_image: Option<String>,
) -> Result<String> {
    x402::pay(
        private_key,
        payment_required,
        accept.unwrap_or(0) as usize,
        int(sequence_number, "sequenceNumber")?,
        int(now, "now")?,
        docker_image.as_deref().unwrap_or(""),
    )
    .map_err(err)
}

/// Every local rule on a payment header against requirements (JSON); `VerifyResponse` JSON.
#[wasm_bindgen(js_name = x402Verify)]
pub fn x402_verify(
    header: &str,
    requirements_json: &str,
    fee_payers: Vec<String>,
    now: &str,
) -> Result<String> {
    x402::verify_payment(header, requirements_json, &fee_payers, int(now, "now")?).map_err(err)
}

/// `exact` requirements as JSON.
#[wasm_bindgen(js_name = x402ExactRequirements)]
pub fn x402_exact_requirements(
    network: &str,
    asset: &str,
    pay_to: &str,
    amount: &str,
    max_timeout_seconds: &str,
    fee_payer: Option<String>,
) -> Result<String> {
    x402::exact_requirements(
        network,
        asset,
        pay_to,
        int(amount, "amount")?,
        int(max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}

/// `stream` requirements as JSON (the deposit is the rate over the duration, rounded up).
#[wasm_bindgen(js_name = x402StreamRequirements)]
#[allow(clippy::too_many_arguments)]
pub fn x402_stream_requirements(
    network: &str,
    contract: &str,
    provider: &str,
    asset: &str,
    rate_per_second: &str,
    max_duration_seconds: &str,
    max_timeout_seconds: &str,
    fee_payer: Option<String>,
) -> Result<String> {
    x402::stream_requirements(
        network,
        contract,
        provider,
        asset,
        int(rate_per_second, "ratePerSecond")?,
        int(max_duration_seconds, "maxDurationSeconds")?,
        int(max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}
