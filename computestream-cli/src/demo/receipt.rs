//! The demo's receipt: the final state read back, the conservation checks, and the printout.

use computestream_core::{JobId, Rate, math};
use serde::Serialize;

use super::{Demo, failed};

/// One party's balance of the streamed asset.
#[derive(Clone, Debug, Serialize)]
pub(super) struct PartyBalance {
    /// `agent` or `provider`.
    name: &'static str,
    /// Its account.
    address: String,
    /// After the provider registered, before the agent paid.
    before: String,
    /// After the stream closed.
    after: String,
}

/// What the demo did (printed by [`print_receipt`], or as JSON with `--json`).
#[derive(Clone, Debug, Serialize)]
pub(super) struct Receipt {
    /// BUYER/ID.
    pub(super) job: String,
    /// The settlement policy's name.
    pub(super) policy: String,
    /// The stream's price.
    pub(super) rate_per_hour: String,
    /// Escrowed by the agent's payment.
    pub(super) deposited: String,
    /// Paid to the provider.
    pub(super) paid: String,
    /// Returned to the agent at close.
    pub(super) refunded: String,
    /// Seconds the stream was billed for.
    pub(super) active_seconds: u64,
    /// Settlements the scheduler made.
    pub(super) settlements: u64,
    /// Settlements scaled to an hour of the job.
    pub(super) transactions_per_job_hour: f64,
    /// The agent's and the provider's balances.
    pub(super) balances: Vec<PartyBalance>,
    /// (hash, what) of every transaction, in order.
    pub(super) transactions: Vec<(String, String)>,
    /// (what, held) of every conservation check.
    pub(super) checks: Vec<(String, bool)>,
}

impl Receipt {
    /// Whether every check held.
    pub(super) fn ok(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }
}

impl Demo {
    /// The closed stream and escrow, the balances after, and the checks that every unit is
    /// accounted for: the agent paid exactly rate × billed seconds, the provider got it, the
    /// rest came back.
    pub(super) async fn receipt(
        &self,
        job: JobId,
        policy: &dyn computestream_core::scheduler::StreamScheduler,
        settlements: u64,
        before: [u64; 2],
    ) -> Result<Receipt, String> {
        let fmt = |units| self.coin.format(units);
        let (s, _) = self.chain.stream_now(job).await?;
        let escrow = self
            .chain
            .client
            .get_escrow(job.buyer, job.id)
            .await
            .map_err(failed("get_escrow"))?;
        let active = s.window_end.saturating_sub(s.window_start);
        let after = self.balances().await?;
        let expected = math::owed(
            escrow.deposited,
            s.rate_per_second.nanos_per_second(),
            active,
        );
        let checks = vec![
            (
                "deposited = paid + refunded".to_string(),
                escrow.deposited == escrow.paid + escrow.refunded,
            ),
            (
                format!("paid = rate × {active} s, floored"),
                escrow.paid == expected,
            ),
            (
                "the agent's balance fell by exactly what was paid".to_string(),
                i128::from(before[0]) - i128::from(after[0]) == i128::from(escrow.paid),
            ),
            (
                "the provider's balance rose by exactly what was paid".to_string(),
                i128::from(after[1]) - i128::from(before[1]) == i128::from(escrow.paid),
            ),
            ("the stream is closed".to_string(), s.is_closed),
        ];
        // The policy over an hour of this stream, funded for the hour (the run itself is too
        // short to extrapolate from: its first and last seconds are not typical).
        let mut hour = s.clone();
        hour.is_closed = false;
        hour.is_paused = false;
        hour.paid = 0;
        hour.excluded_seconds = 0;
        hour.window_end = hour.window_start.saturating_add(3_600);
        hour.deposited =
            u64::try_from(Rate::amount_for(s.rate_per_second, 3_600)).unwrap_or(u64::MAX);
        let per_hour = computestream_core::scheduler::settlements_over(policy, &hour, 3_600) as f64;
        Ok(Receipt {
            job: job.to_string(),
            policy: policy.name(),
            rate_per_hour: fmt(Rate::amount_for(s.rate_per_second, 3_600) as u64),
            deposited: fmt(escrow.deposited),
            paid: fmt(escrow.paid),
            refunded: fmt(escrow.refunded),
            active_seconds: active,
            settlements,
            transactions_per_job_hour: per_hour,
            balances: vec![
                PartyBalance {
                    name: "agent",
                    address: self.parties.agent.address().to_hex(),
                    before: fmt(before[0]),
                    after: fmt(after[0]),
                },
                PartyBalance {
                    name: "provider",
                    address: self.parties.provider.address().to_hex(),
                    before: fmt(before[1]),
                    after: fmt(after[1]),
                },
            ],
            transactions: self.txns.clone(),
            checks,
        })
    }
}

/// The receipt for a person.
pub(super) fn print_receipt(r: &Receipt) {
    println!("\nreceipt for job {}", r.job);
    println!("  rate            {} per hour", r.rate_per_hour);
    println!("  billed seconds  {}", r.active_seconds);
    println!("  escrow          {}", r.deposited);
    println!("  paid            {}", r.paid);
    println!("  refunded        {}", r.refunded);
    println!(
        "  settlement      {} ({} settlements, {:.0} transactions per job-hour)",
        r.policy, r.settlements, r.transactions_per_job_hour
    );
    for b in &r.balances {
        println!("  {:<9} {}  {} -> {}", b.name, b.address, b.before, b.after);
    }
    println!("  transactions");
    for (hash, what) in &r.transactions {
        println!("    {hash}  {what}");
    }
    for (check, ok) in &r.checks {
        println!("  {} {check}", if *ok { "ok  " } else { "FAIL" });
    }
}
