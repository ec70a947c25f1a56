//! Paying a 402 without an HTTP client: a [`Payer`] reads the challenge (the
//! `PAYMENT-REQUIRED` header, or a v1 body), picks the first requirements its
//! [`SpendingPolicy`] allows, signs the payment, and after the paid request reads the receipt
//! and books the spend. [`super::PayingClient`] drives it with reqwest; the Python (httpx) and
//! Node (fetch) bindings drive the same payer with their own HTTP stacks.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use computestream_core::{Ledger, Signer};

use super::ClientError;
use crate::schemes::{TxnParams, pay};
use crate::wire::{
    self, PAYMENT_SIGNATURE, PaymentPayload, PaymentPayloadV1, PaymentRequired, PaymentRequiredV1,
    PaymentRequirements, ResourceInfo, SettleResponse, X_PAYMENT,
};

mod requirements;

/// Largest v1 402 body read.
pub(crate) const MAX_CHALLENGE_BODY: usize = 64 * 1024;

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

/// A signed payment for one request: set `header` to `value` and send the request again.
#[derive(Clone, Debug)]
pub struct Payment {
    /// `PAYMENT-SIGNATURE` (v2 challenge) or `X-PAYMENT` (v1).
    pub header: &'static str,
    /// The encoded payment.
    pub value: String,
    /// The requirements paid.
    pub requirements: PaymentRequirements,
    amount: u64,
}

/// Answers 402s under a spending policy, whatever carries the requests.
pub struct Payer {
    signer: Arc<Signer>,
    ledger: Arc<dyn Ledger + Send + Sync>,
    policy: SpendingPolicy,
    spent: Mutex<VecDeque<(Instant, u64)>>,
    docker_image: String,
}

impl std::fmt::Debug for Payer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payer")
            .field("payer", &self.signer.address())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

enum Challenge {
    V2(PaymentRequired),
    V1(PaymentRequiredV1),
}

impl Challenge {
    /// The `PAYMENT-REQUIRED` header if there is one, else the v1 JSON body.
    fn read(payment_required: Option<&str>, body: &[u8]) -> Result<Self, ClientError> {
        if let Some(text) = payment_required {
            return wire::decode_header(text)
                .map(Challenge::V2)
                .map_err(|e| ClientError::BadChallenge(e.to_string()));
        }
        if body.len() > MAX_CHALLENGE_BODY {
            return Err(ClientError::BadChallenge("402 body above 64 KiB".into()));
        }
        serde_json::from_slice(body)
            .map(Challenge::V1)
            .map_err(|e| {
                ClientError::BadChallenge(format!("neither PAYMENT-REQUIRED nor a v1 body: {e}"))
            })
    }

    fn offers(&self) -> (Vec<PaymentRequirements>, Option<ResourceInfo>) {
        match self {
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
        }
    }

    fn error(self) -> String {
        match self {
            Challenge::V2(c) => c.error.unwrap_or_default(),
            Challenge::V1(c) => c.error,
        }
    }
}

impl Payer {
    /// Pays as `signer`, reading sequence numbers and chain time from `ledger`.
    pub fn new(
        signer: Arc<Signer>,
        ledger: Arc<dyn Ledger + Send + Sync>,
        policy: SpendingPolicy,
    ) -> Self {
        Payer {
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

    /// The paying account.
    pub fn address(&self) -> computestream_core::AccountAddress {
        self.signer.address()
    }

    /// The policy payments are held to.
    pub fn policy(&self) -> &SpendingPolicy {
        &self.policy
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

    /// Answers a 402: `payment_required` is its `PAYMENT-REQUIRED` header, `body` its body
    /// (read only when there is no header: a v1 challenge). Reserves a sequence number and
    /// reads chain time from the ledger; nothing is signed when the policy refuses.
    pub async fn answer(
        &self,
        payment_required: Option<&str>,
        body: &[u8],
    ) -> Result<Payment, ClientError> {
        let challenge = Challenge::read(payment_required, body)?;
        let (accepts, resource) = challenge.offers();
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
        let (payment, amount) = self.sign(&requirements, resource).await?;
        let (header, value) = match &challenge {
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
        Ok(Payment {
            header,
            value,
            requirements,
            amount,
        })
    }

    /// Signs a payment for `requirements` (which the policy allows) within the hourly budget:
    /// reserves a sequence number and reads chain time from the ledger, and frees the
    /// sequence number again when signing fails. Books nothing.
    async fn sign(
        &self,
        requirements: &PaymentRequirements,
        resource: Option<ResourceInfo>,
    ) -> Result<(PaymentPayload, u64), ClientError> {
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
        let signed = match self.ledger.now_micros().await {
            Ok(micros) => pay(
                &self.signer,
                requirements,
                resource,
                TxnParams::new(sequence, micros / 1_000_000),
                &self.docker_image,
            )
            .map_err(ClientError::from),
            Err(e) => Err(e.into()),
        };
        if signed.is_err() {
            self.signer.resync();
        }
        Ok((signed?, amount))
    }

    /// Books `amount` as spent now.
    fn book(&self, amount: u64) {
        self.spent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((Instant::now(), amount));
    }

    /// Whether the paid request's response (its status and receipt header) is a refusal:
    /// a 402, or a 4xx without a settled receipt. [`Payer::conclude`] then needs the
    /// response's `PAYMENT-REQUIRED` header or body to say why.
    pub fn refused(status: u16, receipt_header: Option<&str>) -> bool {
        let settled = decode_receipt(receipt_header).is_some_and(|r| r.success);
        status == 402 || ((400..500).contains(&status) && !settled)
    }

    /// After the paid request: decodes the receipt (`PAYMENT-RESPONSE` or
    /// `X-PAYMENT-RESPONSE`), books the spend when it settled, frees the sequence number
    /// when it did not, and returns [`ClientError::Refused`] when [`Payer::refused`] holds
    /// (with the receipt's `errorReason`, else the new challenge's error).
    pub fn conclude(
        &self,
        payment: &Payment,
        status: u16,
        receipt_header: Option<&str>,
        payment_required: Option<&str>,
        body: &[u8],
    ) -> Result<Option<SettleResponse>, ClientError> {
        let receipt = decode_receipt(receipt_header);
        let settled = receipt.as_ref().is_some_and(|r| r.success);
        if !settled {
            // The transaction never landed: its sequence number is free again.
            self.signer.resync();
        }
        if Self::refused(status, receipt_header) {
            let (reason, message) = match receipt {
                Some(SettleResponse {
                    error_reason: Some(reason),
                    error_message,
                    ..
                }) => (reason, error_message),
                _ => {
                    let reason = match Challenge::read(payment_required, body) {
                        Ok(c) => c.error(),
                        Err(e) => e.to_string(),
                    };
                    let message = serde_json::from_slice::<serde_json::Value>(body)
                        .ok()
                        .and_then(|b| Some(b.get("invalidMessage")?.as_str()?.to_owned()));
                    (reason, message)
                }
            };
            return Err(ClientError::Refused {
                status,
                reason,
                message,
            });
        }
        if settled {
            self.book(payment.amount);
        }
        Ok(receipt)
    }
}

fn decode_receipt(header: Option<&str>) -> Option<SettleResponse> {
    header.and_then(|v| wire::decode_header::<SettleResponse>(v).ok())
}
