//! `computestream provider serve`: the provider daemon. It registers the signer if needed,
//! publishes its service URL on chain, sells GPU seconds behind an x402 `stream` gate, runs
//! each paid rental's workload from the operator's template while the stream pays, stops it
//! when it does not, and settles with the scheduler.
//!
//! With `--state-dir` it survives a crash: see [`state`].

mod access;
mod api;
mod http;
mod rental;
mod state;
mod template;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use computestream_core::scheduler::driver::{Driver, DriverConfig};
use computestream_core::scheduler::{BeforeClose, StreamScheduler};
use computestream_core::types::parse_address;
use computestream_core::{AccountAddress, AptosLedger, AssetId, ContractClient, Rate, Signer};
use computestream_x402::facilitator::Facilitator;
use computestream_x402::gate::Gate;
use computestream_x402::http::HttpFacilitator;
use computestream_x402::http::ServeLimits;
use computestream_x402::schemes::{StreamTerms, exact_requirements};
use computestream_x402::wire::ResourceInfo;
use computestream_x402::{LocalFacilitator, Network};

use rental::{Client, Daemon, Policy};
use state::StateDir;
use template::{ImagePattern, Template};

/// Options of `computestream provider serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The workload command: argv words, `{image}` and `{command...}` filled per rental,
    /// never run through a shell (e.g. 'docker run --rm --gpus all {image} {command...}').
    #[arg(long, value_name = "TEMPLATE")]
    exec: String,
    /// Images buyers may run (`*` and `?` wildcards, e.g. 'pytorch/*'; repeatable; none:
    /// any image).
    #[arg(long = "allow-image", value_name = "PATTERN")]
    allow_image: Vec<String>,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The URL buyers reach, published on chain [default: http://127.0.0.1:PORT].
    #[arg(long)]
    public_url: Option<String>,
    /// Seconds between SIGTERM and SIGKILL when a workload is stopped.
    #[arg(long, default_value_t = 5)]
    grace: u64,
    /// Settlement policy: before-depletion:N, every-second, interval:N or threshold:UNITS.
    #[arg(long, default_value = "before-depletion:10")]
    policy: String,
    /// Longest rental offered, seconds: the `stream` deposit is the price over this.
    #[arg(long, default_value_t = 3600)]
    max_duration: u64,
    /// The fungible asset streamed (its metadata address) [default: the native coin].
    #[arg(long)]
    asset: Option<String>,
    /// An x402 facilitator to verify and settle through [default: in-process].
    #[arg(long, conflicts_with = "fee_payer_key")]
    facilitator: Option<String>,
    /// Sponsor the buyers' `rent` gas with this key (in-process facilitator only).
    #[arg(long)]
    fee_payer_key: Option<PathBuf>,
    /// GPU model, to register if the signer is not a provider yet.
    #[arg(long)]
    gpu: Option<String>,
    /// GPU memory in GB, to register.
    #[arg(long)]
    vram: Option<u64>,
    /// Price in base units per hour, to register.
    #[arg(long)]
    price_per_hour: Option<u64>,
    /// Stake in base units of the native coin, to register.
    #[arg(long)]
    stake: Option<u64>,
    /// Keep the scheduler's checkpoint, the served payments and the running rentals here, so
    /// a restart (even after `kill -9`) finalizes what was left and refuses replays.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Price of an access token (`GET /api/v1/compute/access/ADDRESS`, x402 `exact`), base
    /// units [default: one minute at the on-chain price].
    #[arg(long)]
    access_price: Option<u64>,
    /// How long an access token is valid, seconds.
    #[arg(long, default_value_t = 3600)]
    access_seconds: u64,
}

/// Where and as whom the daemon runs: the global options, resolved.
pub(crate) struct Node {
    /// The provider's key.
    pub(crate) signer: Signer,
    /// The node API URL.
    pub(crate) url: String,
    /// Where the contracts are.
    pub(crate) contract: AccountAddress,
    /// The x402 network.
    pub(crate) network: Network,
}

/// Runs the daemon until Ctrl-C or SIGTERM, then stops and settles every rental.
pub(crate) async fn serve(node: Node, args: &ServeArgs) -> Result<ExitCode, String> {
    let template = Template::parse(&args.exec)?;
    let allow = args
        .allow_image
        .iter()
        .map(|p| ImagePattern::new(p))
        .collect();
    // The daemon closes every stream itself when its rental ends: no settlement at the end.
    let scheduler = Box::new(BeforeClose(policy(&args.policy)?));
    let ledger =
        Arc::new(AptosLedger::new(&node.url, node.contract).map_err(|e| format!("--node: {e}"))?);
    let client = ContractClient::new(ledger.clone(), node.contract);
    let signer = Arc::new(node.signer);
    ensure_registered(&client, &signer, args).await?;

    let addr = format!("{}:{}", args.host, args.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", bound.port()))
        .trim_end_matches('/')
        .to_string();
    publish_endpoint(&client, &signer, &public_url).await?;

    let state = args.state_dir.as_deref().map(StateDir::open).transpose()?;
    let (mut gate, mut access_gate) =
        gates(&client, node.network, &signer, args, &public_url).await?;
    if let Some(state) = &state {
        gate = gate
            .with_served_once_store(state.served_once())
            .map_err(|e| format!("--state-dir: {e}"))?;
        access_gate = access_gate
            .with_served_once_store(state.served_once_access())
            .map_err(|e| format!("--state-dir: {e}"))?;
    }
    let (driver, events) = Driver::new(
        ContractClient::new(ledger.clone(), node.contract),
        signer.clone(),
        scheduler,
        DriverConfig {
            low_balance_seconds: 0,
            checkpoint: state.as_ref().map(StateDir::checkpoint),
            ..DriverConfig::default()
        },
    );
    driver
        .restore()
        .map_err(|e| format!("--state-dir: the scheduler's checkpoint: {e}"))?;
    let running = driver.spawn();
    let policy = Policy {
        template,
        allow,
        grace: Duration::from_secs(args.grace),
        public_url: public_url.clone(),
    };
    let access = access::AccessTokens::new(Duration::from_secs(args.access_seconds));
    let daemon = Daemon::new(
        client,
        signer.clone(),
        driver,
        events,
        policy,
        state,
        access,
    );
    // Before serving: what a crash left behind is stopped and settled first.
    daemon.recover().await;
    let app = http::router(daemon.clone(), Arc::new(gate), Arc::new(access_gate));
    // Installed before the line that says the daemon serves: a SIGTERM after it stops cleanly.
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    println!(
        "serving {public_url} as provider {} (listening on {bound})",
        signer.address().to_long_string()
    );
    // Header and body timeouts and a connection cap, so slow clients cannot hold every socket.
    // On the signal the workloads stop first: an open log stream ends with its workload, and
    // the server waits for its connections to finish.
    let stopping = daemon.clone();
    let shutdown = async move {
        stop_signal(term).await;
        stopping.begin_shutdown();
    };
    computestream_x402::http::serve(listener, app, ServeLimits::default(), shutdown).await;
    daemon.shut_down().await;
    // Gone: buyers looking for a provider should not find this one available.
    if let Err(e) = daemon.client.update_availability(&signer, false).await {
        eprintln!("update_availability(false): {e}");
    }
    running
        .stop()
        .await
        .map_err(|e| format!("scheduler: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (`term`: the SIGTERM stream, installed before the daemon says it serves,
/// so a SIGTERM right after that line is a clean stop).
async fn stop_signal(mut term: Option<tokio::signal::unix::Signal>) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}

/// Registers the signer (with `--gpu/--vram/--price-per-hour/--stake`) unless it is a
/// provider already; makes it available.
async fn ensure_registered(
    client: &Client,
    signer: &Signer,
    args: &ServeArgs,
) -> Result<(), String> {
    match client.get_provider(signer.address()).await {
        Ok(p) if p.is_active => return Ok(()),
        Ok(_) => {
            client
                .update_availability(signer, true)
                .await
                .map_err(|e| format!("update_availability: {e}"))?;
            return Ok(());
        }
        Err(e)
            if e.abort_code().is_none() && !matches!(e, computestream_core::Error::NotFound(_)) =>
        {
            return Err(format!("get_provider: {e}"));
        }
        Err(_) => {}
    }
    let (Some(gpu), Some(vram), Some(per_hour), Some(stake)) =
        (&args.gpu, args.vram, args.price_per_hour, args.stake)
    else {
        return Err("not a registered provider: pass --gpu, --vram, --price-per-hour and --stake to register".into());
    };
    let price = Rate::per_hour(per_hour).nanos_per_second();
    client
        .register_provider(signer, gpu.clone(), vram, price, stake)
        .await
        .map_err(|e| format!("register_provider: {e}"))?;
    Ok(())
}

/// Puts `url` on chain as the provider's endpoint unless it is there already.
async fn publish_endpoint(client: &Client, signer: &Signer, url: &str) -> Result<(), String> {
    let current = client
        .get_provider(signer.address())
        .await
        .map_err(|e| format!("get_provider: {e}"))?;
    if current.endpoint != url {
        client
            .update_endpoint(signer, url.to_string())
            .await
            .map_err(|e| format!("update_endpoint {url:?}: {e}"))?;
    }
    Ok(())
}

/// The `stream` gate for the compute endpoint, at the provider's on-chain price, and the
/// `exact` gate for access tokens.
async fn gates(
    client: &Client,
    network: Network,
    signer: &Signer,
    args: &ServeArgs,
    public_url: &str,
) -> Result<(Gate, Gate), String> {
    let asset = match &args.asset {
        Some(a) => AssetId(parse_address(a).map_err(|e| format!("--asset: {e}"))?),
        None => AssetId::NATIVE,
    };
    let ledger = client.ledger().clone();
    let facilitator: Arc<dyn Facilitator> = match (&args.facilitator, &args.fee_payer_key) {
        (Some(url), _) => Arc::new(HttpFacilitator::new(url.clone())),
        (None, key) => {
            let fee_payers = match key {
                Some(path) => vec![read_key(path)?],
                None => vec![],
            };
            Arc::new(LocalFacilitator::new(
                ledger.clone(),
                network,
                client.contract(),
                fee_payers,
            ))
        }
    };
    let fee_payer = match &args.fee_payer_key {
        Some(path) => Some(read_key(path)?.address()),
        None => None,
    };
    let terms = StreamTerms {
        network,
        contract: client.contract(),
        provider: signer.address(),
        asset,
        rate: client
            .get_provider_price(signer.address())
            .await
            .map_err(|e| format!("get_provider_price: {e}"))?,
        max_duration_seconds: args.max_duration.max(1),
        fee_payer,
    };
    let requirements = terms
        .requirements(60)
        .ok_or("--max-duration: the deposit overflows")?;
    let resource = ResourceInfo {
        url: format!("{public_url}/api/v1/compute/execute"),
        description: Some("GPU seconds, billed per second while the stream pays".into()),
        mime_type: Some("application/json".into()),
    };
    let access_price = match args.access_price {
        Some(p) => p,
        None => u64::try_from(
            terms
                .rate
                .nanos_per_second()
                .saturating_mul(60)
                .div_ceil(1_000_000_000),
        )
        .map_err(|_| "--access-price: one minute at the price is above u64")?,
    };
    let access = Gate::new(
        facilitator.clone(),
        ResourceInfo {
            url: format!(
                "{public_url}/api/v1/compute/access/{}",
                signer.address().to_long_string()
            ),
            description: Some(format!("an access token valid {} s", args.access_seconds)),
            mime_type: Some("application/json".into()),
        },
        vec![exact_requirements(
            network,
            asset,
            signer.address(),
            access_price.max(1),
            60,
            fee_payer,
        )],
    );
    let stream = Gate::new(facilitator, resource, vec![requirements])
        .with_stream_admission(ledger, Some(client.contract()));
    Ok((stream, access))
}

/// A private key file.
fn read_key(path: &std::path::Path) -> Result<Signer, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Signer::from_private_key(text.trim()).map_err(|e| format!("{}: {e}", path.display()))
}

/// The settlement policy `--policy` names.
fn policy(text: &str) -> Result<Box<dyn StreamScheduler>, String> {
    computestream_core::scheduler::policy_from_name(text).map_err(|e| match e {
        computestream_core::Error::InvalidArgument(why) => format!("--{why}"),
        other => other.to_string(),
    })
}
