//! `Client`: `computestream_core::ContractClient` over `AptosLedger` (sequence numbers, chain
//! id, gas and waiting for commit are the core's). `index.js` generates one camelCase method
//! per row of [`abi`], which lists `Call::FUNCTIONS` and `View::FUNCTIONS`, the tables the
//! core builds with `for_each_entry_function!` and `for_each_view!`; each method sends the
//! call as the JSON `Call`/`View` deserialize from, and a view comes back through the method
//! of its return type, typed (u64 and u128 as `bigint`).

use std::sync::Arc;

use computestream_core::contract::{Call, View};
use computestream_core::types::{self as core_types, AccountAddress, AssetId, JobStatus, Rate};
use computestream_core::{AptosLedger, ContractClient, Signer, TxnOutcome};
use napi::bindgen_prelude::{BigInt, Either, Null};
use napi_derive::napi;
use serde::de::DeserializeOwned;

use crate::error::{address_arg, core, input};

/// How a core value appears in JavaScript.
trait IntoJs<T> {
    fn into_js(self) -> T;
}

macro_rules! into_js {
    ($($from:ty => $to:ty : |$v:ident| $e:expr;)*) => {$(
        impl IntoJs<$to> for $from {
            fn into_js(self) -> $to {
                let $v = self;
                $e
            }
        }
    )*};
}

into_js! {
    u64 => BigInt: |v| BigInt::from(v);
    Rate => BigInt: |v| BigInt::from(v.nanos_per_second());
    bool => bool: |v| v;
    String => String: |v| v;
    AccountAddress => String: |v| v.to_long_string();
    AssetId => String: |v| v.0.to_long_string();
    JobStatus => String: |v| v.to_string();
}

/// A `#[napi(object)]` twin of a core record, field for field (camelCase in JavaScript).
macro_rules! record {
    ($(#[$doc:meta])* $name:ident { $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)? }) => {
        $(#[$doc])*
        #[napi(object)]
        #[derive(Debug)]
        #[allow(missing_docs)] // the fields are the core record's, documented there
        pub struct $name { $( $(#[$fdoc])* pub $field: $ty ),* }

        impl From<core_types::$name> for $name {
            fn from(v: core_types::$name) -> Self {
                $name { $( $field: v.$field.into_js() ),* }
            }
        }
    };
}

record!(
    /// `provider_registry::ProviderInfo`.
    Provider {
        provider: String,
        gpu_type: String,
        vram_gb: BigInt,
        /// Nano-units of the asset per second.
        price_per_second: BigInt,
        stake: BigInt,
        is_active: bool,
        active_jobs: BigInt,
        registered_at: BigInt,
        endpoint: String,
    }
);

record!(
    /// `job_registry::JobInfo`.
    Job {
        buyer: String,
        job_id: BigInt,
        provider: String,
        docker_image: String,
        escrow_amount: BigInt,
        max_duration: BigInt,
        /// `pending`, `running`, `completed`, `failed` or `cancelled`.
        status: String,
        created_at: BigInt,
        /// Chain time of start (0 until started).
        started_at: BigInt,
        /// Chain time of completion, failure or cancellation (0 until then).
        ended_at: BigInt,
        output_url: String,
    }
);

record!(
    /// `escrow::EscrowInfo`.
    Escrow {
        payer: String,
        job_id: BigInt,
        payee: String,
        asset: String,
        deposited: BigInt,
        paid: BigInt,
        refunded: BigInt,
        is_active: bool,
        has_stream: bool,
    }
);

record!(
    /// `payment_stream::StreamInfo`.
    Stream {
        payer: String,
        job_id: BigInt,
        payee: String,
        asset: String,
        /// Nano-units of the asset per second.
        rate_per_second: BigInt,
        opened_at: BigInt,
        /// Start of accrual: the job's start (2^64 − 1 until the job starts).
        window_start: BigInt,
        /// End of accrual: job start + max duration, job end or stream close (2^64 − 1 if open).
        window_end: BigInt,
        is_paused: bool,
        /// When the current pause began (meaningful while paused).
        paused_at: BigInt,
        /// Paused and unfunded seconds so far, not billed.
        excluded_seconds: BigInt,
        is_closed: bool,
        /// Chain time of close (meaningful once closed).
        closed_at: BigInt,
        deposited: BigInt,
        paid: BigInt,
    }
);

/// A committed transaction of the contracts.
#[napi(object)]
#[derive(Debug)]
pub struct Transaction {
    /// `0x` + 64 hex.
    pub hash: String,
    /// Ledger version it committed at.
    pub version: BigInt,
    /// The signer.
    pub sender: String,
    /// The sequence number it used.
    pub sequence_number: BigInt,
    /// `Executed successfully` (a failure is thrown).
    pub vm_status: String,
    /// Chain time of its block, microseconds.
    pub timestamp_usecs: BigInt,
    /// The job it created (`create_job`, `rent`), as `0x<buyer>/<id>`; `null` if none.
    pub job: Either<String, Null>,
    /// The id of the job it created; `null` if none.
    pub job_id: Either<BigInt, Null>,
}

impl Transaction {
    fn new(outcome: TxnOutcome, contract: AccountAddress) -> napi::Result<Self> {
        let job = outcome.created_job(contract).map_err(core)?;
        Ok(Transaction {
            hash: outcome.hash.to_hex(),
            version: outcome.version.into(),
            sender: outcome.sender.to_long_string(),
            sequence_number: outcome.sequence_number.into(),
            vm_status: outcome.vm_status,
            timestamp_usecs: outcome.timestamp_usecs.into(),
            job: job.map_or(Either::B(Null), |j| Either::A(j.to_string())),
            job_id: job.map_or(Either::B(Null), |j| Either::A(j.id.into())),
        })
    }
}

/// One parameter of an entry function or view.
#[napi(object)]
#[derive(Debug)]
pub struct AbiParam {
    /// The Move name (snake_case).
    pub name: String,
    /// The Rust type of the ABI table: `u64`, `u128`, `bool`, `String`, `AccountAddress`.
    pub r#type: String,
}

/// One entry function or view of the contracts.
#[napi(object)]
#[derive(Debug)]
pub struct AbiFunction {
    /// `entry` or `view`.
    pub kind: String,
    /// The Move module.
    pub module: String,
    /// The Move name (snake_case).
    pub name: String,
    /// The parameters after the `&signer`, in ABI order.
    pub params: Vec<AbiParam>,
    /// A view's return type as the ABI table writes it; `null` for an entry function.
    pub returns: Option<String>,
    /// What it does, from the core's ABI table (Markdown).
    pub doc: String,
}

/// A table row's doc comment as one paragraph.
fn doc(text: Option<&str>) -> String {
    text.unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn params(list: &[(&str, &str)]) -> Vec<AbiParam> {
    list.iter()
        .map(|(name, ty)| AbiParam {
            name: (*name).into(),
            r#type: (*ty).into(),
        })
        .collect()
}

/// Every entry function and view of the contracts, from the core's ABI tables.
#[napi]
pub fn abi() -> Vec<AbiFunction> {
    let entries = Call::FUNCTIONS.iter().map(|&(module, name)| AbiFunction {
        kind: "entry".into(),
        module: module.name().into(),
        name: name.into(),
        params: params(Call::signature(module, name).unwrap_or_default()),
        returns: None,
        doc: doc(Call::doc(module, name)),
    });
    let views = View::FUNCTIONS.iter().map(|&(module, name)| {
        let (list, returns) = View::signature(module, name).unwrap_or_default();
        AbiFunction {
            kind: "view".into(),
            module: module.name().into(),
            name: name.into(),
            params: params(list),
            returns: Some(returns.into()),
            doc: doc(View::doc(module, name)),
        }
    });
    entries.chain(views).collect()
}

/// The native half of `Client`; use `Client` from `index.js`.
#[napi]
#[derive(Debug)]
pub struct NativeClient {
    client: Arc<ContractClient<AptosLedger>>,
    signer: Option<Arc<Signer>>,
}

/// A `Call`/`View` from the JSON `index.js` builds; the core's error names the refused value
/// (`"0xzz" is not an account address`).
fn parse_call<T: DeserializeOwned>(text: &str) -> napi::Result<T> {
    serde_json::from_str(text).map_err(input)
}

#[napi]
impl NativeClient {
    /// A client of the contracts at `contract` (default the localnet's `0xcafe`) through the
    /// node API at `node` (`…/v1`), signing as `privateKey` if given.
    #[napi(constructor)]
    pub fn new(
        node: String,
        private_key: Option<String>,
        contract: Option<String>,
    ) -> napi::Result<Self> {
        let contract = match contract {
            Some(c) => address_arg(&c, "contract")?,
            None => computestream_core::contract::LOCAL_CONTRACT_ADDRESS,
        };
        let signer = private_key
            .map(|k| Signer::from_private_key(&k).map(Arc::new))
            .transpose()
            .map_err(core)?;
        let ledger = AptosLedger::new(&node, contract).map_err(core)?;
        Ok(NativeClient {
            client: Arc::new(ContractClient::new(ledger, contract)),
            signer,
        })
    }

    /// The signing account's address; `null` without a key.
    #[napi(getter)]
    pub fn address(&self) -> Option<String> {
        self.signer.as_ref().map(|s| s.address().to_string())
    }

    /// The contracts' address.
    #[napi(getter)]
    pub fn contract(&self) -> String {
        self.client.contract().to_string()
    }

    /// Signs, submits and waits for one entry function (the JSON `Call`).
    #[napi]
    pub async fn execute(&self, call: String) -> napi::Result<Transaction> {
        let call: Call = parse_call(&call)?;
        let signer = self
            .signer
            .as_ref()
            .ok_or_else(|| input("this client has no privateKey to sign with"))?;
        let outcome = self.client.execute(signer, &call).await.map_err(core)?;
        Transaction::new(outcome, self.client.contract())
    }

    async fn view<T: DeserializeOwned>(&self, view: &str, returns: &str) -> napi::Result<T> {
        let view: View = parse_call(view)?;
        if view.returns() != returns {
            return Err(input(format!(
                "{} returns {}, not {returns}",
                view.function(),
                view.returns()
            )));
        }
        self.client.view(&view).await.map_err(core)
    }

    /// A view returning `u64`.
    #[napi]
    pub async fn view_u64(&self, view: String) -> napi::Result<BigInt> {
        Ok(self.view::<u64>(&view, "u64").await?.into())
    }

    /// A view returning `bool`.
    #[napi]
    pub async fn view_bool(&self, view: String) -> napi::Result<bool> {
        self.view(&view, "bool").await
    }

    /// A view returning `String`.
    #[napi]
    pub async fn view_string(&self, view: String) -> napi::Result<String> {
        self.view(&view, "String").await
    }

    /// A view returning addresses.
    #[napi]
    pub async fn view_addresses(&self, view: String) -> napi::Result<Vec<String>> {
        let list: Vec<AccountAddress> = self.view(&view, "Vec<AccountAddress>").await?;
        Ok(list.into_iter().map(|a| a.to_string()).collect())
    }

    /// A view returning a rate (nano-units per second).
    #[napi]
    pub async fn view_rate(&self, view: String) -> napi::Result<BigInt> {
        Ok(self
            .view::<Rate>(&view, "crate::types::Rate")
            .await?
            .into_js())
    }

    /// A view returning a job's status.
    #[napi]
    pub async fn view_job_status(&self, view: String) -> napi::Result<String> {
        Ok(self
            .view::<JobStatus>(&view, "crate::types::JobStatus")
            .await?
            .to_string())
    }

    /// A view returning a provider.
    #[napi]
    pub async fn view_provider(&self, view: String) -> napi::Result<Provider> {
        Ok(self
            .view::<core_types::Provider>(&view, "crate::types::Provider")
            .await?
            .into())
    }

    /// A view returning a job.
    #[napi]
    pub async fn view_job(&self, view: String) -> napi::Result<Job> {
        Ok(self
            .view::<core_types::Job>(&view, "crate::types::Job")
            .await?
            .into())
    }

    /// A view returning an escrow.
    #[napi]
    pub async fn view_escrow(&self, view: String) -> napi::Result<Escrow> {
        Ok(self
            .view::<core_types::Escrow>(&view, "crate::types::Escrow")
            .await?
            .into())
    }

    /// A view returning a stream.
    #[napi]
    pub async fn view_stream(&self, view: String) -> napi::Result<Stream> {
        Ok(self
            .view::<core_types::Stream>(&view, "crate::types::Stream")
            .await?
            .into())
    }

    /// `owner`'s balance of `asset` (default the native coin `0xa`).
    #[napi]
    pub async fn balance(&self, owner: String, asset: Option<String>) -> napi::Result<BigInt> {
        let owner = address_arg(&owner, "owner")?;
        let asset = match asset {
            Some(a) => AssetId(address_arg(&a, "asset")?),
            None => AssetId::NATIVE,
        };
        Ok(self
            .client
            .balance(owner, asset)
            .await
            .map_err(core)?
            .into())
    }

    /// The chain's time, seconds.
    #[napi]
    pub async fn now_seconds(&self) -> napi::Result<BigInt> {
        Ok(self.client.now_seconds().await.map_err(core)?.into())
    }
}

/// A stream's figures at one chain time, from the core's stream math (`Stream::owed_at` …).
#[napi(object)]
#[derive(Debug)]
pub struct StreamAt {
    /// Owed to the payee in total (paid or not), base units.
    pub owed: BigInt,
    /// What a settlement at that time would pay.
    pub claimable: BigInt,
    /// What a close at that time would refund to the payer.
    pub refundable: BigInt,
    /// Seconds from that time until the deposit is fully owed (0: it is); `null` if never.
    pub seconds_to_deplete: Either<BigInt, Null>,
    /// Open, not paused, window not over, funds left: the provider should keep serving.
    pub is_paying: bool,
    /// Paying, and its window has started.
    pub is_accruing: bool,
}

fn u64_field(v: &BigInt, what: &str) -> napi::Result<u64> {
    match v.get_u64() {
        (false, n, true) => Ok(n),
        _ => Err(input(format!("{what}: not a u64"))),
    }
}

impl TryFrom<&Stream> for core_types::Stream {
    type Error = napi::Error;

    fn try_from(s: &Stream) -> napi::Result<Self> {
        let rate = match s.rate_per_second.get_u128() {
            (false, n, true) => Rate(n),
            _ => return Err(input("ratePerSecond: not a u128")),
        };
        Ok(core_types::Stream {
            payer: address_arg(&s.payer, "payer")?,
            job_id: u64_field(&s.job_id, "jobId")?,
            payee: address_arg(&s.payee, "payee")?,
            asset: AssetId(address_arg(&s.asset, "asset")?),
            rate_per_second: rate,
            opened_at: u64_field(&s.opened_at, "openedAt")?,
            window_start: u64_field(&s.window_start, "windowStart")?,
            window_end: u64_field(&s.window_end, "windowEnd")?,
            is_paused: s.is_paused,
            paused_at: u64_field(&s.paused_at, "pausedAt")?,
            excluded_seconds: u64_field(&s.excluded_seconds, "excludedSeconds")?,
            is_closed: s.is_closed,
            closed_at: u64_field(&s.closed_at, "closedAt")?,
            deposited: u64_field(&s.deposited, "deposited")?,
            paid: u64_field(&s.paid, "paid")?,
        })
    }
}

/// A stream's figures at chain time `now` (seconds, decimal): what it owes, what a settlement
/// would pay and a close refund, when it runs dry, whether it is paying.
#[napi]
pub fn stream_at(stream: Stream, now: String) -> napi::Result<StreamAt> {
    let s = core_types::Stream::try_from(&stream)?;
    let now = crate::error::u64_arg(&now, "now")?;
    Ok(StreamAt {
        owed: s.owed_at(now).into(),
        claimable: s.claimable_at(now).into(),
        refundable: s.refundable_at(now).into(),
        seconds_to_deplete: s
            .seconds_to_deplete(now)
            .map_or(Either::B(Null), |n| Either::A(n.into())),
        is_paying: s.is_paying(now),
        is_accruing: s.is_accruing(now),
    })
}
