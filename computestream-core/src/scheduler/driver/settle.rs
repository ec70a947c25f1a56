//! One settlement: read the stream, pay what is claimable, report low balance, depletion and
//! closing, top up for a buyer, and back off on retryable failures.

use super::*;

impl<L: Ledger + Send + Sync + 'static> Driver<L> {
    /// One look at one stream: read it, settle if something is claimable, report, and
    /// schedule the next look.
    pub(super) async fn settle(&self, job: JobId) {
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
            // The signer submits one transaction at a time (see `Signer`).
            let result = s.client.process_payment(&s.signer, job.buyer, job.id).await;
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
        let result = s.client.top_up(&s.signer, job.buyer, job.id, amount).await;
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
