//! The embedded ledger as an Aptos-compatible node: the subset of the node REST API (and the
//! faucet) that aptos-sdk (Rust), `@aptos-labs/ts-sdk` and the Python `aptos-sdk` use, so code
//! written for Movement runs unchanged against it. Start one in-process with
//! [`Localnet::start`]; `computestream localnet` serves one from the command line.
//!
//! Served: `GET /v1` (ledger info), `GET /v1/accounts/{addr}`, its resources (list and one) and
//! the contracts' module ABIs, `POST /v1/transactions` (BCS), `POST /v1/transactions/simulate`,
//! `GET /v1/transactions/by_hash/{hash}` and `wait_by_hash`, `POST /v1/view` (JSON or BCS
//! arguments, JSON or BCS results), `GET /v1/estimate_gas_price`, and the faucet's
//! `POST /mint?address=&amount=` and `POST /fund`. Every error, down to a request the HTTP
//! parser refuses, is in the node's JSON shape (`{message, error_code, vm_error_code}`) with
//! the node's status. Pages from any origin may read it (CORS).

// Handlers return a ready `Response` as their error: it is built once, on the error path.
#![allow(clippy::result_large_err)]

mod json;
mod serve;

pub use serve::{HEADER_READ_TIMEOUT, Limits, MAX_BODY_BYTES, MAX_CONNECTIONS, REQUEST_TIMEOUT};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{EntryFunction, SignedTransaction};
use aptos_sdk::types::HashValue;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::cors::{AllowHeaders, Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use crate::LocalLedger;
use computestream_core::contract::{AbortModule, Module, View, ViewRequest};
use computestream_core::error::{Error, RejectReason, Result};
use computestream_core::ledger::{Ledger, TxnOutcome};
use computestream_core::tx::verify_signed_transaction;
use computestream_core::types::{AccountAddress, AssetId};

struct AppState {
    ledger: Arc<LocalLedger>,
    faucet: Mutex<HashMap<HashValue, TxnOutcome>>,
}

type Shared = State<Arc<AppState>>;

/// The body of an error in the node's shape: `{message, error_code, vm_error_code}`.
fn node_error_json(code: &str, message: impl Into<String>, vm: Option<u64>) -> Value {
    let mut body = json!({"message": message.into(), "error_code": code});
    if let Some(vm) = vm {
        body["vm_error_code"] = json!(vm);
    }
    body
}

/// An error in the node's shape: `{message, error_code, vm_error_code}`.
fn node_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    vm: Option<u64>,
) -> Response {
    (status, axum::Json(node_error_json(code, message, vm))).into_response()
}

/// The web framework's own error answers in the node's shape, as the node converts those of
/// its framework (poem): an extractor's rejection (a query string, path or body it cannot
/// read, a body over the limit), a 405, the request deadline's 408. The status and headers
/// (e.g. `Allow`) stay, the error code is `web_framework_error` and the framework's text the
/// message. Answers already in the node's JSON shape pass through.
async fn node_shaped_framework_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are one line; a longer body is not one, and its text is not needed.
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        text => text.to_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let body = node_error_json("web_framework_error", message, None).to_string();
    Response::from_parts(parts, body.into())
}

fn reject_code(reason: RejectReason) -> Option<u64> {
    // Aptos `StatusCode` numbers.
    match reason {
        RejectReason::InvalidSignature => Some(1),
        RejectReason::SequenceNumberTooOld => Some(3),
        RejectReason::SequenceNumberTooNew => Some(4),
        RejectReason::TransactionExpired => Some(6),
        _ => None,
    }
}

fn error_response(e: Error, contract: AccountAddress) -> Response {
    match e {
        Error::Rejected {
            reason: RejectReason::MalformedTransaction,
            message,
        } => node_error(StatusCode::BAD_REQUEST, "invalid_input", message, None),
        Error::Rejected { reason, message } => node_error(
            StatusCode::BAD_REQUEST,
            "vm_error",
            format!(
                "Invalid transaction: Type: Validation Code: {}: {message}",
                reason.vm_status()
            ),
            reject_code(reason),
        ),
        Error::Abort { code, .. } => {
            let address = if code.module() == AbortModule::FungibleAsset {
                AccountAddress::ONE
            } else {
                contract
            }
            .to_hex();
            node_error(
                StatusCode::BAD_REQUEST,
                "vm_error",
                format!(
                    "Move abort in {address}::{}: {}(0x{:x})",
                    code.module().name(),
                    code.name(),
                    code.code()
                ),
                Some(4016),
            )
        }
        Error::InvalidArgument(m) | Error::Decode(m) => {
            node_error(StatusCode::BAD_REQUEST, "invalid_input", m, None)
        }
        other => node_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            other.to_string(),
            None,
        ),
    }
}

fn parse_address(text: &str) -> std::result::Result<AccountAddress, Response> {
    AccountAddress::from_hex(text).map_err(|_| {
        node_error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("invalid account address {text:?}"),
            None,
        )
    })
}

async fn ledger_info(State(s): Shared) -> Response {
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
struct AtVersion {
    ledger_version: Option<String>,
}

impl AtVersion {
    /// Whether the localnet can answer at the requested version. It keeps only the latest
    /// state, so it answers at that one (or when none is given); a later one is the node's
    /// 404 `version_not_found`, an earlier one its 410 `version_pruned`, and one that is not a
    /// u64 its 400 (a parameter its framework could not parse).
    fn check(&self, ledger: &LocalLedger) -> std::result::Result<(), Response> {
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

async fn account(
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

async fn account_resource_json(s: &AppState, addr: AccountAddress) -> Value {
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

async fn resources(
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

async fn resource(
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

async fn module(
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

fn is_bcs(headers: &HeaderMap, name: header::HeaderName) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("bcs"))
}

fn decode_signed(
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

async fn submit(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
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

async fn simulate(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
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

async fn by_hash(State(s): Shared, Path(hash): Path<String>) -> Response {
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

#[derive(Deserialize)]
struct JsonView {
    function: String,
    #[serde(default)]
    type_arguments: Vec<String>,
    #[serde(default)]
    arguments: Vec<Value>,
}

fn view_request(contract: AccountAddress, headers: &HeaderMap, body: &[u8]) -> Result<ViewRequest> {
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

async fn view(
    State(s): Shared,
    Query(at): Query<AtVersion>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = at.check(&s.ledger) {
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

async fn gas_price() -> Response {
    axum::Json(json!({
        "gas_estimate": 100,
        "deprioritized_gas_estimate": 100,
        "prioritized_gas_estimate": 150,
    }))
    .into_response()
}

async fn healthy() -> Response {
    axum::Json(json!({"message": "aptos-node:ok"})).into_response()
}

fn faucet_mint(s: &AppState, address: &str, amount: u64) -> std::result::Result<String, Response> {
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
struct MintQuery {
    address: Option<String>,
    auth_key: Option<String>,
    amount: u64,
}

async fn mint(State(s): Shared, Query(q): Query<MintQuery>) -> Response {
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
struct FundBody {
    address: String,
    amount: u64,
}

async fn fund(
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

async fn not_found() -> Response {
    node_error(
        StatusCode::NOT_FOUND,
        "web_framework_error",
        "not found",
        None,
    )
}

async fn method_not_allowed() -> Response {
    node_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "web_framework_error",
        "method not allowed",
        None,
    )
}

/// Any page may read the chain and submit to it: preflights are answered for every origin,
/// method the routes serve and header the page asks for (a BCS `Content-Type` needs one), and
/// every answer, errors included, carries `Access-Control-Allow-Origin: *`. The localnet
/// holds no credentials, so there are none to allow.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// The localnet's node API and faucet over `ledger`, with the default [`Limits`]: everything
/// [`Localnet`] serves (routes, node-shaped errors, CORS, the body limit and the request
/// deadline) except what belongs to a connection (the header-read deadline and the connection
/// cap live in [`Localnet`]'s accept loop). A `tower::Service`, so a fuzz target or a test can
/// drive it in process without a socket:
///
/// ```rust,no_run
/// use std::sync::Arc;
///
/// use axum::body::Body;
/// use axum::http::Request;
/// use computestream_localnet::LocalLedger;
/// use computestream_localnet::server::router;
/// use tower::ServiceExt;
///
/// # async fn run() {
/// let app = router(Arc::new(LocalLedger::in_memory()));
/// let request = Request::post("/v1/view")
///     .header("content-type", "application/json")
///     .body(Body::from("{not json"))
///     .unwrap();
/// let answer = app.oneshot(request).await.unwrap();
/// assert_eq!(answer.status(), 400);
/// # }
/// ```
pub fn router(ledger: Arc<LocalLedger>) -> Router {
    router_with_limits(ledger, &Limits::default())
}

/// [`router`] with the request limits of `limits` (body size, time to answer).
pub fn router_with_limits(ledger: Arc<LocalLedger>, limits: &Limits) -> Router {
    let state = Arc::new(AppState {
        ledger,
        faucet: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/v1", get(ledger_info))
        .route("/v1/", get(ledger_info))
        .route("/v1/-/healthy", get(healthy))
        .route("/v1/accounts/{addr}", get(account))
        .route("/v1/accounts/{addr}/resources", get(resources))
        .route("/v1/accounts/{addr}/resource/{ty}", get(resource))
        .route("/v1/accounts/{addr}/module/{name}", get(module))
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/simulate", post(simulate))
        .route("/v1/transactions/by_hash/{hash}", get(by_hash))
        .route("/v1/transactions/wait_by_hash/{hash}", get(by_hash))
        .route("/v1/view", post(view))
        .route("/v1/estimate_gas_price", get(gas_price))
        .route("/mint", post(mint))
        .route("/fund", post(fund))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response(node_shaped_framework_errors))
        .layer(cors())
        .with_state(state)
}

/// A running localnet.
#[derive(Debug)]
pub struct Localnet {
    url: String,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Localnet {
    /// Serves `ledger` on `addr` (port 0: a free port) in the current tokio runtime, with the
    /// default [`Limits`].
    pub async fn start(ledger: Arc<LocalLedger>, addr: SocketAddr) -> Result<Localnet> {
        Localnet::start_with_limits(ledger, addr, Limits::default()).await
    }

    /// [`Localnet::start`] with other [`Limits`].
    pub async fn start_with_limits(
        ledger: Arc<LocalLedger>,
        addr: SocketAddr,
        limits: Limits,
    ) -> Result<Localnet> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router_with_limits(ledger, &limits);
        let task = tokio::spawn(serve::serve(listener, app, limits, stopped));
        Ok(Localnet {
            url: format!("http://{addr}"),
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Starts on a free loopback port.
    pub async fn start_local(ledger: Arc<LocalLedger>) -> Result<Localnet> {
        Localnet::start(ledger, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// The base URL (the node API is under `/v1`, the faucet at the root).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The node API URL (`…/v1`).
    pub fn node_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
