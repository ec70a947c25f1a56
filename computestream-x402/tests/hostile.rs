//! Malformed and hostile payments, each with the `invalidReason` (or typed error) it must
//! produce, verified by a facilitator over the embedded ledger (balance and simulation
//! included). A valid payment of each scheme passes the same path first.

mod common;

use std::sync::Arc;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{
    AccountAuthenticator, EntryFunction, RawTransaction, Script, TransactionPayload,
};
use aptos_sdk::types::{ChainId, MoveModuleId};
use common::{Market, NOW};
use computestream_core::contract::{
    Call, FrameworkCall, LOCAL_CONTRACT_ADDRESS, metadata_type_tag,
};
use computestream_core::{AccountAddress, Signer};
use computestream_localnet::LocalLedger;
use computestream_x402::LocalFacilitator;
use computestream_x402::aptos::AptosPayment;
use computestream_x402::facilitator::Facilitator;
use computestream_x402::schemes::{TxnParams, pay};
use computestream_x402::wire::{
    self, PaymentHeader, PaymentPayload, PaymentPayloadRef, PaymentRequirements, WireError,
};
use serde_json::{Value, json};

/// The shared market plus its facilitator.
struct World {
    facilitator: LocalFacilitator<Arc<LocalLedger>>,
    market: Market,
}

impl std::ops::Deref for World {
    type Target = Market;
    fn deref(&self) -> &Market {
        &self.market
    }
}

async fn world() -> World {
    let market = Market::open("hostile").await;
    World {
        facilitator: market.facilitator(),
        market,
    }
}

impl World {
    fn pay(&self, r: &PaymentRequirements) -> PaymentPayload {
        pay(
            &self.buyer,
            r,
            None,
            TxnParams::new(0, NOW),
            "pytorch/pytorch:2.4",
        )
        .unwrap()
    }

    /// A payment for `r` whose raw transaction `f` changed, re-signed by `signer` over the
    /// transaction's fee payer, so only the targeted rule can fail.
    fn resigned(
        &self,
        r: &PaymentRequirements,
        signer: &Signer,
        f: impl FnOnce(&mut RawTransaction, &mut Option<AccountAddress>),
    ) -> PaymentPayload {
        let mut p = self.pay(r);
        let mut payment = AptosPayment::from_payload(&p.view().payload).unwrap();
        let (mut raw, mut fee_payer) = (payment.raw.clone(), payment.fee_payer);
        f(&mut raw, &mut fee_payer);
        payment = AptosPayment::sign(signer, raw, fee_payer).unwrap();
        p.payload = payment.to_payload();
        p
    }
}

fn set_envelope(p: &mut PaymentPayload, envelope: Value) {
    p.payload.insert(
        "transaction".into(),
        json!(wire::encode_base64(envelope.to_string().as_bytes())),
    );
}

fn envelope(p: &PaymentPayload) -> Value {
    let text = p.payload["transaction"].as_str().unwrap();
    serde_json::from_slice(&wire::decode_base64(text).unwrap()).unwrap()
}

/// The well-formed `0x1::primary_fungible_store::transfer`, as the core builds it.
fn transfer(asset: AccountAddress, to: AccountAddress, amount: u64) -> TransactionPayload {
    TransactionPayload::EntryFunction(
        FrameworkCall::TransferAsset { asset, to, amount }
            .entry_function()
            .unwrap(),
    )
}

/// A `payment_stream::rent` of `w`'s provider, built without the client's checks.
fn rent(
    w: &World,
    deposit: u64,
    max_duration: u64,
    max_rate_per_second: u128,
) -> TransactionPayload {
    let call = Call::Rent {
        provider: w.provider.address(),
        docker_image: "pytorch/pytorch:2.4".into(),
        asset: w.usdc.0,
        deposit,
        max_duration,
        max_rate_per_second,
    };
    TransactionPayload::EntryFunction(call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap())
}

fn bcs<T: serde::Serialize>(v: &T) -> Vec<u8> {
    aptos_bcs::to_bytes(v).unwrap()
}

/// A hand-made entry function, for the malformed cases the core's builders cannot produce.
fn function(module: &str, name: &str, type_args: bool, args: Vec<Vec<u8>>) -> TransactionPayload {
    let (addr, module) = module.split_once("::").unwrap();
    TransactionPayload::EntryFunction(EntryFunction::new(
        MoveModuleId::new(
            AccountAddress::from_hex(addr).unwrap(),
            module.parse().unwrap(),
        ),
        name,
        if type_args {
            vec![metadata_type_tag()]
        } else {
            vec![]
        },
        args,
    ))
}

/// How a case turns the buyer's honest payment for the case's requirements (`stream` for the
/// cases named `stream: …`, `exact` otherwise) into a hostile one.
enum Make {
    /// Edits the signed envelope's JSON; nothing is signed again.
    Envelope(fn(&mut Value)),
    /// Edits the transaction or its fee payer, signed again by the buyer.
    Resign(fn(&World, &mut RawTransaction, &mut Option<AccountAddress>)),
    /// Edits the payment.
    Payload(fn(&mut PaymentPayload)),
    /// Pays edited requirements but claims to have accepted the offered ones.
    Claim(fn(&World, &mut PaymentRequirements)),
    /// The requirements are edited; the payment is an honest one for them.
    Require(fn(&World, &mut PaymentRequirements)),
    /// The requirements are edited into ones an honest client refuses to pay; the payment is
    /// the rent they ask for (deposit, duration, rate), signed by the buyer anyway.
    Unpayable(fn(&mut PaymentRequirements)),
    /// Any other payment, checked against the offered requirements.
    Custom(fn(&World, &PaymentRequirements) -> PaymentPayload),
}
use Make::{Claim, Custom, Envelope, Payload, Require, Resign, Unpayable};

impl Make {
    fn build(&self, w: &World, stream: bool) -> (PaymentPayload, PaymentRequirements) {
        let mut r = if stream { w.stream() } else { w.exact() };
        let p = match self {
            Envelope(edit) => {
                let mut p = w.pay(&r);
                let mut env = envelope(&p);
                edit(&mut env);
                set_envelope(&mut p, env);
                p
            }
            Resign(edit) => w.resigned(&r, &w.buyer, |raw, fee_payer| edit(w, raw, fee_payer)),
            Payload(edit) => {
                let mut p = w.pay(&r);
                edit(&mut p);
                p
            }
            Claim(edit) => {
                let mut paid = r.clone();
                edit(w, &mut paid);
                let mut p = w.pay(&paid);
                p.accepted = r.clone();
                p
            }
            Require(edit) => {
                edit(w, &mut r);
                w.pay(&r)
            }
            Unpayable(edit) => {
                let offered = r.clone();
                edit(&mut r);
                let number = |key: &str| r.extra_str(key).unwrap().parse::<u128>().unwrap();
                let (deposit, duration) = (r.amount.parse().unwrap(), number("maxDurationSeconds"));
                let asked = rent(w, deposit, duration as u64, number("ratePerSecond"));
                let mut p = w.resigned(&offered, &w.buyer, |raw, _| raw.payload = asked);
                p.accepted = r.clone();
                p
            }
            Custom(make) => make(w, &r),
        };
        (p, r)
    }
}

/// Each case: its name, how it is made, and the `invalidReason` it must get (or, for `no
/// match: field`, the field in which `accepted` differs from the offered requirements).
const CASES: &[(&str, Make, &str)] = &[
    (
        "forged signature",
        Envelope(|env| {
            let auth = env["senderAuthenticator"].as_array_mut().unwrap();
            let last = auth.len() - 1;
            auth[last] = json!((auth[last].as_u64().unwrap() + 1) % 256);
        }),
        "invalid_exact_aptos_payload_sender_authenticator_invalid_signature",
    ),
    (
        "signed by another key",
        Custom(|w, r| w.resigned(r, &Signer::from_seed("hostile:thief"), |_, _| {})),
        "invalid_exact_aptos_payload_sender_authenticator_mismatch",
    ),
    (
        "wrong chain id",
        Resign(|_, raw, _| raw.chain_id = ChainId::new(2)),
        "invalid_exact_aptos_payload_chain_id_mismatch",
    ),
    (
        "wrong recipient",
        Custom(|w, r| {
            let mut other = r.clone();
            other.pay_to = w.buyer.address().to_long_string();
            w.pay(&other)
        }),
        "no match: recipient",
    ),
    (
        "wrong recipient in the transaction only",
        Resign(|w, raw, _| raw.payload = transfer(w.usdc.0, w.fee_payer.address(), 1000)),
        "invalid_exact_aptos_payload_recipient_mismatch",
    ),
    (
        "wrong asset",
        Resign(|w, raw, _| {
            let other = AccountAddress::from_hex("0xa").unwrap();
            raw.payload = transfer(other, w.provider.address(), 1000);
        }),
        "invalid_exact_aptos_payload_asset_mismatch",
    ),
    (
        "wrong amount",
        Resign(|w, raw, _| raw.payload = transfer(w.usdc.0, w.provider.address(), 999)),
        "invalid_exact_aptos_payload_amount_mismatch",
    ),
    (
        "gas above the sponsored cap",
        Resign(|_, raw, _| raw.max_gas_amount = 500_001),
        "invalid_exact_aptos_payload_gas_too_high",
    ),
    (
        "gas price above the sponsored cap",
        Resign(|_, raw, _| raw.gas_unit_price = 1_001),
        "invalid_exact_aptos_payload_gas_unit_price_too_high",
    ),
    (
        "expired",
        Resign(|_, raw, _| raw.expiration_timestamp_secs = NOW - 1),
        "invalid_exact_aptos_payload_transaction_expired",
    ),
    (
        "expires in under five seconds",
        Resign(|_, raw, _| raw.expiration_timestamp_secs = NOW + 4),
        "invalid_exact_aptos_payload_transaction_expired",
    ),
    (
        "expires after maxTimeoutSeconds plus the allowed skew",
        Resign(|_, raw, _| raw.expiration_timestamp_secs = NOW + 60 + 31),
        "invalid_exact_aptos_payload_expiration_too_far",
    ),
    (
        "expires 55,000 years ahead (signed with a now in milliseconds)",
        Resign(|_, raw, _| raw.expiration_timestamp_secs = NOW * 1_000 + 60),
        "invalid_exact_aptos_payload_expiration_too_far",
    ),
    (
        "stream: expires 55,000 years ahead",
        Resign(|_, raw, _| raw.expiration_timestamp_secs = NOW * 1_000 + 60),
        "invalid_stream_aptos_payload_expiration_too_far",
    ),
    (
        "foreign fee payer in the requirements",
        Require(|w, r| {
            let buyer = json!(w.buyer.address().to_long_string());
            r.extra.insert("feePayer".into(), buyer);
        }),
        "fee_payer_not_managed_by_facilitator",
    ),
    (
        "transaction sponsored by someone else",
        Resign(|_, _, fp| *fp = Some(AccountAddress::from_hex("0x4444").unwrap())),
        "invalid_exact_aptos_payload_fee_payer_mismatch",
    ),
    (
        "unsponsored transaction for sponsored requirements",
        Resign(|_, _, fp| *fp = None),
        "invalid_exact_aptos_payload_fee_payer_mismatch",
    ),
    (
        "fee payer paying itself",
        Custom(|w, r| pay(&w.fee_payer, r, None, TxnParams::new(0, NOW), "").unwrap()),
        "invalid_exact_aptos_payload_fee_payer_transferring_funds",
    ),
    (
        "non-transfer function",
        Resign(|w, raw, _| {
            let args = vec![bcs(&w.provider.address()), bcs(&1000u64)];
            raw.payload = function("0x1::aptos_account", "transfer", false, args);
        }),
        "invalid_exact_aptos_payload_wrong_function",
    ),
    (
        "transfer without the Metadata type argument",
        Resign(|w, raw, _| {
            let args = vec![bcs(&w.usdc.0), bcs(&w.provider.address()), bcs(&1000u64)];
            raw.payload = function("0x1::primary_fungible_store", "transfer", false, args);
        }),
        "invalid_exact_aptos_payload_wrong_type_args",
    ),
    (
        "transfer with two arguments",
        Resign(|w, raw, _| {
            let args = vec![bcs(&w.provider.address()), bcs(&1000u64)];
            raw.payload = function("0x1::primary_fungible_store", "transfer", true, args);
        }),
        "invalid_exact_aptos_payload_wrong_args",
    ),
    (
        "a script instead of an entry function",
        Resign(|_, raw, _| {
            raw.payload = TransactionPayload::Script(Script::new(vec![0xa1, 0x1c], vec![], vec![]));
        }),
        "invalid_exact_aptos_payload_missing_entry_function",
    ),
    (
        "byte array value above 255",
        Envelope(|env| env["transaction"][0] = json!(256)),
        "invalid_exact_aptos_payload_verification_error",
    ),
    (
        "negative byte value",
        Envelope(|env| env["senderAuthenticator"][0] = json!(-1)),
        "invalid_exact_aptos_payload_verification_error",
    ),
    (
        "trailing bytes after the transaction",
        Envelope(|env| env["transaction"].as_array_mut().unwrap().push(json!(0))),
        "invalid_exact_aptos_payload_verification_error",
    ),
    (
        "truncated inner base64",
        Payload(|p| {
            let text = p.payload["transaction"].as_str().unwrap().to_string();
            let truncated = json!(&text[..text.len() / 2 - 1]);
            p.payload.insert("transaction".into(), truncated);
        }),
        "invalid_exact_aptos_payload_verification_error",
    ),
    (
        "payload without a transaction",
        Payload(|p| p.payload.clear()),
        "invalid_exact_aptos_payload_verification_error",
    ),
    (
        "not an Ed25519 sender",
        Payload(|p| {
            let mut payment = AptosPayment::from_payload(&p.view().payload).unwrap();
            payment.sender_auth = AccountAuthenticator::NoAccountAuthenticator;
            p.payload = payment.to_payload();
        }),
        "invalid_exact_aptos_payload_unsupported_authenticator",
    ),
    (
        "x402Version 1 inside a v2 payload",
        Payload(|p| p.x402_version = 1),
        "invalid_exact_aptos_payload_unsupported_version",
    ),
    (
        "another scheme",
        Payload(|p| p.accepted.scheme = "upto".into()),
        "unsupported_scheme",
    ),
    (
        "another network",
        Payload(|p| p.accepted.network = "aptos:1".into()),
        "network_mismatch",
    ),
    (
        "accepted claims an amount of 1",
        Payload(|p| p.accepted.amount = "1".into()),
        "invalid_exact_aptos_payload_amount_mismatch",
    ),
    (
        "accepted names another asset",
        Payload(|p| p.accepted.asset = AccountAddress::from_hex("0xa").unwrap().to_long_string()),
        "invalid_exact_aptos_payload_asset_mismatch",
    ),
    (
        "accepted names another payTo",
        Payload(|p| p.accepted.pay_to = AccountAddress::ONE.to_long_string()),
        "invalid_exact_aptos_payload_recipient_mismatch",
    ),
    (
        "accepted names the payTo in upper case (strings compare exactly)",
        Payload(|p| p.accepted.pay_to = format!("0x{}", p.accepted.pay_to[2..].to_uppercase())),
        "invalid_exact_aptos_payload_recipient_mismatch",
    ),
    (
        "accepted names a longer timeout",
        Payload(|p| p.accepted.max_timeout_seconds = 3_600),
        "no_matching_payment_requirements",
    ),
    (
        "accepted drops the fee payer",
        Payload(|p| _ = p.accepted.extra.remove("feePayer")),
        "no_matching_payment_requirements",
    ),
    (
        "stream: accepted claims a deposit of 1",
        Payload(|p| p.accepted.amount = "1".into()),
        "invalid_stream_aptos_payload_amount_mismatch",
    ),
    (
        "stream: accepted names another rate",
        Payload(|p| _ = p.accepted.extra.insert("ratePerSecond".into(), json!("1"))),
        "no_matching_payment_requirements",
    ),
    (
        "more than the balance",
        Require(|_, r| r.amount = "10000001".into()),
        "invalid_exact_aptos_payload_insufficient_balance",
    ),
    (
        "a sequence number already used",
        Resign(|_, raw, _| raw.sequence_number = 7),
        "invalid_exact_aptos_payload_simulation_failed",
    ),
    (
        "stream: rate cap below the price",
        Claim(|_, r| {
            _ = r
                .extra
                .insert("ratePerSecond".into(), json!("1999999999999"))
        }),
        "invalid_stream_aptos_payload_rate_too_low",
    ),
    (
        "stream: longer than offered",
        Resign(|w, raw, _| raw.payload = rent(w, 1_200_000, 601, 2_000_000_000_000)),
        "invalid_stream_aptos_payload_duration_too_long",
    ),
    (
        "stream: a rental of no seconds",
        Resign(|w, raw, _| raw.payload = rent(w, 1_200_000, 0, 2_000_000_000_000)),
        "invalid_stream_aptos_payload_wrong_args",
    ),
    (
        "stream: smaller deposit",
        Resign(|w, raw, _| raw.payload = rent(w, 1, 600, 2_000_000_000_000)),
        "invalid_stream_aptos_payload_amount_mismatch",
    ),
    (
        "stream: requirements whose deposit is below one second at the rate",
        Unpayable(|r| r.amount = "1".into()),
        "invalid_payment_requirements",
    ),
    (
        "stream: requirements whose deposit is one unit short",
        Unpayable(|r| r.amount = "1199999".into()),
        "invalid_payment_requirements",
    ),
    (
        "stream: requirements for no seconds",
        Unpayable(|r| {
            r.amount = "0".into();
            r.extra.insert("maxDurationSeconds".into(), json!("0"));
        }),
        "invalid_payment_requirements",
    ),
    (
        "stream: requirements at a zero rate",
        Unpayable(|r| {
            r.amount = "0".into();
            r.extra.insert("ratePerSecond".into(), json!("0"));
        }),
        "invalid_payment_requirements",
    ),
    (
        "stream: another deployment of the contracts",
        Claim(|_, r| _ = r.extra.insert("contract".into(), json!("0xbeef"))),
        "invalid_stream_aptos_payload_wrong_function",
    ),
    (
        "stream: a transfer instead of a rent",
        Claim(|w, r| *r = w.exact()),
        "invalid_stream_aptos_payload_wrong_function",
    ),
    (
        "stream: rent of another provider",
        Resign(|w, raw, _| {
            let call = Call::Rent {
                provider: w.buyer.address(),
                docker_image: "x".into(),
                asset: w.usdc.0,
                deposit: 1_200_000,
                max_duration: 600,
                max_rate_per_second: 2_000_000_000_000,
            };
            let rent = call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap();
            raw.payload = TransactionPayload::EntryFunction(rent);
        }),
        "invalid_stream_aptos_payload_recipient_mismatch",
    ),
];

#[tokio::test]
async fn valid_payments_of_both_schemes_verify() {
    let w = world().await;
    for r in [w.exact(), w.stream()] {
        let p = w.pay(&r);
        let v = w.facilitator.verify(&p.view(), &r).await.unwrap();
        assert!(v.is_valid, "{}: {v:?}", r.scheme);
        assert_eq!(v.payer, Some(w.buyer.address().to_long_string()));
    }
}

#[tokio::test]
async fn a_payment_expiring_at_the_skew_limit_verifies() {
    let w = world().await;
    let r = w.exact();
    // The buyer's clock runs 30 s ahead of the chain's: the most the verifier allows.
    let p = pay(&w.buyer, &r, None, TxnParams::new(0, NOW + 30), "").unwrap();
    let v = w.facilitator.verify(&p.view(), &r).await.unwrap();
    assert!(v.is_valid, "{v:?}");
}

#[tokio::test]
async fn a_settled_payment_settles_again_only_as_a_duplicate() {
    use computestream_core::Ledger;
    let w = world().await;
    for r in [w.exact(), w.stream()] {
        let sequence = w.ledger.sequence_number(w.buyer.address()).await.unwrap();
        let params = TxnParams::new(sequence, NOW);
        let p = pay(&w.buyer, &r, None, params, "pytorch/pytorch:2.4").unwrap();
        let first = w.facilitator.settle(&p.view(), &r).await.unwrap();
        assert!(first.success, "{}: {first:?}", r.scheme);
        let balance = w.ledger.balance(w.buyer.address(), w.usdc);
        // The probe's 20 repeats: each is told it is a duplicate, none succeeds again.
        for _ in 0..20 {
            let again = w.facilitator.settle(&p.view(), &r).await.unwrap();
            assert!(!again.success, "{}: {again:?}", r.scheme);
            assert_eq!(again.error_reason.as_deref(), Some("duplicate_settlement"));
            assert_eq!(again.transaction, "");
            assert_eq!(again.extra, None, "no jobId for a duplicate");
            let message = again.error_message.unwrap_or_default();
            assert!(message.contains(&first.transaction), "{message}");
        }
        assert_eq!(w.ledger.balance(w.buyer.address(), w.usdc), balance);
    }
}

#[tokio::test]
async fn every_hostile_payment_gets_its_reason() {
    let w = world().await;
    assert!(CASES.len() >= 25, "{} cases", CASES.len());
    for (name, make, expected) in CASES {
        let (p, r) = make.build(&w, name.starts_with("stream: "));
        // As a server reads it: encoded, then decoded borrowed from the header text.
        let text = wire::decode_text(&wire::encode_header(&p)).unwrap();
        let p = PaymentPayloadRef::parse(&text).unwrap();
        if let Some(field) = expected.strip_prefix("no match: ") {
            // The gate refuses it before any verification: `accepted` differs in `field`.
            assert!(!r.is_matched_by(&p.accepted), "{name}: {field}");
            continue;
        }
        let v = w.facilitator.verify(&p, &r).await.unwrap();
        assert!(!v.is_valid, "{name}: accepted");
        assert_eq!(
            v.invalid_reason.as_deref(),
            Some(*expected),
            "{name}: {v:?}"
        );
        // Settling it fails the same way and moves nothing.
        let before = w.ledger.balance(w.buyer.address(), w.usdc);
        let s = w.facilitator.settle(&p, &r).await.unwrap();
        assert!(!s.success, "{name}: settled");
        assert_eq!(s.error_reason.as_deref(), Some(*expected), "{name}");
        assert_eq!(
            w.ledger.balance(w.buyer.address(), w.usdc),
            before,
            "{name}"
        );
    }
}

#[test]
fn hostile_headers_are_typed_errors() {
    fn json(e: &WireError) -> bool {
        matches!(e, WireError::Json(_))
    }
    type Is = fn(&WireError) -> bool;
    let header = |v: Value| wire::encode_header(&v);
    let cases: [(&str, String, Is); 8] = [
        (
            "above the size cap",
            "A".repeat(wire::MAX_HEADER_BYTES + 4),
            |e| matches!(e, WireError::TooLarge(_)),
        ),
        ("URL-safe base64", "eyJ4NDAy-_".into(), |e| {
            matches!(e, WireError::Base64(_))
        }),
        ("truncated JSON", "eyJ4NDAy".into(), json),
        ("x402Version 3", header(json!({"x402Version": 3})), |e| {
            *e == WireError::Version(3)
        }),
        ("no x402Version", header(json!({"scheme": "exact"})), json),
        ("an array", header(json!([1, 2, 3])), json),
        (
            "v1 without its fields",
            header(json!({"x402Version": 1})),
            json,
        ),
        (
            "v2 without accepted",
            header(json!({"x402Version": 2, "payload": {}})),
            json,
        ),
    ];
    for (name, header, expected) in cases {
        let error = PaymentHeader::decode(&header).unwrap_err();
        assert!(expected(&error), "{name}: {error:?}");
    }
}
