//! What the `exact` and `stream` schemes share on Aptos and Movement: the payload envelope
//! of the reference `@x402/aptos` (base64 of JSON `{transaction:[u8…], senderAuthenticator:[u8…]}`,
//! where `transaction` is `BCS(RawTransaction) ‖ BCS(Option<fee payer>)`), the sender's
//! signature checked locally over the real or the zero fee payer, and the rules every
//! Aptos payment passes before its scheme looks at the entry function.

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{
    AccountAuthenticator, EntryFunction, RawTransaction, SignedTransaction,
    TransactionAuthenticator, TransactionPayload,
};
use computestream_core::aptos_sdk::crypto::sha3_256;
use computestream_core::tx::{cosign_as_fee_payer, sign_as_sender, sign_as_sponsored_sender};
use computestream_core::{AccountAddress, Signer};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

use crate::Network;
use crate::reason::{Invalid, Reason};
use crate::wire::{
    PaymentPayloadRef, PaymentRequirements, RequirementsRef, decode_base64, encode_base64,
};

/// The signing-message prefixes, hashed once.
fn raw_transaction_salt() -> &'static [u8; 32] {
    static SALT: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    SALT.get_or_init(|| sha3_256(b"APTOS::RawTransaction"))
}

fn with_data_salt() -> &'static [u8; 32] {
    static SALT: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    SALT.get_or_init(|| sha3_256(b"APTOS::RawTransactionWithData"))
}

/// The envelope in the exact shape the reference encoders write
/// (`{"transaction":[…],"senderAuthenticator":[…]}`, no whitespace), read without a general
/// JSON parser; `None` for anything else, which then goes through serde with its full checks.
fn fast_envelope(json: &[u8]) -> Option<Envelope> {
    fn array<'a>(input: &'a [u8], out: &mut Vec<u8>) -> Option<&'a [u8]> {
        let mut rest = input.strip_prefix(b"[")?;
        if let Some(after) = rest.strip_prefix(b"]") {
            return Some(after);
        }
        loop {
            // One to three digits, no leading zero, then `,` or `]`.
            let d = |b: u8| u16::from(b - b'0');
            let (value, len) = match rest {
                [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
                    (d(*a) * 100 + d(*b) * 10 + d(*c), 3)
                }
                [a @ b'1'..=b'9', b @ b'0'..=b'9', ..] => (d(*a) * 10 + d(*b), 2),
                [a @ b'0'..=b'9', ..] => (d(*a), 1),
                _ => return None,
            };
            out.push(u8::try_from(value).ok()?);
            match rest.get(len)? {
                b',' => rest = &rest[len + 1..],
                b']' => return Some(&rest[len + 1..]),
                _ => return None,
            }
        }
    }
    let rest = json.strip_prefix(br#"{"transaction":"#)?;
    let mut transaction = Vec::with_capacity(rest.len() / 3);
    let rest = array(rest, &mut transaction)?;
    let rest = rest.strip_prefix(br#","senderAuthenticator":"#)?;
    let mut sender_authenticator = Vec::with_capacity(99);
    let rest = array(rest, &mut sender_authenticator)?;
    (rest == b"}").then_some(Envelope {
        transaction,
        sender_authenticator,
    })
}

/// Decompressed Ed25519 keys by their bytes: payers repeat, and decompressing a point costs
/// a sizeable share of a signature check. Bounded; cleared when full.
fn verifying_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KEYS: OnceLock<Mutex<HashMap<[u8; 32], VerifyingKey>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(k) = keys.lock().ok()?.get(bytes) {
        return Some(*k);
    }
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    let mut map = keys.lock().ok()?;
    if map.len() >= 4_096 {
        map.clear();
    }
    map.insert(*bytes, key);
    Some(key)
}

/// Gas a sponsored payment may ask the fee payer for, at most.
pub const MAX_SPONSORED_GAS_AMOUNT: u64 = 500_000;
/// Gas unit price a sponsored payment may ask for, at most.
pub const MAX_SPONSORED_GAS_UNIT_PRICE: u64 = 1_000;
/// A payment must stay valid at least this long after verification.
pub const MIN_EXPIRY_MARGIN_SECS: u64 = 5;
/// How much later than `now + maxTimeoutSeconds` a payment may expire: the payer's clock may
/// run this far ahead of the verifier's. A later expiry is refused, so a payment (and the
/// memory of having served it) lives at most `maxTimeoutSeconds` plus this.
pub const MAX_EXPIRY_SKEW_SECS: u64 = 30;
/// The largest `now` taken as seconds since the Unix epoch (10^11 s is in the year 5138): a
/// larger one is almost certainly milliseconds, and would sign or accept a payment that lives
/// for millennia.
pub const MAX_PLAUSIBLE_NOW_SECS: u64 = 100_000_000_000;

/// The latest expiry a payment for requirements with `max_timeout_seconds` may carry when
/// verified at `now_secs`: `now + maxTimeoutSeconds +` [`MAX_EXPIRY_SKEW_SECS`].
pub const fn latest_expiry(now_secs: u64, max_timeout_seconds: u64) -> u64 {
    now_secs
        .saturating_add(max_timeout_seconds)
        .saturating_add(MAX_EXPIRY_SKEW_SECS)
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    transaction: Vec<u8>,
    sender_authenticator: Vec<u8>,
}

/// A decoded Aptos payment: the raw transaction, its fee payer (sponsored) and the sender's
/// authenticator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AptosPayment {
    /// The transaction the sender signed.
    pub raw: RawTransaction,
    /// `Some` when sponsored.
    pub fee_payer: Option<AccountAddress>,
    /// The sender's signature.
    pub sender_auth: AccountAuthenticator,
}

impl AptosPayment {
    /// Signs `raw` as its sender: over `fee_payer` when sponsored, plainly otherwise.
    pub fn sign(
        signer: &Signer,
        raw: RawTransaction,
        fee_payer: Option<AccountAddress>,
    ) -> computestream_core::Result<AptosPayment> {
        let sender_auth = match fee_payer {
            Some(fp) => sign_as_sponsored_sender(signer, &raw, fp)?,
            None => sign_as_sender(signer, &raw)?,
        };
        Ok(AptosPayment {
            raw,
            fee_payer,
            sender_auth,
        })
    }

    /// The bytes of the envelope's `transaction`: `BCS(RawTransaction) ‖ BCS(Option<fee payer>)`.
    pub fn transaction_bytes(&self) -> Vec<u8> {
        aptos_bcs::to_bytes(&(&self.raw, &self.fee_payer)).unwrap_or_default()
    }

    /// The scheme payload: `{"transaction": base64(JSON envelope)}`.
    pub fn to_payload(&self) -> Map<String, Value> {
        let envelope = Envelope {
            transaction: self.transaction_bytes(),
            sender_authenticator: aptos_bcs::to_bytes(&self.sender_auth).unwrap_or_default(),
        };
        let json = serde_json::to_vec(&envelope).unwrap_or_default();
        let mut map = Map::new();
        map.insert("transaction".into(), Value::String(encode_base64(&json)));
        map
    }

    /// Decodes a scheme payload (`{"transaction": …}`, raw JSON as a server decoded it).
    pub fn from_payload(payload: &RawValue) -> Result<AptosPayment, Invalid> {
        #[derive(Deserialize)]
        struct SchemePayload<'a> {
            #[serde(borrow)]
            transaction: Cow<'a, str>,
        }
        let p: SchemePayload<'_> = serde_json::from_str(payload.get()).map_err(|_| {
            Invalid::new(
                Reason::VerificationError,
                "payload.transaction missing or not a string",
            )
        })?;
        AptosPayment::from_transaction(&p.transaction)
    }

    /// Decodes the base64 envelope in `payload.transaction`. Array values above 255,
    /// trailing bytes and unknown authenticator layouts are errors.
    pub fn from_transaction(text: &str) -> Result<AptosPayment, Invalid> {
        let bad = |m: String| Invalid::new(Reason::VerificationError, m);
        let json = decode_base64(text).map_err(|e| bad(format!("payload.transaction: {e}")))?;
        let envelope = match fast_envelope(&json) {
            Some(e) => e,
            None => serde_json::from_slice(&json)
                .map_err(|e| bad(format!("payload.transaction envelope: {e}")))?,
        };
        let (raw, fee_payer): (RawTransaction, Option<AccountAddress>) =
            aptos_bcs::from_bytes(&envelope.transaction)
                .map_err(|e| bad(format!("transaction BCS: {e}")))?;
        let sender_auth: AccountAuthenticator =
            aptos_bcs::from_bytes(&envelope.sender_authenticator)
                .map_err(|e| bad(format!("senderAuthenticator BCS: {e}")))?;
        Ok(AptosPayment {
            raw,
            fee_payer,
            sender_auth,
        })
    }

    /// A digest of what was signed and by whom, the key of the replay lock.
    pub fn digest(&self) -> [u8; 32] {
        let mut bytes = self.transaction_bytes();
        bytes.extend(aptos_bcs::to_bytes(&self.sender_auth).unwrap_or_default());
        sha3_256(&bytes)
    }

    /// The sender.
    pub fn sender(&self) -> AccountAddress {
        self.raw.sender
    }

    /// The entry function, if the payload is one.
    pub fn entry_function(&self) -> Option<&EntryFunction> {
        match &self.raw.payload {
            TransactionPayload::EntryFunction(f) => Some(f),
            _ => None,
        }
    }

    /// Checks the sender's authenticator: an Ed25519 key that derives the sender
    /// (`sha3_256(public key ‖ 0x00)`), and a signature over the plain message or, when
    /// sponsored, over the real or the zero fee payer (the chain accepts both). The messages
    /// are built from the BCS the sender signed, and the key is decompressed once.
    pub fn check_sender_signature(&self) -> Result<(), Invalid> {
        let AccountAuthenticator::Ed25519 {
            public_key,
            signature,
        } = &self.sender_auth
        else {
            return Err(Invalid::new(
                Reason::UnsupportedAuthenticator,
                "only Ed25519 senders are supported",
            ));
        };
        let mut key_and_scheme = [0u8; 33];
        key_and_scheme[..32].copy_from_slice(&public_key.0);
        if AccountAddress::new(sha3_256(&key_and_scheme)) != self.raw.sender {
            return Err(Invalid::new(
                Reason::SenderAuthenticatorMismatch,
                "the public key does not derive the sender",
            ));
        }
        let bad_sig = || Invalid::new(Reason::InvalidSignature, "signature does not verify");
        let key = verifying_key(&public_key.0).ok_or_else(bad_sig)?;
        let signature = Signature::from_bytes(&signature.0);
        // One buffer: salt ‖ (fee payer variant) ‖ BCS(raw) ‖ (no secondary signers, fee payer).
        let mut message = Vec::with_capacity(512);
        match self.fee_payer {
            None => message.extend_from_slice(raw_transaction_salt()),
            Some(_) => {
                // RawTransactionWithData::MultiAgentWithFeePayer { raw, secondary: [], fp }
                message.extend_from_slice(with_data_salt());
                message.push(1);
            }
        }
        aptos_bcs::serialize_into(&mut message, &self.raw).map_err(|_| bad_sig())?;
        let verifies = |message: &[u8]| key.verify(message, &signature).is_ok();
        let ok = match self.fee_payer {
            None => verifies(&message),
            Some(fee_payer) => {
                message.push(0);
                let at = message.len();
                message.extend_from_slice(fee_payer.as_bytes());
                verifies(&message) || {
                    message[at..].copy_from_slice(AccountAddress::ZERO.as_bytes());
                    verifies(&message)
                }
            }
        };
        if ok { Ok(()) } else { Err(bad_sig()) }
    }

    /// The transaction to submit: co-signed by `fee_payer` when sponsored.
    pub fn signed_transaction(
        &self,
        fee_payer: Option<&Signer>,
    ) -> computestream_core::Result<SignedTransaction> {
        match (self.fee_payer, fee_payer) {
            (Some(_), Some(signer)) => {
                cosign_as_fee_payer(&self.raw, self.sender_auth.clone(), signer)
            }
            (None, _) => {
                let AccountAuthenticator::Ed25519 {
                    public_key,
                    signature,
                } = self.sender_auth.clone()
                else {
                    return Err(computestream_core::Error::InvalidArgument(
                        "only Ed25519 senders are supported".into(),
                    ));
                };
                Ok(SignedTransaction::new(
                    self.raw.clone(),
                    TransactionAuthenticator::Ed25519 {
                        public_key,
                        signature,
                    },
                ))
            }
            (Some(fp), None) => Err(computestream_core::Error::InvalidArgument(format!(
                "sponsored by {fp}, but no fee payer key is configured"
            ))),
        }
    }
}

/// Who verifies: the fee payers this facilitator manages, and the clock.
#[derive(Clone, Debug, Default)]
pub struct VerifyPolicy {
    /// Addresses whose gas this facilitator pays.
    pub fee_payers: Vec<AccountAddress>,
}

/// The rules every Aptos payment passes, in the reference facilitator's order, up to the
/// entry function: version, scheme, network, the rest of `accepted` (ours, see
/// [`check_accepted`]), fee payer, payload, chain id, sender key and
/// signature, gas caps, expiry (not before `now + 5 s`, and, ours, not after
/// [`latest_expiry`]).
pub(crate) fn verify_envelope(
    scheme: &str,
    payload: &PaymentPayloadRef<'_>,
    requirements: &PaymentRequirements,
    policy: &VerifyPolicy,
    now_secs: u64,
) -> Result<(AptosPayment, Network), Invalid> {
    if payload.x402_version != 2 {
        return Err(Invalid::new(
            Reason::UnsupportedVersion,
            format!("x402Version {}", payload.x402_version),
        ));
    }
    if payload.accepted.scheme != scheme || requirements.scheme != scheme {
        return Err(Invalid::new(
            Reason::UnsupportedScheme,
            format!("scheme {}", payload.accepted.scheme),
        ));
    }
    if payload.accepted.network != requirements.network {
        return Err(Invalid::new(
            Reason::NetworkMismatch,
            format!(
                "{} is not {}",
                payload.accepted.network, requirements.network
            ),
        ));
    }
    check_accepted(&payload.accepted, requirements)?;
    let network = Network::from_caip2(&requirements.network).ok_or_else(|| {
        Invalid::new(
            Reason::NetworkMismatch,
            format!("unsupported network {}", requirements.network),
        )
    })?;
    let sponsor = match requirements.extra_str("feePayer") {
        Some(text) => {
            let fp = AccountAddress::from_hex(text).map_err(|_| {
                Invalid::new(Reason::FeePayerNotManaged, format!("feePayer {text:?}"))
            })?;
            if !policy.fee_payers.contains(&fp) {
                return Err(Invalid::new(Reason::FeePayerNotManaged, text.to_string()));
            }
            Some(fp)
        }
        None => None,
    };
    let payment = AptosPayment::from_payload(&payload.payload)?;
    if payment.fee_payer != sponsor {
        return Err(Invalid::new(
            Reason::FeePayerMismatch,
            format!(
                "transaction fee payer {:?}, requirements {:?}",
                payment.fee_payer, sponsor
            ),
        ));
    }
    if sponsor.is_some() && policy.fee_payers.contains(&payment.sender()) {
        return Err(Invalid::new(
            Reason::FeePayerTransferringFunds,
            "the sender is one of the facilitator's fee payers",
        ));
    }
    if payment.raw.chain_id.id() != network.chain_id() {
        return Err(Invalid::new(
            Reason::ChainIdMismatch,
            format!(
                "chain id {} on {}",
                payment.raw.chain_id.id(),
                network.caip2()
            ),
        ));
    }
    payment.check_sender_signature()?;
    if sponsor.is_some() {
        if payment.raw.max_gas_amount > MAX_SPONSORED_GAS_AMOUNT {
            return Err(Invalid::new(
                Reason::GasTooHigh,
                format!("max_gas_amount {}", payment.raw.max_gas_amount),
            ));
        }
        if payment.raw.gas_unit_price > MAX_SPONSORED_GAS_UNIT_PRICE {
            return Err(Invalid::new(
                Reason::GasUnitPriceTooHigh,
                format!("gas_unit_price {}", payment.raw.gas_unit_price),
            ));
        }
    }
    if payment.raw.expiration_timestamp_secs < now_secs.saturating_add(MIN_EXPIRY_MARGIN_SECS) {
        return Err(Invalid::new(
            Reason::TransactionExpired,
            format!(
                "expires at {}, now {now_secs}",
                payment.raw.expiration_timestamp_secs
            ),
        ));
    }
    let latest = latest_expiry(now_secs, requirements.max_timeout_seconds);
    if payment.raw.expiration_timestamp_secs > latest {
        return Err(Invalid::new(
            Reason::ExpirationTooFar,
            format!(
                "expires at {}, after now {now_secs} + maxTimeoutSeconds {} + {MAX_EXPIRY_SKEW_SECS} s",
                payment.raw.expiration_timestamp_secs, requirements.max_timeout_seconds
            ),
        ));
    }
    if payment.entry_function().is_none() {
        return Err(Invalid::new(
            Reason::MissingEntryFunction,
            "the payload is not an entry function",
        ));
    }
    Ok((payment, network))
}

/// The x402 matching rule, applied by the verifier too: the payment's `accepted` is the
/// requirements (every field but `extra` equal, exact strings, and every member of the
/// requirements' `extra` in `accepted.extra`), as the reference servers demand before they
/// verify. The signed transaction is checked against the requirements later; this refuses a
/// payment that claims other terms than it was offered. A difference in `amount`, `asset` or
/// `payTo` gets the reference Aptos reason for that field, one in `maxTimeoutSeconds` or
/// `extra` [`Reason::NoMatchingRequirements`]. (Scheme and network are checked before.)
pub fn check_accepted(
    accepted: &RequirementsRef<'_>,
    requirements: &PaymentRequirements,
) -> Result<(), Invalid> {
    if requirements.is_matched_by(accepted) {
        return Ok(());
    }
    let differs = |reason, field: &str, theirs: &str, ours: &str| {
        Err(Invalid::new(
            reason,
            format!("accepted.{field} {theirs:?}, the requirements' {ours:?}"),
        ))
    };
    if accepted.amount != requirements.amount {
        return differs(
            Reason::AmountMismatch,
            "amount",
            &accepted.amount,
            &requirements.amount,
        );
    }
    if accepted.asset != requirements.asset {
        return differs(
            Reason::AssetMismatch,
            "asset",
            &accepted.asset,
            &requirements.asset,
        );
    }
    if accepted.pay_to != requirements.pay_to {
        return differs(
            Reason::RecipientMismatch,
            "payTo",
            &accepted.pay_to,
            &requirements.pay_to,
        );
    }
    if accepted.max_timeout_seconds != requirements.max_timeout_seconds {
        return differs(
            Reason::NoMatchingRequirements,
            "maxTimeoutSeconds",
            &accepted.max_timeout_seconds.to_string(),
            &requirements.max_timeout_seconds.to_string(),
        );
    }
    Err(Invalid::new(
        Reason::NoMatchingRequirements,
        "accepted.extra lacks a member of the requirements' extra, or differs in one",
    ))
}

/// Parses an address the requirements name (short or long form).
pub(crate) fn requirement_address(text: &str, what: &str) -> Result<AccountAddress, Invalid> {
    AccountAddress::from_hex(text)
        .map_err(|_| Invalid::new(Reason::VerificationError, format!("{what} {text:?}")))
}

/// Parses a base-unit amount the requirements name.
pub(crate) fn requirement_amount(text: &str) -> Result<u64, Invalid> {
    text.parse()
        .map_err(|_| Invalid::new(Reason::VerificationError, format!("amount {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_envelope_reader_agrees_with_serde_or_declines() {
        let cases: &[&[u8]] = &[
            br#"{"transaction":[1,2,255,0],"senderAuthenticator":[0,32]}"#,
            br#"{"transaction":[],"senderAuthenticator":[]}"#,
            br#"{"transaction":[256],"senderAuthenticator":[]}"#,
            br#"{"transaction":[01],"senderAuthenticator":[]}"#,
            br#"{"transaction":[1,],"senderAuthenticator":[]}"#,
            br#"{"transaction": [1],"senderAuthenticator":[]}"#,
            br#"{"senderAuthenticator":[1],"transaction":[2]}"#,
            br#"{"transaction":[1],"senderAuthenticator":[2]} "#,
            br#"{"transaction":[1],"senderAuthenticator":[2],"x":1}"#,
            br#"{"transaction":[-1],"senderAuthenticator":[]}"#,
            br#"{"transaction":[1.0],"senderAuthenticator":[]}"#,
            br#"{"transaction":[1234],"senderAuthenticator":[]}"#,
            br#"{"transaction":[0,9,10,99,100,199,200,249,250,255],"senderAuthenticator":[7]}"#,
            br#"{"transaction":[00],"senderAuthenticator":[]}"#,
            br#"{"transaction":[1"#,
        ];
        for case in cases {
            let serde: Option<Envelope> = serde_json::from_slice(case).ok();
            // Declined cases go to serde, which decides with its own checks.
            if let Some(fast) = fast_envelope(case) {
                let serde = serde.expect("fast accepted what serde rejects");
                assert_eq!(fast.transaction, serde.transaction);
                assert_eq!(fast.sender_authenticator, serde.sender_authenticator);
            }
        }
        assert!(fast_envelope(cases[0]).is_some() && fast_envelope(cases[1]).is_some());
        assert_eq!(
            fast_envelope(cases[12]).map(|e| e.transaction),
            Some(vec![0, 9, 10, 99, 100, 199, 200, 249, 250, 255])
        );
        assert!(
            fast_envelope(cases[2]).is_none(),
            "values above 255 are not bytes"
        );
    }
}
