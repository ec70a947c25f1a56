//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz): the decoders of untrusted input
//! fed libFuzzer's bytes. Each function returns normally on any input its code handles, and
//! panics exactly when it panics itself or breaks an invariant asserted here.
//! `fuzz/fuzz_targets/*.rs` wrap them in three lines; `tests/fuzz_corpus.rs` replays the
//! committed corpus (`fuzz/corpus/<target>/`) through them on stable Rust.
//!
//! A few leading bytes, decoded with `arbitrary`, pick the shape of an input (which layer of
//! an encoding, which route, which account signs); the rest is the payload itself, so
//! libFuzzer mutates JSON, BCS and request bodies directly rather than through base64 or a
//! signature it cannot forge.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aptos_sdk::aptos_bcs;
use aptos_sdk::crypto::sha3_256;
use aptos_sdk::transaction::{
    AccountAuthenticator, EntryFunction, RawTransaction, SignedTransaction,
    TransactionAuthenticator, TransactionPayload,
};
use aptos_sdk::types::HashValue;
use arbitrary::{Arbitrary, Unstructured};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS};
use computestream_core::tx::verify_signed_transaction;
use computestream_core::{AccountAddress, AssetId, Error, Ledger, Signer, facade};
use computestream_localnet::{LOCAL_CHAIN_ID, LocalLedger, ManualClock, State};
use computestream_x402::aptos::AptosPayment;
use computestream_x402::wire::{
    self, PaymentHeader, PaymentHeaderRef, PaymentPayload, PaymentPayloadRef,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Which layer of a `PAYMENT-SIGNATURE` the fuzzed bytes are.
#[derive(Arbitrary, Debug)]
enum PaymentLayer {
    /// The header as sent (base64). Headers reach the decoder as `&str`: non-UTF-8 is skipped.
    Header,
    /// The header's JSON text, base64-encoded here.
    Json,
    /// The Aptos envelope JSON (`{"transaction":[…],"senderAuthenticator":[…]}`), placed in
    /// a v2 `exact` payment.
    Envelope,
    /// `BCS(RawTransaction) ‖ BCS(Option<fee payer>)`, then the sender's
    /// `AccountAuthenticator`, split by a leading u16 (little-endian) length; enveloped and
    /// placed in a v2 `exact` payment.
    Bcs,
}

#[derive(Arbitrary, Debug)]
struct PaymentInput<'a> {
    layer: PaymentLayer,
    bytes: &'a [u8],
}

/// The envelope of the Aptos schemes, read here by serde alone.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    transaction: Vec<u8>,
    sender_authenticator: Vec<u8>,
}

/// The `PAYMENT-SIGNATURE` decoders a server runs: [`wire::decode_text`], the borrowed
/// [`PaymentHeaderRef::parse`] it verifies, the owned [`PaymentHeader::decode`], and on a v2
/// payment the Aptos envelope reader [`AptosPayment::from_payload`] and the sender's
/// signature check. Asserts that the owned and borrowed forms agree, that the envelope reader
/// agrees with a plain serde reading, that BCS re-encodes to the signed bytes, and that the
/// x402 signature check agrees with the chain's verifier.
pub fn payment_signature(data: &[u8]) {
    let Ok(input) = PaymentInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let header = match input.layer {
        PaymentLayer::Header => match std::str::from_utf8(input.bytes) {
            Ok(header) => header.to_owned(),
            Err(_) => return,
        },
        PaymentLayer::Json => wire::encode_base64(input.bytes),
        PaymentLayer::Envelope => payment_with_envelope(input.bytes),
        PaymentLayer::Bcs => {
            let (transaction, sender_authenticator) = split_prefixed(input.bytes);
            let envelope = Envelope {
                transaction: transaction.to_vec(),
                sender_authenticator: sender_authenticator.to_vec(),
            };
            payment_with_envelope(&serde_json::to_vec(&envelope).unwrap_or_default())
        }
    };
    check_payment_header(&header);
}

/// `bytes` split after the length its first two bytes give (little-endian), capped.
fn split_prefixed(bytes: &[u8]) -> (&[u8], &[u8]) {
    let (len, rest) = match bytes {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, &[][..]),
    };
    rest.split_at(len.min(rest.len()))
}

/// A v2 `exact` payment header whose `payload.transaction` is base64 of `envelope`.
fn payment_with_envelope(envelope: &[u8]) -> String {
    wire::encode_header(&json!({
        "x402Version": 2,
        "accepted": {
            "scheme": "exact", "network": "aptos:2", "amount": "1000", "asset": "0xa",
            "payTo": "0xb0b", "maxTimeoutSeconds": 60,
        },
        "payload": {"transaction": wire::encode_base64(envelope)},
    }))
}

fn check_payment_header(header: &str) {
    let owned = PaymentHeader::decode(header);
    let text = match wire::decode_text(header) {
        Ok(text) => text,
        Err(e) => return assert_eq!(owned, Err(e), "{header}"),
    };
    match PaymentHeaderRef::parse(&text) {
        Err(e) => assert_eq!(owned, Err(e), "{text}"),
        Ok(PaymentHeaderRef::V1(p)) => assert_eq!(owned, Ok(PaymentHeader::V1(p)), "{text}"),
        Ok(PaymentHeaderRef::V2(view)) => check_v2_payment(&text, &view, owned),
    }
}

fn check_v2_payment(
    text: &str,
    view: &PaymentPayloadRef<'_>,
    owned: Result<PaymentHeader, wire::WireError>,
) {
    assert_eq!(view.x402_version, 2, "{text}");
    // Whatever the owned serde type reads as a v2 payment, the borrowed form reads the same.
    if let Ok(direct) = serde_json::from_str::<PaymentPayload>(text)
        && direct.x402_version == 2
    {
        assert_eq!(owned, Ok(PaymentHeader::V2(direct)), "{text}");
    }
    let owned = match owned {
        Ok(PaymentHeader::V2(owned)) => owned,
        other => panic!("the borrowed form reads a v2 payment, the owned one {other:?}: {text}"),
    };
    // The borrowed form forwarded as JSON (to a facilitator) reads back as the owned payment.
    let forwarded = serde_json::to_string(view).expect("a borrowed payment serializes");
    assert_eq!(
        serde_json::from_str::<PaymentPayload>(&forwarded)
            .ok()
            .as_ref(),
        Some(&owned),
        "{text}"
    );
    // The two readers of the `payment-identifier` extension agree, except on a `null` one:
    // the borrowed reader (the gate's) sees no identifier, the owned one a malformed one.
    let identifier_is_null = owned
        .extensions
        .as_ref()
        .and_then(|e| e.get(wire::PAYMENT_IDENTIFIER))
        .is_some_and(Value::is_null);
    if !identifier_is_null {
        assert_eq!(
            view.payment_identifier()
                .map(|id| id.map(|id| id.into_owned())),
            owned.payment_identifier().map(|id| id.map(str::to_owned)),
            "{text}"
        );
    }
    // Re-encoded, it decodes to itself, unless it grew past the size cap (the owned form
    // writes an absent `extra` as `{}`, unescapes strings, reformats numbers).
    let again = wire::encode_header(&owned);
    let expected = if again.len() > wire::MAX_HEADER_BYTES {
        Err(wire::WireError::TooLarge(again.len()))
    } else {
        Ok(PaymentHeader::V2(owned.clone()))
    };
    assert_eq!(
        PaymentHeader::decode(&again),
        expected,
        "re-encoded: {text}"
    );
    if let Ok(payment) = AptosPayment::from_payload(&view.payload) {
        check_aptos_payment(view.payload.get(), &payment);
    }
}

fn check_aptos_payment(payload: &str, payment: &AptosPayment) {
    #[derive(Deserialize)]
    struct SchemePayload {
        transaction: String,
    }
    let scheme: SchemePayload = serde_json::from_str(payload).expect("the reader read it");
    let json = wire::decode_base64(&scheme.transaction).expect("the reader decoded it");
    let envelope: Envelope =
        serde_json::from_slice(&json).expect("the envelope reader accepts only what serde does");
    let (raw, fee_payer) = aptos_bcs::from_bytes(&envelope.transaction).expect("transaction");
    let sender_auth = aptos_bcs::from_bytes(&envelope.sender_authenticator).expect("sender");
    assert_eq!(
        payment,
        &AptosPayment {
            raw,
            fee_payer,
            sender_auth,
        }
    );
    // BCS is canonical: the decoded payment re-encodes to the bytes its sender signed, and
    // the payload it re-encodes to decodes to it.
    assert_eq!(payment.transaction_bytes(), envelope.transaction);
    if !reencodes_differently(&payment.sender_auth) {
        assert_eq!(
            aptos_bcs::to_bytes(&payment.sender_auth).ok(),
            Some(envelope.sender_authenticator)
        );
        let again = serde_json::value::to_raw_value(&payment.to_payload()).expect("an object");
        assert_eq!(AptosPayment::from_payload(&again).as_ref(), Ok(payment));
    }
    let checked = payment.check_sender_signature();
    // Unsponsored, the signed transaction is complete: the chain's verifier must agree.
    if payment.fee_payer.is_none()
        && let Ok(signed) = payment.signed_transaction(None)
    {
        assert_eq!(
            checked.is_ok(),
            verify_signed_transaction(&signed).is_ok(),
            "x402's check says {checked:?}"
        );
    }
}

/// aptos-sdk 0.8.0 reads a `SingleKey` or `MultiKey` account authenticator with a length
/// prefix before its key and signature bytes and writes it without (the chain's layout), so
/// such an authenticator does not re-encode to the bytes it was read from (nor is the chain's
/// layout read at all). x402 refuses these senders; the ledger's hash and log are affected.
fn reencodes_differently(auth: &AccountAuthenticator) -> bool {
    matches!(
        auth,
        AccountAuthenticator::SingleKey { .. } | AccountAuthenticator::MultiKey { .. }
    )
}

/// Every account authenticator of a transaction: sender, secondary signers, fee payer.
fn account_authenticators(auth: &TransactionAuthenticator) -> Vec<&AccountAuthenticator> {
    match auth {
        TransactionAuthenticator::Ed25519 { .. }
        | TransactionAuthenticator::MultiEd25519 { .. } => {
            vec![]
        }
        TransactionAuthenticator::SingleSender { sender } => vec![sender],
        TransactionAuthenticator::MultiAgent {
            sender,
            secondary_signers,
            ..
        } => std::iter::once(sender).chain(secondary_signers).collect(),
        TransactionAuthenticator::FeePayer {
            sender,
            secondary_signers,
            fee_payer_signer,
            ..
        } => std::iter::once(sender)
            .chain(secondary_signers)
            .chain(std::iter::once(fee_payer_signer))
            .collect(),
    }
}

/// An account of the fixture ledger.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Actor {
    /// Registered provider, running the buyer's job 1.
    Provider,
    /// Renting from the provider: job 1, its escrow and its stream.
    Buyer,
    /// Funded, nothing else.
    Stranger,
}

impl Actor {
    const ALL: [Actor; 3] = [Actor::Provider, Actor::Buyer, Actor::Stranger];

    fn signer(self) -> &'static Signer {
        static SIGNERS: OnceLock<[Signer; 3]> = OnceLock::new();
        let signers = SIGNERS.get_or_init(|| {
            ["provider", "buyer", "stranger"].map(|n| Signer::from_seed(&format!("fuzz:{n}")))
        });
        &signers[self as usize]
    }

    fn address(self) -> AccountAddress {
        self.signer().address()
    }
}

#[derive(Arbitrary, Debug)]
enum TransactionInput<'a> {
    /// A signed transaction's BCS, as `POST /v1/transactions` receives it.
    Signed(&'a [u8]),
    /// An entry function's BCS, signed here by `signer` with its next sequence number and
    /// submitted after `wait_secs` of chain time.
    Call {
        signer: Actor,
        wait_secs: u16,
        entry_function: &'a [u8],
    },
}

/// The signed-transaction decoder and what runs on its output: BCS into
/// `SignedTransaction`, [`verify_signed_transaction`], [`facade::transaction_hash`],
/// [`facade::decode_call`], and the embedded ledger's `simulate` and `submit` on the fixture
/// state (a provider, a buyer streaming to it, a bystander; the same bytes also as a bare entry
/// function). Asserts canonical BCS, the hash of the bytes received, `decode_call` ∘
/// `encode_call` = identity, typed rejections, simulation predicting a validly signed
/// submission, committed transactions found by hash, and conservation of funds.
pub fn signed_transaction(data: &[u8]) {
    let Ok(input) = TransactionInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    match input {
        TransactionInput::Signed(bytes) => {
            check_call_round_trip(bytes);
            let hash = facade::transaction_hash(bytes);
            let Ok(txn) = aptos_bcs::from_bytes::<SignedTransaction>(bytes) else {
                return assert!(hash.is_err());
            };
            let canonical = !account_authenticators(&txn.authenticator)
                .into_iter()
                .any(reencodes_differently);
            if canonical {
                assert_eq!(aptos_bcs::to_bytes(&txn).ok().as_deref(), Some(bytes));
                assert_eq!(hash.ok(), Some(hash_of_signed_bytes(bytes)));
            }
            if let TransactionPayload::EntryFunction(f) = &txn.raw_txn.payload {
                check_call_round_trip(&aptos_bcs::to_bytes(f).expect("an entry function"));
            }
            let fixture = Fixture::new();
            block_on(check_submission(&fixture.ledger, &txn));
        }
        TransactionInput::Call {
            signer,
            wait_secs,
            entry_function,
        } => {
            check_call_round_trip(entry_function);
            let Ok(f) = aptos_bcs::from_bytes::<EntryFunction>(entry_function) else {
                return;
            };
            let fixture = Fixture::new();
            fixture.clock.advance_secs(u64::from(wait_secs));
            let Some(txn) = fixture.sign(signer, TransactionPayload::EntryFunction(f), 0) else {
                return;
            };
            block_on(check_submission(&fixture.ledger, &txn));
        }
    }
}

/// The node's hash of a signed transaction: `sha3(sha3("APTOS::Transaction") ‖ 0 ‖ bytes)`.
fn hash_of_signed_bytes(bytes: &[u8]) -> String {
    let mut message = sha3_256(b"APTOS::Transaction").to_vec();
    message.push(0);
    message.extend_from_slice(bytes);
    HashValue::new(sha3_256(&message)).to_hex()
}

/// `decode_call` then `encode_call` gives the entry function's bytes back.
fn check_call_round_trip(entry_function: &[u8]) {
    if let Ok(call) = facade::decode_call(entry_function, None) {
        assert_eq!(
            facade::encode_call(&call, None).ok().as_deref(),
            Some(entry_function),
            "{call}"
        );
    }
}

async fn check_submission(ledger: &LocalLedger, txn: &SignedTransaction) {
    let verified = verify_signed_transaction(txn);
    let simulated = ledger.simulate(txn).await;
    let submitted = ledger.submit(txn).await;
    match &submitted {
        Ok(outcome) => {
            assert!(verified.is_ok(), "committed unverified: {txn:?}");
            assert_eq!(Some(outcome.hash), txn.hash().ok());
            let found = ledger.transaction_by_hash(outcome.hash).await;
            assert_eq!(found.ok().flatten().as_ref(), Some(outcome));
        }
        Err(e) => assert!(matches!(e, Error::Rejected { .. }), "{e:?}"),
    }
    // Simulation skips the signature check only: with a valid signature it predicts the
    // submission exactly (the clock is manual, so even the timestamps agree).
    if verified.is_ok() {
        match (&simulated, &submitted) {
            (Ok(s), Ok(c)) => assert_eq!(s, c),
            (Err(s), Err(c)) => assert_eq!(s.to_string(), c.to_string()),
            _ => panic!("simulated {simulated:?}, submitted {submitted:?}"),
        }
    }
    check_funds(&ledger.state());
}

/// Every unit minted is in some balance; the vaults hold exactly the stakes and escrows.
fn check_funds(state: &State) {
    let mut totals: BTreeMap<AssetId, u128> = BTreeMap::new();
    for (_, asset, balance) in state.balances() {
        *totals.entry(asset).or_default() += u128::from(balance);
    }
    for (asset, info) in state.assets() {
        assert_eq!(
            totals.get(&asset).copied().unwrap_or(0),
            info.supply,
            "{asset}"
        );
    }
    let staked: u128 = state.providers().map(|p| u128::from(p.stake)).sum();
    let native = state.balance(state.stake_vault(), AssetId::NATIVE);
    assert_eq!(u128::from(native), staked, "stake vault");
    let mut held: BTreeMap<AssetId, u128> = BTreeMap::new();
    for e in state.escrows() {
        let out = u128::from(e.paid) + u128::from(e.refunded);
        assert!(out <= u128::from(e.deposited), "{e:?}");
        *held.entry(e.asset).or_default() += u128::from(e.deposited) - out;
    }
    for (asset, _) in state.assets() {
        assert_eq!(
            u128::from(state.balance(state.escrow_vault(), asset)),
            held.get(&asset).copied().unwrap_or(0),
            "escrow vault, {asset}"
        );
    }
}

const START_SECS: u64 = 1_750_000_000;
const FUNDS: u64 = 1_000_000_000_000;

/// A fresh embedded ledger on a manual clock where the provider is registered and the buyer
/// rents from it (job 1 running, its escrow and stream open), ten seconds into the stream.
struct Fixture {
    ledger: Arc<LocalLedger>,
    clock: ManualClock,
}

impl Fixture {
    fn new() -> Fixture {
        let (ledger, clock) = LocalLedger::with_manual_clock(START_SECS);
        let fixture = Fixture {
            ledger: Arc::new(ledger),
            clock,
        };
        let usdc = fixture.usdc();
        for actor in Actor::ALL {
            for asset in [AssetId::NATIVE, usdc] {
                fixture
                    .ledger
                    .mint(actor.address(), asset, FUNDS)
                    .expect("mint");
            }
        }
        for txn in setup_transactions() {
            let outcome = block_on(fixture.ledger.submit(txn)).expect("setup transaction");
            assert!(outcome.success, "{}", outcome.vm_status);
        }
        fixture.clock.advance_secs(10);
        fixture
    }

    fn usdc(&self) -> AssetId {
        let usdc = self.ledger.create_asset("USDC", 6).expect("USDC");
        assert_eq!(usdc, usdc_of_fixture());
        usdc
    }

    /// `payload` signed by `actor` with its next sequence number plus `ahead`, valid for an
    /// hour of chain time; `None` when it cannot be signed (an entry function that decodes on
    /// its own can nest too deep for BCS to encode inside a transaction).
    fn sign(
        &self,
        actor: Actor,
        payload: TransactionPayload,
        ahead: u64,
    ) -> Option<SignedTransaction> {
        let next = self.ledger.state().sequence_number(actor.address());
        let expires = self.ledger.now_secs() + 3_600;
        sign(actor, payload, next.saturating_add(ahead), expires)
    }
}

fn usdc_of_fixture() -> AssetId {
    AssetId(computestream_localnet::object_address(
        LOCAL_CONTRACT_ADDRESS,
        b"USDC",
    ))
}

fn sign(
    actor: Actor,
    payload: TransactionPayload,
    sequence: u64,
    expires: u64,
) -> Option<SignedTransaction> {
    let raw = RawTransaction::new(
        actor.address(),
        sequence,
        payload,
        200_000,
        100,
        expires,
        LOCAL_CHAIN_ID,
    );
    actor.signer().sign(&raw).ok()
}

/// The fixture's transactions, signed once: the provider registers, the buyer rents from it,
/// the provider starts the job.
fn setup_transactions() -> &'static [SignedTransaction] {
    static SETUP: OnceLock<Vec<SignedTransaction>> = OnceLock::new();
    SETUP.get_or_init(|| {
        let calls = [
            (
                Actor::Provider,
                0,
                Call::RegisterProvider {
                    gpu_type: "H100".into(),
                    vram_gb: 80,
                    price_per_second: 2_000_000_000_000,
                    stake_amount: 100_000_000,
                },
            ),
            (
                Actor::Buyer,
                0,
                Call::Rent {
                    provider: Actor::Provider.address(),
                    docker_image: "pytorch/pytorch:2.4".into(),
                    asset: usdc_of_fixture().0,
                    deposit: 10_000_000,
                    max_duration: 3_600,
                    max_rate_per_second: 2_000_000_000_000,
                },
            ),
            (
                Actor::Provider,
                1,
                Call::StartJob {
                    buyer: Actor::Buyer.address(),
                    job_id: 1,
                },
            ),
        ];
        calls
            .into_iter()
            .map(|(actor, sequence, call)| {
                let payload = call.entry_function(LOCAL_CONTRACT_ADDRESS).expect("call");
                let payload = TransactionPayload::EntryFunction(payload);
                sign(actor, payload, sequence, START_SECS + 3_600).expect("signing")
            })
            .collect()
    })
}

fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|rt| rt.block_on(future))
}

#[derive(Arbitrary, Debug)]
enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
    Head,
    Patch,
    Options,
}

/// A path of the node API and the faucet; parameters are filled from [`Segment`]s.
#[derive(Arbitrary, Debug)]
enum Route {
    LedgerInfo,
    LedgerInfoSlash,
    Healthy,
    Account,
    Resources,
    Resource,
    Module,
    Submit,
    Simulate,
    ByHash,
    WaitByHash,
    View,
    GasPrice,
    Mint,
    Fund,
    /// The fuzzed text itself, as a path.
    Fuzzed,
}

/// What fills a path parameter.
#[derive(Arbitrary, Debug)]
enum Segment {
    Account(Actor),
    Contract,
    Framework,
    AccountResourceType,
    ModuleName,
    SetupTransactionHash,
    /// The fuzzed text, percent-encoded.
    Fuzzed,
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    Absent,
    Json,
    SignedTransactionBcs,
    Bcs,
    Text,
    Form,
}

#[derive(Arbitrary, Debug)]
enum RequestBody {
    /// The fuzzed body as is.
    Fuzzed,
    /// The fuzzed body read as an entry function's BCS and sent signed by `signer` with its
    /// next sequence number plus `ahead` (as is when it does not decode or sign).
    SignedCall { signer: Actor, ahead: u8 },
    /// The fuzzed body padded past the localnet's body limit.
    Oversized,
}

#[derive(Arbitrary, Debug)]
struct NodeRequest<'a> {
    method: HttpMethod,
    route: Route,
    first: Segment,
    second: Segment,
    content_type: ContentType,
    accept_bcs: bool,
    body: RequestBody,
    /// A length byte and the fuzzed segment text, a length byte and the query, the body.
    bytes: &'a [u8],
}

/// `bytes` split after the length its first byte gives, capped.
fn split_u8_prefixed(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.split_first() {
        Some((len, rest)) => rest.split_at(usize::from(*len).min(rest.len())),
        None => (&[], &[]),
    }
}

/// `bytes` with every byte outside `keep` and the unreserved characters percent-encoded.
fn escape(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The localnet's node API and faucet (`computestream_localnet::server::router`) over the
/// fixture ledger, sent one request built from the input (method, route, path parameters,
/// query, content type, `Accept`, body) in process. Asserts that a response comes back, never
/// a 5xx; that every error status carries the node's JSON error (`message`, `error_code`);
/// that a JSON content type means a JSON body;
/// that an accepted transaction is found by its hash; and conservation of funds.
pub fn localnet_request(data: &[u8]) {
    let Ok(input) = NodeRequest::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let fixture = Fixture::new();
    let (text, rest) = split_u8_prefixed(input.bytes);
    let (query, body) = split_u8_prefixed(rest);
    let segment = |s: &Segment| match s {
        Segment::Account(actor) => actor.address().to_hex(),
        Segment::Contract => LOCAL_CONTRACT_ADDRESS.to_hex(),
        Segment::Framework => "0x1".into(),
        Segment::AccountResourceType => "0x1::account::Account".into(),
        Segment::ModuleName => "payment_stream".into(),
        Segment::SetupTransactionHash => setup_transactions()[1].hash().expect("a hash").to_hex(),
        Segment::Fuzzed => escape(text, b""),
    };
    let (a, b) = (segment(&input.first), segment(&input.second));
    let mut uri = match input.route {
        Route::LedgerInfo => "/v1".to_string(),
        Route::LedgerInfoSlash => "/v1/".into(),
        Route::Healthy => "/v1/-/healthy".into(),
        Route::Account => format!("/v1/accounts/{a}"),
        Route::Resources => format!("/v1/accounts/{a}/resources"),
        Route::Resource => format!("/v1/accounts/{a}/resource/{b}"),
        Route::Module => format!("/v1/accounts/{a}/module/{b}"),
        Route::Submit => "/v1/transactions".into(),
        Route::Simulate => "/v1/transactions/simulate".into(),
        Route::ByHash => format!("/v1/transactions/by_hash/{a}"),
        Route::WaitByHash => format!("/v1/transactions/wait_by_hash/{a}"),
        Route::View => "/v1/view".into(),
        Route::GasPrice => "/v1/estimate_gas_price".into(),
        Route::Mint => "/mint".into(),
        Route::Fund => "/fund".into(),
        Route::Fuzzed => format!("/{}", escape(text, b"/%:@!$&'()*+,;=")),
    };
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&escape(query, b"=&%+:,;/?@!$'()*"));
    }
    let method = match input.method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Options => Method::OPTIONS,
    };
    let sent_body = match input.body {
        RequestBody::SignedCall { signer, ahead } => {
            let signed = aptos_bcs::from_bytes::<EntryFunction>(body)
                .ok()
                .and_then(|f| {
                    let payload = TransactionPayload::EntryFunction(f);
                    fixture.sign(signer, payload, u64::from(ahead))
                });
            match signed {
                Some(txn) => aptos_bcs::to_bytes(&txn).expect("a signed transaction"),
                None => body.to_vec(),
            }
        }
        RequestBody::Fuzzed => body.to_vec(),
        RequestBody::Oversized => {
            let mut padded = body.to_vec();
            padded.resize(computestream_localnet::server::MAX_BODY_BYTES + 1, b' ');
            padded
        }
    };
    let mut request = Request::builder().method(method.clone()).uri(&uri);
    let content_type = match input.content_type {
        ContentType::Absent => None,
        ContentType::Json => Some("application/json"),
        ContentType::SignedTransactionBcs => Some("application/x.aptos.signed_transaction+bcs"),
        ContentType::Bcs => Some("application/x-bcs"),
        ContentType::Text => Some("text/plain"),
        ContentType::Form => Some("application/x-www-form-urlencoded"),
    };
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if input.accept_bcs {
        request = request.header(header::ACCEPT, "application/x-bcs");
    }
    let request = request
        .body(Body::from(sent_body.clone()))
        .expect("an escaped URI is valid");
    let router = computestream_localnet::server::router(fixture.ledger.clone());
    let (status, response_type, response) = block_on(send(router.clone(), request));
    assert!(
        !status.is_server_error(),
        "{method} {uri}: {status} {response}"
    );
    if status.is_client_error() && method != Method::HEAD {
        let node_error = response["message"].is_string() && response["error_code"].is_string();
        assert!(
            node_error,
            "{method} {uri}: {status} without the node's JSON error: {response}"
        );
    }
    if response_type.starts_with("application/json") && method != Method::HEAD {
        assert!(
            !matches!(response, Value::String(_)),
            "{method} {uri}: {status} says JSON, is not: {response}"
        );
    }
    if status == StatusCode::ACCEPTED {
        let hash = response["hash"]
            .as_str()
            .expect("a pending transaction's hash");
        let lookup = Request::get(format!("/v1/transactions/by_hash/{hash}"))
            .body(Body::empty())
            .expect("a valid URI");
        let (status, _, found) = block_on(send(router, lookup));
        assert_eq!(status, StatusCode::OK, "{hash}: {found}");
        assert_eq!(found["hash"].as_str(), Some(hash));
    }
    check_funds(&fixture.ledger.state());
}

/// Status, content type and body of the response to `request`: the body as JSON, or as a
/// JSON string of its (lossy UTF-8) text when it is not JSON.
async fn send(router: axum::Router, request: Request<Body>) -> (StatusCode, String, Value) {
    let response = router
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("an in-memory body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, content_type, body)
}
