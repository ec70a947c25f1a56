//! `import computestream`: the ComputeStream core for Python. Every function wraps one of
//! `computestream_core::facade`, so Python runs the same code as Rust, Node and the browser.
//! Errors are `ValueError` with the core's message.

use computestream_core::facade;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

fn value_error(e: computestream_core::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The package version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `parse_amount("7.2", 6) == 7_200_000`: a decimal amount in base units.
#[pyfunction]
fn parse_amount(text: &str, decimals: u8) -> PyResult<u64> {
    facade::parse_amount(text, decimals).map_err(value_error)
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
    facade::rate(units, per).map_err(value_error)
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
        .map_err(value_error)
}

/// The BCS bytes of a contract entry function given as JSON.
#[pyfunction]
#[pyo3(signature = (call_json, contract = None))]
fn encode_call<'py>(
    py: Python<'py>,
    call_json: &str,
    contract: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = facade::encode_call(call_json, contract).map_err(value_error)?;
    Ok(PyBytes::new(py, &bytes))
}

/// The JSON of a contract entry function's BCS bytes.
#[pyfunction]
#[pyo3(signature = (bcs, contract = None))]
fn decode_call(bcs: &[u8], contract: Option<&str>) -> PyResult<String> {
    facade::decode_call(bcs, contract).map_err(value_error)
}

/// The name of an abort code raised in `module`, or `None`.
#[pyfunction]
fn abort_name(module: &str, code: u64) -> Option<&'static str> {
    facade::abort_name(module, code)
}

#[pymodule]
fn computestream(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
    Ok(())
}
