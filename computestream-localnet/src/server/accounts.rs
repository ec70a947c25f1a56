//! Ledger info, accounts, their resources and the contracts' module ABIs, at the latest
//! version (`ledger_version` is checked as the node checks it).

use super::*;

pub(super) fn parse_address(text: &str) -> std::result::Result<AccountAddress, Response> {
    AccountAddress::from_hex(text).map_err(|_| {
        node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid account address {text:?}"),
            None,
        )
    })
}

pub(super) async fn ledger_info(State(s): Shared) -> Response {
    let now = s.ledger.now_micros().await.unwrap_or_default();
    let version = s.ledger.version();
    axum::Json(json!({
        "chain_id": s.ledger.chain_id().await.map(|c| c.id()).unwrap_or(4),
        "epoch": "1",
        "ledger_version": version.to_string(),
        "oldest_ledger_version": "0",
        "ledger_timestamp": now.to_string(),
        "node_role": "full_node",
        "oldest_block_height": "0",
        "block_height": version.to_string(),
        "git_hash": "computestream-localnet",
    }))
    .into_response()
}

/// The `ledger_version` query parameter of the node's state reads.
#[derive(Deserialize)]
pub(super) struct AtVersion {
    ledger_version: Option<String>,
}

impl AtVersion {
    /// Whether the localnet can answer at the requested version. It keeps only the latest
    /// state, so it answers at that one (or when none is given); a later one is the node's
    /// 404 `version_not_found`, an earlier one its 410 `version_pruned`, and one that is not a
    /// u64 its 400 (a parameter its framework could not parse).
    pub(super) fn check(&self, ledger: &LocalLedger) -> std::result::Result<(), Response> {
        let Some(text) = &self.ledger_version else {
            return Ok(());
        };
        let requested: u64 = text.parse().map_err(|e| {
            node_error(
                StatusCode::BAD_REQUEST,
                "web_framework_error",
                format!(
                    "failed to parse parameter `ledger_version`: Parsing u64 string {text:?} \
                     failed, caused by error: {e}"
                ),
                None,
            )
        })?;
        let latest = ledger.version();
        if requested > latest {
            return Err(node_error(
                StatusCode::NOT_FOUND,
                "version_not_found",
                format!("Ledger version not found by Ledger version({requested})"),
                None,
            ));
        }
        if requested < latest {
            return Err(node_error(
                StatusCode::GONE,
                "version_pruned",
                format!(
                    "Ledger version({requested}) has been pruned: the localnet keeps only the \
                     latest state, version {latest}"
                ),
                None,
            ));
        }
        Ok(())
    }
}

pub(super) async fn account(
    State(s): Shared,
    Path(addr): Path<String>,
    Query(at): Query<AtVersion>,
) -> Response {
    let addr = match parse_address(&addr) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = at.check(&s.ledger) {
        return r;
    }
    let seq = s.ledger.sequence_number(addr).await.unwrap_or_default();
    axum::Json(json!({
        "sequence_number": seq.to_string(),
        "authentication_key": addr.to_hex(),
    }))
    .into_response()
}

pub(super) async fn account_resource_json(s: &AppState, addr: AccountAddress) -> Value {
    let seq = s.ledger.sequence_number(addr).await.unwrap_or_default();
    json!({
        "type": "0x1::account::Account",
        "data": {
            "sequence_number": seq.to_string(),
            "authentication_key": addr.to_hex(),
            "guid_creation_num": "0",
        }
    })
}

pub(super) async fn resources(
    State(s): Shared,
    Path(addr): Path<String>,
    Query(at): Query<AtVersion>,
) -> Response {
    let a = match parse_address(&addr) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match at.check(&s.ledger) {
        Ok(()) => axum::Json(json!([account_resource_json(&s, a).await])).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn resource(
    State(s): Shared,
    Path((addr, ty)): Path<(String, String)>,
    Query(at): Query<AtVersion>,
) -> Response {
    let a = match parse_address(&addr) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = at.check(&s.ledger) {
        return r;
    }
    if ty == "0x1::account::Account" {
        return axum::Json(account_resource_json(&s, a).await).into_response();
    }
    node_error(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        format!("Resource not found by Address({addr}), Struct tag({ty})"),
        None,
    )
}

pub(super) async fn module(
    State(s): Shared,
    Path((addr, name)): Path<(String, String)>,
    Query(at): Query<AtVersion>,
) -> Response {
    let a = match parse_address(&addr) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = at.check(&s.ledger) {
        return r;
    }
    match Module::from_name(&name) {
        Some(m) if a == s.ledger.contract() => axum::Json(json::module_abi(a, m)).into_response(),
        _ => node_error(
            StatusCode::NOT_FOUND,
            "module_not_found",
            format!("Module not found by Address({addr}), Module name({name})"),
            None,
        ),
    }
}
