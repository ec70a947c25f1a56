//! The settlement driver: many streams, one timer structure, one policy.
//!
//! - One ordered set of `(due time, job)` holds every stream; the loop sleeps until the
//!   earliest is due (or a change wakes it). No task per stream: a stream costs one map entry
//!   and one set entry.
//! - At most `max_in_flight` settlements run at once, and never two for one stream.
//! - Settlements from one signer are signed and submitted one at a time (the `Signer`
//!   orders its own submissions), so their sequence numbers reach the ledger in order; a failed or lost submission resyncs the signer.
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

use tokio::sync::{Notify, Semaphore, mpsc};

mod checkpoint;
mod paying;
mod settle;

pub use paying::{PayingStatus, paying_status};

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

struct Shared<L> {
    client: ContractClient<L>,
    signer: Arc<Signer>,
    policy: Box<dyn StreamScheduler>,
    config: DriverConfig,
    timers: std::sync::Mutex<Timers>,
    wake: Notify,
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
            status: None,
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
