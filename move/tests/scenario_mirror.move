// GENERATED from testdata/scenarios/*.json by computestream-localnet/tests/move_mirror.rs.
// Do not edit; regenerate with
//   UPDATE_MOVE_MIRROR=1 cargo test -p computestream-localnet --test move_mirror
// Each scenario's successful steps are one test (calls, balances, scalar views); each expected
// abort is an #[expected_failure] test of the steps before it. Events and struct-valued views
// are checked by the Rust scenario runner.
#[test_only]
module computestream::scenario_mirror {
    use std::option;
    use std::string::utf8;
    use aptos_framework::fungible_asset::{Self, Metadata, MintRef};
    use aptos_framework::object::{Self, Object};
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    fun new_asset(admin: &signer, symbol: vector<u8>, decimals: u8): (Object<Metadata>, MintRef) {
        let ctor = object::create_named_object(admin, symbol);
        primary_fungible_store::create_primary_store_enabled_fungible_asset(
            &ctor, option::none(), utf8(symbol), utf8(symbol), decimals, utf8(b""), utf8(b""),
        );
        (object::object_from_constructor_ref<Metadata>(&ctor), fungible_asset::generate_mint_ref(&ctor))
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun accrual_starts_with_the_job(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1050);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 0, 1);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 0, 2);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 18446744073709551615, 3);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 1), 4);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1060);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 1550, 5);
        assert!(payment_stream::is_stream_active(@0xa11ce, 1), 6);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun cancelled_rental_refunds_everything(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1010);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1020);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5000000, 1);
        timestamp::update_global_time_for_test_secs(1030);
        provider_registry::deregister(provider);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun close_by_payee(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1025);
        payment_stream::close_stream(provider, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4950000, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 50000, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun close_stream_authorization(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1005);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1011);
        timestamp::update_global_time_for_test_secs(1012);
        timestamp::update_global_time_for_test_secs(1013);
        timestamp::update_global_time_for_test_secs(1014);
        timestamp::update_global_time_for_test_secs(1015);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4980000, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 20000, 2);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 2), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 37, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1005);
        payment_stream::close_stream(stranger, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 34, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1011);
        payment_stream::process_payment(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 34, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_6(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1012);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 34, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_7(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1013);
        payment_stream::pause_stream(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 34, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_8(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1014);
        payment_stream::top_up(buyer, @0xa11ce, 1, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun close_stream_authorization_aborts_at_step_9(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1015);
        payment_stream::process_payment(provider, @0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun close_stream_authorization_view_aborts_at_step_9_0(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1015);
        let _ = payment_stream::get_stream(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun close_stream_authorization_view_aborts_at_step_9_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1015);
        let _ = payment_stream::get_total_streamed(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun close_stream_authorization_view_aborts_at_step_9_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1015);
        let _ = payment_stream::calculate_current_amount(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun close_stream_authorization_view_aborts_at_step_9_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1015);
        let _ = payment_stream::depletion_time(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun completed_job_stops_billing(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1100);
        job_registry::complete_job(provider, @0xa11ce, 1, utf8(b"s3://out"));
        timestamp::update_global_time_for_test_secs(1500);
        payment_stream::close_stream(provider, @0xa11ce, 1);
        // step 4: get_stream is a struct, checked by the Rust runner
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun create_job_rejects_bad_input(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        assert!(job_registry::get_job_counter(@0xa11ce) == 0, 1);
        assert!(!job_registry::is_job_active(@0xa11ce, 1), 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 15, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_aborts_at_step_0(fx: &signer, admin: &signer, buyer: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 14, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1002);
        job_registry::create_job(buyer, @0xb0b, utf8(b""), 1000000, 3600);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 13, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 16, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1004);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 0, 3600);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_view_aborts_at_step_4_1(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1004);
        let _ = job_registry::get_job(@0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun create_job_rejects_bad_input_view_aborts_at_step_4_2(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1004);
        let _ = job_registry::get_job_status(@0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun depletion_stops_accrual(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1400);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 1500, 1);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 800000, 2);
        timestamp::update_global_time_for_test_secs(1600);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 1), 3);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 0, 4);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 1600, 5);
        timestamp::update_global_time_for_test_secs(1700);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4000000, 6);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 0, 7);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 1000000, 8);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun deregister_returns_stake(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::deregister(provider);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 1000000000, 1);
        assert!(primary_fungible_store::balance(provider_registry::vault_address_for_test(), native_coin) == 0, 2);
        assert!(provider_registry::list_providers(0, 10) == vector[], 3);
        assert!(!provider_registry::is_provider_active(@0xb0b), 4);
        timestamp::update_global_time_for_test_secs(1005);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 6, location = computestream::provider_registry)]
    fun deregister_returns_stake_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        provider_registry::deregister(provider);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun deregister_returns_stake_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::deregister(provider);
        timestamp::update_global_time_for_test_secs(1005);
        provider_registry::deregister(stranger);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun escrow_refund_after_cancel(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4000000, 1);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 1000000, 2);
        // step 2: get_escrow is a struct, checked by the Rust runner
        assert!(escrow::get_remaining_balance(@0xa11ce, 1) == 1000000, 3);
        assert!(escrow::is_escrow_active(@0xa11ce, 1), 4);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1004);
        escrow::refund_escrow(buyer, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5000000, 5);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 0, 6);
        assert!(!escrow::is_escrow_active(@0xa11ce, 1), 7);
        assert!(escrow::get_released_amount(@0xa11ce, 1) == 0, 8);
        assert!(escrow::get_remaining_balance(@0xa11ce, 1) == 0, 9);
        timestamp::update_global_time_for_test_secs(1005);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 26, location = computestream::escrow)]
    fun escrow_refund_after_cancel_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::refund_escrow(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 24, location = computestream::escrow)]
    fun escrow_refund_after_cancel_aborts_at_step_6(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1004);
        escrow::refund_escrow(buyer, 1);
        timestamp::update_global_time_for_test_secs(1005);
        escrow::refund_escrow(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun escrow_rejects_bad_deposits(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 2);
        timestamp::update_global_time_for_test_secs(1007);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4000000, 1);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 1000000, 2);
        assert!(!escrow::is_escrow_active(@0xa11ce, 2), 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 22, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun escrow_rejects_bad_deposits_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 2, @0xb0b, object::object_address(&usdc), 1000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 23, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0x5, object::object_address(&usdc), 1000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 27, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, @0x5, 1000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 65540, location = aptos_framework::fungible_asset)]
    fun escrow_rejects_bad_deposits_aborts_at_step_6(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 6000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 21, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_aborts_at_step_8(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1003);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_aborts_at_step_9(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1004);
        escrow::refund_escrow(buyer, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 17, location = computestream::job_registry)]
    fun escrow_rejects_bad_deposits_aborts_at_step_12(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 2);
        timestamp::update_global_time_for_test_secs(1007);
        escrow::deposit_escrow(buyer, 2, @0xb0b, object::object_address(&usdc), 1000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_view_aborts_at_step_12_0(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 2);
        timestamp::update_global_time_for_test_secs(1007);
        let _ = escrow::get_escrow(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_view_aborts_at_step_12_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 2);
        timestamp::update_global_time_for_test_secs(1007);
        let _ = escrow::get_remaining_balance(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun escrow_rejects_bad_deposits_view_aborts_at_step_12_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 2);
        timestamp::update_global_time_for_test_secs(1007);
        let _ = escrow::get_released_amount(@0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun job_authorization(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1006);
        timestamp::update_global_time_for_test_secs(1007);
        timestamp::update_global_time_for_test_secs(1008);
        assert!(job_registry::get_job_status(@0xa11ce, 1) == 1, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::start_job(stranger, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1002);
        job_registry::complete_job(provider, @0xa11ce, 1, utf8(b"x"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::start_job(provider, @0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1004);
        job_registry::cancel_job(stranger, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_7(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::complete_job(stranger, @0xa11ce, 1, utf8(b"x"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_8(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1007);
        job_registry::fail_job(stranger, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_authorization_aborts_at_step_9(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1008);
        job_registry::cancel_job(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun job_cancel_pending(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::cancel_job(buyer, 1);
        assert!(job_registry::get_job_status(@0xa11ce, 1) == 4, 1);
        timestamp::update_global_time_for_test_secs(1006);
        timestamp::update_global_time_for_test_secs(1007);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_cancel_pending_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::cancel_job(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_cancel_pending_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::cancel_job(buyer, 1);
        timestamp::update_global_time_for_test_secs(1007);
        job_registry::start_job(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun job_fail(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1020);
        job_registry::fail_job(provider, @0xa11ce, 1);
        assert!(job_registry::get_job_status(@0xa11ce, 1) == 3, 1);
        assert!(job_registry::get_job_duration(@0xa11ce, 1) == 20, 2);
        timestamp::update_global_time_for_test_secs(1021);
        timestamp::update_global_time_for_test_secs(1022);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_fail_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1020);
        job_registry::fail_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1021);
        job_registry::complete_job(provider, @0xa11ce, 1, utf8(b""));
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun job_fail_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1020);
        job_registry::fail_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1022);
        job_registry::fail_job(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun job_lifecycle_complete(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        assert!(job_registry::get_job_counter(@0xa11ce) == 1, 1);
        assert!(job_registry::get_job_status(@0xa11ce, 1) == 0, 2);
        assert!(!job_registry::is_job_active(@0xa11ce, 1), 3);
        assert!(job_registry::get_job_duration(@0xa11ce, 1) == 0, 4);
        // step 1: get_provider is a struct, checked by the Rust runner
        timestamp::update_global_time_for_test_secs(1010);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1040);
        assert!(job_registry::get_job_duration(@0xa11ce, 1) == 30, 5);
        assert!(job_registry::is_job_active(@0xa11ce, 1), 6);
        timestamp::update_global_time_for_test_secs(1070);
        job_registry::complete_job(provider, @0xa11ce, 1, utf8(b"s3://out/1"));
        // step 4: get_job is a struct, checked by the Rust runner
        assert!(job_registry::get_job_duration(@0xa11ce, 1) == 60, 7);
        assert!(job_registry::get_job_output_url(@0xa11ce, 1) == utf8(b"s3://out/1"), 8);
        assert!(!job_registry::is_job_active(@0xa11ce, 1), 9);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun max_duration_caps_accrual(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 100, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1300);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(job_registry::get_job_duration(@0xa11ce, 1) == 100, 1);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 1), 2);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 18446744073709551615, 3);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun open_stream_step_by_step(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        payment_stream::open_stream(buyer, 1, @0xb0b, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 980000, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 20000, 2);
        // step 10: get_stream is a struct, checked by the Rust runner
        // step 10: get_escrow is a struct, checked by the Rust runner
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 20, location = computestream::escrow)]
    fun open_stream_step_by_step_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        payment_stream::open_stream(buyer, 1, @0xb0b, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 32, location = computestream::payment_stream)]
    fun open_stream_step_by_step_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        payment_stream::open_stream(buyer, 1, @0xb0b, 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 33, location = computestream::payment_stream)]
    fun open_stream_step_by_step_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        payment_stream::open_stream(buyer, 1, @0x5, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 31, location = computestream::payment_stream)]
    fun open_stream_step_by_step_aborts_at_step_7(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        payment_stream::open_stream(buyer, 1, @0xb0b, 2000000000000);
        payment_stream::open_stream(buyer, 1, @0xb0b, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 25, location = computestream::escrow)]
    fun open_stream_step_by_step_aborts_at_step_8(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), 1000000);
        payment_stream::open_stream(buyer, 1, @0xb0b, 2000000000000);
        escrow::refund_escrow(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun pause_and_resume(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::pause_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1020);
        timestamp::update_global_time_for_test_secs(1030);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 20000, 1);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 1), 2);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 18446744073709551615, 3);
        timestamp::update_global_time_for_test_secs(1040);
        payment_stream::resume_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1041);
        timestamp::update_global_time_for_test_secs(1050);
        payment_stream::process_payment(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 35, location = computestream::payment_stream)]
    fun pause_and_resume_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::pause_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1020);
        payment_stream::pause_stream(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 36, location = computestream::payment_stream)]
    fun pause_and_resume_aborts_at_step_7(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::pause_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1030);
        timestamp::update_global_time_for_test_secs(1040);
        payment_stream::resume_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1041);
        payment_stream::resume_stream(buyer, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun pause_before_start_overlaps_only_the_window(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1005);
        payment_stream::pause_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1010);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1030);
        payment_stream::resume_stream(buyer, 1);
        timestamp::update_global_time_for_test_secs(1040);
        payment_stream::process_payment(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    fun process_payment_is_idempotent(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::process_payment(stranger, @0xa11ce, 1);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 20000, 1);
        timestamp::update_global_time_for_test_secs(1020);
        payment_stream::process_payment(buyer, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun provider_availability_and_pricing(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_availability(provider, false);
        assert!(!provider_registry::is_provider_active(@0xb0b), 1);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::update_availability(provider, true);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::update_pricing(provider, 3000000000000);
        assert!(provider_registry::get_provider_price(@0xb0b) == 3000000000000, 2);
        timestamp::update_global_time_for_test_secs(1005);
        timestamp::update_global_time_for_test_secs(1006);
        timestamp::update_global_time_for_test_secs(1007);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 15, location = computestream::job_registry)]
    fun provider_availability_and_pricing_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1002);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun provider_availability_and_pricing_aborts_at_step_5(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::update_availability(provider, true);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::update_pricing(provider, 3000000000000);
        timestamp::update_global_time_for_test_secs(1005);
        provider_registry::update_pricing(provider, 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun provider_availability_and_pricing_aborts_at_step_6(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::update_availability(provider, true);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::update_pricing(provider, 3000000000000);
        timestamp::update_global_time_for_test_secs(1006);
        provider_registry::update_availability(stranger, false);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun provider_availability_and_pricing_aborts_at_step_7(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::update_availability(provider, true);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::update_pricing(provider, 3000000000000);
        timestamp::update_global_time_for_test_secs(1007);
        provider_registry::update_pricing(stranger, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, gpu3 = @0x1000, provider = @0xb0b, stranger = @0x5)]
    fun provider_list_order_and_paging(fx: &signer, admin: &signer, gpu3: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0x1000, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(stranger, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1002);
        provider_registry::register_provider(gpu3, utf8(b"H100"), 80, 2000000000000, 100000000);
        assert!(provider_registry::list_providers(0, 10) == vector[@0xb0b, @0x5, @0x1000], 1);
        assert!(provider_registry::list_providers(1, 1) == vector[@0x5], 2);
        assert!(provider_registry::list_providers(2, 10) == vector[@0x1000], 3);
        assert!(provider_registry::list_providers(3, 10) == vector[], 4);
        assert!(provider_registry::list_providers(7, 2) == vector[], 5);
        assert!(provider_registry::list_providers(0, 0) == vector[], 6);
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::deregister(provider);
        assert!(provider_registry::list_providers(0, 10) == vector[@0x1000, @0x5], 7);
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::deregister(gpu3);
        assert!(provider_registry::list_providers(0, 10) == vector[@0x5], 8);
        timestamp::update_global_time_for_test_secs(1005);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        assert!(provider_registry::list_providers(0, 10) == vector[@0x5, @0xb0b], 9);
        timestamp::update_global_time_for_test_secs(1006);
        provider_registry::deregister(provider);
        assert!(provider_registry::list_providers(0, 10) == vector[@0x5], 10);
        timestamp::update_global_time_for_test_secs(1007);
        provider_registry::deregister(stranger);
        assert!(provider_registry::list_providers(0, 10) == vector[], 11);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun provider_publishes_its_endpoint(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        // step 0: get_provider is a struct, checked by the Rust runner
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example:8443/computestream"));
        // step 1: get_provider is a struct, checked by the Rust runner
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        timestamp::update_global_time_for_test_secs(1005);
        provider_registry::update_endpoint(provider, utf8(b"https://gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"));
        // step 5: get_provider is a struct, checked by the Rust runner
        timestamp::update_global_time_for_test_secs(1006);
        timestamp::update_global_time_for_test_secs(1007);
        provider_registry::update_endpoint(provider, utf8(b"http://127.0.0.1:8080"));
        // step 7: get_provider is a struct, checked by the Rust runner
        timestamp::update_global_time_for_test_secs(1008);
        provider_registry::update_endpoint(provider, utf8(b""));
        // step 8: get_provider is a struct, checked by the Rust runner
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 8, location = computestream::provider_registry)]
    fun provider_publishes_its_endpoint_aborts_at_step_2(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example:8443/computestream"));
        timestamp::update_global_time_for_test_secs(1002);
        provider_registry::update_endpoint(provider, utf8(b"ftp://gpu.example/"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 8, location = computestream::provider_registry)]
    fun provider_publishes_its_endpoint_aborts_at_step_3(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example:8443/computestream"));
        timestamp::update_global_time_for_test_secs(1003);
        provider_registry::update_endpoint(provider, utf8(b"gpu.example"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 8, location = computestream::provider_registry)]
    fun provider_publishes_its_endpoint_aborts_at_step_4(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example:8443/computestream"));
        timestamp::update_global_time_for_test_secs(1004);
        provider_registry::update_endpoint(provider, utf8(b"https://ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun provider_publishes_its_endpoint_aborts_at_step_6(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::update_endpoint(provider, utf8(b"https://gpu.example:8443/computestream"));
        timestamp::update_global_time_for_test_secs(1005);
        provider_registry::update_endpoint(provider, utf8(b"https://gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"));
        timestamp::update_global_time_for_test_secs(1006);
        provider_registry::update_endpoint(stranger, utf8(b"https://elsewhere.example/"));
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    fun provider_rejects_pending_jobs(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::reject_job(provider, @0x5, 1);
        assert!(job_registry::get_job_status(@0x5, 1) == 4, 1);
        timestamp::update_global_time_for_test_secs(1006);
        timestamp::update_global_time_for_test_secs(1007);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1015);
        job_registry::reject_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1016);
        timestamp::update_global_time_for_test_secs(1020);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5000000, 2);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 0, 3);
        timestamp::update_global_time_for_test_secs(1021);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1022);
        job_registry::start_job(provider, @0xa11ce, 2);
        timestamp::update_global_time_for_test_secs(1023);
        timestamp::update_global_time_for_test_secs(1024);
        job_registry::fail_job(provider, @0xa11ce, 2);
        timestamp::update_global_time_for_test_secs(1030);
        provider_registry::deregister(provider);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 1000000000, 4);
        assert!(primary_fungible_store::balance(provider_registry::vault_address_for_test(), native_coin) == 0, 5);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 6, location = computestream::provider_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_2(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1002);
        provider_registry::deregister(provider);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1003);
        job_registry::reject_job(buyer, @0x5, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 10, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_4(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1004);
        job_registry::reject_job(provider, @0x5, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_6(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::reject_job(provider, @0x5, 1);
        timestamp::update_global_time_for_test_secs(1006);
        job_registry::reject_job(provider, @0x5, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_7(fx: &signer, admin: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::reject_job(provider, @0x5, 1);
        timestamp::update_global_time_for_test_secs(1007);
        job_registry::cancel_job(stranger, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_10(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::reject_job(provider, @0x5, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1015);
        job_registry::reject_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1016);
        job_registry::start_job(provider, @0xa11ce, 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    #[expected_failure(abort_code = 12, location = computestream::job_registry)]
    fun provider_rejects_pending_jobs_aborts_at_step_14(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        job_registry::create_job(stranger, @0xb0b, utf8(b"junk"), 1, 1);
        timestamp::update_global_time_for_test_secs(1005);
        job_registry::reject_job(provider, @0x5, 1);
        timestamp::update_global_time_for_test_secs(1010);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        timestamp::update_global_time_for_test_secs(1015);
        job_registry::reject_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1020);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1021);
        job_registry::create_job(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), 1000000, 3600);
        timestamp::update_global_time_for_test_secs(1022);
        job_registry::start_job(provider, @0xa11ce, 2);
        timestamp::update_global_time_for_test_secs(1023);
        job_registry::reject_job(provider, @0xa11ce, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun register_provider_locks_stake(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 900000000, 1);
        assert!(primary_fungible_store::balance(provider_registry::vault_address_for_test(), native_coin) == 100000000, 2);
        // step 0: get_provider is a struct, checked by the Rust runner
        assert!(provider_registry::is_provider_active(@0xb0b), 3);
        assert!(provider_registry::get_provider_price(@0xb0b) == 2000000000000, 4);
        assert!(provider_registry::list_providers(0, 10) == vector[@0xb0b], 5);
        assert!(provider_registry::list_providers(1, 10) == vector[], 6);
    }

    #[test(fx = @aptos_framework, admin = @computestream)]
    fun register_provider_rejects_bad_input(fx: &signer, admin: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 1000000000, 1);
        assert!(!provider_registry::is_provider_active(@0xb0b), 2);
        assert!(provider_registry::list_providers(0, 10) == vector[], 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 5, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_aborts_at_step_0(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b""), 80, 2000000000000, 100000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 5, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_aborts_at_step_1(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 0, 2000000000000, 100000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 3, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_aborts_at_step_2(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 0, 100000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 4, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_aborts_at_step_3(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 65540, location = aptos_framework::fungible_asset)]
    fun register_provider_rejects_bad_input_aborts_at_step_4(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 2000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_view_aborts_at_step_4_1(fx: &signer, admin: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        let _ = provider_registry::get_provider(@0xb0b);
    }

    #[test(fx = @aptos_framework, admin = @computestream)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun register_provider_rejects_bad_input_view_aborts_at_step_4_2(fx: &signer, admin: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        let _ = provider_registry::get_provider_price(@0xb0b);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun register_provider_twice_aborts(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 900000000, 1);
        assert!(primary_fungible_store::balance(provider_registry::vault_address_for_test(), native_coin) == 100000000, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    #[expected_failure(abort_code = 1, location = computestream::provider_registry)]
    fun register_provider_twice_aborts_aborts_at_step_1(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"A100"), 40, 2000000000000, 100000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    fun rent_and_close_by_payer(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4000000, 1);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 1000000, 2);
        timestamp::update_global_time_for_test_secs(1010);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1070);
        payment_stream::process_payment(stranger, @0xa11ce, 1);
        assert!(payment_stream::get_total_streamed(@0xa11ce, 1) == 120000, 3);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 4820000, 4);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 0, 5);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 180000, 6);
        assert!(!payment_stream::is_stream_active(@0xa11ce, 1), 7);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 0, 8);
        assert!(payment_stream::get_total_streamed(@0xa11ce, 1) == 180000, 9);
        assert!(!escrow::is_escrow_active(@0xa11ce, 1), 10);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 18446744073709551615, 11);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b)]
    fun rent_rejects_bad_requests(fx: &signer, admin: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1002);
        timestamp::update_global_time_for_test_secs(1003);
        timestamp::update_global_time_for_test_secs(1004);
        timestamp::update_global_time_for_test_secs(1005);
        timestamp::update_global_time_for_test_secs(1006);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1007);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5000000, 1);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 0, 2);
        assert!(job_registry::get_job_counter(@0xa11ce) == 0, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 2, location = computestream::provider_registry)]
    fun rent_rejects_bad_requests_aborts_at_step_0(fx: &signer, admin: &signer, buyer: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 38, location = computestream::payment_stream)]
    fun rent_rejects_bad_requests_aborts_at_step_2(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1002);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 1999999999999);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 65540, location = aptos_framework::fungible_asset)]
    fun rent_rejects_bad_requests_aborts_at_step_3(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1003);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 6000000, 3600, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 14, location = computestream::job_registry)]
    fun rent_rejects_bad_requests_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1004);
        payment_stream::rent(buyer, @0xb0b, utf8(b""), object::object_address(&usdc), 1000000, 3600, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 27, location = computestream::escrow)]
    fun rent_rejects_bad_requests_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (_, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1005);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), @0x5, 1000000, 3600, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 15, location = computestream::job_registry)]
    fun rent_rejects_bad_requests_aborts_at_step_7(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        timestamp::update_global_time_for_test_secs(1001);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        timestamp::update_global_time_for_test_secs(1006);
        provider_registry::update_availability(provider, false);
        timestamp::update_global_time_for_test_secs(1007);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun six_decimal_rounding_is_exact_over_an_hour(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 555555555555, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 5000000, 7200, 555555555555);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1001);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 555, 1);
        timestamp::update_global_time_for_test_secs(1007);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(4600);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 3000001, 2);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 1999999, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b, stranger = @0x5)]
    fun third_party_top_up_refunds_to_payer(fx: &signer, admin: &signer, buyer: &signer, provider: &signer, stranger: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        payment_stream::top_up(stranger, @0xa11ce, 1, 500000);
        assert!(primary_fungible_store::balance(escrow::vault_address_for_test(), usdc) == 1500000, 1);
        assert!(primary_fungible_store::balance(@0x5, usdc) == 4500000, 2);
        timestamp::update_global_time_for_test_secs(1100);
        payment_stream::close_stream(buyer, @0xa11ce, 1);
        assert!(primary_fungible_store::balance(@0xa11ce, usdc) == 5300000, 3);
        assert!(primary_fungible_store::balance(@0xb0b, usdc) == 200000, 4);
        assert!(primary_fungible_store::balance(@0x5, usdc) == 4500000, 5);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    fun top_up_after_depletion_skips_the_unfunded_gap(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1600);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        payment_stream::top_up(buyer, @0xa11ce, 1, 1000000);
        assert!(payment_stream::calculate_current_amount(@0xa11ce, 1) == 0, 1);
        assert!(payment_stream::is_stream_active(@0xa11ce, 1), 2);
        timestamp::update_global_time_for_test_secs(1700);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        assert!(payment_stream::depletion_time(@0xa11ce, 1) == 2100, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 39, location = computestream::payment_stream)]
    fun top_up_after_depletion_skips_the_unfunded_gap_aborts_at_step_4(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1600);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        payment_stream::top_up(buyer, @0xa11ce, 1, 0);
    }

    #[test(fx = @aptos_framework, admin = @computestream, buyer = @0xa11ce, provider = @0xb0b)]
    #[expected_failure(abort_code = 30, location = computestream::payment_stream)]
    fun top_up_after_depletion_skips_the_unfunded_gap_aborts_at_step_5(fx: &signer, admin: &signer, buyer: &signer, provider: &signer) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native_coin, native_coin_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5000000);
        primary_fungible_store::mint(&native_coin_mint, @0xb0b, 1000000000);
        primary_fungible_store::mint(&native_coin_mint, @0x5, 1000000000);
        primary_fungible_store::mint(&usdc_mint, @0x5, 5000000);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 2000000000000, 100000000);
        payment_stream::rent(buyer, @0xb0b, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), 1000000, 3600, 2000000000000);
        job_registry::start_job(provider, @0xa11ce, 1);
        timestamp::update_global_time_for_test_secs(1600);
        payment_stream::process_payment(provider, @0xa11ce, 1);
        payment_stream::top_up(buyer, @0xa11ce, 9, 1);
    }
}
