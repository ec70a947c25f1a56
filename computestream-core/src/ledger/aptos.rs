//! [`AptosLedger`]: the [`Ledger`] trait over a node's REST API through aptos-sdk's
//! `FullnodeClient`: Movement mainnet/testnet, Aptos, or the embedded localnet. The same
//! contract-client code runs on it and on the embedded ledger (`computestream_localnet::LocalLedger`).

use std::sync::OnceLock;
use std::time::Duration;

use aptos_sdk::api::FullnodeClient;
use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{EntryFunction, SignedTransaction};
use aptos_sdk::types::{ChainId, HashValue, Identifier, MoveModuleId};
use aptos_sdk::{AptosConfig, AptosError};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::{Ledger, MoveAbort, TxnOutcome};
use crate::contract::{ContractEvent, EventRecord, ViewRequest};
use crate::error::{Error, RejectReason, Result};
use crate::types::AccountAddress;

/// A reqwest client that can speak TLS. aptos-sdk builds reqwest without a bundled crypto
/// provider (so one build also works for wasm32); this installs `ring`, aptos-sdk's choice,
/// unless the application already chose one. Use it for every HTTP client in the process.
pub fn http_client() -> reqwest::Client {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::new()
}

/// How long [`Ledger::submit`] waits for a transaction to commit.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// A node reached over HTTP.
#[derive(Debug)]
pub struct AptosLedger {
    node: FullnodeClient,
    http: reqwest::Client,
    base: String,
    contract: AccountAddress,
    chain_id: OnceLock<ChainId>,
}

impl AptosLedger {
    /// The node at `node_url`, with the contracts deployed at `contract`. The node API is
    /// served under `/v1`: a URL without it (a node's or a localnet's base URL) gets it
    /// appended.
    pub fn new(given: &str, contract: AccountAddress) -> Result<AptosLedger> {
        let node_url = given.trim_end_matches('/');
        let node_url = &if node_url.ends_with("/v1") {
            node_url.to_string()
        } else {
            format!("{node_url}/v1")
        };
        let config = AptosConfig::custom(node_url)
            .map_err(|e| Error::InvalidArgument(format!("node URL {given:?}: {e}")))?
            .with_timeout(Duration::from_secs(30));
        let node = FullnodeClient::new(config)?;
        Ok(AptosLedger {
            node,
            http: http_client(),
            base: node_url.to_string(),
            contract,
            chain_id: OnceLock::new(),
        })
    }

    /// The node API's URL (ending in `/v1`).
    pub fn node_url(&self) -> &str {
        &self.base
    }

    /// Where the contracts are deployed.
    pub fn contract(&self) -> AccountAddress {
        self.contract
    }

    fn parse_outcome(&self, v: &Value) -> Result<TxnOutcome> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
        let n = |k: &str| s(k).parse::<u64>().unwrap_or_default();
        let hash: HashValue = s("hash")
            .parse()
            .map_err(|e| Error::decode(format!("transaction hash: {e}")))?;
        let vm_status = s("vm_status").to_string();
        let success = v.get("success").and_then(Value::as_bool).unwrap_or(false);
        let events = v
            .get("events")
            .and_then(Value::as_array)
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| event_record(self.contract, e))
                    .collect()
            })
            .unwrap_or_default();
        Ok(TxnOutcome {
            hash,
            version: n("version"),
            sender: AccountAddress::from_hex(s("sender")).unwrap_or(AccountAddress::ZERO),
            sequence_number: n("sequence_number"),
            success,
            abort: if success {
                None
            } else {
                parse_abort(&vm_status)
            },
            vm_status,
            timestamp_usecs: n("timestamp"),
            events,
        })
    }

    async fn wait(&self, hash: HashValue) -> Result<TxnOutcome> {
        let start = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            if let Some(outcome) = self.transaction_by_hash(hash).await? {
                return Ok(outcome);
            }
            if start.elapsed() > WAIT_TIMEOUT {
                return Err(Error::Transport {
                    message: format!("transaction {hash} not committed after {WAIT_TIMEOUT:?}"),
                    retryable: true,
                    status: None,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }
}

/// `Move abort in 0x…::module: NAME(0x25): …` → the module and code.
fn parse_abort(vm_status: &str) -> Option<MoveAbort> {
    let rest = vm_status.strip_prefix("Move abort in ")?;
    let (module, rest) = rest.split_once(": ")?;
    let (address, name) = module.rsplit_once("::")?;
    let address = if address.is_empty() {
        AccountAddress::ONE
    } else {
        AccountAddress::from_hex(address).ok()?
    };
    let code = rest.split_once("(0x")?.1.split(')').next()?;
    Some(MoveAbort {
        module: MoveModuleId::new(address, Identifier::new(name).ok()?),
        code: u64::from_str_radix(code, 16).ok()?,
    })
}

/// Rebuilds an event record (BCS payload) from the node's JSON, for our contracts' events.
pub(crate) fn event_record(contract: AccountAddress, event: &Value) -> Option<EventRecord> {
    let type_tag = event.get("type")?.as_str()?;
    let name = type_tag.rsplit("::").next()?;
    let mut data: Map<String, Value> = event.get("data")?.as_object()?.clone();
    data.insert("type".into(), json!(name));
    let parsed: ContractEvent = serde_json::from_value(Value::Object(data)).ok()?;
    parsed.to_record(contract).ok()
}

fn reject_reason(message: &str) -> Option<RejectReason> {
    [
        RejectReason::SequenceNumberTooOld,
        RejectReason::SequenceNumberTooNew,
        RejectReason::TransactionExpired,
        RejectReason::BadChainId,
        RejectReason::InvalidSignature,
        RejectReason::FunctionNotFound,
        RejectReason::InvalidArguments,
        RejectReason::UnsupportedPayload,
    ]
    .into_iter()
    .find(|r| message.contains(r.vm_status()))
}

/// Maps a node error: validation failures to [`Error::Rejected`], aborts to
/// [`Error::Abort`] (named when they are ours), transport failures to retryable errors.
fn node_error(e: AptosError, contract: AccountAddress) -> Error {
    match e {
        AptosError::Api {
            status_code,
            message,
            ..
        } => {
            if let Some(abort) = parse_abort(&message) {
                if let Some(code) = abort.named(contract) {
                    return Error::Abort { code, hash: None };
                }
                return Error::InvalidArgument(message);
            }
            if let Some(reason) = reject_reason(&message) {
                return Error::Rejected { reason, message };
            }
            match status_code {
                400 | 413 | 415 => Error::InvalidArgument(message),
                404 => Error::NotFound(message),
                _ => Error::Transport {
                    message: format!("HTTP {status_code}: {message}"),
                    retryable: status_code >= 500 || status_code == 429,
                    status: Some(status_code),
                },
            }
        }
        AptosError::Http(e) => Error::Transport {
            message: e.to_string(),
            retryable: true,
            status: None,
        },
        other => Error::Aptos(other),
    }
}

#[async_trait]
impl Ledger for AptosLedger {
    async fn chain_id(&self) -> Result<ChainId> {
        if let Some(id) = self.chain_id.get() {
            return Ok(*id);
        }
        let info = self
            .node
            .get_ledger_info()
            .await
            .map_err(|e| node_error(e, self.contract))?;
        Ok(*self
            .chain_id
            .get_or_init(|| ChainId::new(info.data.chain_id)))
    }

    async fn now_micros(&self) -> Result<u64> {
        let info = self
            .node
            .get_ledger_info()
            .await
            .map_err(|e| node_error(e, self.contract))?;
        info.data
            .ledger_timestamp
            .parse()
            .map_err(|e| Error::decode(format!("ledger_timestamp: {e}")))
    }

    async fn gas_unit_price(&self) -> Result<Option<u64>> {
        let url = format!("{}/estimate_gas_price", self.base);
        let transport = |e: reqwest::Error| Error::Transport {
            message: format!("{url}: {e}"),
            retryable: true,
            status: e.status().map(|s| s.as_u16()),
        };
        let answer: Value = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(transport)?
            .json()
            .await
            .map_err(transport)?;
        answer
            .get("gas_estimate")
            .and_then(Value::as_u64)
            .map(Some)
            .ok_or_else(|| Error::decode(format!("{url}: no gas_estimate in {answer}")))
    }

    async fn sequence_number(&self, account: AccountAddress) -> Result<u64> {
        match self.node.get_sequence_number(account).await {
            Ok(n) => Ok(n),
            Err(AptosError::Api {
                status_code: 404, ..
            }) => Ok(0),
            Err(e) => Err(node_error(e, self.contract)),
        }
    }

    async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let pending = self
            .node
            .submit_transaction(txn)
            .await
            .map_err(|e| node_error(e, self.contract))?;
        self.wait(pending.data.hash).await
    }

    async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let r = self
            .node
            .simulate_transaction(txn)
            .await
            .map_err(|e| node_error(e, self.contract))?;
        let first = r
            .data
            .first()
            .ok_or_else(|| Error::decode("empty simulation result"))?;
        self.parse_outcome(first)
    }

    async fn view(&self, request: &ViewRequest) -> Result<Vec<Vec<u8>>> {
        let body = aptos_bcs::to_bytes(&EntryFunction::new(
            request.module.clone(),
            &request.function,
            request.type_args.clone(),
            request.args.clone(),
        ))
        .map_err(|e| Error::decode(e.to_string()))?;
        let response = self
            .http
            .post(format!("{}/view", self.base))
            .header("content-type", "application/x.aptos.view_function+bcs")
            .header("accept", "application/x-bcs")
            .body(body)
            .send()
            .await
            .map_err(|e| node_error(AptosError::Http(e), self.contract))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| node_error(AptosError::Http(e), self.contract))?;
        if status != 200 {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let message = v.get("message").and_then(Value::as_str).map_or_else(
                || String::from_utf8_lossy(&bytes).into_owned(),
                str::to_string,
            );
            return Err(node_error(AptosError::api(status, message), self.contract));
        }
        aptos_bcs::from_bytes(&bytes).map_err(|e| Error::decode(format!("view result: {e}")))
    }

    async fn transaction_by_hash(&self, hash: HashValue) -> Result<Option<TxnOutcome>> {
        match self.node.get_transaction_by_hash(&hash).await {
            Ok(r) if r.data.get("type").and_then(Value::as_str) == Some("pending_transaction") => {
                Ok(None)
            }
            Ok(r) => self.parse_outcome(&r.data).map(Some),
            Err(AptosError::Api {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(node_error(e, self.contract)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_base_url_gets_the_v1_path_and_a_v1_url_keeps_it() {
        let at = |url: &str| {
            AptosLedger::new(url, AccountAddress::ONE)
                .unwrap()
                .node_url()
                .to_string()
        };
        assert_eq!(at("http://127.0.0.1:8070"), "http://127.0.0.1:8070/v1");
        assert_eq!(at("http://127.0.0.1:8070/"), "http://127.0.0.1:8070/v1");
        assert_eq!(at("http://127.0.0.1:8070/v1/"), "http://127.0.0.1:8070/v1");
        assert_eq!(at("https://node.example/v1"), "https://node.example/v1");
    }

    #[test]
    fn aborts_parse_from_the_node_status() {
        let a = parse_abort("Move abort in 0xcafe::payment_stream: E_NOT_STREAM_PARTY(0x25): x")
            .unwrap();
        assert_eq!(a.code, 0x25);
        assert_eq!(a.module.name.as_str(), "payment_stream");
        let f = parse_abort("Move abort in 0x1::fungible_asset: EINSUFFICIENT_BALANCE(0x10004)")
            .unwrap();
        assert_eq!(f.code, 0x10004);
        assert_eq!(f.module.address, AccountAddress::ONE);
        assert!(parse_abort("Executed successfully").is_none());
        assert!(parse_abort("Move abort in garbage").is_none());
    }
}
