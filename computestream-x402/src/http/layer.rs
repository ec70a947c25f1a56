//! The [`Gate`] as a tower layer: wrap any axum router or service with `X402Layer::new(gate)`.
//! The handler sees the stream's job (if any) as an `Option<JobId>` request extension. The
//! layer owns no server loop: serve the router with [`serve`](super::serve) for header and
//! body timeouts and a connection cap.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use computestream_core::JobId;
use tower::{Layer, Service};

use crate::gate::{Decision, Gate, GateResponse};

/// Puts a [`Gate`] in front of a service.
#[derive(Clone, Debug)]
pub struct X402Layer {
    gate: Arc<Gate>,
}

impl X402Layer {
    /// The layer for `gate`.
    pub fn new(gate: Arc<Gate>) -> Self {
        X402Layer { gate }
    }
}

impl<S> Layer<S> for X402Layer {
    type Service = X402Service<S>;

    fn layer(&self, inner: S) -> Self::Service {
        X402Service {
            gate: self.gate.clone(),
            inner,
        }
    }
}

/// The service [`X402Layer`] produces.
#[derive(Clone, Debug)]
pub struct X402Service<S> {
    gate: Arc<Gate>,
    inner: S,
}

fn to_response(r: GateResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::PAYMENT_REQUIRED);
    let mut response = (status, axum::Json(r.body)).into_response();
    add_headers(&mut response, r.headers);
    response
}

fn add_headers(response: &mut Response, headers: Vec<(String, String)>) {
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            response.headers_mut().insert(k, v);
        }
    }
}

impl<S> Service<Request<Body>> for X402Service<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let gate = self.gate.clone();
        // The clone is ready-polled by the caller's contract: swap it in, keep the fresh one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let headers = request.headers().clone();
            let lookup = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let admitted = match gate.begin(lookup).await {
                Decision::Respond(r) => return Ok(to_response(r)),
                Decision::Proceed(a) => a,
            };
            request
                .extensions_mut()
                .insert::<Option<JobId>>(admitted.job);
            let mut response = inner.call(request).await?;
            let ok = response.status().is_success();
            match gate.finish(admitted, ok).await {
                Ok(extra) => {
                    add_headers(&mut response, extra);
                    Ok(response)
                }
                Err(r) => Ok(to_response(r)),
            }
        })
    }
}
