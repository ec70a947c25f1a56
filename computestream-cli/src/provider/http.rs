//! The daemon's REST API: available providers, a job's status (chain view + workload) and
//! logs, and the x402-gated `POST /api/v1/compute/execute` whose body is checked against the
//! allow-list before the gate asks for any payment.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use computestream_core::types::parse_address;
use computestream_core::{JobId, JobStatus};
use computestream_x402::gate::Gate;
use computestream_x402::http::X402Layer;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::rental::Daemon;
use super::template::image_allowed;

/// Largest execute body read.
const BODY_LIMIT: usize = 64 * 1024;

/// What a buyer asks to run.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct ExecuteRequest {
    /// The container image (checked against `--allow-image`).
    pub(crate) image: String,
    /// The command, one entry per argv word.
    #[serde(default)]
    pub(crate) command: Vec<String>,
}

/// The daemon's routes, the compute endpoint behind `gate`.
pub(crate) fn router(daemon: Arc<Daemon>, gate: Arc<Gate>, access_gate: Arc<Gate>) -> Router {
    let execute = post(execute)
        .layer(X402Layer::new(gate))
        // Outermost: a refused image never reaches the gate, so it is never asked to pay.
        .layer(middleware::from_fn_with_state(daemon.clone(), admit_body));
    Router::new()
        .route("/api/v1/providers/available", get(available))
        .route("/api/v1/jobs/{payer}/{id}/status", get(status))
        .route("/api/v1/jobs/{payer}/{id}/logs", get(logs))
        .route("/api/v1/compute/execute", execute)
        .route(
            "/api/v1/compute/access/{provider}",
            get(super::access::issue)
                .layer(X402Layer::new(access_gate))
                // Outermost: another provider's address is refused before any payment.
                .layer(middleware::from_fn_with_state(
                    daemon.clone(),
                    super::access::only_this_provider,
                )),
        )
        .route(
            "/api/v1/compute/access/{provider}/verify",
            get(super::access::verify),
        )
        .route("/api/v1/providers/register", post(super::api::register))
        .route("/api/v1/jobs/create", post(super::api::create))
        .with_state(daemon)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// Reads and checks the execute body; the parsed request goes on as an extension.
async fn admit_body(State(daemon): State<Arc<Daemon>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "body above 64 KiB");
    };
    let wanted: ExecuteRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"image\": .., \"command\": [..]}}: {e}"),
            );
        }
    };
    if !image_allowed(&daemon.policy.allow, &wanted.image) {
        return error(
            StatusCode::FORBIDDEN,
            format!("image {:?} is not offered here", wanted.image),
        );
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(wanted);
    next.run(request).await
}

/// After settlement: checks the job, `start_job`, starts the workload.
async fn execute(
    State(daemon): State<Arc<Daemon>>,
    Extension(job): Extension<Option<JobId>>,
    Extension(wanted): Extension<ExecuteRequest>,
) -> Response {
    let Some(job) = job else {
        return error(StatusCode::BAD_REQUEST, "no stream job with this payment");
    };
    let accepted = |rental: &str| {
        let status_url = format!(
            "{}/api/v1/jobs/{}/{}/status",
            daemon.policy.public_url,
            job.buyer.to_long_string(),
            job.id
        );
        let body = json!({"job": job.to_string(), "rental": rental, "status_url": status_url,
                          "logs_url": daemon.logs_url(job)});
        (StatusCode::ACCEPTED, Json(body)).into_response()
    };
    let Some(rental) = daemon.claim(job) else {
        return accepted("already served");
    };
    match start(&daemon, job, &wanted).await {
        Ok(()) => {
            let argv = daemon.policy.template.argv(&wanted.image, &wanted.command);
            daemon.run(job, argv, rental).await;
            accepted("started")
        }
        Err((status, why)) => {
            daemon
                .rentals
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&job);
            // Nothing ran: the whole escrow goes back to the buyer.
            let refund = daemon
                .client
                .close_stream(&daemon.signer, job.buyer, job.id)
                .await;
            match refund {
                Ok(_) => daemon.forget(job),
                Err(e) => {
                    daemon.signer.resync();
                    eprintln!("rental {job}: refusing: close_stream: {e}");
                }
            }
            error(status, why)
        }
    }
}

/// Starts `job` on chain if it is ours, pending and for the image asked.
async fn start(
    daemon: &Daemon,
    job: JobId,
    wanted: &ExecuteRequest,
) -> Result<(), (StatusCode, String)> {
    let record = daemon
        .client
        .get_job(job.buyer, job.id)
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("get_job: {e}")))?;
    if record.provider != daemon.signer.address() || record.status != JobStatus::Pending {
        return Err((
            StatusCode::CONFLICT,
            format!("job {job} is not pending here"),
        ));
    }
    if !record.docker_image.is_empty() && record.docker_image != wanted.image {
        // The buyer paid for another image than the body names: run neither.
        let _ = daemon
            .client
            .reject_job(&daemon.signer, job.buyer, job.id)
            .await;
        return Err((
            StatusCode::CONFLICT,
            format!(
                "the payment rents {:?}, the body asks for {:?}",
                record.docker_image, wanted.image
            ),
        ));
    }
    daemon
        .client
        .start_job(&daemon.signer, job.buyer, job.id)
        .await
        .map(|_| ())
        .map_err(|e| {
            daemon.signer.resync();
            (StatusCode::BAD_GATEWAY, format!("start_job: {e}"))
        })
}

/// Registered providers that accept jobs, from the chain.
async fn available(State(daemon): State<Arc<Daemon>>) -> Response {
    const PAGE: u64 = 100;
    let mut providers = Vec::new();
    let mut offset = 0;
    loop {
        let page = match daemon.client.list_providers(offset, PAGE).await {
            Ok(p) => p,
            Err(e) => return error(StatusCode::BAD_GATEWAY, format!("list_providers: {e}")),
        };
        for address in &page {
            match daemon.client.get_provider(*address).await {
                Ok(p) if p.is_active => providers.push(p),
                Ok(_) => {}
                Err(e) => return error(StatusCode::BAD_GATEWAY, format!("get_provider: {e}")),
            }
        }
        if (page.len() as u64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    Json(json!({"providers": providers})).into_response()
}

/// The job path's BUYER and ID.
fn job_path(payer: &str, id: &str) -> Result<JobId, String> {
    let buyer = parse_address(payer).map_err(|e| format!("payer {payer:?}: {e}"))?;
    let id = id.parse().map_err(|_| format!("job id {id:?}"))?;
    Ok(JobId { buyer, id })
}

/// The job and its stream as the chain has them now, with the workload's state.
async fn status(
    State(daemon): State<Arc<Daemon>>,
    Path((payer, id)): Path<(String, String)>,
) -> Response {
    let job = match job_path(&payer, &id) {
        Ok(j) => j,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let client = &daemon.client;
    let (record, now) =
        match tokio::try_join!(client.get_job(job.buyer, job.id), client.now_seconds()) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::NOT_FOUND, format!("job {job}: {e}")),
        };
    let record_status = record.status;
    let stream = client.get_stream(job.buyer, job.id).await.ok().map(|s| {
        let depletion = s.depletion_time(now);
        json!({
            "rate_per_second_nanos": s.rate_per_second.nanos_per_second().to_string(),
            "deposited": s.deposited.to_string(),
            "paid": s.paid.to_string(),
            "owed": s.owed_at(now).to_string(),
            "claimable": s.claimable_at(now).to_string(),
            "escrow_left": s.refundable_at(now).to_string(),
            "active_seconds": s.active_seconds(now),
            "seconds_to_depletion": (depletion != computestream_core::math::NEVER)
                .then(|| depletion.saturating_sub(now)),
            "paying": s.is_paying(now),
            "is_paused": s.is_paused,
            "is_closed": s.is_closed,
        })
    });
    let workload: Value = daemon
        .rental(job)
        .map(|r| json!(*r.status.lock().unwrap_or_else(|p| p.into_inner())))
        .unwrap_or(Value::Null);
    // The job's status by name, as the SDKs give it (the chain's record has its number).
    let mut record = json!(record);
    record["status"] = record_status.name().into();
    Json(json!({
        "job": job.to_string(),
        "chain_time": now,
        "record": record,
        "stream": stream,
        "workload": workload,
    }))
    .into_response()
}

/// The workload's output: as plain text so far, or with `Accept: text/event-stream` as
/// server-sent events (one `data` event per line, the kept lines first, then each new line as
/// it comes, and a final `end` event when the workload's output ends).
async fn logs(
    State(daemon): State<Arc<Daemon>>,
    Path((payer, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let job = match job_path(&payer, &id) {
        Ok(j) => j,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let Some(rental) = daemon.rental(job) else {
        return error(StatusCode::NOT_FOUND, format!("no workload for {job} here"));
    };
    let wants_events = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !wants_events {
        return rental.logs.text().into_response();
    }
    let lines = rental
        .logs
        .follow()
        .map(|line| Ok::<_, Infallible>(Event::default().data(line)));
    let end = futures_util::stream::once(async {
        Ok::<_, Infallible>(Event::default().event("end").data(""))
    });
    Sse::new(lines.chain(end))
        .keep_alive(KeepAlive::default())
        .into_response()
}
