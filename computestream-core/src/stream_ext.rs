//! Questions about a [`Stream`] that the language bindings ask as methods.

use crate::math::NEVER;
use crate::types::Stream;

impl Stream {
    /// Seconds from `now` until the deposit is fully owed: `Some(0)` when it already is,
    /// `None` when it never will be under the current state (closed, paused, or a window that
    /// ends first).
    pub fn seconds_to_deplete(&self, now: u64) -> Option<u64> {
        match self.depletion_time(now) {
            NEVER => None,
            at => Some(at.saturating_sub(now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::types::{AssetId, Rate, Stream};
    use crate::{AccountAddress, math::NEVER};

    #[test]
    fn seconds_to_deplete_counts_from_now() {
        let stream = Stream {
            payer: AccountAddress::ONE,
            job_id: 1,
            payee: AccountAddress::ONE,
            asset: AssetId::NATIVE,
            rate_per_second: Rate::per_second(10),
            opened_at: 100,
            window_start: 100,
            window_end: NEVER,
            is_paused: false,
            paused_at: 0,
            excluded_seconds: 0,
            is_closed: false,
            closed_at: 0,
            deposited: 1_000,
            paid: 0,
        };
        assert_eq!(stream.seconds_to_deplete(100), Some(100));
        assert_eq!(stream.seconds_to_deplete(150), Some(50));
        assert_eq!(stream.seconds_to_deplete(500), Some(0));
        let paused = Stream {
            is_paused: true,
            paused_at: 150,
            ..stream.clone()
        };
        assert_eq!(paused.seconds_to_deplete(160), None);
        let closed = Stream {
            is_closed: true,
            ..stream
        };
        assert_eq!(closed.seconds_to_deplete(160), None);
    }
}
