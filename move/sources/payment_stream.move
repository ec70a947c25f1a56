/// Payment streams: an escrow flows to the provider for every active second of the job.
///
/// Accrual is lazy. A stream's window runs from `max(job start, stream open)` to the first of
/// `job start + max_duration`, the job's end and the stream's close; paused seconds and
/// seconds no deposit covered are excluded. With `active(t)` the rest up to chain time `t`:
/// `owed(t) = min(deposited, floor(rate_per_second * active(t) / 1e9))`. Settlement
/// (`process_payment`) is permissionless and idempotent: it pays the payee `owed - paid`.
/// Rates are nano-units (1e-9 base unit) per second in u128; time comes only from the chain.
module computestream::payment_stream {
    use std::signer;
    use std::string::String;
    use aptos_std::table::{Self, Table};
    use aptos_framework::event;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::provider_registry;

    /// No stream for that job.
    const E_STREAM_NOT_FOUND: u64 = 30;
    /// The job already has a stream.
    const E_STREAM_ALREADY_EXISTS: u64 = 31;
    /// A rate of zero.
    const E_INVALID_RATE: u64 = 32;
    /// The payee is not the escrow's provider.
    const E_PAYEE_MISMATCH: u64 = 33;
    /// The stream is closed.
    const E_STREAM_CLOSED: u64 = 34;
    /// The stream is already paused.
    const E_ALREADY_PAUSED: u64 = 35;
    /// The stream is not paused.
    const E_NOT_PAUSED: u64 = 36;
    /// Only the payer or the payee may close a stream.
    const E_NOT_STREAM_PARTY: u64 = 37;
    /// The provider's price is above the buyer's `max_rate_per_second`.
    const E_RATE_ABOVE_MAX: u64 = 38;
    /// A top-up of zero.
    const E_INVALID_TOP_UP: u64 = 39;

    const RATE_SCALE: u128 = 1_000_000_000;
    const NEVER: u64 = 18446744073709551615;
    const MAX_U128: u128 = 340282366920938463463374607431768211455;

    struct Stream has store, drop {
        payee: address,
        asset: address,
        rate_per_second: u128,
        opened_at: u64,
        is_paused: bool,
        paused_at: u64,
        excluded_seconds: u64,
        is_closed: bool,
        closed_at: u64,
    }

    /// A payer's streams.
    struct StreamStore has key {
        streams: Table<u64, Stream>,
    }

    /// What `get_stream` returns: the stream, its window and its escrow's totals.
    struct StreamInfo has copy, drop {
        payer: address,
        job_id: u64,
        payee: address,
        asset: address,
        rate_per_second: u128,
        opened_at: u64,
        window_start: u64,
        window_end: u64,
        is_paused: bool,
        paused_at: u64,
        excluded_seconds: u64,
        is_closed: bool,
        closed_at: u64,
        deposited: u64,
        paid: u64,
    }

    #[event]
    struct StreamOpened has drop, store {
        payer: address,
        job_id: u64,
        payee: address,
        asset: address,
        rate_per_second: u128,
        deposited: u64,
    }

    #[event]
    struct PaymentProcessed has drop, store {
        payer: address,
        job_id: u64,
        payee: address,
        amount: u64,
        total_paid: u64,
        remaining: u64,
    }

    #[event]
    struct StreamPaused has drop, store { payer: address, job_id: u64, paused_at: u64 }

    #[event]
    struct StreamResumed has drop, store { payer: address, job_id: u64, resumed_at: u64, excluded_seconds: u64 }

    #[event]
    struct StreamClosed has drop, store { payer: address, job_id: u64, closed_by: address, total_paid: u64, total_refunded: u64 }

    // -------------------------------------------------------------- math (mirrors computestream-core's math.rs)

    fun min_u64(a: u64, b: u64): u64 { if (a < b) { a } else { b } }

    fun max_u64(a: u64, b: u64): u64 { if (a > b) { a } else { b } }

    inline fun stream_ref(payer: address, job_id: u64): &Stream {
        assert!(exists<StreamStore>(payer), E_STREAM_NOT_FOUND);
        let streams = &borrow_global<StreamStore>(payer).streams;
        assert!(table::contains(streams, job_id), E_STREAM_NOT_FOUND);
        table::borrow(streams, job_id)
    }

    inline fun stream_mut(payer: address, job_id: u64): &mut Stream {
        assert!(exists<StreamStore>(payer), E_STREAM_NOT_FOUND);
        let streams = &mut borrow_global_mut<StreamStore>(payer).streams;
        assert!(table::contains(streams, job_id), E_STREAM_NOT_FOUND);
        table::borrow_mut(streams, job_id)
    }

    fun has_stream(payer: address, job_id: u64): bool acquires StreamStore {
        exists<StreamStore>(payer) && table::contains(&borrow_global<StreamStore>(payer).streams, job_id)
    }

    fun info(payer: address, job_id: u64): StreamInfo acquires StreamStore {
        let s = stream_ref(payer, job_id);
        let (started, started_at, ended, ended_at, max_duration) = job_registry::window(payer, job_id);
        let (window_start, window_end) = if (!started) {
            (NEVER, NEVER)
        } else {
            let start = max_u64(started_at, s.opened_at);
            let end = if (max_duration > NEVER - started_at) { NEVER } else { started_at + max_duration };
            if (ended) { end = min_u64(end, ended_at) };
            if (s.is_closed) { end = min_u64(end, s.closed_at) };
            (start, max_u64(end, start))
        };
        let (_, _, deposited, paid, _) = escrow::terms(payer, job_id);
        StreamInfo {
            payer,
            job_id,
            payee: s.payee,
            asset: s.asset,
            rate_per_second: s.rate_per_second,
            opened_at: s.opened_at,
            window_start,
            window_end,
            is_paused: s.is_paused,
            paused_at: s.paused_at,
            excluded_seconds: s.excluded_seconds,
            is_closed: s.is_closed,
            closed_at: s.closed_at,
            deposited,
            paid,
        }
    }

    fun active_seconds(s: &StreamInfo, now: u64): u64 {
        let end = min_u64(now, s.window_end);
        if (end <= s.window_start) { return 0 };
        let gross = end - s.window_start;
        let current_pause = if (s.is_paused) {
            let from = max_u64(s.paused_at, s.window_start);
            if (end > from) { end - from } else { 0 }
        } else { 0 };
        let excluded = s.excluded_seconds + current_pause;
        if (gross > excluded) { gross - excluded } else { 0 }
    }

    fun owed(deposited: u64, rate: u128, active: u64): u64 {
        let seconds = (active as u128);
        if (seconds > 0 && rate > MAX_U128 / seconds) { return deposited };
        let accrued = rate * seconds / RATE_SCALE;
        if (accrued >= (deposited as u128)) { deposited } else { (accrued as u64) }
    }

    spec owed {
        // Never more than was deposited, and no overflow.
        aborts_if false;
        ensures result <= deposited;
    }

    fun owed_at(s: &StreamInfo, now: u64): u64 {
        owed(s.deposited, s.rate_per_second, active_seconds(s, now))
    }

    /// `ceil(deposited * 1e9 / rate)`.
    fun seconds_to_deplete(deposited: u64, rate: u128): u128 {
        let scaled = (deposited as u128) * RATE_SCALE;
        (scaled + rate - 1) / rate
    }

    fun unfunded_seconds(deposited: u64, rate: u128, active: u64): u64 {
        let needed = seconds_to_deplete(deposited, rate);
        let active = (active as u128);
        if (active > needed) { ((active - needed) as u64) } else { 0 }
    }

    fun depletion_time_at(s: &StreamInfo, now: u64): u64 {
        if (s.is_closed || s.is_paused || s.window_start == NEVER || now >= s.window_end) { return NEVER };
        let needed = seconds_to_deplete(s.deposited, s.rate_per_second);
        let active = (active_seconds(s, now) as u128);
        if (active >= needed) { return now };
        let at = (max_u64(now, s.window_start) as u128) + (needed - active);
        if (at > (s.window_end as u128)) { NEVER } else { (at as u64) }
    }

    fun is_accruing(s: &StreamInfo, now: u64): bool {
        !s.is_closed && !s.is_paused && s.window_start != NEVER && now >= s.window_start && now < s.window_end
            && owed_at(s, now) < s.deposited
    }

    // -------------------------------------------------------------- entry functions

    public entry fun open_stream(payer: &signer, job_id: u64, payee: address, rate_per_second: u128) acquires StreamStore {
        open(payer, job_id, payee, rate_per_second);
    }

    fun open(payer: &signer, job_id: u64, payee: address, rate_per_second: u128) acquires StreamStore {
        let payer_addr = signer::address_of(payer);
        assert!(rate_per_second > 0, E_INVALID_RATE);
        let (escrow_payee, asset, deposited, _, _) = escrow::terms(payer_addr, job_id);
        escrow::assert_active(payer_addr, job_id);
        assert!(escrow_payee == payee, E_PAYEE_MISMATCH);
        assert!(!has_stream(payer_addr, job_id), E_STREAM_ALREADY_EXISTS);
        job_registry::assert_not_ended(payer_addr, job_id);
        escrow::attach_stream(payer_addr, job_id);
        if (!exists<StreamStore>(payer_addr)) {
            move_to(payer, StreamStore { streams: table::new() });
        };
        let now = timestamp::now_seconds();
        table::add(&mut borrow_global_mut<StreamStore>(payer_addr).streams, job_id, Stream {
            payee,
            asset,
            rate_per_second,
            opened_at: now,
            is_paused: false,
            paused_at: 0,
            excluded_seconds: 0,
            is_closed: false,
            closed_at: 0,
        });
        event::emit(StreamOpened { payer: payer_addr, job_id, payee, asset, rate_per_second, deposited });
    }

    fun assert_open(payer: address, job_id: u64) acquires StreamStore {
        assert!(!stream_ref(payer, job_id).is_closed, E_STREAM_CLOSED);
    }

    /// Pays the payee what the stream owes now beyond what it was paid.
    fun settle(payer: address, job_id: u64) acquires StreamStore {
        let s = info(payer, job_id);
        let owed_now = owed_at(&s, timestamp::now_seconds());
        // What was paid never exceeds what is owed: `owed` only grows with time, resuming
        // moves the paused seconds it already left out into `excluded_seconds`, and a top-up
        // excludes only the seconds past the old deposit, which the old deposit fully paid.
        spec { assert s.paid <= owed_now; };
        let due = owed_now - s.paid;
        if (due == 0) { return };
        let (total_paid, remaining) = escrow::release(payer, job_id, due);
        event::emit(PaymentProcessed { payer, job_id, payee: s.payee, amount: due, total_paid, remaining });
    }

    /// Anyone may settle; funds only ever go to the payee.
    public entry fun process_payment(_caller: &signer, payer: address, job_id: u64) acquires StreamStore {
        assert_open(payer, job_id);
        settle(payer, job_id);
    }

    public entry fun pause_stream(payer: &signer, job_id: u64) acquires StreamStore {
        let payer_addr = signer::address_of(payer);
        assert_open(payer_addr, job_id);
        let s = stream_mut(payer_addr, job_id);
        assert!(!s.is_paused, E_ALREADY_PAUSED);
        let now = timestamp::now_seconds();
        s.is_paused = true;
        s.paused_at = now;
        event::emit(StreamPaused { payer: payer_addr, job_id, paused_at: now });
    }

    public entry fun resume_stream(payer: &signer, job_id: u64) acquires StreamStore {
        let payer_addr = signer::address_of(payer);
        assert_open(payer_addr, job_id);
        assert!(stream_ref(payer_addr, job_id).is_paused, E_NOT_PAUSED);
        let now = timestamp::now_seconds();
        let i = info(payer_addr, job_id);
        let from = max_u64(i.paused_at, i.window_start);
        let to = min_u64(now, i.window_end);
        let overlap = if (to > from) { to - from } else { 0 };
        let s = stream_mut(payer_addr, job_id);
        s.is_paused = false;
        s.excluded_seconds = s.excluded_seconds + overlap;
        event::emit(StreamResumed { payer: payer_addr, job_id, resumed_at: now, excluded_seconds: s.excluded_seconds });
    }

    /// Anyone may add to a stream's escrow. Seconds served while the escrow was depleted are
    /// excluded first, so a top-up never pays for a gap in which the provider was unpaid.
    public entry fun top_up(funder: &signer, payer: address, job_id: u64, amount: u64) acquires StreamStore {
        assert!(amount > 0, E_INVALID_TOP_UP);
        assert_open(payer, job_id);
        let i = info(payer, job_id);
        let unfunded = unfunded_seconds(i.deposited, i.rate_per_second, active_seconds(&i, timestamp::now_seconds()));
        escrow::add_deposit(funder, payer, job_id, amount);
        let s = stream_mut(payer, job_id);
        s.excluded_seconds = s.excluded_seconds + unfunded;
    }

    /// The payer or the payee settles the stream, closes it and refunds the rest to the payer.
    public entry fun close_stream(caller: &signer, payer: address, job_id: u64) acquires StreamStore {
        assert_open(payer, job_id);
        let caller_addr = signer::address_of(caller);
        assert!(caller_addr == payer || caller_addr == stream_ref(payer, job_id).payee, E_NOT_STREAM_PARTY);
        settle(payer, job_id);
        let s = stream_mut(payer, job_id);
        s.is_closed = true;
        s.closed_at = timestamp::now_seconds();
        let (total_paid, total_refunded) = escrow::finalize(payer, job_id);
        event::emit(StreamClosed { payer, job_id, closed_by: caller_addr, total_paid, total_refunded });
    }

    /// Job, escrow and stream in one transaction, at the provider's current price, which
    /// must not exceed `max_rate_per_second`.
    public entry fun rent(
        buyer: &signer,
        provider: address,
        docker_image: String,
        asset: address,
        deposit: u64,
        max_duration: u64,
        max_rate_per_second: u128,
    ) acquires StreamStore {
        let price = provider_registry::get_provider_price(provider);
        assert!(price <= max_rate_per_second, E_RATE_ABOVE_MAX);
        let job_id = job_registry::create(buyer, provider, docker_image, deposit, max_duration);
        escrow::deposit(buyer, job_id, provider, asset, deposit);
        open(buyer, job_id, provider, price);
    }

    // -------------------------------------------------------------- views

    #[view]
    public fun get_stream(payer: address, job_id: u64): StreamInfo acquires StreamStore {
        info(payer, job_id)
    }

    #[view]
    public fun get_total_streamed(payer: address, job_id: u64): u64 acquires StreamStore {
        info(payer, job_id).paid
    }

    #[view]
    /// What a settlement would pay now.
    public fun calculate_current_amount(payer: address, job_id: u64): u64 acquires StreamStore {
        let s = info(payer, job_id);
        if (s.is_closed) { 0 } else { owed_at(&s, timestamp::now_seconds()) - s.paid }
    }

    #[view]
    public fun is_stream_active(payer: address, job_id: u64): bool acquires StreamStore {
        has_stream(payer, job_id) && is_accruing(&info(payer, job_id), timestamp::now_seconds())
    }

    #[view]
    /// When the escrow will be fully owed: `now` if it already is, `u64::MAX` if never under
    /// the current state (paused, closed, not started, or the window ends first).
    public fun depletion_time(payer: address, job_id: u64): u64 acquires StreamStore {
        depletion_time_at(&info(payer, job_id), timestamp::now_seconds())
    }

    #[test_only]
    public fun owed_for_test(deposited: u64, rate: u128, active: u64): u64 { owed(deposited, rate, active) }

    // -------------------------------------------------------------- event values for tests
    // (a test module cannot pack this module's structs; `event::was_event_emitted` needs one)

    #[test_only]
    public fun stream_opened_event(
        payer: address, job_id: u64, payee: address, asset: address, rate_per_second: u128, deposited: u64,
    ): StreamOpened {
        StreamOpened { payer, job_id, payee, asset, rate_per_second, deposited }
    }

    #[test_only]
    public fun payment_processed_event(
        payer: address, job_id: u64, payee: address, amount: u64, total_paid: u64, remaining: u64,
    ): PaymentProcessed {
        PaymentProcessed { payer, job_id, payee, amount, total_paid, remaining }
    }

    #[test_only]
    public fun stream_paused_event(payer: address, job_id: u64, paused_at: u64): StreamPaused {
        StreamPaused { payer, job_id, paused_at }
    }

    #[test_only]
    public fun stream_resumed_event(payer: address, job_id: u64, resumed_at: u64, excluded_seconds: u64): StreamResumed {
        StreamResumed { payer, job_id, resumed_at, excluded_seconds }
    }

    #[test_only]
    public fun stream_closed_event(
        payer: address, job_id: u64, closed_by: address, total_paid: u64, total_refunded: u64,
    ): StreamClosed {
        StreamClosed { payer, job_id, closed_by, total_paid, total_refunded }
    }
}
