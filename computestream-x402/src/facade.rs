//! The x402 surface every language binding exposes (Python, Node, wasm), with strings in and
//! out: headers as they travel, objects as JSON, integers that may pass 2^53 as decimal
//! strings. An agent pays a `PAYMENT-REQUIRED` challenge with [`pay`]; a provider builds
//! requirements ([`exact_requirements`], [`stream_requirements`]), encodes its challenge with
//! [`encode_header`] and checks a `PAYMENT-SIGNATURE` locally with [`verify_payment`] before
//! it asks a facilitator to settle. The `computestream x402 decode` command prints
//! [`describe_header`].

use computestream_core::{AccountAddress, AssetId, Rate, Signer};
use serde_json::{Value, json};

use crate::aptos::{AptosPayment, VerifyPolicy};
use crate::facilitator::verify_response;
use crate::schemes::{self, PayError, StreamTerms, TxnParams, verify_local};
use crate::wire::{
    self, PaymentHeader, PaymentHeaderRef, PaymentRequired, PaymentRequiredV1, PaymentRequirements,
    SettleResponse, WireError,
};
use crate::{Invalid, Network, Reason};

/// Why a facade call failed (bad input; a payment that fails verification is not an error).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FacadeError {
    /// A header that does not decode.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// Requirements this client cannot pay.
    #[error(transparent)]
    Pay(#[from] PayError),
    /// Any other malformed argument.
    #[error("{0}")]
    InvalidArgument(String),
}

impl FacadeError {
    /// A stable code for programs and bindings to match on (messages may change; codes do
    /// not). [`FacadeError::Wire`] and [`FacadeError::Pay`] answer their inner error's code
    /// ([`WireError::code`]: `HEADER_TOO_LARGE`, `INVALID_BASE64`, `INVALID_JSON`,
    /// `UNSUPPORTED_VERSION`; [`PayError::code`]: `UNSUPPORTED_SCHEME_OR_NETWORK`,
    /// `INVALID_REQUIREMENTS`, `SIGNING_FAILED`); [`FacadeError::InvalidArgument`] is
    /// `INVALID_INPUT`: an argument that is not what the call takes (a private key, an
    /// address, a network id, requirements or header JSON, an `accept` index, a `now` that is
    /// not seconds).
    pub fn code(&self) -> &'static str {
        match self {
            FacadeError::Wire(e) => e.code(),
            FacadeError::Pay(e) => e.code(),
            FacadeError::InvalidArgument(_) => "INVALID_INPUT",
        }
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> FacadeError {
    FacadeError::InvalidArgument(format!("{what}: {e}"))
}

fn address(text: &str, what: &str) -> Result<AccountAddress, FacadeError> {
    AccountAddress::from_hex(text).map_err(|_| invalid(what, format!("{text:?} is not an address")))
}

fn network(caip2: &str) -> Result<Network, FacadeError> {
    Network::from_caip2(caip2).ok_or_else(|| {
        invalid(
            "network",
            format!("{caip2:?}: expected aptos:1, aptos:2, movement:126, movement:250 or aptos:4"),
        )
    })
}

/// A `now` argument: seconds since the epoch, not milliseconds.
fn now_arg(now_secs: u64) -> Result<u64, FacadeError> {
    schemes::check_now_secs(now_secs)
        .map(|()| now_secs)
        .map_err(|e| match e {
            PayError::BadParams(m) => FacadeError::InvalidArgument(m),
            other => FacadeError::Pay(other),
        })
}

fn signer(private_key: &str) -> Result<Signer, FacadeError> {
    // The core's error already says `private key: …`.
    Signer::from_private_key(private_key.trim()).map_err(|e| match e {
        computestream_core::Error::InvalidArgument(message) => {
            FacadeError::InvalidArgument(message)
        }
        other => FacadeError::InvalidArgument(other.to_string()),
    })
}

/// The account address (long form) of an Ed25519 private key (`0x` + 64 hex).
pub fn address_of(private_key: &str) -> Result<String, FacadeError> {
    Ok(signer(private_key)?.address().to_long_string())
}

/// Any x402 header as `{"kind", "header"}`: `kind` is `payment`, `payment-required` or
/// `payment-response`, `header` its JSON. A payment on Aptos or Movement also gets
/// `aptos_transaction`: the signed transaction decoded, with `signature_valid`.
pub fn describe_header(header: &str) -> Result<Value, FacadeError> {
    let header = header.trim();
    let json_value: Value = wire::decode_header(header)?;
    let kind = if json_value.get("accepts").is_some() {
        match json_value.get("x402Version").and_then(Value::as_u64) {
            Some(2) => serde_json::from_value::<PaymentRequired>(json_value.clone()).map(|_| ()),
            _ => serde_json::from_value::<PaymentRequiredV1>(json_value.clone()).map(|_| ()),
        }
        .map_err(|e| invalid("payment required", e))?;
        "payment-required"
    } else if json_value.get("success").is_some() {
        serde_json::from_value::<SettleResponse>(json_value.clone())
            .map_err(|e| invalid("payment response", e))?;
        "payment-response"
    } else {
        PaymentHeader::decode(header)?;
        "payment"
    };
    let mut out = json!({"kind": kind, "header": json_value});
    if kind == "payment"
        && let Some(transaction) = json_value
            .pointer("/payload/transaction")
            .and_then(Value::as_str)
        && let Ok(p) = AptosPayment::from_transaction(transaction)
    {
        let function = p.entry_function().map(|f| {
            json!({
                "function": format!("{}::{}", f.module, f.function),
                "type_arguments": f.type_args.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                "arguments": f.args.iter().map(|a| format!("0x{}", hex::encode(a))).collect::<Vec<_>>(),
            })
        });
        out["aptos_transaction"] = json!({
            "sender": p.raw.sender.to_hex(),
            "sequence_number": p.raw.sequence_number.to_string(),
            "chain_id": p.raw.chain_id.id(),
            "max_gas_amount": p.raw.max_gas_amount.to_string(),
            "gas_unit_price": p.raw.gas_unit_price.to_string(),
            "expiration_timestamp_secs": p.raw.expiration_timestamp_secs.to_string(),
            "fee_payer": p.fee_payer.map(|a| a.to_hex()),
            "entry_function": function,
            "signature_valid": p.check_sender_signature().is_ok(),
        });
    }
    Ok(out)
}

/// [`describe_header`] as JSON text.
pub fn decode_header(header: &str) -> Result<String, FacadeError> {
    describe_header(header).map(|v| v.to_string())
}

/// A header from any x402 object given as JSON: compact JSON, standard padded base64.
pub fn encode_header(json: &str) -> Result<String, FacadeError> {
    let value: Value = serde_json::from_str(json).map_err(|e| invalid("header JSON", e))?;
    if !value.is_object() {
        return Err(invalid("header JSON", "expected an object"));
    }
    Ok(wire::encode_header(&value))
}

/// `exact` requirements (a transfer of `amount` base units of `asset` to `pay_to`) as JSON;
/// `fee_payer` sponsors the gas.
pub fn exact_requirements(
    network_id: &str,
    asset: &str,
    pay_to: &str,
    amount: u64,
    max_timeout_seconds: u64,
    fee_payer: Option<&str>,
) -> Result<String, FacadeError> {
    let r = schemes::exact_requirements(
        network(network_id)?,
        AssetId(address(asset, "asset")?),
        address(pay_to, "payTo")?,
        amount,
        max_timeout_seconds,
        fee_payer.map(|f| address(f, "feePayer")).transpose()?,
    );
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

/// `stream` requirements as JSON: a rental from `provider` at `rate_per_second` (nano-units
/// per second, the on-chain price) for up to `max_duration_seconds`, contracts at `contract`;
/// `amount` is the deposit, `ceil(rate × duration / 1e9)`. A duration or rate of 0, or a
/// deposit past `u64`, is `INVALID_INPUT`.
#[allow(clippy::too_many_arguments)] // one argument per field of the requirements
pub fn stream_requirements(
    network_id: &str,
    contract: &str,
    provider: &str,
    asset: &str,
    rate_per_second: u128,
    max_duration_seconds: u64,
    max_timeout_seconds: u64,
    fee_payer: Option<&str>,
) -> Result<String, FacadeError> {
    let terms = StreamTerms {
        network: network(network_id)?,
        contract: address(contract, "contract")?,
        provider: address(provider, "provider")?,
        asset: AssetId(address(asset, "asset")?),
        rate: Rate::from_nanos_per_second(rate_per_second),
        max_duration_seconds,
        fee_payer: fee_payer.map(|f| address(f, "feePayer")).transpose()?,
    };
    let r = terms
        .checked_requirements(max_timeout_seconds)
        .map_err(|e| match e {
            PayError::BadRequirements(m) => invalid("stream", m),
            other => FacadeError::Pay(other),
        })?;
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

/// Pays the `accept`-th way offered by a `PAYMENT-REQUIRED` header: signs the transfer
/// (`exact`) or the rental (`stream`, running `docker_image`) as the key's account, with its
/// next `sequence_number`, expiring `maxTimeoutSeconds` after `now_secs` (seconds since the
/// epoch; a `now` in milliseconds is refused with `INVALID_INPUT`). Returns the
/// `PAYMENT-SIGNATURE` header to retry the request with. Nothing is submitted: the server's
/// facilitator does that.
pub fn pay(
    private_key: &str,
    payment_required: &str,
    accept: usize,
    sequence_number: u64,
    now_secs: u64,
    docker_image: &str,
) -> Result<String, FacadeError> {
    let now_secs = now_arg(now_secs)?;
    let required: PaymentRequired = wire::decode_header(payment_required.trim())?;
    let requirements = required.accepts.get(accept).ok_or_else(|| {
        invalid(
            "accept",
            format!("{accept} is past the {} offered", required.accepts.len()),
        )
    })?;
    let payload = schemes::pay(
        &signer(private_key)?,
        requirements,
        Some(required.resource.clone()),
        TxnParams::new(sequence_number, now_secs),
        docker_image,
    )?;
    Ok(wire::encode_header(&payload))
}

/// Checks a `PAYMENT-SIGNATURE` (or v1 `X-PAYMENT`) header against requirements (JSON) with
/// every local rule: scheme, network, fee payer (`fee_payers` are the sponsors the caller
/// manages), chain id, the sender's key and Ed25519 signature, gas caps, expiry at `now_secs`
/// (seconds; at least 5 s ahead and at most `maxTimeoutSeconds` + 30 s ahead), and the entry
/// function against the requirements. Returns a `VerifyResponse` as JSON
/// (`isValid`, `invalidReason`, `invalidMessage`, `payer`; `extra`: `amount` and `asset` it
/// moves, `digest` and `expires`). Balance and simulation need the ledger: a facilitator
/// checks those when it settles. A header stays valid until it expires, so a server serves a
/// payment once: it remembers `extra.digest` (hex) until `extra.expires` (chain seconds).
pub fn verify_payment(
    header: &str,
    requirements_json: &str,
    fee_payers: &[String],
    now_secs: u64,
) -> Result<String, FacadeError> {
    let now_secs = now_arg(now_secs)?;
    let requirements: PaymentRequirements =
        serde_json::from_str(requirements_json).map_err(|e| invalid("requirements", e))?;
    let policy = VerifyPolicy {
        fee_payers: fee_payers
            .iter()
            .map(|f| address(f, "fee payer"))
            .collect::<Result<_, _>>()?,
    };
    let text = wire::decode_text(header.trim())?;
    let resource = wire::ResourceInfo {
        url: String::new(),
        description: None,
        mime_type: None,
    };
    let accepts = std::slice::from_ref(&requirements);
    let outcome = match PaymentHeaderRef::parse(&text)?.into_v2(accepts, &resource) {
        Some(payload) => verify_local(&payload, &requirements, &policy, now_secs),
        None => Err(Invalid::new(
            Reason::UnsupportedScheme,
            "a v1 payment for another scheme or network",
        )),
    };
    let mut response = verify_response(&outcome, &requirements.scheme);
    if let Ok(v) = &outcome {
        let mut extra = serde_json::Map::new();
        extra.insert("amount".into(), json!(v.debit.amount.to_string()));
        extra.insert("asset".into(), json!(v.debit.asset.0.to_long_string()));
        extra.insert("digest".into(), json!(hex::encode(v.payment.digest())));
        extra.insert(
            "expires".into(),
            json!(v.payment.raw.expiration_timestamp_secs.to_string()),
        );
        response.extra = Some(extra);
    }
    Ok(serde_json::to_string(&response).unwrap_or_default())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schemes::tests::every_pay_error;
    use crate::wire::tests::every_wire_error;

    /// One of each variant, and of each inner error.
    pub(crate) fn every_facade_error() -> Vec<FacadeError> {
        let wire = every_wire_error().map(FacadeError::Wire);
        let pay = every_pay_error().map(FacadeError::Pay);
        let input = FacadeError::InvalidArgument(String::new());
        wire.into_iter().chain(pay).chain([input]).collect()
    }

    const KEY: &str = "0x0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn every_facade_error_has_a_stable_code_distinct_from_the_others() {
        let codes: Vec<_> = every_facade_error().iter().map(FacadeError::code).collect();
        crate::tests::assert_stable_codes(&codes);
    }

    #[test]
    fn facade_failures_carry_the_code_of_their_cause() {
        let code = |r: Result<String, FacadeError>| r.unwrap_err().code();
        assert_eq!(code(address_of("0x12")), "INVALID_INPUT");
        assert_eq!(
            code(exact_requirements("aptos:9", "0x1", "0x2", 1, 60, None)),
            "INVALID_INPUT"
        );
        assert_eq!(code(pay(KEY, "not base64!", 0, 0, 0, "")), "INVALID_BASE64");
        let mut required: PaymentRequired = serde_json::from_value(json!({
            "x402Version": 2,
            "resource": {"url": "https://example.com"},
            "accepts": [serde_json::from_str::<Value>(
                &exact_requirements("aptos:4", "0xa", "0xb", 1, 60, None).unwrap()
            ).unwrap()],
        }))
        .unwrap();
        assert_eq!(
            code(pay(KEY, &wire::encode_header(&required), 1, 0, 0, "")),
            "INVALID_INPUT",
            "accept past the offers"
        );
        assert_eq!(
            code(pay(
                KEY,
                &wire::encode_header(&required),
                0,
                0,
                1_767_225_540_000,
                ""
            )),
            "INVALID_INPUT",
            "a now in milliseconds"
        );
        assert_eq!(
            code(verify_payment("", "{}", &[], 1_767_225_540_000)),
            "INVALID_INPUT",
            "a verifier clock in milliseconds"
        );
        required.accepts[0].network = "aptos:9".into();
        assert_eq!(
            code(pay(KEY, &wire::encode_header(&required), 0, 0, 0, "")),
            "UNSUPPORTED_SCHEME_OR_NETWORK"
        );
    }
}
