//! The facilitator: verification with the ledger (balance, simulation) on top of the local
//! rules, and settlement (co-sign as fee payer, submit, wait). [`LocalFacilitator`] runs over
//! any [`Ledger`]; the HTTP client and server for `/verify`, `/settle` and `/supported` are in
//! [`crate::http`].

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use computestream_core::contract::ViewRequest;
use computestream_core::{AccountAddress, Ledger, Signer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Network;
use crate::aptos::VerifyPolicy;
use crate::reason::{Invalid, Reason};
use crate::schemes::{Scheme, Verified, verify_local};
use crate::wire::{
    PaymentPayload, PaymentPayloadRef, PaymentRequirements, SettleResponse, VerifyResponse,
};

/// `PAYMENT-RESPONSE.extra` member carrying the opened stream's job (`0x<payer>/<id>`).
pub const JOB_ID_EXTRA: &str = "jobId";

/// A facilitator could not be reached or answered nonsense (not a payment verdict).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("facilitator: {0}")]
pub struct FacilitatorError(pub String);

impl FacilitatorError {
    /// A stable code for programs and bindings to match on: always `FACILITATOR_ERROR` (the
    /// facilitator failed to answer; a payment it judged invalid is not an error but a
    /// [`VerifyResponse`] or [`SettleResponse`] with its reason).
    pub fn code(&self) -> &'static str {
        "FACILITATOR_ERROR"
    }
}

/// One `(version, scheme, network)` a facilitator handles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedKind {
    /// x402 version.
    pub x402_version: u64,
    /// Scheme.
    pub scheme: String,
    /// Network.
    pub network: String,
    /// `feePayer` for sponsored kinds.
    #[serde(default)]
    pub extra: Map<String, Value>,
}

/// `GET /supported`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedResponse {
    /// The kinds.
    pub kinds: Vec<SupportedKind>,
    /// Extensions honoured.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Fee payer addresses by network.
    #[serde(default)]
    pub signers: Map<String, Value>,
}

/// The body of `POST /verify` and `POST /settle`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilitatorRequest {
    /// 2.
    pub x402_version: u64,
    /// The client's payment.
    pub payment_payload: PaymentPayload,
    /// The server's requirements it matched.
    pub payment_requirements: PaymentRequirements,
}

/// The `/verify` answer for a verification outcome: the payer when valid; the scheme's x402
/// `invalidReason` and the details when not.
pub fn verify_response(outcome: &Result<Verified, Invalid>, scheme: &str) -> VerifyResponse {
    match outcome {
        Ok(v) => VerifyResponse {
            is_valid: true,
            invalid_reason: None,
            invalid_message: None,
            payer: Some(v.payment.sender().to_long_string()),
            extra: None,
        },
        Err(invalid) => VerifyResponse {
            is_valid: false,
            invalid_reason: Some(invalid.invalid_reason(scheme)),
            invalid_message: Some(invalid.message.clone()),
            payer: None,
            extra: None,
        },
    }
}

/// Verifies and settles payments. Payments come borrowed, as a server decoded them; pass an
/// owned [`PaymentPayload`] as [`PaymentPayload::view`].
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
pub trait Facilitator: Send + Sync {
    /// Checks a payment without moving funds.
    async fn verify(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<VerifyResponse, FacilitatorError>;

    /// Verifies again and executes the payment.
    async fn settle(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<SettleResponse, FacilitatorError>;

    /// What it handles.
    async fn supported(&self) -> Result<SupportedResponse, FacilitatorError>;
}

// Transient values, moved once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Slot {
    InFlight {
        expires: u64,
    },
    Settled {
        expires: u64,
        response: SettleResponse,
    },
}

/// Locks a payment by digest from settlement start until it expires: a second settlement of
/// the same payment, while one is in flight or after it succeeded, is refused (the chain would
/// refuse the transaction anyway once its sequence number is spent). The successful receipt is
/// kept, for a gate's idempotent retries and to name the transaction in the refusal.
#[derive(Default)]
pub struct ReplayGuard {
    slots: Mutex<HashMap<[u8; 32], Slot>>,
}

impl std::fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayGuard").finish_non_exhaustive()
    }
}

/// What [`ReplayGuard::begin`] found.
#[derive(Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Begin {
    /// Locked for this caller.
    Locked,
    /// Being settled by someone else.
    InFlight,
    /// Already settled.
    Settled(SettleResponse),
}

impl ReplayGuard {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks `digest` until `expires` (chain seconds) unless it is locked or settled.
    pub fn begin(&self, digest: [u8; 32], expires: u64, now: u64) -> Begin {
        let mut slots = self.slots();
        if slots.len() > 4096 {
            slots.retain(|_, s| match s {
                Slot::InFlight { expires } | Slot::Settled { expires, .. } => *expires >= now,
            });
        }
        match slots.get(&digest) {
            Some(Slot::InFlight { .. }) => Begin::InFlight,
            Some(Slot::Settled { response, .. }) => Begin::Settled(response.clone()),
            None => {
                slots.insert(digest, Slot::InFlight { expires });
                Begin::Locked
            }
        }
    }

    /// The receipt of `digest`'s successful settlement, if it has one; nothing is locked.
    pub fn settled(&self, digest: [u8; 32]) -> Option<SettleResponse> {
        match self.slots().get(&digest) {
            Some(Slot::Settled { response, .. }) => Some(response.clone()),
            _ => None,
        }
    }

    /// Records the outcome: a success stays until expiry, a failure unlocks.
    pub fn finish(&self, digest: [u8; 32], expires: u64, response: &SettleResponse) {
        let mut slots = self.slots();
        if response.success {
            slots.insert(
                digest,
                Slot::Settled {
                    expires,
                    response: response.clone(),
                },
            );
        } else {
            slots.remove(&digest);
        }
    }
}

/// The answer to a second settlement of a payment: what the reference facilitators answer
/// (`success: false`, `errorReason: "duplicate_settlement"`, no transaction), with the first
/// settlement's transaction in `errorMessage` once there is one.
fn duplicate(
    requirements: &PaymentRequirements,
    first: Option<&SettleResponse>,
    payer: Option<String>,
) -> SettleResponse {
    let mut r = SettleResponse::failure(
        &requirements.network,
        Reason::DuplicateSettlement.code(&requirements.scheme),
        payer,
    );
    r.error_message = Some(match first {
        Some(first) => format!("already settled in transaction {}", first.transaction),
        None => "a settlement of this payment is in flight".into(),
    });
    r
}

/// A facilitator over a [`Ledger`]: the ledger's network, its fee payers, the contracts
/// (for the `stream` scheme's job id).
pub struct LocalFacilitator<L> {
    ledger: L,
    network: Network,
    contract: AccountAddress,
    fee_payers: Vec<Signer>,
    policy: VerifyPolicy,
    replay: ReplayGuard,
}

impl<L> std::fmt::Debug for LocalFacilitator<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFacilitator")
            .field("network", &self.network)
            .field("contract", &self.contract)
            .field("fee_payers", &self.policy.fee_payers)
            .finish_non_exhaustive()
    }
}

impl<L: Ledger + Send + Sync> LocalFacilitator<L> {
    /// A facilitator for `network` over `ledger`; `fee_payers` sponsor gas when the
    /// requirements name one of them.
    pub fn new(
        ledger: L,
        network: Network,
        contract: AccountAddress,
        fee_payers: Vec<Signer>,
    ) -> Self {
        let policy = VerifyPolicy {
            fee_payers: fee_payers.iter().map(Signer::address).collect(),
        };
        LocalFacilitator {
            ledger,
            network,
            contract,
            fee_payers,
            policy,
            replay: ReplayGuard::default(),
        }
    }

    /// The ledger.
    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    /// The first fee payer's address, for `extra.feePayer` in requirements.
    pub fn fee_payer(&self) -> Option<AccountAddress> {
        self.policy.fee_payers.first().copied()
    }

    async fn now_secs(&self) -> Result<u64, FacilitatorError> {
        self.ledger
            .now_micros()
            .await
            .map(|us| us / 1_000_000)
            .map_err(|e| FacilitatorError(e.to_string()))
    }

    /// Every check, local and against the ledger.
    pub async fn check(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<Verified, Invalid> {
        let now = self
            .now_secs()
            .await
            .map_err(|e| Invalid::new(Reason::VerificationError, e.0))?;
        let verified = verify_local(payload, requirements, &self.policy, now)?;
        if verified.network != self.network {
            return Err(Invalid::new(
                Reason::NetworkMismatch,
                format!("this facilitator settles on {}", self.network.caip2()),
            ));
        }
        let sender = verified.payment.sender();
        let request = ViewRequest::balance(sender, verified.debit.asset)
            .map_err(|e| Invalid::new(Reason::VerificationError, e.to_string()))?;
        let balance: u64 = self
            .ledger
            .view(&request)
            .await
            .ok()
            .and_then(|v| {
                v.first()
                    .and_then(|b| aptos_sdk::aptos_bcs::from_bytes(b).ok())
            })
            .ok_or_else(|| Invalid::new(Reason::VerificationError, "balance view failed"))?;
        if balance < verified.debit.amount {
            return Err(Invalid::new(
                Reason::InsufficientBalance,
                format!("balance {balance} < {}", verified.debit.amount),
            ));
        }
        let txn = verified
            .payment
            .signed_transaction(self.fee_payer_signer(&verified))
            .map_err(|e| Invalid::new(Reason::VerificationError, e.to_string()))?;
        match self.ledger.simulate(&txn).await {
            Ok(outcome) if outcome.success => Ok(verified),
            Ok(outcome) => Err(Invalid::new(Reason::SimulationFailed, outcome.vm_status)),
            Err(e) => Err(Invalid::new(Reason::SimulationFailed, e.to_string())),
        }
    }

    fn fee_payer_signer(&self, verified: &Verified) -> Option<&Signer> {
        let fp = verified.payment.fee_payer?;
        self.fee_payers.iter().find(|s| s.address() == fp)
    }

    async fn settle_verified(&self, verified: &Verified) -> SettleResponse {
        let payer = verified.payment.sender().to_long_string();
        let network = self.network.caip2();
        let txn = match verified
            .payment
            .signed_transaction(self.fee_payer_signer(verified))
        {
            Ok(txn) => txn,
            Err(e) => {
                let mut r = SettleResponse::failure(network, "transaction_failed", Some(payer));
                r.error_message = Some(e.to_string());
                return r;
            }
        };
        match self.ledger.submit(&txn).await {
            Ok(outcome) if outcome.success => {
                let mut extra = None;
                if verified.scheme == Scheme::Stream
                    && let Ok(Some(job)) = outcome.created_job(self.contract)
                {
                    let mut m = Map::new();
                    m.insert(JOB_ID_EXTRA.into(), json!(job.to_string()));
                    extra = Some(m);
                }
                SettleResponse {
                    success: true,
                    transaction: outcome.hash.to_hex(),
                    network: network.into(),
                    payer: Some(payer),
                    error_reason: None,
                    error_message: None,
                    amount: Some(verified.debit.amount.to_string()),
                    extensions: None,
                    extra,
                }
            }
            Ok(outcome) => {
                let mut r = SettleResponse::failure(
                    network,
                    format!("transaction_failed: {}", outcome.vm_status),
                    Some(payer),
                );
                r.transaction = outcome.hash.to_hex();
                r
            }
            Err(e) => {
                let mut r = SettleResponse::failure(network, "transaction_failed", Some(payer));
                r.error_message = Some(e.to_string());
                r
            }
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
impl<L: Ledger + Send + Sync> Facilitator for LocalFacilitator<L> {
    async fn verify(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<VerifyResponse, FacilitatorError> {
        let outcome = self.check(payload, requirements).await;
        Ok(verify_response(&outcome, &requirements.scheme))
    }

    async fn settle(
        &self,
        payload: &PaymentPayloadRef<'_>,
        requirements: &PaymentRequirements,
    ) -> Result<SettleResponse, FacilitatorError> {
        let now = self.now_secs().await?;
        let verified = match self.check(payload, requirements).await {
            Ok(v) => v,
            Err(invalid) => {
                // A payment already settled fails re-verification (its sequence number is
                // spent): say it is a duplicate rather than why the chain now refuses it.
                if let Ok(p) = crate::aptos::AptosPayment::from_payload(&payload.payload)
                    && let Some(first) = self.replay.settled(p.digest())
                {
                    return Ok(duplicate(requirements, Some(&first), first.payer.clone()));
                }
                let mut r = SettleResponse::failure(
                    &requirements.network,
                    invalid.invalid_reason(&requirements.scheme),
                    None,
                );
                r.error_message = Some(invalid.message);
                return Ok(r);
            }
        };
        let digest = verified.payment.digest();
        let expires = verified.payment.raw.expiration_timestamp_secs;
        let payer = Some(verified.payment.sender().to_long_string());
        match self.replay.begin(digest, expires, now) {
            Begin::Locked => {}
            Begin::Settled(first) => return Ok(duplicate(requirements, Some(&first), payer)),
            Begin::InFlight => return Ok(duplicate(requirements, None, payer)),
        }
        let response = self.settle_verified(&verified).await;
        self.replay.finish(digest, expires, &response);
        Ok(response)
    }

    async fn supported(&self) -> Result<SupportedResponse, FacilitatorError> {
        let mut extra = Map::new();
        if let Some(fp) = self.fee_payer() {
            extra.insert("feePayer".into(), json!(fp.to_long_string()));
        }
        let kinds = [Scheme::Exact, Scheme::Stream]
            .into_iter()
            .map(|s| SupportedKind {
                x402_version: 2,
                scheme: s.name().into(),
                network: self.network.caip2().into(),
                extra: extra.clone(),
            })
            .collect();
        let mut signers = Map::new();
        signers.insert(
            self.network.caip2().into(),
            Value::Array(
                self.policy
                    .fee_payers
                    .iter()
                    .map(|a| json!(a.to_long_string()))
                    .collect(),
            ),
        );
        Ok(SupportedResponse {
            kinds,
            extensions: vec![crate::wire::PAYMENT_IDENTIFIER.into()],
            signers,
        })
    }
}
