//! The embedded ledger's time source: the system clock, or a clock tests move by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A clock the caller moves: deterministic tests and simulations.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at `secs` seconds (saturating at the largest time in microseconds).
    pub fn at_secs(secs: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(secs.saturating_mul(1_000_000))))
    }

    /// A clock at the system's time now (whole seconds), which then moves only when told.
    pub fn at_system_time() -> Self {
        ManualClock::at_secs(Clock::System.now_micros() / 1_000_000)
    }

    /// Now, microseconds.
    pub fn now_micros(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs` (never backward; saturating at the largest time).
    pub fn advance_secs(&self, secs: u64) {
        let by = secs.saturating_mul(1_000_000);
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the clock to `secs` if that is later than now.
    pub fn set_secs(&self, secs: u64) {
        self.0
            .fetch_max(secs.saturating_mul(1_000_000), Ordering::SeqCst);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_forward_only_and_saturates() {
        let clock = ManualClock::at_secs(100);
        clock.advance_secs(5);
        assert_eq!(clock.now_micros(), 105_000_000);
        clock.set_secs(50);
        assert_eq!(clock.now_micros(), 105_000_000, "never backward");
        // Times a caller may pass from Python or Node: no overflow, no panic.
        clock.advance_secs(u64::MAX);
        assert_eq!(clock.now_micros(), u64::MAX);
        assert_eq!(ManualClock::at_secs(u64::MAX).now_micros(), u64::MAX);
        let now = Clock::System.now_micros() / 1_000_000;
        let at = ManualClock::at_system_time().now_micros() / 1_000_000;
        assert!(at >= now && at <= now + 5, "{at} vs {now}");
    }
}
