//! `computestream/express`'s native half: one `computestream_x402::gate::Gate` per route,
//! settling through an `HttpFacilitator`; `express.js` only moves headers and bodies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use computestream_core::AptosLedger;
use computestream_x402::Facilitator;
use computestream_x402::gate::{Admitted, Decision, Gate, GateResponse};
use computestream_x402::http::HttpFacilitator;
use computestream_x402::wire::{PaymentRequirements, ResourceInfo};
use napi_derive::napi;

use crate::error::{address_arg, core, input};

/// What the gate says: respond now (`status` set), or run the handler (`id` set) and call
/// `finish`; `headers` to add either way.
#[napi(object)]
#[derive(Debug)]
pub struct GateStep {
    /// The status to respond with.
    pub status: Option<u32>,
    /// `[name, value]` pairs.
    pub headers: Vec<Vec<String>>,
    /// The JSON body of a response.
    pub body: Option<String>,
    /// The admitted request, for `finish`.
    pub id: Option<u32>,
    /// The stream's job (`0x<payer>/<id>`) of an admitted `stream` request.
    pub job: Option<String>,
}

fn respond(r: GateResponse) -> GateStep {
    GateStep {
        status: Some(r.status.into()),
        headers: r.headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
        body: Some(r.body.to_string()),
        id: None,
        job: None,
    }
}

/// The native half of one route of `paymentMiddleware`.
#[napi]
#[derive(Debug)]
pub struct NativeGate {
    gate: Gate,
    admitted: Mutex<HashMap<u32, Admitted>>,
    next: AtomicU32,
}

#[napi]
impl NativeGate {
    /// A gate for `resource` accepting any of `accepts` (a JSON array of PaymentRequirements),
    /// settling through the facilitator at `facilitatorUrl`; with `node`, later requests of a
    /// paid stream (`COMPUTESTREAM-JOB`) are admitted while it pays.
    #[napi(constructor)]
    pub fn new(
        facilitator_url: String,
        resource: String,
        description: Option<String>,
        accepts: String,
        node: Option<String>,
        contract: Option<String>,
    ) -> napi::Result<Self> {
        let accepts: Vec<PaymentRequirements> =
            serde_json::from_str(&accepts).map_err(|e| input(format!("accepts: {e}")))?;
        let facilitator: Arc<dyn Facilitator> = Arc::new(HttpFacilitator::new(facilitator_url));
        let info = ResourceInfo {
            url: resource,
            description,
            mime_type: None,
        };
        let mut gate = Gate::new(facilitator, info, accepts);
        if let Some(node) = node {
            let contract = contract.map(|c| address_arg(&c, "contract")).transpose()?;
            let ledger = AptosLedger::new(
                &node,
                contract.unwrap_or(computestream_core::contract::LOCAL_CONTRACT_ADDRESS),
            )
            .map_err(core)?;
            gate = gate.with_stream_admission(Arc::new(ledger), contract);
        }
        Ok(NativeGate {
            gate,
            admitted: Mutex::new(HashMap::new()),
            next: AtomicU32::new(1),
        })
    }

    /// Before the handler, on the request's headers (names lower-case, as Node gives them).
    #[napi]
    pub async fn begin(&self, headers: HashMap<String, String>) -> napi::Result<GateStep> {
        let decision = self
            .gate
            .begin(|name| headers.get(&name.to_ascii_lowercase()).cloned())
            .await;
        Ok(match decision {
            Decision::Respond(r) => respond(r),
            Decision::Proceed(admitted) => {
                let id = self.next.fetch_add(1, Ordering::Relaxed);
                let job = admitted.job.map(|j| j.to_string());
                self.admitted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id, admitted);
                GateStep {
                    status: None,
                    headers: vec![],
                    body: None,
                    id: Some(id),
                    job,
                }
            }
        })
    }

    /// After the handler: settles (`exact`, when it succeeded) and gives the receipt headers
    /// to add, or the 402 to send instead.
    #[napi]
    pub async fn finish(&self, id: u32, handler_succeeded: bool) -> napi::Result<GateStep> {
        let admitted = self
            .admitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)
            .ok_or_else(|| input(format!("no admitted request {id}")))?;
        Ok(match self.gate.finish(admitted, handler_succeeded).await {
            Ok(headers) => GateStep {
                status: None,
                headers: headers.into_iter().map(|(k, v)| vec![k, v]).collect(),
                body: None,
                id: None,
                job: None,
            },
            Err(r) => respond(r),
        })
    }
}
