//! The Aptos node's JSON shapes for what the localnet serves: Move types of the ABI, JSON
//! arguments to BCS, transactions and events.

use aptos_sdk::aptos_bcs;
use serde_json::{Value, json};

use crate::contract::{ContractEvent, EventRecord, Module};
use crate::error::{Error, Result};
use crate::ledger::TxnOutcome;
use crate::types::AccountAddress;

/// The Move type of a parameter or result the ABI tables spell in Rust.
pub(crate) fn move_type(rust: &str, contract: AccountAddress) -> String {
    let c = contract.to_hex();
    match rust {
        "AccountAddress" => "address".into(),
        "String" => "0x1::string::String".into(),
        "Vec<AccountAddress>" => "vector<address>".into(),
        "crate::types::Rate" => "u128".into(),
        "crate::types::JobStatus" => "u8".into(),
        "crate::types::Provider" => format!("{c}::provider_registry::ProviderInfo"),
        "crate::types::Job" => format!("{c}::job_registry::JobInfo"),
        "crate::types::Escrow" => format!("{c}::escrow::EscrowInfo"),
        "crate::types::Stream" => format!("{c}::payment_stream::StreamInfo"),
        other => other.into(),
    }
}

fn bad(what: &str, v: &Value) -> Error {
    Error::InvalidArgument(format!("argument {what}: cannot use {v}"))
}

fn int<T: std::str::FromStr>(what: &str, v: &Value) -> Result<T> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(bad(what, v)),
    };
    text.parse().map_err(|_| bad(what, v))
}

fn bcs<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    aptos_bcs::to_bytes(v).map_err(|e| Error::decode(e.to_string()))
}

/// A JSON argument (the node's form: integers as strings or numbers, addresses as hex) as
/// the BCS of the parameter's type.
pub(crate) fn json_arg_to_bcs(name: &str, rust: &str, v: &Value) -> Result<Vec<u8>> {
    match rust {
        "AccountAddress" => {
            let s = v.as_str().ok_or_else(|| bad(name, v))?;
            bcs(&AccountAddress::from_hex(s).map_err(|_| bad(name, v))?)
        }
        "String" => bcs(&v.as_str().ok_or_else(|| bad(name, v))?.to_string()),
        "bool" => bcs(&v.as_bool().ok_or_else(|| bad(name, v))?),
        "u8" => bcs(&int::<u8>(name, v)?),
        "u64" => bcs(&int::<u64>(name, v)?),
        "u128" => bcs(&int::<u128>(name, v)?),
        other => Err(Error::InvalidArgument(format!(
            "argument {name}: unsupported type {other}"
        ))),
    }
}

/// The module ABI the node serves at `/v1/accounts/{addr}/module/{name}`.
pub(crate) fn module_abi(contract: AccountAddress, module: Module) -> Value {
    let mut functions = Vec::new();
    for (m, f) in crate::contract::Call::FUNCTIONS {
        if *m != module {
            continue;
        }
        let params = crate::contract::Call::signature(module, f).unwrap_or(&[]);
        let mut types = vec!["&signer".to_string()];
        types.extend(params.iter().map(|(_, t)| move_type(t, contract)));
        functions.push(json!({
            "name": f, "visibility": "public", "is_entry": true, "is_view": false,
            "generic_type_params": [], "params": types, "return": [],
        }));
    }
    for (m, f) in crate::contract::View::FUNCTIONS {
        if *m != module {
            continue;
        }
        let Some((params, ret)) = crate::contract::View::signature(module, f) else {
            continue;
        };
        functions.push(json!({
            "name": f, "visibility": "public", "is_entry": false, "is_view": true,
            "generic_type_params": [],
            "params": params.iter().map(|(_, t)| move_type(t, contract)).collect::<Vec<_>>(),
            "return": [move_type(ret, contract)],
        }));
    }
    json!({
        "bytecode": "0x",
        "abi": {
            "address": contract.to_hex(),
            "name": module.name(),
            "friends": [],
            "exposed_functions": functions,
            "structs": [],
        }
    })
}

/// An event in the node's shape; our contracts' events get their fields as JSON.
pub(crate) fn event_json(contract: AccountAddress, record: &EventRecord, index: usize) -> Value {
    let data = match ContractEvent::from_record(contract, record) {
        Ok(Some(event)) => {
            let mut v = serde_json::to_value(&event).unwrap_or(Value::Null);
            if let Some(map) = v.as_object_mut() {
                map.remove("type");
            }
            v
        }
        _ => json!({}),
    };
    json!({
        "guid": {"creation_number": "0", "account_address": "0x0"},
        "sequence_number": index.to_string(),
        "type": record.type_tag,
        "data": data,
    })
}

/// A committed transaction in the node's shape.
pub(crate) fn transaction_json(contract: AccountAddress, t: &TxnOutcome) -> Value {
    let zero = format!("0x{}", "0".repeat(64));
    json!({
        "type": "user_transaction",
        "version": t.version.to_string(),
        "hash": t.hash.to_hex(),
        "state_change_hash": zero,
        "event_root_hash": zero,
        "state_checkpoint_hash": null,
        "accumulator_root_hash": zero,
        "gas_used": "0",
        "success": t.success,
        "vm_status": t.vm_status,
        "changes": [],
        "sender": t.sender.to_hex(),
        "sequence_number": t.sequence_number.to_string(),
        "events": t.events.iter().enumerate().map(|(i, e)| event_json(contract, e, i)).collect::<Vec<_>>(),
        "timestamp": t.timestamp_usecs.to_string(),
    })
}
