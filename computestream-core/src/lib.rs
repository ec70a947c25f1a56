#![doc = include_str!("../README.md")]

pub mod client;
pub mod contract;
pub mod error;
pub mod facade;
pub mod ledger;
pub mod math;
pub mod scheduler;
mod serde_dec;
pub mod storage;
mod stream_ext;
pub mod tx;
pub mod types;

pub use aptos_sdk;
pub use client::{ContractClient, Signer, TxnOptions};
pub use error::{Error, ErrorCode, RejectReason, Result};
#[cfg(feature = "node")]
pub use ledger::aptos::{AptosLedger, http_client};
pub use ledger::{Ledger, TxnOutcome};
pub use types::{
    AccountAddress, Amount, AssetId, Escrow, Job, JobId, JobStatus, Provider, Rate, Stream,
};
