//! The command line: the top-level options, the commands and the dispatcher. Each command
//! family (its clap type and its handlers) lives in its own module; every command prints one
//! human line (or JSON with `--json`) and fails with a one-line error.

mod common;
mod facilitator;
mod job;
mod keys;
mod localnet;
mod provider;
mod rent;
mod stream;
mod x402;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::demo;

/// Per-second GPU rental on Movement: contracts, x402 payments and streaming settlement.
///
/// Commands that talk to a chain use `--node` (default: a local `computestream localnet`)
/// and sign with `--key FILE` or `COMPUTESTREAM_PRIVATE_KEY` (hex Ed25519 private key).
#[derive(Parser, Debug)]
#[command(
    name = "computestream",
    version,
    after_help = "\
Examples:
  computestream demo                               the whole flow on the embedded ledger
  computestream localnet --port 8070               serve a local Movement-compatible node
  computestream keys new --out buyer.key
  computestream --key provider.key provider register --gpu H100 --vram 80 --price-per-hour 7200000 --stake 100000000
  computestream --key buyer.key rent --provider 0xb0b --asset 0xa --deposit 1000000 --max-duration 3600
  computestream stream show 0xa11ce/1
  computestream x402 decode eyJ4NDAyVmVyc2lvbiI6Mi..."
)]
pub(crate) struct Cli {
    /// Node REST API URL, ending in /v1 [default: a local `computestream localnet`,
    /// http://127.0.0.1:8070/v1; `demo` runs its own embedded ledger unless this is given].
    #[arg(long, global = true, env = "COMPUTESTREAM_NODE")]
    node: Option<String>,
    /// File holding the signer's hex private key.
    #[arg(long, global = true)]
    key: Option<PathBuf>,
    /// Network name for x402 (aptos:1, aptos:2, movement:126, movement:250, aptos:4)
    /// [default: the one of the node's chain id; given, it must match it].
    #[arg(long, global = true)]
    network: Option<String>,
    /// Where the contracts are deployed.
    #[arg(long, global = true, default_value = "0xcafe")]
    contract: String,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
enum Command {
    /// Rent a GPU end to end on the embedded ledger: x402 payment, per-second stream, receipt.
    #[command(
        after_help = "Examples:\n  computestream demo\n  computestream demo --seconds 10 --policy interval:2\n  computestream demo --simulated --json"
    )]
    Demo(demo::DemoArgs),
    /// Serve the embedded ledger as an Aptos-compatible node (REST API under /v1, faucet).
    #[command(
        after_help = "Examples:\n  computestream localnet\n  computestream localnet --port 0 --state-dir ./chain --mint 0xa11ce=100000000"
    )]
    Localnet(localnet::LocalnetArgs),
    /// Create or show a signing key.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Provider registry: register, update, list, show, deregister.
    #[command(subcommand)]
    Provider(provider::ProviderCmd),
    /// Jobs: create, start, complete, fail, cancel, show.
    #[command(subcommand)]
    Job(job::JobCmd),
    /// Payment streams: open, settle, pause, resume, top-up, close, show, watch.
    #[command(subcommand)]
    Stream(stream::StreamCmd),
    /// Job, escrow and stream in one transaction, at the provider's current price.
    #[command(
        after_help = "Example:\n  computestream --key buyer.key rent --provider 0xb0b --asset 0xa --deposit 1000000 --max-duration 3600 --image pytorch/pytorch:2.4"
    )]
    Rent(rent::RentArgs),
    /// x402: decode a header, or fetch a URL paying its 402 under a spending cap.
    #[command(subcommand)]
    X402(x402::X402Cmd),
    /// Serve an x402 facilitator (/verify, /settle, /supported) over the node.
    #[command(after_help = "Example:\n  computestream --key feepayer.key facilitator --port 4021")]
    Facilitator(facilitator::FacilitatorArgs),
    /// Serve GPU rental as MCP tools for AI agents (stdio, or streamable HTTP), under a budget.
    #[command(
        after_help = "Examples:\n  computestream --key agent.key mcp --max-per-rental 5000000 --max-per-hour 20000000 --asset 0x1d\n  computestream --key agent.key mcp --max-per-rental 5000000 --max-per-hour 20000000 --http 8765"
    )]
    Mcp(crate::mcp::McpArgs),
}

/// Runs the command `cli` names; the exit code is the command's, an error is one line.
pub(crate) async fn run(cli: &Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Demo(args) => demo::main(args, cli.node.as_deref(), cli.json).await,
        Command::Localnet(args) => localnet::run(args).await,
        Command::Keys(cmd) => keys::run(cli, cmd),
        Command::Provider(cmd) => provider::run(cli, cmd).await,
        Command::Job(cmd) => job::run(cli, cmd).await,
        Command::Stream(cmd) => stream::run(cli, cmd).await,
        Command::Rent(args) => rent::run(cli, args).await,
        Command::X402(cmd) => x402::run(cli, cmd).await,
        Command::Facilitator(args) => facilitator::run(cli, args).await,
        Command::Mcp(args) => {
            let signer = common::read_signer(cli)?;
            let client = common::client(cli)?;
            let network = common::network(cli, &client).await?;
            crate::mcp::run(args, client, signer, network.caip2()).await
        }
    }
}
