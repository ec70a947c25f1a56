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

type Case = (
    &'static str,
    Box<dyn Fn(&World) -> (PaymentPayload, PaymentRequirements)>,
    &'static str,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "forged signature",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let mut env = envelope(&p);
                let auth = env["senderAuthenticator"].as_array_mut().unwrap();
                let last = auth.len() - 1;
                auth[last] = json!((auth[last].as_u64().unwrap() + 1) % 256);
                set_envelope(&mut p, env);
                (p, r)
            }),
            "invalid_exact_aptos_payload_sender_authenticator_invalid_signature",
        ),
        (
            "signed by another key",
            Box::new(|w| {
                let r = w.exact();
                let p = w.resigned(&r, &Signer::from_seed("hostile:thief"), |_, _| {});
                (p, r)
            }),
            "invalid_exact_aptos_payload_sender_authenticator_mismatch",
        ),
        (
            "wrong chain id",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| raw.chain_id = ChainId::new(2)),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_chain_id_mismatch",
        ),
        (
            "wrong recipient",
            Box::new(|w| {
                let r = w.exact();
                let mut other = r.clone();
                other.pay_to = w.buyer.address().to_long_string();
                (w.pay(&other), r)
            }),
            "no match: recipient",
        ),
        (
            "wrong recipient in the transaction only",
            Box::new(|w| {
                let r = w.exact();
                let to = w.fee_payer.address();
                let asset = w.usdc.0;
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = transfer(asset, to, 1000);
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_recipient_mismatch",
        ),
        (
            "wrong asset",
            Box::new(|w| {
                let r = w.exact();
                let to = w.provider.address();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = transfer(AccountAddress::from_hex("0xa").unwrap(), to, 1000);
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_asset_mismatch",
        ),
        (
            "wrong amount",
            Box::new(|w| {
                let r = w.exact();
                let (asset, to) = (w.usdc.0, w.provider.address());
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = transfer(asset, to, 999);
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_amount_mismatch",
        ),
        (
            "gas above the sponsored cap",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| raw.max_gas_amount = 500_001),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_gas_too_high",
        ),
        (
            "gas price above the sponsored cap",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| raw.gas_unit_price = 1_001),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_gas_unit_price_too_high",
        ),
        (
            "expired",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.expiration_timestamp_secs = NOW - 1
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_transaction_expired",
        ),
        (
            "expires in under five seconds",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.expiration_timestamp_secs = NOW + 4
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_transaction_expired",
        ),
        (
            "foreign fee payer in the requirements",
            Box::new(|w| {
                let mut r = w.exact();
                r.extra
                    .insert("feePayer".into(), json!(w.buyer.address().to_long_string()));
                (w.pay(&r), r)
            }),
            "fee_payer_not_managed_by_facilitator",
        ),
        (
            "transaction sponsored by someone else",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |_, fp| {
                        *fp = Some(AccountAddress::from_hex("0x4444").unwrap())
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_fee_payer_mismatch",
        ),
        (
            "unsponsored transaction for sponsored requirements",
            Box::new(|w| {
                let r = w.exact();
                (w.resigned(&r, &w.buyer, |_, fp| *fp = None), r)
            }),
            "invalid_exact_aptos_payload_fee_payer_mismatch",
        ),
        (
            "fee payer paying itself",
            Box::new(|w| {
                let r = w.exact();
                let mut p = pay(&w.fee_payer, &r, None, TxnParams::new(0, NOW), "").unwrap();
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_exact_aptos_payload_fee_payer_transferring_funds",
        ),
        (
            "non-transfer function",
            Box::new(|w| {
                let r = w.exact();
                let to = w.provider.address();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = function(
                            "0x1::aptos_account",
                            "transfer",
                            false,
                            vec![bcs(&to), bcs(&1000u64)],
                        );
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_wrong_function",
        ),
        (
            "transfer without the Metadata type argument",
            Box::new(|w| {
                let r = w.exact();
                let (asset, to) = (w.usdc.0, w.provider.address());
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = function(
                            "0x1::primary_fungible_store",
                            "transfer",
                            false,
                            vec![bcs(&asset), bcs(&to), bcs(&1000u64)],
                        );
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_wrong_type_args",
        ),
        (
            "transfer with two arguments",
            Box::new(|w| {
                let r = w.exact();
                let to = w.provider.address();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = function(
                            "0x1::primary_fungible_store",
                            "transfer",
                            true,
                            vec![bcs(&to), bcs(&1000u64)],
                        );
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_wrong_args",
        ),
        (
            "a script instead of an entry function",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = TransactionPayload::Script(Script::new(
                            vec![0xa1, 0x1c],
                            vec![],
                            vec![],
                        ));
                    }),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_missing_entry_function",
        ),
        (
            "byte array value above 255",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let mut env = envelope(&p);
                env["transaction"][0] = json!(256);
                set_envelope(&mut p, env);
                (p, r)
            }),
            "invalid_exact_aptos_payload_verification_error",
        ),
        (
            "negative byte value",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let mut env = envelope(&p);
                env["senderAuthenticator"][0] = json!(-1);
                set_envelope(&mut p, env);
                (p, r)
            }),
            "invalid_exact_aptos_payload_verification_error",
        ),
        (
            "trailing bytes after the transaction",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let mut env = envelope(&p);
                env["transaction"].as_array_mut().unwrap().push(json!(0));
                set_envelope(&mut p, env);
                (p, r)
            }),
            "invalid_exact_aptos_payload_verification_error",
        ),
        (
            "truncated inner base64",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let text = p.payload["transaction"].as_str().unwrap().to_string();
                p.payload
                    .insert("transaction".into(), json!(&text[..text.len() / 2 - 1]));
                (p, r)
            }),
            "invalid_exact_aptos_payload_verification_error",
        ),
        (
            "payload without a transaction",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                p.payload.clear();
                (p, r)
            }),
            "invalid_exact_aptos_payload_verification_error",
        ),
        (
            "not an Ed25519 sender",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                let mut payment = AptosPayment::from_payload(&p.view().payload).unwrap();
                payment.sender_auth = AccountAuthenticator::NoAccountAuthenticator;
                p.payload = payment.to_payload();
                (p, r)
            }),
            "invalid_exact_aptos_payload_unsupported_authenticator",
        ),
        (
            "x402Version 1 inside a v2 payload",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                p.x402_version = 1;
                (p, r)
            }),
            "invalid_exact_aptos_payload_unsupported_version",
        ),
        (
            "another scheme",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                p.accepted.scheme = "upto".into();
                (p, r)
            }),
            "unsupported_scheme",
        ),
        (
            "another network",
            Box::new(|w| {
                let r = w.exact();
                let mut p = w.pay(&r);
                p.accepted.network = "aptos:1".into();
                (p, r)
            }),
            "network_mismatch",
        ),
        (
            "more than the balance",
            Box::new(|w| {
                let mut r = w.exact();
                r.amount = "10000001".into();
                (w.pay(&r), r)
            }),
            "invalid_exact_aptos_payload_insufficient_balance",
        ),
        (
            "a sequence number already used",
            Box::new(|w| {
                let r = w.exact();
                (
                    w.resigned(&r, &w.buyer, |raw, _| raw.sequence_number = 7),
                    r,
                )
            }),
            "invalid_exact_aptos_payload_simulation_failed",
        ),
        (
            "stream: rate cap below the price",
            Box::new(|w| {
                let r = w.stream();
                let mut cheap = r.clone();
                cheap
                    .extra
                    .insert("ratePerSecond".into(), json!("1999999999999"));
                let mut p = w.pay(&cheap);
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_stream_aptos_payload_rate_too_low",
        ),
        (
            "stream: longer than offered",
            Box::new(|w| {
                let r = w.stream();
                let mut long = r.clone();
                long.extra.insert("maxDurationSeconds".into(), json!("601"));
                let mut p = w.pay(&long);
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_stream_aptos_payload_duration_too_long",
        ),
        (
            "stream: smaller deposit",
            Box::new(|w| {
                let r = w.stream();
                let mut small = r.clone();
                small.amount = "1".into();
                let mut p = w.pay(&small);
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_stream_aptos_payload_amount_mismatch",
        ),
        (
            "stream: another deployment of the contracts",
            Box::new(|w| {
                let r = w.stream();
                let mut other = r.clone();
                other.extra.insert("contract".into(), json!("0xbeef"));
                let mut p = w.pay(&other);
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_stream_aptos_payload_wrong_function",
        ),
        (
            "stream: a transfer instead of a rent",
            Box::new(|w| {
                let r = w.stream();
                let mut p = w.pay(&w.exact());
                p.accepted = r.clone();
                (p, r)
            }),
            "invalid_stream_aptos_payload_wrong_function",
        ),
        (
            "stream: rent of another provider",
            Box::new(|w| {
                let r = w.stream();
                let call = Call::Rent {
                    provider: w.buyer.address(),
                    docker_image: "x".into(),
                    asset: w.usdc.0,
                    deposit: 1_200_000,
                    max_duration: 600,
                    max_rate_per_second: 2_000_000_000_000,
                };
                (
                    w.resigned(&r, &w.buyer, |raw, _| {
                        raw.payload = TransactionPayload::EntryFunction(
                            call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap(),
                        );
                    }),
                    r,
                )
            }),
            "invalid_stream_aptos_payload_recipient_mismatch",
        ),
    ]
}

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
async fn every_hostile_payment_gets_its_reason() {
    let w = world().await;
    let cases = cases();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    for (name, build, expected) in &cases {
        let (p, r) = build(&w);
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
    let too_big = "A".repeat(wire::MAX_HEADER_BYTES + 4);
    assert!(matches!(
        PaymentHeader::decode(&too_big),
        Err(WireError::TooLarge(_))
    ));
    assert!(matches!(
        PaymentHeader::decode("eyJ4NDAy-_"),
        Err(WireError::Base64(_))
    ));
    assert!(matches!(
        PaymentHeader::decode("eyJ4NDAy"),
        Err(WireError::Json(_))
    ));
    let v3 = wire::encode_header(&json!({"x402Version": 3}));
    assert_eq!(PaymentHeader::decode(&v3), Err(WireError::Version(3)));
    let no_version = wire::encode_header(&json!({"scheme": "exact"}));
    assert!(matches!(
        PaymentHeader::decode(&no_version),
        Err(WireError::Json(_))
    ));
    let array = wire::encode_header(&json!([1, 2, 3]));
    assert!(matches!(
        PaymentHeader::decode(&array),
        Err(WireError::Json(_))
    ));
    // A v1 envelope without its fields, a v2 one without `accepted`.
    let v1 = wire::encode_header(&json!({"x402Version": 1}));
    assert!(matches!(
        PaymentHeader::decode(&v1),
        Err(WireError::Json(_))
    ));
    let v2 = wire::encode_header(&json!({"x402Version": 2, "payload": {}}));
    assert!(matches!(
        PaymentHeader::decode(&v2),
        Err(WireError::Json(_))
    ));
}
