//! The x402 facade's case table (`testdata/bindings/x402_cases.json`), which the Python, Node
//! and wasm bindings run too: every runtime must give these exact answers. The expected
//! payment header and requirements are the reference SDKs' (from `x402-aptos-exact.json`).

use computestream_testkit::{case_table, check_case as check, int, s};
use computestream_x402::facade::{self, FacadeError};
use serde_json::{Value, json};

fn opt(v: &Value) -> Option<&str> {
    v.as_str()
}

fn parsed(text: Result<String, FacadeError>) -> Result<Value, FacadeError> {
    text.map(|t| serde_json::from_str(&t).unwrap())
}

#[test]
fn the_x402_case_table_holds_in_rust() {
    let c = case_table("x402_cases.json");
    let mut n = 0;
    for case in c["address_of"].as_array().unwrap() {
        check(
            case,
            facade::address_of(s(&case["private_key"])).map(Value::from),
        );
        n += 1;
    }
    for case in c["pay"].as_array().unwrap() {
        let header = facade::pay(
            s(&case["private_key"]),
            s(&case["payment_required"]),
            case["accept"].as_u64().unwrap() as usize,
            int(&case["sequence_number"]),
            int(&case["now"]),
            s(&case["docker_image"]),
        );
        check(case, header.map(Value::from));
        n += 1;
    }
    for case in c["verify_payment"].as_array().unwrap() {
        let fee_payers: Vec<String> = case["fee_payers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| s(f).to_string())
            .collect();
        let result = parsed(facade::verify_payment(
            s(&case["header"]),
            &case["requirements"].to_string(),
            &fee_payers,
            int(&case["now"]),
        ));
        match case.get("returns_reason") {
            // A payment that fails a rule is an answer, not an error.
            Some(reason) => {
                let v = result.unwrap();
                assert_eq!(v["isValid"], json!(false), "{case}");
                assert_eq!(&v["invalidReason"], reason, "{case}");
                assert!(v["invalidMessage"].is_string(), "{case}");
            }
            None => check(case, result),
        }
        n += 1;
    }
    for case in c["decode_header"].as_array().unwrap() {
        let summary = parsed(facade::decode_header(s(&case["header"]))).map(|v| {
            json!({
                "kind": v["kind"],
                "signature_valid": v.pointer("/aptos_transaction/signature_valid"),
                "sender": v.pointer("/aptos_transaction/sender"),
            })
        });
        check(case, summary);
        n += 1;
    }
    for case in c["encode_header"].as_array().unwrap() {
        let round_trip = facade::encode_header(&case["json"].to_string()).map(|h| {
            let back = facade::describe_header(&h).unwrap();
            assert_eq!(back["header"], case["json"], "{case}");
            json!("round trip")
        });
        check(case, round_trip);
        n += 1;
    }
    for case in c["exact_requirements"].as_array().unwrap() {
        let r = facade::exact_requirements(
            s(&case["network"]),
            s(&case["asset"]),
            s(&case["pay_to"]),
            int(&case["amount"]),
            int(&case["max_timeout_seconds"]),
            opt(&case["fee_payer"]),
        );
        check(case, parsed(r));
        n += 1;
    }
    for case in c["stream_requirements"].as_array().unwrap() {
        let r = facade::stream_requirements(
            s(&case["network"]),
            s(&case["contract"]),
            s(&case["provider"]),
            s(&case["asset"]),
            int(&case["rate_per_second"]),
            int(&case["max_duration_seconds"]),
            int(&case["max_timeout_seconds"]),
            opt(&case["fee_payer"]),
        );
        check(case, parsed(r));
        n += 1;
    }
    assert!(n >= 25, "only {n} cases");
}

#[test]
fn a_payment_made_by_the_facade_verifies_and_a_tampered_one_does_not() {
    let c = case_table("x402_cases.json");
    let required = facade::encode_header(
        &json!({
            "x402Version": 2,
            "resource": {"url": "https://gpu.example/run"},
            "accepts": [serde_json::from_str::<Value>(&facade::stream_requirements(
                "aptos:4", "0xc0", "0xb0b", "0xa", 2_000_000_000_000, 3600, 60, None,
            ).unwrap()).unwrap()],
        })
        .to_string(),
    )
    .unwrap();
    let key = s(&c["address_of"][0]["private_key"]);
    let header = facade::pay(key, &required, 0, 7, 1_000, "pytorch/pytorch:2.4").unwrap();
    let requirements =
        facade::describe_header(&required).unwrap()["header"]["accepts"][0].to_string();
    let v: Value =
        serde_json::from_str(&facade::verify_payment(&header, &requirements, &[], 1_000).unwrap())
            .unwrap();
    assert_eq!(v["isValid"], json!(true), "{v}");
    assert_eq!(v["extra"]["amount"], json!("7200000"));
    assert_eq!(v["payer"], c["address_of"][0]["returns"]);
    let described = facade::describe_header(&header).unwrap();
    let tx = &described["aptos_transaction"];
    assert_eq!(tx["sequence_number"], json!("7"));
    assert_eq!(tx["expiration_timestamp_secs"], json!("1060"));
    assert_eq!(
        tx["entry_function"]["function"],
        json!("0xc0::payment_stream::rent")
    );

    // The same payment against a higher price is refused.
    let dearer = facade::stream_requirements(
        "aptos:4",
        "0xc0",
        "0xb0b",
        "0xa",
        3_000_000_000_000,
        3600,
        60,
        None,
    )
    .unwrap();
    let v: Value =
        serde_json::from_str(&facade::verify_payment(&header, &dearer, &[], 1_000).unwrap())
            .unwrap();
    assert_eq!(v["isValid"], json!(false));
}
