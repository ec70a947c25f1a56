//! The localnet against what an outside probe sent it (project issue 14): stalled requests,
//! connection floods and bytes no HTTP parser accepts are cut off or answered in the node's
//! error shape while well-behaved clients are served; where the probe found the localnet
//! lenient (simulating signed transactions, malformed `ledger_version`s) it answers as the
//! node does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{RawTransaction, SignedTransaction, TransactionPayload};
use aptos_sdk::types::ChainId;
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS};
use computestream_core::{AssetId, Ledger, Signer};
use computestream_localnet::server::Limits;
use computestream_localnet::{LocalLedger, Localnet};
use computestream_testkit::{get_json, post};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any limit a test sets: reaching it means the server never let go.
const GENEROUS: Duration = Duration::from_secs(30);

async fn net_with(limits: Limits) -> (Arc<LocalLedger>, Localnet) {
    let ledger = Arc::new(LocalLedger::in_memory());
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let net = Localnet::start_with_limits(ledger.clone(), loopback, limits)
        .await
        .unwrap();
    (ledger, net)
}

/// Opens a connection, sends `bytes` and stops sending.
async fn stall(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    tcp
}

/// Everything the server sends until it closes the connection, or `None` if it is still open
/// after `within`.
async fn read_until_closed(tcp: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    match tokio::time::timeout(within, tcp.read_to_end(&mut received)).await {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_while_others_are_served() {
    let limits = Limits::default()
        .with_header_read_timeout(Duration::from_secs(1))
        .with_request_timeout(Duration::from_secs(2));
    let (_, net) = net_with(limits).await;
    // (what the client sends before stalling, the start and a part of what the server answers
    // before closing)
    let cases: [(&str, &[u8], &str, &str); 4] = [
        ("nothing at all", b"", "", ""),
        (
            "half the headers",
            b"GET /v1 HTTP/1.1\r\nHost: localnet\r\n",
            "",
            "",
        ),
        (
            "5 of 100 body bytes",
            b"POST /v1/transactions HTTP/1.1\r\nHost: localnet\r\n\
              Content-Type: application/x.aptos.signed_transaction+bcs\r\n\
              Content-Length: 100\r\n\r\nabcde",
            "HTTP/1.1 408",
            r#""error_code":"web_framework_error""#,
        ),
        (
            "an idle keep-alive connection",
            b"GET /v1 HTTP/1.1\r\nHost: localnet\r\n\r\n",
            "HTTP/1.1 200",
            r#""chain_id":4"#,
        ),
    ];
    // 25 of each: 100 stalled connections, as the probe of issue 14 held open.
    let mut stalled = Vec::new();
    for (name, bytes, start, part) in cases {
        for _ in 0..25 {
            stalled.push((name, start, part, stall(net.addr(), bytes).await));
        }
    }

    // A well-behaved client is served while they hang.
    for _ in 0..5 {
        let (status, info) = get_json(&net.node_url()).await;
        assert_eq!(status, 200);
        assert_eq!(info["chain_id"], json!(4));
    }

    for (name, start, part, mut tcp) in stalled {
        let received = read_until_closed(&mut tcp, GENEROUS)
            .await
            .unwrap_or_else(|| panic!("{name}: still open after {GENEROUS:?}"));
        assert!(
            received.starts_with(start) && received.contains(part),
            "{name}: {received:?}"
        );
    }
    let (status, _) = get_json(&net.node_url()).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let limits = Limits::default()
        .with_max_connections(2)
        .with_header_read_timeout(Duration::from_secs(60));
    let (_, net) = net_with(limits).await;
    let first = stall(net.addr(), b"").await;
    let _second = stall(net.addr(), b"GET /v1 HTTP/1.1\r\n").await;

    // Both slots are held: a third client is not served.
    let waiting = tokio::time::timeout(Duration::from_millis(500), get_json(&net.node_url())).await;
    assert!(waiting.is_err(), "served over the cap: {waiting:?}");

    // A slot frees when a holder leaves.
    drop(first);
    let (status, info) = tokio::time::timeout(GENEROUS, get_json(&net.node_url()))
        .await
        .expect("a freed slot serves the next client");
    assert_eq!(status, 200);
    assert_eq!(info["chain_id"], json!(4));
}

/// `method url` with an optional `(content type, body)`: status, headers and body text.
async fn send(
    method: &str,
    url: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = computestream_core::http_client().request(method, url);
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Checks an error body is the node's: a JSON object with a string `message` and the
/// expected `error_code`.
fn assert_node_error(name: &str, content_type: Option<&str>, body: &str, code: &str) {
    assert!(
        content_type.is_some_and(|t| t.starts_with("application/json")),
        "{name}: content type {content_type:?}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{name}: {e} in {body:?}"));
    assert!(v["message"].is_string(), "{name}: {v}");
    assert_eq!(v["error_code"], code, "{name}: {v}");
}

/// A request and the node error it must get.
struct Probe {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<(&'static str, Vec<u8>)>,
    status: u16,
    error_code: &'static str,
}

impl Probe {
    fn new(
        name: &'static str,
        method: &'static str,
        path: &'static str,
        status: u16,
        error_code: &'static str,
    ) -> Probe {
        Probe {
            name,
            method,
            path,
            body: None,
            status,
            error_code,
        }
    }

    fn body(self, content_type: &'static str, body: Vec<u8>) -> Probe {
        Probe {
            body: Some((content_type, body)),
            ..self
        }
    }
}

#[tokio::test]
async fn framework_errors_are_in_the_node_error_shape() {
    let (_, net) = net_with(Limits::default()).await;
    let framework = "web_framework_error";
    let probes = [
        Probe::new(
            "body over the limit",
            "POST",
            "/v1/transactions",
            413,
            framework,
        )
        .body(
            "application/x.aptos.signed_transaction+bcs",
            vec![0; 70 * 1024],
        ),
        Probe::new(
            "faucet amount not a number",
            "POST",
            "/mint?address=zz&amount=x",
            400,
            framework,
        ),
        Probe::new(
            "faucet amount missing",
            "POST",
            "/mint?address=0x1",
            400,
            framework,
        ),
        Probe::new(
            "faucet address not UTF-8",
            "POST",
            "/mint?address=%FF&amount=1",
            400,
            "invalid_input",
        ),
        Probe::new(
            "faucet address not hex",
            "POST",
            "/mint?address=zz&amount=1",
            400,
            "invalid_input",
        ),
        Probe::new("fund body not JSON", "POST", "/fund", 400, "invalid_input")
            .body("application/json", b"nope".to_vec()),
        Probe::new(
            "listing transactions (not served)",
            "GET",
            "/v1/transactions?limit=1",
            405,
            framework,
        ),
        Probe::new("view by GET", "GET", "/v1/view", 405, framework),
        Probe::new(
            "DELETE an account",
            "DELETE",
            "/v1/accounts/0x1",
            405,
            framework,
        ),
        Probe::new("path not UTF-8", "GET", "/v1/accounts/%FF", 400, framework),
        Probe::new(
            "unknown route",
            "GET",
            "/v1/blocks/by_height/1",
            404,
            framework,
        ),
    ];
    for p in probes {
        let url = format!("{}{}", net.url(), p.path);
        let (status, headers, text) = send(p.method, &url, p.body).await;
        assert_eq!(status, p.status, "{}: {text}", p.name);
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        assert_node_error(p.name, content_type, &text, p.error_code);
        if status == 405 {
            assert!(headers.contains_key("allow"), "{}: {headers:?}", p.name);
        }
    }
}

#[tokio::test]
async fn requests_no_parser_accepts_get_node_errors() {
    let (_, net) = net_with(Limits::default()).await;
    let many_headers: String = (0..101).map(|i| format!("x-h{i}: 1\r\n")).collect();
    let long_target = format!("/v1/accounts/0x{}", "a".repeat(70 * 1024));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "`<` in the path",
            "GET /v1/accounts/<script> HTTP/1.1\r\nHost: l\r\n\r\n".into(),
            "HTTP/1.1 400",
        ),
        (
            "a header without a colon",
            "GET /v1 HTTP/1.1\r\nHost l\r\n\r\n".into(),
            "HTTP/1.1 400",
        ),
        (
            "101 headers",
            format!("GET /v1 HTTP/1.1\r\nHost: l\r\n{many_headers}\r\n"),
            "HTTP/1.1 431",
        ),
        (
            "a 70 KiB target",
            format!("GET {long_target} HTTP/1.1\r\nHost: l\r\n\r\n"),
            "HTTP/1.1 414",
        ),
    ];
    for (name, request, status_line) in cases {
        let mut tcp = stall(net.addr(), request.as_bytes()).await;
        let received = read_until_closed(&mut tcp, GENEROUS)
            .await
            .unwrap_or_else(|| panic!("{name}: still open after {GENEROUS:?}"));
        let (head, body) = received
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{name}: {received:?}"));
        assert!(head.starts_with(status_line), "{name}: {head}");
        assert!(
            head.contains("\r\naccess-control-allow-origin: *\r\n"),
            "{name}: {head}"
        );
        let content_type = head.lines().find_map(|l| l.strip_prefix("content-type: "));
        assert_node_error(name, content_type, body, "web_framework_error");
    }
    let (status, _) = get_json(&net.node_url()).await;
    assert_eq!(status, 200);
}

fn signed(signer: &Signer, seq: u64, expires: u64, call: &Call) -> SignedTransaction {
    let raw = RawTransaction::new(
        signer.address(),
        seq,
        TransactionPayload::EntryFunction(call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap()),
        200_000,
        100,
        expires,
        ChainId::new(4),
    );
    signer.sign(&raw).unwrap()
}

const SIGNED_TXN: &str = "application/x.aptos.signed_transaction+bcs";

#[tokio::test]
async fn simulation_refuses_a_valid_signature_as_the_node_does() {
    let (ledger, net) = net_with(Limits::default()).await;
    let url = format!("{}/transactions/simulate", net.node_url());
    let signer = Signer::from_seed("hostile:simulate");
    let txn = signed(&signer, 0, ledger.now_secs() + 60, &Call::Deregister {});
    // (what is sent, status, error code or "" for a simulation result)
    let cases = [
        ("a valid signature", txn.clone(), 400, "invalid_input"),
        (
            "the signature zeroed, as the SDKs send",
            txn.for_simulate_endpoint(),
            200,
            "",
        ),
    ];
    for (name, txn, status, code) in cases {
        let (got, v) = post(&url, SIGNED_TXN, aptos_bcs::to_bytes(&txn).unwrap()).await;
        assert_eq!(got, status, "{name}: {v}");
        if code.is_empty() {
            assert_eq!(v[0]["type"], "user_transaction", "{name}: {v}");
        } else {
            assert_eq!(v["error_code"], code, "{name}: {v}");
            assert_eq!(
                v["message"], "Simulated transactions must not have a valid signature",
                "{name}: {v}"
            );
        }
    }
    assert_eq!(ledger.sequence_number(signer.address()).await.unwrap(), 0);
}

#[tokio::test]
async fn ledger_versions_are_checked_as_the_node_checks_them() {
    let (ledger, net) = net_with(Limits::default()).await;
    let signer = Signer::from_seed("hostile:versions");
    let txn = signed(&signer, 0, ledger.now_secs() + 60, &Call::Deregister {});
    ledger.submit(&txn).await.unwrap();
    let latest = ledger.version();
    assert!(latest > 0);

    let account = signer.address().to_hex();
    let contract = LOCAL_CONTRACT_ADDRESS.to_hex();
    let reads = [
        format!("/accounts/{account}"),
        format!("/accounts/{account}/resources"),
        format!("/accounts/{account}/resource/0x1::account::Account"),
        format!("/accounts/{contract}/module/payment_stream"),
    ];
    let balance = json!({
        "function": "0x1::primary_fungible_store::balance",
        "type_arguments": [],
        "arguments": [account, AssetId::NATIVE.0.to_hex()],
    });
    let framework = "web_framework_error";
    let (after, before) = ((latest + 1).to_string(), (latest - 1).to_string());
    let versions: [(&str, u16, &str); 9] = [
        ("-1", 400, framework),
        ("abc", 400, framework),
        ("1e23", 400, framework),
        ("", 400, framework),
        ("18446744073709551616", 400, framework),
        (&after, 404, "version_not_found"),
        (&before, 410, "version_pruned"),
        (&latest.to_string(), 200, ""),
        ("no ledger_version", 200, ""),
    ];
    for (version, status, code) in versions {
        let query = match version {
            "no ledger_version" => String::new(),
            v => format!("?ledger_version={v}"),
        };
        let mut answers = Vec::new();
        for read in &reads {
            let url = format!("{}{read}{query}", net.node_url());
            answers.push((url.clone(), get_json(&url).await));
        }
        let url = format!("{}/view{query}", net.node_url());
        answers.push((
            url.clone(),
            post(&url, "application/json", balance.to_string()).await,
        ));
        for (url, (got, v)) in answers {
            assert_eq!(got, status, "{url}: {v}");
            if !code.is_empty() {
                assert_eq!(v["error_code"], code, "{url}: {v}");
                assert!(v["message"].is_string(), "{url}: {v}");
            }
        }
    }
}

/// Not a defect: for a sequence-number transaction neither the node's mempool nor the VM's
/// prologue bounds the expiration from above (only orderless transactions must expire within
/// 60 s), so an expiration of u64::MAX is accepted there and here.
#[tokio::test]
async fn an_expiration_of_u64_max_is_accepted_as_on_the_node() {
    let (_, net) = net_with(Limits::default()).await;
    let signer = Signer::from_seed("hostile:forever");
    let txn = signed(
        &signer,
        0,
        u64::MAX,
        &Call::UpdateAvailability { is_active: true },
    );
    let simulated = txn.for_simulate_endpoint();
    let url = format!("{}/transactions/simulate", net.node_url());
    let (status, v) = post(&url, SIGNED_TXN, aptos_bcs::to_bytes(&simulated).unwrap()).await;
    assert_eq!(status, 200, "{v}");

    let url = format!("{}/transactions", net.node_url());
    let (status, pending) = post(&url, SIGNED_TXN, aptos_bcs::to_bytes(&txn).unwrap()).await;
    assert_eq!(status, 202, "{pending}");
    let hash = pending["hash"].as_str().unwrap();
    let (status, committed) =
        get_json(&format!("{}/transactions/by_hash/{hash}", net.node_url())).await;
    assert_eq!(status, 200, "{committed}");
    assert_eq!(committed["expiration_timestamp_secs"], u64::MAX.to_string());
}

#[tokio::test]
async fn pages_from_other_origins_can_read_the_chain_and_submit_to_it() {
    let (_, net) = net_with(Limits::default()).await;
    let origin = "http://page.example";
    let client = computestream_core::http_client();
    // (path, method and headers the page asks to use)
    let preflights = [
        ("/v1/view", "POST", "content-type"),
        ("/v1/transactions", "POST", "content-type"),
        (
            "/v1/transactions/simulate",
            "POST",
            "content-type,x-aptos-client",
        ),
        ("/v1/accounts/0x1", "GET", "x-aptos-client"),
        ("/mint?address=0x1&amount=1", "POST", "content-type"),
    ];
    for (path, method, asked) in preflights {
        let response = client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", net.url()))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", asked)
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        assert!(response.status().is_success(), "{path}: {response:?}");
        assert_eq!(header("access-control-allow-origin"), "*", "{path}");
        assert!(
            header("access-control-allow-methods").contains(&method.to_ascii_lowercase()),
            "{path}: {headers:?}"
        );
        for name in asked.split(',') {
            assert!(
                header("access-control-allow-headers").contains(name),
                "{path}: {name} in {headers:?}"
            );
        }
    }

    // What the page then sends: answers and errors alike are readable cross-origin.
    let view = json!({
        "function": "0x1::primary_fungible_store::balance",
        "type_arguments": [],
        "arguments": ["0x1", AssetId::NATIVE.0.to_hex()],
    });
    let requests = [
        ("GET", "/v1", None, 200),
        ("GET", "/v1/accounts/0x1", None, 200),
        (
            "POST",
            "/v1/view",
            Some(("application/json", view.to_string().into_bytes())),
            200,
        ),
        (
            "POST",
            "/v1/transactions",
            Some((SIGNED_TXN, vec![1, 2, 3])),
            400,
        ),
        ("GET", "/v1/nothing", None, 404),
    ];
    for (method, path, body, status) in requests {
        let mut request = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", net.url()),
            )
            .header("origin", origin);
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{method} {path}"
        );
    }
}

/// What a fuzz target drives: the router alone, in process, carries the error shapes, CORS and
/// the body limit (the connection-level limits are the accept loop's).
#[tokio::test]
async fn the_router_alone_carries_the_error_shapes_cors_and_the_body_limit() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let app = computestream_localnet::server::router(Arc::new(LocalLedger::in_memory()));
    let preflight = Request::options("/v1/view")
        .header("origin", "http://page.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty());
    let oversized = Request::post("/v1/transactions")
        .header("content-type", SIGNED_TXN)
        .body(Body::from(vec![0u8; 70 * 1024]));
    let cases = [
        ("preflight", preflight, 200, ""),
        ("body over the limit", oversized, 413, "web_framework_error"),
        (
            "unserved method",
            Request::get("/v1/transactions").body(Body::empty()),
            405,
            "web_framework_error",
        ),
        (
            "unknown route",
            Request::get("/v1/nothing").body(Body::empty()),
            404,
            "web_framework_error",
        ),
        (
            "malformed ledger_version",
            Request::get("/v1/accounts/0x1?ledger_version=-1").body(Body::empty()),
            400,
            "web_framework_error",
        ),
    ];
    for (name, request, status, code) in cases {
        let request = request.unwrap();
        let has_origin = request.headers().contains_key("origin");
        let answer = app.clone().oneshot(request).await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{name}");
        if has_origin {
            assert_eq!(
                answer.headers()["access-control-allow-origin"],
                "*",
                "{name}"
            );
        }
        if !code.is_empty() {
            let content_type = answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let body = axum::body::to_bytes(answer.into_body(), 64 * 1024)
                .await
                .unwrap();
            assert_node_error(
                name,
                Some(&content_type),
                &String::from_utf8_lossy(&body),
                code,
            );
        }
    }
}
