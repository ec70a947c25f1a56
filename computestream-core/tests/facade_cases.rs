//! The facade's case table (`testdata/bindings/cases.json`), which the Python, Node and wasm
//! bindings run too: every runtime must give these exact answers.

use computestream_core::facade;
use computestream_testkit::{case_table, check_case as check, int, s};
use serde_json::{Value, json};

#[test]
fn the_case_table_holds_in_rust() {
    let c = case_table("cases.json");
    let mut n = 0;
    for case in c["parse_amount"].as_array().unwrap() {
        let d = case["decimals"].as_u64().unwrap() as u8;
        check(
            case,
            facade::parse_amount(s(&case["text"]), d).map(|v| json!(v.to_string())),
        );
        n += 1;
    }
    for case in c["format_amount"].as_array().unwrap() {
        let d = case["decimals"].as_u64().unwrap() as u8;
        check::<computestream_core::Error>(
            case,
            Ok(json!(facade::format_amount(int(&case["units"]), d))),
        );
        n += 1;
    }
    for case in c["rate"].as_array().unwrap() {
        check(
            case,
            facade::rate(int(&case["units"]), s(&case["per"])).map(|v| json!(v.to_string())),
        );
        n += 1;
    }
    for case in c["stream_owed"].as_array().unwrap() {
        let owed = facade::stream_owed(
            int(&case["deposited"]),
            int(&case["rate_per_second"]),
            int(&case["active_seconds"]),
        );
        check::<computestream_core::Error>(case, Ok(json!(owed.to_string())));
        n += 1;
    }
    for case in c["seconds_to_deplete"].as_array().unwrap() {
        let secs =
            facade::seconds_to_deplete(int(&case["deposited"]), int(&case["rate_per_second"]));
        check::<computestream_core::Error>(case, Ok(json!(secs.map(|s| s.to_string()))));
        n += 1;
    }
    for case in c["stream_snapshot"].as_array().unwrap() {
        let snap = facade::stream_snapshot(&case["stream"].to_string(), int(&case["now"]));
        check(
            case,
            snap.map(|s| serde_json::from_str(&s.to_json()).unwrap()),
        );
        n += 1;
    }
    for case in c["calls"].as_array().unwrap() {
        let encoded = facade::encode_call(&case["call"].to_string(), None);
        let round_trip = encoded.and_then(|bcs| {
            let json = facade::decode_call(&bcs, None)?;
            assert_eq!(facade::encode_call(&json, None)?, bcs, "{case}: re-encode");
            Ok(serde_json::from_str::<Value>(&json).unwrap())
        });
        match case.get("error") {
            Some(_) => check(case, round_trip),
            None => assert_eq!(round_trip.unwrap(), case["call"], "{case}"),
        }
        n += 1;
    }
    for case in c["sign_call"].as_array().unwrap() {
        let hash = facade::sign_call(
            s(&case["private_key"]),
            &case["call"].to_string(),
            case["contract"].as_str(),
            int(&case["sequence_number"]),
            case["chain_id"].as_u64().unwrap() as u8,
            int(&case["expiration_secs"]),
        )
        .and_then(|signed| facade::transaction_hash(&signed));
        check(case, hash.map(Value::from));
        n += 1;
    }
    for case in c["abort_name"].as_array().unwrap() {
        let name = facade::abort_name(s(&case["module"]), int(&case["code"]));
        check::<computestream_core::Error>(case, Ok(json!(name)));
        n += 1;
    }
    assert!(n >= 25, "only {n} cases");
}

/// A call signed by the facade is what the embedded ledger executes, under the hash
/// `transaction_hash` names; a transaction that does not decode is a typed error.
#[tokio::test]
async fn a_call_signed_by_the_facade_commits_under_its_hash() {
    use aptos_sdk::aptos_bcs;
    use aptos_sdk::transaction::SignedTransaction;
    use computestream_core::{AssetId, Ledger, Signer};
    use computestream_localnet::LocalLedger;

    let key = format!("0x{}", "55".repeat(32));
    let provider = Signer::from_private_key(&key).unwrap().address();
    let ledger = LocalLedger::in_memory();
    ledger.mint(provider, AssetId::NATIVE, 1_000_000).unwrap();
    let now = ledger.now_micros().await.unwrap() / 1_000_000;
    let call = json!({"function": "register_provider", "gpu_type": "H100", "vram_gb": "80",
                      "price_per_second": "2000000000000", "stake_amount": "500"});
    let signed = facade::sign_call(&key, &call.to_string(), None, 0, 4, now + 60).unwrap();
    let hash = facade::transaction_hash(&signed).unwrap();
    let txn: SignedTransaction = aptos_bcs::from_bytes(&signed).unwrap();
    computestream_core::tx::verify_signed_transaction(&txn).unwrap();
    let outcome = ledger.submit(&txn).await.unwrap();
    assert!(outcome.success, "{}", outcome.vm_status);
    assert_eq!(outcome.hash.to_hex(), hash);
    assert_eq!(ledger.balance(provider, AssetId::NATIVE), 1_000_000 - 500);
    assert!(facade::transaction_hash(&signed[..signed.len() - 1]).is_err());
}
