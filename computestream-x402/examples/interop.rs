//! Header interop with the reference x402 SDKs (run by `scripts/test`):
//!
//! - `interop emit` prints the headers we produce (v2 challenge, `exact` and `stream`
//!   payments, receipt, v1 payment) as JSON, for `interop/check.mjs` (`@x402/core`) and
//!   `interop/check.py` (PyPI `x402`) to decode and schema-validate;
//! - `interop check FILE` decodes what those SDKs re-encoded from ours and exits non-zero
//!   unless every header parses back to the same JSON.

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::types::address_from_u64;
use computestream_core::{AssetId, Rate, Signer};
use computestream_x402::Network;
use computestream_x402::schemes::{StreamTerms, TxnParams, exact_requirements, pay};
use computestream_x402::wire::{
    self, PaymentHeader, PaymentPayloadV1, PaymentRequired, ResourceInfo, SettleResponse,
};
use serde_json::{Value, json};

fn ours() -> Value {
    let buyer = Signer::from_seed("interop:buyer");
    let provider = address_from_u64(0xb0b);
    let fee_payer = Some(address_from_u64(0xfee));
    let usdc = AssetId(address_from_u64(0xabc));
    let resource = ResourceInfo {
        url: "http://127.0.0.1:8080/gpu".into(),
        description: Some("GPU seconds".into()),
        mime_type: Some("application/json".into()),
    };
    let exact = exact_requirements(
        Network::MovementTestnet,
        usdc,
        provider,
        1_000,
        60,
        fee_payer,
    );
    let stream = StreamTerms {
        network: Network::MovementTestnet,
        contract: LOCAL_CONTRACT_ADDRESS,
        provider,
        asset: usdc,
        rate: Rate::per_hour(7_200_000),
        max_duration_seconds: 3_600,
        fee_payer,
    }
    .requirements(60)
    .expect("deposit fits u64");
    let required = PaymentRequired {
        x402_version: 2,
        error: Some("payment required".into()),
        resource: resource.clone(),
        accepts: vec![exact.clone(), stream.clone()],
        extensions: None,
    };
    let params = TxnParams::new(0, 1_900_000_000);
    let exact_payment = pay(&buyer, &exact, Some(resource.clone()), params, "").expect("exact");
    let stream_payment = pay(
        &buyer,
        &stream,
        Some(resource),
        params,
        "pytorch/pytorch:2.4",
    )
    .expect("stream");
    let mut extra = serde_json::Map::new();
    extra.insert(
        "jobId".into(),
        json!(format!("{}/1", buyer.address().to_long_string())),
    );
    let receipt = SettleResponse {
        success: true,
        transaction: format!("0x{}", "ab".repeat(32)),
        network: Network::MovementTestnet.caip2().into(),
        payer: Some(buyer.address().to_long_string()),
        error_reason: None,
        error_message: None,
        amount: Some("1000".into()),
        extensions: None,
        extra: Some(extra),
    };
    let v1 = PaymentPayloadV1 {
        x402_version: 1,
        scheme: "exact".into(),
        network: Network::MovementTestnet.caip2().into(),
        payload: exact_payment.payload.clone(),
    };
    json!({
        "payment_required": wire::encode_header(&required),
        "payment_signature": wire::encode_header(&exact_payment),
        "payment_signature_stream": wire::encode_header(&stream_payment),
        "payment_response": wire::encode_header(&receipt),
        "x_payment_v1": wire::encode_header(&v1),
    })
}

fn check(path: &str) -> Result<usize, String> {
    let theirs: Value =
        serde_json::from_str(&std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?)
            .map_err(|e| format!("{path}: {e}"))?;
    let ours = ours();
    let mut checked = 0;
    for (key, header) in theirs.as_object().ok_or("expected an object")? {
        let header = header.as_str().ok_or(format!("{key}: not a string"))?;
        let original = ours[key]
            .as_str()
            .ok_or(format!("{key}: not one of ours"))?;
        let same = |a: Value, b: Value| {
            if a == b {
                Ok(())
            } else {
                Err(format!("{key}: {a} != {b}"))
            }
        };
        let json = |h: &str| wire::decode_header::<Value>(h).map_err(|e| format!("{key}: {e}"));
        // Typed decoding first: their header must be one of our types, then equal JSON.
        match key.as_str() {
            "payment_required" => {
                wire::decode_header::<PaymentRequired>(header)
                    .map_err(|e| format!("{key}: {e}"))?;
            }
            "payment_response" => {
                wire::decode_header::<SettleResponse>(header).map_err(|e| format!("{key}: {e}"))?;
            }
            _ => {
                PaymentHeader::decode(header).map_err(|e| format!("{key}: {e}"))?;
            }
        }
        same(json(header)?, json(original)?)?;
        checked += 1;
    }
    Ok(checked)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["emit"] => println!("{}", ours()),
        ["check", path] => match check(path) {
            Ok(n) if n >= 4 => println!("interop: {n} headers from {path} decode to ours"),
            Ok(n) => {
                eprintln!("interop: only {n} headers in {path}");
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("interop: {e}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!("usage: interop emit | interop check FILE");
            std::process::exit(2);
        }
    }
}
