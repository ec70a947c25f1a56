//! Benchmark (not a test): signed-transaction throughput of the localnet over HTTP and view
//! latency. The ledger persists to a temporary directory (fsync per commit); clients send
//! pre-signed `process_payment` transactions over keep-alive connections, in sequence-number
//! order per sender. Client and server share this machine's cores.
//!
//! `cargo run --release -p computestream-core --example bench_localnet -- [CLIENTS] [TXNS_PER_CLIENT]`
//! (defaults 32 and 200; `scripts/bench-localnet` runs it).

use std::sync::Arc;
use std::time::Instant;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{RawTransaction, TransactionPayload};
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS, View};
use computestream_core::{AssetId, ContractClient, JobId, Signer};
use computestream_localnet::LocalLedger;
use computestream_localnet::Localnet;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(32);
    let per_client = args.get(1).copied().unwrap_or(200);

    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(LocalLedger::open(dir.path()).unwrap());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    let local = ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    let provider = Signer::from_seed("bench:provider");
    ledger
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    local
        .register_provider(&provider, "H100".into(), 80, 2_000_000_000_000, 1_000)
        .await
        .unwrap();

    // One stream per client; each client settles it `per_client` times.
    let now = ledger.now_secs();
    let mut batches = Vec::new();
    for c in 0..clients {
        let buyer = Signer::from_seed(&format!("bench:buyer{c}"));
        ledger
            .mint(buyer.address(), AssetId::NATIVE, 10_000_000_000)
            .unwrap();
        local
            .rent(
                &buyer,
                provider.address(),
                "img".into(),
                AssetId::NATIVE.0,
                1_000_000_000,
                86_400,
                2_000_000_000_000,
            )
            .await
            .unwrap();
        local
            .start_job(&provider, buyer.address(), 1)
            .await
            .unwrap();
        let settler = Signer::from_seed(&format!("bench:settler{c}"));
        let call = Call::ProcessPayment {
            payer: buyer.address(),
            job_id: 1,
        };
        let txns: Vec<Vec<u8>> = (0..per_client as u64)
            .map(|seq| {
                let raw = RawTransaction::new(
                    settler.address(),
                    seq,
                    TransactionPayload::EntryFunction(
                        call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap(),
                    ),
                    200_000,
                    100,
                    now + 3_600,
                    computestream_localnet::LOCAL_CHAIN_ID,
                );
                aptos_bcs::to_bytes(&settler.sign(&raw).unwrap()).unwrap()
            })
            .collect();
        batches.push((JobId::new(buyer.address(), 1), txns));
    }

    // Creating the node client also installs the TLS crypto provider reqwest needs.
    let node =
        computestream_core::AptosLedger::new(&net.node_url(), LOCAL_CONTRACT_ADDRESS).unwrap();
    let url = format!("{}/transactions", net.node_url());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (_, txns) in batches.clone() {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let http = computestream_core::http_client();
            for body in txns {
                let r = http
                    .post(&url)
                    .header("content-type", "application/x.aptos.signed_transaction+bcs")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    r.status().as_u16(),
                    202,
                    "{}",
                    r.text().await.unwrap_or_default()
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed();
    let total = clients * per_client;
    let committed = ledger.version();

    // View latency: sequential get_stream over HTTP through AptosLedger.
    let remote = ContractClient::new(&node, LOCAL_CONTRACT_ADDRESS);
    let job = batches[0].0;
    let mut lat = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        remote
            .view::<computestream_core::Stream>(&View::GetStream {
                payer: job.buyer,
                job_id: job.id,
            })
            .await
            .unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];

    println!(
        "localnet over HTTP, fsync per commit, {clients} clients x {per_client} pre-signed process_payment"
    );
    println!(
        "  {total} transactions in {:.2} s = {:.0} tx/s   (target >= 2000; ledger version {committed})",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  get_stream view over HTTP (AptosLedger, sequential): p50 {:?}, p99 {:?}",
        pct(0.5),
        pct(0.99)
    );
}
