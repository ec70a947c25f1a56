//! x402 for Python: the core's transport-neutral `http::Payer` (what the httpx transports
//! drive) and framework-neutral `gate::Gate` with an `HttpFacilitator` (what the ASGI
//! middleware drives). Python moves headers and bodies in and out; every decision is Rust's.

use std::sync::{Arc, Mutex};

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AptosLedger, Ledger};
use computestream_x402::Facilitator;
use computestream_x402::gate::{Admitted, Decision, Gate as CoreGate, GateResponse};
use computestream_x402::http::{
    HttpFacilitator, Payer as CorePayer, Payment as CorePayment, SpendingPolicy,
};
use computestream_x402::wire::{
    self, PaymentPayload, PaymentRequirements, ResourceInfo, SettleResponse,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::client::{AsyncClient, Client, Inner};
use crate::errors;
use crate::results::parse_addr;
use crate::runtime::{awaitable, block, check_pid, runtime};

fn shared(client: &Bound<'_, PyAny>) -> PyResult<Arc<Inner>> {
    if let Ok(c) = client.cast::<AsyncClient>() {
        return c.get().shared();
    }
    if let Ok(c) = client.cast::<Client>() {
        return c.get().shared();
    }
    Err(errors::invalid("expected an AsyncClient or a Client"))
}

fn node_ledger(
    node_url: &str,
    contract: computestream_core::AccountAddress,
) -> PyResult<Arc<dyn Ledger + Send + Sync>> {
    let _guard = runtime().enter();
    let url = node_url.trim_end_matches('/');
    let url = if url.ends_with("/v1") {
        url.to_string()
    } else {
        format!("{url}/v1")
    };
    Ok(Arc::new(
        AptosLedger::new(&url, contract).map_err(errors::core)?,
    ))
}

/// A signed payment for one request: send it again with `header: value`.
#[pyclass(frozen, module = "computestream")]
pub(crate) struct Payment {
    inner: CorePayment,
}

#[pymethods]
impl Payment {
    /// `PAYMENT-SIGNATURE` (v2 challenge) or `X-PAYMENT` (v1).
    #[getter]
    fn header(&self) -> &'static str {
        self.inner.header
    }
    /// The encoded payment.
    #[getter]
    fn value(&self) -> String {
        self.inner.value.clone()
    }
    /// `exact` or `stream`.
    #[getter]
    fn scheme(&self) -> String {
        self.inner.requirements.scheme.clone()
    }
    /// CAIP-2 network.
    #[getter]
    fn network(&self) -> String {
        self.inner.requirements.network.clone()
    }
    /// Base units paid (`exact`) or escrowed (`stream`).
    #[getter]
    fn amount(&self) -> PyResult<u64> {
        self.inner
            .requirements
            .amount
            .parse()
            .map_err(|_| errors::invalid("amount"))
    }
    /// The asset's metadata address.
    #[getter]
    fn asset(&self) -> String {
        self.inner.requirements.asset.clone()
    }
    /// Who is paid.
    #[getter]
    fn pay_to(&self) -> String {
        self.inner.requirements.pay_to.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "Payment(scheme={:?}, network={:?}, amount={})",
            self.inner.requirements.scheme,
            self.inner.requirements.network,
            self.inner.requirements.amount
        )
    }
}

/// A decoded `PAYMENT-RESPONSE`: the settlement, and for `stream` the rented job.
#[pyclass(frozen, get_all, module = "computestream")]
pub(crate) struct PaymentResponse {
    pub(crate) success: bool,
    pub(crate) transaction: String,
    pub(crate) network: String,
    pub(crate) payer: Option<String>,
    pub(crate) error_reason: Option<String>,
    pub(crate) amount: Option<String>,
    /// `0x<payer>/<job id>` of a `stream` rental: the `COMPUTESTREAM-JOB` header's value.
    pub(crate) job: Option<String>,
}

impl From<SettleResponse> for PaymentResponse {
    fn from(r: SettleResponse) -> Self {
        let job = r
            .extra
            .as_ref()
            .and_then(|e| e.get("jobId"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        PaymentResponse {
            success: r.success,
            transaction: r.transaction,
            network: r.network,
            payer: r.payer,
            error_reason: r.error_reason,
            amount: r.amount,
            job,
        }
    }
}

#[pymethods]
impl PaymentResponse {
    /// Decodes a `PAYMENT-RESPONSE` (or `X-PAYMENT-RESPONSE`) header.
    #[staticmethod]
    fn decode(header: &str) -> PyResult<Self> {
        wire::decode_header::<SettleResponse>(header)
            .map(Into::into)
            .map_err(errors::error)
    }
    fn __repr__(&self) -> String {
        format!(
            "PaymentResponse(success={}, transaction={:?}, job={:?})",
            self.success, self.transaction, self.job
        )
    }
}

/// A decoded `PAYMENT-SIGNATURE` (x402 v2 `PaymentPayload`): what was accepted, and the
/// scheme payload. Fields are read from the decoded payload when asked.
#[pyclass(frozen, module = "computestream")]
pub(crate) struct PaymentSignature {
    inner: PaymentPayload,
}

#[pymethods]
impl PaymentSignature {
    /// Decodes the header (base64 of JSON).
    #[staticmethod]
    fn decode(header: &str) -> PyResult<Self> {
        wire::decode_header::<PaymentPayload>(header)
            .map(|inner| PaymentSignature { inner })
            .map_err(errors::error)
    }
    #[getter]
    fn x402_version(&self) -> u64 {
        self.inner.x402_version
    }
    #[getter]
    fn scheme(&self) -> String {
        self.inner.accepted.scheme.clone()
    }
    #[getter]
    fn network(&self) -> String {
        self.inner.accepted.network.clone()
    }
    /// Base units, as the requirements state them.
    #[getter]
    fn amount(&self) -> String {
        self.inner.accepted.amount.clone()
    }
    #[getter]
    fn asset(&self) -> String {
        self.inner.accepted.asset.clone()
    }
    #[getter]
    fn pay_to(&self) -> String {
        self.inner.accepted.pay_to.clone()
    }
    /// The resource's URL, if the payment names one.
    #[getter]
    fn resource(&self) -> Option<String> {
        self.inner.resource.as_ref().map(|r| r.url.clone())
    }
    /// The scheme payload's `transaction` (base64 BCS of the signed Aptos transaction).
    #[getter]
    fn transaction(&self) -> Option<String> {
        self.inner
            .payload
            .get("transaction")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    }
}

/// Answers 402s as the client's account under a spending policy (the core's `http::Payer`).
#[pyclass(frozen, module = "computestream")]
pub(crate) struct Payer {
    inner: Arc<CorePayer>,
    pid: u32,
}

impl Payer {
    fn payer(&self) -> PyResult<Arc<CorePayer>> {
        check_pid(self.pid, "this Payer")?;
        Ok(self.inner.clone())
    }
}

#[pymethods]
impl Payer {
    /// `client`: an `AsyncClient` or `Client` with a private key (its account pays; sequence
    /// numbers and chain time come from its node). Amounts are base units; `networks`,
    /// `assets` empty means any; `schemes` defaults to both.
    #[new]
    #[pyo3(signature = (client, max_per_payment, max_per_hour, networks = None, assets = None, schemes = None, docker_image = ""))]
    fn new(
        client: &Bound<'_, PyAny>,
        max_per_payment: u64,
        max_per_hour: u64,
        networks: Option<Vec<String>>,
        assets: Option<Vec<String>>,
        schemes: Option<Vec<String>>,
        docker_image: &str,
    ) -> PyResult<Self> {
        let inner = shared(client)?;
        let signer = inner
            .signer_arc()
            .ok_or_else(|| errors::invalid("the client has no private_key: it cannot pay"))?;
        let ledger = node_ledger(inner.node(), inner.client().contract())?;
        let mut policy = SpendingPolicy::new(max_per_payment, max_per_hour);
        policy.networks = networks.unwrap_or_default();
        policy.assets = assets.unwrap_or_default();
        if let Some(s) = schemes {
            policy.schemes = s;
        }
        let payer = CorePayer::new(signer, ledger, policy).with_docker_image(docker_image);
        Ok(Payer {
            inner: Arc::new(payer),
            pid: std::process::id(),
        })
    }

    /// The paying account.
    #[getter]
    fn address(&self) -> String {
        crate::results::addr(self.inner.address())
    }

    /// Spent over the last hour (settled payments), base units.
    fn spent_last_hour(&self) -> u64 {
        self.inner.spent_last_hour()
    }

    /// Signs a payment for a 402 (`payment_required`: its `PAYMENT-REQUIRED` header; `body`:
    /// its body, read for a v1 challenge). Awaitable.
    #[pyo3(signature = (payment_required, body = b"".as_slice()))]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        payment_required: Option<String>,
        body: &[u8],
    ) -> PyResult<Bound<'py, PyAny>> {
        let payer = self.payer()?;
        let body = body.to_vec();
        awaitable(py, async move {
            payer
                .answer(payment_required.as_deref(), &body)
                .await
                .map(|inner| Payment { inner })
                .map_err(errors::client)
        })
    }

    /// `answer`, blocking.
    #[pyo3(signature = (payment_required, body = b"".as_slice()))]
    fn answer_sync(
        &self,
        py: Python<'_>,
        payment_required: Option<String>,
        body: &[u8],
    ) -> PyResult<Payment> {
        let payer = self.payer()?;
        block(py, async move {
            payer
                .answer(payment_required.as_deref(), body)
                .await
                .map(|inner| Payment { inner })
                .map_err(errors::client)
        })
    }

    /// Signs a payment for one PaymentRequirements (JSON) under the policy and returns the
    /// scheme's payload (JSON: the signed transaction), booking the spend. Blocking: the PyPI
    /// `x402` client calls its scheme clients synchronously.
    fn sign_requirements(&self, py: Python<'_>, requirements: &str) -> PyResult<String> {
        let payer = self.payer()?;
        let requirements: PaymentRequirements = serde_json::from_str(requirements)
            .map_err(|e| errors::invalid(format!("requirements: {e}")))?;
        let payload = block(py, async move {
            payer
                .sign_requirements(&requirements)
                .await
                .map_err(errors::client)
        })?;
        serde_json::to_string(&payload).map_err(|e| errors::invalid(e.to_string()))
    }

    /// After the paid request: books the spend when it settled, raises `PaymentRejected`
    /// when the server refused; returns the decoded receipt, if any.
    #[pyo3(signature = (payment, status, payment_response = None, payment_required = None, body = b"".as_slice()))]
    fn conclude(
        &self,
        payment: &Payment,
        status: u16,
        payment_response: Option<&str>,
        payment_required: Option<&str>,
        body: &[u8],
    ) -> PyResult<Option<PaymentResponse>> {
        let payer = self.payer()?;
        payer
            .conclude(
                &payment.inner,
                status,
                payment_response,
                payment_required,
                body,
            )
            .map(|r| r.map(Into::into))
            .map_err(errors::client)
    }
}

/// The gate's answer to a request: `respond` (send `status`, `headers`, `body` instead of
/// the handler) or proceed (run the handler; `job` names a stream's job).
#[pyclass(frozen, module = "computestream")]
pub(crate) struct GateDecision {
    #[pyo3(get)]
    respond: bool,
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    #[pyo3(get)]
    job: Option<String>,
    admitted: Mutex<Option<Admitted>>,
}

#[pymethods]
impl GateDecision {
    /// The JSON body of a response.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body)
    }
}

fn response(r: GateResponse) -> GateDecision {
    GateDecision {
        respond: true,
        status: r.status,
        headers: r.headers,
        body: serde_json::to_vec(&r.body).unwrap_or_default(),
        job: None,
        admitted: Mutex::new(None),
    }
}

fn decision(d: Decision) -> GateDecision {
    match d {
        Decision::Respond(r) => response(r),
        Decision::Proceed(a) => GateDecision {
            respond: false,
            status: 200,
            headers: vec![],
            body: vec![],
            job: a.job.map(|j| j.to_string()),
            admitted: Mutex::new(Some(a)),
        },
    }
}

/// The x402 gate for one resource (the core's `gate::Gate`): verifies, settles through the
/// facilitator at `facilitator_url`, serves each payment once, and with `node_url` admits
/// later requests of a paying `stream` job (`COMPUTESTREAM-JOB`).
#[pyclass(frozen, module = "computestream")]
pub(crate) struct Gate {
    inner: Arc<CoreGate>,
    pid: u32,
}

impl Gate {
    fn gate(&self) -> PyResult<Arc<CoreGate>> {
        check_pid(self.pid, "this Gate")?;
        Ok(self.inner.clone())
    }
}

#[pymethods]
impl Gate {
    /// `accepts`: PaymentRequirements as JSON (what `raw.x402_exact_requirements` and
    /// `raw.x402_stream_requirements` return).
    #[new]
    #[pyo3(signature = (facilitator_url, accepts, resource, description = None, mime_type = None, node_url = None, contract = None))]
    fn new(
        facilitator_url: &str,
        accepts: Vec<String>,
        resource: String,
        description: Option<String>,
        mime_type: Option<String>,
        node_url: Option<&str>,
        contract: Option<&str>,
    ) -> PyResult<Self> {
        let accepts = accepts
            .iter()
            .map(|j| {
                serde_json::from_str::<PaymentRequirements>(j)
                    .map_err(|e| errors::invalid(format!("accepts: {e}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        if accepts.is_empty() {
            return Err(errors::invalid("accepts: at least one PaymentRequirements"));
        }
        let facilitator: Arc<dyn Facilitator> = {
            let _guard = runtime().enter();
            Arc::new(HttpFacilitator::new(facilitator_url))
        };
        let mut gate = CoreGate::new(
            facilitator,
            ResourceInfo {
                url: resource,
                description,
                mime_type,
            },
            accepts,
        );
        if let Some(url) = node_url {
            let contract = match contract {
                Some(c) => parse_addr(c, "contract")?,
                None => LOCAL_CONTRACT_ADDRESS,
            };
            gate = gate.with_stream_admission(node_ledger(url, contract)?, Some(contract));
        }
        Ok(Gate {
            inner: Arc::new(gate),
            pid: std::process::id(),
        })
    }

    /// Decides on a request from its headers (names case-insensitive). Awaitable.
    fn begin<'py>(
        &self,
        py: Python<'py>,
        headers: Vec<(String, String)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let gate = self.gate()?;
        awaitable(py, async move {
            let lookup = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            Ok(decision(gate.begin(lookup).await))
        })
    }

    /// After the handler: settles an `exact` payment when the handler succeeded. The result
    /// either proceeds (`respond` false; add its `headers` to the handler's response) or
    /// responds (settlement failed: send it instead). Awaitable; call once per decision.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        decision: &GateDecision,
        handler_succeeded: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let gate = self.gate()?;
        let admitted = decision
            .admitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                errors::invalid("finish: this decision was not admitted, or was finished already")
            })?;
        let job = decision.job.clone();
        awaitable(py, async move {
            Ok(match gate.finish(admitted, handler_succeeded).await {
                Ok(headers) => GateDecision {
                    respond: false,
                    status: 200,
                    headers,
                    body: vec![],
                    job,
                    admitted: Mutex::new(None),
                },
                Err(r) => response(r),
            })
        })
    }
}

/// Registers the classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Payer>()?;
    m.add_class::<Payment>()?;
    m.add_class::<PaymentResponse>()?;
    m.add_class::<PaymentSignature>()?;
    m.add_class::<Gate>()?;
    m.add_class::<GateDecision>()?;
    Ok(())
}
