//! Rebuilds the reference SDKs' transaction vectors (`testdata/aptos-transactions.json`,
//! `testdata/x402-aptos-exact.json`) byte for byte with the core's builders and signing.

use computestream_core::aptos_sdk::aptos_bcs;
use computestream_core::aptos_sdk::transaction::{
    EntryFunction, FeePayerRawTransaction, RawTransaction, TransactionPayload,
};
use computestream_core::aptos_sdk::types::ChainId;
use computestream_core::contract::FrameworkCall;
use computestream_core::tx::{
    cosign_as_fee_payer, sign_as_sponsored_sender, verify_signed_transaction,
};
use computestream_core::types::parse_address;
use computestream_core::{AccountAddress, Signer};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = format!("{}/../testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing"))
}

/// Encodes one `{"u64": "..."}`-style argument with aptos-sdk's BCS.
fn arg(v: &Value) -> Vec<u8> {
    let (kind, value) = v.as_object().unwrap().iter().next().unwrap();
    if kind == "bool" {
        return aptos_bcs::to_bytes(&value.as_bool().unwrap()).unwrap();
    }
    let value = value.as_str().unwrap();
    match kind.as_str() {
        "u64" => aptos_bcs::to_bytes(&value.parse::<u64>().unwrap()),
        "address" => aptos_bcs::to_bytes(&parse_address(value).unwrap()),
        "string" => aptos_bcs::to_bytes(&value.to_string()),
        "vector_u8" => aptos_bcs::to_bytes(&hex::decode(value.trim_start_matches("0x")).unwrap()),
        other => panic!("unknown argument kind {other}"),
    }
    .unwrap()
}

/// A raw transaction from a vector's gas, expiry and chain inputs.
fn raw_with(
    inputs: &Value,
    sender: AccountAddress,
    sequence_number: u64,
    f: EntryFunction,
) -> RawTransaction {
    RawTransaction::new(
        sender,
        sequence_number,
        TransactionPayload::EntryFunction(f),
        inputs["max_gas_amount"].as_u64().unwrap(),
        inputs["gas_unit_price"].as_u64().unwrap(),
        inputs["expiration_timestamp_secs"].as_u64().unwrap(),
        ChainId::new(inputs["chain_id"].as_u64().unwrap() as u8),
    )
}

fn raw(inputs: &Value, case: &Value, sender: AccountAddress) -> RawTransaction {
    let args = case["args"].as_array().unwrap().iter().map(arg).collect();
    let f = EntryFunction::from_function_id(str_of(case, "function"), vec![], args).unwrap();
    raw_with(inputs, sender, case["sequence_number"].as_u64().unwrap(), f)
}

#[test]
fn aptos_transactions_vectors_rebuild_byte_for_byte() {
    let v = vectors("aptos-transactions.json");
    let (inputs, expected) = (&v["inputs"], &v["expected"]);
    let sender = Signer::from_private_key(str_of(inputs, "sender_private_key")).unwrap();
    let fee_payer = Signer::from_private_key(str_of(inputs, "fee_payer_private_key")).unwrap();
    assert_eq!(
        sender.address().to_long_string(),
        str_of(expected, "sender_address")
    );
    assert_eq!(
        hex0x(sender.account().public_key().to_bytes()),
        str_of(expected, "public_key")
    );

    let v1 = raw(inputs, &inputs["v1"], sender.address());
    assert_eq!(
        hex0x(v1.to_bcs().unwrap()),
        str_of(expected, "v1.raw_txn_bcs")
    );
    assert_eq!(
        hex0x(v1.signing_message().unwrap()),
        str_of(expected, "v1.signing_msg")
    );
    let signed = sender.sign(&v1).unwrap();
    assert_eq!(
        hex0x(signed.to_bcs().unwrap()),
        str_of(expected, "v1.signed_txn_bcs")
    );
    assert_eq!(
        signed.hash().unwrap().to_string(),
        str_of(expected, "v1.txn_hash")
    );
    verify_signed_transaction(&signed).unwrap();

    let v2 = raw(inputs, &inputs["v2"], sender.address());
    assert_eq!(
        hex0x(sender.sign(&v2).unwrap().to_bcs().unwrap()),
        str_of(expected, "v2.signed_txn_bcs")
    );

    let over_zero = FeePayerRawTransaction::new_simple(v1.clone(), AccountAddress::ZERO);
    assert_eq!(
        hex0x(over_zero.signing_message().unwrap()),
        str_of(expected, "v3.fee_payer_signing_msg")
    );
    let sender_auth = sign_as_sponsored_sender(&sender, &v1, AccountAddress::ZERO).unwrap();
    assert_eq!(
        hex0x(aptos_bcs::to_bytes(&sender_auth).unwrap()),
        str_of(expected, "v3.sender_authenticator_bcs")
    );

    assert_eq!(
        fee_payer.address().to_long_string(),
        str_of(expected, "v4.fee_payer_address")
    );
    let sponsored = cosign_as_fee_payer(&v1, sender_auth, &fee_payer).unwrap();
    assert_eq!(
        hex0x(sponsored.to_bcs().unwrap()),
        str_of(expected, "v4.signed_txn_bcs")
    );
    assert_eq!(
        sponsored.hash().unwrap().to_string(),
        str_of(expected, "v4.txn_hash")
    );
    // The sender signed over 0x0: aptos-sdk's strict check refuses it, the chain accepts it.
    assert!(sponsored.verify_signature().is_err());
    verify_signed_transaction(&sponsored).unwrap();
}

#[test]
fn x402_exact_transfer_rebuilds_byte_for_byte_with_the_framework_builder() {
    let v = vectors("x402-aptos-exact.json");
    let (inputs, expected) = (&v["inputs"], &v["expected"]);
    let sender = Signer::from_private_key(str_of(inputs, "private_key")).unwrap();
    assert_eq!(
        sender.address().to_long_string(),
        str_of(expected, "sender_address")
    );
    let transfer = FrameworkCall::TransferAsset {
        asset: parse_address(str_of(inputs, "asset")).unwrap(),
        to: parse_address(str_of(inputs, "pay_to")).unwrap(),
        amount: str_of(inputs, "amount").parse().unwrap(),
    };
    let raw = raw_with(
        inputs,
        sender.address(),
        inputs["sequence_number"].as_u64().unwrap(),
        transfer.entry_function().unwrap(),
    );
    assert_eq!(
        hex0x(raw.to_bcs().unwrap()),
        str_of(expected, "raw_transaction_bcs")
    );
    let fee_payer = parse_address(str_of(inputs, "fee_payer")).unwrap();
    let message = FeePayerRawTransaction::new_simple(raw.clone(), fee_payer)
        .signing_message()
        .unwrap();
    assert_eq!(
        hex0x(message),
        str_of(expected, "fee_payer_signing_message")
    );
    for (over, key) in [
        (
            fee_payer,
            "sender_authenticator_bcs_signed_over_real_fee_payer",
        ),
        (
            AccountAddress::ZERO,
            "sender_authenticator_bcs_signed_over_zero_fee_payer",
        ),
    ] {
        let auth = sign_as_sponsored_sender(&sender, &raw, over).unwrap();
        assert_eq!(
            hex0x(aptos_bcs::to_bytes(&auth).unwrap()),
            str_of(expected, key)
        );
    }
    // `simple_transaction_bcs` is the raw transaction followed by Option<fee payer> = Some.
    let mut simple = raw.to_bcs().unwrap();
    simple.extend(aptos_bcs::to_bytes(&Some(fee_payer)).unwrap());
    assert_eq!(hex0x(simple), str_of(expected, "simple_transaction_bcs"));
    assert_eq!(
        FrameworkCall::from_entry_function(match &raw.payload {
            TransactionPayload::EntryFunction(f) => f,
            _ => unreachable!(),
        })
        .unwrap(),
        transfer
    );
}
