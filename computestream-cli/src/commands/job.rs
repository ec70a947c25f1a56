//! `computestream job`: a job's life cycle, from its buyer's and its provider's side.

use std::process::ExitCode;

use clap::Subcommand;
use computestream_core::contract::{Call, View};

use super::Cli;
use super::common::{address_arg, client, execute, job_arg, print_value, read_signer, view};

/// `computestream job …`
#[derive(Subcommand, Debug)]
pub(super) enum JobCmd {
    /// Create a pending job for a provider (the signer is the buyer).
    Create {
        /// Provider address.
        #[arg(long)]
        provider: String,
        /// Container image.
        #[arg(long)]
        image: String,
        /// Escrow the job will hold, base units.
        #[arg(long)]
        escrow: u64,
        /// Longest run, seconds.
        #[arg(long)]
        max_duration: u64,
    },
    /// Start a job (the signer is its provider). JOB is BUYER/ID.
    Start {
        /// BUYER/ID.
        job: String,
    },
    /// Complete a running job with its output URL.
    Complete {
        /// BUYER/ID.
        job: String,
        /// Where the output is.
        #[arg(long)]
        output: String,
    },
    /// Fail a running job.
    Fail {
        /// BUYER/ID.
        job: String,
    },
    /// Turn down a pending job (the signer is its provider). JOB is BUYER/ID.
    Reject {
        /// BUYER/ID.
        job: String,
    },
    /// Stop a rental as its buyer: close its stream (the provider is paid what accrued, the
    /// rest comes back, the provider's daemon stops the workload) and print the receipt.
    Stop {
        /// BUYER/ID.
        job: String,
    },
    /// Cancel one of the signer's pending jobs.
    Cancel {
        /// Job id (a number).
        id: u64,
    },
    /// A job's record.
    Show {
        /// BUYER/ID.
        job: String,
    },
}

/// Runs a `job` command.
pub(super) async fn run(cli: &Cli, cmd: &JobCmd) -> Result<ExitCode, String> {
    match cmd {
        JobCmd::Create {
            provider,
            image,
            escrow,
            max_duration,
        } => {
            let call = Call::CreateJob {
                provider: address_arg(provider, "--provider")?,
                docker_image: image.clone(),
                escrow_amount: *escrow,
                max_duration: *max_duration,
            };
            execute(cli, call).await
        }
        JobCmd::Start { job } => {
            let j = job_arg(job)?;
            let call = Call::StartJob {
                buyer: j.buyer,
                job_id: j.id,
            };
            execute(cli, call).await
        }
        JobCmd::Complete { job, output } => {
            let j = job_arg(job)?;
            let call = Call::CompleteJob {
                buyer: j.buyer,
                job_id: j.id,
                output_url: output.clone(),
            };
            execute(cli, call).await
        }
        JobCmd::Fail { job } => {
            let j = job_arg(job)?;
            let call = Call::FailJob {
                buyer: j.buyer,
                job_id: j.id,
            };
            execute(cli, call).await
        }
        JobCmd::Reject { job } => {
            let j = job_arg(job)?;
            let call = Call::RejectJob {
                buyer: j.buyer,
                job_id: j.id,
            };
            execute(cli, call).await
        }
        JobCmd::Stop { job } => {
            let j = job_arg(job)?;
            let receipt = crate::buyer::stop(&client(cli)?, &read_signer(cli)?, j)
                .await
                .map_err(|e| format!("{}: {e}", e.code()))?;
            print_value(
                cli.json,
                format!(
                    "job {}: {} s billed, {} paid to the provider, {} refunded",
                    receipt.job, receipt.billed_seconds, receipt.paid_to_provider, receipt.refunded
                ),
                serde_json::json!(receipt),
            );
            Ok(ExitCode::SUCCESS)
        }
        JobCmd::Cancel { id } => execute(cli, Call::CancelJob { job_id: *id }).await,
        JobCmd::Show { job } => {
            let j = job_arg(job)?;
            let get = View::GetJob {
                buyer: j.buyer,
                job_id: j.id,
            };
            view(cli, get).await
        }
    }
}
