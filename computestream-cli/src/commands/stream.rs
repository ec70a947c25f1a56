//! `computestream stream`: payment streams, and their figures as of the chain's clock.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use computestream_core::contract::{Call, View};
use computestream_core::{JobId, Stream};
use serde_json::{Value, json};

use super::Cli;
use super::common::{Client, address_arg, client, execute, job_arg, print_value};

/// `computestream stream …`
#[derive(Subcommand, Debug)]
pub(super) enum StreamCmd {
    /// Open a stream from the signer's escrow for job ID to PAYEE at a nano-rate.
    Open {
        /// Job id.
        id: u64,
        /// Provider.
        #[arg(long)]
        payee: String,
        /// Nano-units (1e-9 base unit) per second.
        #[arg(long)]
        rate: u128,
    },
    /// Pay the provider what the stream owes now (anyone may).
    Settle {
        /// BUYER/ID.
        job: String,
    },
    /// Pause one of the signer's streams.
    Pause {
        /// Job id.
        id: u64,
    },
    /// Resume one of the signer's streams.
    Resume {
        /// Job id.
        id: u64,
    },
    /// Add funds to a stream.
    TopUp {
        /// BUYER/ID.
        job: String,
        /// Base units.
        amount: u64,
    },
    /// Settle and close; the rest goes back to the payer.
    Close {
        /// BUYER/ID.
        job: String,
    },
    /// A stream's record and what it owes now.
    Show {
        /// BUYER/ID.
        job: String,
    },
    /// Print the stream's figures every interval until it closes or stops paying.
    Watch {
        /// BUYER/ID.
        job: String,
        /// Seconds between lines.
        #[arg(long, default_value_t = 1)]
        interval: u64,
        /// Stop after this many lines (0: until it stops paying).
        #[arg(long, default_value_t = 0)]
        count: u64,
    },
}

/// Runs a `stream` command.
pub(super) async fn run(cli: &Cli, cmd: &StreamCmd) -> Result<ExitCode, String> {
    match cmd {
        StreamCmd::Open { id, payee, rate } => {
            let call = Call::OpenStream {
                job_id: *id,
                payee: address_arg(payee, "--payee")?,
                rate_per_second: *rate,
            };
            execute(cli, call).await
        }
        StreamCmd::Settle { job } => {
            let j = job_arg(job)?;
            let call = Call::ProcessPayment {
                payer: j.buyer,
                job_id: j.id,
            };
            execute(cli, call).await
        }
        StreamCmd::Pause { id } => execute(cli, Call::PauseStream { job_id: *id }).await,
        StreamCmd::Resume { id } => execute(cli, Call::ResumeStream { job_id: *id }).await,
        StreamCmd::TopUp { job, amount } => {
            let j = job_arg(job)?;
            let call = Call::TopUp {
                payer: j.buyer,
                job_id: j.id,
                amount: *amount,
            };
            execute(cli, call).await
        }
        StreamCmd::Close { job } => {
            let j = job_arg(job)?;
            let call = Call::CloseStream {
                payer: j.buyer,
                job_id: j.id,
            };
            execute(cli, call).await
        }
        StreamCmd::Show { job } => show(cli, job).await,
        StreamCmd::Watch {
            job,
            interval,
            count,
        } => watch(cli, job, *interval, *count).await,
    }
}

/// Prints the stream's figures once.
async fn show(cli: &Cli, job: &str) -> Result<ExitCode, String> {
    let client = client(cli)?;
    let (stream, now) = stream_figures(&client, job_arg(job)?).await?;
    print_figures(cli.json, &stream, now);
    Ok(ExitCode::SUCCESS)
}

/// Prints the stream's figures every `interval` seconds, `count` times or (0) until it stops
/// paying.
async fn watch(cli: &Cli, job: &str, interval: u64, count: u64) -> Result<ExitCode, String> {
    let client = client(cli)?;
    let j = job_arg(job)?;
    let mut lines = 0;
    loop {
        let (stream, now) = stream_figures(&client, j).await?;
        print_figures(cli.json, &stream, now);
        lines += 1;
        if (count > 0 && lines >= count) || (count == 0 && !stream.is_paying(now)) {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(Duration::from_secs(interval.max(1))).await;
    }
}

/// The stream and the chain's time, the moment its figures are computed at.
async fn stream_figures(client: &Client, j: JobId) -> Result<(Stream, u64), String> {
    let stream: Stream = client
        .view(&View::GetStream {
            payer: j.buyer,
            job_id: j.id,
        })
        .await
        .map_err(|e| format!("get_stream: {e}"))?;
    let now = client.now_seconds().await.map_err(|e| e.to_string())?;
    Ok((stream, now))
}

/// One line (or JSON object) of figures.
fn print_figures(json_out: bool, s: &Stream, now: u64) {
    print_value(json_out, figures_line(s, now), figures_json(s, now));
}

/// The stream's record and its figures at `now`, amounts as decimal strings.
fn figures_json(s: &Stream, now: u64) -> Value {
    json!({
        "stream": s,
        "now": now.to_string(),
        "owed": s.owed_at(now).to_string(),
        "claimable": s.claimable_at(now).to_string(),
        "refundable": s.refundable_at(now).to_string(),
        "depletion_time": s.depletion_time(now).to_string(),
        "paying": s.is_paying(now),
    })
}

/// The stream's figures at `now` for a person.
fn figures_line(s: &Stream, now: u64) -> String {
    let depletion = s.depletion_time(now);
    let left = if depletion == u64::MAX {
        "never depletes".to_string()
    } else {
        format!("depletes in {} s", depletion.saturating_sub(now))
    };
    format!(
        "t={now} owed {} paid {} claimable {} escrow left {} ({left}){}",
        s.owed_at(now),
        s.paid,
        s.claimable_at(now),
        s.refundable_at(now),
        if s.is_closed {
            ", closed"
        } else if s.is_paying(now) {
            ""
        } else {
            ", not paying"
        }
    )
}
