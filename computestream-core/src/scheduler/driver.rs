//! The settlement driver: many streams, one timer structure, one policy.
//!
//! - One ordered set of `(due time, job)` holds every stream; the loop sleeps until the
//!   earliest is due (or a change wakes it). No task per stream: a stream costs one map entry
//!   and one set entry.
//! - At most `max_in_flight` settlements run at once, and never two for one stream.
//! - Settlements from one signer are signed and submitted one at a time, so their sequence
//!   numbers reach the ledger in order; a failed or lost submission resyncs the signer.
//! - Retryable failures back off exponentially with jitter. A settlement that was applied
//!   although its response was lost is harmless: `process_payment` pays what is owed minus
//!   what was paid, so a retry pays nothing twice.
//! - A checkpoint (JSON, written atomically) lists the streams and when each was last
//!   settled; [`Driver::restore`] resumes from it after a restart.
//! - Events (settled, low balance, depleted, closed, topped up, failed) go to a channel;
//!   [`Counters`] count them.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex as AsyncMutex, Notify, Semaphore, mpsc};

use super::StreamScheduler;
use crate::client::{ContractClient, Signer};
use crate::contract::{AbortCode, ContractEvent, View};
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::types::{JobId, Stream};

/// Buyer side: top a stream up when it runs low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoTopUp {
    /// Top up when fewer than this many seconds of funding are left.
    pub below_seconds: u64,
    /// Add this many seconds' worth at the stream's rate.
    pub add_seconds: u64,
    /// Never add more than this in total per stream (base units).
    pub max_total: u64,
}

/// Driver settings.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// Settlements running at once.
    pub max_in_flight: usize,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// A stream with less funding left than this gets one `LowBalance` event.
    pub low_balance_seconds: u64,
    /// How often to look again at a stream the policy has nothing for (paused, not started).
    pub idle_recheck: Duration,
    /// Longest sleep between looks at the clock.
    pub max_sleep: Duration,
    /// Where to keep the checkpoint.
    pub checkpoint: Option<PathBuf>,
    /// Buyer-side automatic top-up (the driver's signer funds it).
    pub auto_top_up: Option<AutoTopUp>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            max_in_flight: 64,
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
            low_balance_seconds: 300,
            idle_recheck: Duration::from_secs(10),
            max_sleep: Duration::from_secs(1),
            checkpoint: None,
            auto_top_up: None,
        }
    }
}

/// What the driver reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverEvent {
    /// A settlement paid `amount` (total paid so far `total_paid`).
    Settled {
        /// The stream.
        job: JobId,
        /// Paid by this settlement.
        amount: u64,
        /// Paid so far.
        total_paid: u64,
        /// The transaction.
        hash: String,
    },
    /// Funding runs out in `seconds_left` seconds.
    LowBalance {
        /// The stream.
        job: JobId,
        /// Seconds of funding left.
        seconds_left: u64,
    },
    /// The escrow is fully owed: the stream no longer pays.
    Depleted {
        /// The stream.
        job: JobId,
    },
    /// Closed on chain; the driver dropped it.
    Closed {
        /// The stream.
        job: JobId,
    },
    /// The auto top-up added `amount`.
    ToppedUp {
        /// The stream.
        job: JobId,
        /// Added.
        amount: u64,
    },
    /// A settlement failed (`will_retry`: it is rescheduled with backoff).
    Failed {
        /// The stream.
        job: JobId,
        /// The error.
        error: String,
        /// Consecutive failures.
        attempt: u32,
        /// Rescheduled.
        will_retry: bool,
    },
}

/// Running totals.
#[derive(Debug, Default)]
pub struct Counters {
    /// Settlement transactions that paid something.
    pub settlements: AtomicU64,
    /// Failed attempts.
    pub failures: AtomicU64,
    /// Streams dropped after close.
    pub closed: AtomicU64,
    /// Settlements in flight now.
    pub in_flight: AtomicU64,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    due_ms: Option<u64>,
    last_settled: u64,
    attempts: u32,
    in_flight: bool,
    low_warned: bool,
    depleted: bool,
    topped_up: u64,
}

#[derive(Default)]
struct Timers {
    due: BTreeSet<(u64, JobId)>,
    entries: HashMap<JobId, Entry>,
    dirty: bool,
}

impl Timers {
    fn schedule(&mut self, job: JobId, due_ms: Option<u64>) {
        if let Some(e) = self.entries.get_mut(&job) {
            if let Some(old) = e.due_ms.take() {
                self.due.remove(&(old, job));
            }
            if let Some(at) = due_ms {
                self.due.insert((at, job));
            }
            e.due_ms = due_ms;
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    streams: Vec<CheckpointStream>,
}

#[derive(Serialize, Deserialize)]
struct CheckpointStream {
    job: JobId,
    last_settled: u64,
    topped_up: u64,
}

fn storage(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Storage(std::io::Error::new(
        e.kind(),
        format!("checkpoint {}: {e}", path.display()),
    ))
}

struct Shared<L> {
    client: ContractClient<L>,
    signer: Arc<Signer>,
    policy: Box<dyn StreamScheduler>,
    config: DriverConfig,
    timers: std::sync::Mutex<Timers>,
    wake: Notify,
    submit: AsyncMutex<()>,
    permits: Arc<Semaphore>,
    events: mpsc::UnboundedSender<DriverEvent>,
    counters: Counters,
}

/// The driver. Clone it freely (it is a handle).
pub struct Driver<L> {
    shared: Arc<Shared<L>>,
}

impl<L> Clone for Driver<L> {
    fn clone(&self) -> Self {
        Driver {
            shared: self.shared.clone(),
        }
    }
}

impl<L> std::fmt::Debug for Driver<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("policy", &self.shared.policy.name())
            .field("streams", &self.len())
            .finish_non_exhaustive()
    }
}

impl<L> Driver<L> {
    fn timers(&self) -> std::sync::MutexGuard<'_, Timers> {
        self.shared.timers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Streams tracked.
    pub fn len(&self) -> usize {
        self.timers().entries.len()
    }

    /// Whether no stream is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }
}

impl<L: Ledger + Send + Sync + 'static> Driver<L> {
    /// A driver settling through `client` as `signer` under `policy`. Events arrive on the
    /// returned receiver.
    pub fn new(
        client: ContractClient<L>,
        signer: Arc<Signer>,
        policy: Box<dyn StreamScheduler>,
        config: DriverConfig,
    ) -> (Self, mpsc::UnboundedReceiver<DriverEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let shared = Arc::new(Shared {
            client,
            signer,
            policy,
            config,
            timers: std::sync::Mutex::new(Timers::default()),
            wake: Notify::new(),
            submit: AsyncMutex::new(()),
            permits,
            events,
            counters: Counters::default(),
        });
        (Driver { shared }, rx)
    }

    /// Tracks `job` (due now); a job already tracked is left as it is.
    pub fn add(&self, job: JobId) {
        self.add_at(job, 0, 0, 0);
    }

    fn add_at(&self, job: JobId, due_ms: u64, last_settled: u64, topped_up: u64) {
        let mut t = self.timers();
        if t.entries.contains_key(&job) {
            return;
        }
        t.entries.insert(
            job,
            Entry {
                last_settled,
                topped_up,
                ..Entry::default()
            },
        );
        t.schedule(job, Some(due_ms));
        t.dirty = true;
        drop(t);
        self.shared.wake.notify_one();
    }

    /// Stops tracking `job`.
    pub fn remove(&self, job: JobId) {
        let mut t = self.timers();
        t.schedule(job, None);
        t.entries.remove(&job);
        t.dirty = true;
    }

    /// Resumes the streams of the checkpoint file (none if it does not exist).
    pub fn restore(&self) -> Result<usize> {
        let Some(path) = &self.shared.config.checkpoint else {
            return Ok(0);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(storage(path, e)),
        };
        let cp: Checkpoint =
            serde_json::from_str(&text).map_err(|e| storage(path, std::io::Error::other(e)))?;
        let n = cp.streams.len();
        for s in cp.streams {
            self.add_at(s.job, 0, s.last_settled, s.topped_up);
        }
        Ok(n)
    }

    fn write_checkpoint(&self) -> Result<()> {
        let Some(path) = &self.shared.config.checkpoint else {
            return Ok(());
        };
        let cp = {
            let mut t = self.timers();
            if !t.dirty {
                return Ok(());
            }
            t.dirty = false;
            let mut streams: Vec<CheckpointStream> = t
                .entries
                .iter()
                .map(|(job, e)| CheckpointStream {
                    job: *job,
                    last_settled: e.last_settled,
                    topped_up: e.topped_up,
                })
                .collect();
            streams.sort_by_key(|s| s.job);
            Checkpoint {
                version: 1,
                streams,
            }
        };
        let io = |e: std::io::Error| storage(path, e);
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(&cp).map_err(|e| io(std::io::Error::other(e)))?;
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Runs until `shutdown` resolves, then lets in-flight settlements finish and writes
    /// the checkpoint.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            let now_ms = self.shared.client.ledger().now_micros().await? / 1_000;
            let due = self.take_due(now_ms);
            for job in due {
                let permit = match self.shared.permits.clone().try_acquire_owned() {
                    Ok(p) => p,
                    Err(_) => {
                        // Saturated: put it back, due now.
                        let mut t = self.timers();
                        if let Some(e) = t.entries.get_mut(&job) {
                            e.in_flight = false;
                        }
                        t.schedule(job, Some(now_ms));
                        continue;
                    }
                };
                let driver = self.clone();
                self.shared
                    .counters
                    .in_flight
                    .fetch_add(1, Ordering::Relaxed);
                tasks.spawn(async move {
                    driver.settle(job).await;
                    driver
                        .shared
                        .counters
                        .in_flight
                        .fetch_sub(1, Ordering::Relaxed);
                    drop(permit);
                    driver.shared.wake.notify_one();
                });
            }
            while tasks.try_join_next().is_some() {}
            self.write_checkpoint()?;
            let sleep = self.sleep_for(now_ms);
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(sleep) => {}
                _ = self.shared.wake.notified() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
        self.timers().dirty = true;
        self.write_checkpoint()
    }

    /// Runs on the current tokio runtime until [`Running::stop`].
    pub fn spawn(&self) -> Running {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let driver = self.clone();
        let task = tokio::spawn(async move {
            driver
                .run(async {
                    let _ = stopped.await;
                })
                .await
        });
        Running { stop, task }
    }

    fn take_due(&self, now_ms: u64) -> Vec<JobId> {
        let mut t = self.timers();
        let limit = self.shared.permits.available_permits();
        let mut due = Vec::new();
        while due.len() < limit {
            let Some(&(at, job)) = t.due.first() else {
                break;
            };
            if at > now_ms {
                break;
            }
            t.due.pop_first();
            if let Some(e) = t.entries.get_mut(&job) {
                e.due_ms = None;
                if !e.in_flight {
                    e.in_flight = true;
                    due.push(job);
                }
            }
        }
        due
    }

    fn sleep_for(&self, now_ms: u64) -> Duration {
        let max = self.shared.config.max_sleep;
        match self.timers().due.first() {
            Some(&(at, _)) => Duration::from_millis(at.saturating_sub(now_ms)).min(max),
            None => max,
        }
    }

    /// One look at one stream: read it, settle if something is claimable, report, and
    /// schedule the next look.
    async fn settle(&self, job: JobId) {
        let outcome = self.settle_once(job).await;
        let mut t = self.timers();
        let Some(entry) = t.entries.get_mut(&job) else {
            return;
        };
        entry.in_flight = false;
        let next = match outcome {
            Ok(Some(next_ms)) => {
                entry.attempts = 0;
                Some(next_ms)
            }
            Ok(None) => {
                t.entries.remove(&job);
                t.dirty = true;
                return;
            }
            Err((error, now_ms, retryable)) => {
                entry.attempts += 1;
                let attempt = entry.attempts;
                self.shared
                    .counters
                    .failures
                    .fetch_add(1, Ordering::Relaxed);
                let _ = self.shared.events.send(DriverEvent::Failed {
                    job,
                    error: error.to_string(),
                    attempt,
                    will_retry: true,
                });
                let base = if retryable {
                    self.shared.config.retry_base
                } else {
                    self.shared.config.idle_recheck
                };
                Some(now_ms + self.backoff(base, attempt).as_millis() as u64)
            }
        };
        t.schedule(job, next);
        t.dirty = true;
    }

    fn backoff(&self, base: Duration, attempt: u32) -> Duration {
        let exp = base.saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
        let capped = exp.min(self.shared.config.retry_max.max(base));
        // Full jitter in [capped/2, capped].
        let half = capped.as_millis() as u64 / 2;
        Duration::from_millis(half + rand::thread_rng().gen_range(0..=half))
    }

    /// `Ok(Some(next due ms))`, `Ok(None)` when the stream is gone, `Err` to retry.
    async fn settle_once(
        &self,
        job: JobId,
    ) -> std::result::Result<Option<u64>, (Error, u64, bool)> {
        let s = &self.shared;
        let now_ms = match s.client.ledger().now_micros().await {
            Ok(us) => us / 1_000,
            Err(e) => return Err((e, 0, true)),
        };
        let now = now_ms / 1_000;
        let fail = |e: Error| {
            let retryable = e.is_retryable() || matches!(e, Error::Transport { .. });
            (e, now_ms, retryable)
        };
        let mut stream: Stream = match s
            .client
            .view(&View::GetStream {
                payer: job.buyer,
                job_id: job.id,
            })
            .await
        {
            Ok(st) => st,
            Err(Error::Abort {
                code: AbortCode::StreamNotFound,
                ..
            }) => {
                let _ = s.events.send(DriverEvent::Failed {
                    job,
                    error: "no such stream".into(),
                    attempt: 1,
                    will_retry: false,
                });
                return Ok(None);
            }
            Err(e) => return Err(fail(e)),
        };
        if stream.is_closed {
            s.counters.closed.fetch_add(1, Ordering::Relaxed);
            let _ = s.events.send(DriverEvent::Closed { job });
            return Ok(None);
        }
        let claimable = stream.claimable_at(now);
        let mut last_settled = self
            .timers()
            .entries
            .get(&job)
            .map_or(0, |e| e.last_settled);
        if claimable > 0 {
            let result = {
                let _one_at_a_time = s.submit.lock().await;
                s.client.process_payment(&s.signer, job.buyer, job.id).await
            };
            let outcome = result.map_err(fail)?;
            let paid = outcome
                .contract_events(s.client.contract())
                .unwrap_or_default()
                .into_iter()
                .find_map(|e| match e {
                    ContractEvent::PaymentProcessed(p) => Some((p.amount, p.total_paid)),
                    _ => None,
                });
            let (amount, total_paid) = paid.unwrap_or((0, stream.paid));
            stream.paid = total_paid;
            last_settled = now;
            if amount > 0 {
                s.counters.settlements.fetch_add(1, Ordering::Relaxed);
                let _ = s.events.send(DriverEvent::Settled {
                    job,
                    amount,
                    total_paid,
                    hash: outcome.hash.to_hex(),
                });
            }
        }
        self.report_balance(job, &stream, now).await;
        {
            let mut t = self.timers();
            if let Some(e) = t.entries.get_mut(&job) {
                e.last_settled = last_settled;
            }
        }
        let next_ms = match s.policy.next_settlement(&stream, last_settled, now) {
            Some(at) => (at * 1_000 + spread_ms(job)).max(now_ms),
            None => now_ms + s.config.idle_recheck.as_millis() as u64,
        };
        Ok(Some(next_ms))
    }

    async fn report_balance(&self, job: JobId, stream: &Stream, now: u64) {
        let s = &self.shared;
        let depletion = stream.depletion_time(now);
        let seconds_left = depletion.saturating_sub(now);
        let depleted = stream.window_start <= now
            && stream.deposited > 0
            && stream.owed_at(now) >= stream.deposited;
        let (warn, newly_depleted, topped_up) = {
            let mut t = self.timers();
            let Some(e) = t.entries.get_mut(&job) else {
                return;
            };
            let low = stream.is_accruing(now) && seconds_left <= s.config.low_balance_seconds;
            let warn = low && !e.low_warned;
            e.low_warned = low;
            let newly = depleted && !e.depleted;
            e.depleted = depleted;
            (warn, newly, e.topped_up)
        };
        if warn {
            let _ = s.events.send(DriverEvent::LowBalance { job, seconds_left });
        }
        if newly_depleted {
            let _ = s.events.send(DriverEvent::Depleted { job });
        }
        let Some(policy) = s.config.auto_top_up else {
            return;
        };
        if !stream.is_accruing(now) || seconds_left >= policy.below_seconds {
            return;
        }
        let want = crate::math::accrued(
            stream.rate_per_second.nanos_per_second(),
            policy.add_seconds,
        );
        let room = policy.max_total.saturating_sub(topped_up);
        let amount = u64::try_from(want).unwrap_or(u64::MAX).min(room);
        if amount == 0 {
            return;
        }
        let result = {
            let _one_at_a_time = s.submit.lock().await;
            s.client.top_up(&s.signer, job.buyer, job.id, amount).await
        };
        match result {
            Ok(_) => {
                let mut t = self.timers();
                if let Some(e) = t.entries.get_mut(&job) {
                    e.topped_up += amount;
                    e.low_warned = false;
                }
                t.dirty = true;
                drop(t);
                let _ = s.events.send(DriverEvent::ToppedUp { job, amount });
            }
            Err(e) => {
                let _ = s.events.send(DriverEvent::Failed {
                    job,
                    error: format!("top-up: {e}"),
                    attempt: 1,
                    will_retry: true,
                });
            }
        }
    }
}

/// A driver running in the background (from [`Driver::spawn`]).
#[derive(Debug)]
pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Stops taking new settlements, waits for those in flight, writes the checkpoint.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await.map_err(|e| Error::Transport {
            message: format!("driver task: {e}"),
            retryable: false,
        })?
    }
}

/// Where in its due second a stream is settled: a stable offset in `0..1000` ms from its
/// job id. Policies speak in chain seconds and the chain cannot tell two moments of one second
/// apart, so spreading a second's settlements over the second avoids a burst at its start.
pub fn spread_ms(job: JobId) -> u64 {
    let b = job.buyer.to_bytes();
    let mut h = job.id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for chunk in b.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    (h >> 32) % 1_000
}

/// Provider side: is this stream still paying, and for how long? For the x402 gate and
/// the CLI. `seconds_left` is `None` when it is not accruing or never depletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayingStatus {
    /// Serve it.
    pub paying: bool,
    /// Funded seconds left.
    pub seconds_left: Option<u64>,
    /// Claimable now.
    pub claimable: u64,
}

/// Reads `job`'s stream and answers "is it still paying me?".
pub async fn paying_status<L: Ledger + ?Sized>(
    client: &ContractClient<L>,
    job: JobId,
) -> Result<PayingStatus> {
    let now = client.now_seconds().await?;
    let stream: Stream = client
        .view(&View::GetStream {
            payer: job.buyer,
            job_id: job.id,
        })
        .await?;
    let depletion = stream.depletion_time(now);
    Ok(PayingStatus {
        paying: stream.is_paying(now),
        seconds_left: (stream.is_accruing(now) && depletion != crate::math::NEVER)
            .then(|| depletion.saturating_sub(now)),
        claimable: stream.claimable_at(now),
    })
}
