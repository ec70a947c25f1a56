#![doc = include_str!("../README.md")]

mod clock;
mod ledger;
mod log;
pub mod server;
pub mod state;

pub use clock::{Clock, ManualClock};
pub use computestream_core::contract::LOCAL_CHAIN_ID;
pub use ledger::{LocalLedger, LocalLedgerBuilder};
pub use log::LogEntry;
pub use server::{Dashboard, Localnet};
pub use state::{AssetInfo, ESCROW_VAULT_SEED, STAKE_VAULT_SEED, State, object_address};
