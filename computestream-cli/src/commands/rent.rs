//! `computestream rent`: a GPU by the second. Through a provider's daemon (`--via URL`, or
//! `--provider` whose endpoint is on chain, with `--command`): pays its 402 with `stream`,
//! follows the workload's output, closes the stream after `--seconds` or on Ctrl-C and prints
//! the receipt. Without a command: the bare on-chain `rent` (job, escrow and stream in one
//! transaction), for a provider that runs no daemon.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use computestream_core::contract::Call;
use computestream_core::{AssetId, JobId};
use serde_json::json;

use super::Cli;
use super::common::{address_arg, client, execute, print_value, read_signer};
use crate::buyer::{self, Budget, Offer, RentRequest, Requirements};

/// Options of `computestream rent`.
#[derive(Args, Debug)]
pub(super) struct RentArgs {
    /// The provider daemon's URL (default: the endpoint `--provider` published on chain).
    #[arg(long, value_name = "URL")]
    via: Option<String>,
    /// Provider address (with `--via`: checked against the daemon's payee).
    #[arg(long)]
    provider: Option<String>,
    /// Container image.
    #[arg(long, default_value = "pytorch/pytorch:2.4")]
    image: String,
    /// The workload's command, one argv word each (everything after `--command`).
    #[arg(long, num_args = 1.., allow_hyphen_values = true)]
    command: Vec<String>,
    /// Close the stream after this many seconds (default: let it run until the provider
    /// stops it).
    #[arg(long)]
    seconds: Option<u64>,
    /// Refuse a deposit above this, base units.
    #[arg(long)]
    max_spend: Option<u64>,
    /// Bare rent: asset (fungible-asset metadata address; 0xa is the native coin).
    #[arg(long)]
    asset: Option<String>,
    /// Bare rent: escrow, base units.
    #[arg(long)]
    deposit: Option<u64>,
    /// Bare rent: longest run, seconds.
    #[arg(long)]
    max_duration: Option<u64>,
    /// Bare rent: refuse a provider price above this nano-rate (default: its current price).
    #[arg(long)]
    max_rate: Option<u128>,
}

/// `--via`/`--command`: through the daemon; else the bare on-chain rent.
pub(super) async fn run(cli: &Cli, args: &RentArgs) -> Result<ExitCode, String> {
    if args.via.is_some() || !args.command.is_empty() {
        return through_daemon(cli, args).await;
    }
    let (Some(provider), Some(asset), Some(deposit), Some(max_duration)) =
        (&args.provider, &args.asset, args.deposit, args.max_duration)
    else {
        return Err(
            "rent through a provider's daemon with --via URL (or --provider ADDR) and --command ..., \
             or on chain alone with --provider, --asset, --deposit and --max-duration"
                .into(),
        );
    };
    let client = client(cli)?;
    let provider = address_arg(provider, "--provider")?;
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
        asset: address_arg(asset, "--asset")?,
        deposit,
        max_duration,
        max_rate_per_second: max_rate,
    };
    execute(cli, call).await
}

async fn through_daemon(cli: &Cli, args: &RentArgs) -> Result<ExitCode, String> {
    if args.command.is_empty() {
        return Err("--command: what should the workload run?".into());
    }
    let client = client(cli)?;
    let network = super::common::network(cli, &client).await?;
    let network = network.caip2();
    let signer = Arc::new(read_signer(cli)?);
    let wanted = args
        .provider
        .as_deref()
        .map(|p| address_arg(p, "--provider"))
        .transpose()?;
    let offer = match &args.via {
        Some(url) => via(&client, url, &args.image, &args.command, network, wanted).await?,
        None => buyer::find_provider(&client, wanted, &Requirements::default())
            .await
            .map_err(|e| format!("{}: {e}", e.code()))?,
    };
    let asset = match &args.asset {
        Some(a) => AssetId(address_arg(a, "--asset")?),
        None => {
            let quote = buyer::quote(
                &computestream_x402::http::http_client(),
                &offer.endpoint,
                &buyer::Execute {
                    image: &args.image,
                    command: &args.command,
                },
                network,
            )
            .await
            .map_err(|e| format!("{}: {e}", e.code()))?;
            AssetId(address_arg(
                &quote.requirements.asset,
                "the provider's asset",
            )?)
        }
    };
    let budget = Budget::new(u64::MAX, u64::MAX);
    let rented = buyer::rent(
        &client,
        &signer,
        &budget,
        &RentRequest {
            offer: &offer,
            image: &args.image,
            command: &args.command,
            max_spend: args.max_spend,
            network,
            asset,
        },
    )
    .await
    .map_err(|e| format!("{}: {e}", e.code()))?;
    let job: JobId = rented.job.parse().map_err(|e| format!("job: {e}"))?;
    eprintln!(
        "rented {} from {} at {} units/hour, {} escrowed (Ctrl-C closes early)",
        rented.job, rented.provider, rented.rate_per_hour, rented.deposit
    );
    follow(&client, job, rented.logs_url.as_deref(), args.seconds).await;
    let receipt = buyer::stop(&client, &signer, job)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let value = json!({"rental": rented, "receipt": receipt});
    print_value(
        cli.json,
        format!(
            "job {}: {} s billed, {} paid to the provider, {} refunded",
            receipt.job, receipt.billed_seconds, receipt.paid_to_provider, receipt.refunded
        ),
        value,
    );
    Ok(ExitCode::SUCCESS)
}

/// The offer behind the daemon at `url`: its payee, read from an unpaid 402.
async fn via(
    client: &buyer::Client,
    url: &str,
    image: &str,
    command: &[String],
    network: &str,
    wanted: Option<computestream_core::AccountAddress>,
) -> Result<Offer, String> {
    let url = url.trim_end_matches('/');
    let quote = buyer::quote(
        &computestream_x402::http::http_client(),
        url,
        &buyer::Execute { image, command },
        network,
    )
    .await
    .map_err(|e| format!("--via: {}: {e}", e.code()))?;
    let payee = address_arg(&quote.requirements.pay_to, "the daemon's payee")?;
    if let Some(wanted) = wanted
        && wanted != payee
    {
        return Err(format!(
            "--via {url} is paid to {}, not --provider {}",
            payee.to_long_string(),
            wanted.to_long_string()
        ));
    }
    let record = client
        .get_provider(payee)
        .await
        .map_err(|e| format!("--via: the daemon's provider: {e}"))?;
    let mut offer = Offer::from(&record);
    offer.endpoint = url.to_string();
    Ok(offer)
}

/// Prints the workload's output as it comes until the stream is closed, `seconds` pass, or
/// Ctrl-C.
async fn follow(client: &buyer::Client, job: JobId, logs_url: Option<&str>, seconds: Option<u64>) {
    let started = tokio::time::Instant::now();
    let mut printer = logs_url.map(|url| tokio::spawn(print_log_events(url.to_string())));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        if seconds.is_some_and(|s| started.elapsed() >= Duration::from_secs(s)) {
            break;
        }
        if client
            .get_stream(job.buyer, job.id)
            .await
            .is_ok_and(|s| s.is_closed)
        {
            // Closed elsewhere: the daemon is stopping the workload; its last lines and the
            // end of the output follow shortly.
            if let Some(printer) = printer.as_mut() {
                let _ = tokio::time::timeout(Duration::from_secs(5), printer).await;
            }
            break;
        }
        tokio::select! {
            _ = &mut ctrl_c => {
                eprintln!("closing the stream");
                break;
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    if let Some(printer) = printer {
        printer.abort();
    }
}

/// Prints each line of the daemon's log events (`Accept: text/event-stream`: one event per
/// line of output, the lines kept so far first) until its `end` event or the connection ends.
async fn print_log_events(url: String) {
    let request = computestream_x402::http::http_client()
        .get(&url)
        .header(reqwest::header::ACCEPT, "text/event-stream");
    let Ok(mut response) = request.send().await else {
        return;
    };
    if !response.status().is_success() {
        return;
    }
    let mut events = EventReader::default();
    while let Ok(Some(chunk)) = response.chunk().await {
        for event in events.feed(&chunk) {
            match event {
                LogEvent::Line(line) => println!("{line}"),
                LogEvent::End => return,
            }
        }
    }
}

/// What the daemon's log events say.
#[derive(Debug, PartialEq)]
enum LogEvent {
    /// A line of output (an event without `data` fields: an empty line).
    Line(String),
    /// The output ended.
    End,
}

/// Server-sent events read as the specification says: lines end at CR, LF or CRLF (also
/// across chunks); `data` fields of an event join with LF; a blank line ends an event;
/// comments (`:` lines, the keep-alives) are skipped.
#[derive(Debug, Default)]
struct EventReader {
    line: Vec<u8>,
    after_cr: bool,
    name: String,
    data: Vec<String>,
    fields: usize,
}

impl EventReader {
    fn feed(&mut self, bytes: &[u8]) -> Vec<LogEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if std::mem::take(&mut self.after_cr) && b == b'\n' {
                continue;
            }
            if b == b'\r' || b == b'\n' {
                self.after_cr = b == b'\r';
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.line_done(&line, &mut out);
            } else {
                self.line.push(b);
            }
        }
        out
    }

    fn line_done(&mut self, line: &str, out: &mut Vec<LogEvent>) {
        if line.is_empty() {
            let name = std::mem::take(&mut self.name);
            let data = std::mem::take(&mut self.data);
            let fields = std::mem::take(&mut self.fields);
            if name == "end" {
                out.push(LogEvent::End);
            } else if !data.is_empty() {
                out.push(LogEvent::Line(data.join("\n")));
            } else if fields == 0 {
                // The daemon's event for an empty line has no field at all.
                out.push(LogEvent::Line(String::new()));
            }
            return;
        }
        self.fields += 1;
        if line.starts_with(':') {
            return;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "data" => self.data.push(value.to_string()),
            "event" => self.name = value.to_string(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_events_are_read_across_chunks_and_line_endings() {
        let stream = b"data: tick 1\n\ndata: 10%\rdata: 20%\r\n\r\n\n: keep-alive\n\ndata: a\r";
        let mut reader = EventReader::default();
        let mut events = Vec::new();
        // Fed one byte at a time: every boundary falls inside a chunk somewhere.
        for b in stream {
            events.extend(reader.feed(std::slice::from_ref(b)));
        }
        events.extend(reader.feed(b"\n\nevent: end\ndata\n\ndata: after\n\n"));
        assert_eq!(
            events,
            [
                LogEvent::Line("tick 1".into()),
                LogEvent::Line("10%\n20%".into()),
                LogEvent::Line(String::new()),
                LogEvent::Line("a".into()),
                LogEvent::End,
                LogEvent::Line("after".into()),
            ]
        );
    }
}
