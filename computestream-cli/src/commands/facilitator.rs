//! `computestream facilitator`: an x402 facilitator over the node, until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use computestream_core::AptosLedger;
use computestream_x402::LocalFacilitator;
use computestream_x402::http::{ServeLimits, facilitator_router, serve};

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
    /// Connections served at once; more clients wait until one closes. A client must send
    /// each request's headers within 10 s (and its body within 30 s) or is disconnected.
    #[arg(long, default_value_t = ServeLimits::default().max_connections)]
    max_connections: usize,
}

/// Serves `/verify`, `/settle` and `/supported` for `--network`, sponsoring with `--key`.
pub(super) async fn run(cli: &Cli, args: &FacilitatorArgs) -> Result<ExitCode, String> {
    let fee_payer = read_signer(cli)?;
    let contract = address_arg(&cli.contract, "--contract")?;
    let network = super::common::network(cli, &super::common::client(cli)?).await?;
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
    println!(
        "facilitator listening on http://{bound} for {} (fee payer {})",
        network.caip2(),
        facilitator
            .fee_payer()
            .map(|a| a.to_hex())
            .unwrap_or_default()
    );
    // Header and body timeouts and a connection cap: axum::serve has none, so a few slow
    // clients could hold every socket.
    let limits = ServeLimits {
        max_connections: args.max_connections,
        ..ServeLimits::default()
    };
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    serve(listener, facilitator_router(facilitator), limits, ctrl_c).await;
    Ok(ExitCode::SUCCESS)
}
