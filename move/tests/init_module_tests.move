#[test_only]
/// Publishing: `init_module` of both modules, run as the package account (the named
/// address `computestream`), against the real native coin's metadata at `0xa`.
module computestream::init_module_tests {
    use std::string::utf8;
    use std::vector;
    use aptos_framework::aptos_coin;
    use aptos_framework::fungible_asset::Metadata;
    use aptos_framework::object;
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::provider_registry;

    #[test(fx = @aptos_framework, publisher = @computestream, provider = @0xb0b)]
    fun init_module_publishes_the_registry_and_both_vaults_under_the_package(
        fx: &signer, publisher: &signer, provider: &signer,
    ) {
        timestamp::set_time_has_started_for_testing(fx);
        // The native coin paired with its fungible asset at 0xa, as on a live network.
        aptos_coin::ensure_initialized_with_apt_fa_metadata_for_test();
        provider_registry::init_module_for_test(publisher);
        escrow::init_for_test(publisher);

        // Stake asset: the native coin's metadata at 0xa.
        assert!(object::object_address(&provider_registry::stake_asset_for_test()) == @0xa, 1);
        // Both vaults are named objects of the package account, at the addresses the
        // embedded ledger derives from the same seeds.
        assert!(
            provider_registry::vault_address_for_test()
                == object::create_object_address(&@computestream, b"computestream::provider_registry::stake_vault"),
            2,
        );
        assert!(
            escrow::vault_address_for_test()
                == object::create_object_address(&@computestream, b"computestream::escrow::vault"),
            3,
        );
        assert!(object::owner(object::address_to_object<object::ObjectCore>(provider_registry::vault_address_for_test()))
            == @computestream, 4);
        assert!(object::owner(object::address_to_object<object::ObjectCore>(escrow::vault_address_for_test()))
            == @computestream, 5);
        assert!(vector::is_empty(&provider_registry::list_providers(0, 10)), 6);

        // A stake in the native coin lands in the stake vault.
        primary_fungible_store::deposit(@0xb0b, aptos_coin::mint_apt_fa_for_test(1_000));
        provider_registry::register_provider(provider, utf8(b"H100"), 80, 1, 600);
        let native_coin = object::address_to_object<Metadata>(@0xa);
        assert!(primary_fungible_store::balance(provider_registry::vault_address_for_test(), native_coin) == 600, 7);
        assert!(primary_fungible_store::balance(@0xb0b, native_coin) == 400, 8);
        assert!(provider_registry::list_providers(0, 10) == vector[@0xb0b], 9);
    }

    #[test(publisher = @computestream)]
    #[expected_failure(abort_code = 7, location = computestream::provider_registry)]
    fun init_module_aborts_with_a_named_code_without_native_metadata_at_0xa(publisher: &signer) {
        provider_registry::init_module_for_test(publisher);
    }
}
