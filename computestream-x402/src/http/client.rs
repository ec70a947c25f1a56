//! A reqwest client that answers 402 by itself: it reads the challenge (v2 header or v1
//! body), picks the first requirements its [`SpendingPolicy`] allows, signs the payment,
//! retries once with it, and returns the response with the decoded receipt.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_core::{Ledger, Signer};

use crate::schemes::{PayError, TxnParams, pay};
use crate::wire::{
    self, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, PaymentPayloadV1, PaymentRequired,
    PaymentRequiredV1, PaymentRequirements, ResourceInfo, SettleResponse, X_PAYMENT,
    X_PAYMENT_RESPONSE,
};

/// What the client may pay without asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendingPolicy {
    /// Largest single payment, in base units.
    pub max_per_payment: u64,
    /// Largest total over any rolling hour, in base units.
    pub max_per_hour: u64,
    /// CAIP-2 networks allowed (empty: any this crate supports).
    pub networks: Vec<String>,
    /// Asset addresses allowed, long form (empty: any).
    pub assets: Vec<String>,
    /// Schemes allowed.
    pub schemes: Vec<String>,
}

impl SpendingPolicy {
    /// At most `max_per_payment` per payment and `max_per_hour` per hour, any network and
    /// asset, both schemes.
    pub fn new(max_per_payment: u64, max_per_hour: u64) -> Self {
        SpendingPolicy {
            max_per_payment,
            max_per_hour,
            networks: vec![],
            assets: vec![],
            schemes: vec!["exact".into(), "stream".into()],
        }
    }

    fn refusal(&self, r: &PaymentRequirements) -> Option<String> {
        let amount: u64 = match r.amount.parse() {
            Ok(a) => a,
            Err(_) => return Some(format!("amount {:?} is not an integer", r.amount)),
        };
        let canon = |a: &str| {
            computestream_core::AccountAddress::from_hex(a)
                .map(|a| a.to_long_string())
                .unwrap_or_else(|_| a.to_string())
        };
        if !self.schemes.contains(&r.scheme) {
            Some(format!("scheme {} not allowed", r.scheme))
        } else if !self.networks.is_empty() && !self.networks.contains(&r.network) {
            Some(format!("network {} not allowed", r.network))
        } else if !self.assets.is_empty()
            && !self.assets.iter().any(|a| canon(a) == canon(&r.asset))
        {
            Some(format!("asset {} not allowed", r.asset))
        } else if amount > self.max_per_payment {
            Some(format!(
                "{amount} is above the per-payment cap {}",
                self.max_per_payment
            ))
        } else {
            None
        }
    }
}

/// Why a paid request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Transport failure.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The 402 could not be read.
    #[error("unreadable 402: {0}")]
    BadChallenge(String),
    /// No offered requirements are allowed by the policy.
    #[error("no acceptable payment: {0}")]
    NotAllowed(String),
    /// Paying would exceed the hourly budget.
    #[error("hourly budget: {spent} spent, {amount} more would exceed {cap}")]
    OverBudget {
        /// Spent in the last hour.
        spent: u64,
        /// This payment.
        amount: u64,
        /// The cap.
        cap: u64,
    },
    /// Building or signing the payment failed.
    #[error(transparent)]
    Pay(#[from] PayError),
    /// The ledger (sequence number, time) failed.
    #[error("ledger: {0}")]
    Ledger(#[from] computestream_core::Error),
    /// The request body cannot be sent twice (a stream body).
    #[error("the request cannot be retried with a payment (streaming body)")]
    NotRetryable,
    /// The server refused the payment.
    #[error("payment refused (HTTP {status}): {reason}")]
    Refused {
        /// The status of the second response.
        status: u16,
        /// The server's error or `errorReason`.
        reason: String,
    },
}

impl ClientError {
    /// A stable code for programs and bindings to match on (messages may change; codes do
    /// not):
    ///
    /// - `TRANSPORT_ERROR`: [`ClientError::Http`], the request did not complete.
    /// - `INVALID_CHALLENGE`: [`ClientError::BadChallenge`], the 402 carried no readable
    ///   `PAYMENT-REQUIRED` header or v1 body.
    /// - `PAYMENT_NOT_ALLOWED`: [`ClientError::NotAllowed`], the spending policy allows none
    ///   of the offered requirements.
    /// - `BUDGET_EXCEEDED`: [`ClientError::OverBudget`], paying would pass the hourly cap.
    /// - [`ClientError::Pay`]: the inner [`PayError::code`] (`UNSUPPORTED_SCHEME_OR_NETWORK`,
    ///   `INVALID_REQUIREMENTS`, `INVALID_TXN_PARAMS`, `SIGNING_FAILED`).
    /// - `LEDGER_ERROR`: [`ClientError::Ledger`], the sequence number or chain time could not
    ///   be read.
    /// - `REQUEST_NOT_RETRYABLE`: [`ClientError::NotRetryable`], the request has a streaming
    ///   body and cannot be sent again with a payment.
    /// - `PAYMENT_REFUSED`: [`ClientError::Refused`], the server refused the payment.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Http(_) => "TRANSPORT_ERROR",
            ClientError::BadChallenge(_) => "INVALID_CHALLENGE",
            ClientError::NotAllowed(_) => "PAYMENT_NOT_ALLOWED",
            ClientError::OverBudget { .. } => "BUDGET_EXCEEDED",
            ClientError::Pay(e) => e.code(),
            ClientError::Ledger(_) => "LEDGER_ERROR",
            ClientError::NotRetryable => "REQUEST_NOT_RETRYABLE",
            ClientError::Refused { .. } => "PAYMENT_REFUSED",
        }
    }
}

/// A response, with what was paid for it.
#[derive(Debug)]
pub struct Paid {
    /// The final response.
    pub response: reqwest::Response,
    /// The settlement receipt (`PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE`), if paid.
    pub receipt: Option<SettleResponse>,
    /// The requirements paid, if any.
    pub requirements: Option<PaymentRequirements>,
}

/// The paying client.
pub struct PayingClient {
    http: reqwest::Client,
    signer: Arc<Signer>,
    ledger: Arc<dyn Ledger + Send + Sync>,
    policy: SpendingPolicy,
    spent: Mutex<VecDeque<(Instant, u64)>>,
    docker_image: String,
}

impl std::fmt::Debug for PayingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayingClient")
            .field("payer", &self.signer.address())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

enum Challenge {
    V2(PaymentRequired),
    V1(PaymentRequiredV1),
}

impl PayingClient {
    /// Pays as `signer`, reading sequence numbers and chain time from `ledger`.
    pub fn new(
        signer: Arc<Signer>,
        ledger: Arc<dyn Ledger + Send + Sync>,
        policy: SpendingPolicy,
    ) -> Self {
        PayingClient {
            http: super::http_client(),
            signer,
            ledger,
            policy,
            spent: Mutex::new(VecDeque::new()),
            docker_image: String::new(),
        }
    }

    /// The container image a `stream` payment rents compute for.
    pub fn with_docker_image(mut self, image: impl Into<String>) -> Self {
        self.docker_image = image.into();
        self
    }

    /// The underlying reqwest client, to build requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Spent over the last hour.
    pub fn spent_last_hour(&self) -> u64 {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let hour = Duration::from_secs(3600);
        while spent.front().is_some_and(|(t, _)| t.elapsed() >= hour) {
            spent.pop_front();
        }
        spent.iter().map(|(_, a)| a).sum()
    }

    /// `GET url`, paying if asked.
    pub async fn get(&self, url: &str) -> Result<Paid, ClientError> {
        self.execute(self.http.get(url).build()?).await
    }

    /// Sends `request`; on 402 pays under the policy and sends it again.
    pub async fn execute(&self, request: reqwest::Request) -> Result<Paid, ClientError> {
        let retry = request.try_clone().ok_or(ClientError::NotRetryable)?;
        let first = self.http.execute(request).await?;
        if first.status().as_u16() != 402 {
            return Ok(Paid {
                response: first,
                receipt: None,
                requirements: None,
            });
        }
        let challenge = read_challenge(first).await?;
        let (accepts, resource) = match &challenge {
            Challenge::V2(c) => (c.accepts.clone(), Some(c.resource.clone())),
            Challenge::V1(c) => (
                c.accepts
                    .iter()
                    .map(|r| PaymentRequirements {
                        scheme: r.scheme.clone(),
                        network: r.network.clone(),
                        amount: r.max_amount_required.clone(),
                        asset: r.asset.clone(),
                        pay_to: r.pay_to.clone(),
                        max_timeout_seconds: r.max_timeout_seconds,
                        extra: r.extra.clone().unwrap_or_default(),
                    })
                    .collect(),
                c.accepts.first().map(|r| ResourceInfo {
                    url: r.resource.clone(),
                    description: Some(r.description.clone()),
                    mime_type: Some(r.mime_type.clone()),
                }),
            ),
        };
        let mut refusals = vec![];
        let chosen = accepts.iter().find(|r| match self.policy.refusal(r) {
            None => crate::Network::from_caip2(&r.network).is_some(),
            Some(why) => {
                refusals.push(why);
                false
            }
        });
        let Some(requirements) = chosen.cloned() else {
            return Err(ClientError::NotAllowed(if refusals.is_empty() {
                "no supported network offered".into()
            } else {
                refusals.join("; ")
            }));
        };
        let amount: u64 = requirements.amount.parse().unwrap_or(u64::MAX);
        let spent = self.spent_last_hour();
        if spent.saturating_add(amount) > self.policy.max_per_hour {
            return Err(ClientError::OverBudget {
                spent,
                amount,
                cap: self.policy.max_per_hour,
            });
        }
        let sequence = self.signer.reserve_sequence_number(&*self.ledger).await?;
        let now = self.ledger.now_micros().await? / 1_000_000;
        let payment = pay(
            &self.signer,
            &requirements,
            resource,
            TxnParams::new(sequence, now),
            &self.docker_image,
        )?;
        let mut retry = retry;
        let (name, value) = match &challenge {
            Challenge::V2(_) => (PAYMENT_SIGNATURE, wire::encode_header(&payment)),
            Challenge::V1(_) => (
                X_PAYMENT,
                wire::encode_header(&PaymentPayloadV1 {
                    x402_version: 1,
                    scheme: requirements.scheme.clone(),
                    network: requirements.network.clone(),
                    payload: payment.payload.clone(),
                }),
            ),
        };
        retry.headers_mut().insert(
            name,
            value
                .parse()
                .map_err(|_| ClientError::BadChallenge("payment header".into()))?,
        );
        let second = self.http.execute(retry).await?;
        let receipt = [PAYMENT_RESPONSE, X_PAYMENT_RESPONSE]
            .iter()
            .find_map(|h| second.headers().get(*h))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| wire::decode_header::<SettleResponse>(v).ok());
        let settled = receipt.as_ref().is_some_and(|r| r.success);
        if !settled {
            // The transaction never landed: its sequence number is free again.
            self.signer.resync();
        }
        if second.status().as_u16() == 402 || (second.status().is_client_error() && !settled) {
            let status = second.status().as_u16();
            let reason = match receipt.and_then(|r| r.error_reason) {
                Some(r) => r,
                None => match read_challenge(second).await {
                    Ok(Challenge::V2(c)) => c.error.unwrap_or_default(),
                    Ok(Challenge::V1(c)) => c.error,
                    Err(e) => e.to_string(),
                },
            };
            return Err(ClientError::Refused { status, reason });
        }
        if settled {
            self.spent
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_back((Instant::now(), amount));
        }
        Ok(Paid {
            response: second,
            receipt,
            requirements: Some(requirements),
        })
    }
}

async fn read_challenge(response: reqwest::Response) -> Result<Challenge, ClientError> {
    if let Some(h) = response.headers().get(PAYMENT_REQUIRED) {
        let text = h
            .to_str()
            .map_err(|e| ClientError::BadChallenge(e.to_string()))?;
        return wire::decode_header(text)
            .map(Challenge::V2)
            .map_err(|e| ClientError::BadChallenge(e.to_string()));
    }
    let body = response.bytes().await?;
    if body.len() > 64 * 1024 {
        return Err(ClientError::BadChallenge("402 body above 64 KiB".into()));
    }
    serde_json::from_slice(&body)
        .map(Challenge::V1)
        .map_err(|e| {
            ClientError::BadChallenge(format!("neither PAYMENT-REQUIRED nor a v1 body: {e}"))
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schemes::tests::every_pay_error;

    /// One of each variant but [`ClientError::Pay`] (which answers [`PayError::code`]).
    pub(crate) fn every_own_client_error() -> Vec<ClientError> {
        let http = super::super::http_client()
            .get("not a url")
            .build()
            .unwrap_err();
        vec![
            ClientError::Http(http),
            ClientError::BadChallenge(String::new()),
            ClientError::NotAllowed(String::new()),
            ClientError::OverBudget {
                spent: 0,
                amount: 0,
                cap: 0,
            },
            ClientError::Ledger(computestream_core::Error::NotFound(String::new())),
            ClientError::NotRetryable,
            ClientError::Refused {
                status: 402,
                reason: String::new(),
            },
        ]
    }

    #[test]
    fn every_client_error_has_a_stable_code_distinct_from_the_others() {
        let pay = every_pay_error().map(ClientError::Pay);
        let codes: Vec<_> = every_own_client_error()
            .iter()
            .chain(&pay)
            .map(ClientError::code)
            .collect();
        crate::tests::assert_stable_codes(&codes);
    }
}
