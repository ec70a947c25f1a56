//! Stream math, exactly as `payment_stream.move` computes it.
//!
//! A stream accrues over its *window*: from `max(job start, stream open)` to the first of
//! `job start + max_duration`, the job's end and the stream's close. Seconds while the stream
//! is paused, and seconds of service that no escrow covered (banked when a depleted stream is
//! topped up), are *excluded*. With `active(t)` the remaining seconds up to chain time `t`:
//!
//! `owed(t) = min(deposited, floor(rate_per_second * active(t) / 1e9))`
//!
//! Rates are nano-rates (1e-9 base unit per second) in `u128`. Owed amounts are always
//! computed from totals, never by summing rounded increments, so the rounding dust of a
//! whole stream is below one base unit.

/// Rates carry nine extra decimals: a rate of `RATE_SCALE` is one base unit per second.
pub const RATE_SCALE: u128 = 1_000_000_000;

/// A time that never comes: the window of a job that has not started, or a stream that
/// does not deplete under its current state.
pub const NEVER: u64 = u64::MAX;

/// Active seconds of a window `[window_start, window_end)` up to `now`, less the seconds
/// already excluded and, while paused, the part of the current pause inside the window.
pub fn active_seconds(
    window_start: u64,
    window_end: u64,
    paused_at: Option<u64>,
    excluded_seconds: u64,
    now: u64,
) -> u64 {
    let end = now.min(window_end);
    if end <= window_start {
        return 0;
    }
    let gross = end - window_start;
    let current_pause = match paused_at {
        Some(p) => end.saturating_sub(p.max(window_start)),
        None => 0,
    };
    gross
        .saturating_sub(excluded_seconds)
        .saturating_sub(current_pause)
}

/// The seconds of a pause `[paused_at, resumed_at)` that fall inside the window, banked as
/// excluded seconds when the stream resumes.
pub fn pause_overlap(paused_at: u64, resumed_at: u64, window_start: u64, window_end: u64) -> u64 {
    let lo = paused_at.max(window_start);
    let hi = resumed_at.min(window_end);
    hi.saturating_sub(lo)
}

/// `floor(rate * seconds / 1e9)`, saturating at `u128::MAX` (far above any `u64` deposit).
pub fn accrued(rate_per_second: u128, seconds: u64) -> u128 {
    match rate_per_second.checked_mul(u128::from(seconds)) {
        Some(product) => product / RATE_SCALE,
        None => u128::MAX,
    }
}

/// What the payee is owed after `active` seconds: the accrual, capped by the deposits.
pub fn owed(deposited: u64, rate_per_second: u128, active: u64) -> u64 {
    let accrued = accrued(rate_per_second, active);
    if accrued >= u128::from(deposited) {
        deposited
    } else {
        // accrued < deposited <= u64::MAX
        accrued as u64
    }
}

/// Active seconds after which `deposited` is fully owed: `ceil(deposited * 1e9 / rate)`.
/// `rate_per_second` must be non-zero.
pub fn seconds_to_deplete(deposited: u64, rate_per_second: u128) -> u128 {
    let scaled = u128::from(deposited) * RATE_SCALE;
    scaled.div_ceil(rate_per_second)
}

/// Seconds of service beyond what `deposited` covers: banked as excluded when a depleted
/// stream is topped up, so a top-up never pays for a gap in which the provider was unpaid.
pub fn unfunded_seconds(deposited: u64, rate_per_second: u128, active: u64) -> u64 {
    let needed = seconds_to_deplete(deposited, rate_per_second);
    let active = u128::from(active);
    if active > needed {
        // active - needed <= active <= u64::MAX
        (active - needed) as u64
    } else {
        0
    }
}

/// The chain time at which the stream's owed amount reaches its deposits if nothing changes,
/// `now` if it already has, and [`NEVER`] if it is not accruing (paused, closed, not started)
/// or its window ends first.
pub fn depletion_time(
    window_start: u64,
    window_end: u64,
    paused: bool,
    deposited: u64,
    rate_per_second: u128,
    active_now: u64,
    now: u64,
) -> u64 {
    if paused || window_start == NEVER || now >= window_end || rate_per_second == 0 {
        return NEVER;
    }
    let needed = seconds_to_deplete(deposited, rate_per_second);
    let active = u128::from(active_now);
    if active >= needed {
        return now;
    }
    let at = u128::from(now.max(window_start)) + (needed - active);
    if at > u128::from(window_end) {
        NEVER
    } else {
        at as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_dollars_an_hour_in_six_decimals_is_exact_over_an_hour() {
        // $2.00/h = 2_000_000 units/h; the nano-rate floors 555_555_555.555... units*1e-9/s.
        let rate = 2_000_000u128 * RATE_SCALE / 3600;
        assert_eq!(rate, 555_555_555_555);
        // A whole-unit rate would be 555 units/s: 1_998_000 per hour, 0.1% short.
        assert_eq!(owed(u64::MAX, rate, 3600), 1_999_999);
        assert_eq!(owed(u64::MAX, 555 * RATE_SCALE, 3600), 1_998_000);
    }

    #[test]
    fn pauses_and_exclusions_reduce_active_seconds() {
        assert_eq!(active_seconds(100, NEVER, None, 0, 90), 0);
        assert_eq!(active_seconds(100, NEVER, None, 0, 160), 60);
        assert_eq!(active_seconds(100, 130, None, 0, 160), 30);
        assert_eq!(active_seconds(100, NEVER, Some(150), 0, 160), 50);
        assert_eq!(active_seconds(100, NEVER, Some(50), 0, 160), 0);
        assert_eq!(active_seconds(100, NEVER, None, 25, 160), 35);
        assert_eq!(pause_overlap(50, 120, 100, NEVER), 20);
        assert_eq!(pause_overlap(150, 200, 100, 170), 20);
        assert_eq!(pause_overlap(10, 20, NEVER, NEVER), 0);
    }

    #[test]
    fn depletion_time_is_the_first_second_the_escrow_is_fully_owed() {
        // 1000 units at 3 units/s: 333.33 s -> depleted at second 334.
        let rate = 3 * RATE_SCALE;
        assert_eq!(seconds_to_deplete(1000, rate), 334);
        assert_eq!(depletion_time(0, NEVER, false, 1000, rate, 0, 0), 334);
        assert_eq!(owed(1000, rate, 333), 999);
        assert_eq!(owed(1000, rate, 334), 1000);
        assert_eq!(depletion_time(0, 200, false, 1000, rate, 0, 0), NEVER);
        assert_eq!(depletion_time(0, NEVER, true, 1000, rate, 0, 0), NEVER);
        assert_eq!(depletion_time(0, NEVER, false, 1000, rate, 400, 400), 400);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Owed never exceeds deposits, never decreases with time, and its rounding dust
        /// against the exact rational amount is below one base unit.
        #[test]
        fn owed_is_capped_monotone_and_within_one_unit(
            deposited in any::<u64>(),
            rate in 1u128..=u128::from(u64::MAX) * RATE_SCALE,
            a in any::<u64>(),
            b in any::<u64>(),
        ) {
            let (lo, hi) = (a.min(b), a.max(b));
            let owed_lo = owed(deposited, rate, lo);
            let owed_hi = owed(deposited, rate, hi);
            prop_assert!(owed_lo <= owed_hi);
            prop_assert!(owed_hi <= deposited);
            if let Some(product) = rate.checked_mul(u128::from(hi))
                && owed_hi < deposited
            {
                // owed * 1e9 <= rate * t < (owed + 1) * 1e9
                prop_assert!(u128::from(owed_hi) * RATE_SCALE <= product);
                prop_assert!(product < (u128::from(owed_hi) + 1) * RATE_SCALE);
            }
        }

        /// At the depletion second the escrow is fully owed, one second earlier it is not.
        #[test]
        fn depletion_second_is_tight(deposited in 1u64..=u64::MAX, rate in 1u128..=u128::from(u64::MAX) * RATE_SCALE) {
            let needed = seconds_to_deplete(deposited, rate);
            if let Ok(needed) = u64::try_from(needed) {
                prop_assert_eq!(owed(deposited, rate, needed), deposited);
                prop_assert!(owed(deposited, rate, needed - 1) < deposited);
                prop_assert_eq!(unfunded_seconds(deposited, rate, needed), 0);
                prop_assert_eq!(unfunded_seconds(deposited, rate, needed.saturating_add(7)), needed.saturating_add(7) - needed);
            }
        }

        /// Active seconds never exceed the window's length up to now.
        #[test]
        fn active_never_exceeds_elapsed_window(
            ws in 0u64..1_000_000, len in 0u64..1_000_000, pause in proptest::option::of(0u64..2_000_000),
            excluded in 0u64..1_000_000, now in 0u64..3_000_000,
        ) {
            let we = ws + len;
            let active = active_seconds(ws, we, pause, excluded, now);
            prop_assert!(active <= now.min(we).saturating_sub(ws));
        }
    }
}
