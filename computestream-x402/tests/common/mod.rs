//! The market the x402 tests trade in: an embedded ledger on a manual clock, a 6-decimal
//! USDC, a buyer holding 10 USDC, a provider registered at 2,000 units/s (7.20 USDC an hour),
//! a facilitator whose fee payer sponsors gas, and the `exact` and `stream` requirements.
#![allow(dead_code)]

use std::sync::Arc;

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AssetId, ContractClient, Rate, Signer};
use computestream_localnet::LocalLedger;
use computestream_localnet::ManualClock;
use computestream_x402::schemes::{StreamTerms, exact_requirements};
use computestream_x402::{LocalFacilitator, Network, PaymentRequirements};

/// Chain time at the start.
pub(crate) const NOW: u64 = 1_700_000_000;
/// The provider's price, nano-units per second.
pub(crate) const RATE: u128 = 2_000_000_000_000;

pub(crate) struct Market {
    pub(crate) ledger: Arc<LocalLedger>,
    pub(crate) clock: ManualClock,
    pub(crate) usdc: AssetId,
    pub(crate) buyer: Signer,
    pub(crate) provider: Signer,
    pub(crate) fee_payer: Signer,
    prefix: String,
}

impl Market {
    /// A fresh market; `prefix` names its accounts.
    pub(crate) async fn open(prefix: &str) -> Market {
        let (ledger, clock) = LocalLedger::with_manual_clock(NOW);
        let ledger = Arc::new(ledger);
        let usdc = ledger.create_asset("USDC", 6).unwrap();
        let buyer = Signer::from_seed(&format!("{prefix}:buyer"));
        let provider = Signer::from_seed(&format!("{prefix}:provider"));
        ledger.mint(buyer.address(), usdc, 10_000_000).unwrap();
        ledger
            .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
            .unwrap();
        ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS)
            .register_provider(&provider, "H100".into(), 80, RATE, 100_000_000)
            .await
            .unwrap();
        Market {
            ledger,
            clock,
            usdc,
            buyer,
            provider,
            fee_payer: Signer::from_seed(&format!("{prefix}:fee-payer")),
            prefix: prefix.into(),
        }
    }

    /// A facilitator on the localnet network whose fee payer is the market's.
    pub(crate) fn facilitator(&self) -> LocalFacilitator<Arc<LocalLedger>> {
        LocalFacilitator::new(
            self.ledger.clone(),
            Network::Localnet,
            LOCAL_CONTRACT_ADDRESS,
            vec![Signer::from_seed(&format!("{}:fee-payer", self.prefix))],
        )
    }

    /// 1,000 units of USDC to the provider, sponsored.
    pub(crate) fn exact(&self) -> PaymentRequirements {
        exact_requirements(
            Network::Localnet,
            self.usdc,
            self.provider.address(),
            1_000,
            60,
            Some(self.fee_payer.address()),
        )
    }

    /// Up to 600 s of streaming at the provider's price (a 1.2 USDC deposit), sponsored.
    pub(crate) fn stream(&self) -> PaymentRequirements {
        StreamTerms {
            network: Network::Localnet,
            contract: LOCAL_CONTRACT_ADDRESS,
            provider: self.provider.address(),
            asset: self.usdc,
            rate: Rate::from_nanos_per_second(RATE),
            max_duration_seconds: 600,
            fee_payer: Some(self.fee_payer.address()),
        }
        .requirements(60)
        .unwrap()
    }
}
