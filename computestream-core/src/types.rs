//! Domain types. The record structs (`Provider`, `Job`, `Escrow`, `Stream`) have the exact
//! field order of the Move view structs, so a view's BCS output decodes straight into them.

use std::fmt;
use std::str::FromStr;

pub use aptos_sdk::types::AccountAddress;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::math::{self, NEVER, RATE_SCALE};

/// A fungible asset, named by its metadata object's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssetId(pub AccountAddress);

impl AssetId {
    /// The chain's native coin as a fungible asset (`0xa`): MOVE on Movement, APT on Aptos.
    pub const NATIVE: AssetId = AssetId(AccountAddress::A);

    /// The metadata address.
    pub const fn address(self) -> AccountAddress {
        self.0
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_long_string())
    }
}

impl FromStr for AssetId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        parse_address(s).map(AssetId)
    }
}

/// The address whose last eight bytes are `value` (`0x1`, `0xa`, `0xcafe`, ...), usable in
/// constants.
pub const fn address_from_u64(value: u64) -> AccountAddress {
    let mut bytes = [0u8; 32];
    let be = value.to_be_bytes();
    let mut i = 0;
    while i < 8 {
        bytes[24 + i] = be[i];
        i += 1;
    }
    AccountAddress::new(bytes)
}

/// Parses `0x`-prefixed short or long hex into an address, with a typed error.
pub fn parse_address(s: &str) -> Result<AccountAddress> {
    AccountAddress::from_hex(s).map_err(|e| Error::InvalidArgument(format!("address {s:?}: {e}")))
}

/// A job: job ids count per buyer, so a job is named by its buyer and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId {
    /// The account that created the job and funds it.
    pub buyer: AccountAddress,
    /// The buyer's job counter at creation (the first job is 1).
    #[serde(with = "crate::serde_dec")]
    pub id: u64,
}

impl JobId {
    /// A job id.
    pub const fn new(buyer: AccountAddress, id: u64) -> Self {
        JobId { buyer, id }
    }
}

impl fmt::Display for JobId {
    /// `0x<buyer, long form>/<id>`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.buyer.to_long_string(), self.id)
    }
}

impl FromStr for JobId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (buyer, id) = s.split_once('/').ok_or_else(|| {
            Error::InvalidArgument(format!("job id {s:?}: expected <buyer>/<id>"))
        })?;
        let id = id
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("job id {s:?}: {id:?} is not a u64")))?;
        Ok(JobId {
            buyer: parse_address(buyer)?,
            id,
        })
    }
}

/// An amount in an asset's base units.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(#[serde(with = "crate::serde_dec")] pub u64);

impl Amount {
    /// Parses a decimal amount (`"2.5"`) in an asset with `decimals` decimals into base units.
    /// More fractional digits than `decimals`, or a value above `u64::MAX`, is an error.
    pub fn from_decimal(s: &str, decimals: u8) -> Result<Amount> {
        let bad = |why: &str| Error::InvalidArgument(format!("amount {s:?}: {why}"));
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(bad("empty"));
        }
        if !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(bad("not a decimal number"));
        }
        if frac.len() > usize::from(decimals) {
            return Err(bad("more fractional digits than the asset has decimals"));
        }
        let digits = format!("{whole}{frac:0<width$}", width = usize::from(decimals));
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Ok(Amount(0));
        }
        digits
            .parse::<u64>()
            .map(Amount)
            .map_err(|_| bad("above u64::MAX base units"))
    }

    /// Formats base units as a decimal with `decimals` decimals, trailing zeros trimmed.
    pub fn to_decimal(self, decimals: u8) -> String {
        let scale = 10u128.pow(u32::from(decimals));
        let (whole, frac) = (u128::from(self.0) / scale, u128::from(self.0) % scale);
        if frac == 0 {
            return whole.to_string();
        }
        let frac = format!("{frac:0>width$}", width = usize::from(decimals));
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A streaming rate in nano-units: 1e-9 base unit per second, as the contracts store it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rate(#[serde(with = "crate::serde_dec")] pub u128);

impl Rate {
    /// A rate given directly in nano-units per second.
    pub const fn from_nanos_per_second(nanos: u128) -> Rate {
        Rate(nanos)
    }

    /// `units` base units per second (exact).
    pub const fn per_second(units: u64) -> Rate {
        Rate(units as u128 * RATE_SCALE)
    }

    /// `units` base units per minute, floored to the nano-unit (error < 1e-9 unit/s).
    pub const fn per_minute(units: u64) -> Rate {
        Rate(units as u128 * RATE_SCALE / 60)
    }

    /// `units` base units per hour, floored to the nano-unit (error < 1e-9 unit/s,
    /// < 3.6e-6 unit per hour).
    pub const fn per_hour(units: u64) -> Rate {
        Rate(units as u128 * RATE_SCALE / 3600)
    }

    /// The nano-units per second.
    pub const fn nanos_per_second(self) -> u128 {
        self.0
    }

    /// What `seconds` of streaming at this rate owe, floored to a base unit (uncapped).
    pub fn amount_for(self, seconds: u64) -> u128 {
        math::accrued(self.0, seconds)
    }
}

impl fmt::Display for Rate {
    /// Base units per second with up to nine decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / RATE_SCALE, self.0 % RATE_SCALE);
        if frac == 0 {
            write!(f, "{whole}/s")
        } else {
            let frac = format!("{frac:09}");
            write!(f, "{whole}.{}/s", frac.trim_end_matches('0'))
        }
    }
}

/// A job's status. Pending → Running → Completed | Failed; Pending → Cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum JobStatus {
    /// Created, not yet started by the provider.
    Pending = 0,
    /// Started by the provider.
    Running = 1,
    /// Completed by the provider.
    Completed = 2,
    /// Failed by the provider.
    Failed = 3,
    /// Cancelled by the buyer before it started.
    Cancelled = 4,
}

impl JobStatus {
    /// Whether the status machine has the edge `self → next`.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (Pending, Running) | (Running, Completed) | (Running, Failed) | (Pending, Cancelled)
        )
    }

    /// Completed, failed or cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

impl TryFrom<u8> for JobStatus {
    type Error = String;
    fn try_from(v: u8) -> std::result::Result<Self, String> {
        Ok(match v {
            0 => JobStatus::Pending,
            1 => JobStatus::Running,
            2 => JobStatus::Completed,
            3 => JobStatus::Failed,
            4 => JobStatus::Cancelled,
            other => return Err(format!("unknown job status {other}")),
        })
    }
}

impl From<JobStatus> for u8 {
    fn from(s: JobStatus) -> u8 {
        s as u8
    }
}

impl JobStatus {
    /// `pending`, `running`, `completed`, `failed` or `cancelled`: the name the bindings and
    /// the MCP server give the status (Python's and Node's `Job.status`).
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `provider_registry::ProviderInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// The provider's account.
    pub provider: AccountAddress,
    /// e.g. `"H100"`.
    pub gpu_type: String,
    /// GPU memory in GB.
    #[serde(with = "crate::serde_dec")]
    pub vram_gb: u64,
    /// Price in nano-units per second of the asset a buyer streams.
    pub price_per_second: Rate,
    /// Native-coin stake held by the registry until deregistration.
    #[serde(with = "crate::serde_dec")]
    pub stake: u64,
    /// Whether the provider accepts new jobs.
    pub is_active: bool,
    /// Jobs pending or running.
    #[serde(with = "crate::serde_dec")]
    pub active_jobs: u64,
    /// Chain time of registration, seconds.
    #[serde(with = "crate::serde_dec")]
    pub registered_at: u64,
    /// The provider's service URL (its x402 endpoint); empty until it publishes one.
    pub endpoint: String,
}

/// `job_registry::JobInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The buyer.
    pub buyer: AccountAddress,
    /// The buyer's job counter.
    #[serde(with = "crate::serde_dec")]
    pub job_id: u64,
    /// The provider that runs it.
    pub provider: AccountAddress,
    /// The container to run.
    pub docker_image: String,
    /// The escrow the buyer declared at creation.
    #[serde(with = "crate::serde_dec")]
    pub escrow_amount: u64,
    /// Seconds after start at which billing stops.
    #[serde(with = "crate::serde_dec")]
    pub max_duration: u64,
    /// The status.
    pub status: JobStatus,
    /// Chain time of creation.
    #[serde(with = "crate::serde_dec")]
    pub created_at: u64,
    /// Chain time of start (0 until started).
    #[serde(with = "crate::serde_dec")]
    pub started_at: u64,
    /// Chain time of completion, failure or cancellation (0 until then).
    #[serde(with = "crate::serde_dec")]
    pub ended_at: u64,
    /// Where the provider put the output (set on completion).
    pub output_url: String,
}

impl Job {
    /// The job's id.
    pub fn id(&self) -> JobId {
        JobId::new(self.buyer, self.job_id)
    }
}

/// `escrow::EscrowInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escrow {
    /// Who deposited and gets refunds.
    pub payer: AccountAddress,
    /// The job it funds.
    #[serde(with = "crate::serde_dec")]
    pub job_id: u64,
    /// The provider, the only receiver of payments.
    pub payee: AccountAddress,
    /// The escrowed asset.
    pub asset: AssetId,
    /// Deposit plus top-ups.
    #[serde(with = "crate::serde_dec")]
    pub deposited: u64,
    /// Paid to the payee so far.
    #[serde(with = "crate::serde_dec")]
    pub paid: u64,
    /// Refunded to the payer so far.
    #[serde(with = "crate::serde_dec")]
    pub refunded: u64,
    /// False once settled and refunded.
    pub is_active: bool,
    /// Whether a stream draws on it.
    pub has_stream: bool,
}

impl Escrow {
    /// Held by the contract: `deposited - paid - refunded`.
    pub fn held(&self) -> u64 {
        self.deposited - self.paid - self.refunded
    }
}

/// `payment_stream::StreamInfo`: the stream's state and its escrow's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    /// The buyer.
    pub payer: AccountAddress,
    /// The job.
    #[serde(with = "crate::serde_dec")]
    pub job_id: u64,
    /// The provider.
    pub payee: AccountAddress,
    /// The streamed asset.
    pub asset: AssetId,
    /// Nano-units per second.
    pub rate_per_second: Rate,
    /// Chain time the stream was opened.
    #[serde(with = "crate::serde_dec")]
    pub opened_at: u64,
    /// Start of accrual ([`NEVER`] until the job starts).
    #[serde(with = "crate::serde_dec")]
    pub window_start: u64,
    /// End of accrual: job start + max duration, job end or stream close ([`NEVER`] if open-ended).
    #[serde(with = "crate::serde_dec")]
    pub window_end: u64,
    /// Whether paused.
    pub is_paused: bool,
    /// When the current pause began (meaningful while paused).
    #[serde(with = "crate::serde_dec")]
    pub paused_at: u64,
    /// Paused and unfunded seconds banked so far.
    #[serde(with = "crate::serde_dec")]
    pub excluded_seconds: u64,
    /// Whether closed.
    pub is_closed: bool,
    /// Chain time of close (meaningful once closed).
    #[serde(with = "crate::serde_dec")]
    pub closed_at: u64,
    /// The escrow's deposits.
    #[serde(with = "crate::serde_dec")]
    pub deposited: u64,
    /// The escrow's payments so far.
    #[serde(with = "crate::serde_dec")]
    pub paid: u64,
}

impl Stream {
    /// Active seconds up to chain time `now`.
    pub fn active_seconds(&self, now: u64) -> u64 {
        let paused_at = self.is_paused.then_some(self.paused_at);
        math::active_seconds(
            self.window_start,
            self.window_end,
            paused_at,
            self.excluded_seconds,
            now,
        )
    }

    /// What the payee is owed in total at `now` (paid or not).
    pub fn owed_at(&self, now: u64) -> u64 {
        math::owed(
            self.deposited,
            self.rate_per_second.0,
            self.active_seconds(now),
        )
    }

    /// What a settlement at `now` would pay.
    pub fn claimable_at(&self, now: u64) -> u64 {
        self.owed_at(now).saturating_sub(self.paid)
    }

    /// What a close at `now` would refund to the payer.
    pub fn refundable_at(&self, now: u64) -> u64 {
        if self.is_closed {
            0
        } else {
            self.deposited - self.owed_at(now)
        }
    }

    /// When the deposits will be fully owed ([`NEVER`] if not under the current state).
    pub fn depletion_time(&self, now: u64) -> u64 {
        if self.is_closed {
            return NEVER;
        }
        math::depletion_time(
            self.window_start,
            self.window_end,
            self.is_paused,
            self.deposited,
            self.rate_per_second.0,
            self.active_seconds(now),
            now,
        )
    }

    /// Whether the stream is paying its payee at `now`: open, not paused, inside its window
    /// and not depleted.
    pub fn is_accruing(&self, now: u64) -> bool {
        !self.is_closed
            && !self.is_paused
            && self.window_start != NEVER
            && now >= self.window_start
            && now < self.window_end
            && self.owed_at(now) < self.deposited
    }

    /// Whether a provider should keep serving this stream at `now`: open, not paused, its
    /// window not over, and funds left (a stream whose job has not started yet counts: the
    /// provider starts it). The gate and the scheduler's provider-side check use this.
    pub fn is_paying(&self, now: u64) -> bool {
        !self.is_closed
            && !self.is_paused
            && now < self.window_end
            && self.owed_at(now) < self.deposited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_decimals_and_reject_bad_input() {
        assert_eq!(Amount::from_decimal("2.5", 6).unwrap(), Amount(2_500_000));
        assert_eq!(Amount::from_decimal("0.000001", 6).unwrap(), Amount(1));
        assert_eq!(Amount::from_decimal(".5", 1).unwrap(), Amount(5));
        assert_eq!(Amount(2_500_000).to_decimal(6), "2.5");
        assert_eq!(Amount(7).to_decimal(0), "7");
        for bad in [
            "",
            ".",
            "1.0000001",
            "-1",
            "1e6",
            "18446744073709551616",
            " 1",
        ] {
            assert!(Amount::from_decimal(bad, 6).is_err(), "{bad:?}");
        }
        assert_eq!(
            Amount::from_decimal("18446744073709551615", 0).unwrap(),
            Amount(u64::MAX)
        );
    }

    #[test]
    fn rates_convert_and_display() {
        assert_eq!(Rate::per_second(3), Rate(3_000_000_000));
        assert_eq!(Rate::per_minute(60), Rate::per_second(1));
        assert_eq!(Rate::per_hour(2_000_000).0, 555_555_555_555);
        assert_eq!(Rate::per_hour(2_000_000).to_string(), "555.555555555/s");
        assert_eq!(
            Rate::per_second(u64::MAX).0,
            u128::from(u64::MAX) * RATE_SCALE
        );
    }

    #[test]
    fn job_ids_parse_and_print() {
        let id: JobId = "0xbeef/42".parse().unwrap();
        assert_eq!(id.id, 42);
        assert_eq!(id.to_string().parse::<JobId>().unwrap(), id);
        assert!("0xbeef".parse::<JobId>().is_err());
        assert!("0xbeef/x".parse::<JobId>().is_err());
        assert!("zz/1".parse::<JobId>().is_err());
    }

    #[test]
    fn status_machine_has_exactly_the_four_edges() {
        use JobStatus::*;
        let all = [Pending, Running, Completed, Failed, Cancelled];
        let edges: Vec<_> = all
            .iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            edges,
            vec![
                (Pending, Running),
                (Pending, Cancelled),
                (Running, Completed),
                (Running, Failed)
            ]
        );
        assert!(JobStatus::try_from(5).is_err());
    }
}
