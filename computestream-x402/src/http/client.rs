//! A reqwest client that answers 402 by itself through a [`Payer`]: it sends the request,
//! lets the payer read the challenge and sign a payment, retries once with it, and returns
//! the response with the decoded receipt.

use std::sync::Arc;

use computestream_core::{Ledger, Signer};

use super::payer::{MAX_CHALLENGE_BODY, Payer, SpendingPolicy};
use crate::schemes::PayError;
use crate::wire::{
    PAYMENT_REQUIRED, PAYMENT_RESPONSE, PaymentRequirements, SettleResponse, X_PAYMENT_RESPONSE,
};

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
    #[error(
        "payment refused (HTTP {status}): {reason}{}",
        message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
    )]
    Refused {
        /// The status of the second response.
        status: u16,
        /// The server's error or `errorReason`.
        reason: String,
        /// What the server said beside it (`invalidMessage` or `errorMessage`), e.g. the Move
        /// abort that failed the payment's simulation.
        message: Option<String>,
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

/// The paying client: a reqwest client whose 402s a [`Payer`] answers.
#[derive(Debug)]
pub struct PayingClient {
    http: reqwest::Client,
    payer: Payer,
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
            payer: Payer::new(signer, ledger, policy),
        }
    }

    /// The container image a `stream` payment rents compute for.
    pub fn with_docker_image(mut self, image: impl Into<String>) -> Self {
        self.payer = self.payer.with_docker_image(image);
        self
    }

    /// The underlying reqwest client, to build requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The payer answering this client's 402s.
    pub fn payer(&self) -> &Payer {
        &self.payer
    }

    /// Spent over the last hour.
    pub fn spent_last_hour(&self) -> u64 {
        self.payer.spent_last_hour()
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
        let payment_required = header(&first, &[PAYMENT_REQUIRED]);
        let body = match payment_required {
            Some(_) => Vec::new(),
            None => read_limited(first).await?,
        };
        let payment = self
            .payer
            .answer(payment_required.as_deref(), &body)
            .await?;
        let mut retry = retry;
        retry.headers_mut().insert(
            payment.header,
            payment
                .value
                .parse()
                .map_err(|_| ClientError::BadChallenge("payment header".into()))?,
        );
        let second = self.http.execute(retry).await?;
        let status = second.status().as_u16();
        let receipt = header(&second, &[PAYMENT_RESPONSE, X_PAYMENT_RESPONSE]);
        let challenge = header(&second, &[PAYMENT_REQUIRED]);
        if Payer::refused(status, receipt.as_deref()) {
            // Read even beside a challenge header: the body says why (`invalidMessage`). A body
            // that cannot be read only loses that detail: the refusal is still concluded (which
            // frees the sequence number).
            let body = read_limited(second).await.unwrap_or_default();
            let refusal = self.payer.conclude(
                &payment,
                status,
                receipt.as_deref(),
                challenge.as_deref(),
                &body,
            );
            return Err(refusal.err().unwrap_or(ClientError::Refused {
                status,
                reason: String::new(),
                message: None,
            }));
        }
        let concluded = self
            .payer
            .conclude(&payment, status, receipt.as_deref(), None, &[])?;
        Ok(Paid {
            response: second,
            receipt: concluded,
            requirements: Some(payment.requirements),
        })
    }
}

fn header(response: &reqwest::Response, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|h| response.headers().get(*h))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    // Chunk by chunk, so a huge body is refused without being held.
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_CHALLENGE_BODY {
            return Err(ClientError::BadChallenge("402 body above 64 KiB".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
                message: None,
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
