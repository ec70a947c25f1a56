//! `payment_stream.move` in Rust: streams: accrual, settlement, pause/resume, top-up, close and
//! `rent`. Each function mirrors the Move function of the same name, check for check and in the
//! same order.

use super::*;

impl State {
    pub(super) fn stream_rec(&self, payer: AccountAddress, job_id: u64) -> Exec<&StreamRec> {
        self.streams
            .get(&(payer, job_id))
            .ok_or(Abort::StreamNotFound)
    }

    pub(super) fn stream_rec_mut(
        &mut self,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec<&mut StreamRec> {
        self.streams
            .get_mut(&(payer, job_id))
            .ok_or(Abort::StreamNotFound)
    }

    /// The stream as `get_stream` returns it: its record, its window and its escrow's totals.
    pub(super) fn stream(&self, payer: AccountAddress, job_id: u64) -> Exec<Stream> {
        let s = self.stream_rec(payer, job_id)?;
        let job = self.job(payer, job_id)?;
        let escrow = self.escrow(payer, job_id)?;
        let (window_start, window_end) = match job.status {
            JobStatus::Pending | JobStatus::Cancelled => (NEVER, NEVER),
            JobStatus::Running | JobStatus::Completed | JobStatus::Failed => {
                let start = job.started_at.max(s.opened_at);
                let mut end = job.started_at.saturating_add(job.max_duration);
                if job.status.is_terminal() {
                    end = end.min(job.ended_at);
                }
                if s.is_closed {
                    end = end.min(s.closed_at);
                }
                (start, end.max(start))
            }
        };
        Ok(Stream {
            payer,
            job_id,
            payee: s.payee,
            asset: s.asset,
            rate_per_second: Rate(s.rate),
            opened_at: s.opened_at,
            window_start,
            window_end,
            is_paused: s.is_paused,
            paused_at: s.paused_at,
            excluded_seconds: s.excluded_seconds,
            is_closed: s.is_closed,
            closed_at: s.closed_at,
            deposited: escrow.deposited,
            paid: escrow.paid,
        })
    }

    pub(super) fn open_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
        payee: AccountAddress,
        rate_per_second: u128,
    ) -> Exec {
        ensure(rate_per_second > 0, Abort::InvalidRate)?;
        let escrow = self.escrow(sender, job_id)?;
        ensure(escrow.is_active, Abort::EscrowInactive)?;
        ensure(escrow.payee == payee, Abort::PayeeMismatch)?;
        ensure(
            !self.streams.contains_key(&(sender, job_id)),
            Abort::StreamAlreadyExists,
        )?;
        ensure(
            !self.job(sender, job_id)?.status.is_terminal(),
            Abort::JobEnded,
        )?;
        let escrow = self.escrow_mut(sender, job_id)?;
        escrow.has_stream = true;
        let (asset, deposited) = (escrow.asset, escrow.deposited);
        self.streams.insert(
            (sender, job_id),
            StreamRec {
                payee,
                asset,
                rate: rate_per_second,
                opened_at: now,
                is_paused: false,
                paused_at: 0,
                excluded_seconds: 0,
                is_closed: false,
                closed_at: 0,
            },
        );
        fx.push(ContractEvent::StreamOpened(StreamOpened {
            payer: sender,
            job_id,
            payee,
            asset: asset.0,
            rate_per_second,
            deposited,
        }));
        Ok(())
    }

    pub(super) fn open_stream_rec(&self, payer: AccountAddress, job_id: u64) -> Exec<&StreamRec> {
        let s = self.stream_rec(payer, job_id)?;
        ensure(!s.is_closed, Abort::StreamClosed)?;
        Ok(s)
    }

    /// Pays the payee what the stream owes at `now` beyond what it was paid.
    pub(super) fn settle(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let stream = self.stream(payer, job_id)?;
        let due = stream.claimable_at(now);
        if due == 0 {
            return Ok(());
        }
        self.transfer(self.escrow_vault(), stream.payee, stream.asset, due)?;
        let escrow = self.escrow_mut(payer, job_id)?;
        escrow.paid += due;
        fx.push(ContractEvent::PaymentProcessed(PaymentProcessed {
            payer,
            job_id,
            payee: stream.payee,
            amount: due,
            total_paid: escrow.paid,
            remaining: escrow.deposited - escrow.paid,
        }));
        Ok(())
    }

    pub(super) fn process_payment(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        self.open_stream_rec(payer, job_id)?;
        self.settle(fx, now, payer, job_id)
    }

    pub(super) fn pause_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        ensure(
            !self.open_stream_rec(sender, job_id)?.is_paused,
            Abort::AlreadyPaused,
        )?;
        let s = self.stream_rec_mut(sender, job_id)?;
        s.is_paused = true;
        s.paused_at = now;
        fx.push(ContractEvent::StreamPaused(StreamPaused {
            payer: sender,
            job_id,
            paused_at: now,
        }));
        Ok(())
    }

    pub(super) fn resume_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        ensure(
            self.open_stream_rec(sender, job_id)?.is_paused,
            Abort::NotPaused,
        )?;
        let stream = self.stream(sender, job_id)?;
        let overlap = math::pause_overlap(
            stream.paused_at,
            now,
            stream.window_start,
            stream.window_end,
        );
        let s = self.stream_rec_mut(sender, job_id)?;
        s.is_paused = false;
        s.excluded_seconds += overlap;
        let excluded_seconds = s.excluded_seconds;
        fx.push(ContractEvent::StreamResumed(StreamResumed {
            payer: sender,
            job_id,
            resumed_at: now,
            excluded_seconds,
        }));
        Ok(())
    }

    pub(super) fn top_up(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        payer: AccountAddress,
        job_id: u64,
        amount: u64,
    ) -> Exec {
        ensure(amount > 0, Abort::InvalidTopUp)?;
        self.open_stream_rec(payer, job_id)?;
        let stream = self.stream(payer, job_id)?;
        let unfunded = math::unfunded_seconds(
            stream.deposited,
            stream.rate_per_second.0,
            stream.active_seconds(now),
        );
        self.transfer(sender, self.escrow_vault(), stream.asset, amount)?;
        self.stream_rec_mut(payer, job_id)?.excluded_seconds += unfunded;
        let escrow = self.escrow_mut(payer, job_id)?;
        escrow.deposited += amount;
        fx.push(ContractEvent::EscrowToppedUp(EscrowToppedUp {
            payer,
            job_id,
            funder: sender,
            amount,
            total_deposited: escrow.deposited,
        }));
        Ok(())
    }

    pub(super) fn close_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let s = self.open_stream_rec(payer, job_id)?;
        ensure(sender == payer || sender == s.payee, Abort::NotStreamParty)?;
        self.settle(fx, now, payer, job_id)?;
        let s = self.stream_rec_mut(payer, job_id)?;
        s.is_closed = true;
        s.closed_at = now;
        self.refund_remaining(fx, payer, job_id, false)?;
        let escrow = self.escrow(payer, job_id)?;
        fx.push(ContractEvent::StreamClosed(StreamClosed {
            payer,
            job_id,
            closed_by: sender,
            total_paid: escrow.paid,
            total_refunded: escrow.refunded,
        }));
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn rent(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        provider: AccountAddress,
        docker_image: String,
        asset: AccountAddress,
        deposit: u64,
        max_duration: u64,
        max_rate_per_second: u128,
    ) -> Exec {
        let price = self
            .providers
            .get(&provider)
            .ok_or(Abort::ProviderNotFound)?
            .price_per_second
            .0;
        ensure(price <= max_rate_per_second, Abort::RateAboveMax)?;
        let job_id = self.create_job(
            fx,
            now,
            sender,
            provider,
            docker_image,
            deposit,
            max_duration,
        )?;
        self.deposit_escrow(fx, sender, job_id, provider, asset, deposit)?;
        self.open_stream(fx, now, sender, job_id, provider, price)
    }
}
