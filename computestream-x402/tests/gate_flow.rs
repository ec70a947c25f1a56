//! The gate end to end on the embedded ledger, without HTTP: 402 → pay → verify → handler →
//! settle → receipt, for `exact` and `stream`; replays; later stream requests by job id; v1.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::{Market, NOW};
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{ContractClient, JobId, Ledger};
use computestream_x402::gate::{Decision, Gate, JOB_HEADER};
use computestream_x402::schemes::{TxnParams, pay};
use computestream_x402::wire::{
    self, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, PaymentPayload, PaymentPayloadV1,
    PaymentRequired, PaymentRequiredV1, PaymentRequirements, ResourceInfo, SettleResponse,
    X_PAYMENT, X_PAYMENT_RESPONSE,
};
use serde_json::json;

struct World {
    market: Market,
    gate: Gate,
}

impl std::ops::Deref for World {
    type Target = Market;
    fn deref(&self) -> &Market {
        &self.market
    }
}

async fn world() -> World {
    let market = Market::open("gate").await;
    let accepts = vec![market.exact(), market.stream()];
    let resource = ResourceInfo {
        url: "http://localhost/gpu".into(),
        description: Some("GPU seconds".into()),
        mime_type: None,
    };
    let gate = Gate::new(Arc::new(market.facilitator()), resource, accepts)
        .with_stream_admission(market.ledger.clone(), None);
    World { market, gate }
}

fn headers(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    move |name: &str| map.get(&name.to_ascii_lowercase()).cloned()
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl World {
    async fn challenge(&self) -> PaymentRequired {
        let Decision::Respond(r) = self.gate.begin(headers(&[])).await else {
            panic!("no payment must get a 402");
        };
        assert_eq!(r.status, 402);
        assert_eq!(header(&r.headers, "Cache-Control"), Some("no-store"));
        assert!(
            header(&r.headers, "Access-Control-Expose-Headers")
                .unwrap()
                .contains(PAYMENT_REQUIRED)
        );
        let v1: PaymentRequiredV1 = serde_json::from_value(r.body).unwrap();
        assert_eq!(v1.accepts.len(), 2);
        wire::decode_header(header(&r.headers, PAYMENT_REQUIRED).unwrap()).unwrap()
    }

    /// The buyer's payment for `r`, at its next sequence number.
    async fn pay(&self, r: &PaymentRequirements) -> PaymentPayload {
        self.pay_for(r, "").await
    }

    /// The same, renting `image` (the `stream` scheme).
    async fn pay_for(&self, r: &PaymentRequirements, image: &str) -> PaymentPayload {
        pay(
            &self.buyer,
            r,
            None,
            TxnParams::new(self.seq().await, NOW),
            image,
        )
        .unwrap()
    }

    /// The gate's decision on a request carrying `value` in header `name`.
    async fn present(&self, name: &str, value: String) -> Decision {
        self.gate.begin(headers(&[(name, value)])).await
    }

    async fn seq(&self) -> u64 {
        self.ledger
            .sequence_number(self.buyer.address())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn exact_pays_after_the_handler_and_a_replay_is_refused() {
    let w = world().await;
    let required = w.challenge().await;
    let exact = &required.accepts[0];
    let payment = pay(
        &w.buyer,
        exact,
        Some(required.resource.clone()),
        TxnParams::new(w.seq().await, NOW),
        "",
    )
    .unwrap();
    let h = wire::encode_header(&payment);

    let Decision::Proceed(admitted) = w
        .gate
        .begin(headers(&[(PAYMENT_SIGNATURE, h.clone())]))
        .await
    else {
        panic!("a valid payment is admitted");
    };
    // Nothing moved before the handler ran.
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 0);
    // The same header while the first is in flight is a replay.
    let Decision::Respond(r) = w
        .gate
        .begin(headers(&[(PAYMENT_SIGNATURE, h.clone())]))
        .await
    else {
        panic!("replay admitted");
    };
    let again: PaymentRequired =
        wire::decode_header(header(&r.headers, PAYMENT_REQUIRED).unwrap()).unwrap();
    assert_eq!(
        again.error.as_deref(),
        Some("invalid_exact_aptos_payload_replayed")
    );

    let out = w.gate.finish(admitted, true).await.unwrap();
    let receipt: SettleResponse =
        wire::decode_header(header(&out, PAYMENT_RESPONSE).unwrap()).unwrap();
    assert!(receipt.success);
    assert_eq!(
        receipt.payer.as_deref(),
        Some(w.buyer.address().to_long_string().as_str())
    );
    assert_eq!(receipt.transaction.len(), 66);
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
    assert_eq!(w.ledger.balance(w.buyer.address(), w.usdc), 9_999_000);

    // After settlement the header is still refused and nothing is paid twice.
    let Decision::Respond(r) = w.gate.begin(headers(&[(PAYMENT_SIGNATURE, h)])).await else {
        panic!("replay after settlement admitted");
    };
    assert_eq!(r.status, 402);
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
}

#[tokio::test]
async fn a_failed_handler_releases_the_payment_unsettled() {
    let w = world().await;
    let required = w.challenge().await;
    let payment = w.pay(&required.accepts[0]).await;
    let h = wire::encode_header(&payment);
    let Decision::Proceed(admitted) = w
        .gate
        .begin(headers(&[(PAYMENT_SIGNATURE, h.clone())]))
        .await
    else {
        panic!("admitted");
    };
    assert_eq!(w.gate.finish(admitted, false).await.unwrap(), vec![]);
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 0);
    // The client may retry with the same payment.
    let Decision::Proceed(admitted) = w.gate.begin(headers(&[(PAYMENT_SIGNATURE, h)])).await else {
        panic!("retry admitted");
    };
    w.gate.finish(admitted, true).await.unwrap();
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
}

#[tokio::test]
async fn stream_opens_before_the_handler_and_later_requests_ride_on_the_job() {
    let w = world().await;
    let required = w.challenge().await;
    let stream = &required.accepts[1];
    assert_eq!(stream.amount, "1200000", "rate × 600 s");
    let payment = w.pay_for(stream, "pytorch/pytorch:2.4").await;
    let Decision::Proceed(admitted) = w
        .gate
        .begin(headers(&[(
            PAYMENT_SIGNATURE,
            wire::encode_header(&payment),
        )]))
        .await
    else {
        panic!("admitted");
    };
    let job = admitted.job.expect("the stream's job");
    assert_eq!(job, JobId::new(w.buyer.address(), 1));
    let out = w.gate.finish(admitted, true).await.unwrap();
    let receipt: SettleResponse =
        wire::decode_header(header(&out, PAYMENT_RESPONSE).unwrap()).unwrap();
    assert_eq!(receipt.extra.unwrap()["jobId"], json!(job.to_string()));
    assert_eq!(
        w.ledger.balance(w.buyer.address(), w.usdc),
        10_000_000 - 1_200_000
    );

    // The provider starts the job; later requests present the job id.
    let client = ContractClient::new(w.ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    client
        .start_job(&w.provider, job.buyer, job.id)
        .await
        .unwrap();
    let job_header = || headers(&[(JOB_HEADER, job.to_string())]);
    let Decision::Proceed(a) = w.gate.begin(job_header()).await else {
        panic!("a paying stream is admitted");
    };
    assert_eq!(a.job, Some(job));

    // Depleted (600 s funded) → refused, once the one-second cache has expired.
    w.clock.advance_secs(601);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let Decision::Respond(r) = w.gate.begin(job_header()).await else {
        panic!("a depleted stream is refused");
    };
    let refused: PaymentRequired =
        wire::decode_header(header(&r.headers, PAYMENT_REQUIRED).unwrap()).unwrap();
    assert_eq!(refused.error.as_deref(), Some("stream_not_paying"));

    // A malformed or unknown job.
    let Decision::Respond(r) = w.gate.begin(headers(&[(JOB_HEADER, "nope".into())])).await else {
        panic!()
    };
    assert_eq!(r.status, 400);
    let unknown = JobId::new(w.buyer.address(), 99).to_string();
    let Decision::Respond(r) = w.gate.begin(headers(&[(JOB_HEADER, unknown)])).await else {
        panic!()
    };
    assert_eq!(r.status, 402);
}

#[tokio::test]
async fn v1_clients_pay_with_x_payment_and_get_x_payment_response() {
    let w = world().await;
    let Decision::Respond(r) = w.gate.begin(headers(&[])).await else {
        panic!()
    };
    let v1: PaymentRequiredV1 = serde_json::from_value(r.body).unwrap();
    let req = &v1.accepts[0];
    assert_eq!(req.max_amount_required, "1000");
    // A v1 client signs the same transaction and sends the v1 envelope.
    let v2 = w.challenge().await;
    let signed = w.pay(&v2.accepts[0]).await;
    let p1 = PaymentPayloadV1 {
        x402_version: 1,
        scheme: req.scheme.clone(),
        network: req.network.clone(),
        payload: signed.payload,
    };
    let Decision::Proceed(admitted) = w.present(X_PAYMENT, wire::encode_header(&p1)).await else {
        panic!("v1 admitted");
    };
    let out = w.gate.finish(admitted, true).await.unwrap();
    let receipt: SettleResponse =
        wire::decode_header(header(&out, X_PAYMENT_RESPONSE).unwrap()).unwrap();
    assert!(receipt.success);
    // A v2 payload in the v1 header is refused as malformed.
    let v2p = w.pay(&v2.accepts[0]).await;
    let Decision::Respond(r) = w.present(X_PAYMENT, wire::encode_header(&v2p)).await else {
        panic!()
    };
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn payment_identifier_makes_a_retry_idempotent() {
    let w = world().await;
    let required = w.challenge().await;
    let mut payment = w.pay(&required.accepts[0]).await;
    payment.set_payment_identifier("order-0000000000000001");
    let h = wire::encode_header(&payment);
    let Decision::Proceed(a) = w
        .gate
        .begin(headers(&[(PAYMENT_SIGNATURE, h.clone())]))
        .await
    else {
        panic!()
    };
    let first = w.gate.finish(a, true).await.unwrap();
    // The client lost the response and retries: same receipt, no second payment.
    let Decision::Proceed(a) = w.gate.begin(headers(&[(PAYMENT_SIGNATURE, h)])).await else {
        panic!("an identified retry is admitted");
    };
    let second = w.gate.finish(a, true).await.unwrap();
    assert_eq!(
        header(&first, PAYMENT_RESPONSE),
        header(&second, PAYMENT_RESPONSE)
    );
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
    // Extensions are not signed: the same payment under another identifier is a replay.
    let mut other = payment.clone();
    other.set_payment_identifier("order-0000000000000002");
    let Decision::Respond(r) = w
        .present(PAYMENT_SIGNATURE, wire::encode_header(&other))
        .await
    else {
        panic!("a re-labelled replay is admitted");
    };
    assert_eq!(r.status, 402);
    // A malformed identifier is a 400.
    let mut bad = w.pay(&required.accepts[0]).await;
    bad.set_payment_identifier("short");
    let Decision::Respond(r) = w
        .present(PAYMENT_SIGNATURE, wire::encode_header(&bad))
        .await
    else {
        panic!()
    };
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn an_identifier_added_to_a_settled_payment_does_not_admit_it_again() {
    let w = world().await;
    let required = w.challenge().await;
    let payment = w.pay(&required.accepts[0]).await;
    let Decision::Proceed(a) = w
        .gate
        .begin(headers(&[(
            PAYMENT_SIGNATURE,
            wire::encode_header(&payment),
        )]))
        .await
    else {
        panic!("admitted");
    };
    w.gate.finish(a, true).await.unwrap();
    // Someone replays the captured header with an identifier attached.
    let mut replay = payment.clone();
    replay.set_payment_identifier("replayed-0000000000000");
    let Decision::Respond(r) = w
        .gate
        .begin(headers(&[(
            PAYMENT_SIGNATURE,
            wire::encode_header(&replay),
        )]))
        .await
    else {
        panic!("a replay with a fresh identifier is admitted");
    };
    assert_eq!(r.status, 402);
    assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), 1_000);
}
