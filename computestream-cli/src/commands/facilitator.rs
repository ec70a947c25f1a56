//! `computestream facilitator`: an x402 facilitator over the node, until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use axum::serve::ListenerExt;
use clap::Args;
use computestream_core::AptosLedger;
use computestream_x402::{LocalFacilitator, Network};

use super::Cli;
use super::common::{address_arg, node_url, read_signer, socket_addr};

/// Options of `computestream facilitator`.
#[derive(Args, Debug)]
pub(super) struct FacilitatorArgs {
    /// Port.
    #[arg(long, default_value_t = 4021)]
    port: u16,
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
}

/// Serves `/verify`, `/settle` and `/supported` for `--network`, sponsoring with `--key`.
pub(super) async fn run(cli: &Cli, args: &FacilitatorArgs) -> Result<ExitCode, String> {
    let fee_payer = read_signer(cli)?;
    let contract = address_arg(&cli.contract, "--contract")?;
    let network = Network::from_caip2(&cli.network)
        .ok_or_else(|| format!("--network {}: unknown", cli.network))?;
    let ledger = AptosLedger::new(node_url(cli), contract).map_err(|e| e.to_string())?;
    let facilitator = Arc::new(LocalFacilitator::new(
        ledger,
        network,
        contract,
        vec![fee_payer],
    ));
    let addr = socket_addr(&args.host, args.port)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // Small request/response exchanges: Nagle's delay would dominate their latency.
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
