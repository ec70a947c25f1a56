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

mod accounts;
mod dashboard;
mod errors;
mod faucet;
mod json;
mod serve;
mod transactions;
mod views;

use accounts::*;
use errors::*;
use faucet::*;
use transactions::*;
use views::*;

pub use dashboard::Dashboard;
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

async fn healthy() -> Response {
    axum::Json(json!({"message": "aptos-node:ok"})).into_response()
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
    app(ledger, limits, None)
}

/// The node API and faucet, and the dashboard's pages when there is one.
fn app(ledger: Arc<LocalLedger>, limits: &Limits, dashboard: Option<&Dashboard>) -> Router {
    let state = Arc::new(AppState {
        ledger,
        faucet: Mutex::new(HashMap::new()),
    });
    let pages = dashboard.map_or_else(Router::new, Dashboard::routes);
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
        .merge(pages)
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
        Localnet::start_inner(ledger, addr, limits, None).await
    }

    /// [`Localnet::start`], also serving the browser dashboard at `/` (see [`Dashboard`]).
    pub async fn start_with_dashboard(
        ledger: Arc<LocalLedger>,
        addr: SocketAddr,
        dashboard: &Dashboard,
    ) -> Result<Localnet> {
        Localnet::start_inner(ledger, addr, Limits::default(), Some(dashboard)).await
    }

    async fn start_inner(
        ledger: Arc<LocalLedger>,
        addr: SocketAddr,
        limits: Limits,
        dashboard: Option<&Dashboard>,
    ) -> Result<Localnet> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = app(ledger, &limits, dashboard);
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
