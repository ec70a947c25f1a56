//! The reference vectors in `testdata/x402-*.json`: every header decodes to the reference
//! JSON, re-encoding gives equal parsed JSON, the Aptos payment verifies in both fee-payer
//! forms with a frozen clock, and our client rebuilds the reference payment byte for byte.

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::AccountAuthenticator;
use computestream_core::{AccountAddress, Signer};
use computestream_x402::aptos::{AptosPayment, VerifyPolicy};
use computestream_x402::schemes::{TxnParams, pay, verify_local};
use computestream_x402::wire::{
    self, PaymentHeader, PaymentHeaderRef, PaymentPayload, PaymentRequired, SettleResponse,
    WireError,
};
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = format!("{}/../testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

fn json_of(header: &str) -> Value {
    wire::decode_header(header).unwrap()
}

#[test]
fn the_short_header_decodes_padded_and_unpadded_but_not_url_safe_or_indented() {
    let v = vector("x402-headers.json");
    let header = v["header"].as_str().unwrap();
    assert!(header.contains('+') || header.contains('/') || header.ends_with('='));
    assert_eq!(json_of(header), v["decoded"]);
    assert_eq!(json_of(header.trim_end_matches('=')), v["decoded"]);
    let url_safe = header.replace('+', "-").replace('/', "_");
    assert_ne!(url_safe, header, "the vector exercises the alphabet");
    assert!(matches!(
        wire::decode_header::<Value>(&url_safe),
        Err(WireError::Base64(_))
    ));
    assert!(matches!(
        wire::decode_header::<Value>(&format!(" {header}")),
        Err(WireError::Base64(_))
    ));
    let PaymentHeader::V2(p) = PaymentHeader::decode(header).unwrap() else {
        panic!("v2 expected");
    };
    assert_eq!(json_of(&wire::encode_header(&p)), v["decoded"]);
}

#[test]
fn the_spec_examples_decode_as_their_versions() {
    let v = vector("x402-headers.json");
    let v1 = PaymentHeader::decode(v["spec_example_v1_x_payment"].as_str().unwrap()).unwrap();
    let PaymentHeader::V1(p1) = &v1 else {
        panic!("v1 expected")
    };
    assert_eq!(p1.network, "base-sepolia");
    assert_eq!(
        json_of(&wire::encode_header(p1)),
        json_of(v["spec_example_v1_x_payment"].as_str().unwrap())
    );
    let v2 =
        PaymentHeader::decode(v["spec_example_v2_payment_signature"].as_str().unwrap()).unwrap();
    let PaymentHeader::V2(p2) = &v2 else {
        panic!("v2 expected")
    };
    assert_eq!(p2.accepted.network, "eip155:84532");
    assert_eq!(
        json_of(&wire::encode_header(p2)),
        json_of(v["spec_example_v2_payment_signature"].as_str().unwrap())
    );
}

struct Exact {
    v: Value,
    payload: PaymentPayload,
    required: PaymentRequired,
    fee_payer: AccountAddress,
    expiration: u64,
}

fn exact() -> Exact {
    let v = vector("x402-aptos-exact.json");
    let e = &v["expected"];
    let payload: PaymentPayload =
        wire::decode_header(e["payment_signature_header"].as_str().unwrap()).unwrap();
    let required: PaymentRequired =
        wire::decode_header(e["payment_required_header"].as_str().unwrap()).unwrap();
    let fee_payer = AccountAddress::from_hex(v["inputs"]["fee_payer"].as_str().unwrap()).unwrap();
    let expiration = v["inputs"]["expiration_timestamp_secs"].as_u64().unwrap();
    Exact {
        v,
        payload,
        required,
        fee_payer,
        expiration,
    }
}

#[test]
fn the_exact_headers_decode_to_the_reference_json_and_re_encode_equal() {
    let x = exact();
    let e = &x.v["expected"];
    assert_eq!(
        serde_json::to_value(&x.payload).unwrap(),
        e["payment_payload_json"]
    );
    assert_eq!(
        json_of(&wire::encode_header(&x.payload)),
        e["payment_payload_json"]
    );
    assert_eq!(
        json_of(&wire::encode_header(&x.required)),
        json_of(e["payment_required_header"].as_str().unwrap())
    );
    // TypeScript and Python receipts differ in key order and spacing, not in content.
    for key in ["payment_response_header_ts", "payment_response_header_py"] {
        let r: SettleResponse = wire::decode_header(e[key].as_str().unwrap()).unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            e["payment_response_json"],
            "{key}"
        );
    }
}

#[test]
fn the_exact_payment_decodes_to_the_reference_transaction() {
    let x = exact();
    let e = &x.v["expected"];
    let p = AptosPayment::from_payload(&x.payload.view().payload).unwrap();
    assert_eq!(
        aptos_bcs::to_bytes(&p.raw).unwrap(),
        hex_bytes(&e["raw_transaction_bcs"])
    );
    assert_eq!(
        p.transaction_bytes(),
        hex_bytes(&e["simple_transaction_bcs"])
    );
    assert_eq!(p.fee_payer, Some(x.fee_payer));
    assert_eq!(
        p.sender().to_long_string(),
        e["sender_address"].as_str().unwrap()
    );
    assert_eq!(
        aptos_bcs::to_bytes(&p.sender_auth).unwrap(),
        hex_bytes(&e["sender_authenticator_bcs_signed_over_real_fee_payer"])
    );
}

#[test]
fn the_exact_payment_verifies_over_the_real_and_the_zero_fee_payer_with_a_frozen_clock() {
    let x = exact();
    let e = &x.v["expected"];
    let policy = VerifyPolicy {
        fee_payers: vec![x.fee_payer],
    };
    let requirements = &x.required.accepts[0];
    let now = x.expiration - 60;
    // As a server reads it: borrowed from the header's text.
    let text = wire::decode_text(e["payment_signature_header"].as_str().unwrap()).unwrap();
    let PaymentHeaderRef::V2(borrowed) = PaymentHeaderRef::parse(&text).unwrap() else {
        panic!("v2 expected");
    };
    assert_eq!(borrowed.to_owned_payload().unwrap(), x.payload);
    let verified = verify_local(&borrowed, requirements, &policy, now).unwrap();
    assert_eq!(verified.debit.amount, 1000);
    assert_eq!(
        verify_local(&x.payload.view(), requirements, &policy, now).unwrap(),
        verified
    );

    // The same transaction signed over fee payer 0x0 is valid too.
    let mut zero = AptosPayment::from_payload(&borrowed.payload).unwrap();
    zero.sender_auth = aptos_bcs::from_bytes::<AccountAuthenticator>(&hex_bytes(
        &e["sender_authenticator_bcs_signed_over_zero_fee_payer"],
    ))
    .unwrap();
    let mut payload = x.payload.clone();
    payload.payload = zero.to_payload();
    verify_local(&payload.view(), requirements, &policy, now).unwrap();

    // The vector's expiry is in the past: with the real clock it is expired.
    let err = verify_local(&borrowed, requirements, &policy, x.expiration).unwrap_err();
    assert_eq!(
        err.reason.code("exact"),
        "invalid_exact_aptos_payload_transaction_expired"
    );
}

#[test]
fn our_client_rebuilds_the_reference_payment_byte_for_byte() {
    let x = exact();
    let i = &x.v["inputs"];
    let signer = Signer::from_private_key(i["private_key"].as_str().unwrap()).unwrap();
    let params = TxnParams {
        sequence_number: i["sequence_number"].as_u64().unwrap(),
        now_secs: x.expiration - i["max_timeout_seconds"].as_u64().unwrap(),
        max_gas_amount: i["max_gas_amount"].as_u64().unwrap(),
        gas_unit_price: i["gas_unit_price"].as_u64().unwrap(),
    };
    let ours = pay(
        &signer,
        &x.required.accepts[0],
        Some(x.required.resource.clone()),
        params,
        "",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        x.v["expected"]["payment_payload_json"]
    );
    assert_eq!(
        wire::encode_header(&ours),
        x.v["expected"]["payment_signature_header"]
            .as_str()
            .unwrap(),
        "same JSON key order as the reference TypeScript encoder"
    );
}
