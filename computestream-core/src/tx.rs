//! Transaction signing and verification helpers over aptos-sdk.

use aptos_sdk::transaction::{FeePayerRawTransaction, SignedTransaction, TransactionAuthenticator};

use crate::error::{Error, RejectReason, Result};
use crate::types::AccountAddress;

/// Verifies a signed transaction's authenticator as the chain does. Besides what
/// aptos-sdk's `verify_signature` accepts, a fee-payer transaction whose *sender* signed
/// over fee payer `0x0` (the sender did not know who would sponsor it) is valid, as long as
/// the fee payer signed over its real address.
pub fn verify_signed_transaction(txn: &SignedTransaction) -> Result<()> {
    let strict = txn.verify_signature();
    if strict.is_ok() {
        return Ok(());
    }
    if let TransactionAuthenticator::FeePayer {
        sender,
        secondary_signer_addresses,
        secondary_signers,
        fee_payer_address,
        fee_payer_signer,
    } = &txn.authenticator
        && secondary_signer_addresses.is_empty()
        && secondary_signers.is_empty()
    {
        {
            let over = |fee_payer: AccountAddress| {
                FeePayerRawTransaction::new_simple(txn.raw_txn.clone(), fee_payer).signing_message()
            };
            let sender_ok = sender.verify(&over(AccountAddress::ZERO)?).is_ok()
                && sender.derived_address()? == txn.raw_txn.sender;
            let fee_payer_ok = fee_payer_signer.verify(&over(*fee_payer_address)?).is_ok()
                && fee_payer_signer.derived_address()? == *fee_payer_address;
            if sender_ok && fee_payer_ok {
                return Ok(());
            }
        }
    }
    Err(Error::Rejected {
        reason: RejectReason::InvalidSignature,
        message: strict.err().map(|e| e.to_string()).unwrap_or_default(),
    })
}
