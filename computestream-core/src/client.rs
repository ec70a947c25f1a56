//! The typed contract client: one async method per entry function and per view, over any
//! [`Ledger`]. The methods are generated here from the ABI tables of [`crate::contract`]
//! (`for_each_entry_function!`, `for_each_view!`), so `register_provider`, `get_stream` and
//! the rest are defined in this file.

use std::sync::{Mutex, OnceLock};

use aptos_sdk::account::Ed25519Account;
use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{
    RawTransaction, SignedTransaction, TransactionPayload, sign_transaction,
};
use aptos_sdk::types::ChainId;
use serde::de::DeserializeOwned;

use crate::contract::{
    Call, FrameworkCall, View, ViewRequest, for_each_entry_function, for_each_view,
};
use crate::error::{Error, Result};
use crate::ledger::{Ledger, TxnOutcome};
use crate::types::{AccountAddress, AssetId};

/// Gas and expiry settings for the transactions a client signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnOptions {
    /// `max_gas_amount`.
    pub max_gas_amount: u64,
    /// `gas_unit_price` (octas): the least paid; the chain's estimate when it asks more.
    pub gas_unit_price: u64,
    /// Expiry, seconds after the chain's current time (never the local clock).
    pub expiration_secs: u64,
}

impl Default for TxnOptions {
    fn default() -> Self {
        TxnOptions {
            max_gas_amount: 200_000,
            gas_unit_price: 100,
            expiration_secs: 60,
        }
    }
}

/// An Ed25519 account that signs transactions, with its next sequence number cached so
/// several transactions can be signed without a round trip each. Its transactions through
/// [`ContractClient::submit`] go one at a time, so tasks sharing a signer never submit
/// sequence numbers out of order.
#[derive(Debug)]
pub struct Signer {
    account: Ed25519Account,
    next_sequence: Mutex<Option<u64>>,
    submitting: futures_util::lock::Mutex<()>,
}

impl Signer {
    /// Wraps an aptos-sdk account.
    pub fn new(account: Ed25519Account) -> Self {
        Signer {
            account,
            next_sequence: Mutex::new(None),
            submitting: futures_util::lock::Mutex::new(()),
        }
    }

    /// From a hex private key (`0x` optional) or an AIP-80 string. A key that does not parse
    /// is [`Error::InvalidArgument`]; the message never repeats the key.
    pub fn from_private_key(key: &str) -> Result<Self> {
        let account = if key.starts_with("ed25519-priv-") {
            aptos_sdk::crypto::Ed25519PrivateKey::from_aip80(key)
                .map(Ed25519Account::from_private_key)
        } else {
            Ed25519Account::from_private_key_hex(key)
        }
        .map_err(|e| {
            Error::InvalidArgument(format!(
                "private key: {e} (expected 64 hex digits, 0x optional, or ed25519-priv-0x…)"
            ))
        })?;
        Ok(Signer::new(account))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        Signer::new(Ed25519Account::generate())
    }

    /// A key derived from a name: for tests, scenarios and the demo. Never for real funds.
    pub fn from_seed(name: &str) -> Self {
        let seed = aptos_sdk::crypto::sha3_256(format!("computestream-dev-key:{name}").as_bytes());
        let account = Ed25519Account::from_private_key_bytes(&seed)
            .expect("32-byte seed is a valid Ed25519 key");
        Signer::new(account)
    }

    /// The account address.
    pub fn address(&self) -> AccountAddress {
        self.account.address()
    }

    /// The underlying aptos-sdk account.
    pub fn account(&self) -> &Ed25519Account {
        &self.account
    }

    /// Reserves the next sequence number, asking the ledger if none is cached.
    pub async fn reserve_sequence_number<L: Ledger + ?Sized>(&self, ledger: &L) -> Result<u64> {
        if let Some(seq) = self.take_cached() {
            return Ok(seq);
        }
        let onchain = ledger.sequence_number(self.address()).await?;
        let mut next = self.next_sequence.lock().unwrap_or_else(|p| p.into_inner());
        let seq = next.unwrap_or(onchain);
        *next = Some(seq + 1);
        Ok(seq)
    }

    fn take_cached(&self) -> Option<u64> {
        let mut next = self.next_sequence.lock().unwrap_or_else(|p| p.into_inner());
        let seq = (*next)?;
        *next = Some(seq + 1);
        Some(seq)
    }

    /// Forgets the cached sequence number (after a rejection or a lost response), so the
    /// next transaction asks the ledger.
    pub fn resync(&self) {
        *self.next_sequence.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Signs a raw transaction.
    pub fn sign(&self, raw: &RawTransaction) -> Result<SignedTransaction> {
        Ok(sign_transaction(raw, &self.account)?)
    }
}

/// The contracts at one deployment address, over one ledger.
#[derive(Debug)]
pub struct ContractClient<L: ?Sized> {
    contract: AccountAddress,
    options: TxnOptions,
    chain_id: OnceLock<ChainId>,
    gas_unit_price: OnceLock<u64>,
    ledger: L,
}

impl<L: Ledger> ContractClient<L> {
    /// A client for the contracts deployed at `contract`.
    pub fn new(ledger: L, contract: AccountAddress) -> Self {
        ContractClient {
            contract,
            options: TxnOptions::default(),
            chain_id: OnceLock::new(),
            gas_unit_price: OnceLock::new(),
            ledger,
        }
    }

    /// Changes the gas and expiry settings.
    pub fn with_options(mut self, options: TxnOptions) -> Self {
        self.options = options;
        self.gas_unit_price = OnceLock::new();
        self
    }
}

impl<L: Ledger + ?Sized> ContractClient<L> {
    /// The deployment address.
    pub fn contract(&self) -> AccountAddress {
        self.contract
    }

    /// The ledger.
    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    /// The chain's time in seconds.
    pub async fn now_seconds(&self) -> Result<u64> {
        Ok(self.ledger.now_micros().await? / 1_000_000)
    }

    /// The gas unit price: the chain's estimate (read once per client) when above
    /// `options.gas_unit_price`.
    async fn gas_unit_price(&self) -> Result<u64> {
        if let Some(price) = self.gas_unit_price.get() {
            return Ok(*price);
        }
        let estimate = self.ledger.gas_unit_price().await?.unwrap_or(0);
        Ok(*self
            .gas_unit_price
            .get_or_init(|| estimate.max(self.options.gas_unit_price)))
    }

    async fn chain_id(&self) -> Result<ChainId> {
        if let Some(id) = self.chain_id.get() {
            return Ok(*id);
        }
        let id = self.ledger.chain_id().await?;
        Ok(*self.chain_id.get_or_init(|| id))
    }

    /// Builds and signs a transaction of `payload` from `signer`, expiring
    /// `options.expiration_secs` after the chain's current time.
    pub async fn sign(
        &self,
        signer: &Signer,
        payload: TransactionPayload,
    ) -> Result<SignedTransaction> {
        let chain_id = self.chain_id().await?;
        let expiration = self.now_seconds().await? + self.options.expiration_secs;
        let sequence = signer.reserve_sequence_number(&self.ledger).await?;
        let raw = RawTransaction::new(
            signer.address(),
            sequence,
            payload,
            self.options.max_gas_amount,
            self.gas_unit_price().await?,
            expiration,
            chain_id,
        );
        signer.sign(&raw)
    }

    /// Signs and submits `payload`, waits for it, and turns an abort into a typed error.
    /// One transaction of a signer at a time: the next waits for this one's outcome.
    pub async fn submit(&self, signer: &Signer, payload: TransactionPayload) -> Result<TxnOutcome> {
        let _turn = signer.submitting.lock().await;
        let txn = self.sign(signer, payload).await?;
        match self.ledger.submit(&txn).await {
            Ok(outcome) => outcome.into_result(self.contract),
            Err(e) => {
                signer.resync();
                Err(e)
            }
        }
    }

    /// Executes one entry function of the contracts.
    pub async fn execute(&self, signer: &Signer, call: &Call) -> Result<TxnOutcome> {
        self.submit(
            signer,
            TransactionPayload::EntryFunction(call.entry_function(self.contract)?),
        )
        .await
    }

    /// Executes one supported framework entry function (asset transfers).
    pub async fn execute_framework(
        &self,
        signer: &Signer,
        call: &FrameworkCall,
    ) -> Result<TxnOutcome> {
        self.submit(
            signer,
            TransactionPayload::EntryFunction(call.entry_function()?),
        )
        .await
    }

    /// Calls a view and decodes its single return value.
    pub async fn view<T: DeserializeOwned>(&self, view: &View) -> Result<T> {
        self.view_request(&view.request(self.contract)?).await
    }

    async fn view_request<T: DeserializeOwned>(&self, request: &ViewRequest) -> Result<T> {
        let values = self.ledger.view(request).await?;
        let [value] = values.as_slice() else {
            return Err(Error::decode(format!(
                "{}: expected one return value, got {}",
                request.function,
                values.len()
            )));
        };
        aptos_bcs::from_bytes(value)
            .map_err(|e| Error::decode(format!("{}: {e}", request.function)))
    }

    /// `owner`'s balance of `asset` (primary fungible store).
    pub async fn balance(&self, owner: AccountAddress, asset: AssetId) -> Result<u64> {
        self.view_request(&ViewRequest::balance(owner, asset)?)
            .await
    }
}

/// One method per entry function: signs `Call::$variant` as `signer` and submits it.
macro_rules! entry_function_methods {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident :: $function:ident { $( $arg:ident : $ty:ty ),* $(,)? } )*) => {
        impl<L: Ledger + ?Sized> ContractClient<L> {
            $(
                $(#[$doc])*
                pub async fn $function(&self, signer: &Signer, $( $arg: $ty ),*) -> Result<TxnOutcome> {
                    self.execute(signer, &Call::$variant { $( $arg ),* }).await
                }
            )*
        }
    };
}

/// One method per view: calls `View::$variant` and decodes its result.
macro_rules! view_methods {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident :: $function:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        impl<L: Ledger + ?Sized> ContractClient<L> {
            $(
                $(#[$doc])*
                pub async fn $function(&self, $( $arg: $ty ),*) -> Result<$ret> {
                    self.view::<$ret>(&View::$variant { $( $arg ),* }).await
                }
            )*
        }
    };
}

for_each_entry_function!(entry_function_methods);
for_each_view!(view_methods);
