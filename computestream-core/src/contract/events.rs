//! Typed module events. Each struct has the field order of the Move `#[event]` struct of
//! the same name, so an event's BCS payload decodes straight into it.

use serde::{Deserialize, Serialize};

use super::Module;
use crate::error::{Error, Result};
use crate::types::AccountAddress;
use aptos_sdk::aptos_bcs;

/// An event as a ledger reports it: its Move type and its BCS payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// e.g. `0x...cafe::payment_stream::StreamOpened`
    pub type_tag: String,
    /// BCS of the event struct.
    pub data: Vec<u8>,
}

macro_rules! events {
    ($( $(#[$doc:meta])* $name:ident in $module:ident { $( $field:ident : $ty:ty ),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
            pub struct $name {
                $( #[allow(missing_docs)] #[serde(with = "crate::serde_dec")] pub $field: $ty, )*
            }
        )*

        /// Any event of the four modules.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        #[non_exhaustive]
        pub enum ContractEvent {
            $( $(#[$doc])* $name($name), )*
        }

        impl ContractEvent {
            /// The module that emits it.
            pub fn module(&self) -> Module {
                match self { $( ContractEvent::$name(_) => Module::$module, )* }
            }

            /// The Move struct name.
            pub fn name(&self) -> &'static str {
                match self { $( ContractEvent::$name(_) => stringify!($name), )* }
            }

            fn payload(&self) -> Result<Vec<u8>> {
                match self { $( ContractEvent::$name(e) => aptos_bcs::to_bytes(e), )* }
                    .map_err(|e| Error::Aptos(aptos_sdk::AptosError::bcs(e)))
            }

            fn decode_payload(module: Module, name: &str, data: &[u8]) -> Option<Result<ContractEvent>> {
                $(
                    if module == Module::$module && name == stringify!($name) {
                        return Some(aptos_bcs::from_bytes::<$name>(data)
                            .map(ContractEvent::$name)
                            .map_err(|e| Error::decode(format!("event {}: {e}", stringify!($name)))));
                    }
                )*
                None
            }
        }
    };
}

events! {
    /// A provider registered and staked.
    ProviderRegistered in ProviderRegistry { provider: AccountAddress, gpu_type: String, vram_gb: u64, price_per_second: u128, stake: u64 }
    /// A provider opened or closed itself to new jobs.
    ProviderAvailabilityUpdated in ProviderRegistry { provider: AccountAddress, is_active: bool }
    /// A provider changed its price.
    ProviderPricingUpdated in ProviderRegistry { provider: AccountAddress, old_price: u128, new_price: u128 }
    /// A provider left and took its stake back.
    ProviderDeregistered in ProviderRegistry { provider: AccountAddress, stake_returned: u64 }
    /// A provider published or withdrew its service URL.
    ProviderEndpointUpdated in ProviderRegistry { provider: AccountAddress, endpoint: String }
    /// A buyer created a job.
    JobCreated in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, docker_image: String, escrow_amount: u64, max_duration: u64 }
    /// The provider started a job.
    JobStarted in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, started_at: u64 }
    /// The provider completed a job.
    JobCompleted in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, ended_at: u64, output_url: String }
    /// The provider failed a job.
    JobFailed in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, ended_at: u64 }
    /// The buyer cancelled a pending job.
    JobCancelled in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, ended_at: u64 }
    /// The provider turned down a pending job.
    JobRejected in JobRegistry { buyer: AccountAddress, job_id: u64, provider: AccountAddress, ended_at: u64 }
    /// An escrow was funded.
    EscrowDeposited in Escrow { payer: AccountAddress, job_id: u64, payee: AccountAddress, asset: AccountAddress, amount: u64, total_deposited: u64 }
    /// An escrow was topped up.
    EscrowToppedUp in Escrow { payer: AccountAddress, job_id: u64, funder: AccountAddress, amount: u64, total_deposited: u64 }
    /// Escrowed funds went back to the payer.
    EscrowRefunded in Escrow { payer: AccountAddress, job_id: u64, amount: u64, total_refunded: u64 }
    /// A stream opened.
    StreamOpened in PaymentStream { payer: AccountAddress, job_id: u64, payee: AccountAddress, asset: AccountAddress, rate_per_second: u128, deposited: u64 }
    /// A settlement paid the payee.
    PaymentProcessed in PaymentStream { payer: AccountAddress, job_id: u64, payee: AccountAddress, amount: u64, total_paid: u64, remaining: u64 }
    /// The payer paused accrual.
    StreamPaused in PaymentStream { payer: AccountAddress, job_id: u64, paused_at: u64 }
    /// The payer resumed accrual.
    StreamResumed in PaymentStream { payer: AccountAddress, job_id: u64, resumed_at: u64, excluded_seconds: u64 }
    /// A stream closed: final totals.
    StreamClosed in PaymentStream { payer: AccountAddress, job_id: u64, closed_by: AccountAddress, total_paid: u64, total_refunded: u64 }
}

impl ContractEvent {
    /// The Move type tag at a deployment address.
    pub fn type_tag(&self, contract: AccountAddress) -> String {
        format!(
            "{}::{}::{}",
            contract.to_standard_string(),
            self.module().name(),
            self.name()
        )
    }

    /// The event as a ledger reports it.
    pub fn to_record(&self, contract: AccountAddress) -> Result<EventRecord> {
        Ok(EventRecord {
            type_tag: self.type_tag(contract),
            data: self.payload()?,
        })
    }

    /// Decodes an event of the contracts at `contract`; `Ok(None)` for anyone else's event.
    pub fn from_record(
        contract: AccountAddress,
        record: &EventRecord,
    ) -> Result<Option<ContractEvent>> {
        let mut parts = record.type_tag.splitn(3, "::");
        let (Some(addr), Some(module), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let Ok(addr) = AccountAddress::from_hex(addr) else {
            return Ok(None);
        };
        let Some(module) = Module::from_name(module) else {
            return Ok(None);
        };
        if addr != contract {
            return Ok(None);
        }
        ContractEvent::decode_payload(module, name, &record.data).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::LOCAL_CONTRACT_ADDRESS;

    #[test]
    fn events_round_trip_through_records_and_json() {
        let e = ContractEvent::PaymentProcessed(PaymentProcessed {
            payer: crate::types::address_from_u64(1),
            job_id: 7,
            payee: crate::types::address_from_u64(2),
            amount: u64::MAX,
            total_paid: 3,
            remaining: 0,
        });
        let r = e.to_record(LOCAL_CONTRACT_ADDRESS).unwrap();
        assert!(
            r.type_tag.ends_with("::payment_stream::PaymentProcessed"),
            "{}",
            r.type_tag
        );
        assert_eq!(
            ContractEvent::from_record(LOCAL_CONTRACT_ADDRESS, &r).unwrap(),
            Some(e.clone())
        );
        assert_eq!(
            ContractEvent::from_record(AccountAddress::ONE, &r).unwrap(),
            None
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "PaymentProcessed");
        assert_eq!(json["amount"], "18446744073709551615");
        assert_eq!(serde_json::from_value::<ContractEvent>(json).unwrap(), e);
        let truncated = EventRecord {
            data: r.data[..10].to_vec(),
            ..r
        };
        assert!(ContractEvent::from_record(LOCAL_CONTRACT_ADDRESS, &truncated).is_err());
    }
}
