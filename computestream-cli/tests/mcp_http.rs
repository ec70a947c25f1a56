//! `computestream mcp --http` driven by the official Rust MCP SDK's client (`rmcp`) over
//! streamable HTTP: a localnet in process, a provider daemon running `tests/fixtures/tick.sh`,
//! and an agent that lists the tools, rents, watches (tools, the job's resource and its
//! update notifications), tops up, is refused over each limit with nothing signed, stops the
//! job and checks the refund and the receipt against the chain. No timing assertions, only
//! generous bounds.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{KillOnDrop, new_key, spawn_with_url};
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AccountAddress, AssetId, ContractClient, JobId, Ledger, Signer, math};
use computestream_localnet::{LocalLedger, Localnet};
use rmcp::ClientHandler;
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ReadResourceRequestParams, ResourceContents,
    ResourceUpdatedNotificationParam, SubscribeRequestParams,
};
use rmcp::service::NotificationContext;
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const TICK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tick.sh");
/// 1,000 units a second of a 6-decimal asset.
const PRICE_PER_HOUR: u64 = 3_600_000;
/// The longest rental the daemon offers: its deposit is 60 s of the price.
const MAX_DURATION: u64 = 60;
const DEPOSIT: u64 = 60_000;
const BUYER_FUNDS: u64 = 1_000_000;
/// The agent's limits: a rental may commit its deposit and 10,000 more; an hour, 100,000
/// (one rental and a top-up fit, a second rental does not).
const MAX_PER_RENTAL: u64 = DEPOSIT + 10_000;
const MAX_PER_HOUR: u64 = 100_000;

struct Env {
    _mcp: KillOnDrop,
    _daemon: KillOnDrop,
    _net: Localnet,
    _dir: tempfile::TempDir,
    mcp_url: String,
    chain: ContractClient<Arc<LocalLedger>>,
    ledger: Arc<LocalLedger>,
    usdc: AssetId,
    provider: AccountAddress,
    buyer: AccountAddress,
    buyer_key: String,
}

async fn setup(max_per_rental: u64, max_per_hour: u64) -> Env {
    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    let (provider_key, provider) = new_key(dir.path(), "provider");
    let (fee_payer_key, fee_payer) = new_key(dir.path(), "fee-payer");
    let (buyer_key, buyer) = new_key(dir.path(), "buyer");
    for who in [provider, fee_payer, buyer] {
        ledger.mint(who, AssetId::NATIVE, 10_000_000_000).unwrap();
    }
    ledger.mint(buyer, usdc, BUYER_FUNDS).unwrap();

    let mut daemon = Command::new(env!("CARGO_BIN_EXE_computestream"));
    daemon
        .current_dir(dir.path())
        .args(["--node", &net.node_url(), "--key", &provider_key])
        .args(["provider", "serve", "--port", "0"])
        .args(["--exec", &format!("sh '{TICK}' {{command...}}")])
        .args(["--allow-image", "busybox*"])
        .args(["--grace", "2", "--max-duration", &MAX_DURATION.to_string()])
        .args(["--policy", "before-depletion:1"])
        .args(["--asset", &usdc.0.to_long_string()])
        .args(["--fee-payer-key", &fee_payer_key])
        .args(["--gpu", "H100", "--vram", "80", "--stake", "100000000"])
        .args(["--price-per-hour", &PRICE_PER_HOUR.to_string()]);
    let (daemon, _) = spawn_with_url(daemon).await;

    let mut mcp = Command::new(env!("CARGO_BIN_EXE_computestream"));
    mcp.args(["--node", &net.node_url(), "--key", &buyer_key, "mcp"])
        .args(["--max-per-rental", &max_per_rental.to_string()])
        .args(["--max-per-hour", &max_per_hour.to_string()])
        .args(["--asset", &usdc.0.to_long_string()])
        .args(["--http", "0", "--watch-every", "1"]);
    let (mcp, mcp_url) = spawn_with_url(mcp).await;
    Env {
        _mcp: mcp,
        _daemon: daemon,
        _net: net,
        _dir: dir,
        mcp_url,
        chain: ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS),
        ledger,
        usdc,
        provider,
        buyer,
        buyer_key,
    }
}

type Agent = RunningService<RoleClient, Updates>;

/// The agent's handler: forwards `notifications/resources/updated` (legacy subscriptions).
#[derive(Debug)]
struct Updates(mpsc::UnboundedSender<String>);

impl ClientHandler for Updates {
    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params.uri);
    }
}

async fn connect(url: &str) -> (Agent, mpsc::UnboundedReceiver<String>) {
    // The project's client: reqwest with the TLS crypto provider the workspace installs.
    let transport = StreamableHttpClientTransport::with_client(
        computestream_core::http_client(),
        StreamableHttpClientTransportConfig::with_uri(url.to_string()),
    );
    let (tx, rx) = mpsc::unbounded_channel();
    (Updates(tx).serve(transport).await.unwrap(), rx)
}

/// Calls `tool` with `arguments` (a JSON object).
async fn call(agent: &Peer<RoleClient>, tool: &'static str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    agent
        .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// A successful call's structured result.
async fn ok(agent: &Peer<RoleClient>, tool: &'static str, arguments: Value) -> Value {
    let result = call(agent, tool, arguments).await;
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    match result.structured_content {
        Some(v) => v,
        None => panic!(
            "{tool} returned no structured content: {:?}",
            result.content
        ),
    }
}

/// A failed call's text.
async fn err(agent: &Peer<RoleClient>, tool: &'static str, arguments: Value) -> String {
    let result = call(agent, tool, arguments).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} should fail: {result:?}"
    );
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Env {
    async fn usdc_of(&self, who: AccountAddress) -> u64 {
        self.chain.balance(who, self.usdc).await.unwrap()
    }

    fn buyer_signer(&self) -> Signer {
        let hex = std::fs::read_to_string(&self.buyer_key).unwrap();
        Signer::from_private_key(hex.trim()).unwrap()
    }

    async fn sequence(&self) -> u64 {
        self.ledger.sequence_number(self.buyer).await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_rents_watches_tops_up_and_stops_within_its_budget() {
    let env = setup(MAX_PER_RENTAL, MAX_PER_HOUR).await;
    let (agent, mut updates) = connect(&env.mcp_url).await;

    // The tools, each with an input and an output schema.
    let tools = agent.list_all_tools().await.unwrap();
    let mut names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "job_logs",
            "job_status",
            "list_providers",
            "rent_gpu",
            "stop_job",
            "top_up",
            "wallet_balance"
        ]
    );
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        let output = tool
            .output_schema
            .as_ref()
            .unwrap_or_else(|| panic!("{}", tool.name));
        assert_eq!(output["type"], "object", "{}", tool.name);
    }

    let wallet = ok(&agent, "wallet_balance", json!({})).await;
    assert_eq!(wallet["balance"], BUYER_FUNDS);
    assert_eq!(wallet["budget"]["left_this_hour"], MAX_PER_HOUR);

    let listed = ok(&agent, "list_providers", json!({"gpu_type": "h100"})).await;
    let providers = listed["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 1, "{listed}");
    assert_eq!(providers[0]["provider"], env.provider.to_long_string());
    assert_eq!(providers[0]["price_per_hour"], PRICE_PER_HOUR);
    assert!(!providers[0]["endpoint"].as_str().unwrap().is_empty());
    let none = ok(&agent, "list_providers", json!({"min_vram_gb": 81})).await;
    assert_eq!(none["providers"], json!([]));

    // Over the call's own cap: refused before anything is signed.
    let refused = err(
        &agent,
        "rent_gpu",
        json!({"image": "busybox:1.36", "command": ["train"], "seconds": 10}),
    )
    .await;
    assert!(
        refused.starts_with("BUDGET_EXCEEDED: max_spend is 10000")
            && refused.contains("over by 50000"),
        "{refused}"
    );
    assert_eq!(env.sequence().await, 0, "nothing signed");
    // An image the provider does not offer: its 403 comes before any payment.
    let refused = err(
        &agent,
        "rent_gpu",
        json!({"provider": env.provider.to_long_string(), "image": "evil/miner:latest"}),
    )
    .await;
    assert!(
        refused.starts_with("PROVIDER_ERROR") && refused.contains("HTTP 403 before payment"),
        "{refused}"
    );
    assert_eq!(env.sequence().await, 0, "nothing signed");

    // Rent by requirements.
    let rented = ok(
        &agent,
        "rent_gpu",
        json!({"gpu_type": "H100", "max_price_per_hour": PRICE_PER_HOUR,
               "image": "busybox:1.36", "command": ["train", "--epochs", "1"]}),
    )
    .await;
    let job: JobId = rented["job"].as_str().unwrap().parse().unwrap();
    assert_eq!(job.buyer, env.buyer);
    assert_eq!(rented["deposit"], DEPOSIT);
    assert_eq!(rented["rate_per_hour"], PRICE_PER_HOUR);
    assert_eq!(rented["max_duration_seconds"], MAX_DURATION);
    assert!(rented["seconds_to_depletion"].as_u64().unwrap() <= MAX_DURATION);
    assert_eq!(env.usdc_of(env.buyer).await, BUYER_FUNDS - DEPOSIT);
    let after_rent = env.sequence().await;
    assert_eq!(after_rent, 1, "the rent transaction");

    // Its live state as a resource, with update notifications while it accrues.
    let uri = format!("computestream://jobs/{job}");
    let resources = agent.list_resources(None).await.unwrap();
    assert!(
        resources.resources.iter().any(|r| r.uri == uri),
        "{resources:?}"
    );
    // rmcp's client opens its session with `initialize`, so it subscribes the pre-2026 way
    // (`resources/subscribe`; 2026-07-28 sessions use `subscriptions/listen`, which the
    // server refuses on a legacy session): an update for the job's URI arrives.
    #[allow(deprecated)]
    agent
        .subscribe(SubscribeRequestParams::new(uri.clone()))
        .await
        .unwrap();
    let updated = tokio::time::timeout(Duration::from_secs(30), updates.recv())
        .await
        .expect("a resource update within 30 s")
        .unwrap();
    assert_eq!(updated, uri);

    // Watch until the workload runs and the stream has accrued.
    let started = Instant::now();
    let status = loop {
        let status = ok(&agent, "job_status", json!({"job": job.to_string()})).await;
        if status["workload"]["state"] == "running"
            && status["stream"]["accrued"].as_u64() > Some(0)
        {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{status:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(status["stream"]["deposited"], DEPOSIT);
    assert_eq!(status["stream"]["closed"], false);
    assert_eq!(status["record"]["status"], "running", "{status:#}");
    let read = agent
        .read_resource(ReadResourceRequestParams::new(uri.clone()))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("{read:?}")
    };
    let resource: Value = serde_json::from_str(text).unwrap();
    assert_eq!(resource["job"], job.to_string());
    assert_eq!(resource["stream"]["deposited"], DEPOSIT);

    let started = Instant::now();
    let logs = loop {
        let logs = ok(&agent, "job_logs", json!({"job": job.to_string()})).await;
        if logs["logs"].as_str().unwrap().contains("tick 1\n") {
            break logs;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{logs:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(logs["truncated"], false);

    // Top-ups count against the rental's limit: 10,001 is one too many. Within it, a top-up
    // of a rental whose deposit already pays for its whole max duration is refused too.
    let before = (env.usdc_of(env.buyer).await, env.sequence().await);
    let refused = err(
        &agent,
        "top_up",
        json!({"job": job.to_string(), "amount": 10_001}),
    )
    .await;
    assert!(
        refused.starts_with("BUDGET_EXCEEDED: max_per_rental is 70000")
            && refused.contains("over by 1;"),
        "{refused}"
    );
    let refused = err(
        &agent,
        "top_up",
        json!({"job": job.to_string(), "amount": 10}),
    )
    .await;
    assert!(
        refused.starts_with("INVALID_ARGUMENT") && refused.contains("would only be refunded"),
        "{refused}"
    );
    assert_eq!((env.usdc_of(env.buyer).await, env.sequence().await), before);

    // A stream the buyer opened by hand (job pending, 1,000 escrowed) takes a top-up.
    let opened = env
        .chain
        .rent(
            &env.buyer_signer(),
            env.provider,
            "busybox:1.36".into(),
            env.usdc.0,
            1_000,
            3_600,
            1_000_000_000_000,
        )
        .await
        .unwrap();
    let pending = opened.created_job(LOCAL_CONTRACT_ADDRESS).unwrap().unwrap();
    let topped = ok(
        &agent,
        "top_up",
        json!({"job": pending.to_string(), "amount": 10_000}),
    )
    .await;
    assert_eq!(topped["stream"]["deposited"], 11_000);
    assert_eq!(
        env.sequence().await,
        before.1 + 2,
        "the rent and the top-up"
    );

    // A second rental, from another HTTP session of the same server, fits its own limit but
    // not the hour's, which every session shares: 70,000 committed through the server (the
    // deposit and the top-up), 60,000 more.
    let before = (env.usdc_of(env.buyer).await, env.sequence().await);
    let counter = env.chain.get_job_counter(env.buyer).await.unwrap();
    let (other, _) = connect(&env.mcp_url).await;
    let refused = err(
        &other,
        "rent_gpu",
        json!({"provider": env.provider.to_long_string(), "image": "busybox:1.36"}),
    )
    .await;
    assert!(
        refused.starts_with("BUDGET_EXCEEDED: max_per_hour is 100000")
            && refused.contains("would bring it to 130000, over by 30000"),
        "{refused}"
    );
    assert_eq!((env.usdc_of(env.buyer).await, env.sequence().await), before);
    assert_eq!(env.chain.get_job_counter(env.buyer).await.unwrap(), counter);
    other.cancel().await.unwrap();

    // Malformed arguments: errors naming the problem, and the server goes on.
    for (tool, arguments, expected) in [
        ("rent_gpu", json!({}), "missing field `image`"),
        ("top_up", json!({"job": 5, "amount": 1}), "invalid type"),
        (
            "top_up",
            json!({"job": job.to_string(), "amount": -1}),
            "failed to deserialize parameters",
        ),
        (
            "top_up",
            json!({"job": job.to_string(), "amount": 0}),
            "INVALID_ARGUMENT: amount must be above 0",
        ),
        (
            "rent_gpu",
            json!({"image": "busybox:1.36", "command": "train"}),
            "invalid type",
        ),
        (
            "rent_gpu",
            json!({"image": "busybox:1.36", "provider": "0xzz"}),
            "INVALID_ARGUMENT: provider",
        ),
        (
            "job_status",
            json!({"job": job.to_string(), "extra": 1}),
            "unknown field `extra`",
        ),
        (
            "job_status",
            json!({"job": "not-a-job"}),
            "INVALID_ARGUMENT",
        ),
        (
            "stop_job",
            json!({"job": "0xb0b/1"}),
            "is not this wallet's",
        ),
    ] {
        let text = err(&agent, tool, arguments.clone()).await;
        assert!(text.contains(expected), "{tool} {arguments}: {text}");
    }
    let unknown = agent
        .call_tool(CallToolRequestParams::new("mine_bitcoin"))
        .await;
    assert!(unknown.is_err(), "{unknown:?}");
    assert_eq!(
        env.sequence().await,
        before.1,
        "nothing signed by bad calls"
    );

    // Stop: the provider is paid for the seconds billed, the rest comes back.
    let receipt = ok(&agent, "stop_job", json!({"job": job.to_string()})).await;
    let stream = env.chain.get_stream(job.buyer, job.id).await.unwrap();
    assert!(stream.is_closed);
    let paid = stream.paid;
    assert!(paid > 0, "{stream:?}");
    let billed = stream.active_seconds(stream.closed_at);
    assert_eq!(
        paid,
        math::owed(stream.deposited, stream.rate_per_second.0, billed)
    );
    assert_eq!(receipt["paid_to_provider"], paid);
    assert_eq!(receipt["deposited"], DEPOSIT);
    assert_eq!(receipt["refunded"], DEPOSIT - paid);
    assert_eq!(receipt["billed_seconds"], billed);
    assert!(receipt["close_transaction"].is_string(), "{receipt}");
    assert_eq!(receipt["balance_after"], BUYER_FUNDS - paid - 11_000);
    assert_eq!(env.usdc_of(env.provider).await, paid);

    // The daemon sees the close and stops the workload.
    let started = Instant::now();
    loop {
        let status = ok(&agent, "job_status", json!({"job": job.to_string()})).await;
        assert_eq!(status["stream"]["closed"], true);
        if status["workload"]["state"] == "stopped" {
            assert_eq!(status["workload"]["stop_reason"], "closed", "{status:#}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{status:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Stopping again gives the receipt without a transaction.
    let again = ok(&agent, "stop_job", json!({"job": job.to_string()})).await;
    assert!(again["close_transaction"].is_null(), "{again}");
    assert_eq!(again["refunded"], receipt["refunded"]);

    // The pending job: nothing ran, everything comes back, and the job is cancelled (it no
    // longer holds one of the provider's active-job slots).
    let active = env
        .chain
        .get_provider(env.provider)
        .await
        .unwrap()
        .active_jobs;
    let receipt = ok(&agent, "stop_job", json!({"job": pending.to_string()})).await;
    assert_eq!(receipt["paid_to_provider"], 0);
    assert_eq!(receipt["refunded"], 11_000);
    assert!(receipt["cancel_transaction"].is_string(), "{receipt:#}");
    let record = env.chain.get_job(env.buyer, pending.id).await.unwrap();
    assert_eq!(record.status, computestream_core::JobStatus::Cancelled);
    let provider = env.chain.get_provider(env.provider).await.unwrap();
    assert_eq!(provider.active_jobs, active - 1);
    assert_eq!(receipt["balance_after"], BUYER_FUNDS - paid);
    assert_eq!(env.usdc_of(env.buyer).await, BUYER_FUNDS - paid);

    let wallet = ok(&agent, "wallet_balance", json!({})).await;
    assert_eq!(wallet["budget"]["spent_last_hour"], DEPOSIT + 10_000);
    agent.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rentals_from_two_sessions_cannot_both_pass_the_hourly_limit() {
    // Room for one deposit an hour, not two.
    let env = setup(DEPOSIT, DEPOSIT + DEPOSIT / 2).await;
    let (a, _) = connect(&env.mcp_url).await;
    let (b, _) = connect(&env.mcp_url).await;
    let args = json!({"provider": env.provider.to_long_string(), "image": "busybox:1.36"});
    let (ra, rb) = tokio::join!(
        call(&a, "rent_gpu", args.clone()),
        call(&b, "rent_gpu", args.clone())
    );
    let results = [ra, rb];
    let rented: Vec<_> = results
        .iter()
        .filter(|r| r.is_error != Some(true))
        .collect();
    let refused: Vec<_> = results
        .iter()
        .filter(|r| r.is_error == Some(true))
        .collect();
    assert_eq!((rented.len(), refused.len()), (1, 1), "{results:?}");
    let text = refused[0].content[0].as_text().unwrap().text.clone();
    assert!(
        text.starts_with("BUDGET_EXCEEDED: max_per_hour is 90000")
            && text.contains("over by 30000"),
        "{text}"
    );
    assert_eq!(env.chain.get_job_counter(env.buyer).await.unwrap(), 1);
    assert_eq!(env.sequence().await, 1, "one rent signed");
    assert_eq!(env.usdc_of(env.buyer).await, BUYER_FUNDS - DEPOSIT);
    let job = rented[0].structured_content.as_ref().unwrap()["job"].clone();
    let receipt = ok(&a, "stop_job", json!({"job": job})).await;
    assert_eq!(
        receipt["balance_after"].as_u64().unwrap(),
        BUYER_FUNDS - receipt["paid_to_provider"].as_u64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_state_dir_the_hourly_limit_holds_across_restarts() {
    // Room for one deposit an hour; the server is restarted between two rentals.
    let env = setup(DEPOSIT, DEPOSIT + DEPOSIT / 2).await;
    let state = tempfile::tempdir().unwrap();
    let start = || {
        let mut mcp = Command::new(env!("CARGO_BIN_EXE_computestream"));
        mcp.args([
            "--node",
            &env._net.node_url(),
            "--key",
            &env.buyer_key,
            "mcp",
        ])
        .args(["--max-per-rental", &DEPOSIT.to_string()])
        .args(["--max-per-hour", &(DEPOSIT + DEPOSIT / 2).to_string()])
        .args(["--asset", &env.usdc.0.to_long_string()])
        .args(["--http", "0"])
        .arg("--state-dir")
        .arg(state.path().join("mcp"));
        spawn_with_url(mcp)
    };
    let args = json!({"provider": env.provider.to_long_string(), "image": "busybox:1.36"});
    let (first, url) = start().await;
    let (agent, _) = connect(&url).await;
    let rented = ok(&agent, "rent_gpu", args.clone()).await;
    agent.cancel().await.unwrap();
    drop(first);

    let (_second, url) = start().await;
    let (agent, _) = connect(&url).await;
    let wallet = ok(&agent, "wallet_balance", json!({})).await;
    assert_eq!(wallet["budget"]["spent_last_hour"], json!(DEPOSIT));
    let before = (env.usdc_of(env.buyer).await, env.sequence().await);
    let refused = err(&agent, "rent_gpu", args).await;
    assert!(
        refused.starts_with("BUDGET_EXCEEDED: max_per_hour is 90000")
            && refused.contains("over by 30000"),
        "{refused}"
    );
    assert_eq!((env.usdc_of(env.buyer).await, env.sequence().await), before);
    ok(&agent, "stop_job", json!({"job": rented["job"]})).await;
    agent.cancel().await.unwrap();
}
