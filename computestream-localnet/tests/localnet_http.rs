//! The localnet over HTTP: hostile requests get the node's error shape and status, never a
//! panic or a hang; 20 concurrent clients × 100 transactions are all accounted for.

use std::sync::Arc;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{RawTransaction, SignedTransaction, TransactionPayload};
use aptos_sdk::types::ChainId;
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS};
use computestream_core::{AptosLedger, AssetId, ContractClient, Ledger, RejectReason, Signer};
use computestream_localnet::LocalLedger;
use computestream_localnet::Localnet;
use computestream_testkit::{get_json, post, post_json};
use serde_json::{Value, json};

async fn net() -> (Arc<LocalLedger>, Localnet) {
    let ledger = Arc::new(LocalLedger::in_memory());
    let net = Localnet::start_local(ledger.clone()).await.unwrap();
    (ledger, net)
}

fn raw(signer: &Signer, seq: u64, chain: u8, expires: u64, call: &Call) -> RawTransaction {
    RawTransaction::new(
        signer.address(),
        seq,
        TransactionPayload::EntryFunction(call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap()),
        200_000,
        100,
        expires,
        ChainId::new(chain),
    )
}

async fn post_bcs(url: &str, body: Vec<u8>) -> (u16, Value) {
    post(url, "application/x.aptos.signed_transaction+bcs", body).await
}

#[tokio::test]
async fn hostile_requests_get_node_errors() {
    let (ledger, net) = net().await;
    let url = format!("{}/transactions", net.node_url());
    let signer = Signer::from_seed("http:hostile");
    let now = ledger.now_secs();
    let call = Call::Deregister {};
    let sign = |r: RawTransaction| aptos_bcs::to_bytes(&signer.sign(&r).unwrap()).unwrap();

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("malformed BCS", vec![1, 2, 3], 400, "invalid_input"),
        ("empty body", vec![], 400, "invalid_input"),
        (
            "wrong chain id",
            sign(raw(&signer, 0, 2, now + 60, &call)),
            400,
            "BAD_CHAIN_ID",
        ),
        (
            "future sequence number",
            sign(raw(&signer, 5, 4, now + 60, &call)),
            400,
            "SEQUENCE_NUMBER_TOO_NEW",
        ),
        (
            "expired",
            sign(raw(&signer, 0, 4, now - 1, &call)),
            400,
            "TRANSACTION_EXPIRED",
        ),
        ("oversized body", vec![0; 70 * 1024], 413, ""),
    ];
    for (name, body, status, expect) in cases {
        let (got, v) = post_bcs(&url, body).await;
        assert_eq!(got, status, "{name}: {v}");
        if !expect.is_empty() {
            let text = v.to_string();
            assert!(text.contains(expect), "{name}: {v}");
            assert!(
                v["message"].is_string() && v["error_code"].is_string(),
                "{name}: {v}"
            );
        }
    }

    // A bad signature: valid transaction, signature of another message.
    let good = raw(&signer, 0, 4, now + 60, &call);
    let mut forged: SignedTransaction = signer.sign(&good).unwrap();
    forged.raw_txn.max_gas_amount += 1;
    let (got, v) = post_bcs(&url, aptos_bcs::to_bytes(&forged).unwrap()).await;
    assert_eq!(got, 400);
    assert_eq!(v["vm_error_code"], json!(1), "{v}");

    // Unknown function.
    let mut unknown = good.clone();
    if let TransactionPayload::EntryFunction(f) = &mut unknown.payload {
        f.function = "steal".into();
    }
    let (got, v) = post_bcs(&url, sign(unknown)).await;
    assert_eq!(got, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("FUNCTION_RESOLUTION_FAILURE"),
        "{v}"
    );

    // A stale sequence number after a success.
    let (got, _) = post_bcs(
        &url,
        sign(raw(
            &signer,
            0,
            4,
            now + 60,
            &Call::UpdateAvailability { is_active: true },
        )),
    )
    .await;
    assert_eq!(got, 202, "accepted (it aborts on chain: not a provider)");
    let (got, v) = post_bcs(&url, sign(raw(&signer, 0, 4, now + 60, &call))).await;
    assert_eq!(got, 400);
    assert!(v.to_string().contains("SEQUENCE_NUMBER_TOO_OLD"), "{v}");

    // JSON submission, bad JSON views, unknown routes and views.
    let (got, _) = post_json(&url, &json!({"sender": "0x1"})).await;
    assert_eq!(got, 415);
    let view = format!("{}/view", net.node_url());
    let (got, _) = post(&view, "application/json", "{nope").await;
    assert_eq!(got, 400);
    let unknown = json!({"function": "0xcafe::payment_stream::nope", "arguments": []});
    assert_eq!(post_json(&view, &unknown).await.0, 400);
    let missing =
        json!({"function": "0xcafe::payment_stream::get_stream", "arguments": ["0x1", "1"]});
    let (got, body) = post_json(&view, &missing).await;
    assert_eq!(got, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("E_STREAM_NOT_FOUND"),
        "{body}"
    );
    // Unknown routes, bad and unknown hashes, bad addresses.
    let unknown_hash = format!("/transactions/by_hash/0x{}", "ab".repeat(32));
    for (path, status) in [
        ("/nothing/here", 404),
        ("/transactions/by_hash/0x1234", 400),
        (unknown_hash.as_str(), 404),
        ("/accounts/zzz", 400),
    ] {
        let (got, _) = get_json(&format!("{}{path}", net.node_url())).await;
        assert_eq!(got, status, "{path}");
    }

    // The node still serves after all of that.
    let (_, info) = get_json(&net.node_url()).await;
    assert_eq!(info["chain_id"], json!(4));
}

#[tokio::test]
async fn the_client_pays_the_gas_price_the_node_estimates() {
    let (ledger, net) = net().await;
    let node = Arc::new(AptosLedger::new(&net.node_url(), LOCAL_CONTRACT_ADDRESS).unwrap());
    assert_eq!(node.gas_unit_price().await.unwrap(), Some(100));
    let signer = Signer::from_seed("http:gas");
    ledger
        .mint(signer.address(), AssetId::NATIVE, 10_000_000_000)
        .unwrap();
    let client = ContractClient::new(node.clone(), LOCAL_CONTRACT_ADDRESS);
    let payload = TransactionPayload::EntryFunction(
        Call::Deregister {}
            .entry_function(LOCAL_CONTRACT_ADDRESS)
            .unwrap(),
    );
    let signed = client.sign(&signer, payload.clone()).await.unwrap();
    assert_eq!(signed.raw_txn.gas_unit_price, 100, "the estimate");
    // A floor above the estimate wins.
    let floor = ContractClient::new(node, LOCAL_CONTRACT_ADDRESS).with_options(
        computestream_core::TxnOptions {
            gas_unit_price: 150,
            ..Default::default()
        },
    );
    let signed = floor.sign(&signer, payload).await.unwrap();
    assert_eq!(signed.raw_txn.gas_unit_price, 150);
}

#[tokio::test]
async fn rejections_map_back_to_typed_errors_through_aptos_ledger() {
    let (ledger, net) = net().await;
    let node = AptosLedger::new(&net.node_url(), LOCAL_CONTRACT_ADDRESS).unwrap();
    let signer = Signer::from_seed("http:typed");
    let now = ledger.now_secs();
    let stale = signer
        .sign(&raw(&signer, 3, 4, now + 60, &Call::Deregister {}))
        .unwrap();
    match node.submit(&stale).await {
        Err(computestream_core::Error::Rejected { reason, .. }) => {
            assert_eq!(reason, RejectReason::SequenceNumberTooNew)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_clients_times_a_hundred_transactions_are_all_accounted_for() {
    let (ledger, net) = net().await;
    let provider = Signer::from_seed("load:provider");
    ledger
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    let local_client = ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    local_client
        .register_provider(&provider, "H100".into(), 80, 1_000_000_000, 1_000)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for c in 0..20 {
        let url = net.node_url();
        let provider = provider.address();
        tasks.push(tokio::spawn(async move {
            let node = Arc::new(AptosLedger::new(&url, LOCAL_CONTRACT_ADDRESS).unwrap());
            let client = ContractClient::new(node, LOCAL_CONTRACT_ADDRESS);
            let buyer = Signer::from_seed(&format!("load:buyer{c}"));
            let mut hashes = Vec::new();
            for _ in 0..100 {
                let o = client
                    .create_job(&buyer, provider, "img".into(), 1_000, 60)
                    .await
                    .unwrap();
                hashes.push(o.hash);
            }
            (buyer.address(), hashes)
        }));
    }
    let mut total = 0;
    for t in tasks {
        let (buyer, hashes) = t.await.unwrap();
        assert_eq!(ledger.sequence_number(buyer).await.unwrap(), 100);
        assert_eq!(local_client.get_job_counter(buyer).await.unwrap(), 100);
        for h in hashes {
            assert!(
                ledger
                    .transaction_by_hash(h)
                    .await
                    .unwrap()
                    .unwrap()
                    .success
            );
            total += 1;
        }
    }
    assert_eq!(total, 2_000);
}

#[tokio::test]
async fn committed_transactions_show_their_payload_gas_and_signature() {
    let (ledger, net) = net().await;
    let provider = Signer::from_seed("http:shape");
    ledger
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    let node = Arc::new(AptosLedger::new(&net.node_url(), LOCAL_CONTRACT_ADDRESS).unwrap());
    let client = ContractClient::new(node, LOCAL_CONTRACT_ADDRESS);
    let o = client
        .register_provider(&provider, "H100".into(), 80, 2_000_000_000_000, 1_000)
        .await
        .unwrap();
    let (_, v) = get_json(&format!(
        "{}/transactions/by_hash/{}",
        net.node_url(),
        o.hash
    ))
    .await;
    assert_eq!(v["type"], "user_transaction");
    assert_eq!(v["success"], true);
    assert_eq!(v["payload"]["type"], "entry_function_payload");
    assert!(
        v["payload"]["function"]
            .as_str()
            .unwrap()
            .ends_with("::provider_registry::register_provider")
    );
    assert_eq!(
        v["payload"]["arguments"],
        json!(["H100", "80", "2000000000000", "1000"])
    );
    assert_eq!(v["max_gas_amount"], "200000");
    assert_eq!(v["signature"]["type"], "ed25519_signature");
    assert_eq!(v["events"][0]["data"]["gpu_type"], "H100");
}
