//! The buyer's side of a rental through a provider daemon, for any command to reuse: find a
//! provider on chain (by address or by requirements), read its endpoint, ask its
//! `POST /api/v1/compute/execute` for the price (the 402), check it against a [`Budget`],
//! pay it with the `stream` scheme through [`PayingClient`], and read the job back as the
//! chain has it; then watch, top up and stop (close, refund, receipt).
//!
//! Nothing here signs before the budget has agreed to the amount: [`rent`] learns the deposit
//! from an unpaid request first, and [`top_up`] checks before it signs.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use computestream_core::{
    AccountAddress, AptosLedger, AssetId, ContractClient, JobId, JobStatus, Provider, RejectReason,
    Signer, Stream, TxnOutcome,
};
use computestream_x402::http::{ClientError, PayingClient, SpendingPolicy};
use computestream_x402::wire::{self, PAYMENT_REQUIRED, PaymentRequired, PaymentRequirements};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The contracts over the node API.
pub(crate) type Client = ContractClient<Arc<AptosLedger>>;

/// Nano-units in one base unit (rates are kept in nano-units per second).
const NANOS: u128 = 1_000_000_000;
/// The longest wait for a provider's quote, status or logs.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait for a paid execute (settlement on chain, then `start_job`).
const EXECUTE_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a buyer-side step failed. Each variant has a stable [`BuyerError::code`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuyerError {
    /// The spending limits refuse the amount; nothing was signed.
    #[error(transparent)]
    Budget(#[from] BudgetError),
    /// The spend could not be written to the budget's record file; nothing was signed.
    #[error("budget record: {0}; nothing was signed")]
    BudgetRecord(String),
    /// No registered, active provider matches.
    #[error("no provider: {0}")]
    NoProvider(String),
    /// The argument is not acceptable.
    #[error("{0}")]
    InvalidArgument(String),
    /// The provider's endpoint answered something other than the protocol expects.
    #[error("provider {endpoint}: {message}")]
    Provider {
        /// The provider's service URL.
        endpoint: String,
        /// What it answered.
        message: String,
    },
    /// The paying client failed (its codes: `PAYMENT_NOT_ALLOWED`, `BUDGET_EXCEEDED`, ...).
    #[error("payment: {0}")]
    Payment(#[from] ClientError),
    /// A chain read or transaction failed.
    #[error("chain: {0}")]
    Chain(#[from] computestream_core::Error),
    /// A plain HTTP request failed.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
}

impl BuyerError {
    /// A stable code: `BUDGET_EXCEEDED`, `BUDGET_RECORD`, `NO_PROVIDER`, `INVALID_ARGUMENT`, `PROVIDER_ERROR`,
    /// `TRANSPORT_ERROR`, the paying client's [`ClientError::code`] or the chain's
    /// [`ErrorCode::code`].
    pub(crate) fn code(&self) -> &'static str {
        match self {
            BuyerError::Budget(_) => "BUDGET_EXCEEDED",
            BuyerError::BudgetRecord(_) => "BUDGET_RECORD",
            BuyerError::NoProvider(_) => "NO_PROVIDER",
            BuyerError::InvalidArgument(_) => "INVALID_ARGUMENT",
            BuyerError::Provider { .. } => "PROVIDER_ERROR",
            BuyerError::Payment(e) => e.code(),
            BuyerError::Chain(e) => e.code(),
            BuyerError::Http(_) => "TRANSPORT_ERROR",
        }
    }
}

/// Which spending limit refused an amount, and by how much.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[error(
    "{limit} is {cap}: {what} of {amount} would bring it to {would_be}, over by {over_by}; nothing was signed"
)]
pub(crate) struct BudgetError {
    /// `max_per_rental` or `max_per_hour`.
    pub(crate) limit: &'static str,
    /// The limit, in base units.
    pub(crate) cap: u64,
    /// What was asked (`a deposit`, `a top-up`).
    pub(crate) what: &'static str,
    /// The amount asked, in base units.
    pub(crate) amount: u64,
    /// The total the limit counts if it were paid.
    pub(crate) would_be: u64,
    /// `would_be - cap`.
    pub(crate) over_by: u64,
}

/// The spending limits a human set: the most one rental may commit (its deposit plus its
/// top-ups) and the most committed over any rolling hour. Deposits and top-ups count when
/// signed; refunds do not give budget back. With a record file ([`Budget::recorded_in`]) the
/// hour's spends outlive the process and are shared by every process given the same file: a
/// restarted server (a stdio MCP server starts with each session) and servers running at once
/// all count them.
#[derive(Debug)]
pub(crate) struct Budget {
    /// The most one rental may commit, base units.
    pub(crate) max_per_rental: u64,
    /// The most committed over a rolling hour, base units.
    pub(crate) max_per_hour: u64,
    /// Each spend of the last hour: (wall-clock milliseconds since the Unix epoch, amount).
    /// With a record file, a copy of it re-read under its lock before each use.
    spent: Mutex<VecDeque<(u64, u64)>>,
    record: Option<PathBuf>,
}

/// An amount the budget has set aside; [`Budget::release`] gives it back if it was not
/// spent after all (dropping it keeps it counted).
#[derive(Debug)]
#[must_use = "release the reservation if the payment did not happen"]
pub(crate) struct Reservation {
    at: u64,
    amount: u64,
}

const HOUR_MS: u64 = 3_600_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The spends a record file holds (`MILLISECONDS AMOUNT` lines); a missing file holds none.
fn read_record(path: &Path) -> Result<VecDeque<(u64, u64)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut spent = VecDeque::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let entry = line
            .split_once(' ')
            .and_then(|(t, a)| Some((t.parse().ok()?, a.trim().parse().ok()?)))
            .ok_or_else(|| format!("{} line {}: {line:?}", path.display(), n + 1))?;
        spent.push_back(entry);
    }
    Ok(spent)
}

impl Budget {
    /// A budget with nothing spent yet, kept in memory.
    pub(crate) fn new(max_per_rental: u64, max_per_hour: u64) -> Self {
        Budget {
            max_per_rental,
            max_per_hour,
            spent: Mutex::new(VecDeque::new()),
            record: None,
        }
    }

    /// Keeps the hour's spends in `path` (one `MILLISECONDS AMOUNT` line each), starting from
    /// what it holds. Each use locks `PATH.lock` (so processes sharing the file take turns),
    /// re-reads the file and, after a change, replaces it. A spend that cannot be recorded is
    /// refused.
    pub(crate) fn recorded_in(mut self, path: PathBuf) -> Result<Self, String> {
        self.spent = Mutex::new(read_record(&path)?);
        self.record = Some(path);
        Ok(self)
    }

    /// Runs `f` on the last hour's spends, holding this process's lock and, with a record,
    /// the record's file lock over a fresh read of it; writes the record back when `f` says it
    /// changed something.
    fn with_spent<T>(
        &self,
        f: impl FnOnce(&mut VecDeque<(u64, u64)>) -> (T, bool),
    ) -> Result<T, String> {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let lock = match &self.record {
            Some(path) => {
                let lock_path = path.with_extension("lock");
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| format!("{}: {e}", lock_path.display()))?;
                lock.lock()
                    .map_err(|e| format!("{}: {e}", lock_path.display()))?;
                *spent = read_record(path)?;
                Some(lock)
            }
            None => None,
        };
        let now = now_ms();
        while spent
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) >= HOUR_MS)
        {
            spent.pop_front();
        }
        let before = spent.clone();
        let (out, changed) = f(&mut spent);
        if changed
            && let Some(path) = &self.record
            && let Err(e) = computestream_core::storage::write_atomically(
                path,
                spent
                    .iter()
                    .map(|(t, a)| format!("{t} {a}\n"))
                    .collect::<String>()
                    .as_bytes(),
            )
        {
            *spent = before;
            return Err(format!("{}: {e}", path.display()));
        }
        drop(lock);
        Ok(out)
    }

    /// Committed over the last hour (this process's last view if the record cannot be read).
    pub(crate) fn spent_last_hour(&self) -> u64 {
        let sum = |spent: &VecDeque<(u64, u64)>| spent.iter().map(|(_, a)| a).sum();
        self.with_spent(|spent| (sum(spent), false))
            .unwrap_or_else(|_| sum(&self.spent.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// Sets `amount` aside if the rental it belongs to (which has committed `rental_so_far`
    /// already) and the hour both stay within their limits; else which limit refuses it.
    pub(crate) fn reserve(
        &self,
        what: &'static str,
        amount: u64,
        rental_so_far: u64,
    ) -> Result<Reservation, BuyerError> {
        let refuse = |limit, cap: u64, would_be: u64| BudgetError {
            limit,
            cap,
            what,
            amount,
            would_be,
            over_by: would_be - cap,
        };
        let rental = rental_so_far.saturating_add(amount);
        if rental > self.max_per_rental {
            return Err(refuse("max_per_rental", self.max_per_rental, rental).into());
        }
        let reserved = self
            .with_spent(|spent| {
                let hour = spent
                    .iter()
                    .map(|(_, a)| a)
                    .sum::<u64>()
                    .saturating_add(amount);
                if hour > self.max_per_hour {
                    return (Err(refuse("max_per_hour", self.max_per_hour, hour)), false);
                }
                let at = now_ms();
                spent.push_back((at, amount));
                (Ok(Reservation { at, amount }), true)
            })
            .map_err(BuyerError::BudgetRecord)?;
        Ok(reserved?)
    }

    /// Gives back a reservation whose payment did not happen.
    pub(crate) fn release(&self, reservation: Reservation) {
        // Kept counted if the record cannot be written: the safe side of a spending limit.
        let _ = self.with_spent(|spent| {
            match spent
                .iter()
                .position(|&(t, a)| t == reservation.at && a == reservation.amount)
            {
                Some(i) => {
                    spent.remove(i);
                    ((), true)
                }
                None => ((), false),
            }
        });
    }
}

/// A registered provider as a buyer sees it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Offer {
    /// The provider's account.
    pub(crate) provider: String,
    /// GPU model, e.g. `H100`.
    pub(crate) gpu_type: String,
    /// GPU memory, GB.
    pub(crate) vram_gb: u64,
    /// Price per hour in base units of the streamed asset (rounded down).
    pub(crate) price_per_hour: u64,
    /// Exact price, nano-units per second (decimal string).
    pub(crate) price_per_second_nanos: String,
    /// Whether it accepts new jobs.
    pub(crate) available: bool,
    /// Jobs it has pending or running.
    pub(crate) active_jobs: u64,
    /// Its service URL (empty: it runs no daemon).
    pub(crate) endpoint: String,
}

impl From<&Provider> for Offer {
    fn from(p: &Provider) -> Self {
        let nanos = p.price_per_second.nanos_per_second();
        Offer {
            provider: p.provider.to_long_string(),
            gpu_type: p.gpu_type.clone(),
            vram_gb: p.vram_gb,
            price_per_hour: u64::try_from(nanos.saturating_mul(3600) / NANOS).unwrap_or(u64::MAX),
            price_per_second_nanos: nanos.to_string(),
            available: p.is_active,
            active_jobs: p.active_jobs,
            endpoint: p.endpoint.clone(),
        }
    }
}

/// What a rental asks of a provider when none is named.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Requirements {
    /// GPU model wanted, e.g. `H100` (case-insensitive).
    #[serde(default)]
    pub(crate) gpu_type: Option<String>,
    /// Least GPU memory, GB.
    #[serde(default)]
    pub(crate) min_vram_gb: Option<u64>,
    /// Highest price per hour, base units.
    #[serde(default)]
    pub(crate) max_price_per_hour: Option<u64>,
}

impl Requirements {
    /// Whether `o` is available, runs a daemon and [`Requirements::matches`].
    pub(crate) fn admits(&self, o: &Offer) -> bool {
        o.available && !o.endpoint.is_empty() && self.matches(o)
    }

    /// Whether `o`'s GPU, memory and price meet these requirements.
    pub(crate) fn matches(&self, o: &Offer) -> bool {
        self.gpu_type
            .as_ref()
            .is_none_or(|g| g.eq_ignore_ascii_case(&o.gpu_type))
            && self.min_vram_gb.is_none_or(|v| o.vram_gb >= v)
            && self
                .max_price_per_hour
                .is_none_or(|p| o.price_per_hour <= p)
    }
}

/// Every registered provider, in registry order.
pub(crate) async fn list_offers(client: &Client) -> Result<Vec<Offer>, BuyerError> {
    const PAGE: u64 = 100;
    let mut offers = Vec::new();
    let mut offset = 0;
    loop {
        let page = client.list_providers(offset, PAGE).await?;
        for address in &page {
            offers.push(Offer::from(&client.get_provider(*address).await?));
        }
        if (page.len() as u64) < PAGE {
            return Ok(offers);
        }
        offset += PAGE;
    }
}

/// The provider named, or the cheapest available one meeting `wanted` that runs a daemon.
pub(crate) async fn find_provider(
    client: &Client,
    provider: Option<AccountAddress>,
    wanted: &Requirements,
) -> Result<Offer, BuyerError> {
    if let Some(address) = provider {
        let offer =
            Offer::from(&client.get_provider(address).await.map_err(|e| {
                BuyerError::NoProvider(format!("{}: {e}", address.to_long_string()))
            })?);
        if !offer.available {
            return Err(BuyerError::NoProvider(format!(
                "{} accepts no jobs now",
                offer.provider
            )));
        }
        if offer.endpoint.is_empty() {
            return Err(BuyerError::NoProvider(format!(
                "{} has published no endpoint",
                offer.provider
            )));
        }
        return Ok(offer);
    }
    list_offers(client)
        .await?
        .into_iter()
        .filter(|o| wanted.admits(o))
        .min_by_key(|o| o.price_per_hour)
        .ok_or_else(|| {
            BuyerError::NoProvider(format!(
                "none available with an endpoint matching {wanted:?}"
            ))
        })
}

/// What the provider asks for a rental, read from its unpaid 402.
#[derive(Clone, Debug)]
pub(crate) struct Quote {
    /// The `stream` requirements offered.
    pub(crate) requirements: PaymentRequirements,
    /// The deposit, base units.
    pub(crate) deposit: u64,
    /// The longest rental, seconds.
    pub(crate) max_duration: u64,
}

/// The body of `POST /api/v1/compute/execute`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Execute<'a> {
    /// The container image.
    pub(crate) image: &'a str,
    /// argv.
    pub(crate) command: &'a [String],
}

fn execute_url(endpoint: &str) -> String {
    format!("{}/api/v1/compute/execute", endpoint.trim_end_matches('/'))
}

/// Asks `endpoint` for the price of running `body`, without paying: its 402's `stream`
/// requirements on `network`.
pub(crate) async fn quote(
    http: &reqwest::Client,
    endpoint: &str,
    body: &Execute<'_>,
    network: &str,
) -> Result<Quote, BuyerError> {
    let provider_error = |message: String| BuyerError::Provider {
        endpoint: endpoint.to_string(),
        message,
    };
    let response = http
        .post(execute_url(endpoint))
        .timeout(READ_TIMEOUT)
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    if status != 402 {
        let text = response.text().await.unwrap_or_default();
        return Err(provider_error(format!(
            "HTTP {status} before payment: {}",
            text.chars().take(300).collect::<String>()
        )));
    }
    let header = response
        .headers()
        .get(PAYMENT_REQUIRED)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| provider_error("a 402 without PAYMENT-REQUIRED".into()))?;
    let challenge: PaymentRequired = wire::decode_header(header)
        .map_err(|e| provider_error(format!("unreadable PAYMENT-REQUIRED: {e}")))?;
    let requirements = challenge
        .accepts
        .into_iter()
        .find(|r| r.scheme == "stream" && r.network == network)
        .ok_or_else(|| provider_error(format!("offers no `stream` payment on {network}")))?;
    let int = |key: &str| -> Result<u128, BuyerError> {
        requirements
            .extra
            .get(key)
            .and_then(|v| match v {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_u64().map(u128::from),
                _ => None,
            })
            .ok_or_else(|| provider_error(format!("stream requirements without {key}")))
    };
    let max_duration = u64::try_from(int("maxDurationSeconds")?)
        .map_err(|_| provider_error("maxDurationSeconds above u64".into()))?;
    int("ratePerSecond")?;
    let deposit = requirements
        .amount
        .parse()
        .map_err(|_| provider_error(format!("amount {:?}", requirements.amount)))?;
    Ok(Quote {
        requirements,
        deposit,
        max_duration,
    })
}

/// What a rental request names.
#[derive(Clone, Debug)]
pub(crate) struct RentRequest<'a> {
    /// The provider chosen ([`find_provider`]).
    pub(crate) offer: &'a Offer,
    /// The container image.
    pub(crate) image: &'a str,
    /// argv.
    pub(crate) command: &'a [String],
    /// The most this call may commit (besides the budget), base units.
    pub(crate) max_spend: Option<u64>,
    /// CAIP-2 network to pay on.
    pub(crate) network: &'a str,
    /// The only asset paid in.
    pub(crate) asset: AssetId,
}

/// A rental that started.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Rented {
    /// BUYER/ID.
    pub(crate) job: String,
    /// The provider's account.
    pub(crate) provider: String,
    /// The provider's service URL.
    pub(crate) endpoint: String,
    /// The streamed asset.
    pub(crate) asset: String,
    /// Price, nano-units per second (decimal string).
    pub(crate) rate_per_second_nanos: String,
    /// Price per hour, base units (rounded down).
    pub(crate) rate_per_hour: u64,
    /// Escrowed, base units.
    pub(crate) deposit: u64,
    /// Seconds the deposit pays for (the provider's longest rental).
    pub(crate) max_duration_seconds: u64,
    /// Chain time the escrow runs out, seconds since the epoch (null: it does not).
    pub(crate) depletes_at: Option<u64>,
    /// Seconds from now until then.
    pub(crate) seconds_to_depletion: Option<u64>,
    /// The payment transaction's hash.
    pub(crate) payment_transaction: Option<String>,
    /// The daemon's status URL for this job.
    pub(crate) status_url: Option<String>,
    /// The daemon's logs URL for this job.
    pub(crate) logs_url: Option<String>,
}

/// Rents from `request.offer`: quotes, reserves the deposit in `budget`, pays the 402 with
/// `stream` as `signer` (the paying client's own policy capped at the same amount), and
/// reads the stream back. A refusal by the budget or by `max_spend` signs nothing.
pub(crate) async fn rent(
    client: &Client,
    signer: &Arc<Signer>,
    budget: &Budget,
    request: &RentRequest<'_>,
) -> Result<Rented, BuyerError> {
    let endpoint = request.offer.endpoint.as_str();
    let body = Execute {
        image: request.image,
        command: request.command,
    };
    let http = computestream_x402::http::http_client();
    let quote = quote(&http, endpoint, &body, request.network).await?;
    let asset = computestream_core::types::parse_address(&quote.requirements.asset)?;
    if asset != request.asset.0 {
        return Err(BuyerError::InvalidArgument(format!(
            "the provider asks for asset {}, the budget is in {}",
            asset.to_long_string(),
            request.asset.0.to_long_string()
        )));
    }
    if let Some(cap) = request.max_spend
        && quote.deposit > cap
    {
        return Err(BuyerError::Budget(BudgetError {
            limit: "max_spend",
            cap,
            what: "a deposit",
            amount: quote.deposit,
            would_be: quote.deposit,
            over_by: quote.deposit - cap,
        }));
    }
    let reservation = budget.reserve("a deposit", quote.deposit, 0)?;
    let mut policy = SpendingPolicy::new(quote.deposit, quote.deposit);
    policy.networks = vec![request.network.to_string()];
    policy.assets = vec![request.asset.0.to_long_string()];
    policy.schemes = vec!["stream".into()];
    let paying = PayingClient::new(signer.clone(), client.ledger().clone(), policy)
        .with_docker_image(request.image);
    let paid = async {
        let http_request = paying
            .http()
            .post(execute_url(endpoint))
            .timeout(EXECUTE_TIMEOUT)
            .json(&body)
            .build()?;
        Ok::<_, BuyerError>(paying.execute(http_request).await?)
    }
    .await;
    let paid = match paid {
        Ok(p) => p,
        Err(e) => {
            // A transport failure may have come after the payment was sent and settled: the
            // deposit stays counted. Every other failure happens before anything is signed or
            // means the payment did not land.
            if !matches!(e, BuyerError::Payment(ClientError::Http(_))) {
                budget.release(reservation);
            }
            return Err(e);
        }
    };
    let settled = paid.receipt.as_ref().is_some_and(|r| r.success);
    if !settled {
        budget.release(reservation);
    }
    let status = paid.response.status().as_u16();
    let transaction = paid.receipt.as_ref().map(|r| r.transaction.clone());
    let reply: Value = paid.response.json().await.unwrap_or(Value::Null);
    if status != 202 {
        return Err(BuyerError::Provider {
            endpoint: endpoint.to_string(),
            message: format!("HTTP {status} after payment: {reply}"),
        });
    }
    let job: JobId = reply["job"]
        .as_str()
        .and_then(|j| j.parse().ok())
        .ok_or_else(|| BuyerError::Provider {
            endpoint: endpoint.to_string(),
            message: format!("no job in {reply}"),
        })?;
    let (stream, now) =
        tokio::try_join!(client.get_stream(job.buyer, job.id), client.now_seconds())?;
    let depletes = stream.depletion_time(now);
    let depletes_at = (depletes != computestream_core::math::NEVER).then_some(depletes);
    let text = |key: &str| reply[key].as_str().map(str::to_string);
    Ok(Rented {
        job: job.to_string(),
        provider: stream.payee.to_long_string(),
        endpoint: endpoint.to_string(),
        asset: stream.asset.0.to_long_string(),
        rate_per_second_nanos: stream.rate_per_second.nanos_per_second().to_string(),
        rate_per_hour: per_hour(stream.rate_per_second.nanos_per_second()),
        deposit: stream.deposited,
        max_duration_seconds: quote.max_duration,
        depletes_at,
        seconds_to_depletion: depletes_at.map(|d| d.saturating_sub(now)),
        payment_transaction: transaction,
        status_url: text("status_url"),
        logs_url: text("logs_url"),
    })
}

/// Base units per hour at `nanos` nano-units per second, rounded down.
fn per_hour(nanos: u128) -> u64 {
    u64::try_from(nanos.saturating_mul(3600) / NANOS).unwrap_or(u64::MAX)
}

/// A stream as the chain has it at `now`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct StreamView {
    /// The provider.
    pub(crate) provider: String,
    /// The streamed asset.
    pub(crate) asset: String,
    /// Price per hour, base units (rounded down).
    pub(crate) rate_per_hour: u64,
    /// Escrowed so far (deposit and top-ups), base units.
    pub(crate) deposited: u64,
    /// Settled to the provider so far.
    pub(crate) settled: u64,
    /// Accrued (owed to the provider) as of now, settled or not.
    pub(crate) accrued: u64,
    /// What would come back to the buyer if closed now.
    pub(crate) escrow_left: u64,
    /// Seconds billed so far.
    pub(crate) active_seconds: u64,
    /// Seconds until the escrow runs out (null: it does not before the job's max duration
    /// ends, or the stream is paused or closed).
    pub(crate) seconds_to_depletion: Option<u64>,
    /// Seconds until the job's max duration ends (null: not started, or closed).
    pub(crate) seconds_to_max_duration: Option<u64>,
    /// Whether it pays the provider now.
    pub(crate) paying: bool,
    /// Whether paused.
    pub(crate) paused: bool,
    /// Whether closed.
    pub(crate) closed: bool,
    /// Chain time of the reading, seconds.
    pub(crate) chain_time: u64,
}

impl StreamView {
    /// `stream` read at chain time `now`.
    pub(crate) fn at(stream: &Stream, now: u64) -> Self {
        let depletes = stream.depletion_time(now);
        StreamView {
            provider: stream.payee.to_long_string(),
            asset: stream.asset.0.to_long_string(),
            rate_per_hour: per_hour(stream.rate_per_second.nanos_per_second()),
            deposited: stream.deposited,
            settled: stream.paid,
            accrued: stream.owed_at(now),
            escrow_left: stream.refundable_at(now),
            active_seconds: stream.active_seconds(now),
            seconds_to_depletion: (depletes != computestream_core::math::NEVER
                && !stream.is_closed)
                .then(|| depletes.saturating_sub(now)),
            seconds_to_max_duration: (stream.window_end != computestream_core::math::NEVER
                && !stream.is_closed)
                .then(|| stream.window_end.saturating_sub(now)),
            paying: stream.is_paying(now),
            paused: stream.is_paused,
            closed: stream.is_closed,
            chain_time: now,
        }
    }
}

/// The stream of `job` now.
pub(crate) async fn stream_view(client: &Client, job: JobId) -> Result<StreamView, BuyerError> {
    let (stream, now) =
        tokio::try_join!(client.get_stream(job.buyer, job.id), client.now_seconds())?;
    Ok(StreamView::at(&stream, now))
}

/// The provider daemon's view of `job` (its workload state) and its output so far.
pub(crate) async fn daemon_get(
    client: &Client,
    job: JobId,
    what: &str,
) -> Result<reqwest::Response, BuyerError> {
    let stream = client.get_stream(job.buyer, job.id).await?;
    let offer = client.get_provider(stream.payee).await?;
    if offer.endpoint.is_empty() {
        return Err(BuyerError::NoProvider(format!(
            "{} has published no endpoint",
            stream.payee.to_long_string()
        )));
    }
    let url = format!(
        "{}/api/v1/jobs/{}/{}/{what}",
        offer.endpoint.trim_end_matches('/'),
        job.buyer.to_long_string(),
        job.id
    );
    let response = computestream_x402::http::http_client()
        .get(&url)
        .timeout(READ_TIMEOUT)
        .send()
        .await?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        return Err(BuyerError::Provider {
            endpoint: offer.endpoint,
            message: format!(
                "GET {what}: HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            ),
        });
    }
    Ok(response)
}

/// A top-up that landed.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct ToppedUp {
    /// BUYER/ID.
    pub(crate) job: String,
    /// Added, base units.
    pub(crate) amount: u64,
    /// The transaction's hash.
    pub(crate) transaction: String,
    /// The stream after it.
    pub(crate) stream: StreamView,
}

/// Adds `amount` to `job`'s escrow as `signer`, once `budget` agrees (the rental's deposits
/// so far count against `max_per_rental`).
pub(crate) async fn top_up(
    client: &Client,
    signer: &Signer,
    budget: &Budget,
    job: JobId,
    amount: u64,
) -> Result<ToppedUp, BuyerError> {
    if amount == 0 {
        return Err(BuyerError::InvalidArgument("amount must be above 0".into()));
    }
    let stream = client.get_stream(job.buyer, job.id).await?;
    if stream.is_closed {
        return Err(BuyerError::InvalidArgument(format!(
            "job {job}: stream closed"
        )));
    }
    let reservation = budget.reserve("a top-up", amount, stream.deposited)?;
    if let Some(window_end) = covers_its_window(&stream) {
        budget.release(reservation);
        return Err(BuyerError::InvalidArgument(format!(
            "job {job}: its escrow ({}) already pays for every second left before its max \
             duration ends (chain time {window_end}); a top-up would only be refunded; nothing \
             was signed",
            stream.deposited
        )));
    }
    match signed(signer, || client.top_up(signer, job.buyer, job.id, amount)).await {
        Ok(outcome) => Ok(ToppedUp {
            job: job.to_string(),
            amount,
            transaction: outcome.hash.to_hex(),
            stream: stream_view(client, job).await?,
        }),
        Err(e) => {
            budget.release(reservation);
            Err(e.into())
        }
    }
}

/// Submits `transaction` as `signer`; when the ledger rejects it for its sequence number
/// (the account also signs elsewhere, so the cached number is stale: nothing was applied),
/// re-reads the number and submits once more.
async fn signed<F, Fut>(signer: &Signer, transaction: F) -> computestream_core::Result<TxnOutcome>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = computestream_core::Result<TxnOutcome>>,
{
    let stale = |e: &computestream_core::Error| {
        matches!(
            e,
            computestream_core::Error::Rejected {
                reason: RejectReason::SequenceNumberTooOld | RejectReason::SequenceNumberTooNew,
                ..
            }
        )
    };
    match transaction().await {
        Err(e) if stale(&e) => {
            signer.resync();
            let retried = transaction().await;
            if retried.is_err() {
                signer.resync();
            }
            retried
        }
        Err(e) => {
            signer.resync();
            Err(e)
        }
        ok => ok,
    }
}

/// `Some(window end)` when `stream` is running toward a fixed end (its job started, not
/// paused) and its deposits already pay for every second up to it: a top-up cannot make it
/// run longer. A provider daemon's deposit is its whole `max_duration`, so its rentals start
/// that way.
fn covers_its_window(stream: &Stream) -> Option<u64> {
    if stream.is_paused || stream.window_end == computestream_core::math::NEVER {
        return None;
    }
    let billable = stream.active_seconds(stream.window_end);
    let cost = computestream_core::math::accrued(stream.rate_per_second.0, billable);
    (cost <= u128::from(stream.deposited)).then_some(stream.window_end)
}

/// What closing a rental settled.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub(crate) struct Receipt {
    /// BUYER/ID.
    pub(crate) job: String,
    /// The provider.
    pub(crate) provider: String,
    /// The streamed asset.
    pub(crate) asset: String,
    /// Price per hour, base units.
    pub(crate) rate_per_hour: u64,
    /// Seconds billed.
    pub(crate) billed_seconds: u64,
    /// Escrowed in all, base units.
    pub(crate) deposited: u64,
    /// Paid to the provider in all.
    pub(crate) paid_to_provider: u64,
    /// Returned to the buyer at close.
    pub(crate) refunded: u64,
    /// Chain time of the close.
    pub(crate) closed_at: u64,
    /// The close transaction's hash (null: the stream was closed already).
    pub(crate) close_transaction: Option<String>,
    /// The job never started: the transaction that cancelled it, which frees the provider's
    /// slot (null when the job had started or ended already).
    pub(crate) cancel_transaction: Option<String>,
    /// The buyer's balance of the asset after.
    pub(crate) balance_after: u64,
}

/// Closes `job`'s stream as `signer` (the buyer): the provider is paid what accrued, the rest
/// of the escrow comes back, the daemon stops the workload; a job that never started is
/// cancelled too, so it does not hold one of the provider's active-job slots. A stream closed
/// already (by the provider at depletion) gives its receipt without a close transaction.
pub(crate) async fn stop(
    client: &Client,
    signer: &Signer,
    job: JobId,
) -> Result<Receipt, BuyerError> {
    let before = client.get_stream(job.buyer, job.id).await?;
    let close_transaction = if before.is_closed {
        None
    } else {
        Some(
            signed(signer, || client.close_stream(signer, job.buyer, job.id))
                .await?
                .hash
                .to_hex(),
        )
    };
    let pending = signer.address() == job.buyer
        && client.get_job(job.buyer, job.id).await?.status == JobStatus::Pending;
    let cancel_transaction = if pending {
        // The provider may start it meanwhile: then there is nothing to cancel (its daemon
        // sees the closed stream and stops the workload).
        match signed(signer, || client.cancel_job(signer, job.id)).await {
            Ok(outcome) => Some(outcome.hash.to_hex()),
            Err(e) if e.abort_code().is_some() => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let after = client.get_stream(job.buyer, job.id).await?;
    let balance_after = client.balance(signer.address(), after.asset).await?;
    Ok(Receipt {
        job: job.to_string(),
        provider: after.payee.to_long_string(),
        asset: after.asset.0.to_long_string(),
        rate_per_hour: per_hour(after.rate_per_second.nanos_per_second()),
        billed_seconds: after.active_seconds(after.closed_at),
        deposited: after.deposited,
        paid_to_provider: after.paid,
        refunded: after.deposited.saturating_sub(after.paid),
        closed_at: after.closed_at,
        close_transaction,
        cancel_transaction,
        balance_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_names_the_limit_and_the_excess_and_counts_reservations() {
        let budget = Budget::new(1_000, 1_500);
        let refused = |r: Result<Reservation, BuyerError>| match r {
            Err(BuyerError::Budget(e)) => e,
            other => panic!("{other:?}"),
        };
        let first = budget.reserve("a deposit", 1_000, 0).unwrap();
        assert_eq!(budget.spent_last_hour(), 1_000);
        let e = refused(budget.reserve("a deposit", 1_001, 0));
        assert_eq!((e.limit, e.cap, e.over_by), ("max_per_rental", 1_000, 1));
        let e = refused(budget.reserve("a top-up", 600, 0));
        assert_eq!(
            (e.limit, e.would_be, e.over_by),
            ("max_per_hour", 1_600, 100)
        );
        let e = refused(budget.reserve("a top-up", 100, 950));
        assert_eq!((e.limit, e.over_by), ("max_per_rental", 50));
        assert!(e.to_string().contains("nothing was signed"), "{e}");
        budget.release(first);
        assert_eq!(budget.spent_last_hour(), 0);
        let _kept = budget.reserve("a top-up", 500, 500).unwrap();
        assert_eq!(budget.spent_last_hour(), 500);
    }

    #[test]
    fn a_recorded_budget_reloads_the_hour_and_refuses_what_it_cannot_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spent-last-hour");
        let now = now_ms();
        std::fs::write(
            &path,
            format!("{} 700\n{} 300\n", now - HOUR_MS - 1, now - 5),
        )
        .unwrap();
        let budget = Budget::new(1_000, 1_000).recorded_in(path.clone()).unwrap();
        assert_eq!(
            budget.spent_last_hour(),
            300,
            "the spend of over an hour ago is gone"
        );
        let kept = budget.reserve("a deposit", 600, 0).unwrap();
        let reloaded = Budget::new(1_000, 1_000).recorded_in(path.clone()).unwrap();
        assert_eq!(reloaded.spent_last_hour(), 900);
        budget.release(kept);
        let reloaded = Budget::new(1_000, 1_000).recorded_in(path.clone()).unwrap();
        assert_eq!(reloaded.spent_last_hour(), 300);

        // Two budgets on one record (two servers at once) count each other's spends.
        let other = Budget::new(1_000, 1_000).recorded_in(path.clone()).unwrap();
        let _ours = budget.reserve("a deposit", 400, 0).unwrap();
        let refused = other.reserve("a deposit", 301, 0).unwrap_err();
        assert_eq!(refused.code(), "BUDGET_EXCEEDED", "{refused}");
        let _theirs = other.reserve("a deposit", 300, 0).unwrap();
        assert_eq!(budget.spent_last_hour(), 1_000);

        std::fs::write(&path, "12 x\n").unwrap();
        let e = Budget::new(1, 1).recorded_in(path.clone()).unwrap_err();
        assert!(e.contains("line 1"), "{e}");

        // The directory is gone: the spend cannot be recorded, so it is refused.
        let budget = Budget::new(1_000, 1_000)
            .recorded_in(dir.path().join("gone").join("spent-last-hour"))
            .unwrap();
        let e = budget.reserve("a deposit", 10, 0).unwrap_err();
        assert_eq!(e.code(), "BUDGET_RECORD", "{e}");
        assert_eq!(budget.spent_last_hour(), 0);
    }

    #[test]
    fn requirements_pick_by_gpu_memory_and_price() {
        let offer = Offer {
            provider: "0xb0b".into(),
            gpu_type: "H100".into(),
            vram_gb: 80,
            price_per_hour: 3_600,
            price_per_second_nanos: "1000000000".into(),
            available: true,
            active_jobs: 0,
            endpoint: "http://p".into(),
        };
        let wants = |g: Option<&str>, v: Option<u64>, p: Option<u64>| Requirements {
            gpu_type: g.map(Into::into),
            min_vram_gb: v,
            max_price_per_hour: p,
        };
        assert!(wants(None, None, None).admits(&offer));
        assert!(wants(Some("h100"), Some(80), Some(3_600)).admits(&offer));
        assert!(!wants(Some("A100"), None, None).admits(&offer));
        assert!(!wants(None, Some(81), None).admits(&offer));
        assert!(!wants(None, None, Some(3_599)).admits(&offer));
        let no_daemon = Offer {
            endpoint: String::new(),
            ..offer
        };
        assert!(!wants(None, None, None).admits(&no_daemon));
    }
}
