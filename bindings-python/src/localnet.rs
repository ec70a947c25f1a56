//! `Localnet`: the embedded ledger (`computestream_localnet::LocalLedger`) served in-process on
//! a free loopback port (`server::Localnet::start_local`), with an x402 facilitator
//! (`LocalFacilitator` served by `FacilitatorServer`) beside it, for tests and demos.

use std::sync::{Arc, Mutex};

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AssetId, Signer};
use computestream_localnet::{LocalLedger, ManualClock};
use computestream_x402::http::FacilitatorServer;
use computestream_x402::{LocalFacilitator, Network};
use pyo3::prelude::*;

use crate::errors;
use crate::results::{addr, parse_addr};
use crate::runtime::{check_pid, runtime};

struct Running {
    server: computestream_localnet::Localnet,
    facilitator: FacilitatorServer,
}

/// An embedded ledger served on a free port: `with Localnet() as net: net.url, net.fund_account(addr, amount)`.
#[pyclass(frozen, module = "computestream")]
pub(crate) struct Localnet {
    ledger: Arc<LocalLedger>,
    clock: Option<ManualClock>,
    running: Mutex<Option<Running>>,
    url: String,
    facilitator_url: String,
    fee_payer: String,
    pid: u32,
}

#[pymethods]
impl Localnet {
    /// Starts serving. `manual_clock=True` freezes chain time at `start_secs` (default: now)
    /// until `advance()` moves it; otherwise chain time is the system clock.
    #[new]
    #[pyo3(signature = (manual_clock = false, start_secs = None))]
    fn new(py: Python<'_>, manual_clock: bool, start_secs: Option<u64>) -> PyResult<Self> {
        let (ledger, clock) = if manual_clock {
            let clock = start_secs.map_or_else(ManualClock::at_system_time, ManualClock::at_secs);
            (LocalLedger::with_clock(clock.clone()), Some(clock))
        } else {
            if start_secs.is_some() {
                return Err(errors::invalid("start_secs needs manual_clock=True"));
            }
            (LocalLedger::in_memory(), None)
        };
        let ledger = Arc::new(ledger);
        let fee_payer = Signer::from_seed("localnet:fee-payer");
        let fee_payer_address = fee_payer.address();
        ledger
            .mint(fee_payer_address, AssetId::NATIVE, 1_000_000_000_000)
            .map_err(errors::core)?;
        let facilitator = LocalFacilitator::new(
            ledger.clone(),
            Network::Localnet,
            LOCAL_CONTRACT_ADDRESS,
            vec![fee_payer],
        );
        let served = ledger.clone();
        let (server, facilitator) = py.detach(|| {
            runtime().block_on(async move {
                let server = computestream_localnet::Localnet::start_local(served)
                    .await
                    .map_err(errors::core)?;
                let facilitator =
                    FacilitatorServer::start(Arc::new(facilitator), ([127, 0, 0, 1], 0).into())
                        .await
                        .map_err(|e| errors::invalid(format!("facilitator port: {e}")))?;
                PyResult::Ok((server, facilitator))
            })
        })?;
        Ok(Localnet {
            url: server.url().to_string(),
            ledger,
            clock,
            facilitator_url: facilitator.url().to_string(),
            running: Mutex::new(Some(Running {
                server,
                facilitator,
            })),
            fee_payer: addr(fee_payer_address),
            pid: std::process::id(),
        })
    }

    /// The base URL (faucet at `/mint`); the node API is `node_url`.
    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// The node API URL (`…/v1`), what `AsyncClient` takes.
    #[getter]
    fn node_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    /// An x402 facilitator over this ledger (verify and settle), sponsoring gas.
    #[getter]
    fn facilitator_url(&self) -> String {
        self.facilitator_url.clone()
    }

    /// The facilitator's fee payer (what `fee_payer` of requirements names).
    #[getter]
    fn fee_payer(&self) -> String {
        self.fee_payer.clone()
    }

    /// The x402 network id (`aptos:4`).
    #[getter]
    fn network(&self) -> &'static str {
        Network::Localnet.caip2()
    }

    /// The contracts' address (`0xcafe`, long form).
    #[getter]
    fn contract(&self) -> String {
        addr(LOCAL_CONTRACT_ADDRESS)
    }

    /// Mints `amount` base units of `asset` (default the native coin, `0xa`) to `address`.
    #[pyo3(signature = (address, amount, asset = "0xa"))]
    fn fund_account(&self, address: &str, amount: u64, asset: &str) -> PyResult<()> {
        let owner = parse_addr(address, "address")?;
        let asset = AssetId(parse_addr(asset, "asset")?);
        self.ledger.mint(owner, asset, amount).map_err(errors::core)
    }

    /// Creates a test fungible asset (idempotent); returns its metadata address.
    fn create_asset(&self, symbol: &str, decimals: u8) -> PyResult<String> {
        let asset = self
            .ledger
            .create_asset(symbol, decimals)
            .map_err(errors::core)?;
        Ok(addr(asset.0))
    }

    /// A balance, read directly from the ledger.
    #[pyo3(signature = (address, asset = "0xa"))]
    fn balance(&self, address: &str, asset: &str) -> PyResult<u64> {
        let owner = parse_addr(address, "address")?;
        let asset = AssetId(parse_addr(asset, "asset")?);
        Ok(self.ledger.balance(owner, asset))
    }

    /// Chain time, seconds.
    fn now(&self) -> u64 {
        self.ledger.now_secs()
    }

    /// Moves a manual clock forward.
    fn advance(&self, seconds: u64) -> PyResult<()> {
        match &self.clock {
            Some(c) => {
                c.advance_secs(seconds);
                Ok(())
            }
            None => Err(errors::invalid(
                "advance() needs Localnet(manual_clock=True)",
            )),
        }
    }

    /// Stops serving (idempotent).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        check_pid(self.pid, "this Localnet")?;
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(r) = running {
            py.detach(|| {
                runtime().block_on(async {
                    r.facilitator.stop().await;
                    r.server.stop().await;
                })
            });
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyAny>>,
        _exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Localnet(url={:?})", self.url)
    }
}
