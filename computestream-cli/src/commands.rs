//! Every command but `demo`: chain commands over any node, the localnet, keys, x402 and the
//! facilitator. Each prints one human line (or JSON with `--json`); errors are one line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use clap::{Args, Subcommand};
use computestream_core::contract::{Call, View};
use computestream_core::types::parse_address;
use computestream_core::{
    AccountAddress, AptosLedger, AssetId, ContractClient, JobId, Ledger, Signer, Stream, TxnOutcome,
};
use computestream_localnet::LocalLedger;
use computestream_localnet::Localnet;
use serde_json::{Value, json};

use crate::{Cli, Command};

type Client = ContractClient<Arc<AptosLedger>>;

#[derive(Args, Debug)]
pub(crate) struct LocalnetArgs {
    /// Port (0: any free port; the URL is printed first).
    #[arg(long, default_value_t = 8070)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Keep the chain in this directory (append-only log, replayed on start).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Fund ADDR with AMOUNT base units of the native coin at start (repeatable).
    #[arg(long, value_name = "ADDR=AMOUNT")]
    mint: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Keys {
    /// A new random key: written to --out (or printed) with its address.
    New {
        /// Write the private key here (created with mode 600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The address of --key.
    Show,
}

#[derive(Subcommand, Debug)]
pub(crate) enum ProviderCmd {
    /// Register the signer as a provider and lock its stake (native coin).
    Register {
        /// GPU model.
        #[arg(long)]
        gpu: String,
        /// GPU memory, GB.
        #[arg(long)]
        vram: u64,
        /// Price in base units per hour (e.g. 7200000 = 7.20 of a 6-decimal asset).
        #[arg(long)]
        price_per_hour: u64,
        /// Stake, base units of the native coin.
        #[arg(long)]
        stake: u64,
    },
    /// Change availability and/or price.
    Update {
        /// Accept new jobs or not.
        #[arg(long)]
        available: Option<bool>,
        /// New price in base units per hour.
        #[arg(long)]
        price_per_hour: Option<u64>,
    },
    /// Registered providers.
    List {
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// One provider's record.
    Show {
        /// Its address.
        address: String,
    },
    /// Leave the registry and take the stake back.
    Deregister,
}

#[derive(Subcommand, Debug)]
pub(crate) enum JobCmd {
    /// Create a pending job for a provider (the signer is the buyer).
    Create {
        /// Provider address.
        #[arg(long)]
        provider: String,
        /// Container image.
        #[arg(long)]
        image: String,
        /// Escrow the job will hold, base units.
        #[arg(long)]
        escrow: u64,
        /// Longest run, seconds.
        #[arg(long)]
        max_duration: u64,
    },
    /// Start a job (the signer is its provider). JOB is BUYER/ID.
    Start {
        /// BUYER/ID.
        job: String,
    },
    /// Complete a running job with its output URL.
    Complete {
        /// BUYER/ID.
        job: String,
        /// Where the output is.
        #[arg(long)]
        output: String,
    },
    /// Fail a running job.
    Fail {
        /// BUYER/ID.
        job: String,
    },
    /// Cancel one of the signer's pending jobs.
    Cancel {
        /// Job id (a number).
        id: u64,
    },
    /// A job's record.
    Show {
        /// BUYER/ID.
        job: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum StreamCmd {
    /// Open a stream from the signer's escrow for job ID to PAYEE at a nano-rate.
    Open {
        /// Job id.
        id: u64,
        /// Provider.
        #[arg(long)]
        payee: String,
        /// Nano-units (1e-9 base unit) per second.
        #[arg(long)]
        rate: u128,
    },
    /// Pay the provider what the stream owes now (anyone may).
    Settle {
        /// BUYER/ID.
        job: String,
    },
    /// Pause one of the signer's streams.
    Pause {
        /// Job id.
        id: u64,
    },
    /// Resume one of the signer's streams.
    Resume {
        /// Job id.
        id: u64,
    },
    /// Add funds to a stream.
    TopUp {
        /// BUYER/ID.
        job: String,
        /// Base units.
        amount: u64,
    },
    /// Settle and close; the rest goes back to the payer.
    Close {
        /// BUYER/ID.
        job: String,
    },
    /// A stream's record and what it owes now.
    Show {
        /// BUYER/ID.
        job: String,
    },
    /// Print the stream's figures every interval until it closes or stops paying.
    Watch {
        /// BUYER/ID.
        job: String,
        /// Seconds between lines.
        #[arg(long, default_value_t = 1)]
        interval: u64,
        /// Stop after this many lines (0: until it stops paying).
        #[arg(long, default_value_t = 0)]
        count: u64,
    },
}

#[derive(Args, Debug)]
pub(crate) struct RentArgs {
    /// Provider address.
    #[arg(long)]
    provider: String,
    /// Asset (fungible-asset metadata address; 0xa is the native coin).
    #[arg(long)]
    asset: String,
    /// Escrow, base units.
    #[arg(long)]
    deposit: u64,
    /// Longest run, seconds.
    #[arg(long)]
    max_duration: u64,
    /// Container image.
    #[arg(long, default_value = "pytorch/pytorch:2.4")]
    image: String,
    /// Refuse a provider price above this nano-rate (default: its current price).
    #[arg(long)]
    max_rate: Option<u128>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum X402Cmd {
    /// Pretty-print any x402 header (v1 or v2), with the nested Aptos transaction.
    Decode {
        /// The header value (base64).
        header: String,
    },
    /// GET a URL, paying a 402 under the caps (needs --key and a node for sequence numbers).
    Pay {
        /// The resource.
        url: String,
        /// Largest single payment, base units.
        #[arg(long)]
        max_per_payment: u64,
        /// Largest total per hour, base units.
        #[arg(long)]
        max_per_hour: Option<u64>,
        /// Container image for `stream` payments.
        #[arg(long, default_value = "pytorch/pytorch:2.4")]
        image: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct FacilitatorArgs {
    /// Port.
    #[arg(long, default_value_t = 4021)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
}

fn read_signer(cli: &Cli) -> Result<Signer, String> {
    let key = match &cli.key {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("--key {}: {e}", path.display()))?
        }
        None => std::env::var("COMPUTESTREAM_PRIVATE_KEY").map_err(|_| {
            "this command signs: pass --key FILE or set COMPUTESTREAM_PRIVATE_KEY".to_string()
        })?,
    };
    Signer::from_private_key(key.trim()).map_err(|e| format!("private key: {e}"))
}

/// `--node`, or the default local `computestream localnet`.
fn node_url(cli: &Cli) -> &str {
    cli.node.as_deref().unwrap_or("http://127.0.0.1:8070/v1")
}

fn client(cli: &Cli) -> Result<Client, String> {
    let contract = parse_address(&cli.contract).map_err(|e| format!("--contract: {e}"))?;
    let ledger = AptosLedger::new(node_url(cli), contract).map_err(|e| format!("--node: {e}"))?;
    Ok(ContractClient::new(Arc::new(ledger), contract))
}

fn job(text: &str) -> Result<JobId, String> {
    text.parse()
        .map_err(|e| format!("job {text:?}: {e} (expected BUYER/ID, e.g. 0xa11ce/1)"))
}

fn address(text: &str, what: &str) -> Result<AccountAddress, String> {
    parse_address(text).map_err(|e| format!("{what}: {e}"))
}

fn print_value(json_out: bool, human: String, value: Value) {
    if json_out {
        println!("{value}");
    } else {
        println!("{human}");
    }
}

async fn execute(cli: &Cli, call: Call) -> Result<ExitCode, String> {
    let signer = read_signer(cli)?;
    let client = client(cli)?;
    let outcome = client
        .execute(&signer, &call)
        .await
        .map_err(|e| format!("{}: {e}", call.function()))?;
    report(cli.json, &client, call.function(), &outcome);
    Ok(ExitCode::SUCCESS)
}

fn report(json_out: bool, client: &Client, function: &str, outcome: &TxnOutcome) {
    let events = outcome
        .contract_events(client.contract())
        .unwrap_or_default();
    let job = outcome.created_job(client.contract()).ok().flatten();
    let value = json!({
        "function": function,
        "hash": outcome.hash.to_hex(),
        "version": outcome.version.to_string(),
        "success": outcome.success,
        "job": job.map(|j| j.to_string()),
        "events": events,
    });
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    let mut human = format!(
        "{function}: committed in {} (version {})",
        outcome.hash, outcome.version
    );
    if let Some(j) = job {
        human.push_str(&format!("; job {j}"));
    }
    if !names.is_empty() {
        human.push_str(&format!("; events {}", names.join(", ")));
    }
    print_value(json_out, human, value);
}

async fn view(cli: &Cli, v: View) -> Result<ExitCode, String> {
    let client = client(cli)?;
    let request = v.request(client.contract()).map_err(|e| e.to_string())?;
    let values = client
        .ledger()
        .view(&request)
        .await
        .map_err(|e| format!("{}: {e}", v.function()))?;
    let value = values
        .first()
        .map(|b| v.result_to_json(b))
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or(Value::Null);
    let human = serde_json::to_string_pretty(&value).unwrap_or_default();
    print_value(cli.json, human, value);
    Ok(ExitCode::SUCCESS)
}

async fn stream_figures(client: &Client, j: JobId) -> Result<(Stream, u64), String> {
    let stream: Stream = client
        .view(&View::GetStream {
            payer: j.buyer,
            job_id: j.id,
        })
        .await
        .map_err(|e| format!("get_stream: {e}"))?;
    let now = client.now_seconds().await.map_err(|e| e.to_string())?;
    Ok((stream, now))
}

fn figures_json(s: &Stream, now: u64) -> Value {
    json!({
        "stream": s,
        "now": now.to_string(),
        "owed": s.owed_at(now).to_string(),
        "claimable": s.claimable_at(now).to_string(),
        "refundable": s.refundable_at(now).to_string(),
        "depletion_time": s.depletion_time(now).to_string(),
        "paying": s.is_paying(now),
    })
}

fn figures_line(s: &Stream, now: u64) -> String {
    let depletion = s.depletion_time(now);
    let left = if depletion == u64::MAX {
        "never depletes".to_string()
    } else {
        format!("depletes in {} s", depletion.saturating_sub(now))
    };
    format!(
        "t={now} owed {} paid {} claimable {} escrow left {} ({left}){}",
        s.owed_at(now),
        s.paid,
        s.claimable_at(now),
        s.refundable_at(now),
        if s.is_closed {
            ", closed"
        } else if s.is_paying(now) {
            ""
        } else {
            ", not paying"
        }
    )
}

pub(crate) async fn run(cli: &Cli, command: &Command) -> Result<ExitCode, String> {
    match command {
        Command::Demo(_) => unreachable!("handled in main"),
        Command::Localnet(args) => localnet(args).await,
        Command::Keys(Keys::New { out }) => {
            let signer = Signer::generate();
            let key = signer.account().private_key().to_hex();
            let addr = signer.address().to_hex();
            match out {
                Some(path) => {
                    write_secret(path, &key)?;
                    print_value(
                        cli.json,
                        format!("address {addr}\nkey written to {}", path.display()),
                        json!({"address": addr, "key_file": path}),
                    );
                }
                None => print_value(
                    cli.json,
                    format!("address {addr}\nprivate key {key}"),
                    json!({"address": addr, "private_key": key}),
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(Keys::Show) => {
            let addr = read_signer(cli)?.address().to_hex();
            print_value(cli.json, addr.clone(), json!({"address": addr}));
            Ok(ExitCode::SUCCESS)
        }
        Command::Provider(p) => match p {
            ProviderCmd::Register {
                gpu,
                vram,
                price_per_hour,
                stake,
            } => {
                execute(
                    cli,
                    Call::RegisterProvider {
                        gpu_type: gpu.clone(),
                        vram_gb: *vram,
                        price_per_second: computestream_core::Rate::per_hour(*price_per_hour)
                            .nanos_per_second(),
                        stake_amount: *stake,
                    },
                )
                .await
            }
            ProviderCmd::Update {
                available,
                price_per_hour,
            } => {
                if available.is_none() && price_per_hour.is_none() {
                    return Err("provider update: pass --available and/or --price-per-hour".into());
                }
                if let Some(a) = available {
                    execute(cli, Call::UpdateAvailability { is_active: *a }).await?;
                }
                if let Some(p) = price_per_hour {
                    execute(
                        cli,
                        Call::UpdatePricing {
                            price_per_second: computestream_core::Rate::per_hour(*p)
                                .nanos_per_second(),
                        },
                    )
                    .await?;
                }
                Ok(ExitCode::SUCCESS)
            }
            ProviderCmd::List { offset, limit } => {
                view(
                    cli,
                    View::ListProviders {
                        offset: *offset,
                        limit: *limit,
                    },
                )
                .await
            }
            ProviderCmd::Show { address: a } => {
                view(
                    cli,
                    View::GetProvider {
                        provider: address(a, "provider")?,
                    },
                )
                .await
            }
            ProviderCmd::Deregister => execute(cli, Call::Deregister {}).await,
        },
        Command::Job(j) => match j {
            JobCmd::Create {
                provider,
                image,
                escrow,
                max_duration,
            } => {
                execute(
                    cli,
                    Call::CreateJob {
                        provider: address(provider, "--provider")?,
                        docker_image: image.clone(),
                        escrow_amount: *escrow,
                        max_duration: *max_duration,
                    },
                )
                .await
            }
            JobCmd::Start { job: t } => {
                let j = job(t)?;
                execute(
                    cli,
                    Call::StartJob {
                        buyer: j.buyer,
                        job_id: j.id,
                    },
                )
                .await
            }
            JobCmd::Complete { job: t, output } => {
                let j = job(t)?;
                execute(
                    cli,
                    Call::CompleteJob {
                        buyer: j.buyer,
                        job_id: j.id,
                        output_url: output.clone(),
                    },
                )
                .await
            }
            JobCmd::Fail { job: t } => {
                let j = job(t)?;
                execute(
                    cli,
                    Call::FailJob {
                        buyer: j.buyer,
                        job_id: j.id,
                    },
                )
                .await
            }
            JobCmd::Cancel { id } => execute(cli, Call::CancelJob { job_id: *id }).await,
            JobCmd::Show { job: t } => {
                let j = job(t)?;
                view(
                    cli,
                    View::GetJob {
                        buyer: j.buyer,
                        job_id: j.id,
                    },
                )
                .await
            }
        },
        Command::Stream(s) => stream(cli, s).await,
        Command::Rent(r) => {
            let client = client(cli)?;
            let provider = address(&r.provider, "--provider")?;
            let max_rate = match r.max_rate {
                Some(m) => m,
                None => client
                    .get_provider_price(provider)
                    .await
                    .map_err(|e| format!("provider price: {e}"))?
                    .nanos_per_second(),
            };
            execute(
                cli,
                Call::Rent {
                    provider,
                    docker_image: r.image.clone(),
                    asset: address(&r.asset, "--asset")?,
                    deposit: r.deposit,
                    max_duration: r.max_duration,
                    max_rate_per_second: max_rate,
                },
            )
            .await
        }
        Command::X402(X402Cmd::Decode { header }) => {
            let value = decode_header(header)?;
            let human = serde_json::to_string_pretty(&value).unwrap_or_default();
            print_value(cli.json, human, value);
            Ok(ExitCode::SUCCESS)
        }
        Command::X402(X402Cmd::Pay {
            url,
            max_per_payment,
            max_per_hour,
            image,
        }) => {
            x402_pay(
                cli,
                url,
                *max_per_payment,
                max_per_hour.unwrap_or(*max_per_payment),
                image,
            )
            .await
        }
        Command::Facilitator(args) => facilitator(cli, args).await,
    }
}

async fn stream(cli: &Cli, s: &StreamCmd) -> Result<ExitCode, String> {
    match s {
        StreamCmd::Open { id, payee, rate } => {
            execute(
                cli,
                Call::OpenStream {
                    job_id: *id,
                    payee: address(payee, "--payee")?,
                    rate_per_second: *rate,
                },
            )
            .await
        }
        StreamCmd::Settle { job: t } => {
            let j = job(t)?;
            execute(
                cli,
                Call::ProcessPayment {
                    payer: j.buyer,
                    job_id: j.id,
                },
            )
            .await
        }
        StreamCmd::Pause { id } => execute(cli, Call::PauseStream { job_id: *id }).await,
        StreamCmd::Resume { id } => execute(cli, Call::ResumeStream { job_id: *id }).await,
        StreamCmd::TopUp { job: t, amount } => {
            let j = job(t)?;
            execute(
                cli,
                Call::TopUp {
                    payer: j.buyer,
                    job_id: j.id,
                    amount: *amount,
                },
            )
            .await
        }
        StreamCmd::Close { job: t } => {
            let j = job(t)?;
            execute(
                cli,
                Call::CloseStream {
                    payer: j.buyer,
                    job_id: j.id,
                },
            )
            .await
        }
        StreamCmd::Show { job: t } => {
            let client = client(cli)?;
            let (stream, now) = stream_figures(&client, job(t)?).await?;
            print_value(
                cli.json,
                figures_line(&stream, now),
                figures_json(&stream, now),
            );
            Ok(ExitCode::SUCCESS)
        }
        StreamCmd::Watch {
            job: t,
            interval,
            count,
        } => {
            let client = client(cli)?;
            let j = job(t)?;
            let mut n = 0;
            loop {
                let (stream, now) = stream_figures(&client, j).await?;
                print_value(
                    cli.json,
                    figures_line(&stream, now),
                    figures_json(&stream, now),
                );
                n += 1;
                if (*count > 0 && n >= *count) || (*count == 0 && !stream.is_paying(now)) {
                    return Ok(ExitCode::SUCCESS);
                }
                tokio::time::sleep(Duration::from_secs((*interval).max(1))).await;
            }
        }
    }
}

fn write_secret(path: &PathBuf, key: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{key}").map_err(|e| format!("{}: {e}", path.display()))
}

/// Any x402 header as JSON, with an Aptos payment's transaction decoded.
pub(crate) fn decode_header(header: &str) -> Result<Value, String> {
    computestream_x402::facade::describe_header(header).map_err(|e| e.to_string())
}

async fn x402_pay(
    cli: &Cli,
    url: &str,
    max_per_payment: u64,
    max_per_hour: u64,
    image: &str,
) -> Result<ExitCode, String> {
    use computestream_x402::http::{PayingClient, SpendingPolicy};
    let signer = Arc::new(read_signer(cli)?);
    let contract = address(&cli.contract, "--contract")?;
    let ledger = Arc::new(AptosLedger::new(node_url(cli), contract).map_err(|e| e.to_string())?);
    let mut policy = SpendingPolicy::new(max_per_payment, max_per_hour);
    policy.networks = vec![cli.network.clone()];
    let client = PayingClient::new(signer, ledger, policy).with_docker_image(image);
    let paid = client.get(url).await.map_err(|e| e.to_string())?;
    let status = paid.response.status().as_u16();
    let receipt = paid.receipt.clone();
    let body = paid.response.text().await.map_err(|e| e.to_string())?;
    if cli.json {
        println!(
            "{}",
            json!({"status": status, "receipt": receipt, "body": body})
        );
    } else {
        if let Some(r) = &receipt {
            eprintln!(
                "paid: {} {} on {} (tx {})",
                paid.requirements.as_ref().map_or("", |r| r.amount.as_str()),
                paid.requirements.as_ref().map_or("", |r| r.scheme.as_str()),
                r.network,
                r.transaction
            );
        }
        println!("{body}");
    }
    Ok(if (200..300).contains(&status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn facilitator(cli: &Cli, args: &FacilitatorArgs) -> Result<ExitCode, String> {
    let fee_payer = read_signer(cli)?;
    let contract = address(&cli.contract, "--contract")?;
    let network = computestream_x402::Network::from_caip2(&cli.network)
        .ok_or_else(|| format!("--network {}: unknown", cli.network))?;
    let ledger = AptosLedger::new(node_url(cli), contract).map_err(|e| e.to_string())?;
    let facilitator = Arc::new(computestream_x402::LocalFacilitator::new(
        ledger,
        network,
        contract,
        vec![fee_payer],
    ));
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| format!("--host/--port: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!(
        "facilitator listening on http://{bound} for {} (fee payer {})",
        network.caip2(),
        facilitator
            .fee_payer()
            .map(|a| a.to_hex())
            .unwrap_or_default()
    );
    axum::serve(
        listener,
        computestream_x402::http::facilitator_router(facilitator),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn localnet(args: &LocalnetArgs) -> Result<ExitCode, String> {
    let mut builder = LocalLedger::builder();
    if let Some(dir) = &args.state_dir {
        builder = builder.state_dir(dir);
    }
    let ledger = Arc::new(builder.open().map_err(|e| format!("state: {e}"))?);
    for m in &args.mint {
        let (addr, amount) = m
            .split_once('=')
            .ok_or_else(|| format!("--mint {m:?}: expected ADDR=AMOUNT"))?;
        let amount: u64 = amount
            .parse()
            .map_err(|_| format!("--mint {m:?}: AMOUNT is not a whole number"))?;
        ledger
            .mint(address(addr, "--mint")?, AssetId::NATIVE, amount)
            .map_err(|e| format!("--mint: {e}"))?;
    }
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|e| format!("--host/--port: {e}"))?;
    let net = Localnet::start(ledger.clone(), addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    println!("{}", net.url());
    eprintln!(
        "localnet: node API {}, faucet {}/mint, chain id 4, contracts at {}, {}",
        net.node_url(),
        net.url(),
        ledger.contract().to_hex(),
        args.state_dir
            .as_ref()
            .map_or("in memory".to_string(), |d| format!(
                "state in {}",
                d.display()
            ))
    );
    let _ = tokio::signal::ctrl_c().await;
    net.stop().await;
    Ok(ExitCode::SUCCESS)
}
