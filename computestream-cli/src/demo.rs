//! The main job, in one process: the embedded ledger served as a localnet (or `--node`), a
//! provider registered over the node API, an x402-gated compute endpoint, an agent that gets
//! a 402 and pays with the `stream` scheme (one `rent` transaction: job + escrow + stream),
//! the provider starting the job, the scheduler settling at its policy while a progress line
//! shows the accrual, completion, close, refund, and a receipt with a conservation check.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Extension, Json, Router};
use clap::Args;
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::scheduler::driver::{Driver, DriverConfig, DriverEvent};
use computestream_core::scheduler::{
    BeforeDepletion, EverySecond, FixedInterval, OwedThreshold, StreamScheduler,
};
use computestream_core::{
    AccountAddress, Amount, AptosLedger, AssetId, ContractClient, JobId, Ledger, Rate, Signer,
    Stream, math,
};
use computestream_localnet::Localnet;
use computestream_localnet::{Clock, LocalLedger, ManualClock};
use computestream_x402::gate::Gate;
use computestream_x402::http::{PayingClient, SpendingPolicy, X402Layer};
use computestream_x402::schemes::StreamTerms;
use computestream_x402::wire::ResourceInfo;
use computestream_x402::{LocalFacilitator, Network};
use serde::Serialize;
use serde_json::json;

/// Options of `computestream demo`.
#[derive(Args, Clone, Debug)]
pub(crate) struct DemoArgs {
    /// Seconds the job runs.
    #[arg(long, default_value_t = 5)]
    pub(crate) seconds: u64,
    /// Settlement policy: every-second, interval:N, threshold:UNITS or before-depletion:N.
    #[arg(long, default_value = "every-second")]
    pub(crate) policy: String,
    /// Advance a simulated clock instead of waiting in real time.
    #[arg(long)]
    pub(crate) simulated: bool,
}

/// One party's balance of the streamed asset.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PartyBalance {
    pub(crate) name: &'static str,
    pub(crate) address: String,
    pub(crate) before: String,
    pub(crate) after: String,
}

/// What the demo did.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Receipt {
    pub(crate) job: String,
    pub(crate) policy: String,
    pub(crate) rate_per_hour: String,
    pub(crate) deposited: String,
    pub(crate) paid: String,
    pub(crate) refunded: String,
    pub(crate) active_seconds: u64,
    pub(crate) settlements: u64,
    pub(crate) transactions_per_job_hour: f64,
    pub(crate) balances: Vec<PartyBalance>,
    pub(crate) transactions: Vec<(String, String)>,
    pub(crate) checks: Vec<(String, bool)>,
}

impl Receipt {
    pub(crate) fn ok(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }
}

fn policy(text: &str) -> Result<Box<dyn StreamScheduler>, String> {
    let (name, arg) = text.split_once(':').unwrap_or((text, ""));
    let n = || {
        arg.parse::<u64>()
            .map_err(|_| format!("--policy {text}: expected a whole number after ':'"))
    };
    Ok(match name {
        "every-second" => Box::new(EverySecond),
        "interval" => Box::new(FixedInterval(n()?)),
        "threshold" => Box::new(OwedThreshold(n()?)),
        "before-depletion" => Box::new(BeforeDepletion(n()?)),
        _ => {
            return Err(format!(
                "--policy {text}: expected every-second, interval:N, threshold:UNITS or before-depletion:N"
            ));
        }
    })
}

async fn fund(faucet: &str, who: AccountAddress, amount: u64) -> Result<(), String> {
    let r = reqwest_post(&format!(
        "{faucet}/mint?address={}&amount={amount}",
        who.to_hex()
    ))
    .await?;
    if r.0 >= 300 {
        return Err(format!("faucet: HTTP {}: {}", r.0, r.1));
    }
    Ok(())
}

async fn reqwest_post(url: &str) -> Result<(u16, String), String> {
    let client = computestream_x402::http::http_client();
    let r = client
        .post(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = r.status().as_u16();
    Ok((status, r.text().await.unwrap_or_default()))
}

pub(crate) async fn main(
    args: &DemoArgs,
    node: Option<&str>,
    json_out: bool,
) -> Result<std::process::ExitCode, String> {
    let receipt = run(args, node, !json_out).await?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&receipt).unwrap_or_default()
        );
    } else {
        print(&receipt);
    }
    Ok(if receipt.ok() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

/// Runs the flow and returns its receipt.
/// `node`: use that node (its faucet at the same host) instead of the embedded ledger; the
/// stream is then paid in the native coin.
pub(crate) async fn run(
    args: &DemoArgs,
    node: Option<&str>,
    verbose: bool,
) -> Result<Receipt, String> {
    let policy = policy(&args.policy)?;
    let policy_name = policy.name();
    let say = |line: String| {
        if verbose {
            println!("{line}");
        }
    };
    let e = |what: &'static str| move |err: computestream_core::Error| format!("{what}: {err}");

    // The chain: the embedded ledger behind a localnet on a free port, or --demo-node.
    let manual = ManualClock::at_secs(1_767_225_600);
    let mut embedded: Option<(Arc<LocalLedger>, Localnet)> = None;
    let (node_url, faucet) = match node {
        Some(url) => (
            url.trim_end_matches('/').to_string(),
            url.trim_end_matches('/')
                .trim_end_matches("/v1")
                .to_string(),
        ),
        None => {
            let clock = if args.simulated {
                Clock::Manual(manual.clone())
            } else {
                Clock::System
            };
            let ledger = Arc::new(
                LocalLedger::builder()
                    .clock(clock)
                    .open()
                    .map_err(e("ledger"))?,
            );
            let net = Localnet::start_local(ledger.clone())
                .await
                .map_err(e("localnet"))?;
            let urls = (net.node_url(), net.url().to_string());
            embedded = Some((ledger, net));
            urls
        }
    };
    let node = Arc::new(AptosLedger::new(&node_url, LOCAL_CONTRACT_ADDRESS).map_err(e("node"))?);
    let client = ContractClient::new(node.clone(), LOCAL_CONTRACT_ADDRESS);
    let chain_id = node.chain_id().await.map_err(e("node"))?;
    let network = Network::ALL
        .into_iter()
        .find(|n| n.chain_id() == chain_id.id())
        .ok_or_else(|| format!("chain id {} is not a known x402 network", chain_id.id()))?;
    say(format!(
        "chain     {node_url} ({}, chain id {})",
        network.caip2(),
        chain_id.id()
    ));

    let provider = Signer::from_seed("demo-provider");
    let agent = Arc::new(Signer::from_seed("demo-agent"));
    let fee_payer = Signer::from_seed("demo-facilitator");
    let settler = Arc::new(Signer::from_seed("demo-settler"));
    for s in [&provider, &*agent, &fee_payer, &*settler] {
        fund(&faucet, s.address(), 10_000_000_000).await?;
    }
    let (asset, decimals, symbol) = match &embedded {
        Some((ledger, _)) => {
            let usdc = ledger.create_asset("USDC", 6).map_err(e("asset"))?;
            ledger
                .mint(agent.address(), usdc, 50_000_000)
                .map_err(e("mint"))?;
            (usdc, 6u8, "USDC")
        }
        None => (AssetId::NATIVE, 8u8, "MOVE"),
    };
    let fmt = |units: u64| format!("{} {symbol}", Amount(units).to_decimal(decimals));
    say(format!(
        "accounts  provider {}, agent {}, facilitator {}",
        provider.address().to_hex(),
        agent.address().to_hex(),
        fee_payer.address().to_hex()
    ));

    let balance = |who: AccountAddress| {
        let client = &client;
        async move {
            client
                .balance(who, asset)
                .await
                .map_err(|e| format!("balance: {e}"))
        }
    };
    let mut txns: Vec<(String, String)> = Vec::new();

    // 1. The provider registers at $7.20 an hour (2,000 units/s in 6 decimals).
    let price = Rate::per_hour(if decimals == 6 {
        7_200_000
    } else {
        720_000_000
    });
    let reg = client
        .register_provider(
            &provider,
            "H100".into(),
            80,
            price.nanos_per_second(),
            100_000_000,
        )
        .await
        .map_err(e("register_provider"))?;
    txns.push((reg.hash.to_hex(), "register_provider".into()));
    // Balances from here on (the stake, in the native coin, is locked by the registration).
    let before = [
        balance(agent.address()).await?,
        balance(provider.address()).await?,
    ];
    say(format!(
        "provider  registered: H100 80 GB at {} per hour",
        fmt(Rate::amount_for(price, 3_600) as u64)
    ));

    // 2. The provider serves compute behind an x402 gate: the stream scheme at its price.
    let facilitator = Arc::new(LocalFacilitator::new(
        node.clone(),
        network,
        LOCAL_CONTRACT_ADDRESS,
        vec![fee_payer],
    ));
    let max_duration = args.seconds.max(1) * 4;
    let terms = StreamTerms {
        network,
        contract: LOCAL_CONTRACT_ADDRESS,
        provider: provider.address(),
        asset,
        rate: client
            .get_provider_price(provider.address())
            .await
            .map_err(e("price"))?,
        max_duration_seconds: max_duration,
        fee_payer: facilitator.fee_payer(),
    };
    let requirements = terms.requirements(60).ok_or("deposit overflows")?;
    let gate = Gate::new(
        facilitator,
        ResourceInfo {
            url: "/compute".into(),
            description: Some("H100 compute, billed per second".into()),
            mime_type: Some("application/json".into()),
        },
        vec![requirements],
    )
    .with_stream_admission(node.clone(), Some(LOCAL_CONTRACT_ADDRESS));
    let app = Router::new()
        .route(
            "/compute",
            get(|Extension(job): Extension<Option<JobId>>| async move {
                Json(json!({"job": job.map(|j| j.to_string()), "status": "accepted"}))
            }),
        )
        .layer(X402Layer::new(Arc::new(gate)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("server: {e}"))?;
    let server_url = format!(
        "http://{}/compute",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    say(format!("server    {server_url} asks x402 `stream` payment"));

    // 3. The agent requests compute, gets a 402, pays with the stream scheme.
    let deposit_cap = terms.deposit().unwrap_or(u64::MAX);
    let paying = PayingClient::new(
        agent.clone(),
        node.clone(),
        SpendingPolicy::new(deposit_cap, deposit_cap),
    )
    .with_docker_image("pytorch/pytorch:2.4");
    let paid = paying
        .get(&server_url)
        .await
        .map_err(|e| format!("agent: {e}"))?;
    let receipt = paid
        .receipt
        .clone()
        .ok_or("the server returned no PAYMENT-RESPONSE")?;
    let job: JobId = receipt
        .extra
        .as_ref()
        .and_then(|x| x.get("jobId"))
        .and_then(|j| j.as_str())
        .and_then(|j| j.parse().ok())
        .ok_or("PAYMENT-RESPONSE has no jobId")?;
    txns.push((
        receipt.transaction.clone(),
        "rent (x402 stream payment, sponsored)".into(),
    ));
    say(format!(
        "agent     got 402, paid {} into escrow with `stream`; job {job}",
        fmt(deposit_cap)
    ));

    // 4. The provider starts the job; the scheduler settles at its policy.
    let start = client
        .start_job(&provider, job.buyer, job.id)
        .await
        .map_err(e("start_job"))?;
    txns.push((start.hash.to_hex(), "start_job".into()));
    let (driver, mut events) = Driver::new(
        ContractClient::new(node.clone(), LOCAL_CONTRACT_ADDRESS),
        settler,
        policy,
        DriverConfig {
            max_sleep: Duration::from_millis(if args.simulated { 5 } else { 50 }),
            idle_recheck: Duration::from_millis(200),
            low_balance_seconds: 0,
            ..DriverConfig::default()
        },
    );
    driver.add(job);
    let running = driver.spawn();

    let stream_now = || {
        let client = &client;
        async move {
            let s: Stream = client
                .get_stream(job.buyer, job.id)
                .await
                .map_err(|e| format!("get_stream: {e}"))?;
            let now = client.now_seconds().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((s, now))
        }
    };
    let mut settled_txns = Vec::new();
    for _ in 0..args.seconds {
        if args.simulated {
            tokio::time::sleep(Duration::from_millis(60)).await;
            manual.advance_secs(1);
            tokio::time::sleep(Duration::from_millis(60)).await;
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let (s, now) = stream_now().await?;
        let left = s.depletion_time(now).saturating_sub(now);
        say(format!(
            "running   {:>3} s  accrued {:>14}  settled {:>14}  escrow left {:>14}  depletes in {left} s",
            s.active_seconds(now),
            fmt(s.owed_at(now)),
            fmt(s.paid),
            fmt(s.refundable_at(now)),
        ));
        while let Ok(ev) = events.try_recv() {
            if let DriverEvent::Settled { hash, amount, .. } = ev {
                settled_txns.push((hash, format!("process_payment ({})", fmt(amount))));
            }
        }
    }

    // 5. The job completes; the stream is settled and closed, the rest refunded.
    let done = client
        .complete_job(&provider, job.buyer, job.id, "s3://results/job".into())
        .await
        .map_err(e("complete_job"))?;
    let close = client
        .close_stream(&agent, job.buyer, job.id)
        .await
        .map_err(e("close_stream"))?;
    running.stop().await.map_err(e("scheduler"))?;
    while let Ok(ev) = events.try_recv() {
        if let DriverEvent::Settled { hash, amount, .. } = ev {
            settled_txns.push((hash, format!("process_payment ({})", fmt(amount))));
        }
    }
    let settlements = settled_txns.len() as u64;
    txns.extend(settled_txns);
    txns.push((done.hash.to_hex(), "complete_job".into()));
    txns.push((
        close.hash.to_hex(),
        "close_stream (final settlement + refund)".into(),
    ));
    server.abort();

    let (s, _) = stream_now().await?;
    let escrow = client
        .get_escrow(job.buyer, job.id)
        .await
        .map_err(e("get_escrow"))?;
    let active = s.window_end.saturating_sub(s.window_start);
    let after = [
        balance(agent.address()).await?,
        balance(provider.address()).await?,
    ];
    let expected = math::owed(
        escrow.deposited,
        s.rate_per_second.nanos_per_second(),
        active,
    );
    let checks = vec![
        (
            "deposited = paid + refunded".to_string(),
            escrow.deposited == escrow.paid + escrow.refunded,
        ),
        (
            format!("paid = rate × {active} s, floored"),
            escrow.paid == expected,
        ),
        (
            "the agent's balance fell by exactly what was paid".to_string(),
            i128::from(before[0]) - i128::from(after[0]) == i128::from(escrow.paid),
        ),
        (
            "the provider's balance rose by exactly what was paid".to_string(),
            i128::from(after[1]) - i128::from(before[1]) == i128::from(escrow.paid),
        ),
        ("the stream is closed".to_string(), s.is_closed),
    ];
    if let Some((_, net)) = embedded {
        net.stop().await;
    }
    let per_hour = if active == 0 {
        0.0
    } else {
        settlements as f64 * 3_600.0 / active as f64
    };
    Ok(Receipt {
        job: job.to_string(),
        policy: policy_name,
        rate_per_hour: fmt(Rate::amount_for(s.rate_per_second, 3_600) as u64),
        deposited: fmt(escrow.deposited),
        paid: fmt(escrow.paid),
        refunded: fmt(escrow.refunded),
        active_seconds: active,
        settlements,
        transactions_per_job_hour: per_hour,
        balances: vec![
            PartyBalance {
                name: "agent",
                address: agent.address().to_hex(),
                before: fmt(before[0]),
                after: fmt(after[0]),
            },
            PartyBalance {
                name: "provider",
                address: provider.address().to_hex(),
                before: fmt(before[1]),
                after: fmt(after[1]),
            },
        ],
        transactions: txns,
        checks,
    })
}

pub(crate) fn print(r: &Receipt) {
    println!("\nreceipt for job {}", r.job);
    println!("  rate            {} per hour", r.rate_per_hour);
    println!("  billed seconds  {}", r.active_seconds);
    println!("  escrow          {}", r.deposited);
    println!("  paid            {}", r.paid);
    println!("  refunded        {}", r.refunded);
    println!(
        "  settlement      {} ({} settlements, {:.0} transactions per job-hour)",
        r.policy, r.settlements, r.transactions_per_job_hour
    );
    for b in &r.balances {
        println!("  {:<9} {}  {} -> {}", b.name, b.address, b.before, b.after);
    }
    println!("  transactions");
    for (hash, what) in &r.transactions {
        println!("    {hash}  {what}");
    }
    for (check, ok) in &r.checks {
        println!("  {} {check}", if *ok { "ok  " } else { "FAIL" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_simulated_demo_pays_exactly_and_conserves() {
        let args = DemoArgs {
            seconds: 5,
            policy: "every-second".into(),
            simulated: true,
        };
        let r = run(&args, None, false).await.unwrap();
        assert!(r.ok(), "{:?}", r.checks);
        assert_eq!(r.active_seconds, 5);
        assert_eq!(r.paid, "0.01 USDC", "5 s at $7.20/h");
        assert_eq!(r.deposited, "0.04 USDC", "20 s of escrow (4 × the run)");
        assert_eq!(r.refunded, "0.03 USDC");
        assert!(r.settlements >= 1);
    }

    #[test]
    fn policies_parse_and_bad_ones_are_errors() {
        assert_eq!(policy("interval:5").unwrap().name(), "every 5 s");
        assert!(policy("interval:x").is_err());
        assert!(policy("sometimes").is_err());
    }
}
