//! `computestream provider serve` end to end: an in-process localnet, the daemon binary
//! running `tests/fixtures/tick.sh` as its workload, and a buyer paying the daemon's 402 with
//! the `stream` scheme through `PayingClient`. No timing assertions but generous bounds.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{KillOnDrop, new_key, spawn_with_url};
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{
    AccountAddress, AptosLedger, AssetId, ContractClient, JobId, JobStatus, Signer, math,
};
use computestream_localnet::{LocalLedger, Localnet};
use computestream_x402::http::{PayingClient, SpendingPolicy};
use serde_json::{Value, json};

/// The fixture workload.
const TICK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tick.sh");
/// 1,000 units a second of a 6-decimal asset.
const PRICE_PER_HOUR: u64 = 3_600_000;
/// The longest rental the daemon offers by default: its deposit is 3 s of the price.
const MAX_DURATION: u64 = 3;
/// The price of a second.
const PER_SECOND: u64 = PRICE_PER_HOUR / 3600;
/// What the buyer holds at first.
const BUYER_FUNDS: u64 = 1_000_000;
/// SIGTERM → SIGKILL.
const GRACE: u64 = 2;

/// A localnet, a funded buyer and a provider daemon serving over it.
struct Env {
    daemon: KillOnDrop,
    net: Localnet,
    /// Where the workload runs (its `argv` and `pid` files land here).
    dir: tempfile::TempDir,
    /// The daemon's service URL.
    url: String,
    node: String,
    chain: ContractClient<Arc<LocalLedger>>,
    usdc: AssetId,
    provider: AccountAddress,
    buyer: Arc<Signer>,
    /// The daemon's `--max-duration`.
    max_duration: u64,
}

/// Starts the daemon in `dir` (keys `provider.key`, `fee-payer.key`), `extra` appended to
/// its options; returns it and its service URL.
async fn spawn_daemon(
    node: &str,
    dir: &Path,
    usdc: AssetId,
    max_duration: u64,
    extra: &[&str],
) -> (KillOnDrop, String) {
    let key = |name: &str| {
        dir.join(format!("{name}.key"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_computestream"));
    daemon
        .current_dir(dir)
        .args(["--node", node, "--key", &key("provider")])
        .args(["provider", "serve", "--port", "0"])
        .args(["--exec", &format!("sh '{TICK}' {{command...}}")])
        .args(["--allow-image", "busybox*", "--allow-image", "pytorch/*"])
        .args(["--grace", &GRACE.to_string()])
        .args(["--max-duration", &max_duration.to_string()])
        .args(["--policy", "before-depletion:1"])
        .args(["--asset", &usdc.0.to_long_string()])
        .args(["--fee-payer-key", &key("fee-payer")])
        .args(["--gpu", "H100", "--vram", "80", "--stake", "100000000"])
        .args(["--price-per-hour", &PRICE_PER_HOUR.to_string()])
        .args(extra)
        .env_remove("COMPUTESTREAM_PRIVATE_KEY");
    spawn_with_url(daemon).await
}

async fn setup() -> Env {
    setup_with(MAX_DURATION, &[]).await
}

async fn setup_with(max_duration: u64, extra: &[&str]) -> Env {
    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    let (_, provider) = new_key(dir.path(), "provider");
    let (_, fee_payer) = new_key(dir.path(), "fee-payer");
    let (buyer_key, buyer) = new_key(dir.path(), "buyer");
    for who in [provider, fee_payer, buyer] {
        ledger.mint(who, AssetId::NATIVE, 10_000_000_000).unwrap();
    }
    ledger.mint(buyer, usdc, BUYER_FUNDS).unwrap();
    let buyer_hex = std::fs::read_to_string(&buyer_key).unwrap();
    let buyer = Arc::new(Signer::from_private_key(buyer_hex.trim()).unwrap());
    let (daemon, url) = spawn_daemon(&net.node_url(), dir.path(), usdc, max_duration, extra).await;
    Env {
        max_duration,
        daemon,
        node: net.node_url(),
        net,
        dir,
        url,
        chain: ContractClient::new(ledger, LOCAL_CONTRACT_ADDRESS),
        usdc,
        provider,
        buyer,
    }
}

impl Env {
    fn execute_url(&self) -> String {
        format!("{}/api/v1/compute/execute", self.url)
    }

    /// The buyer POSTs `{image, command}`, paying a 402 of at most the 3 s deposit.
    async fn rent(&self, image: &str, command: &[&str]) -> (u16, Value) {
        let node = Arc::new(AptosLedger::new(&self.node, LOCAL_CONTRACT_ADDRESS).unwrap());
        let deposit = PER_SECOND * self.max_duration;
        let paying = PayingClient::new(
            self.buyer.clone(),
            node,
            SpendingPolicy::new(deposit, deposit),
        )
        .with_docker_image(image);
        let request = paying
            .http()
            .post(self.execute_url())
            .json(&json!({"image": image, "command": command}))
            .build()
            .unwrap();
        let paid = paying.execute(request).await.unwrap();
        let status = paid.response.status().as_u16();
        (status, paid.response.json().await.unwrap_or(Value::Null))
    }

    async fn usdc_of(&self, who: AccountAddress) -> u64 {
        self.chain.balance(who, self.usdc).await.unwrap()
    }

    /// Polls the daemon's status for `job` until its workload is stopped, its outcome is on
    /// chain and its stream closed; the last status.
    async fn wait_until_settled(&self, job: JobId) -> Value {
        let url = format!(
            "{}/api/v1/jobs/{}/{}/status",
            self.url,
            job.buyer.to_long_string(),
            job.id
        );
        let started = Instant::now();
        loop {
            let status: Value = computestream_core::http_client()
                .get(&url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let done = status["workload"]["state"] == "stopped"
                && !status["workload"]["outcome"].is_null()
                && status["stream"]["is_closed"] == true;
            if done {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "not settled in 90 s: {status:#}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The argv the workload recorded.
    fn recorded_argv(&self) -> Vec<String> {
        let bytes = std::fs::read(self.dir.path().join("argv")).unwrap();
        bytes
            .split(|&b| b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8(w.to_vec()).unwrap())
            .collect()
    }

    /// The provider was paid exactly the price of the seconds the job ran (to the contract's
    /// rounding) and the buyer got the rest back.
    async fn assert_paid_for_seconds_run(&self, job: JobId) -> u64 {
        let record = self.chain.get_job(job.buyer, job.id).await.unwrap();
        let stream = self.chain.get_stream(job.buyer, job.id).await.unwrap();
        let ran = record
            .ended_at
            .min(record.started_at + record.max_duration)
            .saturating_sub(record.started_at);
        let owed = math::owed(stream.deposited, stream.rate_per_second.0, ran);
        assert_eq!(stream.paid, owed, "paid for {ran} s: {stream:?}");
        assert_eq!(self.usdc_of(self.provider).await, owed);
        assert_eq!(self.usdc_of(self.buyer.address()).await, BUYER_FUNDS - owed);
        ran
    }
}

fn job_of(body: &Value) -> JobId {
    body["job"]
        .as_str()
        .unwrap_or_else(|| panic!("no job in {body}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_is_on_chain_and_leads_to_the_402() {
    let env = setup().await;
    let listed = env.chain.list_providers(0, 10).await.unwrap();
    assert_eq!(listed, vec![env.provider]);
    let record = env.chain.get_provider(env.provider).await.unwrap();
    assert_eq!(record.endpoint, env.url);

    let challenge = computestream_core::http_client()
        .post(format!("{}/api/v1/compute/execute", record.endpoint))
        .json(&json!({"image": "pytorch/pytorch:2.4", "command": ["python"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status().as_u16(), 402);
    assert!(challenge.headers().contains_key("PAYMENT-REQUIRED"));

    let available: Value = computestream_core::http_client()
        .get(format!("{}/api/v1/providers/available", env.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let providers = available["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 1, "{available}");
    assert_eq!(providers[0]["endpoint"], env.url.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disallowed_image_is_refused_with_403_before_any_payment() {
    let env = setup().await;
    let (status, body) = env.rent("evil/miner:latest", &["mine"]).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("evil/miner"),
        "{body}"
    );
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS);
    let buyer = env.buyer.address();
    assert_eq!(
        env.chain.get_job_counter(buyer).await.unwrap(),
        0,
        "no rent"
    );
    let node = AptosLedger::new(&env.node, LOCAL_CONTRACT_ADDRESS).unwrap();
    let sequence = computestream_core::Ledger::sequence_number(&node, buyer)
        .await
        .unwrap();
    assert_eq!(sequence, 0, "the buyer signed no transaction");
    assert!(!env.dir.path().join("argv").exists(), "nothing ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_funded_rental_runs_until_the_stream_depletes_then_is_stopped_and_settled() {
    let env = setup().await;
    let (status, body) = env.rent("busybox:1.36", &["train", "--epochs", "1"]).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["rental"], "started");
    let job = job_of(&body);

    let status = env.wait_until_settled(job).await;
    let workload = &status["workload"];
    assert!(
        matches!(
            workload["stop_reason"].as_str(),
            Some("depleted" | "max_duration")
        ),
        "{status:#}"
    );
    assert_eq!(workload["exit_code"], 0, "the fixture exits 0 on SIGTERM");
    assert_eq!(workload["outcome"], "completed");
    assert_eq!(
        status["record"]["status"], "completed",
        "by name, as the SDKs give it"
    );
    assert_eq!(env.recorded_argv(), ["train", "--epochs", "1"]);

    let record = env.chain.get_job(job.buyer, job.id).await.unwrap();
    assert_eq!(record.status, JobStatus::Completed);
    assert!(
        record.output_url.ends_with("/logs"),
        "{}",
        record.output_url
    );
    // Stopped within the grace (plus generous slack) after the funded seconds ran out.
    let funded_until = record.started_at + MAX_DURATION;
    assert!(
        record.ended_at <= funded_until + GRACE + 10,
        "ended at {}, funded until {funded_until}",
        record.ended_at
    );
    let ran = env.assert_paid_for_seconds_run(job).await;
    assert_eq!(ran, MAX_DURATION, "the whole deposit was earned");

    let logs = computestream_core::http_client()
        .get(record.output_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(logs.contains("tick 1\n"), "{logs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_metacharacters_reach_the_workload_as_literal_argv_and_a_failure_is_reported() {
    let env = setup().await;
    let command = [
        "exit",
        "7",
        "; rm -rf / $(id) | cat",
        "$(id)",
        "|",
        "cat",
        "`id`",
        "a b",
        "*",
    ];
    let (status, body) = env.rent("pytorch/pytorch:2.4", &command).await;
    assert_eq!(status, 202, "{body}");
    let job = job_of(&body);

    let status = env.wait_until_settled(job).await;
    assert_eq!(env.recorded_argv(), command);
    assert_eq!(status["workload"]["exit_code"], 7, "{status:#}");
    assert_eq!(status["workload"]["outcome"], "failed");
    assert!(
        status["workload"]["stop_reason"].is_null(),
        "it exited on its own"
    );
    let record = env.chain.get_job(job.buyer, job.id).await.unwrap();
    assert_eq!(record.status, JobStatus::Failed);
    env.assert_paid_for_seconds_run(job).await;
}

/// The workload's pid, once it wrote it.
async fn workload_pid(env: &Env) -> i32 {
    let path = env.dir.path().join("pid");
    for _ in 0..400 {
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the workload never wrote its pid");
}

/// Whether process `pid` still runs (a zombie does not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next();
            !matches!(state, Some("Z" | "X"))
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_of_the_daemon_mid_job_stops_the_workload_and_a_restart_settles_it_exactly() {
    let mut env = setup_with(30, &["--state-dir", "state"]).await;
    let (status, body) = env.rent("busybox:1.36", &["train"]).await;
    assert_eq!(status, 202, "{body}");
    let job = job_of(&body);
    let pid = workload_pid(&env).await;
    assert!(alive(pid));
    let records = env.dir.path().join("state/rentals");
    assert_eq!(
        std::fs::read_dir(&records).unwrap().count(),
        1,
        "the rental is on disk"
    );

    env.daemon.0.kill().unwrap(); // SIGKILL: no shutdown path runs
    env.daemon.0.wait().unwrap();
    let killed = Instant::now();
    while alive(pid) {
        assert!(
            killed.elapsed() < Duration::from_secs(GRACE + 10),
            "the workload outlived its daemon"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let record = env.chain.get_job(job.buyer, job.id).await.unwrap();
    assert_eq!(record.status, JobStatus::Running, "nothing ended it yet");
    let before_restart = env.usdc_of(env.provider).await;

    // The restart finalizes the rental before it serves (its first line comes after).
    let (daemon, url) = spawn_daemon(
        &env.node,
        env.dir.path(),
        env.usdc,
        30,
        &["--state-dir", "state"],
    )
    .await;
    env.daemon = daemon;
    env.url = url;
    let record = env.chain.get_job(job.buyer, job.id).await.unwrap();
    assert_eq!(record.status, JobStatus::Failed, "interrupted: {record:?}");
    let stream = env.chain.get_stream(job.buyer, job.id).await.unwrap();
    assert!(stream.is_closed);
    let ran = env.assert_paid_for_seconds_run(job).await;
    assert!((1..30).contains(&ran), "ran {ran} s");
    assert!(env.usdc_of(env.provider).await >= before_restart);
    assert_eq!(
        std::fs::read_dir(&records).unwrap().count(),
        0,
        "nothing left to recover"
    );

    // A second restart finds nothing to do and pays nothing again.
    let paid = env.usdc_of(env.provider).await;
    let (daemon, _) = spawn_daemon(
        &env.node,
        env.dir.path(),
        env.usdc,
        30,
        &["--state-dir", "state"],
    )
    .await;
    env.daemon = daemon;
    assert_eq!(env.usdc_of(env.provider).await, paid);
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - paid);
    drop(env.net);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_by_the_buyer_stops_the_workload_and_ends_the_rental_billing_only_active_seconds() {
    let env = setup_with(30, &[]).await;
    let (status, body) = env.rent("busybox:1.36", &["train"]).await;
    assert_eq!(status, 202, "{body}");
    let job = job_of(&body);
    let pid = workload_pid(&env).await;
    assert!(alive(pid));
    env.chain.pause_stream(&env.buyer, job.id).await.unwrap();

    let status = env.wait_until_settled(job).await;
    assert_eq!(status["workload"]["stop_reason"], "paused", "{status:#}");
    assert_eq!(status["workload"]["outcome"], "completed");
    assert!(!alive(pid));
    let stream = env.chain.get_stream(job.buyer, job.id).await.unwrap();
    let active = stream.active_seconds(stream.closed_at);
    assert!(active < 30, "billing stopped at the pause: {stream:?}");
    let owed = math::owed(stream.deposited, stream.rate_per_second.0, active);
    assert_eq!(stream.paid, owed, "{stream:?}");
    assert_eq!(env.usdc_of(env.provider).await, owed);
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - owed);
    // The rental is over: a resume finds the stream closed.
    let err = env
        .chain
        .resume_stream(&env.buyer, job.id)
        .await
        .unwrap_err();
    assert_eq!(err.abort_name(), Some("E_STREAM_CLOSED"), "{err}");
}

/// `computestream --json ARGS` as the buyer; its JSON output.
async fn buyer_cli(env: &Env, args: &[&str]) -> Value {
    buyer_cli_with_output(env, args).await.0
}

/// [`buyer_cli`], with all it printed on stdout.
async fn buyer_cli_with_output(env: &Env, args: &[&str]) -> (Value, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_computestream"))
        .arg("--json")
        .args(["--node", &env.node, "--key"])
        .arg(env.dir.path().join("buyer.key"))
        .args(args)
        .env_remove("COMPUTESTREAM_PRIVATE_KEY")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap_or_default();
    let value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout:?}"));
    (value, stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rent_via_the_daemon_follows_the_logs_closes_after_the_seconds_and_prints_the_receipt() {
    let env = setup_with(30, &[]).await;
    let (out, printed) = buyer_cli_with_output(
        &env,
        &[
            "rent",
            "--via",
            &env.url,
            "--image",
            "busybox:1.36",
            "--seconds",
            "2",
            "--command",
            "train",
            "--lr",
            "0.1",
        ],
    )
    .await;
    let receipt = &out["receipt"];
    let job: JobId = receipt["job"].as_str().unwrap().parse().unwrap();
    assert_eq!(out["rental"]["provider"], env.provider.to_long_string());
    // The workload's output was followed as it came, line by line, before the receipt.
    assert!(printed.starts_with("tick 1\n"), "{printed:?}");
    assert_eq!(env.recorded_argv(), ["train", "--lr", "0.1"]);
    let stream = env.chain.get_stream(job.buyer, job.id).await.unwrap();
    assert!(stream.is_closed);
    let billed = receipt["billed_seconds"].as_u64().unwrap();
    assert!((2..30).contains(&billed), "{receipt}");
    let paid = receipt["paid_to_provider"].as_u64().unwrap();
    assert_eq!(
        paid,
        math::owed(stream.deposited, stream.rate_per_second.0, billed)
    );
    assert_eq!(
        receipt["refunded"].as_u64().unwrap(),
        stream.deposited - paid
    );
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - paid);

    // The daemon sees the close and stops the workload; the rental ends completed.
    let status = env.wait_until_settled(job).await;
    assert_eq!(status["workload"]["stop_reason"], "closed", "{status:#}");
    assert!(status["workload"]["error"].is_null(), "{status:#}");
    assert_eq!(env.usdc_of(env.provider).await, paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_stop_closes_a_running_rental_and_prints_its_receipt() {
    let env = setup_with(30, &[]).await;
    let (status, body) = env.rent("busybox:1.36", &["train"]).await;
    assert_eq!(status, 202, "{body}");
    let job = job_of(&body);
    workload_pid(&env).await;
    let receipt = buyer_cli(&env, &["job", "stop", &job.to_string()]).await;
    assert_eq!(receipt["job"], job.to_string());
    assert!(receipt["close_transaction"].is_string(), "{receipt}");
    let paid = receipt["paid_to_provider"].as_u64().unwrap();
    assert_eq!(
        receipt["refunded"].as_u64().unwrap() + paid,
        PER_SECOND * 30,
        "{receipt}"
    );
    env.wait_until_settled(job).await;
    assert_eq!(env.usdc_of(env.provider).await, paid);
    // A second stop has nothing to close and says so by its receipt.
    let again = buyer_cli(&env, &["job", "stop", &job.to_string()]).await;
    assert!(again["close_transaction"].is_null(), "{again}");
    assert_eq!(again["paid_to_provider"].as_u64().unwrap(), paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_stream_as_server_sent_events_until_the_workload_ends() {
    let env = setup_with(30, &[]).await;
    let (status, body) = env.rent("busybox:1.36", &["train"]).await;
    assert_eq!(status, 202, "{body}");
    let job = job_of(&body);
    let mut events = computestream_core::http_client()
        .get(body["logs_url"].as_str().unwrap())
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    let mut closed = false;
    let started = Instant::now();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(60), events.chunk())
        .await
        .expect("an event or the end within 60 s")
        .unwrap()
    {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        if !closed && text.contains("data: tick 2\n") {
            // The buyer stops the rental: the workload is stopped, its output ends.
            env.chain
                .close_stream(&env.buyer, job.buyer, job.id)
                .await
                .unwrap();
            closed = true;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{text}");
    }
    assert!(closed, "{text}");
    assert!(text.contains("data: tick 1\n"), "{text}");
    assert!(
        text.contains("data: stopped\n"),
        "the SIGTERM handler's line: {text}"
    );
    assert!(text.ends_with("event: end\n\n"), "{text:?}");
    // Plain GET still gives the text.
    let plain = computestream_core::http_client()
        .get(body["logs_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(plain.starts_with("tick 1\n"), "{plain:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_create_answer_wallet_payloads_and_relay_signed_transactions() {
    use computestream_core::contract::Call;
    let env = setup_with(30, &[]).await;
    let http = computestream_core::http_client();
    let post = |path: &str, body: Value| http.post(format!("{}{path}", env.url)).json(&body).send();

    let answer = post(
        "/api/v1/providers/register",
        json!({"gpu_type": "A100", "vram_gb": "40", "price_per_second": "1000000000000", "stake_amount": "100000000"}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let payload: Value = answer.json().await.unwrap();
    assert_eq!(
        payload["payload"],
        json!({"function": format!("{}::provider_registry::register_provider", LOCAL_CONTRACT_ADDRESS.to_hex()),
               "typeArguments": [],
               "functionArguments": ["A100", "40", "1000000000000", "100000000"]})
    );

    // The buyer signs a rent from this provider and the daemon relays it.
    let rent = Call::Rent {
        provider: env.provider,
        docker_image: "busybox:1.36".into(),
        asset: env.usdc.0,
        deposit: 5_000,
        max_duration: 5,
        max_rate_per_second: u128::from(PER_SECOND) * 1_000_000_000,
    };
    let relayed = post(
        "/api/v1/jobs/create",
        json!({"signed_transaction": sign_hex(&env, &rent).await}),
    )
    .await
    .unwrap();
    assert_eq!(relayed.status().as_u16(), 200);
    let relayed: Value = relayed.json().await.unwrap();
    assert_eq!(relayed["success"], true, "{relayed}");
    assert_eq!(
        env.chain
            .get_job_counter(env.buyer.address())
            .await
            .unwrap(),
        1
    );
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - 5_000);

    // Anything but the route's own functions is refused, signed or not; nothing is submitted.
    env.buyer.resync();
    let close = Call::CloseStream {
        payer: env.buyer.address(),
        job_id: 1,
    };
    let refused = post(
        "/api/v1/jobs/create",
        json!({"signed_transaction": sign_hex(&env, &close).await}),
    )
    .await
    .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    env.buyer.resync();
    for bad in [
        json!({"signed_transaction": "0x00"}),
        json!({"function": "close_stream"}),
        json!([1]),
    ] {
        let answer = post("/api/v1/jobs/create", bad.clone()).await.unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{bad}");
    }
    let stream = env.chain.get_stream(env.buyer.address(), 1).await.unwrap();
    assert!(!stream.is_closed);
}

/// A transaction of `call` signed by the buyer, as 0x-hex BCS.
async fn sign_hex(env: &Env, call: &computestream_core::contract::Call) -> String {
    use computestream_core::aptos_sdk::aptos_bcs;
    use computestream_core::aptos_sdk::transaction::TransactionPayload;
    let payload =
        TransactionPayload::EntryFunction(call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap());
    let signed = env.chain.sign(&env.buyer, payload).await.unwrap();
    format!("0x{}", hex::encode(aptos_bcs::to_bytes(&signed).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_is_sold_with_exact_and_verified_by_bearer() {
    let env = setup().await;
    let http = computestream_core::http_client();
    let other = format!("{}/api/v1/compute/access/0xbeef", env.url);
    let refused = http.get(&other).send().await.unwrap();
    assert_eq!(
        refused.status().as_u16(),
        404,
        "another provider: before any payment"
    );

    let url = format!(
        "{}/api/v1/compute/access/{}",
        env.url,
        env.provider.to_long_string()
    );
    let node = Arc::new(AptosLedger::new(&env.node, LOCAL_CONTRACT_ADDRESS).unwrap());
    let price = 60 * PER_SECOND; // one minute at the on-chain price
    let paying = PayingClient::new(env.buyer.clone(), node, SpendingPolicy::new(price, price));
    let paid = paying.get(&url).await.unwrap();
    assert_eq!(paid.response.status().as_u16(), 200);
    assert_eq!(paid.requirements.as_ref().unwrap().scheme, "exact");
    let body: Value = paid.response.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64);
    assert_eq!(env.usdc_of(env.provider).await, price);
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - price);

    let verify = format!("{url}/verify");
    let ok = http.get(&verify).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["expires_at"], body["expires_at"]);
    let bad = http
        .get(&verify)
        .bearer_auth("0".repeat(64))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    let none = http.get(&verify).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    // The hourly cap is spent: a second token is refused before anything is signed.
    assert!(paying.get(&url).await.is_err());
    assert_eq!(env.usdc_of(env.buyer.address()).await, BUYER_FUNDS - price);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_stops_marks_its_provider_unavailable_and_a_restart_available() {
    let mut env = setup().await;
    assert!(
        env.chain
            .get_provider(env.provider)
            .await
            .unwrap()
            .is_active
    );
    let pid = nix::unistd::Pid::from_raw(i32::try_from(env.daemon.0.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = env.daemon.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        !env.chain
            .get_provider(env.provider)
            .await
            .unwrap()
            .is_active
    );
    let (daemon, _) = spawn_daemon(&env.node, env.dir.path(), env.usdc, MAX_DURATION, &[]).await;
    env.daemon = daemon;
    assert!(
        env.chain
            .get_provider(env.provider)
            .await
            .unwrap()
            .is_active
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_that_is_not_the_nodes_is_refused_at_start() {
    let env = setup().await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_computestream"))
        .current_dir(env.dir.path())
        .args([
            "--node",
            &env.node,
            "--key",
            "provider.key",
            "--network",
            "movement:126",
        ])
        .args(["provider", "serve", "--port", "0", "--exec", "true"])
        .env_remove("COMPUTESTREAM_PRIVATE_KEY")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--network movement:126 is chain id 126, the node's is 4"),
        "{stderr}"
    );
}
