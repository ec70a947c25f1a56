//! `computestream x402`: decode a header, or pay for a URL.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use computestream_core::AptosLedger;
use computestream_x402::http::{PayingClient, SpendingPolicy};
use serde_json::json;

use super::Cli;
use super::common::{address_arg, node_url, print_value, read_signer};

/// `computestream x402 …`
#[derive(Subcommand, Debug)]
pub(super) enum X402Cmd {
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

/// Runs an `x402` command.
pub(super) async fn run(cli: &Cli, cmd: &X402Cmd) -> Result<ExitCode, String> {
    match cmd {
        X402Cmd::Decode { header } => decode(cli, header),
        X402Cmd::Pay {
            url,
            max_per_payment,
            max_per_hour,
            image,
        } => {
            let max_per_hour = max_per_hour.unwrap_or(*max_per_payment);
            pay(cli, url, *max_per_payment, max_per_hour, image).await
        }
    }
}

/// Prints any x402 header as JSON, with an Aptos payment's transaction decoded.
fn decode(cli: &Cli, header: &str) -> Result<ExitCode, String> {
    let value = computestream_x402::facade::describe_header(header).map_err(|e| e.to_string())?;
    let human = serde_json::to_string_pretty(&value).unwrap_or_default();
    print_value(cli.json, human, value);
    Ok(ExitCode::SUCCESS)
}

/// GETs `url`, paying a 402 within the caps; prints the body and fails unless it is a 2xx.
async fn pay(
    cli: &Cli,
    url: &str,
    max_per_payment: u64,
    max_per_hour: u64,
    image: &str,
) -> Result<ExitCode, String> {
    let signer = Arc::new(read_signer(cli)?);
    let contract = address_arg(&cli.contract, "--contract")?;
    let ledger = Arc::new(AptosLedger::new(node_url(cli), contract).map_err(|e| e.to_string())?);
    let mut policy = SpendingPolicy::new(max_per_payment, max_per_hour);
    if let Some(network) = &cli.network {
        policy.networks = vec![network.clone()];
    }
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
