//! `computestream provider`: the provider registry.

use std::process::ExitCode;

use clap::Subcommand;
use computestream_core::Rate;
use computestream_core::contract::{Call, View};

use super::Cli;

use super::common::{address_arg, execute, node_url, read_signer, view};

/// `computestream provider …`
#[derive(Subcommand, Debug)]
pub(super) enum ProviderCmd {
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
    /// Change availability, price and/or the published service URL.
    Update {
        /// Accept new jobs or not.
        #[arg(long)]
        available: Option<bool>,
        /// New price in base units per hour.
        #[arg(long)]
        price_per_hour: Option<u64>,
        /// The service URL buyers reach (http:// or https://; "" withdraws it).
        #[arg(long)]
        endpoint: Option<String>,
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
    /// Sell GPU seconds: register if needed, publish the endpoint, serve x402-paid rentals.
    #[command(
        after_help = "Example:\n  computestream --key provider.key provider serve \\\n    --exec 'docker run --rm --gpus all {image} {command...}' --allow-image 'pytorch/*' \\\n    --gpu H100 --vram 80 --price-per-hour 7200000 --stake 100000000"
    )]
    Serve(Box<crate::provider::ServeArgs>),
}

/// Runs a `provider` command.
pub(super) async fn run(cli: &Cli, cmd: &ProviderCmd) -> Result<ExitCode, String> {
    match cmd {
        ProviderCmd::Register {
            gpu,
            vram,
            price_per_hour,
            stake,
        } => {
            let call = Call::RegisterProvider {
                gpu_type: gpu.clone(),
                vram_gb: *vram,
                price_per_second: Rate::per_hour(*price_per_hour).nanos_per_second(),
                stake_amount: *stake,
            };
            execute(cli, call).await
        }
        ProviderCmd::Update {
            available,
            price_per_hour,
            endpoint,
        } => update(cli, *available, *price_per_hour, endpoint.clone()).await,
        ProviderCmd::List { offset, limit } => {
            let list = View::ListProviders {
                offset: *offset,
                limit: *limit,
            };
            view(cli, list).await
        }
        ProviderCmd::Show { address } => {
            let provider = address_arg(address, "provider")?;
            view(cli, View::GetProvider { provider }).await
        }
        ProviderCmd::Deregister => execute(cli, Call::Deregister {}).await,
        ProviderCmd::Serve(args) => {
            let network = super::common::network(cli, &super::common::client(cli)?).await?;
            let node = crate::provider::Node {
                signer: read_signer(cli)?,
                url: node_url(cli).to_string(),
                contract: address_arg(&cli.contract, "--contract")?,
                network,
            };
            crate::provider::serve(node, args).await
        }
    }
}

/// Availability, price and endpoint are separate contract calls: one transaction for each given.
async fn update(
    cli: &Cli,
    available: Option<bool>,
    price_per_hour: Option<u64>,
    endpoint: Option<String>,
) -> Result<ExitCode, String> {
    if available.is_none() && price_per_hour.is_none() && endpoint.is_none() {
        return Err("provider update: pass --available, --price-per-hour and/or --endpoint".into());
    }
    if let Some(is_active) = available {
        execute(cli, Call::UpdateAvailability { is_active }).await?;
    }
    if let Some(per_hour) = price_per_hour {
        let price_per_second = Rate::per_hour(per_hour).nanos_per_second();
        execute(cli, Call::UpdatePricing { price_per_second }).await?;
    }
    if let Some(endpoint) = endpoint {
        execute(cli, Call::UpdateEndpoint { endpoint }).await?;
    }
    Ok(ExitCode::SUCCESS)
}
