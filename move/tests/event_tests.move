#[test_only]
/// Every entry function emits the events `move/README.md` lists for it, with these values
/// (`event::was_event_emitted`), and no more of them than it should (`event::emitted_events`).
module computestream::event_tests {
    use std::string::utf8;
    use std::vector;
    use aptos_framework::event;
    use aptos_framework::object;
    use aptos_framework::timestamp;
    use computestream::escrow::{Self, EscrowDeposited, EscrowRefunded, EscrowToppedUp};
    use computestream::job_registry::{Self, JobCancelled, JobCompleted, JobCreated, JobFailed, JobRejected, JobStarted};
    use computestream::payment_stream::{
        Self, PaymentProcessed, StreamClosed, StreamOpened, StreamPaused, StreamResumed,
    };
    use computestream::provider_registry::{
        Self, ProviderAvailabilityUpdated, ProviderDeregistered, ProviderEndpointUpdated, ProviderPricingUpdated, ProviderRegistered,
    };
    use computestream::test_fixtures as tf;

    // -------------------------------------------------------------- provider_registry

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun register_provider_emits_provider_registered(fx: &signer, admin: &signer, provider: &signer) {
        tf::setup(fx, admin);
        assert!(vector::is_empty(&event::emitted_events<ProviderRegistered>()), 1);
        provider_registry::register_provider(provider, tf::gpu(), tf::vram(), tf::price(), tf::stake());
        assert!(vector::length(&event::emitted_events<ProviderRegistered>()) == 1, 2);
        assert!(event::was_event_emitted(&provider_registry::provider_registered_event(
            @0xb0b, tf::gpu(), tf::vram(), tf::price(), tf::stake(),
        )), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun update_availability_emits_provider_availability_updated(fx: &signer, admin: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::update_availability(provider, false);
        provider_registry::update_availability(provider, true);
        assert!(vector::length(&event::emitted_events<ProviderAvailabilityUpdated>()) == 2, 1);
        assert!(event::was_event_emitted(&provider_registry::provider_availability_updated_event(@0xb0b, false)), 2);
        assert!(event::was_event_emitted(&provider_registry::provider_availability_updated_event(@0xb0b, true)), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun update_pricing_emits_provider_pricing_updated(fx: &signer, admin: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::update_pricing(provider, 3_000_000_000_000);
        assert!(vector::length(&event::emitted_events<ProviderPricingUpdated>()) == 1, 1);
        assert!(event::was_event_emitted(&provider_registry::provider_pricing_updated_event(
            @0xb0b, tf::price(), 3_000_000_000_000,
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun update_endpoint_emits_provider_endpoint_updated(fx: &signer, admin: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example/"));
        assert!(vector::length(&event::emitted_events<ProviderEndpointUpdated>()) == 1, 1);
        assert!(event::was_event_emitted(&provider_registry::provider_endpoint_updated_event(
            @0xb0b, utf8(b"https://gpu.example/"),
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun deregister_emits_provider_deregistered(fx: &signer, admin: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        provider_registry::deregister(provider);
        assert!(vector::length(&event::emitted_events<ProviderDeregistered>()) == 1, 1);
        assert!(event::was_event_emitted(&provider_registry::provider_deregistered_event(@0xb0b, tf::stake())), 2);
    }

    // -------------------------------------------------------------- job_registry

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun create_job_emits_job_created(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        assert!(vector::length(&event::emitted_events<JobCreated>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_created_event(
            @0xa11ce, 1, @0xb0b, tf::image(), tf::deposit(), tf::max_duration(),
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun start_job_emits_job_started(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        timestamp::update_global_time_for_test_secs(1010);
        job_registry::start_job(provider, @0xa11ce, 1);
        assert!(vector::length(&event::emitted_events<JobStarted>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_started_event(@0xa11ce, 1, @0xb0b, 1010)), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun complete_job_emits_job_completed(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1100);
        job_registry::complete_job(provider, @0xa11ce, 1, utf8(b"s3://out/1"));
        assert!(vector::length(&event::emitted_events<JobCompleted>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_completed_event(
            @0xa11ce, 1, @0xb0b, 1100, utf8(b"s3://out/1"),
        )), 2);
        assert!(vector::is_empty(&event::emitted_events<JobFailed>()), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun fail_job_emits_job_failed(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1100);
        job_registry::fail_job(provider, @0xa11ce, 1);
        assert!(vector::length(&event::emitted_events<JobFailed>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_failed_event(@0xa11ce, 1, @0xb0b, 1100)), 2);
        assert!(vector::is_empty(&event::emitted_events<JobCompleted>()), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun cancel_job_emits_job_cancelled(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        timestamp::update_global_time_for_test_secs(1020);
        job_registry::cancel_job(buyer, 1);
        assert!(vector::length(&event::emitted_events<JobCancelled>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_cancelled_event(@0xa11ce, 1, @0xb0b, 1020)), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun reject_job_emits_job_rejected(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, tf::image(), tf::deposit(), tf::max_duration());
        timestamp::update_global_time_for_test_secs(1020);
        job_registry::reject_job(provider, @0xa11ce, 1);
        assert!(vector::length(&event::emitted_events<JobRejected>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_rejected_event(@0xa11ce, 1, @0xb0b, 1020)), 2);
        assert!(job_registry::get_job_status(@0xa11ce, 1) == 4, 3);
    }

    // -------------------------------------------------------------- escrow

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun deposit_escrow_emits_escrow_deposited(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        let usdc = tf::setup_with_escrow(fx, admin, buyer, provider);
        assert!(vector::length(&event::emitted_events<EscrowDeposited>()) == 1, 1);
        assert!(event::was_event_emitted(&escrow::escrow_deposited_event(
            @0xa11ce, 1, @0xb0b, object::object_address(&usdc), tf::deposit(), tf::deposit(),
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun refund_escrow_emits_escrow_refunded(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_escrow(fx, admin, buyer, provider);
        job_registry::cancel_job(buyer, 1);
        escrow::refund_escrow(buyer, 1);
        assert!(vector::length(&event::emitted_events<EscrowRefunded>()) == 1, 1);
        assert!(event::was_event_emitted(&escrow::escrow_refunded_event(
            @0xa11ce, 1, tf::deposit(), tf::deposit(),
        )), 2);
    }

    // -------------------------------------------------------------- payment_stream

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun open_stream_emits_stream_opened(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        let usdc = tf::setup_with_escrow(fx, admin, buyer, provider);
        payment_stream::open_stream(buyer, 1, @0xb0b, 1_500_000_000_000);
        assert!(vector::length(&event::emitted_events<StreamOpened>()) == 1, 1);
        assert!(event::was_event_emitted(&payment_stream::stream_opened_event(
            @0xa11ce, 1, @0xb0b, object::object_address(&usdc), 1_500_000_000_000, tf::deposit(),
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, anyone = @0xc0ffee)]
    fun process_payment_emits_payment_processed_once(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, anyone: &signer,
    ) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::process_payment(anyone, @0xa11ce, 1);
        // Nothing more is owed at the same second: no second event.
        payment_stream::process_payment(anyone, @0xa11ce, 1);
        assert!(vector::length(&event::emitted_events<PaymentProcessed>()) == 1, 1);
        assert!(event::was_event_emitted(&payment_stream::payment_processed_event(
            @0xa11ce, 1, @0xb0b, 200_000, 200_000, 800_000,
        )), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun pause_stream_emits_stream_paused(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::pause_stream(buyer, 1);
        assert!(vector::length(&event::emitted_events<StreamPaused>()) == 1, 1);
        assert!(event::was_event_emitted(&payment_stream::stream_paused_event(@0xa11ce, 1, 1100)), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun resume_stream_emits_stream_resumed(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::pause_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1150);
        payment_stream::resume_stream(buyer, 1);
        assert!(vector::length(&event::emitted_events<StreamResumed>()) == 1, 1);
        assert!(event::was_event_emitted(&payment_stream::stream_resumed_event(@0xa11ce, 1, 1150, 50)), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, funder = @0xc0ffee)]
    fun top_up_emits_escrow_topped_up(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer, funder: &signer,
    ) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::top_up(funder, @0xa11ce, 1, 500_000);
        assert!(vector::length(&event::emitted_events<EscrowToppedUp>()) == 1, 1);
        assert!(event::was_event_emitted(&escrow::escrow_topped_up_event(
            @0xa11ce, 1, @0xc0ffee, 500_000, tf::deposit() + 500_000,
        )), 2);
        // A top-up settles nothing.
        assert!(vector::is_empty(&event::emitted_events<PaymentProcessed>()), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun close_stream_emits_payment_refund_and_stream_closed(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer,
    ) {
        tf::setup_with_running_stream(fx, admin, buyer, provider);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(vector::length(&event::emitted_events<PaymentProcessed>()) == 1, 1);
        assert!(event::was_event_emitted(&payment_stream::payment_processed_event(
            @0xa11ce, 1, @0xb0b, 200_000, 200_000, 800_000,
        )), 2);
        assert!(vector::length(&event::emitted_events<EscrowRefunded>()) == 1, 3);
        assert!(event::was_event_emitted(&escrow::escrow_refunded_event(@0xa11ce, 1, 800_000, 800_000)), 4);
        assert!(vector::length(&event::emitted_events<StreamClosed>()) == 1, 5);
        assert!(event::was_event_emitted(&payment_stream::stream_closed_event(
            @0xa11ce, 1, @0xa11ce, 200_000, 800_000,
        )), 6);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun rent_emits_job_created_escrow_deposited_and_stream_opened(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer,
    ) {
        let (_, usdc) = tf::setup_with_provider(fx, admin, provider);
        let asset = object::object_address(&usdc);
        payment_stream::rent(buyer, @0xb0b, tf::image(), asset, tf::deposit(), tf::max_duration(), tf::price());
        assert!(vector::length(&event::emitted_events<JobCreated>()) == 1, 1);
        assert!(event::was_event_emitted(&job_registry::job_created_event(
            @0xa11ce, 1, @0xb0b, tf::image(), tf::deposit(), tf::max_duration(),
        )), 2);
        assert!(vector::length(&event::emitted_events<EscrowDeposited>()) == 1, 3);
        assert!(event::was_event_emitted(&escrow::escrow_deposited_event(
            @0xa11ce, 1, @0xb0b, asset, tf::deposit(), tf::deposit(),
        )), 4);
        assert!(vector::length(&event::emitted_events<StreamOpened>()) == 1, 5);
        assert!(event::was_event_emitted(&payment_stream::stream_opened_event(
            @0xa11ce, 1, @0xb0b, asset, tf::price(), tf::deposit(),
        )), 6);
    }
}
