//! Over real HTTP on loopback: an axum resource behind `X402Layer`, a facilitator served by
//! `facilitator_router` and reached through `HttpFacilitator`, and `PayingClient` answering
//! the 402 by itself, for `exact` and `stream`; spending-policy refusals; facilitator errors;
//! the server loop's timeouts and connection cap. Everything is served by `http::serve`.
#![cfg(feature = "http")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Json, Router};
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AssetId, ContractClient, JobId, Rate, Signer};
use computestream_localnet::LocalLedger;
use computestream_x402::gate::Gate;
use computestream_x402::http::{
    ClientError, HttpFacilitator, Payer, PayingClient, ServeLimits, SpendingPolicy, X402Layer,
    facilitator_router,
};
use computestream_x402::schemes::{StreamTerms, exact_requirements};
use computestream_x402::wire::ResourceInfo;
use computestream_x402::{Facilitator, LocalFacilitator, Network};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve(router: Router) -> String {
    format!(
        "http://{}",
        serve_with(router, ServeLimits::default()).await
    )
}

async fn serve_with(router: Router, limits: ServeLimits) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let forever = std::future::pending();
    tokio::spawn(computestream_x402::http::serve(
        listener, router, limits, forever,
    ));
    addr
}

struct World {
    ledger: Arc<LocalLedger>,
    url: String,
    facilitator_url: String,
    buyer: Arc<Signer>,
    provider: Signer,
    usdc: AssetId,
}

async fn world(scheme: &str) -> World {
    let (ledger, _clock) = LocalLedger::with_manual_clock(1_700_000_000);
    let ledger = Arc::new(ledger);
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    let buyer = Arc::new(Signer::from_seed("http:buyer"));
    let provider = Signer::from_seed("http:provider");
    ledger.mint(buyer.address(), usdc, 10_000_000).unwrap();
    ledger
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS)
        .register_provider(&provider, "H100".into(), 80, 2_000_000_000_000, 100_000_000)
        .await
        .unwrap();
    let local = LocalFacilitator::new(
        ledger.clone(),
        Network::Localnet,
        LOCAL_CONTRACT_ADDRESS,
        vec![Signer::from_seed("http:fee-payer")],
    );
    let fee_payer = local.fee_payer();
    let facilitator_url = serve(facilitator_router(Arc::new(local))).await;
    let remote: Arc<dyn Facilitator> = Arc::new(HttpFacilitator::new(&facilitator_url));
    let requirements = if scheme == "exact" {
        exact_requirements(
            Network::Localnet,
            usdc,
            provider.address(),
            1_000,
            60,
            fee_payer,
        )
    } else {
        StreamTerms {
            network: Network::Localnet,
            contract: LOCAL_CONTRACT_ADDRESS,
            provider: provider.address(),
            asset: usdc,
            rate: Rate::from_nanos_per_second(2_000_000_000_000),
            max_duration_seconds: 600,
            fee_payer,
        }
        .requirements(60)
        .unwrap()
    };
    let gate = Gate::new(
        remote,
        ResourceInfo {
            url: "/gpu".into(),
            description: None,
            mime_type: None,
        },
        vec![requirements],
    )
    .with_stream_admission(ledger.clone(), None);
    let app = Router::new()
        .route(
            "/gpu",
            get(|Extension(job): Extension<Option<JobId>>| async move {
                Json(json!({"ok": true, "job": job.map(|j| j.to_string())}))
            }),
        )
        .layer(X402Layer::new(Arc::new(gate)));
    let url = serve(app).await;
    World {
        ledger,
        url,
        facilitator_url,
        buyer,
        provider,
        usdc,
    }
}

#[tokio::test]
async fn exact_over_http_pays_once_and_returns_the_resource() {
    let w = world("exact").await;
    let plain = computestream_core::http_client()
        .get(format!("{}/gpu", w.url))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 402);
    assert!(plain.headers().contains_key("payment-required"));

    let client = PayingClient::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(5_000, 10_000),
    );
    let paid = client.get(&format!("{}/gpu", w.url)).await.unwrap();
    assert_eq!(paid.response.status().as_u16(), 200);
    let receipt = paid.receipt.clone().expect("receipt");
    assert!(receipt.success);
    let body: Value = paid.response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
    assert_eq!(client.spent_last_hour(), 1_000);

    // A second request pays again (a new sequence number), under the hourly budget.
    client.get(&format!("{}/gpu", w.url)).await.unwrap();
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 2_000);
}

#[tokio::test]
async fn the_spending_policy_refuses_before_signing() {
    let w = world("exact").await;
    let cheap = PayingClient::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(999, 10_000),
    );
    let err = cheap.get(&format!("{}/gpu", w.url)).await.unwrap_err();
    assert!(
        matches!(err, ClientError::NotAllowed(ref m) if m.contains("per-payment cap")),
        "{err}"
    );

    let budget = PayingClient::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(1_000, 1_500),
    );
    budget.get(&format!("{}/gpu", w.url)).await.unwrap();
    let err = budget.get(&format!("{}/gpu", w.url)).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::OverBudget {
                spent: 1_000,
                amount: 1_000,
                cap: 1_500
            }
        ),
        "{err}"
    );

    let mut wrong_net = SpendingPolicy::new(5_000, 10_000);
    wrong_net.networks = vec!["movement:126".into()];
    let picky = PayingClient::new(w.buyer.clone(), w.ledger.clone(), wrong_net);
    assert!(matches!(
        picky.get(&format!("{}/gpu", w.url)).await,
        Err(ClientError::NotAllowed(_))
    ));
    assert_eq!(
        w.ledger.balance(w.provider.address(), w.usdc),
        1_000,
        "only the allowed payment moved"
    );
}

#[tokio::test]
async fn stream_over_http_opens_a_job_that_later_requests_use() {
    let w = world("stream").await;
    let client = PayingClient::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(2_000_000, 2_000_000),
    )
    .with_docker_image("pytorch/pytorch:2.4");
    let paid = client.get(&format!("{}/gpu", w.url)).await.unwrap();
    let receipt = paid.receipt.clone().unwrap();
    let job = receipt.extra.as_ref().unwrap()["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    let body: Value = paid.response.json().await.unwrap();
    assert_eq!(body["job"], json!(job));
    assert_eq!(
        w.ledger.balance(w.buyer.address(), w.usdc),
        10_000_000 - 1_200_000
    );

    let again = computestream_core::http_client()
        .get(format!("{}/gpu", w.url))
        .header("COMPUTESTREAM-JOB", &job)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status().as_u16(),
        200,
        "an open, funded stream is admitted"
    );
}

#[tokio::test]
async fn the_facilitator_server_answers_bad_input_with_400() {
    let w = world("exact").await;
    let http = computestream_core::http_client();
    let r = http
        .post(format!("{}/verify", w.facilitator_url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string());
    let big = "x".repeat(100 * 1024);
    let r = http
        .post(format!("{}/settle", w.facilitator_url))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let supported: Value = http
        .get(format!("{}/supported", w.facilitator_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(supported["kinds"].as_array().unwrap().len(), 2);
    assert_eq!(supported["kinds"][0]["network"], "aptos:4");
}

#[tokio::test]
async fn pages_from_other_origins_can_use_the_facilitator() {
    let w = world("exact").await;
    let http = computestream_core::http_client();
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/verify", w.facilitator_url),
        )
        .header("origin", "http://dashboard.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert_eq!(headers["access-control-allow-headers"], "content-type");
    let supported = http
        .get(format!("{}/supported", w.facilitator_url))
        .header("origin", "http://dashboard.example")
        .send()
        .await
        .unwrap();
    assert_eq!(supported.headers()["access-control-allow-origin"], "*");
}

/// How long a test waits for the server to act; generous, since only a server that never acts
/// should fail.
const BOUND: Duration = Duration::from_secs(20);

/// A facilitator served under `limits`.
async fn limited_facilitator(limits: ServeLimits) -> SocketAddr {
    let (ledger, _clock) = LocalLedger::with_manual_clock(1_700_000_000);
    let local = LocalFacilitator::new(
        Arc::new(ledger),
        Network::Localnet,
        LOCAL_CONTRACT_ADDRESS,
        vec![Signer::from_seed("limits:fee-payer")],
    );
    serve_with(facilitator_router(Arc::new(local)), limits).await
}

/// What the server sends on `stream` until it closes the connection; fails if it keeps it
/// open past [`BOUND`].
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            received.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {BOUND:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn slow_clients_are_cut_off_while_a_normal_one_is_served() {
    let addr = limited_facilitator(ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        max_connections: 16,
    })
    .await;
    // Headers that never end.
    let mut slow_head = TcpStream::connect(addr).await.unwrap();
    slow_head
        .write_all(b"POST /verify HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A body that never ends.
    let mut slow_body = TcpStream::connect(addr).await.unwrap();
    let head = "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"x402";
    slow_body.write_all(head.as_bytes()).await.unwrap();
    // A connection left idle after its request.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /supported HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();

    // Meanwhile a normal client is served.
    let supported = computestream_core::http_client()
        .get(format!("http://{addr}/supported"))
        .send()
        .await
        .unwrap();
    assert_eq!(supported.status().as_u16(), 200);

    let head_reply = read_until_closed(&mut slow_head).await;
    assert!(!head_reply.contains("200 OK"), "{head_reply}");
    let body_reply = read_until_closed(&mut slow_body).await;
    assert!(body_reply.starts_with("HTTP/1.1 400"), "{body_reply}");
    assert!(
        body_reply.contains("did not arrive in time"),
        "{body_reply}"
    );
    let idle_reply = read_until_closed(&mut idle).await;
    assert!(idle_reply.starts_with("HTTP/1.1 200"), "{idle_reply}");
}

#[tokio::test]
async fn the_connection_cap_holds_further_clients_until_one_leaves() {
    let addr = limited_facilitator(ServeLimits {
        max_connections: 1,
        ..ServeLimits::default()
    })
    .await;
    // The only slot, held by a client still sending its headers.
    let mut holder = TcpStream::connect(addr).await.unwrap();
    holder
        .write_all(b"GET /supported HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let http = computestream_core::http_client();
    let url = format!("http://{addr}/supported");
    let while_held = tokio::time::timeout(Duration::from_secs(1), http.get(&url).send()).await;
    assert!(while_held.is_err(), "served beyond the connection cap");
    drop(holder);
    let served = tokio::time::timeout(BOUND, http.get(&url).send()).await;
    assert_eq!(served.unwrap().unwrap().status().as_u16(), 200);
}

/// The transport-neutral payer, driven by hand the way the Python and Node bindings drive it:
/// answer the 402, send the payment, conclude; a replay of the same payment is refused and
/// books nothing.
#[tokio::test]
async fn the_payer_pays_over_any_transport_and_a_replay_is_refused() {
    let w = world("exact").await;
    let http = computestream_core::http_client();
    let url = format!("{}/gpu", w.url);
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 402);
    let challenge = first.headers()["payment-required"]
        .to_str()
        .unwrap()
        .to_owned();

    let payer = Payer::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(5_000, 10_000),
    );
    let payment = payer.answer(Some(&challenge), &[]).await.unwrap();
    assert_eq!(payment.header, "PAYMENT-SIGNATURE");
    assert_eq!(payment.requirements.amount, "1000");

    let send = || http.get(&url).header(payment.header, &payment.value).send();
    let paid = send().await.unwrap();
    let status = paid.status().as_u16();
    let receipt = paid.headers()["payment-response"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!Payer::refused(status, Some(&receipt)));
    let settled = payer
        .conclude(&payment, status, Some(&receipt), None, &[])
        .unwrap()
        .expect("a receipt");
    assert!(settled.success);
    assert_eq!(payer.spent_last_hour(), 1_000);

    let replay = send().await.unwrap();
    let status = replay.status().as_u16();
    let receipt = replay
        .headers()
        .get("payment-response")
        .map(|v| v.to_str().unwrap().to_owned());
    let challenge = replay
        .headers()
        .get("payment-required")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(Payer::refused(status, receipt.as_deref()), "HTTP {status}");
    let body = replay.bytes().await.unwrap();
    let err = payer
        .conclude(
            &payment,
            status,
            receipt.as_deref(),
            challenge.as_deref(),
            &body,
        )
        .unwrap_err();
    assert!(matches!(err, ClientError::Refused { .. }), "{err}");
    assert_eq!(payer.spent_last_hour(), 1_000, "a refusal books nothing");
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
}

#[tokio::test]
async fn a_refused_stream_payment_names_the_abort_behind_its_failed_simulation() {
    let w = world("stream").await;
    // The provider closes to new jobs after publishing its offer: `rent` would abort.
    ContractClient::new(w.ledger.clone(), LOCAL_CONTRACT_ADDRESS)
        .update_availability(&w.provider, false)
        .await
        .unwrap();
    let client = PayingClient::new(
        w.buyer.clone(),
        w.ledger.clone(),
        SpendingPolicy::new(2_000_000, 2_000_000),
    )
    .with_docker_image("pytorch/pytorch:2.4");
    let err = client.get(&format!("{}/gpu", w.url)).await.unwrap_err();
    let ClientError::Refused {
        status,
        reason,
        message,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*status, 402);
    assert_eq!(reason, "invalid_stream_aptos_payload_simulation_failed");
    let message = message.as_deref().unwrap_or_default();
    assert!(message.contains("E_PROVIDER_UNAVAILABLE"), "{message}");
    assert!(err.to_string().contains("E_PROVIDER_UNAVAILABLE"), "{err}");
    assert_eq!(
        client.payer().spent_last_hour(),
        0,
        "a refusal books nothing"
    );
    assert_eq!(w.ledger.balance(w.buyer.address(), w.usdc), 10_000_000);
}
