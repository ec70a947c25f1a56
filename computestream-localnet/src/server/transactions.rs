//! Submitting (BCS), simulating (as the node does: a valid signature is refused) and reading
//! transactions by hash.

use super::*;

pub(super) fn is_bcs(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("bcs"))
}

pub(super) fn decode_signed(
    headers: &HeaderMap,
    body: &[u8],
) -> std::result::Result<SignedTransaction, Response> {
    if !is_bcs(headers, header::CONTENT_TYPE) {
        return Err(node_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_input",
            "submit transactions as BCS (application/x.aptos.signed_transaction+bcs)",
            None,
        ));
    }
    aptos_bcs::from_bytes(body).map_err(|e| {
        node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("Failed to deserialize input into SignedTransaction: {e}"),
            None,
        )
    })
}

pub(super) async fn submit(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let txn = match decode_signed(&headers, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match s.ledger.submit(&txn).await {
        Ok(outcome) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({
                "type": "pending_transaction",
                "hash": outcome.hash.to_hex(),
                "sender": txn.raw_txn.sender.to_hex(),
                "sequence_number": txn.raw_txn.sequence_number.to_string(),
                "max_gas_amount": txn.raw_txn.max_gas_amount.to_string(),
                "gas_unit_price": txn.raw_txn.gas_unit_price.to_string(),
                "expiration_timestamp_secs": txn.raw_txn.expiration_timestamp_secs.to_string(),
            })),
        )
            .into_response(),
        Err(e) => error_response(e, s.ledger.contract()),
    }
}

pub(super) async fn simulate(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let txn = match decode_signed(&headers, &body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    // As the node: what is simulated must not be submittable as it stands, or a simulation
    // endpoint would relay signed transactions (the SDKs zero the signature first).
    if verify_signed_transaction(&txn).is_ok() {
        return node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "Simulated transactions must not have a valid signature",
            None,
        );
    }
    match s.ledger.simulate(&txn).await {
        Ok(outcome) => axum::Json(json!([json::transaction_json(
            s.ledger.contract(),
            &outcome,
            Some(&txn),
        )]))
        .into_response(),
        Err(e) => error_response(e, s.ledger.contract()),
    }
}

pub(super) async fn by_hash(State(s): Shared, Path(hash): Path<String>) -> Response {
    let Ok(h) = hash.parse::<HashValue>() else {
        return node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid transaction hash {hash:?}"),
            None,
        );
    };
    let found = match s.ledger.transaction_by_hash(h).await {
        Ok(Some(t)) => Some(t),
        Ok(None) => s
            .faucet
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&h)
            .cloned(),
        Err(e) => return error_response(e, s.ledger.contract()),
    };
    match found {
        Some(t) => {
            let signed = s.ledger.signed_transaction(h);
            axum::Json(json::transaction_json(
                s.ledger.contract(),
                &t,
                signed.as_ref(),
            ))
            .into_response()
        }
        None => node_error(
            StatusCode::NOT_FOUND,
            "transaction_not_found",
            format!("Transaction not found by Transaction hash({hash})"),
            None,
        ),
    }
}
