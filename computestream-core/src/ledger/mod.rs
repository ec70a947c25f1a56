//! Ledger backends behind one async trait: [`AptosLedger`](aptos::AptosLedger) (feature
//! `node`), any node over its REST API, and the embedded ledger of the
//! `computestream-localnet` crate.

#[cfg(feature = "node")]
pub mod aptos;

use std::sync::Arc;

use aptos_sdk::transaction::SignedTransaction;
use aptos_sdk::types::{ChainId, HashValue, MoveModuleId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::contract::{AbortCode, AbortModule, ContractEvent, EventRecord, ViewRequest};
use crate::error::{Error, Result};
use crate::types::AccountAddress;

/// Where a Move abort was raised and its code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveAbort {
    /// The aborting module.
    pub module: MoveModuleId,
    /// The abort code.
    pub code: u64,
}

impl MoveAbort {
    /// The named code, if the abort comes from the contracts at `contract` or from the
    /// framework's fungible asset module.
    pub fn named(&self, contract: AccountAddress) -> Option<AbortCode> {
        let module = AbortModule::from_name(self.module.name.as_str())?;
        let from_framework = module == AbortModule::FungibleAsset;
        let expected = if from_framework {
            AccountAddress::ONE
        } else {
            contract
        };
        (self.module.address == expected)
            .then(|| AbortCode::from_location(module, self.code))
            .flatten()
    }
}

/// A committed transaction: success or a Move abort (the sequence number is used either way).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnOutcome {
    /// Transaction hash.
    pub hash: HashValue,
    /// Ledger version it was committed at.
    pub version: u64,
    /// The sender.
    pub sender: AccountAddress,
    /// The sender's sequence number it used.
    pub sequence_number: u64,
    /// Whether it executed successfully.
    pub success: bool,
    /// `Executed successfully` or the failure.
    pub vm_status: String,
    /// The abort, if it aborted.
    pub abort: Option<MoveAbort>,
    /// Chain time of the block, microseconds.
    pub timestamp_usecs: u64,
    /// Events emitted (none when it failed).
    pub events: Vec<EventRecord>,
}

impl TxnOutcome {
    /// `Ok(self)` if it succeeded, otherwise the abort as a typed error.
    pub fn into_result(self, contract: AccountAddress) -> Result<TxnOutcome> {
        if self.success {
            return Ok(self);
        }
        match self.abort.as_ref().and_then(|a| a.named(contract)) {
            Some(code) => Err(Error::Abort {
                code,
                hash: Some(self.hash),
            }),
            None => Err(Error::ExecutionFailed {
                vm_status: self.vm_status,
                hash: self.hash,
            }),
        }
    }

    /// The contracts' events, typed (other events are skipped).
    pub fn contract_events(&self, contract: AccountAddress) -> Result<Vec<ContractEvent>> {
        let mut out = Vec::new();
        for record in &self.events {
            if let Some(event) = ContractEvent::from_record(contract, record)? {
                out.push(event);
            }
        }
        Ok(out)
    }

    /// The job a `create_job` or `rent` created.
    pub fn created_job(&self, contract: AccountAddress) -> Result<Option<crate::types::JobId>> {
        Ok(self
            .contract_events(contract)?
            .into_iter()
            .find_map(|e| match e {
                ContractEvent::JobCreated(e) => Some(crate::types::JobId::new(e.buyer, e.job_id)),
                _ => None,
            }))
    }
}

/// A Movement/Aptos ledger: the embedded devnet or a node.
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
pub trait Ledger {
    /// The chain id transactions must carry.
    async fn chain_id(&self) -> Result<ChainId>;

    /// The chain's clock: the latest ledger timestamp, microseconds.
    async fn now_micros(&self) -> Result<u64>;

    /// The account's next sequence number (0 for an account the chain has not seen).
    async fn sequence_number(&self, account: AccountAddress) -> Result<u64>;

    /// Submits a signed transaction and waits until it is committed. A transaction the
    /// ledger refuses before execution is an [`Error::Rejected`].
    async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome>;

    /// Executes a transaction against the current state without committing it.
    async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome>;

    /// Calls a view function; one BCS value per return value.
    async fn view(&self, request: &ViewRequest) -> Result<Vec<Vec<u8>>>;

    /// A committed transaction by hash.
    async fn transaction_by_hash(&self, hash: HashValue) -> Result<Option<TxnOutcome>>;

    /// The gas unit price the chain asks now (a node's `estimate_gas_price`), if it has one;
    /// `None`: the caller's own price.
    async fn gas_unit_price(&self) -> Result<Option<u64>>;
}

macro_rules! forward_ledger {
    ($($wrapper:ty),*) => {$(
        #[cfg_attr(not(target_arch = "wasm32"), async_trait)]
        #[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
        impl<T: Ledger + ?Sized + Send + Sync> Ledger for $wrapper {
            async fn chain_id(&self) -> Result<ChainId> { (**self).chain_id().await }
            async fn now_micros(&self) -> Result<u64> { (**self).now_micros().await }
            async fn sequence_number(&self, account: AccountAddress) -> Result<u64> { (**self).sequence_number(account).await }
            async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome> { (**self).submit(txn).await }
            async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome> { (**self).simulate(txn).await }
            async fn view(&self, request: &ViewRequest) -> Result<Vec<Vec<u8>>> { (**self).view(request).await }
            async fn transaction_by_hash(&self, hash: HashValue) -> Result<Option<TxnOutcome>> { (**self).transaction_by_hash(hash).await }
            async fn gas_unit_price(&self) -> Result<Option<u64>> { (**self).gas_unit_price().await }
        }
    )*};
}

forward_ledger!(Arc<T>, &T);
