//! `computestream mcp`: GPU rental as Model Context Protocol tools, under a spending budget
//! the human sets on the command line. Built on the official Rust MCP SDK (`rmcp`); serves
//! stdio by default, streamable HTTP at `/mcp` with `--http PORT`.
//!
//! Every session (over HTTP there may be several) shares one signer and one [`Budget`], so
//! the limits hold across sessions: a call over a limit is a tool error that names the limit
//! and by how much, and nothing is signed.

mod server;

use std::sync::Arc;

use clap::Args;
use computestream_core::{AssetId, Signer};
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
};

use crate::buyer::{Budget, Client};
use server::{ComputeStream, State};

/// `computestream mcp`.
#[derive(Args, Debug)]
pub(crate) struct McpArgs {
    /// The most one rental may commit (its deposit plus its top-ups), base units of --asset.
    #[arg(long)]
    max_per_rental: u64,
    /// The most committed (deposits and top-ups) over any rolling hour, base units of --asset.
    #[arg(long)]
    max_per_hour: u64,
    /// The only asset paid in, which the limits count [default: the native coin, 0xa].
    #[arg(long)]
    asset: Option<String>,
    /// Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (0: any free port; the
    /// URL is printed on the first line).
    #[arg(long, value_name = "PORT")]
    http: Option<u16>,
    /// The address --http listens on. Anyone who can reach the endpoint can spend the
    /// budget: keep it on loopback unless something in front of it authenticates callers.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// A `Host` header --http accepts besides localhost, 127.0.0.1 and ::1 (repeatable;
    /// the others are refused against DNS rebinding).
    #[arg(long, value_name = "NAME")]
    allow_host: Vec<String>,
    /// Seconds between `notifications/resources/updated` for a subscribed job.
    #[arg(long, default_value_t = 2)]
    watch_every: u64,
    /// Keep the last hour's spends in DIR (created if missing), so that --max-per-hour holds
    /// across restarts: a stdio server starts with each session of its client. Without it
    /// each process counts from zero.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
}

/// Serves until stdin closes (stdio) or the process is stopped (HTTP).
pub(crate) async fn run(
    args: &McpArgs,
    client: Client,
    signer: Signer,
    network: &str,
) -> Result<std::process::ExitCode, String> {
    if computestream_x402::Network::from_caip2(network).is_none() {
        return Err(format!("--network {network:?}: not a supported network"));
    }
    let asset = match &args.asset {
        Some(a) => AssetId(
            computestream_core::types::parse_address(a).map_err(|e| format!("--asset: {e}"))?,
        ),
        None => AssetId::NATIVE,
    };
    let mut budget = Budget::new(args.max_per_rental, args.max_per_hour);
    if let Some(dir) = &args.state_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("--state-dir {}: {e}", dir.display()))?;
        budget = budget.recorded_in(dir.join("spent-last-hour"))?;
    }
    let state = Arc::new(State {
        client,
        signer: Arc::new(signer),
        budget,
        network: network.to_string(),
        asset,
        rented: Default::default(),
        watch_every: std::time::Duration::from_secs(args.watch_every.max(1)),
    });
    match args.http {
        None => {
            let service = ComputeStream::new(state)
                .serve(rmcp::transport::stdio())
                .await
                .map_err(|e| format!("mcp over stdio: {e}"))?;
            service
                .waiting()
                .await
                .map_err(|e| format!("mcp over stdio: {e}"))?;
        }
        Some(port) => {
            let service: StreamableHttpService<ComputeStream, LocalSessionManager> =
                StreamableHttpService::new(
                    move || Ok(ComputeStream::new(state.clone())),
                    Default::default(),
                    StreamableHttpServerConfig::default().with_allowed_hosts(
                        ["localhost", "127.0.0.1", "::1"]
                            .into_iter()
                            .map(String::from)
                            .chain(args.allow_host.iter().cloned()),
                    ),
                );
            let router = axum::Router::new().nest_service("/mcp", service);
            let listener = tokio::net::TcpListener::bind((args.host.as_str(), port))
                .await
                .map_err(|e| format!("--http {port}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            println!("mcp http://{addr}/mcp");
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| format!("mcp over http: {e}"))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
