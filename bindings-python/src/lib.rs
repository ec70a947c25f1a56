//! `computestream._native`, re-exported by the `computestream` package. The connected layer
//! (`AsyncClient`, `Client`, `Localnet`, the x402 payer and gate) wraps the core's client,
//! ledger backend and x402 objects; the pure functions (`computestream.raw`) wrap one of
//! `computestream_core::facade` or `computestream_x402::facade`, so Python runs the same code
//! as Rust, Node and the browser. Errors are `ComputeStreamError` (a `ValueError`) with the
//! core's message and its stable `code`.

mod client;
mod errors;
mod localnet;
mod results;
mod runtime;
mod x402_py;

/// The core's ABI tables name `crate::types::…`: here, the same types.
mod types {
    pub(crate) use computestream_core::types::*;
}

use computestream_core::facade;
use computestream_x402::facade as x402;
use errors::error;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The package version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `parse_amount("7.2", 6) == 7_200_000`: a decimal amount in base units.
#[pyfunction]
fn parse_amount(text: &str, decimals: u8) -> PyResult<u64> {
    facade::parse_amount(text, decimals).map_err(error)
}

/// `format_amount(7_200_000, 6) == "7.2"`.
#[pyfunction]
fn format_amount(units: u64, decimals: u8) -> String {
    facade::format_amount(units, decimals)
}

/// A nano-rate (1e-9 base unit per second) from `units` base units per `per`
/// (`"second"`, `"minute"` or `"hour"`).
#[pyfunction]
#[pyo3(signature = (units, per = "hour"))]
fn rate(units: u64, per: &str) -> PyResult<u128> {
    facade::rate(units, per).map_err(error)
}

/// Owed after `active_seconds` at `rate_per_second` (nano-rate), floored, capped at `deposited`.
#[pyfunction]
fn stream_owed(deposited: u64, rate_per_second: u128, active_seconds: u64) -> u64 {
    facade::stream_owed(deposited, rate_per_second, active_seconds)
}

/// Active seconds until `deposited` is fully owed, or `None` if never.
#[pyfunction]
fn seconds_to_deplete(deposited: u64, rate_per_second: u128) -> Option<u64> {
    facade::seconds_to_deplete(deposited, rate_per_second)
}

/// A stream's owed/claimable/refundable/depletion at `now`, from its `get_stream` JSON.
/// Returns JSON (integers as decimal strings).
#[pyfunction]
fn stream_snapshot(stream_json: &str, now: u64) -> PyResult<String> {
    facade::stream_snapshot(stream_json, now)
        .map(|s| s.to_json())
        .map_err(error)
}

/// The BCS bytes of a contract entry function given as JSON.
#[pyfunction]
#[pyo3(signature = (call_json, contract = None))]
fn encode_call<'py>(
    py: Python<'py>,
    call_json: &str,
    contract: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = facade::encode_call(call_json, contract).map_err(error)?;
    Ok(PyBytes::new(py, &bytes))
}

/// The JSON of a contract entry function's BCS bytes.
#[pyfunction]
#[pyo3(signature = (bcs, contract = None))]
fn decode_call(bcs: &[u8], contract: Option<&str>) -> PyResult<String> {
    facade::decode_call(bcs, contract).map_err(error)
}

/// The name of an abort code raised in `module`, or `None`.
#[pyfunction]
fn abort_name(module: &str, code: u64) -> Option<&'static str> {
    facade::abort_name(module, code)
}

/// Signs a contract call (the JSON `encode_call` takes): the signed transaction's BCS, for
/// `POST /v1/transactions` (content type `application/x.aptos.signed_transaction+bcs`).
#[pyfunction]
#[pyo3(signature = (private_key, call_json, sequence_number, chain_id, expiration_secs, contract = None))]
fn sign_call<'py>(
    py: Python<'py>,
    private_key: &str,
    call_json: &str,
    sequence_number: u64,
    chain_id: u8,
    expiration_secs: u64,
    contract: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let signed = facade::sign_call(
        private_key,
        call_json,
        contract,
        sequence_number,
        chain_id,
        expiration_secs,
    )
    .map_err(error)?;
    Ok(PyBytes::new(py, &signed))
}

/// The hash (`0x` + 64 hex) of a signed transaction's BCS.
#[pyfunction]
fn transaction_hash(signed: &[u8]) -> PyResult<String> {
    facade::transaction_hash(signed).map_err(error)
}

/// The account address of an Ed25519 private key (`0x` + 64 hex).
#[pyfunction]
fn address_of(private_key: &str) -> PyResult<String> {
    x402::address_of(private_key).map_err(error)
}

/// Any x402 header as JSON `{"kind", "header", "aptos_transaction"?}`.
#[pyfunction]
fn x402_decode_header(header: &str) -> PyResult<String> {
    x402::decode_header(header).map_err(error)
}

/// The header (base64 of compact JSON) of an x402 object given as JSON.
#[pyfunction]
fn x402_encode_header(json: &str) -> PyResult<String> {
    x402::encode_header(json).map_err(error)
}

/// Signs a payment for the `accept`-th way a `PAYMENT-REQUIRED` header offers; returns the
/// `PAYMENT-SIGNATURE` header.
#[pyfunction]
#[pyo3(signature = (private_key, payment_required, sequence_number, now, accept = 0, docker_image = ""))]
fn x402_pay(
    private_key: &str,
    payment_required: &str,
    sequence_number: u64,
    now: u64,
    accept: usize,
    docker_image: &str,
) -> PyResult<String> {
    x402::pay(
        private_key,
        payment_required,
        accept,
        sequence_number,
        now,
        docker_image,
    )
    .map_err(error)
}

/// Every local rule on a payment header against requirements (JSON); a `VerifyResponse` JSON.
#[pyfunction]
fn x402_verify(
    header: &str,
    requirements_json: &str,
    fee_payers: Vec<String>,
    now: u64,
) -> PyResult<String> {
    x402::verify_payment(header, requirements_json, &fee_payers, now).map_err(error)
}

/// `exact` requirements as JSON.
#[pyfunction]
#[pyo3(signature = (network, asset, pay_to, amount, max_timeout_seconds, fee_payer = None))]
fn x402_exact_requirements(
    network: &str,
    asset: &str,
    pay_to: &str,
    amount: u64,
    max_timeout_seconds: u64,
    fee_payer: Option<&str>,
) -> PyResult<String> {
    x402::exact_requirements(
        network,
        asset,
        pay_to,
        amount,
        max_timeout_seconds,
        fee_payer,
    )
    .map_err(error)
}

/// `stream` requirements as JSON (the deposit is the rate over the duration, rounded up).
#[pyfunction]
#[pyo3(signature = (network, contract, provider, asset, rate_per_second, max_duration_seconds, max_timeout_seconds, fee_payer = None))]
#[allow(clippy::too_many_arguments)]
fn x402_stream_requirements(
    network: &str,
    contract: &str,
    provider: &str,
    asset: &str,
    rate_per_second: u128,
    max_duration_seconds: u64,
    max_timeout_seconds: u64,
    fee_payer: Option<&str>,
) -> PyResult<String> {
    x402::stream_requirements(
        network,
        contract,
        provider,
        asset,
        rate_per_second,
        max_duration_seconds,
        max_timeout_seconds,
        fee_payer,
    )
    .map_err(error)
}

#[pymodule]
#[pyo3(name = "_native")]
fn computestream(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<localnet::Localnet>()?;
    m.add_class::<results::Stream>()?;
    m.add_class::<results::Provider>()?;
    m.add_class::<results::Job>()?;
    m.add_class::<results::Escrow>()?;
    m.add_class::<results::Transaction>()?;
    x402_py::register(m)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(parse_amount, m)?)?;
    m.add_function(wrap_pyfunction!(format_amount, m)?)?;
    m.add_function(wrap_pyfunction!(rate, m)?)?;
    m.add_function(wrap_pyfunction!(stream_owed, m)?)?;
    m.add_function(wrap_pyfunction!(seconds_to_deplete, m)?)?;
    m.add_function(wrap_pyfunction!(stream_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(encode_call, m)?)?;
    m.add_function(wrap_pyfunction!(decode_call, m)?)?;
    m.add_function(wrap_pyfunction!(abort_name, m)?)?;
    m.add_function(wrap_pyfunction!(sign_call, m)?)?;
    m.add_function(wrap_pyfunction!(transaction_hash, m)?)?;
    m.add_function(wrap_pyfunction!(address_of, m)?)?;
    m.add_function(wrap_pyfunction!(x402_decode_header, m)?)?;
    m.add_function(wrap_pyfunction!(x402_encode_header, m)?)?;
    m.add_function(wrap_pyfunction!(x402_pay, m)?)?;
    m.add_function(wrap_pyfunction!(x402_verify, m)?)?;
    m.add_function(wrap_pyfunction!(x402_exact_requirements, m)?)?;
    m.add_function(wrap_pyfunction!(x402_stream_requirements, m)?)?;
    Ok(())
}
