//! The ComputeStream core for browsers (and any wasm host). Every function wraps one of
//! `computestream_core::facade` or `computestream_x402::facade`; amounts, rates, times and
//! sequence numbers (u64 and u128) are `bigint` both ways, JSON documents are strings (their
//! integers decimal strings), an absent value is `null`, and errors are thrown as `Error` with
//! the core's message and its stable `code`. The names are the Node binding's.
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

    /// `JSON.parse`, for the payload objects.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> std::result::Result<JsValue, JsValue>;
}

#[wasm_bindgen(typescript_custom_section)]
const CODED_ERROR_TS: &str = r#"
/** What the functions throw: an `Error` whose `code` is the core error's stable name
 * (`INVALID_INPUT`, `DECODE`, `INVALID_BASE64`, ...), the same in every language. */
export interface ComputeStreamError extends Error {
    code: string;
}
/** A contract call in the shape Aptos wallets sign (AIP-62 `signAndSubmitTransaction`'s
 * `data`, the TypeScript SDK's `InputEntryFunctionData`); integers are decimal strings. */
export interface EntryFunctionPayload {
    function: `${string}::${string}::${string}`;
    typeArguments: string[];
    functionArguments: (string | boolean)[];
}
"#;

type Result<T> = std::result::Result<T, CodedError>;

/// The one mapping of core and x402 errors to JavaScript.
fn err(e: impl ErrorCode) -> CodedError {
    let error = CodedError::new(&e.to_string());
    error.set_code(e.code());
    error
}

fn invalid(message: String) -> CodedError {
    err(Error::InvalidArgument(message))
}

/// The error for an integer argument that is not a `bigint` of its type's range.
fn not_in_range(value: &JsValue, what: &str) -> CodedError {
    let shown = match value.as_string() {
        Some(text) => format!("the string {text:?}"),
        None => format!("{value:?}"),
    };
    invalid(format!("{what}: {shown} is not a bigint in range"))
}

/// A `bigint` argument that fits a `u64` (wasm-bindgen's own `u64` would wrap silently).
fn u64_arg(value: JsValue, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|v| not_in_range(&v, what))
}

/// A `bigint` argument that fits a `u128`.
fn u128_arg(value: JsValue, what: &str) -> Result<u128> {
    u128::try_from(value).map_err(|v| not_in_range(&v, what))
}

/// A `u8` argument (`decimals`, `chainId`), taken as `u32`: wasm-bindgen would wrap a larger
/// number into a `u8` silently.
fn byte(value: u32, what: &str) -> Result<u8> {
    u8::try_from(value).map_err(|_| invalid(format!("{what} {value}: above 255")))
}

/// `null` for an absent value, as the Node binding answers.
fn or_null<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map_or(JsValue::NULL, Into::into)
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// `parseAmount("7.2", 6) === 7200000n` (base units).
#[wasm_bindgen(js_name = parseAmount)]
pub fn parse_amount(text: &str, decimals: u32) -> Result<u64> {
    facade::parse_amount(text, byte(decimals, "decimals")?).map_err(err)
}

/// `formatAmount(7200000n, 6) === "7.2"`.
#[wasm_bindgen(js_name = formatAmount)]
pub fn format_amount(
    #[wasm_bindgen(unchecked_param_type = "bigint")] units: JsValue,
    decimals: u32,
) -> Result<String> {
    Ok(facade::format_amount(
        u64_arg(units, "units")?,
        byte(decimals, "decimals")?,
    ))
}

/// Nano-rate (1e-9 base unit per second) for `units` base units per second, minute or hour.
#[wasm_bindgen]
pub fn rate(
    #[wasm_bindgen(unchecked_param_type = "bigint")] units: JsValue,
    #[wasm_bindgen(unchecked_param_type = "'second' | 'minute' | 'hour'")] per: &str,
) -> Result<u128> {
    facade::rate(u64_arg(units, "units")?, per).map_err(err)
}

/// Owed after `activeSeconds`, floored and capped at `deposited`.
#[wasm_bindgen(js_name = streamOwed)]
pub fn stream_owed(
    #[wasm_bindgen(unchecked_param_type = "bigint")] deposited: JsValue,
    #[wasm_bindgen(js_name = ratePerSecond, unchecked_param_type = "bigint")]
    rate_per_second: JsValue,
    #[wasm_bindgen(js_name = activeSeconds, unchecked_param_type = "bigint")]
    active_seconds: JsValue,
) -> Result<u64> {
    Ok(facade::stream_owed(
        u64_arg(deposited, "deposited")?,
        u128_arg(rate_per_second, "ratePerSecond")?,
        u64_arg(active_seconds, "activeSeconds")?,
    ))
}

/// Active seconds until the deposit is fully owed; `null` if never.
#[wasm_bindgen(js_name = secondsToDeplete, unchecked_return_type = "bigint | null")]
pub fn seconds_to_deplete(
    #[wasm_bindgen(unchecked_param_type = "bigint")] deposited: JsValue,
    #[wasm_bindgen(js_name = ratePerSecond, unchecked_param_type = "bigint")]
    rate_per_second: JsValue,
) -> Result<JsValue> {
    Ok(or_null(facade::seconds_to_deplete(
        u64_arg(deposited, "deposited")?,
        u128_arg(rate_per_second, "ratePerSecond")?,
    )))
}

/// JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record at
/// chain time `now` (seconds).
#[wasm_bindgen(js_name = streamSnapshot)]
pub fn stream_snapshot(
    #[wasm_bindgen(js_name = streamJson)] stream_json: &str,
    #[wasm_bindgen(unchecked_param_type = "bigint")] now: JsValue,
) -> Result<String> {
    Ok(facade::stream_snapshot(stream_json, u64_arg(now, "now")?)
        .map_err(err)?
        .to_json())
}

/// BCS of the entry function for a call such as `{"function":"rent",...}`.
#[wasm_bindgen(js_name = encodeCall)]
pub fn encode_call(
    #[wasm_bindgen(js_name = callJson)] call_json: &str,
    contract: Option<String>,
) -> Result<Vec<u8>> {
    facade::encode_call(call_json, contract.as_deref()).map_err(err)
}

/// JSON of an entry function's BCS bytes; inverse of `encodeCall`.
#[wasm_bindgen(js_name = decodeCall)]
pub fn decode_call(bcs: &[u8], contract: Option<String>) -> Result<String> {
    facade::decode_call(bcs, contract.as_deref()).map_err(err)
}

/// The payload an Aptos wallet signs for a call (the JSON `encodeCall` takes):
/// `{function, typeArguments, functionArguments}`, for AIP-62 `signAndSubmitTransaction`.
#[wasm_bindgen(js_name = entryFunctionPayload, unchecked_return_type = "EntryFunctionPayload")]
pub fn entry_function_payload(
    #[wasm_bindgen(js_name = callJson)] call_json: &str,
    contract: Option<String>,
) -> Result<JsValue> {
    let json = facade::entry_function_payload(call_json, contract.as_deref()).map_err(err)?;
    json_parse(&json).map_err(|_| invalid("payload: not JSON".into()))
}

/// Name of an abort code raised in `module`, or `null`.
#[wasm_bindgen(js_name = abortName, unchecked_return_type = "string | null")]
pub fn abort_name(
    module: &str,
    #[wasm_bindgen(unchecked_param_type = "bigint")] code: JsValue,
) -> Result<JsValue> {
    Ok(or_null(facade::abort_name(module, u64_arg(code, "code")?)))
}

/// What an abort code raised in `module` means, in one sentence, or `null`.
#[wasm_bindgen(js_name = abortDescription, unchecked_return_type = "string | null")]
pub fn abort_description(
    module: &str,
    #[wasm_bindgen(unchecked_param_type = "bigint")] code: JsValue,
) -> Result<JsValue> {
    Ok(or_null(facade::abort_description(
        module,
        u64_arg(code, "code")?,
    )))
}

/// BCS of the signed transaction for a contract call (the JSON `encodeCall` takes), for
/// `POST /v1/transactions` (content type `application/x.aptos.signed_transaction+bcs`).
/// `expirationSecs` is chain time; gas is 200000 units at 100.
#[wasm_bindgen(js_name = signCall)]
pub fn sign_call(
    #[wasm_bindgen(js_name = privateKey)] private_key: &str,
    #[wasm_bindgen(js_name = callJson)] call_json: &str,
    #[wasm_bindgen(js_name = sequenceNumber, unchecked_param_type = "bigint")]
    sequence_number: JsValue,
    #[wasm_bindgen(js_name = chainId)] chain_id: u32,
    #[wasm_bindgen(js_name = expirationSecs, unchecked_param_type = "bigint")]
    expiration_secs: JsValue,
    contract: Option<String>,
) -> Result<Vec<u8>> {
    facade::sign_call(
        private_key,
        call_json,
        contract.as_deref(),
        u64_arg(sequence_number, "sequenceNumber")?,
        byte(chain_id, "chainId")?,
        u64_arg(expiration_secs, "expirationSecs")?,
    )
    .map_err(err)
}

/// Hash (`0x` + 64 hex) of a signed transaction's BCS, as the node names it.
#[wasm_bindgen(js_name = transactionHash)]
pub fn transaction_hash(signed: &[u8]) -> Result<String> {
    facade::transaction_hash(signed).map_err(err)
}

/// Account address (`0x` + 64 hex) of an Ed25519 private key.
#[wasm_bindgen(js_name = addressOf)]
pub fn address_of(#[wasm_bindgen(js_name = privateKey)] private_key: &str) -> Result<String> {
    x402::address_of(private_key).map_err(err)
}

/// JSON `{kind, header, aptos_transaction?}` of any x402 header (`kind`: payment,
/// payment-required, payment-response).
#[wasm_bindgen(js_name = x402DecodeHeader)]
pub fn x402_decode_header(header: &str) -> Result<String> {
    x402::decode_header(header).map_err(err)
}

/// The header (standard base64 of compact JSON) of an x402 object given as JSON.
#[wasm_bindgen(js_name = x402EncodeHeader)]
pub fn x402_encode_header(json: &str) -> Result<String> {
    x402::encode_header(json).map_err(err)
}

/// Signs a payment for the `accept`-th (default 0) way a `PAYMENT-REQUIRED` header offers, as
/// the signer `privateKey`, with the account's next `sequenceNumber`, expiring
/// maxTimeoutSeconds after `now` (chain seconds). Returns the `PAYMENT-SIGNATURE` header; the
/// server's facilitator submits it.
#[wasm_bindgen(js_name = x402Pay)]
pub fn x402_pay(
    #[wasm_bindgen(js_name = privateKey)] private_key: &str,
    #[wasm_bindgen(js_name = paymentRequired)] payment_required: &str,
    #[wasm_bindgen(js_name = sequenceNumber, unchecked_param_type = "bigint")]
    sequence_number: JsValue,
    #[wasm_bindgen(unchecked_param_type = "bigint")] now: JsValue,
    accept: Option<u32>,
    #[wasm_bindgen(js_name = dockerImage)] docker_image: Option<String>,
) -> Result<String> {
    x402::pay(
        private_key,
        payment_required,
        accept.unwrap_or(0) as usize,
        u64_arg(sequence_number, "sequenceNumber")?,
        u64_arg(now, "now")?,
        docker_image.as_deref().unwrap_or(""),
    )
    .map_err(err)
}

/// Every local rule on a payment header against requirements (JSON): `VerifyResponse` JSON
/// `{isValid, invalidReason?, invalidMessage?, payer?, extra?}`. Throws only for input that
/// does not decode.
#[wasm_bindgen(js_name = x402Verify)]
pub fn x402_verify(
    header: &str,
    #[wasm_bindgen(js_name = requirementsJson)] requirements_json: &str,
    #[wasm_bindgen(js_name = feePayers)] fee_payers: Vec<String>,
    #[wasm_bindgen(unchecked_param_type = "bigint")] now: JsValue,
) -> Result<String> {
    x402::verify_payment(header, requirements_json, &fee_payers, u64_arg(now, "now")?).map_err(err)
}

/// `exact` PaymentRequirements JSON; `feePayer` sponsors gas.
#[wasm_bindgen(js_name = x402ExactRequirements)]
pub fn x402_exact_requirements(
    network: &str,
    asset: &str,
    #[wasm_bindgen(js_name = payTo)] pay_to: &str,
    #[wasm_bindgen(unchecked_param_type = "bigint")] amount: JsValue,
    #[wasm_bindgen(js_name = maxTimeoutSeconds, unchecked_param_type = "bigint")]
    max_timeout_seconds: JsValue,
    #[wasm_bindgen(js_name = feePayer)] fee_payer: Option<String>,
) -> Result<String> {
    x402::exact_requirements(
        network,
        asset,
        pay_to,
        u64_arg(amount, "amount")?,
        u64_arg(max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}

/// `stream` PaymentRequirements JSON; the deposit is the nano-rate over the duration, rounded
/// up.
#[wasm_bindgen(js_name = x402StreamRequirements)]
#[allow(clippy::too_many_arguments)]
pub fn x402_stream_requirements(
    network: &str,
    contract: &str,
    provider: &str,
    asset: &str,
    #[wasm_bindgen(js_name = ratePerSecond, unchecked_param_type = "bigint")]
    rate_per_second: JsValue,
    #[wasm_bindgen(js_name = maxDurationSeconds, unchecked_param_type = "bigint")]
    max_duration_seconds: JsValue,
    #[wasm_bindgen(js_name = maxTimeoutSeconds, unchecked_param_type = "bigint")]
    max_timeout_seconds: JsValue,
    #[wasm_bindgen(js_name = feePayer)] fee_payer: Option<String>,
) -> Result<String> {
    x402::stream_requirements(
        network,
        contract,
        provider,
        asset,
        u128_arg(rate_per_second, "ratePerSecond")?,
        u64_arg(max_duration_seconds, "maxDurationSeconds")?,
        u64_arg(max_timeout_seconds, "maxTimeoutSeconds")?,
        fee_payer.as_deref(),
    )
    .map_err(err)
}
