//! The main job, in one process: the embedded ledger served as a localnet (or `--node`), a
//! provider registered over the node API, an x402-gated compute endpoint, an agent that gets
//! a 402 and pays with the `stream` scheme (one `rent` transaction: job + escrow + stream),
//! the provider starting the job, the scheduler settling at its policy while a progress line
//! shows the accrual, completion, close, refund, and a receipt with a conservation check.

mod chain;
mod daemon;
mod receipt;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Extension, Json, Router};
use clap::Args;
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::scheduler::StreamScheduler;
use computestream_core::scheduler::driver::{Driver, DriverConfig, DriverEvent, Running};
use computestream_core::{AccountAddress, ContractClient, JobId, Rate, Signer};
use computestream_x402::LocalFacilitator;
use computestream_x402::gate::Gate;
use computestream_x402::http::{PayingClient, SpendingPolicy, X402Layer};
use computestream_x402::schemes::StreamTerms;
use computestream_x402::wire::ResourceInfo;
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use chain::{Chain, Coin, Parties, fund_accounts, start_chain};
use receipt::{Receipt, print_receipt};

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
    #[arg(long, conflicts_with = "daemon")]
    pub(crate) simulated: bool,
    /// Sell through the provider daemon (`computestream provider serve`, started as a child
    /// process with a harmless workload) and rent from it as any buyer does.
    #[arg(long)]
    pub(crate) daemon: bool,
}

/// Runs the demo and prints its receipt; the exit code says whether every check held.
pub(crate) async fn main(
    args: &DemoArgs,
    node: Option<&str>,
    json_out: bool,
) -> Result<ExitCode, String> {
    if args.daemon {
        let progress = Progress { verbose: true };
        let chain = start_chain(node, false, progress).await?;
        let (parties, fee_payer, coin) = fund_accounts(&chain, progress).await?;
        let outcome = daemon::run(args, &chain, &parties, &fee_payer, &coin, progress).await;
        chain.stop().await;
        return Ok(if outcome?.ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let receipt = run(args, node, !json_out).await?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&receipt).unwrap_or_default()
        );
    } else {
        print_receipt(&receipt);
    }
    Ok(if receipt.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs the flow and returns its receipt.
/// `node`: use that node (its faucet at the same host) instead of the embedded ledger; the
/// stream is then paid in the native coin.
async fn run(args: &DemoArgs, node: Option<&str>, verbose: bool) -> Result<Receipt, String> {
    let policy = policy(&args.policy)?;
    // The same policy again, for the receipt's transactions per job-hour.
    let hour_policy = self::policy(&args.policy)?;
    let progress = Progress { verbose };
    let chain = start_chain(node, args.simulated, progress).await?;
    let (parties, fee_payer, coin) = fund_accounts(&chain, progress).await?;
    let mut demo = Demo {
        chain,
        parties,
        coin,
        progress,
        txns: Vec::new(),
    };
    let before = demo.register_provider().await?;
    let gate = demo.serve_gate(fee_payer, args.seconds).await?;
    let job = demo.pay_and_rent(&gate).await?;
    let mut scheduler = demo.start_job(job, policy, args.simulated).await?;
    demo.run_stream(job, &mut scheduler, args).await?;
    let settlements = demo.close_and_refund(job, scheduler).await?;
    gate.stop();
    let receipt = demo
        .receipt(job, &*hour_policy, settlements, before)
        .await?;
    demo.chain.stop().await;
    Ok(receipt)
}

/// The settlement policy `--policy` names.
fn policy(text: &str) -> Result<Box<dyn StreamScheduler>, String> {
    computestream_core::scheduler::policy_from_name(text).map_err(|e| match e {
        computestream_core::Error::InvalidArgument(why) => format!("--{why}"),
        other => other.to_string(),
    })
}

/// Names the step a core error came from.
fn failed(what: &'static str) -> impl Fn(computestream_core::Error) -> String {
    move |err| format!("{what}: {err}")
}

/// The progress lines, printed unless the receipt goes out as JSON.
#[derive(Clone, Copy, Debug)]
struct Progress {
    /// Whether to print them.
    verbose: bool,
}

impl Progress {
    /// Prints `line` unless the output is JSON.
    fn say(self, line: String) {
        if self.verbose {
            println!("{line}");
        }
    }
}

/// The compute endpoint behind its x402 gate.
struct GateServer {
    /// The gated resource.
    url: String,
    /// The escrow its `stream` requirements ask for: the agent's spending cap.
    deposit: u64,
    /// The server.
    task: JoinHandle<std::io::Result<()>>,
}

impl GateServer {
    /// Stops serving.
    fn stop(self) {
        self.task.abort();
    }
}

/// The run from funding on.
struct Demo {
    /// The node and, unless `--node`, the ledger behind it.
    chain: Chain,
    /// The funded accounts.
    parties: Parties,
    /// What the stream pays in.
    coin: Coin,
    /// Where progress lines go.
    progress: Progress,
    /// (hash, what) of the transactions so far, in the receipt's order.
    txns: Vec<(String, String)>,
}

impl Demo {
    /// The agent's and the provider's balances of the streamed asset.
    async fn balances(&self) -> Result<[u64; 2], String> {
        Ok([
            self.balance(self.parties.agent.address()).await?,
            self.balance(self.parties.provider.address()).await?,
        ])
    }

    /// `who`'s balance of the streamed asset.
    async fn balance(&self, who: AccountAddress) -> Result<u64, String> {
        self.chain
            .client
            .balance(who, self.coin.asset)
            .await
            .map_err(|e| format!("balance: {e}"))
    }

    /// The provider registers at $7.20 an hour (2,000 units/s in 6 decimals). Returns
    /// the balances from here on (the stake, in the native coin, is locked by the
    /// registration).
    async fn register_provider(&mut self) -> Result<[u64; 2], String> {
        let price = Rate::per_hour(if self.coin.decimals == 6 {
            7_200_000
        } else {
            720_000_000
        });
        let reg = self
            .chain
            .client
            .register_provider(
                &self.parties.provider,
                "H100".into(),
                80,
                price.nanos_per_second(),
                100_000_000,
            )
            .await
            .map_err(failed("register_provider"))?;
        self.txns
            .push((reg.hash.to_hex(), "register_provider".into()));
        let before = self.balances().await?;
        self.progress.say(format!(
            "provider  registered: H100 80 GB at {} per hour",
            self.coin.format(Rate::amount_for(price, 3_600) as u64)
        ));
        Ok(before)
    }

    /// The provider serves compute behind an x402 gate: the stream scheme at its price,
    /// escrow for four times the run, settled by a facilitator sponsoring with `fee_payer`.
    async fn serve_gate(&self, fee_payer: Signer, seconds: u64) -> Result<GateServer, String> {
        let chain = &self.chain;
        let facilitator = Arc::new(LocalFacilitator::new(
            chain.node.clone(),
            chain.network,
            LOCAL_CONTRACT_ADDRESS,
            vec![fee_payer],
        ));
        let provider = self.parties.provider.address();
        let terms = StreamTerms {
            network: chain.network,
            contract: LOCAL_CONTRACT_ADDRESS,
            provider,
            asset: self.coin.asset,
            rate: chain
                .client
                .get_provider_price(provider)
                .await
                .map_err(failed("price"))?,
            max_duration_seconds: seconds.max(1) * 4,
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
        .with_stream_admission(chain.node.clone(), Some(LOCAL_CONTRACT_ADDRESS));
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
        let url = format!(
            "http://{}/compute",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        self.progress
            .say(format!("server    {url} asks x402 `stream` payment"));
        Ok(GateServer {
            url,
            deposit: terms.deposit().unwrap_or(u64::MAX),
            task,
        })
    }

    /// The agent requests compute, gets a 402, pays with the stream scheme: one `rent`
    /// transaction (job, escrow, stream) the facilitator sponsors. Returns the job.
    async fn pay_and_rent(&mut self, gate: &GateServer) -> Result<JobId, String> {
        let paying = PayingClient::new(
            self.parties.agent.clone(),
            self.chain.node.clone(),
            SpendingPolicy::new(gate.deposit, gate.deposit),
        )
        .with_docker_image("pytorch/pytorch:2.4");
        let paid = paying
            .get(&gate.url)
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
        self.txns.push((
            receipt.transaction.clone(),
            "rent (x402 stream payment, sponsored)".into(),
        ));
        self.progress.say(format!(
            "agent     got 402, paid {} into escrow with `stream`; job {job}",
            self.coin.format(gate.deposit)
        ));
        Ok(job)
    }

    /// The provider starts the job; the scheduler settles it at `policy` from now on.
    async fn start_job(
        &mut self,
        job: JobId,
        policy: Box<dyn StreamScheduler>,
        simulated: bool,
    ) -> Result<Scheduler, String> {
        let start = self
            .chain
            .client
            .start_job(&self.parties.provider, job.buyer, job.id)
            .await
            .map_err(failed("start_job"))?;
        self.txns.push((start.hash.to_hex(), "start_job".into()));
        let (driver, events) = Driver::new(
            ContractClient::new(self.chain.node.clone(), LOCAL_CONTRACT_ADDRESS),
            self.parties.settler.clone(),
            policy,
            DriverConfig {
                max_sleep: Duration::from_millis(if simulated { 5 } else { 50 }),
                idle_recheck: Duration::from_millis(200),
                low_balance_seconds: 0,
                ..DriverConfig::default()
            },
        );
        driver.add(job);
        Ok(Scheduler {
            running: driver.spawn(),
            settlements: Settlements {
                events,
                settled: Vec::new(),
            },
        })
    }

    /// The job runs for `--seconds`, printing each second what has accrued, what the
    /// scheduler has settled and what escrow is left.
    async fn run_stream(
        &self,
        job: JobId,
        scheduler: &mut Scheduler,
        args: &DemoArgs,
    ) -> Result<(), String> {
        let fmt = |units| self.coin.format(units);
        for _ in 0..args.seconds {
            self.chain.one_second(args.simulated).await;
            let (s, now) = self.chain.stream_now(job).await?;
            let left = s.depletion_time(now).saturating_sub(now);
            self.progress.say(format!(
                "running   {:>3} s  accrued {:>14}  settled {:>14}  escrow left {:>14}  depletes in {left} s",
                s.active_seconds(now),
                fmt(s.owed_at(now)),
                fmt(s.paid),
                fmt(s.refundable_at(now)),
            ));
            scheduler.settlements.collect(&self.coin);
        }
        Ok(())
    }

    /// The job completes; the agent closes the stream, which settles what is owed and
    /// refunds the rest; the scheduler stops. Returns how many settlements it made.
    async fn close_and_refund(&mut self, job: JobId, scheduler: Scheduler) -> Result<u64, String> {
        let client = &self.chain.client;
        let done = client
            .complete_job(
                &self.parties.provider,
                job.buyer,
                job.id,
                "s3://results/job".into(),
            )
            .await
            .map_err(failed("complete_job"))?;
        let close = client
            .close_stream(&self.parties.agent, job.buyer, job.id)
            .await
            .map_err(failed("close_stream"))?;
        let settled = scheduler.stop(&self.coin).await?;
        let settlements = settled.len() as u64;
        self.txns.extend(settled);
        self.txns.push((done.hash.to_hex(), "complete_job".into()));
        self.txns.push((
            close.hash.to_hex(),
            "close_stream (final settlement + refund)".into(),
        ));
        Ok(settlements)
    }
}

/// The settlement driver running for the job.
struct Scheduler {
    /// The driver's task.
    running: Running,
    /// What it has reported.
    settlements: Settlements,
}

impl Scheduler {
    /// Stops the driver once its settlements in flight land: every settlement it made.
    async fn stop(mut self, coin: &Coin) -> Result<Vec<(String, String)>, String> {
        self.running.stop().await.map_err(failed("scheduler"))?;
        self.settlements.collect(coin);
        Ok(self.settlements.settled)
    }
}

/// The settlements the driver reports.
struct Settlements {
    /// The driver's events.
    events: UnboundedReceiver<DriverEvent>,
    /// (hash, what) of each settlement so far.
    settled: Vec<(String, String)>,
}

impl Settlements {
    /// Takes the settlements reported since the last call.
    fn collect(&mut self, coin: &Coin) {
        while let Ok(event) = self.events.try_recv() {
            if let DriverEvent::Settled { hash, amount, .. } = event {
                self.settled
                    .push((hash, format!("process_payment ({})", coin.format(amount))));
            }
        }
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
            daemon: false,
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
