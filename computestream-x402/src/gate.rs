//! The server side, framework-neutral: a [`Gate`] turns request headers into a decision
//! (answer 402/400 now, or run the handler) and, after the handler, settles and produces the
//! receipt header. Adapters for a web framework only move headers in and out (see the tower
//! layer in `http`).
//!
//! Order: `exact` settles after the handler succeeded (x402's verify → handler → settle);
//! `stream` settles before the handler, because the handler needs the opened job. Later
//! requests of a stream present [`JOB_HEADER`] and are admitted while the stream is open, pays
//! this provider and is not depleted (the view is cached for at most a second).
//!
//! A payment is served once: the gate remembers it until it expires, in memory, and with
//! [`Gate::with_served_once_store`] also on disk, so a restarted provider refuses a replay.

mod served_once;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_core::contract::{LOCAL_CONTRACT_ADDRESS, View};
use computestream_core::{AccountAddress, JobId, Ledger, Stream};
use serde_json::json;
use served_once::ServedOnceStore;

use crate::aptos::{AptosPayment, latest_expiry};
use crate::facilitator::{Begin, Facilitator, JOB_ID_EXTRA, ReplayGuard};
use crate::wire::{
    self, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, PaymentHeaderRef,
    PaymentPayloadRef, PaymentRequired, PaymentRequiredV1, PaymentRequirements,
    PaymentRequirementsV1, ResourceInfo, SettleResponse, X_PAYMENT, X_PAYMENT_RESPONSE,
};

/// The header later requests of a `stream` rental carry: `0x<payer>/<job id>`, the value of
/// `PAYMENT-RESPONSE.extra.jobId`.
pub const JOB_HEADER: &str = "COMPUTESTREAM-JOB";

/// Headers a browser must be allowed to read.
pub const EXPOSE_HEADERS: &str = "PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE";

/// A response the gate gives instead of running the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateResponse {
    /// 402 or 400.
    pub status: u16,
    /// Headers to set.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: serde_json::Value,
}

/// A payment that passed verification; give it back to [`Gate::finish`].
#[derive(Debug)]
pub struct Admitted {
    version: u64,
    /// The payment header's JSON text, read again (without copying) to settle.
    payment: Option<String>,
    /// Which of the gate's requirements it matched.
    requirements: Option<usize>,
    digest: Option<[u8; 32]>,
    expires: u64,
    receipt: Option<SettleResponse>,
    /// The stream's job (a `stream` payment just settled, or a [`JOB_HEADER`] request).
    pub job: Option<JobId>,
}

/// What to do with a request.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // moved once per request
pub enum Decision {
    /// Answer with this; do not run the handler.
    Respond(GateResponse),
    /// Run the handler, then call [`Gate::finish`].
    Proceed(Admitted),
}

/// Reads a stream's record, cached for up to a second per job.
struct StreamView {
    ledger: Arc<dyn Ledger + Send + Sync>,
    contract: AccountAddress,
    cache: Mutex<HashMap<JobId, (Instant, Stream)>>,
}

/// Seconds since the epoch, as the gate's clock reads them.
type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The x402 server gate for one resource.
pub struct Gate {
    facilitator: Arc<dyn Facilitator>,
    clock: Clock,
    resource: ResourceInfo,
    accepts: Vec<PaymentRequirements>,
    replay: ReplayGuard,
    /// `payment-identifier` of each settled payment that carried one, by digest.
    identifiers: Mutex<HashMap<[u8; 32], String>>,
    /// The served payments on disk, if the gate was given a store.
    served_once: Option<Mutex<ServedOnceStore>>,
    streams: Option<StreamView>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("resource", &self.resource)
            .field("accepts", &self.accepts)
            .finish_non_exhaustive()
    }
}

fn respond(status: u16, headers: Vec<(String, String)>, body: serde_json::Value) -> Decision {
    Decision::Respond(GateResponse {
        status,
        headers,
        body,
    })
}

fn system_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Gate {
    /// A gate for `resource`, accepting any of `accepts`, verifying and settling through
    /// `facilitator`.
    pub fn new(
        facilitator: Arc<dyn Facilitator>,
        resource: ResourceInfo,
        accepts: Vec<PaymentRequirements>,
    ) -> Self {
        Gate {
            facilitator,
            clock: Arc::new(system_secs),
            resource,
            accepts,
            replay: ReplayGuard::default(),
            identifiers: Mutex::new(HashMap::new()),
            served_once: None,
            streams: None,
        }
    }

    /// Admits [`JOB_HEADER`] requests by reading streams from `ledger` (contracts at
    /// `contract`, default the embedded ledger's).
    pub fn with_stream_admission(
        mut self,
        ledger: Arc<dyn Ledger + Send + Sync>,
        contract: Option<AccountAddress>,
    ) -> Self {
        self.streams = Some(StreamView {
            ledger,
            contract: contract.unwrap_or(LOCAL_CONTRACT_ADDRESS),
            cache: Mutex::new(HashMap::new()),
        });
        self
    }

    /// Reads the time (seconds since the epoch) from `clock` instead of the system clock: the
    /// chain's time, or a test's. Payments expiring after `now + maxTimeoutSeconds` plus
    /// [`MAX_EXPIRY_SKEW_SECS`](crate::aptos::MAX_EXPIRY_SKEW_SECS) are refused against it,
    /// and served payments are remembered until they expire by it.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Remembers served payments in the file at `path` (created, with its directory, if
    /// missing) as well as in memory, so a gate restarted on the same file refuses a payment
    /// it served before the restart for as long as that payment is valid. One line per served
    /// payment (its digest and expiry), appended and synced before the receipt goes out;
    /// expired lines are dropped on the first request after opening and whenever the file
    /// has doubled, so it stays within twice the unexpired payments. A payment settled under
    /// a `payment-identifier` before a restart is refused after it, not replayed idempotently
    /// (its receipt is not kept on disk).
    pub fn with_served_once_store(mut self, path: impl AsRef<Path>) -> std::io::Result<Self> {
        self.served_once = Some(Mutex::new(ServedOnceStore::open(path.as_ref())?));
        Ok(self)
    }

    /// Whether the served-once store remembers `digest` at `now`.
    fn served_before(&self, digest: &[u8; 32], now: u64) -> bool {
        self.served_once.as_ref().is_some_and(|store| {
            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
            store.contains(digest, now)
        })
    }

    /// The requirements it accepts.
    pub fn accepts(&self) -> &[PaymentRequirements] {
        &self.accepts
    }

    /// The 402 challenge: `PAYMENT-REQUIRED` (v2) plus the v1 JSON body, so clients of
    /// either version can pay.
    pub fn payment_required(&self, error: &str) -> GateResponse {
        let v2 = PaymentRequired {
            x402_version: 2,
            error: Some(error.into()),
            resource: self.resource.clone(),
            accepts: self.accepts.clone(),
            extensions: None,
        };
        let v1 = PaymentRequiredV1 {
            x402_version: 1,
            error: error.into(),
            accepts: self
                .accepts
                .iter()
                .map(|r| PaymentRequirementsV1::from_v2(r, &self.resource))
                .collect(),
        };
        GateResponse {
            status: 402,
            headers: vec![
                (PAYMENT_REQUIRED.into(), wire::encode_header(&v2)),
                ("Cache-Control".into(), "no-store".into()),
                (
                    "Access-Control-Expose-Headers".into(),
                    EXPOSE_HEADERS.into(),
                ),
            ],
            body: serde_json::to_value(v1).unwrap_or_default(),
        }
    }

    fn fail(&self, error: &str) -> Decision {
        Decision::Respond(self.payment_required(error))
    }

    /// A 402 for a payment the facilitator refused: the challenge's `error` is its
    /// `invalidReason` (as `@x402/core`'s servers put it), and the JSON body also carries its
    /// `invalidMessage` (for a failed simulation, the Move abort behind it).
    fn refuse(&self, reason: &str, message: Option<&str>) -> Decision {
        let mut response = self.payment_required(reason);
        if let (Some(message), Some(body)) = (message, response.body.as_object_mut()) {
            body.insert("invalidMessage".into(), message.into());
        }
        Decision::Respond(response)
    }

    /// Decides what to do with a request, given a header lookup (case-insensitive names).
    pub async fn begin(&self, header: impl Fn(&str) -> Option<String>) -> Decision {
        if let Some(job) = header(JOB_HEADER) {
            return self.admit_job(&job).await;
        }
        let (raw, version) = match (header(PAYMENT_SIGNATURE), header(X_PAYMENT)) {
            (Some(h), _) => (h, 2),
            (None, Some(h)) => (h, 1),
            (None, None) => return self.fail("payment required"),
        };
        // Decoded borrowed: a bad, mismatched or replayed payment is refused before anything
        // is copied out of the header.
        let text = match wire::decode_text(&raw) {
            Ok(t) => t,
            Err(e) => return respond(400, vec![], json!({"error": e.to_string()})),
        };
        let decoded = match PaymentHeaderRef::parse(&text) {
            Ok(d) => d,
            Err(e) => return respond(400, vec![], json!({"error": e.to_string()})),
        };
        let versions_agree = matches!(
            (&decoded, version),
            (PaymentHeaderRef::V2(_), 2) | (PaymentHeaderRef::V1(_), 1)
        );
        if !versions_agree {
            return respond(
                400,
                vec![],
                json!({"error": "x402Version does not match the header it came in"}),
            );
        }
        let Some(payload) = decoded.into_v2(&self.accepts, &self.resource) else {
            return self.fail("no matching payment requirements");
        };
        let Some(index) = self
            .accepts
            .iter()
            .position(|r| r.is_matched_by(&payload.accepted))
        else {
            return self.fail("no matching payment requirements");
        };
        let requirements = &self.accepts[index];
        if let Err(e) = payload.payment_identifier() {
            return respond(400, vec![], json!({"error": e}));
        }
        let Ok(payment) = AptosPayment::from_payload(&payload.payload) else {
            return self.fail(&crate::Reason::VerificationError.code(&requirements.scheme));
        };
        let (digest, expires) = (payment.digest(), payment.raw.expiration_timestamp_secs);
        let now = self.now();
        // Whatever the facilitator checks: the gate remembers a payment until it expires, so
        // an expiry past the offer's timeout would pin that memory (and the payment) for ever.
        if expires > latest_expiry(now, requirements.max_timeout_seconds) {
            return self.fail(&crate::Reason::ExpirationTooFar.code(&requirements.scheme));
        }
        match self.replay.begin(digest, expires, now) {
            // Served before a restart: refused while it is valid.
            Begin::Locked if self.served_before(&digest, now) => {
                let replayed = crate::Reason::Replayed.code(&requirements.scheme);
                let failure = SettleResponse::failure(&requirements.network, &replayed, None);
                self.replay.finish(digest, expires, &failure);
                return self.fail(&replayed);
            }
            Begin::Locked => {}
            // The same payment again: idempotent only when it was settled under the same
            // `payment-identifier` (extensions are not signed, so one cannot be added later).
            Begin::Settled(receipt) if self.settled_under(digest, &payload) => {
                let job = job_of(&receipt);
                return Decision::Proceed(Admitted {
                    version,
                    payment: None,
                    requirements: None,
                    digest: None,
                    expires,
                    receipt: Some(receipt),
                    job,
                });
            }
            _ => return self.fail(&crate::Reason::Replayed.code(&requirements.scheme)),
        }
        let verdict = self.facilitator.verify(&payload, requirements).await;
        match verdict {
            Ok(v) if v.is_valid => {}
            Ok(v) => {
                let reason = v.invalid_reason.as_deref().unwrap_or("invalid payment");
                self.replay.finish(
                    digest,
                    expires,
                    &SettleResponse::failure(&requirements.network, reason, None),
                );
                return self.refuse(reason, v.invalid_message.as_deref());
            }
            Err(e) => {
                self.replay.finish(
                    digest,
                    expires,
                    &SettleResponse::failure(&requirements.network, "", None),
                );
                return respond(502, vec![], json!({"error": e.to_string()}));
            }
        }
        let mut admitted = Admitted {
            version,
            payment: Some(text),
            requirements: Some(index),
            digest: Some(digest),
            expires,
            receipt: None,
            job: None,
        };
        if requirements.scheme == "stream" {
            match self.settle(&mut admitted).await {
                Ok(()) => {}
                Err(response) => return Decision::Respond(response),
            }
        }
        Decision::Proceed(admitted)
    }

    /// The admitted payment, read again from its header text.
    fn payment_of<'a>(&'a self, text: &'a str) -> Option<PaymentPayloadRef<'a>> {
        PaymentHeaderRef::parse(text)
            .ok()?
            .into_v2(&self.accepts, &self.resource)
    }

    async fn settle(&self, admitted: &mut Admitted) -> Result<(), GateResponse> {
        let (Some(text), Some(index), Some(digest)) = (
            admitted.payment.take(),
            admitted.requirements,
            admitted.digest,
        ) else {
            return Ok(());
        };
        let requirements = &self.accepts[index];
        let payload = self.payment_of(&text);
        let receipt = match &payload {
            Some(payload) => match self.facilitator.settle(payload, requirements).await {
                Ok(r) => r,
                Err(e) => SettleResponse::failure(&requirements.network, e.to_string(), None),
            },
            // It was read once already; this cannot fail, but nothing is settled if it does.
            None => SettleResponse::failure(
                &requirements.network,
                crate::Reason::VerificationError.code(&requirements.scheme),
                None,
            ),
        };
        self.replay.finish(digest, admitted.expires, &receipt);
        if receipt.success
            && let Some(store) = &self.served_once
        {
            // A write failure does not refuse a request already paid for: the payment stays
            // remembered in memory, and the chain refuses its transaction a second time.
            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
            let _ = store.record(digest, admitted.expires, self.now());
        }
        if !receipt.success {
            let mut response = self.payment_required(
                receipt
                    .error_reason
                    .as_deref()
                    .unwrap_or("settlement failed"),
            );
            response.headers.push((
                receipt_header(admitted.version).into(),
                wire::encode_header(&receipt),
            ));
            return Err(response);
        }
        if let Some(Ok(Some(id))) = payload.as_ref().map(PaymentPayloadRef::payment_identifier) {
            let mut ids = self.identifiers.lock().unwrap_or_else(|p| p.into_inner());
            if ids.len() > 10_000 {
                ids.clear();
            }
            ids.insert(digest, id.into_owned());
        }
        admitted.job = job_of(&receipt);
        admitted.receipt = Some(receipt);
        Ok(())
    }

    fn settled_under(&self, digest: [u8; 32], payload: &PaymentPayloadRef<'_>) -> bool {
        let Ok(Some(id)) = payload.payment_identifier() else {
            return false;
        };
        self.identifiers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
            .is_some_and(|original| *original == id)
    }

    /// After the handler: settles an `exact` payment if the handler succeeded (a failed
    /// handler releases the payment unsettled) and returns the receipt header to add, or the
    /// 402 to send instead when settlement fails.
    pub async fn finish(
        &self,
        mut admitted: Admitted,
        handler_succeeded: bool,
    ) -> Result<Vec<(String, String)>, GateResponse> {
        if admitted.receipt.is_none() {
            if !handler_succeeded {
                if let (Some(digest), Some(i)) = (admitted.digest, admitted.requirements) {
                    let network = &self.accepts[i].network;
                    let released = SettleResponse::failure(network, "handler failed", None);
                    self.replay.finish(digest, admitted.expires, &released);
                }
                return Ok(vec![]);
            }
            self.settle(&mut admitted).await?;
        }
        Ok(admitted
            .receipt
            .map(|r| {
                vec![
                    (
                        receipt_header(admitted.version).into(),
                        wire::encode_header(&r),
                    ),
                    (
                        "Access-Control-Expose-Headers".into(),
                        EXPOSE_HEADERS.into(),
                    ),
                ]
            })
            .unwrap_or_default())
    }

    async fn admit_job(&self, text: &str) -> Decision {
        let Ok(job) = text.trim().parse::<JobId>() else {
            return respond(
                400,
                vec![],
                json!({"error": format!("{JOB_HEADER}: {text:?}")}),
            );
        };
        let Some(view) = &self.streams else {
            return self.fail("this resource does not admit streams");
        };
        // Both reads at once: each is a round trip to the node.
        let (stream, now) =
            futures_util::future::join(view.get(job), view.ledger.now_micros()).await;
        let stream = match stream {
            Ok(s) => s,
            Err(e) => return self.fail(&format!("stream_not_found: {e}")),
        };
        let ours = self.accepts.iter().any(|r| {
            r.scheme == "stream"
                && AccountAddress::from_hex(&r.pay_to).is_ok_and(|p| p == stream.payee)
        });
        let now = match now {
            Ok(us) => us / 1_000_000,
            Err(e) => return respond(502, vec![], json!({"error": e.to_string()})),
        };
        if !ours {
            return self.fail("stream_pays_another_provider");
        }
        if !stream.is_paying(now) {
            return self.fail("stream_not_paying");
        }
        Decision::Proceed(Admitted {
            version: 2,
            payment: None,
            requirements: None,
            digest: None,
            expires: 0,
            receipt: None,
            job: Some(job),
        })
    }
}

impl StreamView {
    async fn get(&self, job: JobId) -> computestream_core::Result<Stream> {
        if let Some((at, s)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job)
            && at.elapsed() < Duration::from_secs(1)
        {
            return Ok(s.clone());
        }
        let client = computestream_core::ContractClient::new(self.ledger.clone(), self.contract);
        let stream: Stream = client
            .view(&View::GetStream {
                payer: job.buyer,
                job_id: job.id,
            })
            .await?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(job, (Instant::now(), stream.clone()));
        Ok(stream)
    }
}

fn receipt_header(version: u64) -> &'static str {
    if version == 1 {
        X_PAYMENT_RESPONSE
    } else {
        PAYMENT_RESPONSE
    }
}

fn job_of(receipt: &SettleResponse) -> Option<JobId> {
    receipt
        .extra
        .as_ref()?
        .get(JOB_ID_EXTRA)?
        .as_str()?
        .parse()
        .ok()
}
