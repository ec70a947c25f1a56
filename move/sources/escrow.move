/// Escrows: a buyer's deposit for one job, held by the package's vault object. Funds leave
/// only to the job's provider (through `payment_stream`) or back to the payer.
/// Conservation: `deposited == paid + refunded + held` for every escrow.
module computestream::escrow {
    use std::signer;
    use aptos_std::table::{Self, Table};
    use aptos_framework::event;
    use aptos_framework::fungible_asset::Metadata;
    use aptos_framework::object::{Self, ExtendRef};
    use aptos_framework::primary_fungible_store;
    use computestream::job_registry;

    friend computestream::payment_stream;

    /// No escrow for that job.
    const E_ESCROW_NOT_FOUND: u64 = 20;
    /// The job already has an escrow.
    const E_ESCROW_ALREADY_EXISTS: u64 = 21;
    /// A deposit of zero.
    const E_INVALID_AMOUNT: u64 = 22;
    /// The escrow's provider is not the job's provider.
    const E_PROVIDER_MISMATCH: u64 = 23;
    /// The escrow was already settled and refunded.
    const E_ESCROW_INACTIVE: u64 = 24;
    /// The escrow funds a stream: close the stream instead.
    const E_STREAM_ATTACHED: u64 = 25;
    /// Refund before the job has ended.
    const E_JOB_NOT_TERMINAL: u64 = 26;
    /// The asset address is not a fungible-asset metadata object.
    const E_INVALID_ASSET: u64 = 27;

    const VAULT_SEED: vector<u8> = b"computestream::escrow::vault";

    /// An escrow; also what `get_escrow` returns.
    struct EscrowInfo has store, copy, drop {
        payer: address,
        job_id: u64,
        payee: address,
        asset: address,
        deposited: u64,
        paid: u64,
        refunded: u64,
        is_active: bool,
        has_stream: bool,
    }

    spec EscrowInfo {
        // Conservation, `deposited == paid + refunded + held`: what was paid out and refunded
        // never exceeds what was deposited, so `held = deposited - paid - refunded` is never
        // negative.
        invariant paid + refunded <= deposited;
    }

    /// A payer's escrows.
    struct EscrowStore has key {
        escrows: Table<u64, EscrowInfo>,
    }

    /// The vault object that holds every escrow's funds.
    struct Vault has key {
        extend_ref: ExtendRef,
    }

    #[event]
    struct EscrowDeposited has drop, store {
        payer: address,
        job_id: u64,
        payee: address,
        asset: address,
        amount: u64,
        total_deposited: u64,
    }

    #[event]
    struct EscrowToppedUp has drop, store { payer: address, job_id: u64, funder: address, amount: u64, total_deposited: u64 }

    #[event]
    struct EscrowRefunded has drop, store { payer: address, job_id: u64, amount: u64, total_refunded: u64 }

    fun init_module(publisher: &signer) {
        let constructor = object::create_named_object(publisher, VAULT_SEED);
        move_to(publisher, Vault { extend_ref: object::generate_extend_ref(&constructor) });
    }

    #[test_only]
    public fun init_for_test(publisher: &signer) {
        init_module(publisher);
    }

    #[test_only]
    public fun vault_address_for_test(): address acquires Vault {
        vault_address()
    }

    fun vault_address(): address acquires Vault {
        object::address_from_extend_ref(&borrow_global<Vault>(@computestream).extend_ref)
    }

    fun pay_out(asset: address, to: address, amount: u64) acquires Vault {
        if (amount > 0) {
            let vault = object::generate_signer_for_extending(&borrow_global<Vault>(@computestream).extend_ref);
            primary_fungible_store::transfer(&vault, object::address_to_object<Metadata>(asset), to, amount);
        }
    }

    inline fun escrow_ref(payer: address, job_id: u64): &EscrowInfo {
        assert!(exists<EscrowStore>(payer), E_ESCROW_NOT_FOUND);
        let escrows = &borrow_global<EscrowStore>(payer).escrows;
        assert!(table::contains(escrows, job_id), E_ESCROW_NOT_FOUND);
        table::borrow(escrows, job_id)
    }

    inline fun escrow_mut(payer: address, job_id: u64): &mut EscrowInfo {
        assert!(exists<EscrowStore>(payer), E_ESCROW_NOT_FOUND);
        let escrows = &mut borrow_global_mut<EscrowStore>(payer).escrows;
        assert!(table::contains(escrows, job_id), E_ESCROW_NOT_FOUND);
        table::borrow_mut(escrows, job_id)
    }

    fun has_escrow(payer: address, job_id: u64): bool acquires EscrowStore {
        exists<EscrowStore>(payer) && table::contains(&borrow_global<EscrowStore>(payer).escrows, job_id)
    }

    public entry fun deposit_escrow(payer: &signer, job_id: u64, provider: address, asset: address, amount: u64)
    acquires EscrowStore, Vault {
        deposit(payer, job_id, provider, asset, amount);
    }

    /// Escrows `amount` of `asset` for the payer's job (`deposit_escrow` for other modules).
    public fun deposit(payer: &signer, job_id: u64, provider: address, asset: address, amount: u64)
    acquires EscrowStore, Vault {
        let payer_addr = signer::address_of(payer);
        assert!(amount > 0, E_INVALID_AMOUNT);
        assert!(job_registry::job_provider(payer_addr, job_id) == provider, E_PROVIDER_MISMATCH);
        job_registry::assert_not_ended(payer_addr, job_id);
        assert!(object::object_exists<Metadata>(asset), E_INVALID_ASSET);
        assert!(!has_escrow(payer_addr, job_id), E_ESCROW_ALREADY_EXISTS);
        primary_fungible_store::transfer(payer, object::address_to_object<Metadata>(asset), vault_address(), amount);
        if (!exists<EscrowStore>(payer_addr)) {
            move_to(payer, EscrowStore { escrows: table::new() });
        };
        table::add(&mut borrow_global_mut<EscrowStore>(payer_addr).escrows, job_id, EscrowInfo {
            payer: payer_addr,
            job_id,
            payee: provider,
            asset,
            deposited: amount,
            paid: 0,
            refunded: 0,
            is_active: true,
            has_stream: false,
        });
        event::emit(EscrowDeposited { payer: payer_addr, job_id, payee: provider, asset, amount, total_deposited: amount });
    }

    public entry fun refund_escrow(payer: &signer, job_id: u64) acquires EscrowStore, Vault {
        let payer_addr = signer::address_of(payer);
        let escrow = escrow_ref(payer_addr, job_id);
        assert!(escrow.is_active, E_ESCROW_INACTIVE);
        assert!(!escrow.has_stream, E_STREAM_ATTACHED);
        assert!(job_registry::is_ended(payer_addr, job_id), E_JOB_NOT_TERMINAL);
        refund_remaining_internal(payer_addr, job_id, true);
    }

    fun refund_remaining_internal(payer: address, job_id: u64, always_emit: bool) acquires EscrowStore, Vault {
        let escrow = escrow_mut(payer, job_id);
        let held = escrow.deposited - escrow.paid - escrow.refunded;
        escrow.refunded = escrow.refunded + held;
        escrow.is_active = false;
        let total_refunded = escrow.refunded;
        let asset = escrow.asset;
        pay_out(asset, payer, held);
        if (always_emit || held > 0) {
            event::emit(EscrowRefunded { payer, job_id, amount: held, total_refunded });
        };
    }

    spec refund_remaining_internal {
        // Settled: everything still held went back, nothing is held any more.
        let e = table::spec_get(global<EscrowStore>(payer).escrows, job_id);
        let post e_post = table::spec_get(global<EscrowStore>(payer).escrows, job_id);
        ensures e_post.refunded == e.deposited - e.paid;
        ensures e_post.paid + e_post.refunded == e_post.deposited;
        ensures !e_post.is_active;
    }

    // -------------------------------------------------------------- for payment_stream

    /// `(payee, asset, deposited, paid, is_active)`; aborts `E_ESCROW_NOT_FOUND`.
    public fun terms(payer: address, job_id: u64): (address, address, u64, u64, bool) acquires EscrowStore {
        let e = escrow_ref(payer, job_id);
        (e.payee, e.asset, e.deposited, e.paid, e.is_active)
    }

    /// Aborts `E_ESCROW_INACTIVE` once the escrow is settled and refunded.
    public fun assert_active(payer: address, job_id: u64) acquires EscrowStore {
        assert!(escrow_ref(payer, job_id).is_active, E_ESCROW_INACTIVE);
    }

    public(friend) fun attach_stream(payer: address, job_id: u64) acquires EscrowStore {
        escrow_mut(payer, job_id).has_stream = true;
    }

    /// Pays `amount` to the escrow's payee and returns the new `(total_paid, remaining)`.
    public(friend) fun release(payer: address, job_id: u64, amount: u64): (u64, u64) acquires EscrowStore, Vault {
        let escrow = escrow_mut(payer, job_id);
        escrow.paid = escrow.paid + amount;
        let (payee, asset, total_paid, remaining) = (escrow.payee, escrow.asset, escrow.paid, escrow.deposited - escrow.paid);
        pay_out(asset, payee, amount);
        (total_paid, remaining)
    }

    spec release {
        // Only what is held can be released: `payment_stream` pays `owed - paid` and
        // `owed <= deposited`, and nothing is refunded while a stream is attached.
        let e = table::spec_get(global<EscrowStore>(payer).escrows, job_id);
        requires e.paid + e.refunded + amount <= e.deposited;
        ensures result_1 == e.paid + amount;
        ensures result_2 == e.deposited - e.paid - amount;
    }

    /// Adds `amount` from `funder` to the escrow; refunds still go to the payer.
    public(friend) fun add_deposit(funder: &signer, payer: address, job_id: u64, amount: u64) acquires EscrowStore, Vault {
        let asset = escrow_ref(payer, job_id).asset;
        primary_fungible_store::transfer(funder, object::address_to_object<Metadata>(asset), vault_address(), amount);
        let escrow = escrow_mut(payer, job_id);
        escrow.deposited = escrow.deposited + amount;
        event::emit(EscrowToppedUp {
            payer,
            job_id,
            funder: signer::address_of(funder),
            amount,
            total_deposited: escrow.deposited,
        });
    }

    /// Refunds what is held to the payer and deactivates the escrow; returns `(paid, refunded)`.
    public(friend) fun finalize(payer: address, job_id: u64): (u64, u64) acquires EscrowStore, Vault {
        refund_remaining_internal(payer, job_id, false);
        let e = escrow_ref(payer, job_id);
        (e.paid, e.refunded)
    }

    // -------------------------------------------------------------- views

    #[view]
    public fun get_escrow(payer: address, job_id: u64): EscrowInfo acquires EscrowStore {
        *escrow_ref(payer, job_id)
    }

    #[view]
    public fun get_remaining_balance(payer: address, job_id: u64): u64 acquires EscrowStore {
        let e = escrow_ref(payer, job_id);
        e.deposited - e.paid - e.refunded
    }

    #[view]
    public fun is_escrow_active(payer: address, job_id: u64): bool acquires EscrowStore {
        has_escrow(payer, job_id) && escrow_ref(payer, job_id).is_active
    }

    #[view]
    public fun get_released_amount(payer: address, job_id: u64): u64 acquires EscrowStore {
        escrow_ref(payer, job_id).paid
    }

    // -------------------------------------------------------------- event values for tests
    // (a test module cannot pack this module's structs; `event::was_event_emitted` needs one)

    #[test_only]
    public fun escrow_deposited_event(
        payer: address, job_id: u64, payee: address, asset: address, amount: u64, total_deposited: u64,
    ): EscrowDeposited {
        EscrowDeposited { payer, job_id, payee, asset, amount, total_deposited }
    }

    #[test_only]
    public fun escrow_topped_up_event(
        payer: address, job_id: u64, funder: address, amount: u64, total_deposited: u64,
    ): EscrowToppedUp {
        EscrowToppedUp { payer, job_id, funder, amount, total_deposited }
    }

    #[test_only]
    public fun escrow_refunded_event(payer: address, job_id: u64, amount: u64, total_refunded: u64): EscrowRefunded {
        EscrowRefunded { payer, job_id, amount, total_refunded }
    }
}
