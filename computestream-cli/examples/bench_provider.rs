//! Benchmark (not a test): how late the provider daemon stops a workload after its stream
//! depleted, and how many transactions a rental costs. Runs `RENTALS` rentals at once (one
//! buyer each) of `SECONDS` seconds against an in-process localnet and the daemon binary
//! `BINARY`; each workload writes the wall-clock time at which SIGTERM reached it.
//!
//! Usage: `bench_provider BINARY [RENTALS] [SECONDS] [POLICY]` (see `scripts/bench-provider`).
//! The lag is measured from the depleting second (the chain's clock is the system clock) to
//! the workload's SIGTERM handler, which runs after its current 50 ms sleep: the figures
//! carry up to 50 ms of that.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AptosLedger, AssetId, ContractClient, JobId, Ledger, Signer};
use computestream_localnet::{LocalLedger, Localnet};
use computestream_x402::http::{PayingClient, SpendingPolicy};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// 1,000 units a second.
const PRICE_PER_HOUR: u64 = 3_600_000;

const WORKLOAD: &str = r#"trap 'date +%s.%N > "stopped-$1"; exit 0' TERM
while :; do sleep 0.05; done
"#;

fn key(binary: &str, dir: &std::path::Path, name: &str) -> (String, Signer) {
    let path = dir.join(format!("{name}.key"));
    let out = Command::new(binary)
        .args(["--json", "keys", "new", "--out"])
        .arg(&path)
        .output()
        .expect("the daemon binary");
    assert!(out.status.success(), "{out:?}");
    let hex = std::fs::read_to_string(&path).unwrap();
    let signer = Signer::from_private_key(hex.trim()).unwrap();
    (path.to_str().unwrap().to_string(), signer)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let binary = args
        .get(1)
        .expect("usage: bench_provider BINARY [RENTALS] [SECONDS] [POLICY]");
    // The daemon runs in a temporary directory.
    let binary = &std::fs::canonicalize(binary)
        .expect("BINARY")
        .to_string_lossy()
        .into_owned();
    let rentals: usize = args.get(2).map_or(20, |a| a.parse().expect("RENTALS"));
    let seconds: u64 = args.get(3).map_or(15, |a| a.parse().expect("SECONDS"));
    let policy = args.get(4).map_or("before-depletion:10", String::as_str);

    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("workload.sh"), WORKLOAD).unwrap();
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    let (provider_key, provider) = key(binary, dir.path(), "provider");
    let (fee_payer_key, fee_payer) = key(binary, dir.path(), "fee-payer");
    for who in [provider.address(), fee_payer.address()] {
        ledger.mint(who, AssetId::NATIVE, 10_000_000_000).unwrap();
    }

    let mut daemon = tokio::process::Command::new(binary)
        .current_dir(dir.path())
        .args(["--node", &net.node_url(), "--key", &provider_key])
        .args(["provider", "serve", "--port", "0", "--grace", "2"])
        .args(["--exec", "sh workload.sh {command...}"])
        .args(["--max-duration", &seconds.to_string(), "--policy", policy])
        .args(["--asset", &usdc.0.to_long_string()])
        .args(["--fee-payer-key", &fee_payer_key])
        .args(["--gpu", "H100", "--vram", "80", "--stake", "100000000"])
        .args(["--price-per-hour", &PRICE_PER_HOUR.to_string()])
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("BENCH_VERBOSE").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(daemon.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.split_whitespace().nth(1).unwrap().to_string();
    let chain = ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    let provider_txns_before = chain
        .ledger()
        .sequence_number(provider.address())
        .await
        .unwrap();

    let deposit = PRICE_PER_HOUR / 3600 * seconds;
    let mut renting = tokio::task::JoinSet::new();
    for i in 0..rentals {
        let buyer = Arc::new(Signer::generate());
        ledger.mint(buyer.address(), usdc, deposit).unwrap();
        let node = Arc::new(AptosLedger::new(&net.node_url(), LOCAL_CONTRACT_ADDRESS).unwrap());
        let url = url.clone();
        renting.spawn(async move {
            let paying = PayingClient::new(buyer, node, SpendingPolicy::new(deposit, deposit))
                .with_docker_image("bench");
            let request = paying
                .http()
                .post(format!("{url}/api/v1/compute/execute"))
                .json(&json!({"image": "bench", "command": [i.to_string()]}))
                .build()
                .unwrap();
            let paid = paying.execute(request).await.expect("rental");
            let body: Value = paid.response.json().await.unwrap();
            let job: JobId = body["job"].as_str().expect("a job").parse().unwrap();
            (i, job)
        });
    }
    let jobs = renting.join_all().await;

    let mut lags = vec![];
    let mut buyer_txns = 0;
    for (i, job) in &jobs {
        let stream = loop {
            let s = chain.get_stream(job.buyer, job.id).await.unwrap();
            if s.is_closed {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let mut open = stream.clone();
        open.is_closed = false;
        let depleted = open.depletion_time(open.window_start) as f64;
        let stopped: f64 = std::fs::read_to_string(dir.path().join(format!("stopped-{i}")))
            .expect("the workload was stopped")
            .trim()
            .parse()
            .unwrap();
        lags.push(stopped - depleted);
        buyer_txns += chain.ledger().sequence_number(job.buyer).await.unwrap();
    }
    let provider_txns = chain
        .ledger()
        .sequence_number(provider.address())
        .await
        .unwrap()
        - provider_txns_before;
    lags.sort_by(f64::total_cmp);
    println!(
        "stop lag after the depleting second, {rentals} rentals of {seconds} s at once \
         (policy {policy}): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&lags, 50.0) * 1e3,
        percentile(&lags, 99.0) * 1e3,
        lags[lags.len() - 1] * 1e3,
    );
    let per_job = (provider_txns + buyer_txns) as f64 / rentals as f64;
    println!(
        "transactions per rental: {per_job:.2} ({:.2} by the buyer, {:.2} by the provider)",
        buyer_txns as f64 / rentals as f64,
        provider_txns as f64 / rentals as f64,
    );
    let _ = daemon.start_kill();
}
