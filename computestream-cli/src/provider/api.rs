//! The two routes a wallet-holding client uses without a payment: `POST
//! /api/v1/providers/register` (`register_provider`) and `POST /api/v1/jobs/create` (`rent`,
//! or `create_job` with `"function": "create_job"`). With the call's arguments (the Move names:
//! `gpu_type`, `vram_gb`, …) they answer the entry-function payload an Aptos wallet signs
//! (`{function, typeArguments, functionArguments}`); with `{"signed_transaction": "0x…"}`
//! (the BCS of a signed transaction of that one entry function of these contracts) they submit
//! it to the node and answer its outcome. Nothing is signed here: the daemon only relays.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use computestream_core::Ledger;
use computestream_core::aptos_sdk::aptos_bcs;
use computestream_core::aptos_sdk::transaction::{SignedTransaction, TransactionPayload};
use computestream_core::contract::Call;
use serde_json::{Value, json};

use super::rental::Daemon;

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into(), "code": code}))).into_response()
}

/// `POST /api/v1/providers/register`.
pub(crate) async fn register(State(daemon): State<Arc<Daemon>>, body: Bytes) -> Response {
    relay(&daemon, &["register_provider"], None, &body).await
}

/// `POST /api/v1/jobs/create`: `rent` unless the body names `create_job`; the provider
/// defaults to this daemon's.
pub(crate) async fn create(State(daemon): State<Arc<Daemon>>, body: Bytes) -> Response {
    let provider = daemon.signer.address().to_long_string();
    relay(&daemon, &["rent", "create_job"], Some(provider), &body).await
}

async fn relay(
    daemon: &Daemon,
    allowed: &[&str],
    provider: Option<String>,
    body: &[u8],
) -> Response {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "expected a JSON object",
        );
    };
    let contract = daemon.client.contract();
    if let Some(signed) = fields.get("signed_transaction") {
        return match signed.as_str().map(|s| submit(daemon, allowed, s)) {
            Some(submitting) => submitting.await,
            None => error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                "signed_transaction: expected a 0x-hex string",
            ),
        };
    }
    let function = match fields.get("function") {
        None => allowed[0].to_string(),
        Some(Value::String(f)) if allowed.contains(&f.as_str()) => f.clone(),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                format!(
                    "function {other}: this route builds {}",
                    allowed.join(" or ")
                ),
            );
        }
    };
    fields.insert("function".into(), Value::String(function));
    if let Some(provider) = provider {
        fields.entry("provider").or_insert(Value::String(provider));
    }
    let call = Value::Object(fields).to_string();
    match computestream_core::facade::entry_function_payload(&call, Some(&contract.to_hex())) {
        Ok(payload) => {
            let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            Json(json!({"payload": payload})).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.code(), e.to_string()),
    }
}

/// Submits a signed transaction of one of the `allowed` entry functions.
async fn submit(daemon: &Daemon, allowed: &[&str], signed: &str) -> Response {
    let bad = |why: String| error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", why);
    let Ok(bytes) = hex::decode(signed.trim_start_matches("0x")) else {
        return bad("signed_transaction: not hex".into());
    };
    let txn: SignedTransaction = match aptos_bcs::from_bytes(&bytes) {
        Ok(t) => t,
        Err(e) => return bad(format!("signed_transaction: {e}")),
    };
    let contract = daemon.client.contract();
    let call = match &txn.raw_txn.payload {
        TransactionPayload::EntryFunction(f) => Call::from_entry_function(contract, f),
        _ => return bad("signed_transaction: not an entry function".into()),
    };
    match call {
        Ok(call) if allowed.contains(&call.function()) => {}
        Ok(call) => {
            return bad(format!(
                "signed_transaction calls {}: this route submits {}",
                call.function(),
                allowed.join(" or ")
            ));
        }
        Err(e) => return bad(format!("signed_transaction: {e}")),
    }
    let outcome = daemon
        .client
        .ledger()
        .submit(&txn)
        .await
        .and_then(|o| o.into_result(contract));
    match outcome {
        Ok(o) => Json(json!({
            "hash": o.hash.to_hex(),
            "version": o.version,
            "sender": o.sender.to_long_string(),
            "success": o.success,
        }))
        .into_response(),
        Err(e) => {
            let status = if e.abort_code().is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_GATEWAY
            };
            let mut body = json!({"error": e.to_string(), "code": e.code()});
            if let Some(name) = e.abort_name() {
                body["abort_name"] = json!(name);
            }
            (status, Json(body)).into_response()
        }
    }
}
