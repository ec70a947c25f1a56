//! `job_registry.move` in Rust: the job status machine (Pending → Running → Completed | Failed;
//! Pending → Cancelled). Each function mirrors the Move function of the same name, check for check
//! and in the same order.

use super::*;

impl State {
    pub(super) fn job(&self, buyer: AccountAddress, job_id: u64) -> Exec<&Job> {
        self.jobs.get(&(buyer, job_id)).ok_or(Abort::JobNotFound)
    }

    pub(super) fn job_mut(&mut self, buyer: AccountAddress, job_id: u64) -> Exec<&mut Job> {
        self.jobs
            .get_mut(&(buyer, job_id))
            .ok_or(Abort::JobNotFound)
    }

    pub(super) fn create_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        provider: AccountAddress,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
    ) -> Exec<u64> {
        let available = self.providers.get(&provider).is_some_and(|p| p.is_active);
        ensure(available, Abort::ProviderUnavailable)?;
        ensure(!docker_image.is_empty(), Abort::InvalidDockerImage)?;
        ensure(max_duration > 0, Abort::InvalidDuration)?;
        ensure(escrow_amount > 0, Abort::InvalidEscrowAmount)?;
        let job_id = self.job_counters.get(&sender).copied().unwrap_or(0) + 1;
        self.job_counters.insert(sender, job_id);
        self.jobs.insert(
            (sender, job_id),
            Job {
                buyer: sender,
                job_id,
                provider,
                docker_image: docker_image.clone(),
                escrow_amount,
                max_duration,
                status: JobStatus::Pending,
                created_at: now,
                started_at: 0,
                ended_at: 0,
                output_url: String::new(),
            },
        );
        self.provider_mut(provider)?.active_jobs += 1;
        fx.push(ContractEvent::JobCreated(JobCreated {
            buyer: sender,
            job_id,
            provider,
            docker_image,
            escrow_amount,
            max_duration,
        }));
        Ok(job_id)
    }

    pub(super) fn provider_job_mut(
        &mut self,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        from: JobStatus,
    ) -> Exec<&mut Job> {
        let job = self.job_mut(buyer, job_id)?;
        ensure(job.provider == sender, Abort::NotJobProvider)?;
        ensure(job.status == from, Abort::InvalidStatus)?;
        Ok(job)
    }

    pub(super) fn start_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let job = self.provider_job_mut(sender, buyer, job_id, JobStatus::Pending)?;
        job.status = JobStatus::Running;
        job.started_at = now;
        fx.push(ContractEvent::JobStarted(JobStarted {
            buyer,
            job_id,
            provider: sender,
            started_at: now,
        }));
        Ok(())
    }

    pub(super) fn end_job(
        &mut self,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        outcome: JobStatus,
        output_url: String,
    ) -> Exec {
        let job = self.provider_job_mut(sender, buyer, job_id, JobStatus::Running)?;
        job.status = outcome;
        job.ended_at = now;
        job.output_url = output_url;
        self.provider_mut(sender)?.active_jobs -= 1;
        Ok(())
    }

    pub(super) fn complete_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        output_url: String,
    ) -> Exec {
        self.end_job(
            now,
            sender,
            buyer,
            job_id,
            JobStatus::Completed,
            output_url.clone(),
        )?;
        fx.push(ContractEvent::JobCompleted(JobCompleted {
            buyer,
            job_id,
            provider: sender,
            ended_at: now,
            output_url,
        }));
        Ok(())
    }

    pub(super) fn fail_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        self.end_job(now, sender, buyer, job_id, JobStatus::Failed, String::new())?;
        fx.push(ContractEvent::JobFailed(JobFailed {
            buyer,
            job_id,
            provider: sender,
            ended_at: now,
        }));
        Ok(())
    }

    pub(super) fn cancel_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let job = self.job_mut(sender, job_id)?;
        ensure(job.status == JobStatus::Pending, Abort::InvalidStatus)?;
        job.status = JobStatus::Cancelled;
        job.ended_at = now;
        let provider = job.provider;
        self.provider_mut(provider)?.active_jobs -= 1;
        fx.push(ContractEvent::JobCancelled(JobCancelled {
            buyer: sender,
            job_id,
            provider,
            ended_at: now,
        }));
        Ok(())
    }

    pub(super) fn reject_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let job = self.provider_job_mut(sender, buyer, job_id, JobStatus::Pending)?;
        job.status = JobStatus::Cancelled;
        job.ended_at = now;
        self.provider_mut(sender)?.active_jobs -= 1;
        fx.push(ContractEvent::JobRejected(JobRejected {
            buyer,
            job_id,
            provider: sender,
            ended_at: now,
        }));
        Ok(())
    }

    pub(super) fn job_duration(&self, job: &Job, now: u64) -> u64 {
        match job.status {
            JobStatus::Pending | JobStatus::Cancelled => 0,
            JobStatus::Running => now.saturating_sub(job.started_at).min(job.max_duration),
            JobStatus::Completed | JobStatus::Failed => {
                (job.ended_at - job.started_at).min(job.max_duration)
            }
        }
    }
}
