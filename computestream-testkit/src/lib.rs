//! Helpers the ComputeStream crates' test suites share: the cross-language case tables of
//! `testdata/bindings/` and the HTTP probes the node, facilitator and CLI suites send. Never
//! a dependency of a published crate.

pub mod fuzz;

use std::path::PathBuf;

use computestream_core::ErrorCode;
use serde_json::Value;

/// `testdata/` at the workspace root.
pub fn testdata(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(relative)
}

/// A case table of `testdata/bindings/` (e.g. `"cases.json"`), parsed.
pub fn case_table(file: &str) -> Value {
    let path = testdata(&format!("bindings/{file}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A case's string field.
pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// A case's integer field, written as a decimal string.
pub fn int<T: std::str::FromStr>(v: &Value) -> T {
    s(v).parse()
        .unwrap_or_else(|_| panic!("{v} is not an integer of the expected type"))
}

/// Compares a result with a case's `returns`, or with its `error` (a substring of the
/// message) and `code` (the error's stable code).
pub fn check_case<E: ErrorCode>(case: &Value, result: Result<Value, E>) {
    match (result, case.get("error")) {
        (Ok(v), None) => assert_eq!(v, case["returns"], "{case}"),
        (Err(e), Some(expected)) => {
            assert!(e.to_string().contains(s(expected)), "{case}: {e}");
            assert_eq!(
                Some(e.code()),
                case.get("code").and_then(Value::as_str),
                "{case}: code of {e}"
            );
        }
        (Ok(v), Some(_)) => panic!("{case}: expected an error, got {v}"),
        (Err(e), None) => panic!("{case}: {e}"),
    }
}

/// The status and JSON body (`Null` when the body is not JSON) of a response.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET url`: status and JSON body.
pub async fn get_json(url: &str) -> (u16, Value) {
    let response = computestream_core::http_client()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    status_and_json(response).await
}

/// `POST url` with a body of `content_type`: status and JSON body.
pub async fn post(url: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = computestream_core::http_client()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    status_and_json(response).await
}

/// `POST url` with a JSON body: status and JSON body.
pub async fn post_json(url: &str, body: &Value) -> (u16, Value) {
    post(url, "application/json", body.to_string()).await
}
