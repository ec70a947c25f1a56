//! The localnet against clients that misbehave below the API: stalled requests, connection
//! floods and bytes no HTTP parser accepts. Each is cut off or answered in the node's error
//! shape, and well-behaved clients are served all the while. (Project issue 14.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use computestream_localnet::server::Limits;
use computestream_localnet::{LocalLedger, Localnet};
use computestream_testkit::get_json;
use serde_json::json;
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
    // (what the client sends before stalling, what the server answers before closing)
    let cases: [(&str, &[u8], &str); 4] = [
        ("nothing at all", b"", ""),
        (
            "half the headers",
            b"GET /v1 HTTP/1.1\r\nHost: localnet\r\n",
            "",
        ),
        (
            "5 of 100 body bytes",
            b"POST /v1/transactions HTTP/1.1\r\nHost: localnet\r\n\
              Content-Type: application/x.aptos.signed_transaction+bcs\r\n\
              Content-Length: 100\r\n\r\nabcde",
            "HTTP/1.1 408",
        ),
        (
            "an idle keep-alive connection",
            b"GET /v1 HTTP/1.1\r\nHost: localnet\r\n\r\n",
            "HTTP/1.1 200",
        ),
    ];
    // 25 of each: 100 stalled connections, as the probe of issue 14 held open.
    let mut stalled = Vec::new();
    for (name, bytes, answer) in cases {
        for _ in 0..25 {
            stalled.push((name, answer, stall(net.addr(), bytes).await));
        }
    }

    // A well-behaved client is served while they hang.
    for _ in 0..5 {
        let (status, info) = get_json(&net.node_url()).await;
        assert_eq!(status, 200);
        assert_eq!(info["chain_id"], json!(4));
    }

    for (name, answer, mut tcp) in stalled {
        let received = read_until_closed(&mut tcp, GENEROUS)
            .await
            .unwrap_or_else(|| panic!("{name}: still open after {GENEROUS:?}"));
        assert!(received.starts_with(answer), "{name}: {received:?}");
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
