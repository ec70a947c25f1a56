//! What the chain commands share: the signer and the node from the global options, argument
//! parsing with errors that name the argument, and printing a transaction or a view.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use computestream_core::contract::{Call, View};
use computestream_core::types::parse_address;
use computestream_core::{
    AccountAddress, AptosLedger, ContractClient, JobId, Ledger, Signer, TxnOutcome,
};
use serde_json::{Value, json};

use super::Cli;

/// The contracts, reached over the node API.
pub(super) type Client = ContractClient<Arc<AptosLedger>>;

/// The signer: `--key FILE`, else `COMPUTESTREAM_PRIVATE_KEY`.
pub(super) fn read_signer(cli: &Cli) -> Result<Signer, String> {
    let key = match &cli.key {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("--key {}: {e}", path.display()))?
        }
        None => std::env::var("COMPUTESTREAM_PRIVATE_KEY").map_err(|_| {
            "this command signs: pass --key FILE or set COMPUTESTREAM_PRIVATE_KEY".to_string()
        })?,
    };
    Signer::from_private_key(key.trim()).map_err(|e| e.to_string())
}

/// `--node`, or the default local `computestream localnet`.
pub(super) fn node_url(cli: &Cli) -> &str {
    cli.node.as_deref().unwrap_or("http://127.0.0.1:8070/v1")
}

/// A contract client over `--node`, for the contracts at `--contract`.
pub(super) fn client(cli: &Cli) -> Result<Client, String> {
    let contract = address_arg(&cli.contract, "--contract")?;
    let ledger = AptosLedger::new(node_url(cli), contract).map_err(|e| format!("--node: {e}"))?;
    Ok(ContractClient::new(Arc::new(ledger), contract))
}

/// The x402 network: the node's, by its chain id; `--network`, if given, must name the same
/// (a payment signed for another chain id would be refused at settlement).
pub(crate) async fn network(
    cli: &Cli,
    client: &Client,
) -> Result<computestream_x402::Network, String> {
    use computestream_x402::Network;
    let chain_id = client
        .ledger()
        .chain_id()
        .await
        .map_err(|e| format!("--node: reading the chain id: {e}"))?
        .id();
    let of_node = Network::ALL.into_iter().find(|n| n.chain_id() == chain_id);
    match (&cli.network, of_node) {
        (None, Some(n)) => Ok(n),
        (None, None) => Err(format!(
            "the node's chain id {chain_id} is no x402 network this build knows: pass --network"
        )),
        (Some(name), _) => {
            let named =
                Network::from_caip2(name).ok_or_else(|| format!("--network {name}: unknown"))?;
            if named.chain_id() != chain_id {
                return Err(format!(
                    "--network {name} is chain id {}, the node's is {chain_id}",
                    named.chain_id()
                ));
            }
            Ok(named)
        }
    }
}

/// A job argument, BUYER/ID.
pub(super) fn job_arg(text: &str) -> Result<JobId, String> {
    text.parse()
        .map_err(|e| format!("job {text:?}: {e} (expected BUYER/ID, e.g. 0xa11ce/1)"))
}

/// An address argument; `what` names it in the error.
pub(super) fn address_arg(text: &str, what: &str) -> Result<AccountAddress, String> {
    parse_address(text).map_err(|e| format!("{what}: {e}"))
}

/// The address `--host` and `--port` name.
pub(super) fn socket_addr(host: &str, port: u16) -> Result<SocketAddr, String> {
    format!("{host}:{port}")
        .parse()
        .map_err(|e| format!("--host/--port: {e}"))
}

/// Prints `value` with `--json`, else `human`.
pub(super) fn print_value(json_out: bool, human: String, value: Value) {
    if json_out {
        println!("{value}");
    } else {
        println!("{human}");
    }
}

/// Signs and submits `call`, then prints its outcome.
pub(super) async fn execute(cli: &Cli, call: Call) -> Result<ExitCode, String> {
    let signer = read_signer(cli)?;
    let client = client(cli)?;
    let outcome = client
        .execute(&signer, &call)
        .await
        .map_err(|e| format!("{}: {e}", call.function()))?;
    report(cli.json, &client, call.function(), &outcome);
    Ok(ExitCode::SUCCESS)
}

/// One line per transaction: its hash and version, the job it created, its events.
fn report(json_out: bool, client: &Client, function: &str, outcome: &TxnOutcome) {
    let events = outcome
        .contract_events(client.contract())
        .unwrap_or_default();
    let job = outcome.created_job(client.contract()).ok().flatten();
    let value = json!({
        "function": function,
        "hash": outcome.hash.to_hex(),
        "version": outcome.version.to_string(),
        "success": outcome.success,
        "job": job.map(|j| j.to_string()),
        "events": events,
    });
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    let mut human = format!(
        "{function}: committed in {} (version {})",
        outcome.hash, outcome.version
    );
    if let Some(j) = job {
        human.push_str(&format!("; job {j}"));
    }
    if !names.is_empty() {
        human.push_str(&format!("; events {}", names.join(", ")));
    }
    print_value(json_out, human, value);
}

/// Calls a view function and prints its result as (pretty) JSON.
pub(super) async fn view(cli: &Cli, v: View) -> Result<ExitCode, String> {
    let client = client(cli)?;
    let request = v.request(client.contract()).map_err(|e| e.to_string())?;
    let values = client
        .ledger()
        .view(&request)
        .await
        .map_err(|e| format!("{}: {e}", v.function()))?;
    let value = values
        .first()
        .map(|b| v.result_to_json(b))
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or(Value::Null);
    let human = serde_json::to_string_pretty(&value).unwrap_or_default();
    print_value(cli.json, human, value);
    Ok(ExitCode::SUCCESS)
}
