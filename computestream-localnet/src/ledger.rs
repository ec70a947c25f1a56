//! `LocalLedger`: the embedded Movement-compatible devnet. It executes the four modules'
//! semantics natively from real BCS-encoded signed transactions (Ed25519 signature, sequence
//! number, expiry and chain id checked), keeps fungible-asset balances, emits the contracts'
//! events, answers every view, and persists to an append-only log replayed on open.
//!
//! Differences from a node, by design: no gas is charged (balances move only by the
//! contracts' transfers and the faucet); an argument that does not decode is refused before
//! execution instead of being committed as a failure; views see the chain clock's current
//! time, as if blocks were produced continuously.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{SignedTransaction, TransactionPayload};
use aptos_sdk::types::{ChainId, HashValue, Identifier, MoveModuleId};
use async_trait::async_trait;

use crate::clock::{Clock, ManualClock};
use crate::log::{Log, LogEntry};
use crate::state::{State, object_address};
use computestream_core::contract::{
    AbortCode, AbortModule, Call, CallDecodeError, FrameworkCall, LOCAL_CHAIN_ID,
    LOCAL_CONTRACT_ADDRESS, View, ViewRequest,
};
use computestream_core::error::{Error, RejectReason, Result};
use computestream_core::ledger::{Ledger, MoveAbort, TxnOutcome};
use computestream_core::tx::verify_signed_transaction;
use computestream_core::types::{AccountAddress, AssetId};

/// Options for opening a [`LocalLedger`].
#[derive(Clone, Debug)]
pub struct LocalLedgerBuilder {
    state_dir: Option<PathBuf>,
    clock: Clock,
    contract: AccountAddress,
    native_symbol: String,
}

impl LocalLedgerBuilder {
    /// Persist to `dir/ledger.log` (created if missing) and replay it on open.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Use this clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Deploy the contracts at this address (default `0xcafe`).
    pub fn contract(mut self, contract: AccountAddress) -> Self {
        self.contract = contract;
        self
    }

    /// Opens the ledger, replaying its log if it has one.
    pub fn open(self) -> Result<LocalLedger> {
        let mut inner = Inner {
            state: State::genesis(self.contract, &self.native_symbol),
            version: 0,
            last_timestamp_usecs: 0,
            txns: HashMap::new(),
            signed: HashMap::new(),
            log: None,
        };
        let ledger_clock = self.clock;
        let mut entries = Vec::new();
        if let Some(dir) = &self.state_dir {
            std::fs::create_dir_all(dir)?;
            let (log, replay) = Log::open(&dir.join("ledger.log"))?;
            inner.log = Some(log);
            entries = replay;
        }
        let ledger = LocalLedger {
            inner: Mutex::new(inner),
            clock: ledger_clock,
            contract: self.contract,
        };
        {
            let mut inner = ledger.lock();
            for entry in entries {
                ledger.replay(&mut inner, entry)?;
            }
        }
        Ok(ledger)
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    version: u64,
    last_timestamp_usecs: u64,
    txns: HashMap<HashValue, TxnOutcome>,
    /// The committed transactions themselves, for the node API's transaction view.
    signed: HashMap<HashValue, SignedTransaction>,
    log: Option<Log>,
}

impl Inner {
    fn tick(&mut self, clock: &Clock) -> u64 {
        self.last_timestamp_usecs = self.last_timestamp_usecs.max(clock.now_micros());
        self.last_timestamp_usecs
    }

    fn append(&mut self, entry: &LogEntry) -> Result<()> {
        match &mut self.log {
            Some(log) => log.append(entry),
            None => Ok(()),
        }
    }
}

/// The embedded ledger. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct LocalLedger {
    inner: Mutex<Inner>,
    clock: Clock,
    contract: AccountAddress,
}

enum Payload {
    Contract(Call),
    Framework(FrameworkCall),
}

impl LocalLedger {
    /// Options: state directory, clock, contract address.
    pub fn builder() -> LocalLedgerBuilder {
        LocalLedgerBuilder {
            state_dir: None,
            clock: Clock::System,
            contract: LOCAL_CONTRACT_ADDRESS,
            native_symbol: "MOVE".into(),
        }
    }

    /// An in-memory ledger on the system clock.
    pub fn in_memory() -> LocalLedger {
        LocalLedger::builder()
            .open()
            .expect("an in-memory ledger has no storage to fail")
    }

    /// An in-memory ledger on a manual clock starting at `start_secs`.
    pub fn with_manual_clock(start_secs: u64) -> (LocalLedger, ManualClock) {
        let clock = ManualClock::at_secs(start_secs);
        (LocalLedger::with_clock(clock.clone()), clock)
    }

    /// An in-memory ledger whose time is `clock`, which the caller moves.
    pub fn with_clock(clock: ManualClock) -> LocalLedger {
        LocalLedger::builder()
            .clock(Clock::Manual(clock))
            .open()
            .expect("an in-memory ledger has no storage to fail")
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A committed transaction by hash.
    pub fn signed_transaction(&self, hash: HashValue) -> Option<SignedTransaction> {
        self.lock().signed.get(&hash).cloned()
    }

    /// The version of the last committed transaction.
    pub fn version(&self) -> u64 {
        self.lock().version
    }

    /// The contracts' address.
    pub fn contract(&self) -> AccountAddress {
        self.contract
    }

    /// A snapshot of the whole state (O(1)).
    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    /// Chain time, seconds.
    pub fn now_secs(&self) -> u64 {
        self.lock().tick(&self.clock) / 1_000_000
    }

    /// Creates a test fungible asset at `object_address(contract, symbol)` (idempotent).
    pub fn create_asset(&self, symbol: &str, decimals: u8) -> Result<AssetId> {
        if symbol.is_empty() || symbol.len() > 10 {
            return Err(Error::InvalidArgument(format!(
                "asset symbol {symbol:?}: 1 to 10 characters"
            )));
        }
        let asset = AssetId(object_address(self.contract, symbol.as_bytes()));
        let mut inner = self.lock();
        if let Some(existing) = inner.state.asset(asset) {
            if existing.decimals != decimals {
                return Err(Error::InvalidArgument(format!(
                    "asset {symbol} exists with {} decimals",
                    existing.decimals
                )));
            }
            return Ok(asset);
        }
        let entry = LogEntry::CreateAsset {
            asset,
            symbol: symbol.into(),
            decimals,
        };
        inner.append(&entry)?;
        inner.state.create_asset(asset, symbol, decimals);
        Ok(asset)
    }

    /// The dev faucet: mints `amount` of `asset` to `owner`.
    pub fn mint(&self, owner: AccountAddress, asset: AssetId, amount: u64) -> Result<()> {
        let mut inner = self.lock();
        let timestamp_usecs = inner.tick(&self.clock);
        let mut next = inner.state.clone();
        next.mint(owner, asset, amount)
            .map_err(Error::InvalidArgument)?;
        inner.append(&LogEntry::Mint {
            owner,
            asset,
            amount,
            timestamp_usecs,
        })?;
        inner.state = next;
        Ok(())
    }

    /// A balance (synchronous convenience).
    pub fn balance(&self, owner: AccountAddress, asset: AssetId) -> u64 {
        self.lock().state.balance(owner, asset)
    }

    fn replay(&self, inner: &mut Inner, entry: LogEntry) -> Result<()> {
        match entry {
            LogEntry::CreateAsset {
                asset,
                symbol,
                decimals,
            } => inner.state.create_asset(asset, &symbol, decimals),
            LogEntry::Mint {
                owner,
                asset,
                amount,
                timestamp_usecs,
            } => {
                inner.last_timestamp_usecs = inner.last_timestamp_usecs.max(timestamp_usecs);
                inner
                    .state
                    .mint(owner, asset, amount)
                    .map_err(|e| Error::decode(format!("log replay: {e}")))?;
            }
            LogEntry::Transaction {
                signed_txn,
                timestamp_usecs,
            } => {
                let txn: SignedTransaction = aptos_bcs::from_bytes(&signed_txn)
                    .map_err(|e| Error::decode(format!("log replay: transaction: {e}")))?;
                inner.last_timestamp_usecs = inner.last_timestamp_usecs.max(timestamp_usecs);
                let (state, outcome) = self.run(inner, &txn, timestamp_usecs, false)?;
                inner.state = state;
                inner.version = outcome.version;
                inner.signed.insert(outcome.hash, txn);
                inner.txns.insert(outcome.hash, outcome);
            }
        }
        Ok(())
    }

    fn rejected(reason: RejectReason, message: impl Into<String>) -> Error {
        Error::Rejected {
            reason,
            message: message.into(),
        }
    }

    fn decode_payload(&self, txn: &SignedTransaction) -> Result<Payload> {
        let TransactionPayload::EntryFunction(f) = &txn.raw_txn.payload else {
            return Err(Self::rejected(
                RejectReason::UnsupportedPayload,
                "only entry function payloads are supported",
            ));
        };
        let as_rejection = |e: CallDecodeError| {
            let reason = match e {
                CallDecodeError::UnknownFunction(_) => RejectReason::FunctionNotFound,
                _ => RejectReason::InvalidArguments,
            };
            Self::rejected(reason, e.to_string())
        };
        if f.module.address == AccountAddress::ONE {
            FrameworkCall::from_entry_function(f)
                .map(Payload::Framework)
                .map_err(as_rejection)
        } else {
            Call::from_entry_function(self.contract, f)
                .map(Payload::Contract)
                .map_err(as_rejection)
        }
    }

    /// Validates and executes `txn` against a copy of the state at `timestamp_usecs`; returns
    /// the state after it and its outcome. Nothing is committed.
    fn run(
        &self,
        inner: &Inner,
        txn: &SignedTransaction,
        timestamp_usecs: u64,
        verify: bool,
    ) -> Result<(State, TxnOutcome)> {
        let raw = &txn.raw_txn;
        // The log must replay: a transaction whose bytes do not read back as itself (aptos-sdk
        // 0.8 writes SingleKey/MultiKey authenticators in a layout it cannot read) would make
        // the ledger unopenable, so it is refused, in simulation too, before anything runs.
        let reads_back = aptos_bcs::to_bytes(txn)
            .ok()
            .and_then(|bytes| aptos_bcs::from_bytes::<SignedTransaction>(&bytes).ok());
        if reads_back.as_ref() != Some(txn) {
            return Err(Self::rejected(
                RejectReason::MalformedTransaction,
                "the transaction's authenticator cannot be stored and read back",
            ));
        }
        if verify {
            verify_signed_transaction(txn)?;
        }
        if raw.chain_id != LOCAL_CHAIN_ID {
            return Err(Self::rejected(
                RejectReason::BadChainId,
                format!("chain id {} is not {}", raw.chain_id, LOCAL_CHAIN_ID),
            ));
        }
        let now = timestamp_usecs / 1_000_000;
        if raw.expiration_timestamp_secs <= now {
            return Err(Self::rejected(
                RejectReason::TransactionExpired,
                format!(
                    "expired at {}, chain time {now}",
                    raw.expiration_timestamp_secs
                ),
            ));
        }
        let expected = inner.state.sequence_number(raw.sender);
        if raw.sequence_number < expected {
            return Err(Self::rejected(
                RejectReason::SequenceNumberTooOld,
                format!("{} < {expected}", raw.sequence_number),
            ));
        }
        if raw.sequence_number > expected {
            return Err(Self::rejected(
                RejectReason::SequenceNumberTooNew,
                format!("{} > {expected}", raw.sequence_number),
            ));
        }
        let payload = self.decode_payload(txn)?;

        let mut next = inner.state.clone();
        let result = match payload {
            Payload::Contract(call) => next.execute(raw.sender, now, call).map_err(Some),
            Payload::Framework(call) => {
                let mut scratch = next.clone();
                match scratch.execute_framework(raw.sender, &call) {
                    Ok(()) => {
                        next = scratch;
                        Ok(Vec::new())
                    }
                    Err(None) => {
                        return Err(Self::rejected(
                            RejectReason::InvalidArguments,
                            "metadata is not a fungible asset",
                        ));
                    }
                    Err(Some(code)) => Err(Some(code)),
                }
            }
        };
        let hash = txn.hash()?;
        let (success, vm_status, abort, events) = match result {
            Ok(events) => {
                let records = events
                    .iter()
                    .map(|e| e.to_record(self.contract))
                    .collect::<Result<Vec<_>>>()?;
                (true, "Executed successfully".to_string(), None, records)
            }
            Err(code) => {
                // The Move VM discards an aborted transaction's writes.
                next = inner.state.clone();
                let code = code.unwrap_or(AbortCode::InsufficientBalance);
                let module_address = if code.module() == AbortModule::FungibleAsset {
                    AccountAddress::ONE
                } else {
                    self.contract
                };
                let module =
                    MoveModuleId::new(module_address, Identifier::new(code.module().name())?);
                let vm_status = format!(
                    "Move abort in {module}: {}(0x{:x})",
                    code.name(),
                    code.code()
                );
                (
                    false,
                    vm_status,
                    Some(MoveAbort {
                        module,
                        code: code.code(),
                    }),
                    Vec::new(),
                )
            }
        };
        next.bump_sequence_number(raw.sender);
        let outcome = TxnOutcome {
            hash,
            version: inner.version + 1,
            sender: raw.sender,
            sequence_number: raw.sequence_number,
            success,
            vm_status,
            abort,
            timestamp_usecs,
            events,
        };
        Ok((next, outcome))
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
impl Ledger for LocalLedger {
    /// No market here: the caller's own price.
    async fn gas_unit_price(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    async fn chain_id(&self) -> Result<ChainId> {
        Ok(LOCAL_CHAIN_ID)
    }

    async fn now_micros(&self) -> Result<u64> {
        Ok(self.lock().tick(&self.clock))
    }

    async fn sequence_number(&self, account: AccountAddress) -> Result<u64> {
        Ok(self.lock().state.sequence_number(account))
    }

    async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let mut inner = self.lock();
        let timestamp = inner.tick(&self.clock);
        let (state, outcome) = self.run(&inner, txn, timestamp, true)?;
        let signed_txn =
            aptos_bcs::to_bytes(txn).map_err(|e| Error::decode(format!("transaction: {e}")))?;
        inner.append(&LogEntry::Transaction {
            signed_txn,
            timestamp_usecs: timestamp,
        })?;
        inner.state = state;
        inner.version = outcome.version;
        inner.txns.insert(outcome.hash, outcome.clone());
        inner.signed.insert(outcome.hash, txn.clone());
        Ok(outcome)
    }

    async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let mut inner = self.lock();
        let timestamp = inner.tick(&self.clock);
        // Like a node, simulation does not check signatures.
        Ok(self.run(&inner, txn, timestamp, false)?.1)
    }

    async fn view(&self, request: &ViewRequest) -> Result<Vec<Vec<u8>>> {
        let mut inner = self.lock();
        let now = inner.tick(&self.clock) / 1_000_000;
        let bad = |e: CallDecodeError| {
            Error::InvalidArgument(format!(
                "view {}::{}: {e}",
                request.module, request.function
            ))
        };
        if let Some(balance) = request.as_balance() {
            let (owner, asset) = balance.map_err(bad)?;
            let value = inner.state.balance(owner, asset);
            return Ok(vec![
                aptos_bcs::to_bytes(&value).map_err(|e| Error::decode(e.to_string()))?,
            ]);
        }
        let view = View::from_request(self.contract, request).map_err(bad)?;
        match inner.state.view(now, &view) {
            Ok(bytes) => Ok(vec![bytes]),
            Err(code) => Err(Error::Abort { code, hash: None }),
        }
    }

    async fn transaction_by_hash(&self, hash: HashValue) -> Result<Option<TxnOutcome>> {
        Ok(self.lock().txns.get(&hash).cloned())
    }
}

impl LocalLedger {
    /// Opens a ledger persisted in `dir` on the system clock.
    pub fn open(dir: &Path) -> Result<LocalLedger> {
        LocalLedger::builder().state_dir(dir).open()
    }
}
