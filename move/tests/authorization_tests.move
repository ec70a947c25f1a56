#[test_only]
/// Who may call what: one test per rule. A rule that restricts the caller is an
/// `#[expected_failure]` test of someone else calling; a permissionless call is a test
/// that a third party succeeds and that the funds still go where they must.
/// Buyer `@0xa11ce`, provider `@0xb0b`, a third party `@0xc0ffee`.
module computestream::authorization_tests {
    use aptos_framework::object;
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;
    use computestream::test_fixtures as tf;

    // -------------------------------------------------------------- provider_registry:
    // a provider's record is changed only by the provider's own account.

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun only_the_provider_updates_its_availability(fx: &signer, admin: &signer, provider: &signer, other: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::update_availability(other, false);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun only_the_provider_updates_its_pricing(fx: &signer, admin: &signer, provider: &signer, other: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::update_pricing(other, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun only_the_provider_deregisters_and_takes_its_stake(fx: &signer, admin: &signer, provider: &signer, other: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::deregister(other);
    }

    // -------------------------------------------------------------- job_registry:
    // only the job's provider starts, completes or fails it; only its buyer cancels it.

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun only_the_jobs_provider_starts_it(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        tf::setup_with_provider(fx, admin, provider);
        // Another registered provider is still not this job's provider.
        provider_registry::register_provider(other, tf::gpu(), tf::vram(), tf::price(), tf::stake());
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(other, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun the_buyer_cannot_start_its_own_job(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(buyer, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun only_the_jobs_provider_completes_it(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(provider, @0xa11ce, 1);
        job_registry::complete_job(buyer, @0xa11ce, 1, std::string::utf8(b"s3://forged"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun only_the_jobs_provider_fails_it(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(provider, @0xa11ce, 1);
        job_registry::fail_job(buyer, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun only_the_buyer_cancels_its_job(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        // Jobs are looked up under the signer: the provider has no job 1.
        job_registry::cancel_job(provider, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun only_the_jobs_provider_rejects_it(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::reject_job(buyer, @0xa11ce, 1);
    }

    // -------------------------------------------------------------- escrow:
    // only the job's buyer escrows for it, only for the job's provider; only the payer refunds.

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun only_the_buyer_escrows_for_its_job(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        let (_, usdc) = tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        escrow::deposit_escrow(other, 1, @0xb0b, object::object_address(&usdc), tf::deposit());
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 23, location = computestream::escrow)]
    fun an_escrow_pays_only_the_jobs_provider(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        let (_, usdc) = tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        escrow::deposit_escrow(buyer, 1, @0xc0ffee, object::object_address(&usdc), tf::deposit());
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun only_the_payer_refunds_its_escrow(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        tf::setup_with_escrow(fx, admin, buyer, provider);
        job_registry::cancel_job(buyer, 1);
        // Escrows are looked up under the signer: the third party has none.
        escrow::refund_escrow(other, 1);
    }

    // -------------------------------------------------------------- payment_stream:
    // only the payer opens, pauses and resumes; the payee must be the escrow's provider;
    // the payer or the payee closes; anyone settles and anyone tops up.

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun only_the_payer_opens_a_stream_on_its_escrow(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_escrow(fx, admin, buyer, provider);
        // The provider cannot open a stream to itself from the buyer's escrow.
        payment_stream::open_stream(provider, 1, @0xb0b, tf::price());
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 33, location = computestream::payment_stream)]
    fun a_stream_pays_only_the_escrows_provider(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_escrow(fx, admin, buyer, provider);
        payment_stream::open_stream(buyer, 1, @0xc0ffee, tf::price());
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun only_the_payer_pauses(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        payment_stream::pause_stream(provider, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun only_the_payer_resumes(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        payment_stream::pause_stream(buyer, 1);
        payment_stream::resume_stream(provider, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    #[expected_failure(abort_code = 37, location = computestream::payment_stream)]
    fun only_the_payer_or_payee_closes(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        payment_stream::close_stream(other, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun the_payee_may_close(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        let usdc = tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::close_stream(provider, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 200_000, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5_000_000 - 200_000, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    fun anyone_may_settle_and_only_the_payee_is_paid(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        let usdc = tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::process_payment(other, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 200_000, 1);
        assert!(primary_fungible_store::balance(@0xc0ffee, usdc) == 5_000_000, 2);
        assert!(escrow::get_released_amount(@0xa11ce, 1) == 200_000, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, other = @0xc0ffee)]
    fun anyone_may_top_up_and_refunds_go_to_the_payer(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, other: &signer,
    ) {
        let usdc = tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::top_up(other, @0xa11ce, 1, 500_000);
        assert!(primary_fungible_store::balance(@0xc0ffee, usdc) == 4_500_000, 1);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        // 100 s at 2000/s paid; the rest of both deposits goes back to the payer.
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 200_000, 2);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5_000_000 - 200_000 + 500_000, 3);
        assert!(primary_fungible_store::balance(@0xc0ffee, usdc) == 4_500_000, 4);
    }
}
