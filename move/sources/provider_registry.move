/// GPU providers: registration with a locked native-coin stake, availability and pricing.
module computestream::provider_registry {
    use std::signer;
    use std::string::{Self, String};
    use std::vector;
    use aptos_framework::event;
    use aptos_framework::fungible_asset::Metadata;
    use aptos_framework::object::{Self, ExtendRef, Object};
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;

    friend computestream::job_registry;

    /// The signer already has a provider record.
    const E_PROVIDER_ALREADY_REGISTERED: u64 = 1;
    /// No provider is registered at that address.
    const E_PROVIDER_NOT_FOUND: u64 = 2;
    /// A price of zero.
    const E_INVALID_PRICE: u64 = 3;
    /// A stake of zero.
    const E_INVALID_STAKE: u64 = 4;
    /// An empty GPU type or zero VRAM.
    const E_INVALID_GPU_SPEC: u64 = 5;
    /// Deregistration while jobs are pending or running.
    const E_PROVIDER_HAS_ACTIVE_JOBS: u64 = 6;

    const VAULT_SEED: vector<u8> = b"computestream::provider_registry::stake_vault";

    /// A provider's record; also what `get_provider` returns.
    struct ProviderInfo has key, store, copy, drop {
        provider: address,
        gpu_type: String,
        vram_gb: u64,
        /// Nano-units (1e-9 base unit) per second.
        price_per_second: u128,
        stake: u64,
        is_active: bool,
        active_jobs: u64,
        registered_at: u64,
    }

    /// Global registry state at the package address.
    struct Registry has key {
        providers: vector<address>,
        vault: ExtendRef,
        stake_asset: Object<Metadata>,
    }

    #[event]
    struct ProviderRegistered has drop, store {
        provider: address,
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u128,
        stake: u64,
    }

    #[event]
    struct ProviderAvailabilityUpdated has drop, store { provider: address, is_active: bool }

    #[event]
    struct ProviderPricingUpdated has drop, store { provider: address, old_price: u128, new_price: u128 }

    #[event]
    struct ProviderDeregistered has drop, store { provider: address, stake_returned: u64 }

    fun init_module(publisher: &signer) {
        init(publisher, object::address_to_object<Metadata>(@0xa));
    }

    fun init(publisher: &signer, stake_asset: Object<Metadata>) {
        let constructor = object::create_named_object(publisher, VAULT_SEED);
        move_to(publisher, Registry {
            providers: vector::empty(),
            vault: object::generate_extend_ref(&constructor),
            stake_asset,
        });
    }

    #[test_only]
    public fun init_for_test(publisher: &signer, stake_asset: Object<Metadata>) {
        init(publisher, stake_asset);
    }

    #[test_only]
    public fun vault_address_for_test(): address acquires Registry {
        vault_address()
    }

    fun vault_address(): address acquires Registry {
        object::address_from_extend_ref(&borrow_global<Registry>(@computestream).vault)
    }

    public entry fun register_provider(
        provider: &signer,
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u128,
        stake_amount: u64,
    ) acquires Registry {
        let addr = signer::address_of(provider);
        assert!(!exists<ProviderInfo>(addr), E_PROVIDER_ALREADY_REGISTERED);
        assert!(!string::is_empty(&gpu_type) && vram_gb > 0, E_INVALID_GPU_SPEC);
        assert!(price_per_second > 0, E_INVALID_PRICE);
        assert!(stake_amount > 0, E_INVALID_STAKE);
        let stake_asset = borrow_global<Registry>(@computestream).stake_asset;
        primary_fungible_store::transfer(provider, stake_asset, vault_address(), stake_amount);
        move_to(provider, ProviderInfo {
            provider: addr,
            gpu_type,
            vram_gb,
            price_per_second,
            stake: stake_amount,
            is_active: true,
            active_jobs: 0,
            registered_at: timestamp::now_seconds(),
        });
        vector::push_back(&mut borrow_global_mut<Registry>(@computestream).providers, addr);
        event::emit(ProviderRegistered { provider: addr, gpu_type, vram_gb, price_per_second, stake: stake_amount });
    }

    public entry fun update_availability(provider: &signer, is_active: bool) acquires ProviderInfo {
        let addr = signer::address_of(provider);
        assert!(exists<ProviderInfo>(addr), E_PROVIDER_NOT_FOUND);
        borrow_global_mut<ProviderInfo>(addr).is_active = is_active;
        event::emit(ProviderAvailabilityUpdated { provider: addr, is_active });
    }

    public entry fun update_pricing(provider: &signer, price_per_second: u128) acquires ProviderInfo {
        let addr = signer::address_of(provider);
        assert!(exists<ProviderInfo>(addr), E_PROVIDER_NOT_FOUND);
        assert!(price_per_second > 0, E_INVALID_PRICE);
        let info = borrow_global_mut<ProviderInfo>(addr);
        let old_price = info.price_per_second;
        info.price_per_second = price_per_second;
        event::emit(ProviderPricingUpdated { provider: addr, old_price, new_price: price_per_second });
    }

    public entry fun deregister(provider: &signer) acquires ProviderInfo, Registry {
        let addr = signer::address_of(provider);
        assert!(exists<ProviderInfo>(addr), E_PROVIDER_NOT_FOUND);
        assert!(borrow_global<ProviderInfo>(addr).active_jobs == 0, E_PROVIDER_HAS_ACTIVE_JOBS);
        let ProviderInfo { provider: _, gpu_type: _, vram_gb: _, price_per_second: _, stake, is_active: _, active_jobs: _, registered_at: _ } =
            move_from<ProviderInfo>(addr);
        let registry = borrow_global_mut<Registry>(@computestream);
        if (stake > 0) {
            let vault = object::generate_signer_for_extending(&registry.vault);
            primary_fungible_store::transfer(&vault, registry.stake_asset, addr, stake);
        };
        let (found, index) = vector::index_of(&registry.providers, &addr);
        if (found) {
            vector::swap_remove(&mut registry.providers, index);
        };
        event::emit(ProviderDeregistered { provider: addr, stake_returned: stake });
    }

    /// Registered and accepting jobs.
    public fun is_available(provider: address): bool acquires ProviderInfo {
        exists<ProviderInfo>(provider) && borrow_global<ProviderInfo>(provider).is_active
    }

    public(friend) fun add_active_job(provider: address) acquires ProviderInfo {
        let info = borrow_global_mut<ProviderInfo>(provider);
        info.active_jobs = info.active_jobs + 1;
    }

    public(friend) fun remove_active_job(provider: address) acquires ProviderInfo {
        let info = borrow_global_mut<ProviderInfo>(provider);
        info.active_jobs = info.active_jobs - 1;
    }

    #[view]
    public fun get_provider(provider: address): ProviderInfo acquires ProviderInfo {
        assert!(exists<ProviderInfo>(provider), E_PROVIDER_NOT_FOUND);
        *borrow_global<ProviderInfo>(provider)
    }

    #[view]
    public fun is_provider_active(provider: address): bool acquires ProviderInfo {
        is_available(provider)
    }

    #[view]
    public fun get_provider_price(provider: address): u128 acquires ProviderInfo {
        assert!(exists<ProviderInfo>(provider), E_PROVIDER_NOT_FOUND);
        borrow_global<ProviderInfo>(provider).price_per_second
    }

    #[view]
    /// Registered providers in registration order (deregistration moves the last one into the gap).
    public fun list_providers(offset: u64, limit: u64): vector<address> acquires Registry {
        let all = &borrow_global<Registry>(@computestream).providers;
        let out = vector::empty<address>();
        let len = vector::length(all);
        let i = offset;
        while (i < len && vector::length(&out) < limit) {
            vector::push_back(&mut out, *vector::borrow(all, i));
            i = i + 1;
        };
        out
    }
}
