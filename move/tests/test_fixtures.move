#[test_only]
/// Set-up shared by the hand-written tests (`event_tests`, `authorization_tests`,
/// `init_module_tests`): the clock at `start()`, a stand-in for the native coin (the stake
/// asset) and a stablecoin (the escrow asset), the package's resources, funded accounts.
/// Buyer `@0xa11ce`, provider `@0xb0b`, a third party `@0xc0ffee`.
module computestream::test_fixtures {
    use std::option;
    use std::string::{String, utf8};
    use aptos_framework::fungible_asset::{Self, Metadata, MintRef};
    use aptos_framework::object::{Self, Object};
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    /// Chain time when a test starts.
    public fun start(): u64 { 1000 }

    /// The provider's price: 2000 base units per second, in nano-units.
    public fun price(): u128 { 2_000_000_000_000 }

    /// The provider's stake.
    public fun stake(): u64 { 100_000_000 }

    /// The buyer's deposit: 500 seconds at `price()`.
    public fun deposit(): u64 { 1_000_000 }

    /// A job's maximum duration.
    public fun max_duration(): u64 { 3600 }

    public fun gpu(): String { utf8(b"H100") }

    public fun vram(): u64 { 80 }

    public fun image(): String { utf8(b"pytorch/pytorch:2.4") }

    fun new_asset(admin: &signer, symbol: vector<u8>, decimals: u8): (Object<Metadata>, MintRef) {
        let ctor = object::create_named_object(admin, symbol);
        primary_fungible_store::create_primary_store_enabled_fungible_asset(
            &ctor, option::none(), utf8(symbol), utf8(symbol), decimals, utf8(b""), utf8(b""),
        );
        (object::object_from_constructor_ref<Metadata>(&ctor), fungible_asset::generate_mint_ref(&ctor))
    }

    /// Clock, both assets, both modules' resources, balances; returns `(native_coin, usdc)`.
    public fun setup(fx: &signer, admin: &signer): (Object<Metadata>, Object<Metadata>) {
        timestamp::set_time_has_started_for_testing(fx);
        timestamp::update_global_time_for_test_secs(start());
        let (native_coin, native_mint) = new_asset(admin, b"MOVE", 8);
        provider_registry::init_for_test(admin, native_coin);
        escrow::init_for_test(admin);
        let (usdc, usdc_mint) = new_asset(admin, b"USDC", 6);
        primary_fungible_store::mint(&native_mint, @0xb0b, 1_000_000_000);
        primary_fungible_store::mint(&native_mint, @0xc0ffee, 1_000_000_000);
        primary_fungible_store::mint(&usdc_mint, @0xa11ce, 5_000_000);
        primary_fungible_store::mint(&usdc_mint, @0xc0ffee, 5_000_000);
        (native_coin, usdc)
    }

    /// `setup` and the provider registered at `price()` with `stake()`.
    public fun setup_with_provider(fx: &signer, admin: &signer, provider: &signer): (Object<Metadata>, Object<Metadata>) {
        let (native_coin, usdc) = setup(fx, admin);
        provider_registry::register_provider(provider, gpu(), vram(), price(), stake());
        (native_coin, usdc)
    }

    /// `setup_with_provider` and job 1 of the buyer: created, escrowed with `deposit()`, not started.
    public fun setup_with_escrow(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer,
    ): Object<Metadata> {
        let (_, usdc) = setup_with_provider(fx, admin, provider);
        job_registry::create_job(buyer, @0xb0b, image(), deposit(), max_duration());
        escrow::deposit_escrow(buyer, 1, @0xb0b, object::object_address(&usdc), deposit());
        usdc
    }

    /// `setup_with_provider`, then job 1 rented at `price()` and started at `start()`.
    public fun setup_with_running_stream(
        fx: &signer, admin: &signer, buyer: &signer, provider: &signer,
    ): Object<Metadata> {
        let (_, usdc) = setup_with_provider(fx, admin, provider);
        payment_stream::rent(buyer, @0xb0b, image(), object::object_address(&usdc), deposit(), max_duration(), price());
        job_registry::start_job(provider, @0xa11ce, 1);
        usdc
    }
}
