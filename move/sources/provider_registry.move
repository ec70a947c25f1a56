/// GPU providers: registration with a locked native-coin stake, availability and pricing.
module computestream::provider_registry {
    use std::signer;
    use std::string::{Self, String};
    use std::vector;
    use aptos_std::smart_table::{Self, SmartTable};
    use aptos_std::smart_vector::{Self, SmartVector};
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

    /// The native coin's fungible-asset metadata is not at `0xa`: publishing aborts (nothing
    /// else can; see "Which framework" in `move/README.md`).
    const E_NATIVE_ASSET_MISSING: u64 = 7;
    /// An endpoint that is neither empty nor an `http://` or `https://` URL of at most
    /// `MAX_ENDPOINT_BYTES` bytes.
    const E_INVALID_ENDPOINT: u64 = 8;

    /// The longest service URL a provider may publish.
    const MAX_ENDPOINT_BYTES: u64 = 256;

    /// The native coin's fungible-asset metadata (APT on Aptos, MOVE on Movement).
    const NATIVE_ASSET: address = @0xa;

    /// A provider's record, stored under the provider's account.
    struct Provider has key {
        provider: address,
        gpu_type: String,
        vram_gb: u64,
        /// Nano-units (1e-9 base unit) per second.
        price_per_second: u128,
        stake: u64,
        is_active: bool,
        active_jobs: u64,
        registered_at: u64,
        /// The provider's service URL (its x402 endpoint), empty until it publishes one.
        endpoint: String,
    }

    /// What `get_provider` returns: the record's fields, same names, same order, so the
    /// view's JSON (and BCS) is the record's.
    struct ProviderInfo has store, copy, drop {
        provider: address,
        gpu_type: String,
        vram_gb: u64,
        /// Nano-units (1e-9 base unit) per second.
        price_per_second: u128,
        stake: u64,
        is_active: bool,
        active_jobs: u64,
        registered_at: u64,
        /// The provider's service URL (its x402 endpoint), empty until it publishes one.
        endpoint: String,
    }

    /// Global registry state at the package address. The provider list is bucketed
    /// (`SmartVector`, with each provider's position in a `SmartTable`), so registering and
    /// deregistering touch a bucket or two instead of rewriting one vector of every provider,
    /// and deregistration finds its slot without a scan.
    struct Registry has key {
        providers: SmartVector<address>,
        positions: SmartTable<address, u64>,
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

    #[event]
    struct ProviderEndpointUpdated has drop, store { provider: address, endpoint: String }

    fun init_module(publisher: &signer) {
        assert!(object::object_exists<Metadata>(NATIVE_ASSET), E_NATIVE_ASSET_MISSING);
        init(publisher, object::address_to_object<Metadata>(NATIVE_ASSET));
    }

    fun init(publisher: &signer, stake_asset: Object<Metadata>) {
        let constructor = object::create_named_object(publisher, VAULT_SEED);
        move_to(publisher, Registry {
            providers: smart_vector::new(),
            positions: smart_table::new(),
            vault: object::generate_extend_ref(&constructor),
            stake_asset,
        });
    }

    #[test_only]
    public fun init_for_test(publisher: &signer, stake_asset: Object<Metadata>) {
        init(publisher, stake_asset);
    }

    #[test_only]
    /// Runs `init_module` as publishing does (stake asset: the native coin at `0xa`).
    public fun init_module_for_test(publisher: &signer) {
        init_module(publisher);
    }

    #[test_only]
    public fun stake_asset_for_test(): Object<Metadata> acquires Registry {
        borrow_global<Registry>(@computestream).stake_asset
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
        assert!(!exists<Provider>(addr), E_PROVIDER_ALREADY_REGISTERED);
        assert!(!string::is_empty(&gpu_type) && vram_gb > 0, E_INVALID_GPU_SPEC);
        assert!(price_per_second > 0, E_INVALID_PRICE);
        assert!(stake_amount > 0, E_INVALID_STAKE);
        let stake_asset = borrow_global<Registry>(@computestream).stake_asset;
        primary_fungible_store::transfer(provider, stake_asset, vault_address(), stake_amount);
        move_to(provider, Provider {
            provider: addr,
            gpu_type,
            vram_gb,
            price_per_second,
            stake: stake_amount,
            is_active: true,
            active_jobs: 0,
            registered_at: timestamp::now_seconds(),
            endpoint: string::utf8(b""),
        });
        let registry = borrow_global_mut<Registry>(@computestream);
        smart_table::add(&mut registry.positions, addr, smart_vector::length(&registry.providers));
        smart_vector::push_back(&mut registry.providers, addr);
        event::emit(ProviderRegistered { provider: addr, gpu_type, vram_gb, price_per_second, stake: stake_amount });
    }

    /// Publishes (or, with an empty string, withdraws) the provider's service URL, where a buyer
    /// found through `list_providers` reaches its x402 endpoint.
    public entry fun update_endpoint(provider: &signer, endpoint: String) acquires Provider {
        let addr = signer::address_of(provider);
        assert!(exists<Provider>(addr), E_PROVIDER_NOT_FOUND);
        assert!(is_valid_endpoint(&endpoint), E_INVALID_ENDPOINT);
        borrow_global_mut<Provider>(addr).endpoint = endpoint;
        event::emit(ProviderEndpointUpdated { provider: addr, endpoint });
    }

    fun is_valid_endpoint(endpoint: &String): bool {
        let bytes = string::bytes(endpoint);
        let len = vector::length(bytes);
        len == 0 || (len <= MAX_ENDPOINT_BYTES && (starts_with(bytes, &b"http://") || starts_with(bytes, &b"https://")))
    }

    fun starts_with(bytes: &vector<u8>, prefix: &vector<u8>): bool {
        let n = vector::length(prefix);
        if (vector::length(bytes) < n) return false;
        let i = 0;
        while (i < n) {
            if (*vector::borrow(bytes, i) != *vector::borrow(prefix, i)) return false;
            i = i + 1;
        };
        true
    }

    public entry fun update_availability(provider: &signer, is_active: bool) acquires Provider {
        let addr = signer::address_of(provider);
        assert!(exists<Provider>(addr), E_PROVIDER_NOT_FOUND);
        borrow_global_mut<Provider>(addr).is_active = is_active;
        event::emit(ProviderAvailabilityUpdated { provider: addr, is_active });
    }

    public entry fun update_pricing(provider: &signer, price_per_second: u128) acquires Provider {
        let addr = signer::address_of(provider);
        assert!(exists<Provider>(addr), E_PROVIDER_NOT_FOUND);
        assert!(price_per_second > 0, E_INVALID_PRICE);
        let info = borrow_global_mut<Provider>(addr);
        let old_price = info.price_per_second;
        info.price_per_second = price_per_second;
        event::emit(ProviderPricingUpdated { provider: addr, old_price, new_price: price_per_second });
    }

    public entry fun deregister(provider: &signer) acquires Provider, Registry {
        let addr = signer::address_of(provider);
        assert!(exists<Provider>(addr), E_PROVIDER_NOT_FOUND);
        assert!(borrow_global<Provider>(addr).active_jobs == 0, E_PROVIDER_HAS_ACTIVE_JOBS);
        let Provider { provider: _, gpu_type: _, vram_gb: _, price_per_second: _, stake, is_active: _, active_jobs: _, registered_at: _, endpoint: _ } =
            move_from<Provider>(addr);
        let registry = borrow_global_mut<Registry>(@computestream);
        if (stake > 0) {
            let vault = object::generate_signer_for_extending(&registry.vault);
            primary_fungible_store::transfer(&vault, registry.stake_asset, addr, stake);
        };
        // Swap-remove: the last provider moves into the gap (the order `list_providers` shows).
        let index = smart_table::remove(&mut registry.positions, addr);
        smart_vector::swap_remove(&mut registry.providers, index);
        if (index < smart_vector::length(&registry.providers)) {
            let moved = *smart_vector::borrow(&registry.providers, index);
            *smart_table::borrow_mut(&mut registry.positions, moved) = index;
        };
        event::emit(ProviderDeregistered { provider: addr, stake_returned: stake });
    }

    /// Registered and accepting jobs.
    public fun is_available(provider: address): bool acquires Provider {
        exists<Provider>(provider) && borrow_global<Provider>(provider).is_active
    }

    public(friend) fun add_active_job(provider: address) acquires Provider {
        let info = borrow_global_mut<Provider>(provider);
        info.active_jobs = info.active_jobs + 1;
    }

    public(friend) fun remove_active_job(provider: address) acquires Provider {
        let info = borrow_global_mut<Provider>(provider);
        info.active_jobs = info.active_jobs - 1;
    }

    #[view]
    public fun get_provider(provider: address): ProviderInfo acquires Provider {
        assert!(exists<Provider>(provider), E_PROVIDER_NOT_FOUND);
        let p = borrow_global<Provider>(provider);
        ProviderInfo {
            provider: p.provider,
            gpu_type: p.gpu_type,
            vram_gb: p.vram_gb,
            price_per_second: p.price_per_second,
            stake: p.stake,
            is_active: p.is_active,
            active_jobs: p.active_jobs,
            registered_at: p.registered_at,
            endpoint: p.endpoint,
        }
    }

    #[view]
    public fun is_provider_active(provider: address): bool acquires Provider {
        is_available(provider)
    }

    #[view]
    public fun get_provider_price(provider: address): u128 acquires Provider {
        assert!(exists<Provider>(provider), E_PROVIDER_NOT_FOUND);
        borrow_global<Provider>(provider).price_per_second
    }

    #[view]
    /// Registered providers in registration order (deregistration moves the last one into the gap).
    public fun list_providers(offset: u64, limit: u64): vector<address> acquires Registry {
        let all = &borrow_global<Registry>(@computestream).providers;
        let out = vector::empty<address>();
        let len = smart_vector::length(all);
        let i = offset;
        while (i < len && vector::length(&out) < limit) {
            vector::push_back(&mut out, *smart_vector::borrow(all, i));
            i = i + 1;
        };
        out
    }

    // -------------------------------------------------------------- event values for tests
    // (a test module cannot pack this module's structs; `event::was_event_emitted` needs one)

    #[test_only]
    public fun provider_registered_event(
        provider: address, gpu_type: String, vram_gb: u64, price_per_second: u128, stake: u64,
    ): ProviderRegistered {
        ProviderRegistered { provider, gpu_type, vram_gb, price_per_second, stake }
    }

    #[test_only]
    public fun provider_availability_updated_event(provider: address, is_active: bool): ProviderAvailabilityUpdated {
        ProviderAvailabilityUpdated { provider, is_active }
    }

    #[test_only]
    public fun provider_pricing_updated_event(provider: address, old_price: u128, new_price: u128): ProviderPricingUpdated {
        ProviderPricingUpdated { provider, old_price, new_price }
    }

    #[test_only]
    public fun provider_deregistered_event(provider: address, stake_returned: u64): ProviderDeregistered {
        ProviderDeregistered { provider, stake_returned }
    }

    #[test_only]
    public fun provider_endpoint_updated_event(provider: address, endpoint: String): ProviderEndpointUpdated {
        ProviderEndpointUpdated { provider, endpoint }
    }
}
