//! The demo's chain and accounts: the node every party talks to, the embedded ledger behind
//! it, the streamed asset and the funded parties.

use std::sync::Arc;
use std::time::Duration;

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{
    AccountAddress, Amount, AptosLedger, AssetId, ContractClient, JobId, Ledger, Signer, Stream,
};
use computestream_localnet::{Clock, Dashboard, LocalLedger, Localnet, ManualClock};
use computestream_x402::Network;

use super::{Progress, failed};

/// The chain as the parties reach it: the node API, over HTTP.
pub(super) struct Chain {
    /// The faucet: the node's host, without /v1.
    faucet: String,
    /// The node API's URL.
    node_url: String,
    /// The node API.
    pub(super) node: Arc<AptosLedger>,
    /// The contracts over `node`.
    pub(super) client: ContractClient<Arc<AptosLedger>>,
    /// The x402 network of the node's chain id.
    pub(super) network: Network,
    /// The ledger behind the node, unless `--node` named one.
    embedded: Option<Embedded>,
}

/// The embedded ledger and the localnet serving it.
///
/// The demo holds the ledger in-process and also talks to it over HTTP. Every party
/// (provider, agent, facilitator, scheduler) goes through the node API with `AptosLedger`, so
/// the demo runs the path a real network uses, and runs unchanged against `--node`; balances
/// are read that way too. The in-process handle is kept only for what a node API does not
/// offer: creating a test USDC and minting it to the agent (the faucet mints only the native
/// coin), and under `--simulated` the manual clock, which makes a demo second 120 ms of real
/// time.
struct Embedded {
    /// The ledger, in this process.
    ledger: Arc<LocalLedger>,
    /// Its node API, on a free local port.
    localnet: Localnet,
    /// The ledger's clock under `--simulated`.
    clock: Option<ManualClock>,
}

/// The chain: the embedded ledger behind a localnet on a free port, or `node`.
pub(super) async fn start_chain(
    node: Option<&str>,
    simulated: bool,
    progress: Progress,
) -> Result<Chain, String> {
    let (node_url, faucet, embedded) = match node {
        Some(url) => (
            url.trim_end_matches('/').to_string(),
            url.trim_end_matches('/')
                .trim_end_matches("/v1")
                .to_string(),
            None,
        ),
        None => {
            let manual = simulated.then(|| ManualClock::at_secs(1_767_225_600));
            let clock = match &manual {
                Some(manual) => Clock::Manual(manual.clone()),
                None => Clock::System,
            };
            let ledger = Arc::new(
                LocalLedger::builder()
                    .clock(clock)
                    .open()
                    .map_err(failed("ledger"))?,
            );
            let localnet = Localnet::start_with_dashboard(
                ledger.clone(),
                ([127, 0, 0, 1], 0).into(),
                &Dashboard::from_source_tree(),
            )
            .await
            .map_err(failed("localnet"))?;
            let urls = (localnet.node_url(), localnet.url().to_string());
            let embedded = Embedded {
                ledger,
                localnet,
                clock: manual,
            };
            (urls.0, urls.1, Some(embedded))
        }
    };
    let node =
        Arc::new(AptosLedger::new(&node_url, LOCAL_CONTRACT_ADDRESS).map_err(failed("node"))?);
    let client = ContractClient::new(node.clone(), LOCAL_CONTRACT_ADDRESS);
    let chain_id = node.chain_id().await.map_err(failed("node"))?;
    let network = Network::ALL
        .into_iter()
        .find(|n| n.chain_id() == chain_id.id())
        .ok_or_else(|| format!("chain id {} is not a known x402 network", chain_id.id()))?;
    progress.say(format!(
        "chain     {node_url} ({}, chain id {})",
        network.caip2(),
        chain_id.id()
    ));
    if embedded.is_some() {
        let note = Dashboard::from_source_tree().problem().unwrap_or_default();
        progress.say(format!("dashboard {faucet}/ {note}").trim_end().to_string());
    }
    Ok(Chain {
        faucet,
        node_url: node_url.clone(),
        node,
        client,
        network,
        embedded,
    })
}

impl Chain {
    /// The node API's URL.
    pub(super) fn node_url(&self) -> &str {
        &self.node_url
    }

    /// The stream and the chain's time.
    pub(super) async fn stream_now(&self, job: JobId) -> Result<(Stream, u64), String> {
        let s: Stream = self
            .client
            .get_stream(job.buyer, job.id)
            .await
            .map_err(|e| format!("get_stream: {e}"))?;
        let now = self.client.now_seconds().await.map_err(|e| e.to_string())?;
        Ok((s, now))
    }

    /// One second of the job. Simulated, the manual clock steps between two pauses, which
    /// leave the scheduler time to settle each second before the progress line reads it.
    pub(super) async fn one_second(&self, simulated: bool) {
        if simulated {
            tokio::time::sleep(Duration::from_millis(60)).await;
            if let Some(clock) = self.embedded.as_ref().and_then(|e| e.clock.as_ref()) {
                clock.advance_secs(1);
            }
            tokio::time::sleep(Duration::from_millis(60)).await;
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Stops the localnet the demo started.
    pub(super) async fn stop(self) {
        if let Some(embedded) = self.embedded {
            embedded.localnet.stop().await;
        }
    }
}

/// The asset the stream pays in.
pub(super) struct Coin {
    /// Its fungible-asset metadata address.
    pub(super) asset: AssetId,
    /// Decimal places of one whole unit.
    pub(super) decimals: u8,
    /// Its ticker, after amounts.
    symbol: &'static str,
}

impl Coin {
    /// `units` base units as a decimal amount with the symbol.
    pub(super) fn format(&self, units: u64) -> String {
        format!(
            "{} {}",
            Amount(units).to_decimal(self.decimals),
            self.symbol
        )
    }
}

/// The demo's accounts, from fixed seeds.
pub(super) struct Parties {
    /// Rents out the GPU.
    pub(super) provider: Signer,
    /// Pays for it.
    pub(super) agent: Arc<Signer>,
    /// Submits the scheduler's settlements.
    pub(super) settler: Arc<Signer>,
}

/// Gas for every party from the faucet and, on the embedded ledger, 50 test USDC for the
/// agent (on `--node` the stream pays in the native coin). Returns the parties, the
/// facilitator's fee payer and the streamed asset.
pub(super) async fn fund_accounts(
    chain: &Chain,
    progress: Progress,
) -> Result<(Parties, Signer, Coin), String> {
    let provider = Signer::from_seed("demo-provider");
    let agent = Arc::new(Signer::from_seed("demo-agent"));
    let fee_payer = Signer::from_seed("demo-facilitator");
    let settler = Arc::new(Signer::from_seed("demo-settler"));
    for s in [&provider, &*agent, &fee_payer, &*settler] {
        fund(&chain.faucet, s.address(), 10_000_000_000).await?;
    }
    let coin = match &chain.embedded {
        Some(embedded) => {
            let usdc = embedded
                .ledger
                .create_asset("USDC", 6)
                .map_err(failed("asset"))?;
            embedded
                .ledger
                .mint(agent.address(), usdc, 50_000_000)
                .map_err(failed("mint"))?;
            Coin {
                asset: usdc,
                decimals: 6,
                symbol: "USDC",
            }
        }
        None => Coin {
            asset: AssetId::NATIVE,
            decimals: 8,
            symbol: "MOVE",
        },
    };
    progress.say(format!(
        "accounts  provider {}, agent {}, facilitator {}",
        provider.address().to_hex(),
        agent.address().to_hex(),
        fee_payer.address().to_hex()
    ));
    let parties = Parties {
        provider,
        agent,
        settler,
    };
    Ok((parties, fee_payer, coin))
}

/// Native coin from the faucet.
async fn fund(faucet: &str, who: AccountAddress, amount: u64) -> Result<(), String> {
    let r = reqwest_post(&format!(
        "{faucet}/mint?address={}&amount={amount}",
        who.to_hex()
    ))
    .await?;
    if r.0 >= 300 {
        return Err(format!("faucet: HTTP {}: {}", r.0, r.1));
    }
    Ok(())
}

/// POSTs to `url`: the status and the body.
async fn reqwest_post(url: &str) -> Result<(u16, String), String> {
    let client = computestream_x402::http::http_client();
    let r = client
        .post(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = r.status().as_u16();
    Ok((status, r.text().await.unwrap_or_default()))
}
