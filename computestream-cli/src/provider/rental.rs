//! A rental's life after its payment settled: `start_job`, the workload started from the
//! template, watched against the stream (computed locally each second, re-read on the
//! driver's events and every few seconds), stopped at depletion, pause, close or
//! `max_duration`, then `complete_job` / `fail_job` by its exit status and `close_stream`
//! (final settlement and the buyer's refund).

use std::collections::HashMap;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_core::scheduler::driver::{Driver, DriverEvent};
use computestream_core::{AptosLedger, ContractClient, JobId, Ledger, Signer, Stream};
use serde::Serialize;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;

use super::state::{RentalRecord, StateDir, process_start};
use super::template::{ImagePattern, Template};
use super::workload::{Logs, Workload};

/// The contracts over the node.
pub(crate) type Client = ContractClient<Arc<AptosLedger>>;

/// How often a watched stream is read again when nothing announced a change (a pause or a
/// close by the buyer comes with no driver event).
const REREAD_EVERY: Duration = Duration::from_secs(5);

/// Why a workload was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StopReason {
    /// The escrow is fully owed.
    Depleted,
    /// The buyer paused the stream.
    Paused,
    /// The stream was closed.
    Closed,
    /// The job's `max_duration` is over.
    MaxDuration,
    /// The daemon is shutting down.
    Shutdown,
}

/// Whether the stream, as of chain time `now`, no longer pays for the workload, and why.
pub(crate) fn stop_reason(stream: &Stream, now: u64) -> Option<StopReason> {
    if stream.is_closed {
        Some(StopReason::Closed)
    } else if stream.is_paused {
        Some(StopReason::Paused)
    } else if stream.owed_at(now) >= stream.deposited {
        Some(StopReason::Depleted)
    } else if now >= stream.window_end {
        Some(StopReason::MaxDuration)
    } else {
        None
    }
}

/// What the status endpoint shows of a rental's workload.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct WorkloadStatus {
    /// `running`, `stopping` or `stopped`.
    pub(crate) state: &'static str,
    /// The exit code, once it exited on its own terms.
    pub(crate) exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub(crate) signal: Option<i32>,
    /// Why the daemon stopped it, if it did.
    pub(crate) stop_reason: Option<StopReason>,
    /// `completed` or `failed`, once reported on chain.
    pub(crate) outcome: Option<&'static str>,
    /// What went wrong on the daemon's side, if anything.
    pub(crate) error: Option<String>,
}

/// One rental the daemon serves.
#[derive(Debug, Default)]
pub(crate) struct Rental {
    /// Its workload's state.
    pub(crate) status: Mutex<WorkloadStatus>,
    /// Its workload's output.
    pub(crate) logs: Logs,
    /// Rung when the driver reports on its stream.
    changed: Notify,
}

impl Rental {
    fn update(&self, f: impl FnOnce(&mut WorkloadStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// The operator's settings for every rental.
#[derive(Debug)]
pub(crate) struct Policy {
    /// The workload template.
    pub(crate) template: Template,
    /// Images allowed (none: all).
    pub(crate) allow: Vec<ImagePattern>,
    /// SIGTERM → SIGKILL delay.
    pub(crate) grace: Duration,
    /// The service URL (outputs link to its logs).
    pub(crate) public_url: String,
}

/// The daemon's shared state.
pub(crate) struct Daemon {
    /// The contracts.
    pub(crate) client: Client,
    /// The provider's key.
    pub(crate) signer: Arc<Signer>,
    /// The settlement driver.
    pub(crate) driver: Driver<Arc<AptosLedger>>,
    /// The operator's settings.
    pub(crate) policy: Policy,
    /// The rentals served since start.
    pub(crate) rentals: Mutex<HashMap<JobId, Arc<Rental>>>,
    /// Each rental's task.
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    /// Set to stop every workload.
    shutdown: watch::Sender<bool>,
    /// `--state-dir`, if given.
    state: Option<StateDir>,
    /// The access tokens sold.
    pub(crate) access: super::access::AccessTokens,
}

impl Daemon {
    /// The daemon's state; spawns the task routing the driver's events to the rentals.
    pub(crate) fn new(
        client: Client,
        signer: Arc<Signer>,
        driver: Driver<Arc<AptosLedger>>,
        events: mpsc::UnboundedReceiver<DriverEvent>,
        policy: Policy,
        state: Option<StateDir>,
        access: super::access::AccessTokens,
    ) -> Arc<Daemon> {
        let daemon = Arc::new(Daemon {
            client,
            signer,
            driver,
            policy,
            rentals: Mutex::new(HashMap::new()),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
            shutdown: watch::channel(false).0,
            state,
            access,
        });
        tokio::spawn(route_events(Arc::downgrade(&daemon), events));
        daemon
    }

    /// The rental for `job`, if this daemon serves it.
    pub(crate) fn rental(&self, job: JobId) -> Option<Arc<Rental>> {
        self.rentals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job)
            .cloned()
    }

    /// Where `job`'s output is served.
    pub(crate) fn logs_url(&self, job: JobId) -> String {
        format!(
            "{}/api/v1/jobs/{}/{}/logs",
            self.policy.public_url,
            job.buyer.to_long_string(),
            job.id
        )
    }

    /// Registers `job` as served; `None` if it already is.
    pub(crate) fn claim(&self, job: JobId) -> Option<Arc<Rental>> {
        let mut rentals = self.rentals.lock().unwrap_or_else(|p| p.into_inner());
        if rentals.contains_key(&job) {
            return None;
        }
        let rental = Arc::new(Rental::default());
        rentals.insert(job, rental.clone());
        drop(rentals);
        self.save(RentalRecord {
            job,
            pid: None,
            started: None,
        });
        Some(rental)
    }

    /// Records `record` in the state directory, if there is one.
    fn save(&self, record: RentalRecord) {
        if let Some(state) = &self.state
            && let Err(e) = state.save(&record)
        {
            eprintln!("rental {}: --state-dir: {e}", record.job);
        }
    }

    /// Forgets `job` once its stream is closed on chain.
    pub(crate) fn forget(&self, job: JobId) {
        if let Some(state) = &self.state
            && let Err(e) = state.remove(job)
        {
            eprintln!("rental {job}: --state-dir: {e}");
        }
    }

    /// Finalizes the rentals a previous run left behind (see [`super::state`]): stops what is
    /// left of each workload, then `reject_job` or `fail_job` and `close_stream`. A rental
    /// that cannot be finalized now keeps its record for the next start.
    pub(crate) async fn recover(&self) {
        let Some(state) = &self.state else { return };
        for record in state.left_behind() {
            let job = record.job;
            if let (Some(pid), Some(started)) = (record.pid, record.started)
                && process_start(pid) == Some(started)
            {
                eprintln!("rental {job}: stopping the workload left running (pid {pid})");
                stop_orphan(pid, self.policy.grace).await;
            }
            match self.finalize_orphan(job).await {
                Ok(what) => {
                    eprintln!("rental {job}: recovered after a restart: {what}");
                    self.forget(job);
                }
                Err(e) => {
                    self.signer.resync();
                    eprintln!("rental {job}: recovering: {e} (kept for the next start)");
                }
            }
        }
    }

    async fn finalize_orphan(&self, job: JobId) -> computestream_core::Result<&'static str> {
        use computestream_core::JobStatus;
        let record = self.client.get_job(job.buyer, job.id).await?;
        let ended = match record.status {
            JobStatus::Pending => {
                self.client
                    .reject_job(&self.signer, job.buyer, job.id)
                    .await?;
                "rejected (never started)"
            }
            JobStatus::Running => {
                self.client
                    .fail_job(&self.signer, job.buyer, job.id)
                    .await?;
                "failed (interrupted)"
            }
            _ => "already ended",
        };
        match self.client.get_stream(job.buyer, job.id).await {
            Ok(stream) if !stream.is_closed => {
                self.client
                    .close_stream(&self.signer, job.buyer, job.id)
                    .await?;
            }
            Ok(_) => {}
            Err(computestream_core::Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(ended)
    }

    /// Runs `job`'s workload (already started on chain) to its end in the background.
    pub(crate) async fn run(self: &Arc<Self>, job: JobId, argv: Vec<String>, rental: Arc<Rental>) {
        let daemon = self.clone();
        self.tasks
            .lock()
            .await
            .spawn(async move { daemon.supervise(job, argv, rental).await });
    }

    /// Tells every workload to stop (their logs end, so followers' streams finish).
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Stops every workload and waits for each rental to be finalized on chain.
    pub(crate) async fn shut_down(&self) {
        self.begin_shutdown();
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }

    async fn supervise(&self, job: JobId, argv: Vec<String>, rental: Arc<Rental>) {
        let exit = match Workload::spawn(&argv, &rental.logs) {
            Ok(mut workload) => {
                let pid = workload.pid();
                self.save(RentalRecord {
                    job,
                    pid: Some(pid),
                    started: process_start(pid),
                });
                rental.update(|s| s.state = "running");
                self.driver.add(job);
                let exit = self.watch(job, &rental, &mut workload).await;
                self.driver.remove(job);
                exit
            }
            Err(e) => {
                rental.logs.end();
                Err(e)
            }
        };
        let succeeded = match &exit {
            Ok(status) => {
                rental.update(|s| {
                    s.exit_code = status.code();
                    s.signal = std::os::unix::process::ExitStatusExt::signal(status);
                });
                let reason = rental
                    .status
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .stop_reason;
                status.success() || ended_as_asked(reason, status)
            }
            Err(e) => {
                rental.update(|s| s.error = Some(e.clone()));
                false
            }
        };
        rental.update(|s| s.state = "stopped");
        let ended = if succeeded {
            self.client
                .complete_job(&self.signer, job.buyer, job.id, self.logs_url(job))
                .await
        } else {
            self.client.fail_job(&self.signer, job.buyer, job.id).await
        };
        match ended {
            Ok(_) => {
                rental.update(|s| s.outcome = Some(if succeeded { "completed" } else { "failed" }))
            }
            Err(e) => self.report(&rental, job, "ending the job", &e),
        }
        match self
            .client
            .close_stream(&self.signer, job.buyer, job.id)
            .await
        {
            Ok(_) => self.forget(job),
            // The buyer closed it first: settled and refunded by that close.
            Err(e) if e.abort_name() == Some("E_STREAM_CLOSED") => self.forget(job),
            Err(e) => self.report(&rental, job, "close_stream", &e),
        }
        let done = rental
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        eprintln!("rental {job}: {}", serde_json::json!(done));
    }

    fn report(&self, rental: &Rental, job: JobId, what: &str, e: &computestream_core::Error) {
        self.signer.resync();
        eprintln!("rental {job}: {what}: {e}");
        rental.update(|s| s.error = Some(format!("{what}: {e}")));
    }

    /// Watches the stream until the workload exits (its status) or must stop (stopped, then
    /// its status).
    async fn watch(
        &self,
        job: JobId,
        rental: &Rental,
        workload: &mut Workload,
    ) -> Result<ExitStatus, String> {
        let mut shutdown = self.shutdown.subscribe();
        let mut view = StreamView::read(&self.client, job).await;
        let reason = loop {
            if *shutdown.borrow() {
                break StopReason::Shutdown;
            }
            if let Some(reason) = view.as_ref().and_then(StreamView::stop_reason) {
                break reason;
            }
            let reread = tokio::select! {
                status = workload.wait() => return status,
                _ = rental.changed.notified() => true,
                _ = shutdown.changed() => false,
                // Each second, and at the very second the stream stops paying.
                _ = tokio::time::sleep(view.as_ref().map_or(Duration::from_secs(1), StreamView::tick)) => {
                    view.as_ref().is_none_or(|v| v.read_at.elapsed() >= REREAD_EVERY)
                }
            };
            if reread && let Some(fresh) = StreamView::read(&self.client, job).await {
                view = Some(fresh);
            }
        };
        rental.update(|s| {
            s.state = "stopping";
            s.stop_reason = Some(reason);
        });
        workload.stop(self.policy.grace).await
    }
}

/// Whether a workload the daemon stopped because the rental ended (depleted, paused, closed,
/// its time up: not a shutdown of the daemon) died of the daemon's signal: the rental ran its
/// course, so the job is completed, not failed.
fn ended_as_asked(reason: Option<StopReason>, status: &ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let by_our_signal = matches!(status.signal(), Some(15 | 9))
        // A shell reports a child killed by a signal as 128 + the signal.
        || matches!(status.code(), Some(143 | 137));
    by_our_signal && reason.is_some_and(|r| r != StopReason::Shutdown)
}

/// SIGTERM to a workload group of a previous run, SIGKILL if it is still there after `grace`.
async fn stop_orphan(pid: i32, grace: Duration) {
    use nix::sys::signal::{Signal, killpg};
    let group = nix::unistd::Pid::from_raw(pid);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while process_start(pid).is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = killpg(group, Signal::SIGKILL);
}

/// A stream as last read, with the chain's clock then.
struct StreamView {
    stream: Stream,
    chain_micros: u64,
    read_at: Instant,
}

impl StreamView {
    /// Reads the stream and the chain's time; `None` (logged) if the node did not answer.
    async fn read(client: &Client, job: JobId) -> Option<StreamView> {
        let read = async {
            let chain_micros = client.ledger().now_micros().await?;
            let stream = client.get_stream(job.buyer, job.id).await?;
            computestream_core::Result::Ok(StreamView {
                stream,
                chain_micros,
                read_at: Instant::now(),
            })
        };
        read.await
            .inspect_err(|e: &computestream_core::Error| {
                eprintln!("rental {job}: reading the stream: {e}")
            })
            .ok()
    }

    /// The chain's clock now, in microseconds, extrapolated from the read.
    fn now_micros(&self) -> u64 {
        let elapsed = u64::try_from(self.read_at.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.chain_micros.saturating_add(elapsed)
    }

    /// The stop reason at the chain time now.
    fn stop_reason(&self) -> Option<StopReason> {
        stop_reason(&self.stream, self.now_micros() / 1_000_000)
    }

    /// How long to sleep before looking again: a second, or less if the stream stops paying
    /// sooner (at the start of its depleting second or of the window's end).
    fn tick(&self) -> Duration {
        let now = self.now_micros();
        let end = self
            .stream
            .depletion_time(now / 1_000_000)
            .min(self.stream.window_end);
        let until = end.saturating_mul(1_000_000).saturating_sub(now);
        Duration::from_micros(until.clamp(1_000, 1_000_000))
    }
}

/// Rings the rental whose stream each driver event is about, until the daemon is gone.
async fn route_events(
    daemon: std::sync::Weak<Daemon>,
    mut events: mpsc::UnboundedReceiver<DriverEvent>,
) {
    while let Some(event) = events.recv().await {
        let job = match &event {
            DriverEvent::Settled { job, .. }
            | DriverEvent::Depleted { job }
            | DriverEvent::Closed { job }
            | DriverEvent::LowBalance { job, .. }
            | DriverEvent::ToppedUp { job, .. }
            | DriverEvent::Failed { job, .. } => *job,
            _ => continue,
        };
        let Some(daemon) = daemon.upgrade() else {
            return;
        };
        if let Some(rental) = daemon.rental(job) {
            rental.changed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_core::{AccountAddress, AssetId, Rate};

    /// 3 s of escrow at 1,000 units/s, started at 100, max duration 10 s.
    fn stream() -> Stream {
        Stream {
            payer: AccountAddress::ONE,
            job_id: 1,
            payee: AccountAddress::THREE,
            asset: AssetId::NATIVE,
            rate_per_second: Rate::per_second(1_000),
            opened_at: 99,
            window_start: 100,
            window_end: 110,
            is_paused: false,
            paused_at: 0,
            excluded_seconds: 0,
            is_closed: false,
            closed_at: 0,
            deposited: 3_000,
            paid: 0,
        }
    }

    #[test]
    fn a_funded_open_stream_keeps_the_workload_running() {
        assert_eq!(stop_reason(&stream(), 100), None);
        assert_eq!(stop_reason(&stream(), 102), None);
    }

    #[test]
    fn depletion_stops_the_workload() {
        assert_eq!(stop_reason(&stream(), 103), Some(StopReason::Depleted));
        assert_eq!(stop_reason(&stream(), 200), Some(StopReason::Depleted));
    }

    #[test]
    fn the_end_of_max_duration_stops_a_still_funded_workload() {
        let mut s = stream();
        s.deposited = 1_000_000;
        assert_eq!(stop_reason(&s, 109), None);
        assert_eq!(stop_reason(&s, 110), Some(StopReason::MaxDuration));
    }

    #[test]
    fn a_workload_killed_because_its_rental_ended_completed_its_job() {
        use std::os::unix::process::ExitStatusExt;
        let term = ExitStatus::from_raw(15); // killed by SIGTERM
        let exit_143 = ExitStatus::from_raw(143 << 8);
        let exit_3 = ExitStatus::from_raw(3 << 8);
        assert!(ended_as_asked(Some(StopReason::Closed), &term));
        assert!(ended_as_asked(Some(StopReason::Depleted), &exit_143));
        assert!(!ended_as_asked(Some(StopReason::Closed), &exit_3));
        assert!(!ended_as_asked(Some(StopReason::Shutdown), &term));
        assert!(!ended_as_asked(None, &term), "killed by someone else");
    }

    #[test]
    fn a_pause_or_a_close_stops_the_workload_at_once() {
        let mut paused = stream();
        paused.is_paused = true;
        paused.paused_at = 101;
        assert_eq!(stop_reason(&paused, 101), Some(StopReason::Paused));
        let mut closed = stream();
        closed.is_closed = true;
        assert_eq!(stop_reason(&closed, 100), Some(StopReason::Closed));
    }
}
