//! When to settle a stream. Settlement (`process_payment`) is lazy, permissionless and
//! idempotent on chain: a [`StreamScheduler`] policy only decides *when* the next one is worth
//! a transaction, given the stream's record and the chain time. The [`driver`] (feature
//! `driver`) runs many streams under one policy.
//!
//! Transactions per job-hour for a stream that accrues for the whole hour (see
//! `scripts/bench-scheduler` for the measured table): every second 3,600; every 60 s 60;
//! an owed threshold of T base units `rate × 3600 / T`; before depletion 1 (plus the close).

#[cfg(feature = "driver")]
pub mod driver;

use crate::math;
use crate::types::Stream;

/// The policy a name gives, as the command line and configuration files write it:
/// `every-second`, `interval:N` (seconds), `threshold:UNITS` (owed base units) or
/// `before-depletion:N` (seconds of margin).
pub fn policy_from_name(text: &str) -> crate::Result<Box<dyn StreamScheduler>> {
    let invalid = |why: &str| crate::Error::InvalidArgument(format!("policy {text:?}: {why}"));
    let (name, arg) = text.split_once(':').unwrap_or((text, ""));
    let n = || {
        arg.parse::<u64>()
            .map_err(|_| invalid("expected a whole number after ':'"))
    };
    Ok(match name {
        "every-second" if arg.is_empty() => Box::new(EverySecond),
        "interval" => Box::new(FixedInterval(n()?)),
        "threshold" => Box::new(OwedThreshold(n()?)),
        "before-depletion" => Box::new(BeforeDepletion(n()?)),
        _ => {
            return Err(invalid(
                "expected every-second, interval:N, threshold:UNITS or before-depletion:N",
            ));
        }
    })
}

/// A policy: when should this stream next be settled?
pub trait StreamScheduler: Send + Sync {
    /// The chain second of the next settlement of `stream`, which was last settled at
    /// `last_settled` (chain seconds; its open time if never), as of chain time `now`.
    /// `None`: nothing will become claimable under the current state (closed, paused, not
    /// started, or fully paid); the driver asks again after any change it sees.
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64>;

    /// A short name for reports.
    fn name(&self) -> String;
}

/// The chain second at which `stream` will owe at least `target` in total, if it keeps
/// accruing without a pause; `None` if it never will (closed, paused, not started, or
/// `target` beyond the deposit or the window).
pub fn time_owed_reaches(stream: &Stream, target: u64, now: u64) -> Option<u64> {
    if stream.owed_at(now) >= target {
        return Some(now);
    }
    if !stream.is_accruing(now) || target > stream.deposited {
        return None;
    }
    let needed = math::seconds_to_deplete(target, stream.rate_per_second.nanos_per_second());
    let active = u128::from(stream.active_seconds(now));
    let at = u128::from(now) + needed.checked_sub(active)?;
    let at = u64::try_from(at).ok()?;
    (at <= stream.window_end).then_some(at)
}

fn has_something_to_pay(stream: &Stream, now: u64) -> bool {
    !stream.is_closed && (stream.claimable_at(now) > 0 || stream.is_accruing(now))
}

/// Every second while it accrues: what the prototype did (3,600 transactions per job-hour).
#[derive(Clone, Copy, Debug, Default)]
pub struct EverySecond;

impl StreamScheduler for EverySecond {
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64> {
        has_something_to_pay(stream, now).then(|| (last_settled + 1).max(now))
    }

    fn name(&self) -> String {
        "every second".into()
    }
}

/// Every `seconds` while it accrues.
#[derive(Clone, Copy, Debug)]
pub struct FixedInterval(pub u64);

impl StreamScheduler for FixedInterval {
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64> {
        has_something_to_pay(stream, now).then(|| (last_settled + self.0.max(1)).max(now))
    }

    fn name(&self) -> String {
        format!("every {} s", self.0)
    }
}

/// When at least this many base units are claimable (and at the end of accrual, so the last
/// partial amount is paid too).
#[derive(Clone, Copy, Debug)]
pub struct OwedThreshold(pub u64);

impl StreamScheduler for OwedThreshold {
    fn next_settlement(&self, stream: &Stream, _last_settled: u64, now: u64) -> Option<u64> {
        if stream.is_closed {
            return None;
        }
        let target = stream.paid.saturating_add(self.0.max(1));
        if let Some(at) = time_owed_reaches(stream, target.min(stream.deposited), now) {
            return Some(at);
        }
        // Accrual ends (window end or depletion) before the threshold: settle the rest then.
        if stream.claimable_at(now) > 0 && !stream.is_accruing(now) {
            return Some(now);
        }
        end_of_accrual(stream, now)
    }

    fn name(&self) -> String {
        format!("owed >= {}", self.0)
    }
}

/// When accrual will stop under the current state: the earlier of depletion and the window's
/// end, if either is in the future.
fn end_of_accrual(stream: &Stream, now: u64) -> Option<u64> {
    if !stream.is_accruing(now) {
        return None;
    }
    let depletion = stream.depletion_time(now);
    let end = depletion.min(stream.window_end);
    (end != math::NEVER).then_some(end)
}

/// `margin` seconds before the escrow runs out (so the provider holds what it earned before
/// the stream stops paying), then at depletion or the window's end.
#[derive(Clone, Copy, Debug)]
pub struct BeforeDepletion(pub u64);

impl StreamScheduler for BeforeDepletion {
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64> {
        if stream.is_closed {
            return None;
        }
        if stream.claimable_at(now) > 0 && !stream.is_accruing(now) {
            return Some(now);
        }
        let end = end_of_accrual(stream, now)?;
        let early = end.saturating_sub(self.0);
        Some(if early > now && early > last_settled {
            early
        } else {
            end.max(now)
        })
    }

    fn name(&self) -> String {
        format!("{} s before depletion", self.0)
    }
}

/// Another policy's settlements before the end of accrual only: for a payee that closes the
/// stream itself when accrual ends (the close settles, so a settlement at the end would be a
/// wasted transaction). The provider daemon runs its `--policy` this way.
pub struct BeforeClose(pub Box<dyn StreamScheduler>);

impl std::fmt::Debug for BeforeClose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl StreamScheduler for BeforeClose {
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64> {
        let end = end_of_accrual(stream, now)?;
        self.0
            .next_settlement(stream, last_settled, now)
            .filter(|&at| at < end)
    }

    fn name(&self) -> String {
        format!("{}, none at the end (the close settles)", self.0.name())
    }
}

/// The earliest of several policies.
pub struct Earliest(pub Vec<Box<dyn StreamScheduler>>);

impl std::fmt::Debug for Earliest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl StreamScheduler for Earliest {
    fn next_settlement(&self, stream: &Stream, last_settled: u64, now: u64) -> Option<u64> {
        self.0
            .iter()
            .filter_map(|p| p.next_settlement(stream, last_settled, now))
            .min()
    }

    fn name(&self) -> String {
        let names: Vec<String> = self.0.iter().map(|p| p.name()).collect();
        format!("earliest of ({})", names.join(", "))
    }
}

/// Simulates `policy` over a stream that accrues from `start` for `seconds` and counts the
/// settlement transactions it asks for (the final close not included). Used by the report
/// of transactions per job-hour.
pub fn settlements_over(policy: &dyn StreamScheduler, stream: &Stream, seconds: u64) -> u64 {
    let mut s = stream.clone();
    let start = s.window_start;
    let (mut last, mut count) = (start, 0);
    let mut now = start;
    while let Some(at) = policy.next_settlement(&s, last, now) {
        if at > start + seconds {
            break;
        }
        now = at.max(now);
        let claimable = s.claimable_at(now);
        if claimable > 0 {
            s.paid += claimable;
            count += 1;
        }
        last = now;
        if claimable == 0 && at == now {
            // Nothing to pay at a due time: step on so a policy cannot stall the simulation.
            now += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_named_as_the_command_line_writes_them() {
        for (name, expected) in [
            ("every-second", EverySecond.name()),
            ("interval:60", FixedInterval(60).name()),
            ("threshold:100000", OwedThreshold(100_000).name()),
            ("before-depletion:10", BeforeDepletion(10).name()),
        ] {
            assert_eq!(policy_from_name(name).unwrap().name(), expected);
        }
        for bad in [
            "",
            "hourly",
            "interval",
            "interval:x",
            "every-second:3",
            "threshold:-1",
        ] {
            let err = policy_from_name(bad).err().expect(bad);
            assert_eq!(err.code(), "INVALID_INPUT", "{bad}");
        }
    }
    use crate::types::{AccountAddress, AssetId, Rate};

    /// $7.20/h in 6 decimals (2,000 units/s), funded for `secs`, started at 1000.
    fn stream(secs: u64) -> Stream {
        Stream {
            payer: AccountAddress::ONE,
            job_id: 1,
            payee: crate::types::address_from_u64(2),
            asset: AssetId(crate::types::address_from_u64(3)),
            rate_per_second: Rate::per_second(2_000),
            opened_at: 1_000,
            window_start: 1_000,
            window_end: 1_000 + 7_200,
            is_paused: false,
            paused_at: 0,
            excluded_seconds: 0,
            is_closed: false,
            closed_at: 0,
            deposited: 2_000 * secs,
            paid: 0,
        }
    }

    #[test]
    fn policies_pick_the_expected_times() {
        let s = stream(3_600);
        assert_eq!(EverySecond.next_settlement(&s, 1_000, 1_000), Some(1_001));
        assert_eq!(
            FixedInterval(60).next_settlement(&s, 1_000, 1_010),
            Some(1_060)
        );
        // 10,000 units at 2,000/s: 5 s after start.
        assert_eq!(
            OwedThreshold(10_000).next_settlement(&s, 1_000, 1_000),
            Some(1_005)
        );
        // Depletes at 4,600; 30 s margin.
        assert_eq!(
            BeforeDepletion(30).next_settlement(&s, 1_000, 1_000),
            Some(4_570)
        );
        assert_eq!(
            BeforeDepletion(30).next_settlement(&s, 4_570, 4_570),
            Some(4_600)
        );
        let e = Earliest(vec![
            Box::new(FixedInterval(600)),
            Box::new(BeforeDepletion(30)),
        ]);
        assert_eq!(e.next_settlement(&s, 1_000, 1_000), Some(1_600));
        // The settlement at depletion is left to the close.
        let b = BeforeClose(Box::new(BeforeDepletion(30)));
        assert_eq!(b.next_settlement(&s, 1_000, 1_000), Some(4_570));
        assert_eq!(b.next_settlement(&s, 4_570, 4_570), None);
        assert_eq!(
            BeforeClose(Box::new(EverySecond)).next_settlement(&s, 4_599, 4_599),
            None
        );
    }

    #[test]
    fn nothing_is_scheduled_for_a_closed_paused_or_unstarted_stream() {
        let mut closed = stream(3_600);
        closed.is_closed = true;
        let mut paused = stream(3_600);
        paused.is_paused = true;
        paused.paused_at = 1_000;
        let mut pending = stream(3_600);
        pending.window_start = math::NEVER;
        for s in [&closed, &paused, &pending] {
            for p in [
                &EverySecond as &dyn StreamScheduler,
                &FixedInterval(60),
                &OwedThreshold(1),
                &BeforeDepletion(5),
            ] {
                assert_eq!(p.next_settlement(s, 1_000, 1_000), None, "{}", p.name());
            }
        }
    }

    #[test]
    fn transactions_per_job_hour() {
        let s = stream(3_600);
        assert_eq!(settlements_over(&EverySecond, &s, 3_600), 3_600);
        assert_eq!(settlements_over(&FixedInterval(60), &s, 3_600), 60);
        assert_eq!(settlements_over(&OwedThreshold(720_000), &s, 3_600), 10);
        assert_eq!(settlements_over(&BeforeDepletion(60), &s, 3_600), 2);
    }

    #[test]
    fn owed_threshold_settles_the_remainder_when_accrual_ends() {
        // Funded for 7 s: a 10-second threshold is never reached; settle at depletion.
        let s = stream(7);
        assert_eq!(
            OwedThreshold(20_000).next_settlement(&s, 1_000, 1_000),
            Some(1_007)
        );
        assert_eq!(
            OwedThreshold(20_000).next_settlement(&s, 1_000, 1_009),
            Some(1_009)
        );
    }
}
