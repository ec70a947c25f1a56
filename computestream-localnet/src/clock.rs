//! The embedded ledger's time source: the system clock, or a clock tests move by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A clock the caller moves: deterministic tests and simulations.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at `secs` seconds.
    pub fn at_secs(secs: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(secs * 1_000_000)))
    }

    /// Now, microseconds.
    pub fn now_micros(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs` (never backward).
    pub fn advance_secs(&self, secs: u64) {
        self.0.fetch_add(secs * 1_000_000, Ordering::SeqCst);
    }

    /// Sets the clock to `secs` if that is later than now.
    pub fn set_secs(&self, secs: u64) {
        self.0.fetch_max(secs * 1_000_000, Ordering::SeqCst);
    }
}

/// Where the embedded ledger's time comes from. Chain time never goes backward whatever
/// the clock does.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A clock the caller moves.
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now_micros(&self) -> u64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(0),
            Clock::Manual(c) => c.now_micros(),
        }
    }
}
