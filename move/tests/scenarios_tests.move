/// Move mirrors of scenarios in `testdata/scenarios/` (same names), run by `aptos move test`.
#[test_only]
module computestream::scenarios_tests {
    use std::option;
    use std::signer;
    use std::string::utf8;
    use aptos_framework::fungible_asset::{Self, Metadata, MintRef};
    use aptos_framework::object::{Self, Object};
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    const RATE: u128 = 2_000_000_000_000;
    const STAKE: u64 = 100_000_000;

    fun create_asset(admin: &signer, symbol: vector<u8>, decimals: u8): (Object<Metadata>, MintRef) {
        let ctor = object::create_named_object(admin, symbol);
        primary_fungible_store::create_primary_store_enabled_fungible_asset(
            &ctor, option::none(), utf8(symbol), utf8(symbol), decimals, utf8(b""), utf8(b""),
        );
        (object::object_from_constructor_ref<Metadata>(&ctor), fungible_asset::generate_mint_ref(&ctor))
    }

    /// Chain time 1000; the provider holds 10 MOVE (the stake asset), the buyer 5 USDC.
    fun setup(fx: &signer, admin: &signer, provider: &signer, buyer: &signer): Object<Metadata> {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(1000);
        let (native, native_mint) = create_asset(admin, b"MOVE", 8);
        let (usdc, usdc_mint) = create_asset(admin, b"USDC", 6);
        provider_registry::init_for_test(admin, native);
        escrow::init_for_test(admin);
        primary_fungible_store::mint(&native_mint, signer::address_of(provider), 1_000_000_000);
        primary_fungible_store::mint(&usdc_mint, signer::address_of(buyer), 5_000_000);
        usdc
    }

    fun register(provider: &signer, price: u128) {
        provider_registry::register_provider(provider, utf8(b"H100"), 80, price, STAKE);
    }

    fun rent(buyer: &signer, provider: address, usdc: Object<Metadata>, deposit: u64, max_duration: u64, max_rate: u128) {
        payment_stream::rent(
            buyer, provider, utf8(b"pytorch/pytorch:2.4"), object::object_address(&usdc), deposit, max_duration, max_rate,
        );
    }

    fun at(secs: u64) { timestamp::update_global_time_for_test_secs(secs) }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    fun rent_and_close_by_payer(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        let (p, b) = (signer::address_of(provider), signer::address_of(buyer));
        register(provider, RATE);
        rent(buyer, p, usdc, 1_000_000, 3600, RATE);
        assert!(primary_fungible_store::balance(b, usdc) == 4_000_000, 1);
        at(1010);
        job_registry::start_job(provider, b, 1);
        at(1070);
        payment_stream::process_payment(admin, b, 1);
        assert!(payment_stream::get_total_streamed(b, 1) == 120_000, 2);
        at(1100);
        payment_stream::close_stream(buyer, b, 1);
        assert!(primary_fungible_store::balance(b, usdc) == 4_820_000, 3);
        assert!(primary_fungible_store::balance(p, usdc) == 180_000, 4);
        assert!(payment_stream::get_total_streamed(b, 1) == 180_000, 5);
        assert!(!escrow::is_escrow_active(b, 1), 6);
        assert!(!payment_stream::is_stream_active(b, 1), 7);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    fun pause_and_resume(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        let (p, b) = (signer::address_of(provider), signer::address_of(buyer));
        register(provider, RATE);
        rent(buyer, p, usdc, 1_000_000, 3600, RATE);
        job_registry::start_job(provider, b, 1);
        at(1010);
        payment_stream::pause_stream(buyer, 1);
        at(1030);
        assert!(payment_stream::calculate_current_amount(b, 1) == 20_000, 1);
        assert!(payment_stream::depletion_time(b, 1) == 18446744073709551615, 2);
        at(1040);
        payment_stream::resume_stream(buyer, 1);
        at(1050);
        payment_stream::process_payment(provider, b, 1);
        assert!(primary_fungible_store::balance(p, usdc) == 40_000, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    fun top_up_after_depletion_skips_the_unfunded_gap(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        let (p, b) = (signer::address_of(provider), signer::address_of(buyer));
        register(provider, RATE);
        rent(buyer, p, usdc, 1_000_000, 3600, RATE);
        job_registry::start_job(provider, b, 1);
        at(1400);
        assert!(payment_stream::depletion_time(b, 1) == 1500, 1);
        at(1600);
        payment_stream::process_payment(provider, b, 1);
        assert!(primary_fungible_store::balance(p, usdc) == 1_000_000, 2);
        payment_stream::top_up(buyer, b, 1, 1_000_000);
        at(1700);
        payment_stream::process_payment(provider, b, 1);
        assert!(primary_fungible_store::balance(p, usdc) == 1_200_000, 3);
        assert!(payment_stream::depletion_time(b, 1) == 2100, 4);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    fun six_decimal_rounding_is_exact_over_an_hour(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        let (p, b) = (signer::address_of(provider), signer::address_of(buyer));
        register(provider, 555_555_555_555);
        rent(buyer, p, usdc, 5_000_000, 7200, 555_555_555_555);
        job_registry::start_job(provider, b, 1);
        at(1001);
        assert!(payment_stream::calculate_current_amount(b, 1) == 555, 1);
        at(1007);
        payment_stream::process_payment(provider, b, 1);
        at(4600);
        payment_stream::close_stream(buyer, b, 1);
        assert!(primary_fungible_store::balance(p, usdc) == 1_999_999, 2);
        assert!(primary_fungible_store::balance(b, usdc) == 3_000_001, 3);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    fun deregister_returns_stake(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        setup(fx, admin, provider, buyer);
        let p = signer::address_of(provider);
        register(provider, RATE);
        job_registry::create_job(buyer, p, utf8(b"img"), 1_000_000, 3600);
        job_registry::cancel_job(buyer, 1);
        provider_registry::deregister(provider);
        assert!(!provider_registry::is_provider_active(p), 1);
        assert!(std::vector::length(&provider_registry::list_providers(0, 10)) == 0, 2);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 6, location = computestream::provider_registry)]
    fun deregister_with_active_jobs_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        setup(fx, admin, provider, buyer);
        register(provider, RATE);
        job_registry::create_job(buyer, signer::address_of(provider), utf8(b"img"), 1_000_000, 3600);
        provider_registry::deregister(provider);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 1, location = computestream::provider_registry)]
    fun register_provider_twice_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        setup(fx, admin, provider, buyer);
        register(provider, RATE);
        register(provider, RATE);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 0x10004, location = aptos_framework::fungible_asset)]
    fun register_provider_with_unaffordable_stake_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        setup(fx, admin, provider, buyer);
        provider_registry::register_provider(provider, utf8(b"H100"), 80, RATE, 2_000_000_000);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 38, location = computestream::payment_stream)]
    fun rent_above_max_rate_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        register(provider, RATE);
        rent(buyer, signer::address_of(provider), usdc, 1_000_000, 3600, RATE - 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce, stranger = @0x5)]
    #[expected_failure(abort_code = 37, location = computestream::payment_stream)]
    fun close_by_a_third_party_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer, stranger: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        register(provider, RATE);
        rent(buyer, signer::address_of(provider), usdc, 1_000_000, 3600, RATE);
        payment_stream::close_stream(stranger, signer::address_of(buyer), 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce, stranger = @0x5)]
    #[expected_failure(abort_code = 11, location = computestream::job_registry)]
    fun start_by_a_stranger_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer, stranger: &signer) {
        setup(fx, admin, provider, buyer);
        register(provider, RATE);
        job_registry::create_job(buyer, signer::address_of(provider), utf8(b"img"), 1_000_000, 3600);
        job_registry::start_job(stranger, signer::address_of(buyer), 1);
    }

    #[test(fx = @aptos_framework, admin = @computestream, provider = @0xb0b, buyer = @0xa11ce)]
    #[expected_failure(abort_code = 25, location = computestream::escrow)]
    fun refund_with_a_stream_attached_aborts(fx: &signer, admin: &signer, provider: &signer, buyer: &signer) {
        let usdc = setup(fx, admin, provider, buyer);
        register(provider, RATE);
        rent(buyer, signer::address_of(provider), usdc, 1_000_000, 3600, RATE);
        escrow::refund_escrow(buyer, 1);
    }

    #[test]
    fun owed_is_capped_and_floored() {
        assert!(payment_stream::owed_for_test(1_000, 3_000_000_000, 333) == 999, 1);
        assert!(payment_stream::owed_for_test(1_000, 3_000_000_000, 334) == 1_000, 2);
        assert!(payment_stream::owed_for_test(7, 340282366920938463463374607431768211455, 2) == 7, 3);
    }
}
