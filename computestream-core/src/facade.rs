//! The surface every language binding exposes (Python, Node, wasm), written once here so each
//! binding is a line-per-function wrapper and every runtime runs the same code. Amounts are
//! base units, rates are nano-units per second, calls and records are the JSON forms of
//! [`Call`] and [`Stream`] (integers as decimal strings, so JavaScript loses no precision).

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{
    EntryFunction, RawTransaction, SignedTransaction, TransactionPayload,
};
use aptos_sdk::types::ChainId;
use serde::Serialize;

use crate::client::{Signer, TxnOptions};
use crate::contract::{AbortCode, AbortModule, Call, LOCAL_CONTRACT_ADDRESS};
use crate::error::{Error, Result};
use crate::types::{AccountAddress, Amount, Rate, Stream, parse_address};

/// Parses a decimal integer (a JavaScript string carrying a u64 or u128).
pub fn parse_int<T: std::str::FromStr>(text: &str, what: &str) -> Result<T> {
    text.parse()
        .map_err(|_| Error::InvalidArgument(format!("{what}: {text:?} is not an integer in range")))
}

/// `"2.5"` in an asset with `decimals` decimals → base units.
pub fn parse_amount(text: &str, decimals: u8) -> Result<u64> {
    Amount::from_decimal(text, decimals).map(|a| a.0)
}

/// Base units → the decimal form, trailing zeros trimmed.
pub fn format_amount(units: u64, decimals: u8) -> String {
    Amount(units).to_decimal(decimals)
}

/// `units` base units per `per` (`"second"`, `"minute"` or `"hour"`) as a nano-rate.
pub fn rate(units: u64, per: &str) -> Result<u128> {
    Ok(match per {
        "second" | "s" => Rate::per_second(units),
        "minute" | "m" => Rate::per_minute(units),
        "hour" | "h" => Rate::per_hour(units),
        other => {
            return Err(Error::InvalidArgument(format!(
                "rate period {other:?}: expected second, minute or hour"
            )));
        }
    }
    .nanos_per_second())
}

/// What `active_seconds` of streaming at `rate_per_second` owe from `deposited` (floored,
/// capped at the deposit): invariant 2.
pub fn stream_owed(deposited: u64, rate_per_second: u128, active_seconds: u64) -> u64 {
    crate::math::owed(deposited, rate_per_second, active_seconds)
}

/// Active seconds until `deposited` is fully owed at `rate_per_second` (`None`: never).
pub fn seconds_to_deplete(deposited: u64, rate_per_second: u128) -> Option<u64> {
    if rate_per_second == 0 {
        return None;
    }
    u64::try_from(crate::math::seconds_to_deplete(deposited, rate_per_second))
        .ok()
        .filter(|&s| s != crate::math::NEVER)
}

/// A stream's figures at chain time `now`, computed locally from its `get_stream` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamSnapshot {
    /// Owed to the payee in total so far.
    #[serde(with = "crate::serde_dec")]
    pub owed: u64,
    /// Owed but not yet paid (what a settlement would pay now).
    #[serde(with = "crate::serde_dec")]
    pub claimable: u64,
    /// What closing now would refund to the payer.
    #[serde(with = "crate::serde_dec")]
    pub refundable: u64,
    /// When the escrow will be fully owed (`u64::MAX`: never under the current state).
    #[serde(with = "crate::serde_dec")]
    pub depletion_time: u64,
    /// Whether it accrues at `now`.
    pub accruing: bool,
}

impl StreamSnapshot {
    /// The JSON form (integers as decimal strings).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// [`StreamSnapshot`] of a stream record (the JSON of the `get_stream` view).
pub fn stream_snapshot(stream_json: &str, now: u64) -> Result<StreamSnapshot> {
    let s: Stream = serde_json::from_str(stream_json)
        .map_err(|e| Error::InvalidArgument(format!("stream record: {e}")))?;
    Ok(StreamSnapshot {
        owed: s.owed_at(now),
        claimable: s.claimable_at(now),
        refundable: s.refundable_at(now),
        depletion_time: s.depletion_time(now),
        accruing: s.is_accruing(now),
    })
}

fn contract_or_local(contract: Option<&str>) -> Result<AccountAddress> {
    contract.map_or(Ok(LOCAL_CONTRACT_ADDRESS), parse_address)
}

/// The BCS bytes of the entry function for a call given as JSON
/// (`{"function":"rent","provider":"0x…",…}`), for the contracts at `contract` (default: the
/// embedded ledger's).
pub fn encode_call(call_json: &str, contract: Option<&str>) -> Result<Vec<u8>> {
    let call: Call = serde_json::from_str(call_json)
        .map_err(|e| Error::InvalidArgument(format!("call: {e}")))?;
    let function = call.entry_function(contract_or_local(contract)?)?;
    aptos_bcs::to_bytes(&function).map_err(|e| Error::Aptos(aptos_sdk::AptosError::bcs(e)))
}

/// The JSON form of an entry function's BCS bytes; inverse of [`encode_call`].
pub fn decode_call(bcs: &[u8], contract: Option<&str>) -> Result<String> {
    let function: EntryFunction =
        aptos_bcs::from_bytes(bcs).map_err(|e| Error::decode(format!("entry function: {e}")))?;
    let call = Call::from_entry_function(contract_or_local(contract)?, &function)
        .map_err(|e| Error::decode(e.to_string()))?;
    serde_json::to_string(&call).map_err(|e| Error::decode(e.to_string()))
}

/// Signs a contract call (the JSON [`encode_call`] takes) as the account of `private_key`, with
/// its next `sequence_number`, for chain `chain_id`, expiring at `expiration_secs` (chain
/// seconds), with the SDK's default gas (200,000 units at 100). Returns the signed
/// transaction's BCS, ready for `POST /v1/transactions` with content type
/// `application/x.aptos.signed_transaction+bcs`; [`transaction_hash`] names it.
pub fn sign_call(
    private_key: &str,
    call_json: &str,
    contract: Option<&str>,
    sequence_number: u64,
    chain_id: u8,
    expiration_secs: u64,
) -> Result<Vec<u8>> {
    let signer = Signer::from_private_key(private_key.trim())?;
    let call: Call = serde_json::from_str(call_json)
        .map_err(|e| Error::InvalidArgument(format!("call: {e}")))?;
    let gas = TxnOptions::default();
    let raw = RawTransaction::new(
        signer.address(),
        sequence_number,
        TransactionPayload::EntryFunction(call.entry_function(contract_or_local(contract)?)?),
        gas.max_gas_amount,
        gas.gas_unit_price,
        expiration_secs,
        ChainId::new(chain_id),
    );
    let signed = signer.sign(&raw)?;
    aptos_bcs::to_bytes(&signed).map_err(|e| Error::Aptos(aptos_sdk::AptosError::bcs(e)))
}

/// The hash (`0x` + 64 hex) of a signed transaction given as BCS: what the node answers to a
/// submission and what `/v1/transactions/wait_by_hash/{hash}` takes.
pub fn transaction_hash(signed: &[u8]) -> Result<String> {
    let txn: SignedTransaction = aptos_bcs::from_bytes(signed)
        .map_err(|e| Error::decode(format!("signed transaction: {e}")))?;
    Ok(txn.hash()?.to_hex())
}

/// The name of a contract abort code raised in `module` (`"payment_stream"`, …).
pub fn abort_name(module: &str, code: u64) -> Option<&'static str> {
    AbortCode::from_location(AbortModule::from_name(module)?, code).map(AbortCode::name)
}

/// What a contract abort code raised in `module` means, in one sentence.
pub fn abort_description(module: &str, code: u64) -> Option<&'static str> {
    AbortCode::from_location(AbortModule::from_name(module)?, code).map(AbortCode::description)
}

/// A call (the JSON [`encode_call`] takes) as the entry-function payload Aptos wallets sign
/// (AIP-62 `signAndSubmitTransaction`, the TypeScript SDK's `InputEntryFunctionData`):
/// `{"function": "0x…::module::name", "typeArguments": [], "functionArguments": [...]}`, the
/// arguments in ABI order, integers as decimal strings, addresses as `0x` hex.
pub fn entry_function_payload(call_json: &str, contract: Option<&str>) -> Result<String> {
    let call: Call = serde_json::from_str(call_json)
        .map_err(|e| Error::InvalidArgument(format!("call: {e}")))?;
    let contract = contract_or_local(contract)?;
    let fields = serde_json::to_value(&call).map_err(|e| Error::decode(e.to_string()))?;
    let arguments: Vec<serde_json::Value> = call
        .parameters()
        .iter()
        .map(|(name, _)| fields.get(*name).cloned().unwrap_or_default())
        .collect();
    let payload = serde_json::json!({
        "function": format!("{}::{}::{}", contract.to_hex(), call.module().name(), call.function()),
        "typeArguments": [],
        "functionArguments": arguments,
    });
    Ok(payload.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_rates() {
        assert_eq!(parse_amount("7.2", 6).unwrap(), 7_200_000);
        assert!(parse_amount("7.2000001", 6).is_err());
        assert_eq!(format_amount(7_200_000, 6), "7.2");
        assert_eq!(rate(7_200_000, "hour").unwrap(), 2_000_000_000_000);
        assert!(rate(1, "day").is_err());
        assert_eq!(
            parse_int::<u128>("340282366920938463463374607431768211455", "x").unwrap(),
            u128::MAX
        );
        assert!(parse_int::<u64>("18446744073709551616", "x").is_err());
        assert!(parse_int::<u64>("-1", "x").is_err());
    }

    #[test]
    fn stream_math() {
        assert_eq!(stream_owed(1_000_000, 2_000_000_000_000, 5), 10_000);
        assert_eq!(stream_owed(1_000_000, 2_000_000_000_000, 10_000), 1_000_000);
        assert_eq!(seconds_to_deplete(1_000_000, 2_000_000_000_000), Some(500));
        assert_eq!(seconds_to_deplete(1_000_000, 0), None);
    }

    #[test]
    fn calls_round_trip_through_bcs() {
        let json = r#"{"function":"top_up","payer":"0xa11ce","job_id":"7","amount":"1000"}"#;
        let bcs = encode_call(json, None).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&decode_call(&bcs, None).unwrap()).unwrap();
        assert_eq!(back["function"], "top_up");
        assert_eq!(back["job_id"], "7");
        assert_eq!(back["amount"], "1000");
        assert_eq!(
            parse_address(back["payer"].as_str().unwrap()).unwrap(),
            parse_address("0xa11ce").unwrap()
        );
        // Another deployment address does not decode as ours.
        assert!(decode_call(&bcs, Some("0xbeef")).is_err());
        assert!(encode_call(r#"{"function":"steal"}"#, None).is_err());
        assert!(decode_call(&[0xff; 3], None).is_err());
    }

    #[test]
    fn abort_names() {
        assert_eq!(
            abort_name("fungible_asset", 0x10004),
            Some("EINSUFFICIENT_BALANCE")
        );
        assert_eq!(abort_name("payment_stream", 9999), None);
        assert_eq!(abort_name("nope", 1), None);
        assert_eq!(
            abort_description("payment_stream", 34),
            Some("The stream is closed.")
        );
        assert_eq!(abort_description("payment_stream", 9999), None);
        for code in AbortCode::ALL {
            let meaning = code.description();
            assert!(
                meaning.len() > 10 && meaning.ends_with('.'),
                "{code}: {meaning:?}"
            );
        }
    }

    #[test]
    fn wallet_payloads_list_the_arguments_in_abi_order() {
        let json = r#"{"function":"top_up","payer":"0xa11ce","job_id":"7","amount":"1000"}"#;
        let payload: serde_json::Value =
            serde_json::from_str(&entry_function_payload(json, Some("0xbeef")).unwrap()).unwrap();
        assert_eq!(
            payload["function"],
            format!(
                "{}::payment_stream::top_up",
                parse_address("0xbeef").unwrap().to_hex()
            )
        );
        assert_eq!(payload["typeArguments"], serde_json::json!([]));
        let args = payload["functionArguments"].as_array().unwrap();
        assert_eq!(args.len(), 3);
        assert_eq!(
            parse_address(args[0].as_str().unwrap()).unwrap(),
            parse_address("0xa11ce").unwrap()
        );
        assert_eq!(args[1], "7");
        assert_eq!(args[2], "1000");
        let pause = entry_function_payload(
            r#"{"function":"update_availability","is_active":false}"#,
            None,
        )
        .unwrap();
        assert!(pause.contains(r#""functionArguments":[false]"#), "{pause}");
        assert!(entry_function_payload(r#"{"function":"steal"}"#, None).is_err());
    }
}
