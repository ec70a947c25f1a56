/// Jobs: created by a buyer for a provider, started, completed or failed by the provider,
/// cancelled by the buyer while pending. Job ids count per buyer, so jobs live under the
/// buyer's account and two buyers never contend for one counter.
module computestream::job_registry {
    use std::signer;
    use std::string::{Self, String};
    use aptos_std::table::{Self, Table};
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use computestream::provider_registry;

    /// No job with that id under that buyer.
    const E_JOB_NOT_FOUND: u64 = 10;
    /// The signer is not the job's provider.
    const E_NOT_JOB_PROVIDER: u64 = 11;
    /// The job's status does not allow this transition.
    const E_INVALID_STATUS: u64 = 12;
    /// A maximum duration of zero.
    const E_INVALID_DURATION: u64 = 13;
    /// An empty docker image.
    const E_INVALID_DOCKER_IMAGE: u64 = 14;
    /// The provider is not registered or not accepting jobs.
    const E_PROVIDER_UNAVAILABLE: u64 = 15;
    /// A declared escrow amount of zero.
    const E_INVALID_ESCROW_AMOUNT: u64 = 16;
    /// The job has ended (completed, failed or cancelled).
    const E_JOB_ENDED: u64 = 17;

    const STATUS_PENDING: u8 = 0;
    const STATUS_RUNNING: u8 = 1;
    const STATUS_COMPLETED: u8 = 2;
    const STATUS_FAILED: u8 = 3;
    const STATUS_CANCELLED: u8 = 4;

    /// A job; also what `get_job` returns.
    struct JobInfo has store, copy, drop {
        buyer: address,
        job_id: u64,
        provider: address,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
        status: u8,
        created_at: u64,
        started_at: u64,
        ended_at: u64,
        output_url: String,
    }

    /// A buyer's jobs.
    struct JobStore has key {
        counter: u64,
        jobs: Table<u64, JobInfo>,
    }

    #[event]
    struct JobCreated has drop, store {
        buyer: address,
        job_id: u64,
        provider: address,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
    }

    #[event]
    struct JobStarted has drop, store { buyer: address, job_id: u64, provider: address, started_at: u64 }

    #[event]
    struct JobCompleted has drop, store { buyer: address, job_id: u64, provider: address, ended_at: u64, output_url: String }

    #[event]
    struct JobFailed has drop, store { buyer: address, job_id: u64, provider: address, ended_at: u64 }

    #[event]
    struct JobCancelled has drop, store { buyer: address, job_id: u64, provider: address, ended_at: u64 }

    #[event]
    struct JobRejected has drop, store { buyer: address, job_id: u64, provider: address, ended_at: u64 }

    public entry fun create_job(
        buyer: &signer,
        provider: address,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
    ) acquires JobStore {
        create(buyer, provider, docker_image, escrow_amount, max_duration);
    }

    /// Creates a pending job and returns its id (`create_job` for other modules).
    public fun create(
        buyer: &signer,
        provider: address,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
    ): u64 acquires JobStore {
        assert!(provider_registry::is_available(provider), E_PROVIDER_UNAVAILABLE);
        assert!(!string::is_empty(&docker_image), E_INVALID_DOCKER_IMAGE);
        assert!(max_duration > 0, E_INVALID_DURATION);
        assert!(escrow_amount > 0, E_INVALID_ESCROW_AMOUNT);
        let buyer_addr = signer::address_of(buyer);
        if (!exists<JobStore>(buyer_addr)) {
            move_to(buyer, JobStore { counter: 0, jobs: table::new() });
        };
        let store = borrow_global_mut<JobStore>(buyer_addr);
        let job_id = store.counter + 1;
        store.counter = job_id;
        table::add(&mut store.jobs, job_id, JobInfo {
            buyer: buyer_addr,
            job_id,
            provider,
            docker_image,
            escrow_amount,
            max_duration,
            status: STATUS_PENDING,
            created_at: timestamp::now_seconds(),
            started_at: 0,
            ended_at: 0,
            output_url: string::utf8(b""),
        });
        provider_registry::add_active_job(provider);
        event::emit(JobCreated { buyer: buyer_addr, job_id, provider, docker_image, escrow_amount, max_duration });
        job_id
    }

    inline fun job_mut(buyer: address, job_id: u64): &mut JobInfo {
        assert!(exists<JobStore>(buyer), E_JOB_NOT_FOUND);
        let jobs = &mut borrow_global_mut<JobStore>(buyer).jobs;
        assert!(table::contains(jobs, job_id), E_JOB_NOT_FOUND);
        table::borrow_mut(jobs, job_id)
    }

    inline fun job_ref(buyer: address, job_id: u64): &JobInfo {
        assert!(exists<JobStore>(buyer), E_JOB_NOT_FOUND);
        let jobs = &borrow_global<JobStore>(buyer).jobs;
        assert!(table::contains(jobs, job_id), E_JOB_NOT_FOUND);
        table::borrow(jobs, job_id)
    }

    public entry fun start_job(provider: &signer, buyer: address, job_id: u64) acquires JobStore {
        let provider_addr = signer::address_of(provider);
        let job = job_mut(buyer, job_id);
        assert!(job.provider == provider_addr, E_NOT_JOB_PROVIDER);
        assert!(job.status == STATUS_PENDING, E_INVALID_STATUS);
        let now = timestamp::now_seconds();
        job.status = STATUS_RUNNING;
        job.started_at = now;
        event::emit(JobStarted { buyer, job_id, provider: provider_addr, started_at: now });
    }

    fun end_job(provider: &signer, buyer: address, job_id: u64, outcome: u8, output_url: String): u64 acquires JobStore {
        let provider_addr = signer::address_of(provider);
        let job = job_mut(buyer, job_id);
        assert!(job.provider == provider_addr, E_NOT_JOB_PROVIDER);
        assert!(job.status == STATUS_RUNNING, E_INVALID_STATUS);
        let now = timestamp::now_seconds();
        job.status = outcome;
        job.ended_at = now;
        job.output_url = output_url;
        provider_registry::remove_active_job(provider_addr);
        now
    }

    public entry fun complete_job(provider: &signer, buyer: address, job_id: u64, output_url: String) acquires JobStore {
        let ended_at = end_job(provider, buyer, job_id, STATUS_COMPLETED, output_url);
        event::emit(JobCompleted { buyer, job_id, provider: signer::address_of(provider), ended_at, output_url });
    }

    public entry fun fail_job(provider: &signer, buyer: address, job_id: u64) acquires JobStore {
        let ended_at = end_job(provider, buyer, job_id, STATUS_FAILED, string::utf8(b""));
        event::emit(JobFailed { buyer, job_id, provider: signer::address_of(provider), ended_at });
    }

    public entry fun cancel_job(buyer: &signer, job_id: u64) acquires JobStore {
        let buyer_addr = signer::address_of(buyer);
        let job = job_mut(buyer_addr, job_id);
        assert!(job.status == STATUS_PENDING, E_INVALID_STATUS);
        let now = timestamp::now_seconds();
        job.status = STATUS_CANCELLED;
        job.ended_at = now;
        let provider = job.provider;
        provider_registry::remove_active_job(provider);
        event::emit(JobCancelled { buyer: buyer_addr, job_id, provider, ended_at: now });
    }

    /// The provider turns down a pending job (Pending → Cancelled). Without it anyone could pin a
    /// provider's stake by creating pending jobs it can neither start usefully nor deregister past.
    public entry fun reject_job(provider: &signer, buyer: address, job_id: u64) acquires JobStore {
        let provider_addr = signer::address_of(provider);
        let job = job_mut(buyer, job_id);
        assert!(job.provider == provider_addr, E_NOT_JOB_PROVIDER);
        assert!(job.status == STATUS_PENDING, E_INVALID_STATUS);
        let now = timestamp::now_seconds();
        job.status = STATUS_CANCELLED;
        job.ended_at = now;
        provider_registry::remove_active_job(provider_addr);
        event::emit(JobRejected { buyer, job_id, provider: provider_addr, ended_at: now });
    }

    // -------------------------------------------------------------- for escrow and payment_stream

    /// Aborts `E_JOB_NOT_FOUND` unless the job exists.
    public fun job_provider(buyer: address, job_id: u64): address acquires JobStore {
        job_ref(buyer, job_id).provider
    }

    /// Completed, failed or cancelled.
    public fun is_ended(buyer: address, job_id: u64): bool acquires JobStore {
        let status = job_ref(buyer, job_id).status;
        status == STATUS_COMPLETED || status == STATUS_FAILED || status == STATUS_CANCELLED
    }

    /// Aborts `E_JOB_ENDED` if the job has ended.
    public fun assert_not_ended(buyer: address, job_id: u64) acquires JobStore {
        assert!(!is_ended(buyer, job_id), E_JOB_ENDED);
    }

    /// `(started, started_at, ended, ended_at, max_duration)`: what a stream's window needs.
    public fun window(buyer: address, job_id: u64): (bool, u64, bool, u64, u64) acquires JobStore {
        let job = job_ref(buyer, job_id);
        let started = job.status == STATUS_RUNNING || job.status == STATUS_COMPLETED || job.status == STATUS_FAILED;
        let ended = job.status == STATUS_COMPLETED || job.status == STATUS_FAILED;
        (started, job.started_at, ended, job.ended_at, job.max_duration)
    }

    // -------------------------------------------------------------- views

    #[view]
    public fun get_job(buyer: address, job_id: u64): JobInfo acquires JobStore {
        *job_ref(buyer, job_id)
    }

    #[view]
    public fun get_job_status(buyer: address, job_id: u64): u8 acquires JobStore {
        job_ref(buyer, job_id).status
    }

    #[view]
    public fun is_job_active(buyer: address, job_id: u64): bool acquires JobStore {
        exists<JobStore>(buyer)
            && table::contains(&borrow_global<JobStore>(buyer).jobs, job_id)
            && job_ref(buyer, job_id).status == STATUS_RUNNING
    }

    #[view]
    /// Seconds the job has run, capped at its maximum duration.
    public fun get_job_duration(buyer: address, job_id: u64): u64 acquires JobStore {
        let job = job_ref(buyer, job_id);
        let ran = if (job.status == STATUS_RUNNING) {
            let now = timestamp::now_seconds();
            if (now > job.started_at) { now - job.started_at } else { 0 }
        } else if (job.status == STATUS_COMPLETED || job.status == STATUS_FAILED) {
            job.ended_at - job.started_at
        } else {
            0
        };
        if (ran < job.max_duration) { ran } else { job.max_duration }
    }

    #[view]
    public fun get_job_output_url(buyer: address, job_id: u64): String acquires JobStore {
        job_ref(buyer, job_id).output_url
    }

    #[view]
    /// How many jobs the buyer has created (its latest job id).
    public fun get_job_counter(buyer: address): u64 acquires JobStore {
        if (exists<JobStore>(buyer)) { borrow_global<JobStore>(buyer).counter } else { 0 }
    }

    // -------------------------------------------------------------- event values for tests
    // (a test module cannot pack this module's structs; `event::was_event_emitted` needs one)

    #[test_only]
    public fun job_created_event(
        buyer: address, job_id: u64, provider: address, docker_image: String, escrow_amount: u64, max_duration: u64,
    ): JobCreated {
        JobCreated { buyer, job_id, provider, docker_image, escrow_amount, max_duration }
    }

    #[test_only]
    public fun job_started_event(buyer: address, job_id: u64, provider: address, started_at: u64): JobStarted {
        JobStarted { buyer, job_id, provider, started_at }
    }

    #[test_only]
    public fun job_completed_event(
        buyer: address, job_id: u64, provider: address, ended_at: u64, output_url: String,
    ): JobCompleted {
        JobCompleted { buyer, job_id, provider, ended_at, output_url }
    }

    #[test_only]
    public fun job_failed_event(buyer: address, job_id: u64, provider: address, ended_at: u64): JobFailed {
        JobFailed { buyer, job_id, provider, ended_at }
    }

    #[test_only]
    public fun job_cancelled_event(buyer: address, job_id: u64, provider: address, ended_at: u64): JobCancelled {
        JobCancelled { buyer, job_id, provider, ended_at }
    }

    #[test_only]
    public fun job_rejected_event(buyer: address, job_id: u64, provider: address, ended_at: u64): JobRejected {
        JobRejected { buyer, job_id, provider, ended_at }
    }
}
