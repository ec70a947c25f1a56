//! `POST /v1/view` with JSON or BCS arguments and results, and the gas estimate.

use super::*;

#[derive(Deserialize)]
pub(super) struct JsonView {
    function: String,
    #[serde(default)]
    type_arguments: Vec<String>,
    #[serde(default)]
    arguments: Vec<Value>,
}

pub(super) fn view_request(
    contract: AccountAddress,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ViewRequest> {
    if is_bcs(headers, header::CONTENT_TYPE) {
        let f: EntryFunction = aptos_bcs::from_bytes(body)
            .map_err(|e| Error::InvalidArgument(format!("view request BCS: {e}")))?;
        return Ok(ViewRequest {
            module: f.module,
            function: f.function,
            type_args: f.type_args,
            args: f.args,
        });
    }
    let v: JsonView = serde_json::from_slice(body)
        .map_err(|e| Error::InvalidArgument(format!("view request JSON: {e}")))?;
    let mut parts = v.function.splitn(3, "::");
    let (Some(addr), Some(module), Some(function)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::InvalidArgument(format!("function {:?}", v.function)));
    };
    let addr = AccountAddress::from_hex(addr)
        .map_err(|_| Error::InvalidArgument(format!("function {:?}", v.function)))?;
    if addr == AccountAddress::ONE && module == "primary_fungible_store" && function == "balance" {
        let [owner, asset] = v.arguments.as_slice() else {
            return Err(Error::InvalidArgument(
                "balance takes (owner, metadata)".into(),
            ));
        };
        let parse = |x: &Value| {
            x.as_str()
                .and_then(|s| AccountAddress::from_hex(s).ok())
                .ok_or_else(|| Error::InvalidArgument(format!("address {x}")))
        };
        return ViewRequest::balance(parse(owner)?, AssetId(parse(asset)?));
    }
    let m = Module::from_name(module)
        .filter(|_| addr == contract)
        .ok_or_else(|| Error::InvalidArgument(format!("unknown view {}", v.function)))?;
    let (params, _) = View::signature(m, function)
        .ok_or_else(|| Error::InvalidArgument(format!("unknown view {}", v.function)))?;
    if !v.type_arguments.is_empty() {
        return Err(Error::InvalidArgument("unexpected type arguments".into()));
    }
    if params.len() != v.arguments.len() {
        return Err(Error::InvalidArgument(format!(
            "{} takes {} arguments, got {}",
            v.function,
            params.len(),
            v.arguments.len()
        )));
    }
    let args = params
        .iter()
        .zip(&v.arguments)
        .map(|((name, ty), value)| json::json_arg_to_bcs(name, ty, value))
        .collect::<Result<Vec<_>>>()?;
    Ok(ViewRequest {
        module: m.id(contract),
        function: function.into(),
        type_args: vec![],
        args,
    })
}

/// `0x1::fungible_asset::{decimals, symbol}(metadata)` with JSON arguments: what a page
/// needs to show an asset's amounts (the framework views a node answers for any asset).
fn metadata_view(s: &AppState, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    if is_bcs(headers, header::CONTENT_TYPE) {
        return None;
    }
    let v: JsonView = serde_json::from_slice(body).ok()?;
    let (prefix, field) = v.function.rsplit_once("::")?;
    let (addr, module) = prefix.split_once("::")?;
    if module != "fungible_asset" || AccountAddress::from_hex(addr).ok()? != AccountAddress::ONE {
        return None;
    }
    if !matches!(field, "decimals" | "symbol") {
        return None;
    }
    let asset = match v.arguments.as_slice() {
        [Value::String(a)] => AccountAddress::from_hex(a).ok(),
        _ => None,
    };
    let Some(asset) = asset else {
        let e = Error::InvalidArgument(format!("{} takes (metadata)", v.function));
        return Some(error_response(e, s.ledger.contract()));
    };
    let state = s.ledger.state();
    let Some(info) = state.asset(AssetId(asset)) else {
        let e = Error::InvalidArgument(format!("no fungible asset at {}", asset.to_hex()));
        return Some(error_response(e, s.ledger.contract()));
    };
    Some(match field {
        "decimals" => axum::Json(json!([info.decimals])).into_response(),
        _ => axum::Json(json!([info.symbol])).into_response(),
    })
}

pub(super) async fn view(
    State(s): Shared,
    Query(at): Query<AtVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = at.check(&s.ledger) {
        return r;
    }
    if let Some(r) = metadata_view(&s, &headers, &body) {
        return r;
    }
    let contract = s.ledger.contract();
    let request = match view_request(contract, &headers, &body) {
        Ok(r) => r,
        Err(e) => return error_response(e, s.ledger.contract()),
    };
    let values = match s.ledger.view(&request).await {
        Ok(v) => v,
        Err(e) => return error_response(e, s.ledger.contract()),
    };
    if is_bcs(&headers, header::ACCEPT) {
        let bytes = aptos_bcs::to_bytes(&values).unwrap_or_default();
        return ([(header::CONTENT_TYPE, "application/x-bcs")], bytes).into_response();
    }
    let json_values: Result<Vec<Value>> = if request.as_balance().is_some() {
        values
            .iter()
            .map(|b| {
                aptos_bcs::from_bytes::<u64>(b)
                    .map(|n| json!(n.to_string()))
                    .map_err(|e| Error::decode(e.to_string()))
            })
            .collect()
    } else {
        View::from_request(contract, &request)
            .map_err(|e| Error::InvalidArgument(e.to_string()))
            .and_then(|v| values.iter().map(|b| v.result_to_json(b)).collect())
    };
    match json_values {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => error_response(e, s.ledger.contract()),
    }
}

pub(super) async fn gas_price() -> Response {
    axum::Json(json!({
        "gas_estimate": 100,
        "deprioritized_gas_estimate": 100,
        "prioritized_gas_estimate": 150,
    }))
    .into_response()
}
