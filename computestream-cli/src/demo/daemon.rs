//! `computestream demo --daemon`: the provider side is the real provider daemon (`computestream
//! provider serve`, started as a child process on the demo's chain), and the agent rents from
//! it the way any buyer does: finds its endpoint on chain, pays its 402 with `stream`, follows
//! the workload's output, closes the stream after `--seconds`, and checks the receipt against
//! the balances.

use std::process::Stdio;
use std::time::Duration;

use computestream_core::JobId;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::chain::{Chain, Coin, Parties};
use super::{DemoArgs, Progress};
use crate::buyer::{self, Budget, RentRequest, Requirements};

/// The workload the demo's daemon runs: a line a second until it is stopped.
const WORKLOAD: &str = "i=0; while :; do i=$((i+1)); echo \"training step $i\"; sleep 1; done";

/// Whether the balances agree with the receipt.
pub(super) struct DaemonOutcome {
    /// Every check held.
    pub(super) ok: bool,
}

/// Runs the rental through a provider daemon.
pub(super) async fn run(
    args: &DemoArgs,
    chain: &Chain,
    parties: &Parties,
    fee_payer: &computestream_core::Signer,
    coin: &Coin,
    progress: Progress,
) -> Result<DaemonOutcome, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let key = |name: &str, signer: &computestream_core::Signer| {
        let path = dir.path().join(format!("{name}.key"));
        std::fs::write(&path, signer.account().private_key().to_hex())
            .map(|()| path)
            .map_err(|e| format!("{name} key: {e}"))
    };
    let provider_key = key("provider", &parties.provider)?;
    let fee_payer_key = key("fee-payer", fee_payer)?;
    let per_hour = if coin.decimals == 6 {
        7_200_000
    } else {
        720_000_000
    };
    let max_duration = args.seconds.saturating_mul(2).max(10);
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut daemon = tokio::process::Command::new(exe)
        .current_dir(dir.path())
        .arg("--node")
        .arg(chain.node_url())
        .arg("--key")
        .arg(&provider_key)
        .args(["provider", "serve", "--port", "0", "--exec", "{command...}"])
        .args(["--allow-image", "demo/*", "--grace", "2"])
        .args(["--max-duration", &max_duration.to_string()])
        .args(["--policy", &args.policy])
        .args(["--asset", &coin.asset.0.to_long_string()])
        .arg("--fee-payer-key")
        .arg(&fee_payer_key)
        .args(["--gpu", "H100", "--vram", "80", "--stake", "100000000"])
        .args(["--price-per-hour", &per_hour.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("provider serve: {e}"))?;
    let mut lines =
        BufReader::new(daemon.stdout.take().ok_or("provider serve: no stdout")?).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| "provider serve: not serving after 60 s".to_string())?
        .map_err(|e| format!("provider serve: {e}"))?
        .ok_or("provider serve exited")?;
    progress.say(format!("daemon    {first}"));

    let client = &chain.client;
    let agent = &parties.agent;
    let provider = parties.provider.address();
    let balances = || async {
        Ok::<_, String>((
            client
                .balance(agent.address(), coin.asset)
                .await
                .map_err(|e| e.to_string())?,
            client
                .balance(provider, coin.asset)
                .await
                .map_err(|e| e.to_string())?,
        ))
    };
    let before = balances().await?;
    // The agent finds the provider's endpoint on chain: nothing configured by hand.
    let offer = buyer::find_provider(client, Some(provider), &Requirements::default())
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    progress.say(format!(
        "discover  {} {} GB at {}/h, endpoint {}",
        offer.gpu_type,
        offer.vram_gb,
        coin.format(per_hour),
        offer.endpoint
    ));
    let command = ["sh".to_string(), "-c".into(), WORKLOAD.into()];
    let rented = buyer::rent(
        client,
        agent,
        &Budget::new(u64::MAX, u64::MAX),
        &RentRequest {
            offer: &offer,
            image: "demo/trainer",
            command: &command,
            max_spend: None,
            network: chain.network.caip2(),
            asset: coin.asset,
        },
    )
    .await
    .map_err(|e| format!("{}: {e}", e.code()))?;
    let job: JobId = rented.job.parse().map_err(|e| format!("job: {e}"))?;
    progress.say(format!(
        "x402      paid with `stream`: {} escrowed for up to {} s, job {job}",
        coin.format(rented.deposit),
        rented.max_duration_seconds
    ));

    let http = computestream_x402::http::http_client();
    let mut printed = 0;
    for _ in 0..args.seconds {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(url) = &rented.logs_url
            && let Ok(r) = http.get(url).send().await
            && let Ok(text) = r.text().await
        {
            for line in text.get(printed..).unwrap_or_default().lines() {
                progress.say(format!("workload  {line}"));
            }
            printed = text.len();
        }
    }
    let receipt = buyer::stop(client, agent, job)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    progress.say(format!(
        "close     {} s billed: {} to the provider, {} refunded",
        receipt.billed_seconds,
        coin.format(receipt.paid_to_provider),
        coin.format(receipt.refunded)
    ));
    // The daemon sees the close, stops the workload and finishes the job on chain.
    let finished = wait_until_finished(client, job).await;
    // SIGTERM: the daemon settles what it still serves and exits.
    if let Some(pid) = daemon.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    if tokio::time::timeout(Duration::from_secs(30), daemon.wait())
        .await
        .is_err()
    {
        let _ = daemon.start_kill();
    }
    let after = balances().await?;
    let paid = receipt.paid_to_provider;
    let checks = [
        (
            "the agent paid exactly what the provider earned",
            before.0 - after.0 == paid,
        ),
        ("the provider received it", after.1 - before.1 == paid),
        (
            "paid + refunded = deposited",
            paid + receipt.refunded == receipt.deposited,
        ),
        (
            "the daemon stopped the workload and ended the job",
            finished,
        ),
    ];
    for (what, held) in &checks {
        progress.say(format!(
            "check     {what}: {}",
            if *held { "ok" } else { "FAILED" }
        ));
    }
    Ok(DaemonOutcome {
        ok: checks.iter().all(|(_, held)| *held),
    })
}

/// Whether the job left `Running` (completed or failed by the daemon) within 30 s.
async fn wait_until_finished(client: &buyer::Client, job: JobId) -> bool {
    for _ in 0..300 {
        if let Ok(record) = client.get_job(job.buyer, job.id).await
            && record.status != computestream_core::JobStatus::Running
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
