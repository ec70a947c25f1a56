//! `Localnet`: the embedded ledger (`computestream_localnet::LocalLedger`) served in-process
//! by `computestream_localnet::Localnet` on a free loopback port, with its faucet.

use std::sync::Arc;

use computestream_core::AssetId;
use computestream_localnet::server::Localnet as Server;
use computestream_localnet::{LocalLedger, ManualClock};
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::error::{address_arg, core, input, u64_arg};

/// A running localnet; `close()` stops it.
#[napi]
#[derive(Debug)]
pub struct Localnet {
    ledger: Arc<LocalLedger>,
    clock: Option<ManualClock>,
    url: String,
    server: tokio::sync::Mutex<Option<Server>>,
}

/// Starts an in-memory localnet on a free loopback port (contracts at `0xcafe`, chain id 4).
/// With `manual_clock`, chain time stays at `start_secs` (decimal; default the system's time
/// now) until `advance` moves it; otherwise it is the system clock.
#[napi]
pub async fn start_localnet(
    manual_clock: bool,
    start_secs: Option<String>,
) -> napi::Result<Localnet> {
    let clock = match (manual_clock, start_secs) {
        (true, Some(s)) => Some(ManualClock::at_secs(u64_arg(&s, "startSecs")?)),
        (true, None) => Some(ManualClock::at_system_time()),
        (false, Some(_)) => return Err(input("startSecs needs manualClock: true")),
        (false, None) => None,
    };
    let ledger = Arc::new(match &clock {
        Some(c) => LocalLedger::with_clock(c.clone()),
        None => LocalLedger::in_memory(),
    });
    let server = Server::start_local(ledger.clone()).await.map_err(core)?;
    Ok(Localnet {
        ledger,
        clock,
        url: server.url().to_string(),
        server: tokio::sync::Mutex::new(Some(server)),
    })
}

#[napi]
impl Localnet {
    /// The base URL (faucet at the root).
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The node API URL (`…/v1`), what `Client` takes as `node`.
    #[napi(getter)]
    pub fn node_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// The contracts' address.
    #[napi(getter)]
    pub fn contract(&self) -> String {
        self.ledger.contract().to_string()
    }

    /// Mints `amount` base units of `asset` (default the native coin `0xa`) to `address`.
    #[napi]
    pub fn fund_account(
        &self,
        address: String,
        amount: String,
        asset: Option<String>,
    ) -> napi::Result<()> {
        let asset = match asset {
            Some(a) => AssetId(address_arg(&a, "asset")?),
            None => AssetId::NATIVE,
        };
        self.ledger
            .mint(
                address_arg(&address, "address")?,
                asset,
                u64_arg(&amount, "amount")?,
            )
            .map_err(core)
    }

    /// Creates a fungible asset (e.g. a USDC stand-in); its metadata address.
    #[napi]
    pub fn create_asset(&self, symbol: String, decimals: u32) -> napi::Result<String> {
        let decimals =
            u8::try_from(decimals).map_err(|_| input(format!("decimals {decimals}: above 255")))?;
        Ok(self
            .ledger
            .create_asset(&symbol, decimals)
            .map_err(core)?
            .0
            .to_string())
    }

    /// `owner`'s balance of `asset` (default the native coin).
    #[napi]
    pub fn balance(&self, owner: String, asset: Option<String>) -> napi::Result<BigInt> {
        let asset = match asset {
            Some(a) => AssetId(address_arg(&a, "asset")?),
            None => AssetId::NATIVE,
        };
        Ok(self
            .ledger
            .balance(address_arg(&owner, "owner")?, asset)
            .into())
    }

    /// Chain time, seconds.
    #[napi]
    pub fn now_seconds(&self) -> BigInt {
        self.ledger.now_secs().into()
    }

    /// Moves a manual clock forward by `seconds` (decimal).
    #[napi]
    pub fn advance(&self, seconds: String) -> napi::Result<()> {
        let clock = self
            .clock
            .as_ref()
            .ok_or_else(|| input("advance needs Localnet.start({ manualClock: true })"))?;
        clock.advance_secs(u64_arg(&seconds, "seconds")?);
        Ok(())
    }

    /// Stops serving and waits for open requests; idempotent.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        if let Some(server) = self.server.lock().await.take() {
            server.stop().await;
        }
        Ok(())
    }
}
