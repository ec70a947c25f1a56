//! The provider's question about a stream: is it still paying, and for how long?

use crate::client::ContractClient;
use crate::contract::View;
use crate::error::Result;
use crate::ledger::Ledger;
use crate::types::{JobId, Stream};

/// Provider side: is this stream still paying, and for how long? For the x402 gate and
/// the CLI. `seconds_left` is `None` when it is not accruing or never depletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayingStatus {
    /// Serve it.
    pub paying: bool,
    /// Funded seconds left.
    pub seconds_left: Option<u64>,
    /// Claimable now.
    pub claimable: u64,
}

/// Reads `job`'s stream and answers "is it still paying me?".
pub async fn paying_status<L: Ledger + ?Sized>(
    client: &ContractClient<L>,
    job: JobId,
) -> Result<PayingStatus> {
    let now = client.now_seconds().await?;
    let stream: Stream = client
        .view(&View::GetStream {
            payer: job.buyer,
            job_id: job.id,
        })
        .await?;
    let depletion = stream.depletion_time(now);
    Ok(PayingStatus {
        paying: stream.is_paying(now),
        seconds_left: (stream.is_accruing(now) && depletion != crate::math::NEVER)
            .then(|| depletion.saturating_sub(now)),
        claimable: stream.claimable_at(now),
    })
}
