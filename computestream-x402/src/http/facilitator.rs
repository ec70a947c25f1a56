//! The facilitator API over HTTP: `POST /verify`, `POST /settle`, `GET /supported`.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::facilitator::{Facilitator, FacilitatorError, FacilitatorRequest, SupportedResponse};
use crate::wire::{PaymentPayloadRef, PaymentRequirements, SettleResponse, VerifyResponse};

/// A remote facilitator.
#[derive(Clone, Debug)]
pub struct HttpFacilitator {
    base: String,
    http: reqwest::Client,
}

impl HttpFacilitator {
    /// The facilitator at `base` (e.g. `http://127.0.0.1:4021`).
    pub fn new(base: impl Into<String>) -> Self {
        HttpFacilitator {
            base: base.into().trim_end_matches('/').to_string(),
            http: super::http_client(),
        }
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<T, FacilitatorError> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            x402_version: u64,
            payment_payload: &'a PaymentPayloadRef<'a>,
            payment_requirements: &'a PaymentRequirements,
        }
        let body = Body {
            x402_version: payload.x402_version,
            payment_payload: payload,
            payment_requirements: requirements,
        };
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| FacilitatorError(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| FacilitatorError(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            FacilitatorError(format!(
                "{path}: HTTP {status}: {e}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))
        })
    }
}

#[async_trait]
impl Facilitator for HttpFacilitator {
    async fn verify(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<VerifyResponse, FacilitatorError> {
        self.post("/verify", payload, requirements).await
    }

    async fn settle(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<SettleResponse, FacilitatorError> {
        self.post("/settle", payload, requirements).await
    }

    async fn supported(&self) -> Result<SupportedResponse, FacilitatorError> {
        let response = self
            .http
            .get(format!("{}/supported", self.base))
            .send()
            .await
            .map_err(|e| FacilitatorError(e.to_string()))?;
        response
            .json()
            .await
            .map_err(|e| FacilitatorError(e.to_string()))
    }
}

fn bad_request(e: JsonRejection) -> Response {
    // 400 for malformed JSON, 413 above the body limit, 415 without a JSON content type.
    (e.status(), Json(json!({"error": e.body_text()}))).into_response()
}

/// The facilitator's answer as JSON, or 502 when it could not give one.
fn reply<T: serde::Serialize>(result: Result<T, FacilitatorError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e.0}))).into_response(),
    }
}

async fn verify(
    State(f): State<Arc<dyn Facilitator>>,
    body: Result<Json<FacilitatorRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(r)) => reply(
            f.verify(&r.payment_payload.view(), &r.payment_requirements)
                .await,
        ),
        Err(e) => bad_request(e),
    }
}

async fn settle(
    State(f): State<Arc<dyn Facilitator>>,
    body: Result<Json<FacilitatorRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(r)) => reply(
            f.settle(&r.payment_payload.view(), &r.payment_requirements)
                .await,
        ),
        Err(e) => bad_request(e),
    }
}

async fn supported(State(f): State<Arc<dyn Facilitator>>) -> Response {
    reply(f.supported().await)
}

/// Serves a facilitator: `POST /verify`, `POST /settle`, `GET /supported`. Request bodies are
/// capped at 64 KiB; malformed JSON is a 400 with `{"error": …}`. Serve it with
/// [`serve`](super::serve), which bounds how long a client may take to send a request and how
/// many connections are open.
pub fn facilitator_router(facilitator: Arc<dyn Facilitator>) -> Router {
    Router::new()
        .route("/verify", post(verify))
        .route("/settle", post(settle))
        .route("/supported", get(supported))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(cors())
        .with_state(facilitator)
}

/// A page from any origin may ask what the facilitator supports and have a payment verified
/// or settled (a browser wallet's dashboard, a front end on another host): preflights are
/// answered for every origin and the headers the page asks for. It holds no credentials.
fn cors() -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    use tower_http::cors::{AllowHeaders, Any, CorsLayer};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(24 * 60 * 60))
}
