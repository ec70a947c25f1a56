//! `Facilitator`: an x402 facilitator (`computestream_x402::LocalFacilitator` over
//! `AptosLedger`) served in-process by `computestream_x402::http::FacilitatorServer`, as
//! `computestream facilitator` serves it: `/verify`, `/settle`, `/supported`.

use std::sync::Arc;

use computestream_core::{AptosLedger, Signer};
use computestream_x402::http::FacilitatorServer;
use computestream_x402::{LocalFacilitator, Network};
use napi_derive::napi;

use crate::error::{address_arg, core, input};

/// A running facilitator; `close()` stops it.
#[napi]
#[derive(Debug)]
pub struct Facilitator {
    url: String,
    fee_payer: Option<String>,
    server: tokio::sync::Mutex<Option<FacilitatorServer>>,
}

/// Starts a facilitator for `network` (CAIP-2) over the node API at `node`, sponsoring gas
/// with `feePayerKey`, on a free loopback port.
#[napi]
pub async fn start_facilitator(
    node: String,
    network: String,
    fee_payer_key: String,
    contract: Option<String>,
) -> napi::Result<Facilitator> {
    let contract = match contract {
        Some(c) => address_arg(&c, "contract")?,
        None => computestream_core::contract::LOCAL_CONTRACT_ADDRESS,
    };
    let network = Network::from_caip2(&network)
        .ok_or_else(|| input(format!("network {network}: unknown")))?;
    let fee_payer = Signer::from_private_key(&fee_payer_key).map_err(core)?;
    let ledger = AptosLedger::new(&node, contract).map_err(core)?;
    let facilitator = Arc::new(LocalFacilitator::new(
        ledger,
        network,
        contract,
        vec![fee_payer],
    ));
    let fee_payer = facilitator.fee_payer().map(|a| a.to_string());
    let server = FacilitatorServer::start(facilitator, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| core(e.into()))?;
    Ok(Facilitator {
        url: server.url().to_string(),
        fee_payer,
        server: tokio::sync::Mutex::new(Some(server)),
    })
}

#[napi]
impl Facilitator {
    /// Its base URL, for `paymentMiddleware`'s `facilitator`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The account sponsoring gas, for the requirements' `feePayer`.
    #[napi(getter)]
    pub fn fee_payer(&self) -> Option<String> {
        self.fee_payer.clone()
    }

    /// Stops serving and waits for open requests; idempotent.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let server = self.server.lock().await.take();
        if let Some(server) = server {
            server.stop().await;
        }
        Ok(())
    }
}
