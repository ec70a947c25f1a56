//! Transaction signing and verification helpers over aptos-sdk.

use aptos_sdk::account::Account;
use aptos_sdk::transaction::{
    AccountAuthenticator, FeePayerRawTransaction, RawTransaction, SignedTransaction,
    TransactionAuthenticator,
};

use crate::client::Signer;
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
    Err(Error::Rejected {
        reason: RejectReason::InvalidSignature,
        message: strict.err().map(|e| e.to_string()).unwrap_or_default(),
    })
}

/// The sender's authenticator for a plain (unsponsored) transaction.
pub fn sign_as_sender(sender: &Signer, raw: &RawTransaction) -> Result<AccountAuthenticator> {
    ed25519_authenticator(sender, &raw.signing_message()?)
}

/// The sender's authenticator for a sponsored (fee-payer) transaction: the sender signs
/// `RawTransactionWithData::MultiAgentWithFeePayer` over `fee_payer`, which may be `0x0`
/// when the sender does not know the sponsor yet.
pub fn sign_as_sponsored_sender(
    sender: &Signer,
    raw: &RawTransaction,
    fee_payer: AccountAddress,
) -> Result<AccountAuthenticator> {
    let message = FeePayerRawTransaction::new_simple(raw.clone(), fee_payer).signing_message()?;
    ed25519_authenticator(sender, &message)
}

/// The complete sponsored transaction: `sender_auth` (from [`sign_as_sponsored_sender`]) and
/// the fee payer's signature over its own address.
pub fn cosign_as_fee_payer(
    raw: &RawTransaction,
    sender_auth: AccountAuthenticator,
    fee_payer: &Signer,
) -> Result<SignedTransaction> {
    let message =
        FeePayerRawTransaction::new_simple(raw.clone(), fee_payer.address()).signing_message()?;
    let fee_payer_auth = ed25519_authenticator(fee_payer, &message)?;
    Ok(SignedTransaction::new(
        raw.clone(),
        TransactionAuthenticator::fee_payer(
            sender_auth,
            vec![],
            vec![],
            fee_payer.address(),
            fee_payer_auth,
        ),
    ))
}

fn ed25519_authenticator(signer: &Signer, message: &[u8]) -> Result<AccountAuthenticator> {
    let account = signer.account();
    Ok(AccountAuthenticator::ed25519(
        account.public_key_bytes(),
        account.sign(message)?,
    ))
}
