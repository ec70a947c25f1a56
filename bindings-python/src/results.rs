//! Typed results: the core's records as Python objects with attributes (u64/u128 as `int`,
//! addresses as `0x` + 64 hex `str`). A `Stream` answers its money questions locally through
//! the core's math.

use computestream_core::types::{self as core, JobStatus};
use computestream_core::{AccountAddress, AssetId, Rate, TxnOutcome};
use pyo3::prelude::*;

use crate::errors;

/// `0x` + 64 hex.
pub(crate) fn addr(a: AccountAddress) -> String {
    a.to_long_string()
}

/// Parses an address argument (`0x` + up to 64 hex).
pub(crate) fn parse_addr(text: &str, what: &str) -> PyResult<AccountAddress> {
    AccountAddress::from_hex(text).map_err(|e| errors::invalid(format!("{what}: {text:?}: {e}")))
}

/// `payment_stream::get_stream`: a stream and its escrow's totals.
#[pyclass(frozen, get_all, module = "computestream")]
#[derive(Clone)]
pub(crate) struct Stream {
    pub(crate) payer: String,
    pub(crate) job_id: u64,
    pub(crate) payee: String,
    pub(crate) asset: String,
    pub(crate) rate_per_second: u128,
    pub(crate) opened_at: u64,
    pub(crate) window_start: u64,
    pub(crate) window_end: u64,
    pub(crate) is_paused: bool,
    pub(crate) paused_at: u64,
    pub(crate) excluded_seconds: u64,
    pub(crate) is_closed: bool,
    pub(crate) closed_at: u64,
    pub(crate) deposited: u64,
    pub(crate) paid: u64,
}

impl From<core::Stream> for Stream {
    fn from(s: core::Stream) -> Self {
        Stream {
            payer: addr(s.payer),
            job_id: s.job_id,
            payee: addr(s.payee),
            asset: addr(s.asset.0),
            rate_per_second: s.rate_per_second.0,
            opened_at: s.opened_at,
            window_start: s.window_start,
            window_end: s.window_end,
            is_paused: s.is_paused,
            paused_at: s.paused_at,
            excluded_seconds: s.excluded_seconds,
            is_closed: s.is_closed,
            closed_at: s.closed_at,
            deposited: s.deposited,
            paid: s.paid,
        }
    }
}

impl Stream {
    fn core(&self) -> PyResult<core::Stream> {
        Ok(core::Stream {
            payer: parse_addr(&self.payer, "payer")?,
            job_id: self.job_id,
            payee: parse_addr(&self.payee, "payee")?,
            asset: AssetId(parse_addr(&self.asset, "asset")?),
            rate_per_second: Rate(self.rate_per_second),
            opened_at: self.opened_at,
            window_start: self.window_start,
            window_end: self.window_end,
            is_paused: self.is_paused,
            paused_at: self.paused_at,
            excluded_seconds: self.excluded_seconds,
            is_closed: self.is_closed,
            closed_at: self.closed_at,
            deposited: self.deposited,
            paid: self.paid,
        })
    }
}

#[pymethods]
impl Stream {
    /// The job, as `0x<payer>/<job id>` (the `COMPUTESTREAM-JOB` header's value).
    #[getter]
    fn job(&self) -> PyResult<String> {
        Ok(core::JobId::new(parse_addr(&self.payer, "payer")?, self.job_id).to_string())
    }
    /// Owed to the payee in total at chain time `now` (paid or not).
    fn owed(&self, now: u64) -> PyResult<u64> {
        Ok(self.core()?.owed_at(now))
    }
    /// What a settlement at `now` would pay.
    fn claimable(&self, now: u64) -> PyResult<u64> {
        Ok(self.core()?.claimable_at(now))
    }
    /// What a close at `now` would refund to the payer.
    fn refundable(&self, now: u64) -> PyResult<u64> {
        Ok(self.core()?.refundable_at(now))
    }
    /// Seconds from `now` until the deposit is fully owed (0: it is), `None` if never.
    fn seconds_to_deplete(&self, now: u64) -> PyResult<Option<u64>> {
        Ok(self.core()?.seconds_to_deplete(now))
    }
    /// Open, not paused, window not over, funds left: the provider should keep serving.
    fn is_paying(&self, now: u64) -> PyResult<bool> {
        Ok(self.core()?.is_paying(now))
    }
    /// Accruing at `now` (paying, and its window has started).
    fn is_accruing(&self, now: u64) -> PyResult<bool> {
        Ok(self.core()?.is_accruing(now))
    }
    fn __repr__(&self) -> String {
        format!(
            "Stream(payer={}, job_id={}, rate_per_second={}, deposited={}, paid={}, is_paused={}, is_closed={})",
            self.payer,
            self.job_id,
            self.rate_per_second,
            self.deposited,
            self.paid,
            self.is_paused,
            self.is_closed
        )
    }
}

/// `provider_registry::get_provider`.
#[pyclass(frozen, get_all, module = "computestream")]
#[derive(Clone)]
pub(crate) struct Provider {
    pub(crate) provider: String,
    pub(crate) gpu_type: String,
    pub(crate) vram_gb: u64,
    pub(crate) price_per_second: u128,
    pub(crate) stake: u64,
    pub(crate) is_active: bool,
    pub(crate) active_jobs: u64,
    pub(crate) registered_at: u64,
    pub(crate) endpoint: String,
}

#[pymethods]
impl Provider {
    fn __repr__(&self) -> String {
        format!(
            "Provider(provider={}, gpu_type={:?}, price_per_second={}, is_active={})",
            self.provider, self.gpu_type, self.price_per_second, self.is_active
        )
    }
}

impl From<core::Provider> for Provider {
    fn from(p: core::Provider) -> Self {
        Provider {
            provider: addr(p.provider),
            gpu_type: p.gpu_type,
            vram_gb: p.vram_gb,
            price_per_second: p.price_per_second.0,
            stake: p.stake,
            is_active: p.is_active,
            active_jobs: p.active_jobs,
            registered_at: p.registered_at,
            endpoint: p.endpoint,
        }
    }
}

/// `job_registry::get_job`. `status` is `pending`, `running`, `completed`, `failed` or
/// `cancelled`.
#[pyclass(frozen, get_all, module = "computestream")]
#[derive(Clone)]
pub(crate) struct Job {
    pub(crate) buyer: String,
    pub(crate) job_id: u64,
    pub(crate) provider: String,
    pub(crate) docker_image: String,
    pub(crate) escrow_amount: u64,
    pub(crate) max_duration: u64,
    pub(crate) status: &'static str,
    pub(crate) created_at: u64,
    pub(crate) started_at: u64,
    pub(crate) ended_at: u64,
    pub(crate) output_url: String,
}

#[pymethods]
impl Job {
    fn __repr__(&self) -> String {
        format!(
            "Job(buyer={}, job_id={}, provider={}, status={:?})",
            self.buyer, self.job_id, self.provider, self.status
        )
    }
}

impl From<core::Job> for Job {
    fn from(j: core::Job) -> Self {
        Job {
            buyer: addr(j.buyer),
            job_id: j.job_id,
            provider: addr(j.provider),
            docker_image: j.docker_image,
            escrow_amount: j.escrow_amount,
            max_duration: j.max_duration,
            status: JobStatus::name(j.status),
            created_at: j.created_at,
            started_at: j.started_at,
            ended_at: j.ended_at,
            output_url: j.output_url,
        }
    }
}

/// `escrow::get_escrow`. `held == deposited - paid - refunded`.
#[pyclass(frozen, get_all, module = "computestream")]
#[derive(Clone)]
pub(crate) struct Escrow {
    pub(crate) payer: String,
    pub(crate) job_id: u64,
    pub(crate) payee: String,
    pub(crate) asset: String,
    pub(crate) deposited: u64,
    pub(crate) paid: u64,
    pub(crate) refunded: u64,
    pub(crate) held: u64,
    pub(crate) is_active: bool,
    pub(crate) has_stream: bool,
}

#[pymethods]
impl Escrow {
    fn __repr__(&self) -> String {
        format!(
            "Escrow(payer={}, job_id={}, deposited={}, paid={}, refunded={})",
            self.payer, self.job_id, self.deposited, self.paid, self.refunded
        )
    }
}

impl From<core::Escrow> for Escrow {
    fn from(e: core::Escrow) -> Self {
        Escrow {
            held: e.held(),
            payer: addr(e.payer),
            job_id: e.job_id,
            payee: addr(e.payee),
            asset: addr(e.asset.0),
            deposited: e.deposited,
            paid: e.paid,
            refunded: e.refunded,
            is_active: e.is_active,
            has_stream: e.has_stream,
        }
    }
}

/// A committed transaction. `job_id` is the job a `rent` or `create_job` created.
#[pyclass(frozen, get_all, module = "computestream")]
#[derive(Clone)]
pub(crate) struct Transaction {
    pub(crate) hash: String,
    pub(crate) version: u64,
    pub(crate) sender: String,
    pub(crate) sequence_number: u64,
    pub(crate) success: bool,
    pub(crate) vm_status: String,
    pub(crate) timestamp_usecs: u64,
    pub(crate) job_id: Option<u64>,
}

#[pymethods]
impl Transaction {
    fn __repr__(&self) -> String {
        format!(
            "Transaction(hash={}, version={}, job_id={:?})",
            self.hash, self.version, self.job_id
        )
    }
}

impl Transaction {
    pub(crate) fn from_outcome(t: TxnOutcome, contract: AccountAddress) -> PyResult<Self> {
        let job_id = t.created_job(contract).map_err(errors::core)?.map(|j| j.id);
        Ok(Transaction {
            hash: t.hash.to_hex(),
            version: t.version,
            sender: addr(t.sender),
            sequence_number: t.sequence_number,
            success: t.success,
            vm_status: t.vm_status,
            timestamp_usecs: t.timestamp_usecs,
            job_id,
        })
    }
}

/// A view's result as its Python value.
pub(crate) trait ToPy {
    /// The Python-side value.
    type Out: for<'py> IntoPyObject<'py> + Send + 'static;
    /// Converts.
    fn to_py(self) -> Self::Out;
}

macro_rules! to_py_same {
    ($($t:ty),*) => {$( impl ToPy for $t { type Out = $t; fn to_py(self) -> $t { self } } )*};
}
to_py_same!(u64, bool, String);

impl ToPy for Rate {
    type Out = u128;
    fn to_py(self) -> u128 {
        self.0
    }
}
impl ToPy for Vec<AccountAddress> {
    type Out = Vec<String>;
    fn to_py(self) -> Vec<String> {
        self.into_iter().map(addr).collect()
    }
}
impl ToPy for JobStatus {
    type Out = &'static str;
    fn to_py(self) -> &'static str {
        JobStatus::name(self)
    }
}
macro_rules! to_py_record {
    ($($t:ident),*) => {$( impl ToPy for core::$t { type Out = $t; fn to_py(self) -> $t { self.into() } } )*};
}
to_py_record!(Stream, Provider, Job, Escrow);

/// An argument as Python passes it, converted to the core's type.
pub(crate) trait Arg: Sized {
    /// What Python passes.
    type Py;
    /// Converts, naming the argument in the error.
    fn from_py(value: Self::Py, name: &str) -> PyResult<Self>;
}

macro_rules! arg_same {
    ($($t:ty),*) => {$( impl Arg for $t { type Py = $t; fn from_py(v: $t, _: &str) -> PyResult<$t> { Ok(v) } } )*};
}
arg_same!(u64, u128, bool, String);

impl Arg for AccountAddress {
    type Py = String;
    fn from_py(value: String, name: &str) -> PyResult<Self> {
        parse_addr(&value, name)
    }
}
