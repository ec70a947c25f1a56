//! The MCP server's tools and resources. Each tool's input is a struct that refuses unknown
//! fields (so the SDK answers a malformed call with a tool error, `failed to deserialize
//! parameters: ...`, before any tool code runs) and each output is a JSON object with its own
//! schema. Failures are tool errors (`isError: true`) whose text starts with a stable code
//! (`BUDGET_EXCEEDED: ...`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use computestream_core::{AssetId, JobId, Ledger, Signer};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::buyer::{
    self, Budget, BuyerError, Client, Offer, Receipt, RentRequest, Rented, Requirements,
    StreamView, ToppedUp,
};

/// What every session shares: the chain, the signer, the budget.
#[derive(Debug)]
pub(crate) struct State {
    /// The contracts.
    pub(crate) client: Client,
    /// The buyer's key.
    pub(crate) signer: Arc<Signer>,
    /// The spending limits.
    pub(crate) budget: Budget,
    /// CAIP-2 network paid on.
    pub(crate) network: String,
    /// The asset paid in.
    pub(crate) asset: AssetId,
    /// Jobs rented through this server, in order (its resources).
    pub(crate) rented: Mutex<Vec<JobId>>,
    /// Period of resource-update notifications.
    pub(crate) watch_every: Duration,
}

/// One MCP session's server (over HTTP, one per session, sharing [`State`]).
#[derive(Clone, Debug)]
pub(crate) struct ComputeStream {
    state: Arc<State>,
    /// Resource URI → the task sending its update notifications.
    watches: Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>>,
    tool_router: ToolRouter<Self>,
}

impl Drop for ComputeStream {
    fn drop(&mut self) {
        if Arc::strong_count(&self.watches) == 1 {
            for (_, task) in self
                .watches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain()
            {
                task.abort();
            }
        }
    }
}

/// A tool failure as the agent reads it: `CODE: message`.
fn fail(e: BuyerError) -> String {
    format!("{}: {e}", e.code())
}

/// The URI scheme of a job's live state.
const JOB_URI: &str = "computestream://jobs/";

fn job_uri(job: JobId) -> String {
    format!("{JOB_URI}{job}")
}

/// A job argument, BUYER/ID.
fn job_arg(text: &str) -> Result<JobId, String> {
    text.parse::<JobId>().map_err(|e| {
        fail(BuyerError::InvalidArgument(format!(
            "job: {e} (expected BUYER/ID as rent_gpu returned it)"
        )))
    })
}

/// `list_providers` input.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListProvidersInput {
    /// Only this GPU model (case-insensitive), e.g. `H100`.
    #[serde(default)]
    gpu_type: Option<String>,
    /// Only GPUs with at least this much memory, GB.
    #[serde(default)]
    min_vram_gb: Option<u64>,
    /// Only providers at most this expensive, base units per hour.
    #[serde(default)]
    max_price_per_hour: Option<u64>,
    /// Only providers accepting jobs now with a published endpoint (default true).
    #[serde(default)]
    available_only: Option<bool>,
}

/// `list_providers` output.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ProvidersOutput {
    /// Matching providers, cheapest first.
    providers: Vec<Offer>,
}

/// `rent_gpu` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RentInput {
    /// The provider's account address; when absent, the cheapest available provider meeting
    /// `gpu_type`, `min_vram_gb` and `max_price_per_hour` is chosen.
    #[serde(default)]
    provider: Option<String>,
    /// GPU model wanted, e.g. `H100`.
    #[serde(default)]
    gpu_type: Option<String>,
    /// Least GPU memory, GB.
    #[serde(default)]
    min_vram_gb: Option<u64>,
    /// Highest price, base units per hour.
    #[serde(default)]
    max_price_per_hour: Option<u64>,
    /// Container image to run, e.g. `pytorch/pytorch:2.4`.
    image: String,
    /// The command, one entry per argv word.
    #[serde(default)]
    command: Vec<String>,
    /// The most this rental's deposit may be, base units (within the server's limits).
    #[serde(default)]
    max_spend: Option<u64>,
    /// The most seconds' worth at the provider's price this rental's deposit may be.
    #[serde(default)]
    seconds: Option<u64>,
}

/// A job argument.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobInput {
    /// The job, BUYER/ID, as `rent_gpu` returned it.
    job: String,
}

/// `job_status` output.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct StatusOutput {
    /// BUYER/ID.
    job: String,
    /// The payment stream as the chain has it now.
    stream: StreamView,
    /// The provider daemon's view of the workload (`state`: running, stopping or stopped;
    /// `exit_code`, `stop_reason`, `outcome`), null if the daemon could not be reached.
    workload: Option<Value>,
    /// Why the daemon could not be reached, if it could not.
    workload_error: Option<String>,
    /// The job record on chain (`status`: pending, running, completed, failed or cancelled;
    /// image, start and end times), as the daemon reports it.
    record: Option<Value>,
}

/// `job_logs` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogsInput {
    /// The job, BUYER/ID.
    job: String,
    /// At most this many bytes from the end of the output (default 4000).
    #[serde(default)]
    tail_bytes: Option<u32>,
}

/// `job_logs` output.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct LogsOutput {
    /// BUYER/ID.
    job: String,
    /// The workload's output so far (its end, if truncated).
    logs: String,
    /// The output's whole length, bytes.
    total_bytes: u64,
    /// Whether `logs` is only the end of it.
    truncated: bool,
}

/// `top_up` input.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TopUpInput {
    /// The job, BUYER/ID.
    job: String,
    /// Base units to add to its escrow (counts against both limits).
    amount: u64,
}

/// `wallet_balance` input (none).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoInput {}

/// The limits and what is left of them.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct BudgetView {
    /// The most one rental may commit.
    max_per_rental: u64,
    /// The most committed over a rolling hour.
    max_per_hour: u64,
    /// Committed over the last hour (deposits and top-ups; refunds do not count back).
    spent_last_hour: u64,
    /// What may still be committed this hour.
    left_this_hour: u64,
}

/// `wallet_balance` output.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WalletOutput {
    /// The buyer's account.
    address: String,
    /// The asset paid in.
    asset: String,
    /// The buyer's balance of it, base units.
    balance: u64,
    /// The buyer's native-coin balance (gas), base units.
    native_balance: u64,
    /// Transactions the account has sent.
    sequence_number: u64,
    /// The spending limits.
    budget: BudgetView,
}

#[tool_router]
impl ComputeStream {
    /// A session's server over `state`.
    pub(crate) fn new(state: Arc<State>) -> Self {
        ComputeStream {
            state,
            watches: Default::default(),
            tool_router: Self::tool_router(),
        }
    }

    fn own_job(&self, text: &str) -> Result<JobId, String> {
        let job = job_arg(text)?;
        if job.buyer != self.state.signer.address() {
            return Err(fail(BuyerError::InvalidArgument(format!(
                "job {job} is not this wallet's ({})",
                self.state.signer.address().to_long_string()
            ))));
        }
        Ok(job)
    }

    /// GPU providers registered on chain: GPU, VRAM, price per hour, availability, endpoint.
    #[tool(annotations(read_only_hint = true))]
    async fn list_providers(
        &self,
        Parameters(input): Parameters<ListProvidersInput>,
    ) -> Result<Json<ProvidersOutput>, String> {
        let wanted = Requirements {
            gpu_type: input.gpu_type,
            min_vram_gb: input.min_vram_gb,
            max_price_per_hour: input.max_price_per_hour,
        };
        let available_only = input.available_only.unwrap_or(true);
        let mut providers: Vec<Offer> = buyer::list_offers(&self.state.client)
            .await
            .map_err(fail)?
            .into_iter()
            .filter(|o| {
                if available_only {
                    wanted.admits(o)
                } else {
                    wanted.matches(o)
                }
            })
            .collect();
        providers.sort_by_key(|o| o.price_per_hour);
        Ok(Json(ProvidersOutput { providers }))
    }

    /// Rents a GPU by the second: pays the provider's x402 challenge with a `stream` payment
    /// (a deposit for the provider's longest rental, escrowed and streamed per second while
    /// the job runs; stop_job refunds the rest) and starts `image` with `command`. Returns
    /// the job, the rate, the deposit and when it runs out. Refused, with nothing signed, if
    /// the deposit is over the server's spending limits or this call's max_spend/seconds.
    #[tool]
    async fn rent_gpu(
        &self,
        Parameters(input): Parameters<RentInput>,
    ) -> Result<Json<Rented>, String> {
        let state = &self.state;
        let provider = input
            .provider
            .as_deref()
            .map(computestream_core::types::parse_address)
            .transpose()
            .map_err(|e| fail(BuyerError::InvalidArgument(format!("provider: {e}"))))?;
        let wanted = Requirements {
            gpu_type: input.gpu_type,
            min_vram_gb: input.min_vram_gb,
            max_price_per_hour: input.max_price_per_hour,
        };
        let offer = buyer::find_provider(&state.client, provider, &wanted)
            .await
            .map_err(fail)?;
        let by_seconds = input.seconds.map(|s| {
            let nanos: u128 = offer.price_per_second_nanos.parse().unwrap_or(u128::MAX);
            u64::try_from(nanos.saturating_mul(u128::from(s)).div_ceil(1_000_000_000))
                .unwrap_or(u64::MAX)
        });
        let max_spend = match (input.max_spend, by_seconds) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let rented = buyer::rent(
            &state.client,
            &state.signer,
            &state.budget,
            &RentRequest {
                offer: &offer,
                image: &input.image,
                command: &input.command,
                max_spend,
                network: &state.network,
                asset: state.asset,
            },
        )
        .await
        .map_err(fail)?;
        if let Ok(job) = rented.job.parse() {
            state
                .rented
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(job);
        }
        Ok(Json(rented))
    }

    /// A job's live state: accrued, settled, escrow left, seconds to depletion (chain), and
    /// the workload's state (provider daemon).
    #[tool(annotations(read_only_hint = true))]
    async fn job_status(
        &self,
        Parameters(input): Parameters<JobInput>,
    ) -> Result<Json<StatusOutput>, String> {
        let job = job_arg(&input.job)?;
        self.status(job).await.map(Json).map_err(fail)
    }

    /// The recent output of a job's workload, from its provider.
    #[tool(annotations(read_only_hint = true))]
    async fn job_logs(
        &self,
        Parameters(input): Parameters<LogsInput>,
    ) -> Result<Json<LogsOutput>, String> {
        let job = job_arg(&input.job)?;
        let text = buyer::daemon_get(&self.state.client, job, "logs")
            .await
            .map_err(fail)?
            .text()
            .await
            .map_err(|e| fail(e.into()))?;
        let tail = input.tail_bytes.unwrap_or(4000) as usize;
        let mut start = text.len().saturating_sub(tail);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        Ok(Json(LogsOutput {
            job: job.to_string(),
            total_bytes: text.len() as u64,
            truncated: start > 0,
            logs: text[start..].to_string(),
        }))
    }

    /// Adds to a job's escrow so it can run longer. Counts against both spending limits (the
    /// rental's deposits so far against max_per_rental); refused with nothing signed if over,
    /// or if the escrow already pays for every second left before the job's max duration ends
    /// (rentals from rent_gpu start that way: their deposit is the provider's whole offer).
    #[tool]
    async fn top_up(
        &self,
        Parameters(input): Parameters<TopUpInput>,
    ) -> Result<Json<ToppedUp>, String> {
        let job = self.own_job(&input.job)?;
        let state = &self.state;
        buyer::top_up(
            &state.client,
            &state.signer,
            &state.budget,
            job,
            input.amount,
        )
        .await
        .map(Json)
        .map_err(fail)
    }

    /// Stops a job: closes its stream (the provider is paid for the seconds it ran, the rest
    /// of the escrow is refunded, the provider stops the workload) and returns the receipt.
    #[tool(annotations(destructive_hint = true))]
    async fn stop_job(
        &self,
        Parameters(input): Parameters<JobInput>,
    ) -> Result<Json<Receipt>, String> {
        let job = self.own_job(&input.job)?;
        buyer::stop(&self.state.client, &self.state.signer, job)
            .await
            .map(Json)
            .map_err(fail)
    }

    /// The wallet the server pays from: balances, and the spending limits with what is left.
    #[tool(annotations(read_only_hint = true))]
    async fn wallet_balance(
        &self,
        Parameters(_): Parameters<NoInput>,
    ) -> Result<Json<WalletOutput>, String> {
        let state = &self.state;
        let address = state.signer.address();
        let client = &state.client;
        let (balance, native_balance, sequence_number) = tokio::try_join!(
            client.balance(address, state.asset),
            client.balance(address, AssetId::NATIVE),
            client.ledger().sequence_number(address),
        )
        .map_err(|e| fail(e.into()))?;
        let spent = state.budget.spent_last_hour();
        Ok(Json(WalletOutput {
            address: address.to_long_string(),
            asset: state.asset.0.to_long_string(),
            balance,
            native_balance,
            sequence_number,
            budget: BudgetView {
                max_per_rental: state.budget.max_per_rental,
                max_per_hour: state.budget.max_per_hour,
                spent_last_hour: spent,
                left_this_hour: state.budget.max_per_hour.saturating_sub(spent),
            },
        }))
    }
}

impl ComputeStream {
    /// The chain's and the daemon's view of `job`.
    async fn status(&self, job: JobId) -> Result<StatusOutput, BuyerError> {
        let stream = buyer::stream_view(&self.state.client, job).await?;
        let daemon = match buyer::daemon_get(&self.state.client, job, "status").await {
            Ok(r) => r.json::<Value>().await.map_err(BuyerError::from),
            Err(e) => Err(e),
        };
        // The daemon is another party: its answer is read without assuming its shape.
        let (workload, record, workload_error) = match daemon {
            Ok(mut v) => {
                let mut field = |k| v.get_mut(k).map(Value::take).filter(|w| !w.is_null());
                (field("workload"), field("record"), None)
            }
            Err(e) => (None, None, Some(fail(e))),
        };
        Ok(StatusOutput {
            job: job.to_string(),
            stream,
            workload,
            workload_error,
            record,
        })
    }

    fn resource_job(uri: &str) -> Result<JobId, ErrorData> {
        uri.strip_prefix(JOB_URI)
            .and_then(|j| j.parse().ok())
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    format!("{uri:?}: expected {JOB_URI}BUYER/ID"),
                    Some(serde_json::json!({"uri": uri})),
                )
            })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for ComputeStream {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_resources_subscribe()
                .build(),
        )
        .with_server_info(rmcp::model::Implementation::new(
            "computestream",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(format!(
            "Rent GPUs by the second on ComputeStream. Amounts are base units of asset {}. \
             Limits set by a human: at most {} per rental (deposit plus top-ups) and {} per \
             rolling hour; a call over them fails with BUDGET_EXCEEDED and signs nothing. \
             Typical flow: list_providers, rent_gpu, job_status / job_logs (or read the \
             resource {JOB_URI}BUYER/ID), top_up to run longer, stop_job to close and get the \
             refund and receipt.",
            self.state.asset.0.to_long_string(),
            self.state.budget.max_per_rental,
            self.state.budget.max_per_hour
        ))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let jobs = self
            .state
            .rented
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(ListResourcesResult::with_all_items(
            jobs.into_iter()
                .map(|job| {
                    Resource::new(job_uri(job), format!("job {job}"))
                        .with_description("Live stream and workload state of a rented job")
                        .with_mime_type("application/json")
                })
                .collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{JOB_URI}{{buyer}}/{{id}}"), "job")
                .with_description("Live stream and workload state of a job (as job_status)")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let job = Self::resource_job(&request.uri)?;
        let status = self.status(job).await.map_err(|e| {
            ErrorData::resource_not_found(fail(e), Some(serde_json::json!({"uri": request.uri})))
        })?;
        let text = serde_json::to_string(&status)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri).with_mime_type("application/json"),
        ])
        .into())
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let job = Self::resource_job(&request.uri)?;
        let uri = request.uri;
        let peer = context.peer;
        let mut watch = Watch::new(self.state.clone(), vec![(uri.clone(), job)]);
        let task = tokio::spawn(async move {
            loop {
                for changed in watch.changed().await {
                    let update = rmcp::model::ResourceUpdatedNotificationParam::new(changed);
                    if peer.notify_resource_updated(update).await.is_err() {
                        return;
                    }
                }
                if watch.is_done() {
                    return;
                }
                tokio::time::sleep(watch.state.watch_every).await;
            }
        });
        let previous = self
            .watches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(uri, task.abort_handle());
        if let Some(p) = previous {
            p.abort();
        }
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris: Vec<String> = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| Self::resource_job(uri).is_ok())
            .cloned()
            .collect();
        Some(
            SubscriptionFilter::builder()
                .resource_subscriptions(uris)
                .build(),
        )
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let jobs = context
            .accepted()
            .resource_subscriptions
            .iter()
            .flatten()
            .filter_map(|uri| Some((uri.clone(), Self::resource_job(uri).ok()?)))
            .collect();
        let mut watch = Watch::new(self.state.clone(), jobs);
        let sink = context.sink().clone();
        let run = async move {
            loop {
                for changed in watch.changed().await {
                    if sink.notify_resource_updated(changed).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(watch.state.watch_every).await;
            }
        };
        tokio::select! {
            () = context.cancelled() => {}
            () = run => {}
        }
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Some(task) = self
            .watches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&request.uri)
        {
            task.abort();
        }
        Ok(())
    }
}

/// Watches jobs' streams for resource-update notifications: each [`Watch::changed`] reads
/// them again and names those whose state moved (accrual, top-up, pause, close) since the
/// last reading; a closed stream is named once more, then no longer read.
#[derive(Debug)]
struct Watch {
    state: Arc<State>,
    /// (URI, job, the last reading without its clock).
    jobs: Vec<(String, JobId, Option<Value>)>,
}

impl Watch {
    fn new(state: Arc<State>, jobs: Vec<(String, JobId)>) -> Self {
        Watch {
            state,
            jobs: jobs.into_iter().map(|(u, j)| (u, j, None)).collect(),
        }
    }

    async fn changed(&mut self) -> Vec<String> {
        let mut changed = vec![];
        let mut closed = vec![];
        for (i, (uri, job, last)) in self.jobs.iter_mut().enumerate() {
            let Ok(view) = buyer::stream_view(&self.state.client, *job).await else {
                continue;
            };
            if view.closed {
                closed.push(i);
            }
            let mut now = serde_json::to_value(&view).unwrap_or(Value::Null);
            now["chain_time"] = Value::Null;
            if last.as_ref() != Some(&now) {
                changed.push(uri.clone());
                *last = Some(now);
            }
        }
        for i in closed.into_iter().rev() {
            self.jobs.remove(i);
        }
        changed
    }

    fn is_done(&self) -> bool {
        self.jobs.is_empty()
    }
}
