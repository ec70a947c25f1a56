//! The faucet: `POST /mint?address=&amount=` and `POST /fund`, minting the native coin.

use super::*;

pub(super) fn faucet_mint(
    s: &AppState,
    address: &str,
    amount: u64,
) -> std::result::Result<String, Response> {
    let addr = parse_address(address)?;
    s.ledger
        .mint(addr, AssetId::NATIVE, amount)
        .map_err(|e| error_response(e, s.ledger.contract()))?;
    let mut faucet = s.faucet.lock().unwrap_or_else(|p| p.into_inner());
    let n = faucet.len() as u64;
    let hash = HashValue::new(aptos_sdk::crypto::sha3_256(
        format!("computestream-faucet:{n}:{address}:{amount}").as_bytes(),
    ));
    let outcome = TxnOutcome {
        hash,
        version: s.ledger.version(),
        sender: AccountAddress::ONE,
        sequence_number: n,
        success: true,
        vm_status: "Executed successfully".into(),
        abort: None,
        timestamp_usecs: s.ledger.now_secs() * 1_000_000,
        events: vec![],
    };
    faucet.insert(hash, outcome);
    Ok(hash.to_hex())
}

#[derive(Deserialize)]
pub(super) struct MintQuery {
    address: Option<String>,
    auth_key: Option<String>,
    amount: u64,
}

pub(super) async fn mint(State(s): Shared, Query(q): Query<MintQuery>) -> Response {
    let Some(address) = q.address.or(q.auth_key) else {
        return node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "address is required",
            None,
        );
    };
    match faucet_mint(&s, &address, q.amount) {
        Ok(hash) => axum::Json(json!([hash])).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub(super) struct FundBody {
    address: String,
    amount: u64,
}

pub(super) async fn fund(
    State(s): Shared,
    body: std::result::Result<axum::Json<FundBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(b)) = body else {
        return node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "expected {address, amount}",
            None,
        );
    };
    match faucet_mint(&s, &b.address, b.amount) {
        Ok(hash) => axum::Json(json!({"txn_hashes": [hash]})).into_response(),
        Err(r) => r,
    }
}
