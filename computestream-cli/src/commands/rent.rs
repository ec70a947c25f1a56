//! `computestream rent`: job, escrow and stream in one transaction.

use std::process::ExitCode;

use clap::Args;
use computestream_core::contract::Call;

use super::Cli;
use super::common::{address_arg, client, execute};

/// Options of `computestream rent`.
#[derive(Args, Debug)]
pub(super) struct RentArgs {
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

/// Rents from `--provider`, capped at `--max-rate` or else at the price it asks now.
pub(super) async fn run(cli: &Cli, args: &RentArgs) -> Result<ExitCode, String> {
    let client = client(cli)?;
    let provider = address_arg(&args.provider, "--provider")?;
    let max_rate = match args.max_rate {
        Some(m) => m,
        None => client
            .get_provider_price(provider)
            .await
            .map_err(|e| format!("provider price: {e}"))?
            .nanos_per_second(),
    };
    let call = Call::Rent {
        provider,
        docker_image: args.image.clone(),
        asset: address_arg(&args.asset, "--asset")?,
        deposit: args.deposit,
        max_duration: args.max_duration,
        max_rate_per_second: max_rate,
    };
    execute(cli, call).await
}
