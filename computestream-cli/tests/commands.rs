//! Every command of the `computestream` binary against an in-process localnet, checking
//! outputs and exit codes (`--json` where a value is read back).

mod common;

use common::KillOnDrop;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AssetId, Rate, Signer};
use computestream_localnet::LocalLedger;
use computestream_localnet::Localnet;
use computestream_x402::gate::Gate;
use computestream_x402::http::X402Layer;
use computestream_x402::schemes::exact_requirements;
use computestream_x402::wire::ResourceInfo;
use computestream_x402::{LocalFacilitator, Network};
use serde_json::Value;

struct Env {
    node: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn cli(&self, key: Option<&str>, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_computestream"));
        c.arg("--node").arg(&self.node);
        if let Some(k) = key {
            c.arg("--key").arg(self.key(k));
        }
        c.args(args).env_remove("COMPUTESTREAM_PRIVATE_KEY");
        c.output().unwrap()
    }

    fn ok(&self, key: Option<&str>, args: &[&str]) -> String {
        let out = self.cli(key, args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, key: Option<&str>, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(key, &all);
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.key"))
    }
}

/// `job create` by the buyer for `provider`; the new job's BUYER/ID.
fn create_job(env: &Env, provider: &str, escrow: &str, max_duration: &str) -> String {
    let v = env.json(
        Some("buyer"),
        &[
            "job",
            "create",
            "--provider",
            provider,
            "--image",
            "img",
            "--escrow",
            escrow,
            "--max-duration",
            max_duration,
        ],
    );
    v["job"].as_str().unwrap().to_string()
}

fn address_of(env: &Env, name: &str) -> String {
    env.json(Some(name), &["keys", "show"])["address"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn setup() -> (Env, Arc<LocalLedger>, Localnet) {
    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    let env = Env {
        node: net.node_url(),
        dir: tempfile::tempdir().unwrap(),
    };
    for name in ["provider", "buyer"] {
        let path = env.key(name);
        let v = env.json(None, &["keys", "new", "--out", path.to_str().unwrap()]);
        let addr = v["address"].as_str().unwrap();
        ledger
            .mint(addr.parse().unwrap(), AssetId::NATIVE, 10_000_000_000)
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "key files are private");
        }
    }
    (env, ledger, net)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chain_command_works_against_a_localnet() {
    let (env, _ledger, _net) = setup().await;
    let p = address_of(&env, "provider");
    let b = address_of(&env, "buyer");

    // provider
    let v = env.json(
        Some("provider"),
        &[
            "provider",
            "register",
            "--gpu",
            "H100",
            "--vram",
            "80",
            "--price-per-hour",
            "720000000",
            "--stake",
            "100000000",
        ],
    );
    assert_eq!(v["success"], true);
    assert_eq!(v["events"][0]["type"], "ProviderRegistered");
    env.ok(
        Some("provider"),
        &[
            "provider",
            "update",
            "--available",
            "true",
            "--price-per-hour",
            "720000000",
            "--endpoint",
            "https://gpu.example/computestream",
        ],
    );
    let list = env.json(None, &["provider", "list"]);
    assert_eq!(list, serde_json::json!([p]));
    let show = env.json(None, &["provider", "show", &p]);
    assert_eq!(show["gpu_type"], "H100");
    assert_eq!(show["endpoint"], "https://gpu.example/computestream");
    assert_eq!(
        show["price_per_second"],
        Rate::per_hour(720_000_000).nanos_per_second().to_string()
    );

    // job lifecycle without a stream
    let job1 = create_job(&env, &p, "1000", "60");
    assert_eq!(job1, format!("{b}/1"));
    env.ok(Some("buyer"), &["job", "cancel", "1"]);
    let job = env.json(None, &["job", "show", &job1]);
    assert_eq!(job["status"], 4, "cancelled");
    let job2 = create_job(&env, &p, "1000", "60");
    env.ok(Some("provider"), &["job", "start", &job2]);
    env.ok(Some("provider"), &["job", "fail", &job2]);
    let rejected = create_job(&env, &p, "1", "1");
    env.ok(Some("provider"), &["job", "reject", &rejected]);
    assert_eq!(env.json(None, &["job", "show", &rejected])["status"], 4);

    // A pending job keeps the provider from leaving until it is cancelled (below).
    let job3 = create_job(&env, &p, "1000000", "3600");
    // rent: job 4 with escrow and stream in one transaction
    let v = env.json(
        Some("buyer"),
        &[
            "rent",
            "--provider",
            &p,
            "--asset",
            "0xa",
            "--deposit",
            "2000000",
            "--max-duration",
            "3600",
        ],
    );
    let job4 = v["job"].as_str().unwrap().to_string();
    assert!(
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "StreamOpened")
    );
    env.ok(Some("provider"), &["job", "start", &job4]);
    let id4 = job4.rsplit('/').next().unwrap();
    env.ok(Some("buyer"), &["stream", "pause", id4]);
    env.ok(Some("buyer"), &["stream", "resume", id4]);
    env.ok(Some("buyer"), &["stream", "top-up", &job4, "1000"]);
    env.ok(Some("provider"), &["stream", "settle", &job4]);
    let shown = env.json(None, &["stream", "show", &job4]);
    assert_eq!(shown["stream"]["deposited"], "2001000");
    assert_eq!(shown["paying"], true);
    let watch = env.ok(
        None,
        &["stream", "watch", &job4, "--count", "2", "--interval", "1"],
    );
    assert_eq!(watch.lines().count(), 2);
    env.ok(
        Some("provider"),
        &["job", "complete", &job4, "--output", "s3://out"],
    );
    env.ok(Some("buyer"), &["stream", "close", &job4]);
    let closed = env.json(None, &["stream", "show", &job4]);
    assert_eq!(closed["stream"]["is_closed"], true);
    env.ok(
        Some("buyer"),
        &["job", "cancel", job3.rsplit('/').next().unwrap()],
    );
    env.ok(Some("provider"), &["provider", "deregister"]);
    assert_eq!(env.json(None, &["provider", "list"]), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_open_works_on_an_escrowed_job() {
    let (env, ledger, _net) = setup().await;
    let p = address_of(&env, "provider");
    let b = address_of(&env, "buyer");
    env.ok(
        Some("provider"),
        &[
            "provider",
            "register",
            "--gpu",
            "A100",
            "--vram",
            "40",
            "--price-per-hour",
            "3600000",
            "--stake",
            "1000",
        ],
    );
    env.ok(
        Some("buyer"),
        &[
            "job",
            "create",
            "--provider",
            &p,
            "--image",
            "img",
            "--escrow",
            "5000",
            "--max-duration",
            "60",
        ],
    );
    // The escrow deposit has no command of its own: done with the library, as an SDK user would.
    let client = computestream_core::ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    let key = std::fs::read_to_string(env.key("buyer")).unwrap();
    let buyer = Signer::from_private_key(key.trim()).unwrap();
    client
        .deposit_escrow(
            &buyer,
            1,
            p.parse().unwrap(),
            computestream_core::types::address_from_u64(0xa),
            5000,
        )
        .await
        .unwrap();
    let v = env.json(
        Some("buyer"),
        &["stream", "open", "1", "--payee", &p, "--rate", "1000000000"],
    );
    assert_eq!(v["events"][0]["type"], "StreamOpened");
    let shown = env.json(None, &["stream", "show", &format!("{b}/1")]);
    assert_eq!(shown["stream"]["rate_per_second"], "1000000000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_one_line_and_non_zero() {
    let (env, _ledger, _net) = setup().await;
    for (key, args, needle) in [
        (None, vec!["job", "show", "nonsense"], "expected BUYER/ID"),
        (None, vec!["stream", "settle", "0x1/1"], "--key"),
        (
            Some("buyer"),
            vec!["stream", "settle", "0x1/1"],
            "E_STREAM_NOT_FOUND",
        ),
        (
            None,
            vec!["provider", "show", "0x1"],
            "E_PROVIDER_NOT_FOUND",
        ),
        (None, vec!["x402", "decode", "not-base64!"], "base64"),
    ] {
        let out = env.cli(key, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
    let help = env.ok(None, &["stream", "--help"]);
    assert!(help.contains("top-up") && help.contains("watch"));
    let top = env.ok(None, &["--help"]);
    assert!(top.contains("Examples:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x402_decode_and_pay_and_the_facilitator() {
    let (env, ledger, net) = setup().await;
    // decode the reference vector, nested transaction included
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/x402-aptos-exact.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let header = vector["expected"]["payment_signature_header"]
        .as_str()
        .unwrap();
    let d = env.json(None, &["x402", "decode", header]);
    assert_eq!(d["kind"], "payment");
    assert_eq!(
        d["aptos_transaction"]["sender"],
        vector["expected"]["sender_address"]
    );
    assert_eq!(
        d["aptos_transaction"]["entry_function"]["function"],
        "0x1::primary_fungible_store::transfer"
    );
    assert_eq!(d["aptos_transaction"]["signature_valid"], true);
    let r = env.json(
        None,
        &[
            "x402",
            "decode",
            vector["expected"]["payment_required_header"]
                .as_str()
                .unwrap(),
        ],
    );
    assert_eq!(r["kind"], "payment-required");

    // pay: an exact-gated resource in this process
    let p = address_of(&env, "provider");
    let fee_payer = Signer::from_seed("cli:fee-payer");
    let facilitator = Arc::new(LocalFacilitator::new(
        ledger.clone(),
        Network::Localnet,
        LOCAL_CONTRACT_ADDRESS,
        vec![fee_payer],
    ));
    let req = exact_requirements(
        Network::Localnet,
        AssetId::NATIVE,
        p.parse().unwrap(),
        5_000,
        60,
        facilitator.fee_payer(),
    );
    let gate = Gate::new(
        facilitator,
        ResourceInfo {
            url: "/r".into(),
            description: None,
            mime_type: None,
        },
        vec![req],
    );
    let app = axum::Router::new()
        .route("/r", axum::routing::get(|| async { "the resource" }))
        .layer(X402Layer::new(Arc::new(gate)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/r", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let before = ledger.balance(p.parse().unwrap(), AssetId::NATIVE);
    let out = env.cli(
        Some("buyer"),
        &["x402", "pay", &url, "--max-per-payment", "10000"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "the resource");
    assert_eq!(
        ledger.balance(p.parse().unwrap(), AssetId::NATIVE),
        before + 5_000
    );
    let refused = env.cli(
        Some("buyer"),
        &["x402", "pay", &url, "--max-per-payment", "4999"],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("per-payment cap"));

    // facilitator: serve, then ask /supported
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_computestream"))
            .args(["--node", &net.node_url(), "--key"])
            .arg(env.key("provider"))
            .args(["facilitator", "--port", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.0.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line.split_whitespace().nth(3).unwrap().to_string();
    let (_, supported) = computestream_testkit::get_json(&format!("{base}/supported")).await;
    assert_eq!(supported["kinds"][0]["network"], "aptos:4");
    assert_eq!(
        supported["kinds"][0]["extra"]["feePayer"],
        Value::String(p.clone())
    );
}

#[test]
fn the_demo_runs_with_json_and_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_computestream"))
        .args([
            "--json",
            "demo",
            "--simulated",
            "--seconds",
            "3",
            "--policy",
            "interval:2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["active_seconds"], 3);
    assert_eq!(r["paid"], "0.006 USDC");
    assert!(r["checks"].as_array().unwrap().iter().all(|c| c[1] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_against_another_node_with_its_faucet() {
    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger).await.unwrap();
    let node = net.node_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_computestream"))
            .args(["--node", &node, "--json", "demo", "--seconds", "2"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["active_seconds"], 2);
    assert!(
        r["paid"].as_str().unwrap().ends_with("MOVE"),
        "the native coin on a node: {r}"
    );
    assert!(
        r["checks"].as_array().unwrap().iter().all(|c| c[1] == true),
        "{r}"
    );
}

#[test]
fn the_demo_sells_through_the_provider_daemon_and_its_checks_hold() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_computestream"))
        .args(["demo", "--daemon", "--seconds", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("workload  training step 1"), "{text}");
    assert_eq!(text.matches(": ok").count(), 4, "{text}");
    assert!(!text.contains("FAILED"), "{text}");
}
