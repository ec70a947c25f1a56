//! The gate end to end on the embedded ledger, without HTTP: 402 → pay → verify → handler →
//! settle → receipt, for `exact` and `stream`; replays, also across a restart; later stream
//! requests by job id; v1. Each case is a script of steps run against a fresh market and
//! gate.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::{Market, NOW};
use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{ContractClient, JobId, Ledger};
use computestream_x402::aptos::VerifyPolicy;
use computestream_x402::facilitator::{
    Facilitator, FacilitatorError, SupportedResponse, verify_response,
};
use computestream_x402::gate::{Decision, Gate, JOB_HEADER};
use computestream_x402::schemes::{TxnParams, pay, verify_local};
use computestream_x402::wire::{
    self, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, PaymentPayload, PaymentPayloadRef,
    PaymentPayloadV1, PaymentRequired, PaymentRequiredV1, PaymentRequirements, ResourceInfo,
    SettleResponse, VerifyResponse, X_PAYMENT, X_PAYMENT_RESPONSE,
};
use serde_json::json;

struct World {
    market: Market,
    /// Replaced when the provider restarts.
    gate: Mutex<Arc<Gate>>,
    /// Where the gate remembers what it served.
    store: tempfile::TempDir,
}

impl std::ops::Deref for World {
    type Target = Market;
    fn deref(&self) -> &Market {
        &self.market
    }
}

async fn world() -> World {
    let market = Market::open("gate").await;
    let store = tempfile::tempdir().unwrap();
    let gate = gate(&market, Arc::new(market.facilitator()), &store);
    World {
        market,
        gate: Mutex::new(Arc::new(gate)),
        store,
    }
}

/// The market's gate over `facilitator`, on the chain's clock, remembering what it served in
/// `store`.
fn gate(market: &Market, facilitator: Arc<dyn Facilitator>, store: &tempfile::TempDir) -> Gate {
    let accepts = vec![market.exact(), market.stream()];
    let resource = ResourceInfo {
        url: "http://localhost/gpu".into(),
        description: Some("GPU seconds".into()),
        mime_type: None,
    };
    let clock = market.clock.clone();
    Gate::new(facilitator, resource, accepts)
        .with_stream_admission(market.ledger.clone(), None)
        .with_clock(move || clock.now_micros() / 1_000_000)
        .with_served_once_store(store.path().join("served-once"))
        .unwrap()
}

/// A facilitator that verifies with the local rules only (no balance, no simulation), as a
/// binding's gate does with the facade's `verify_payment`, and settles through the market's.
/// Behind it, only the gate's own memory stops a replay before the handler runs.
struct LocalRulesOnly {
    settler: Arc<dyn Facilitator>,
    policy: VerifyPolicy,
    clock: computestream_localnet::ManualClock,
}

#[async_trait]
impl Facilitator for LocalRulesOnly {
    async fn verify(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<VerifyResponse, FacilitatorError> {
        let now = self.clock.now_micros() / 1_000_000;
        let outcome = verify_local(payload, requirements, &self.policy, now);
        Ok(verify_response(&outcome, &requirements.scheme))
    }

    async fn settle(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<SettleResponse, FacilitatorError> {
        self.settler.settle(payload, requirements).await
    }

    async fn supported(&self) -> Result<SupportedResponse, FacilitatorError> {
        self.settler.supported().await
    }
}

impl World {
    fn gate(&self) -> Arc<Gate> {
        self.gate.lock().unwrap().clone()
    }

    /// The provider restarts: a new gate on the same store, whose facilitator (also new)
    /// checks the local rules only.
    fn restart(&self) {
        let facilitator = LocalRulesOnly {
            settler: Arc::new(self.market.facilitator()),
            policy: VerifyPolicy {
                fee_payers: vec![self.fee_payer.address()],
            },
            clock: self.clock.clone(),
        };
        let restarted = gate(&self.market, Arc::new(facilitator), &self.store);
        *self.gate.lock().unwrap() = Arc::new(restarted);
    }
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

/// What a case does next.
enum Step {
    /// The buyer pays the gate's `n`-th requirements at its next sequence number; later steps
    /// present this payment.
    Pay(usize),
    /// The same, carrying the challenge's resource.
    PayWithResource(usize),
    /// The same with the buyer's clock this many seconds ahead of the chain's.
    PayAhead(usize, u64),
    /// The buyer pays the `stream` requirements, renting this image.
    Rent(&'static str),
    /// Attaches this `payment-identifier` to the payment (extensions are not signed).
    Identify(&'static str),
    /// Edits the payment's `accepted` (not signed either).
    EditAccepted(fn(&mut PaymentRequirements)),
    /// A request carrying `Req`; the gate must decide as `Expect` says.
    Send(Req, Expect),
    /// Runs the handler (`true`: it succeeded) for the last admitted request.
    Finish(bool, Receipt),
    /// The provider's USDC.
    ProviderHas(u64),
    /// The buyer's USDC.
    BuyerHas(u64),
    /// The provider starts the buyer's first job.
    StartJob,
    /// Chain time moves on this many seconds, and the gate's one-second stream cache expires.
    Advance(u64),
    /// The provider restarts (see [`World::restart`]).
    Restart,
}

/// What a request carries.
enum Req {
    /// The payment in `PAYMENT-SIGNATURE`.
    Payment,
    /// The payment's v1 envelope in `X-PAYMENT`.
    V1Payment,
    /// The (v2) payment in the v1 `X-PAYMENT` header.
    V2InV1Header,
    /// [`JOB_HEADER`] naming the buyer's `n`-th job.
    Job(u64),
    /// [`JOB_HEADER`] with text that is no job id.
    NotAJob,
}

/// The gate's decision.
enum Expect {
    /// The handler runs (for the buyer's `n`-th job, when `Some`).
    Admitted(Option<u64>),
    /// Answered with this status.
    Status(u16),
    /// Answered with this `error` in `PAYMENT-REQUIRED`.
    Refused(&'static str),
}

/// The headers the handler's response gets.
enum Receipt {
    /// None: nothing settled.
    Nothing,
    /// Not checked.
    Any,
    /// `PAYMENT-RESPONSE`: settled, paid by the buyer, with the transaction's hash.
    Paid,
    /// `X-PAYMENT-RESPONSE`: settled.
    PaidV1,
    /// `PAYMENT-RESPONSE` names the buyer's `n`-th job in `extra.jobId`.
    Opened(u64),
    /// The same `PAYMENT-RESPONSE` as the previous [`Step::Finish`].
    SameAsBefore,
}

use Expect::{Admitted, Refused, Status};
use Step::*;

const CASES: &[(&str, &[Step])] = &[
    (
        "exact pays after the handler and a replay is refused",
        &[
            PayWithResource(0),
            Send(Req::Payment, Admitted(None)),
            // Nothing moved before the handler ran.
            ProviderHas(0),
            // The same header while the first is in flight is a replay.
            Send(
                Req::Payment,
                Refused("invalid_exact_aptos_payload_replayed"),
            ),
            Finish(true, Receipt::Paid),
            ProviderHas(1_000),
            BuyerHas(9_999_000),
            // After settlement the header is still refused and nothing is paid twice.
            Send(Req::Payment, Status(402)),
            ProviderHas(1_000),
        ],
    ),
    (
        "a failed handler releases the payment unsettled",
        &[
            Pay(0),
            Send(Req::Payment, Admitted(None)),
            Finish(false, Receipt::Nothing),
            ProviderHas(0),
            // The client may retry with the same payment.
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Any),
            ProviderHas(1_000),
        ],
    ),
    (
        "stream opens before the handler and later requests ride on the job",
        &[
            Rent("pytorch/pytorch:2.4"),
            Send(Req::Payment, Admitted(Some(1))),
            Finish(true, Receipt::Opened(1)),
            BuyerHas(10_000_000 - 1_200_000),
            // The provider starts the job; later requests present the job id.
            StartJob,
            Send(Req::Job(1), Admitted(Some(1))),
            // Depleted (600 s funded) → refused, once the one-second cache has expired.
            Advance(601),
            Send(Req::Job(1), Refused("stream_not_paying")),
            // A malformed or unknown job.
            Send(Req::NotAJob, Status(400)),
            Send(Req::Job(99), Status(402)),
        ],
    ),
    (
        "v1 clients pay with X-PAYMENT and get X-PAYMENT-RESPONSE",
        &[
            // A v1 client signs the same transaction and sends the v1 envelope.
            Pay(0),
            Send(Req::V1Payment, Admitted(None)),
            Finish(true, Receipt::PaidV1),
            // A v2 payload in the v1 header is refused as malformed.
            Pay(0),
            Send(Req::V2InV1Header, Status(400)),
        ],
    ),
    (
        "a payment expiring after the offered timeout is refused before verification",
        &[
            // The buyer's clock runs a year fast: the payment would live a year.
            PayAhead(0, 365 * 86_400),
            Send(
                Req::Payment,
                Refused("invalid_exact_aptos_payload_expiration_too_far"),
            ),
            PayAhead(1, 365 * 86_400),
            Send(
                Req::Payment,
                Refused("invalid_stream_aptos_payload_expiration_too_far"),
            ),
            // Within the allowed 30 s of skew it is served.
            PayAhead(0, 30),
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Paid),
            ProviderHas(1_000),
        ],
    ),
    (
        "a restarted provider does not serve a payment again",
        &[
            Pay(0),
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Paid),
            Restart,
            // The new gate's facilitator would pass it; the served-once store refuses it.
            Send(
                Req::Payment,
                Refused("invalid_exact_aptos_payload_replayed"),
            ),
            Rent("pytorch/pytorch:2.4"),
            Send(Req::Payment, Admitted(Some(1))),
            Finish(true, Receipt::Opened(1)),
            Restart,
            Send(
                Req::Payment,
                Refused("invalid_stream_aptos_payload_replayed"),
            ),
            ProviderHas(1_000),
            BuyerHas(10_000_000 - 1_000 - 1_200_000),
            // A new payment is served by the restarted gate.
            Pay(0),
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Paid),
            ProviderHas(2_000),
        ],
    ),
    (
        "a payment whose accepted block is not the offer is refused",
        &[
            Pay(0),
            EditAccepted(|r| r.amount = "1".into()),
            Send(Req::Payment, Refused("no matching payment requirements")),
            Pay(0),
            EditAccepted(|r| r.pay_to = r.asset.clone()),
            Send(Req::Payment, Refused("no matching payment requirements")),
            Rent("pytorch/pytorch:2.4"),
            EditAccepted(|r| r.amount = "1".into()),
            Send(Req::Payment, Refused("no matching payment requirements")),
            ProviderHas(0),
            BuyerHas(10_000_000),
        ],
    ),
    (
        "payment-identifier makes a retry idempotent",
        &[
            Pay(0),
            Identify("order-0000000000000001"),
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Any),
            // The client lost the response and retries: same receipt, no second payment.
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::SameAsBefore),
            ProviderHas(1_000),
            // Extensions are not signed: the same payment under another identifier is a replay.
            Identify("order-0000000000000002"),
            Send(Req::Payment, Status(402)),
            // A malformed identifier is a 400.
            Pay(0),
            Identify("short"),
            Send(Req::Payment, Status(400)),
        ],
    ),
    (
        "an identifier added to a settled payment does not admit it again",
        &[
            Pay(0),
            Send(Req::Payment, Admitted(None)),
            Finish(true, Receipt::Any),
            // Someone replays the captured header with an identifier attached.
            Identify("replayed-0000000000000"),
            Send(Req::Payment, Status(402)),
            ProviderHas(1_000),
        ],
    ),
];

/// The 402 challenge a request without payment gets, checked in both versions.
async fn challenge(w: &World) -> PaymentRequired {
    let Decision::Respond(r) = w.gate().begin(headers(&[])).await else {
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
    assert_eq!(v1.accepts[0].max_amount_required, "1000");
    let v2: PaymentRequired =
        wire::decode_header(header(&r.headers, PAYMENT_REQUIRED).unwrap()).unwrap();
    assert_eq!(v2.accepts[1].amount, "1200000", "rate × 600 s");
    v2
}

async fn run(w: &World, steps: &[Step]) {
    let required = challenge(w).await;
    let buyer = w.buyer.address();
    let job = |n: u64| JobId::new(buyer, n);
    // The payment the steps present, the request last admitted, the last PAYMENT-RESPONSE.
    let (mut payment, mut admitted, mut last_receipt) = (None::<PaymentPayload>, None, None);
    for (i, step) in steps.iter().enumerate() {
        eprintln!("step {i}");
        match step {
            Pay(n) => {
                payment = Some(
                    w.pay(&required.accepts[*n], None, "pytorch/pytorch:2.4")
                        .await,
                )
            }
            PayAhead(n, ahead) => {
                let r = &required.accepts[*n];
                payment = Some(w.pay_at(r, None, NOW + ahead, "pytorch/pytorch:2.4").await);
            }
            PayWithResource(n) => {
                let resource = Some(required.resource.clone());
                payment = Some(
                    w.pay(&required.accepts[*n], resource, "pytorch/pytorch:2.4")
                        .await,
                );
            }
            Rent(image) => payment = Some(w.pay(&required.accepts[1], None, image).await),
            Identify(id) => payment.as_mut().unwrap().set_payment_identifier(id),
            EditAccepted(edit) => edit(&mut payment.as_mut().unwrap().accepted),
            Send(req, expect) => {
                let p = payment.as_ref();
                let (name, value) = match req {
                    Req::Payment => (PAYMENT_SIGNATURE, wire::encode_header(p.unwrap())),
                    Req::V1Payment => {
                        let p = p.unwrap();
                        let v1 = PaymentPayloadV1 {
                            x402_version: 1,
                            scheme: p.accepted.scheme.clone(),
                            network: p.accepted.network.clone(),
                            payload: p.payload.clone(),
                        };
                        (X_PAYMENT, wire::encode_header(&v1))
                    }
                    Req::V2InV1Header => (X_PAYMENT, wire::encode_header(p.unwrap())),
                    Req::Job(n) => (JOB_HEADER, job(*n).to_string()),
                    Req::NotAJob => (JOB_HEADER, "nope".into()),
                };
                match (w.gate().begin(headers(&[(name, value)])).await, expect) {
                    (Decision::Proceed(a), Admitted(n)) => {
                        if let Some(n) = n {
                            assert_eq!(a.job, Some(job(*n)));
                        }
                        admitted = Some(a);
                    }
                    (Decision::Respond(r), Status(status)) => assert_eq!(r.status, *status),
                    (Decision::Respond(r), Refused(error)) => {
                        let required: PaymentRequired =
                            wire::decode_header(header(&r.headers, PAYMENT_REQUIRED).unwrap())
                                .unwrap();
                        assert_eq!(required.error.as_deref(), Some(*error));
                    }
                    (decision, _) => panic!("unexpected {decision:?}"),
                }
            }
            Finish(handler_ok, expect) => {
                let request = admitted.take().expect("an admitted request");
                let out = w.gate().finish(request, *handler_ok).await.unwrap();
                let receipt = |name| -> SettleResponse {
                    wire::decode_header(header(&out, name).unwrap()).unwrap()
                };
                match expect {
                    Receipt::Nothing => assert_eq!(out, vec![]),
                    Receipt::Any => {}
                    Receipt::Paid => {
                        let r = receipt(PAYMENT_RESPONSE);
                        assert!(r.success);
                        assert_eq!(r.payer, Some(buyer.to_long_string()));
                        assert_eq!(r.transaction.len(), 66);
                    }
                    Receipt::PaidV1 => assert!(receipt(X_PAYMENT_RESPONSE).success),
                    Receipt::Opened(n) => {
                        let extra = receipt(PAYMENT_RESPONSE).extra.unwrap();
                        assert_eq!(extra["jobId"], json!(job(*n).to_string()));
                    }
                    Receipt::SameAsBefore => {
                        assert_eq!(header(&out, PAYMENT_RESPONSE), last_receipt.as_deref())
                    }
                }
                last_receipt = header(&out, PAYMENT_RESPONSE).map(str::to_owned);
            }
            ProviderHas(amount) => {
                assert_eq!(w.ledger.balance(w.provider.address(), w.usdc), *amount)
            }
            BuyerHas(amount) => assert_eq!(w.ledger.balance(buyer, w.usdc), *amount),
            StartJob => {
                let client = ContractClient::new(w.ledger.clone(), LOCAL_CONTRACT_ADDRESS);
                client
                    .start_job(&w.provider, buyer, job(1).id)
                    .await
                    .unwrap();
            }
            Advance(secs) => {
                w.clock.advance_secs(*secs);
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            }
            Restart => w.restart(),
        }
    }
}

#[tokio::test]
async fn every_gate_flow_runs_as_scripted() {
    for (name, steps) in CASES {
        eprintln!("case: {name}");
        run(&world().await, steps).await;
    }
}

impl World {
    /// The buyer's payment for `r` at its next sequence number (`image`: the job a `stream`
    /// payment rents).
    async fn pay(
        &self,
        r: &PaymentRequirements,
        resource: Option<ResourceInfo>,
        image: &str,
    ) -> PaymentPayload {
        self.pay_at(r, resource, NOW, image).await
    }

    /// The same, signed when the buyer's clock reads `now`.
    async fn pay_at(
        &self,
        r: &PaymentRequirements,
        resource: Option<ResourceInfo>,
        now: u64,
        image: &str,
    ) -> PaymentPayload {
        let sequence = self
            .ledger
            .sequence_number(self.buyer.address())
            .await
            .unwrap();
        pay(
            &self.buyer,
            r,
            resource,
            TxnParams::new(sequence, now),
            image,
        )
        .unwrap()
    }
}
