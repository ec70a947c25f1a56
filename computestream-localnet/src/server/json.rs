//! The Aptos node's JSON shapes for what the localnet serves: Move types of the ABI, JSON
//! arguments to BCS, transactions and events.

use aptos_sdk::aptos_bcs;
use serde_json::{Value, json};

use aptos_sdk::transaction::{SignedTransaction, TransactionAuthenticator, TransactionPayload};

use computestream_core::contract::{Call, ContractEvent, EventRecord, FrameworkCall, Module};
use computestream_core::error::{Error, Result};
use computestream_core::ledger::TxnOutcome;
use computestream_core::types::AccountAddress;

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
    for (m, f) in computestream_core::contract::Call::FUNCTIONS {
        if *m != module {
            continue;
        }
        let params = computestream_core::contract::Call::signature(module, f).unwrap_or(&[]);
        let mut types = vec!["&signer".to_string()];
        types.extend(params.iter().map(|(_, t)| move_type(t, contract)));
        functions.push(json!({
            "name": f, "visibility": "public", "is_entry": true, "is_view": false,
            "generic_type_params": [], "params": types, "return": [],
        }));
    }
    for (m, f) in computestream_core::contract::View::FUNCTIONS {
        if *m != module {
            continue;
        }
        let Some((params, ret)) = computestream_core::contract::View::signature(module, f) else {
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

/// A transaction payload in the node's shape: our contracts' and the supported framework
/// functions get their arguments as JSON, anything else as hex BCS.
fn payload_json(contract: AccountAddress, payload: &TransactionPayload) -> Value {
    let TransactionPayload::EntryFunction(f) = payload else {
        return json!({"type": "unsupported_payload"});
    };
    let hex_args = || {
        f.args
            .iter()
            .map(|a| json!(format!("0x{}", hex::encode(a))))
            .collect::<Vec<_>>()
    };
    let arguments = match Call::from_entry_function(contract, f) {
        Ok(call) => {
            let named = serde_json::to_value(&call).unwrap_or(Value::Null);
            call.parameters()
                .iter()
                .map(|(name, _)| named[*name].clone())
                .collect()
        }
        Err(_) => match FrameworkCall::from_entry_function(f) {
            Ok(FrameworkCall::TransferAsset { asset, to, amount }) => {
                vec![
                    json!(asset.to_hex()),
                    json!(to.to_hex()),
                    json!(amount.to_string()),
                ]
            }
            Ok(FrameworkCall::TransferNative { to, amount }) => {
                vec![json!(to.to_hex()), json!(amount.to_string())]
            }
            _ => hex_args(),
        },
    };
    json!({
        "type": "entry_function_payload",
        "function": format!("{}::{}::{}", f.module.address.to_hex(), f.module.name, f.function),
        "type_arguments": f.type_args.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "arguments": arguments,
    })
}

fn signature_json(txn: &SignedTransaction) -> Value {
    match &txn.authenticator {
        TransactionAuthenticator::Ed25519 {
            public_key,
            signature,
        } => json!({
            "type": "ed25519_signature",
            "public_key": format!("0x{}", hex::encode(public_key.0)),
            "signature": format!("0x{}", hex::encode(signature.0)),
        }),
        TransactionAuthenticator::FeePayer {
            fee_payer_address, ..
        } => json!({
            "type": "fee_payer_signature",
            "fee_payer_address": fee_payer_address.to_hex(),
        }),
        _ => json!({"type": "unsupported_signature"}),
    }
}

/// A committed transaction in the node's shape (with its payload, gas fields and signature
/// when the ledger still holds the signed transaction).
pub(crate) fn transaction_json(
    contract: AccountAddress,
    t: &TxnOutcome,
    signed: Option<&SignedTransaction>,
) -> Value {
    let mut v = outcome_json(contract, t);
    if let (Some(txn), Some(map)) = (signed, v.as_object_mut()) {
        let raw = &txn.raw_txn;
        map.insert(
            "max_gas_amount".into(),
            json!(raw.max_gas_amount.to_string()),
        );
        map.insert(
            "gas_unit_price".into(),
            json!(raw.gas_unit_price.to_string()),
        );
        map.insert(
            "expiration_timestamp_secs".into(),
            json!(raw.expiration_timestamp_secs.to_string()),
        );
        map.insert("payload".into(), payload_json(contract, &raw.payload));
        map.insert("signature".into(), signature_json(txn));
    }
    v
}

fn outcome_json(contract: AccountAddress, t: &TxnOutcome) -> Value {
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
