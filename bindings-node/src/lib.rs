//! `require('computestream')`: the ComputeStream core for Node. Every function wraps one of
//! `computestream_core::facade`. u64 and u128 values travel as decimal strings so no
//! precision is lost; errors are thrown as `Error` with the core's message.

use computestream_core::facade;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

fn err(e: computestream_core::Error) -> napi::Error {
    napi::Error::from_reason(e.to_string())
}

fn int<T: std::str::FromStr>(text: &str, what: &str) -> napi::Result<T> {
    facade::parse_int(text, what).map_err(err)
}

fn decimals(d: u32) -> napi::Result<u8> {
    u8::try_from(d).map_err(|_| napi::Error::from_reason(format!("decimals {d}: above 255")))
}

/// The package version.
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `parseAmount("7.2", 6) === "7200000"`.
#[napi]
pub fn parse_amount(text: String, decimals_: u32) -> napi::Result<String> {
    Ok(facade::parse_amount(&text, decimals(decimals_)?)
        .map_err(err)?
        .to_string())
}

/// `formatAmount("7200000", 6) === "7.2"`.
#[napi]
pub fn format_amount(units: String, decimals_: u32) -> napi::Result<String> {
    Ok(facade::format_amount(
        int(&units, "units")?,
        decimals(decimals_)?,
    ))
}

/// Nano-rate for `units` base units per `per` ("second" | "minute" | "hour").
#[napi]
pub fn rate(units: String, per: String) -> napi::Result<String> {
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
) -> napi::Result<String> {
    Ok(facade::stream_owed(
        int(&deposited, "deposited")?,
        int(&rate_per_second, "ratePerSecond")?,
        int(&active_seconds, "activeSeconds")?,
    )
    .to_string())
}

/// Active seconds until the deposit is fully owed; `null` if never.
#[napi]
pub fn seconds_to_deplete(
    deposited: String,
    rate_per_second: String,
) -> napi::Result<Option<String>> {
    Ok(facade::seconds_to_deplete(
        int(&deposited, "deposited")?,
        int(&rate_per_second, "ratePerSecond")?,
    )
    .map(|s| s.to_string()))
}

/// JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record.
#[napi]
pub fn stream_snapshot(stream_json: String, now: String) -> napi::Result<String> {
    Ok(facade::stream_snapshot(&stream_json, int(&now, "now")?)
        .map_err(err)?
        .to_json())
}

/// BCS of the entry function for a call given as JSON.
#[napi]
pub fn encode_call(call_json: String, contract: Option<String>) -> napi::Result<Buffer> {
    Ok(facade::encode_call(&call_json, contract.as_deref())
        .map_err(err)?
        .into())
}

/// JSON of an entry function's BCS bytes.
#[napi]
pub fn decode_call(bcs: Buffer, contract: Option<String>) -> napi::Result<String> {
    facade::decode_call(&bcs, contract.as_deref()).map_err(err)
}

/// Name of an abort code raised in `module`, or `null`.
#[napi]
pub fn abort_name(module: String, code: String) -> napi::Result<Option<&'static str>> {
    Ok(facade::abort_name(&module, int(&code, "code")?))
}
