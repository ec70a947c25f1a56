//! `computestream localnet`: the embedded ledger served as an Aptos-compatible node, until
//! Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use computestream_core::AssetId;
use computestream_localnet::{Dashboard, LocalLedger, Localnet};

use super::common::{address_arg, socket_addr};

/// Options of `computestream localnet`.
#[derive(Args, Debug)]
pub(super) struct LocalnetArgs {
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
    /// Serve the dashboard at / from DIR (default: the source tree's dashboard/).
    #[arg(long, value_name = "DIR")]
    dashboard: Option<PathBuf>,
    /// The built wasm package the dashboard loads (default: the source tree's
    /// bindings-wasm/pkg, which scripts/build-bindings wasm writes).
    #[arg(long, value_name = "DIR")]
    wasm_pkg: Option<PathBuf>,
}

/// Opens (or replays) the ledger, mints `--mint`, prints the URL and serves until Ctrl-C.
pub(super) async fn run(args: &LocalnetArgs) -> Result<ExitCode, String> {
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
            .mint(address_arg(addr, "--mint")?, AssetId::NATIVE, amount)
            .map_err(|e| format!("--mint: {e}"))?;
    }
    let addr = socket_addr(&args.host, args.port)?;
    let mut dashboard = Dashboard::from_source_tree();
    dashboard.site = args.dashboard.clone().unwrap_or(dashboard.site);
    dashboard.wasm_pkg = args.wasm_pkg.clone().unwrap_or(dashboard.wasm_pkg);
    let net = Localnet::start_with_dashboard(ledger.clone(), addr, &dashboard)
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
    match dashboard.problem() {
        None => eprintln!("localnet: dashboard {}/", net.url()),
        Some(problem) => eprintln!("localnet: dashboard {}/: {problem}", net.url()),
    }
    let _ = tokio::signal::ctrl_c().await;
    net.stop().await;
    Ok(ExitCode::SUCCESS)
}
