//! Property-driven fuzzing of every decoder of untrusted input: arbitrary strings and bytes,
//! and mutations of a valid Aptos payment header, must give a value or a typed error —
//! never a panic — and verification of anything decoded must not panic either. Case counts
//! are bounded for CI; raise them with `PROPTEST_CASES`.

use computestream_core::Signer;
use computestream_x402::Network;
use computestream_x402::aptos::{AptosPayment, VerifyPolicy};
use computestream_x402::schemes::{TxnParams, exact_requirements, pay, verify_local};
use computestream_x402::wire::{
    self, PaymentHeader, PaymentHeaderRef, PaymentPayload, PaymentPayloadRef, SettleResponse,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn valid_header() -> (String, computestream_x402::PaymentRequirements) {
    let signer = Signer::from_seed("fuzz:buyer");
    let r = exact_requirements(
        Network::AptosTestnet,
        computestream_core::AssetId(computestream_core::types::address_from_u64(0xabc)),
        computestream_core::types::address_from_u64(0xb0b),
        1_000,
        60,
        Some(computestream_core::types::address_from_u64(0xfee)),
    );
    let p = pay(&signer, &r, None, TxnParams::new(3, 1_000), "").unwrap();
    (wire::encode_header(&p), r)
}

fn policy() -> VerifyPolicy {
    VerifyPolicy {
        fee_payers: vec![computestream_core::types::address_from_u64(0xfee)],
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(2_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_header_strings_never_panic(s in ".{0,600}") {
        let _ = PaymentHeader::decode(&s);
        let _ = PaymentHeaderRef::parse(&s);
        if let Ok(p) = PaymentPayloadRef::parse(&s) {
            let _ = p.payment_identifier();
            let _ = p.to_owned_payload();
        }
        let _ = wire::decode_header::<SettleResponse>(&s);
        let _ = wire::decode_header::<computestream_x402::PaymentRequired>(&s);
    }

    #[test]
    fn base64_of_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let h = wire::encode_base64(&bytes);
        let _ = PaymentHeader::decode(&h);
        let _ = AptosPayment::from_transaction(&h);
        let mut payload = Map::new();
        payload.insert("transaction".into(), json!(h));
        let raw = serde_json::value::to_raw_value(&payload).unwrap();
        let _ = AptosPayment::from_payload(&raw);
    }

    #[test]
    fn mutated_valid_headers_decode_or_fail_typed_and_verify_without_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let (header, requirements) = valid_header();
        let mut json = wire::decode_base64(&header).unwrap();
        for (at, byte) in flips {
            let i = at.index(json.len());
            json[i] = byte;
        }
        if let Some(cut) = cut {
            json.truncate(cut.index(json.len() + 1));
        }
        let header = wire::encode_base64(&json);
        // Owned and borrowed decoding agree, and whatever decodes verifies without panic.
        let owned = PaymentHeader::decode(&header);
        let text = wire::decode_text(&header);
        let borrowed = text.as_deref().map_err(Clone::clone).and_then(PaymentHeaderRef::parse);
        prop_assert_eq!(owned.is_ok(), borrowed.is_ok());
        if let Ok(PaymentHeaderRef::V2(p)) = borrowed {
            prop_assert_eq!(Ok(PaymentHeader::V2(p.to_owned_payload().unwrap())), owned);
            let _ = verify_local(&p, &requirements, &policy(), 1_000);
        }
    }

    #[test]
    fn mutated_inner_transactions_are_rejected_or_verified_without_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        extend in proptest::collection::vec(any::<u8>(), 0..4),
        which in 0..2usize,
    ) {
        let (header, requirements) = valid_header();
        let mut p: PaymentPayload = wire::decode_header(&header).unwrap();
        let text = p.payload["transaction"].as_str().unwrap().to_string();
        let mut envelope: Value = serde_json::from_slice(&wire::decode_base64(&text).unwrap()).unwrap();
        let key = ["transaction", "senderAuthenticator"][which];
        let arr = envelope[key].as_array_mut().unwrap();
        for (at, byte) in flips {
            let i = at.index(arr.len());
            arr[i] = json!(byte);
        }
        arr.extend(extend.into_iter().map(|b| json!(b)));
        p.payload.insert("transaction".into(), json!(wire::encode_base64(envelope.to_string().as_bytes())));
        // Any change to the signed bytes must not verify (the signature covers all of them),
        // unless the mutation wrote back the same values.
        if let Ok(v) = verify_local(&p.view(), &requirements, &policy(), 1_000) {
            let original: PaymentPayload = wire::decode_header(&header).unwrap();
            prop_assert_eq!(
                AptosPayment::from_payload(&original.view().payload).unwrap(),
                v.payment
            );
        }
    }
}
