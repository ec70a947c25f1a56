//! The four modules' semantics, executed natively. Each function mirrors the Move function
//! of the same name check for check and in the same order, so that the same abort code
//! fires first. A transaction runs against a copy of the state (persistent maps make the
//! copy O(1)); an abort drops the copy, as the Move VM discards an aborted transaction's writes.

use aptos_sdk::aptos_bcs;
use imbl::{HashMap, Vector};

use computestream_core::contract::*;
use computestream_core::math::{self, NEVER};
use computestream_core::types::{
    AccountAddress, AssetId, Escrow, Job, JobStatus, Provider, Rate, Stream,
};

mod escrow;
mod job_registry;
mod payment_stream;
mod provider_registry;

type Abort = AbortCode;
type Exec<T = ()> = Result<T, Abort>;

fn ensure(condition: bool, code: Abort) -> Exec {
    if condition { Ok(()) } else { Err(code) }
}

/// Address of a named object: `sha3_256(creator ‖ seed ‖ 0xFE)`, as `object::create_named_object`.
pub fn object_address(creator: AccountAddress, seed: &[u8]) -> AccountAddress {
    let mut bytes = creator.to_bytes().to_vec();
    bytes.extend_from_slice(seed);
    bytes.push(0xFE);
    AccountAddress::new(aptos_sdk::crypto::sha3_256(&bytes))
}

/// Seed of the object that holds providers' stakes (`provider_registry.move`).
pub const STAKE_VAULT_SEED: &[u8] = b"computestream::provider_registry::stake_vault";
/// Seed of the object that holds escrowed funds (`escrow.move`).
pub const ESCROW_VAULT_SEED: &[u8] = b"computestream::escrow::vault";

/// A fungible asset's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// Minted so far.
    pub supply: u128,
}

#[derive(Clone, Debug)]
struct StreamRec {
    payee: AccountAddress,
    asset: AssetId,
    rate: u128,
    opened_at: u64,
    is_paused: bool,
    paused_at: u64,
    excluded_seconds: u64,
    is_closed: bool,
    closed_at: u64,
}

type Key = (AccountAddress, u64);

/// The chain state of the embedded ledger.
#[derive(Clone, Debug)]
pub struct State {
    contract: AccountAddress,
    sequence_numbers: HashMap<AccountAddress, u64>,
    balances: HashMap<(AccountAddress, AssetId), u64>,
    assets: HashMap<AssetId, AssetInfo>,
    providers: HashMap<AccountAddress, Provider>,
    provider_list: Vector<AccountAddress>,
    job_counters: HashMap<AccountAddress, u64>,
    jobs: HashMap<Key, Job>,
    escrows: HashMap<Key, Escrow>,
    streams: HashMap<Key, StreamRec>,
}

impl State {
    /// Genesis: the contracts at `contract` and the native coin at `0xa`.
    pub fn genesis(contract: AccountAddress, native_symbol: &str) -> State {
        let mut assets = HashMap::new();
        assets.insert(
            AssetId::NATIVE,
            AssetInfo {
                symbol: native_symbol.into(),
                decimals: 8,
                supply: 0,
            },
        );
        State {
            contract,
            sequence_numbers: HashMap::new(),
            balances: HashMap::new(),
            assets,
            providers: HashMap::new(),
            provider_list: Vector::new(),
            job_counters: HashMap::new(),
            jobs: HashMap::new(),
            escrows: HashMap::new(),
            streams: HashMap::new(),
        }
    }

    /// The deployment address.
    pub fn contract(&self) -> AccountAddress {
        self.contract
    }

    /// The stake vault's address.
    pub fn stake_vault(&self) -> AccountAddress {
        object_address(self.contract, STAKE_VAULT_SEED)
    }

    /// The escrow vault's address.
    pub fn escrow_vault(&self) -> AccountAddress {
        object_address(self.contract, ESCROW_VAULT_SEED)
    }

    /// An account's next sequence number.
    pub fn sequence_number(&self, account: AccountAddress) -> u64 {
        self.sequence_numbers.get(&account).copied().unwrap_or(0)
    }

    pub(crate) fn bump_sequence_number(&mut self, account: AccountAddress) {
        *self.sequence_numbers.entry(account).or_insert(0) += 1;
    }

    /// A balance.
    pub fn balance(&self, owner: AccountAddress, asset: AssetId) -> u64 {
        self.balances.get(&(owner, asset)).copied().unwrap_or(0)
    }

    /// Every nonzero balance.
    pub fn balances(&self) -> impl Iterator<Item = (AccountAddress, AssetId, u64)> + '_ {
        self.balances
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|((o, a), v)| (*o, *a, *v))
    }

    /// A registered asset.
    pub fn asset(&self, asset: AssetId) -> Option<&AssetInfo> {
        self.assets.get(&asset)
    }

    /// Every registered asset.
    pub fn assets(&self) -> impl Iterator<Item = (AssetId, &AssetInfo)> + '_ {
        self.assets.iter().map(|(k, v)| (*k, v))
    }

    /// Every escrow.
    pub fn escrows(&self) -> impl Iterator<Item = &Escrow> + '_ {
        self.escrows.values()
    }

    /// Every job.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> + '_ {
        self.jobs.values()
    }

    /// Every provider.
    pub fn providers(&self) -> impl Iterator<Item = &Provider> + '_ {
        self.providers.values()
    }

    /// Registers a fungible asset (the dev faucet's test tokens).
    pub fn create_asset(&mut self, asset: AssetId, symbol: &str, decimals: u8) {
        self.assets.entry(asset).or_insert(AssetInfo {
            symbol: symbol.into(),
            decimals,
            supply: 0,
        });
    }

    /// Mints `amount` of a registered asset (the dev faucet). Fails on an unknown asset or a
    /// supply above `u64::MAX`, which keeps every balance, and every sum of balances of one
    /// asset, within `u64`.
    pub fn mint(
        &mut self,
        owner: AccountAddress,
        asset: AssetId,
        amount: u64,
    ) -> Result<(), String> {
        let info = self
            .assets
            .get_mut(&asset)
            .ok_or_else(|| format!("unknown asset {asset}"))?;
        let supply = info.supply + u128::from(amount);
        if supply > u128::from(u64::MAX) {
            return Err(format!("supply of {asset} would exceed u64::MAX"));
        }
        info.supply = supply;
        // A balance is at most the supply, so this cannot overflow.
        let new = self.balances.get(&(owner, asset)).copied().unwrap_or(0) + amount;
        self.balances.insert((owner, asset), new);
        Ok(())
    }

    fn transfer(
        &mut self,
        from: AccountAddress,
        to: AccountAddress,
        asset: AssetId,
        amount: u64,
    ) -> Exec {
        if amount == 0 {
            return Ok(());
        }
        let from_balance = self.balance(from, asset);
        ensure(from_balance >= amount, Abort::InsufficientBalance)?;
        // A transfer to oneself moves nothing (as the framework's withdraw-then-deposit): the
        // balance must not be read twice and written twice.
        if from == to {
            return Ok(());
        }
        self.balances.insert((from, asset), from_balance - amount);
        // `mint` caps an asset's supply at u64::MAX, so this sum cannot overflow.
        let to_balance = self.balance(to, asset);
        self.balances.insert((to, asset), to_balance + amount);
        Ok(())
    }
}

impl State {
    /// Executes a contract call from `sender` at chain time `now` (seconds).
    pub fn execute(
        &mut self,
        sender: AccountAddress,
        now: u64,
        call: Call,
    ) -> Result<Vec<ContractEvent>, AbortCode> {
        let mut fx = Vec::new();
        let fx_ref = &mut fx;
        match call {
            Call::RegisterProvider {
                gpu_type,
                vram_gb,
                price_per_second,
                stake_amount,
            } => self.register_provider(
                fx_ref,
                now,
                sender,
                gpu_type,
                vram_gb,
                price_per_second,
                stake_amount,
            ),
            Call::UpdateAvailability { is_active } => {
                self.update_availability(fx_ref, sender, is_active)
            }
            Call::UpdatePricing { price_per_second } => {
                self.update_pricing(fx_ref, sender, price_per_second)
            }
            Call::UpdateEndpoint { endpoint } => self.update_endpoint(fx_ref, sender, endpoint),
            Call::Deregister {} => self.deregister(fx_ref, sender),
            Call::CreateJob {
                provider,
                docker_image,
                escrow_amount,
                max_duration,
            } => self
                .create_job(
                    fx_ref,
                    now,
                    sender,
                    provider,
                    docker_image,
                    escrow_amount,
                    max_duration,
                )
                .map(drop),
            Call::StartJob { buyer, job_id } => self.start_job(fx_ref, now, sender, buyer, job_id),
            Call::CompleteJob {
                buyer,
                job_id,
                output_url,
            } => self.complete_job(fx_ref, now, sender, buyer, job_id, output_url),
            Call::FailJob { buyer, job_id } => self.fail_job(fx_ref, now, sender, buyer, job_id),
            Call::CancelJob { job_id } => self.cancel_job(fx_ref, now, sender, job_id),
            Call::RejectJob { buyer, job_id } => {
                self.reject_job(fx_ref, now, sender, buyer, job_id)
            }
            Call::DepositEscrow {
                job_id,
                provider,
                asset,
                amount,
            } => self.deposit_escrow(fx_ref, sender, job_id, provider, asset, amount),
            Call::RefundEscrow { job_id } => self.refund_escrow(fx_ref, sender, job_id),
            Call::OpenStream {
                job_id,
                payee,
                rate_per_second,
            } => self.open_stream(fx_ref, now, sender, job_id, payee, rate_per_second),
            Call::ProcessPayment { payer, job_id } => {
                self.process_payment(fx_ref, now, payer, job_id)
            }
            Call::PauseStream { job_id } => self.pause_stream(fx_ref, now, sender, job_id),
            Call::ResumeStream { job_id } => self.resume_stream(fx_ref, now, sender, job_id),
            Call::TopUp {
                payer,
                job_id,
                amount,
            } => self.top_up(fx_ref, now, sender, payer, job_id, amount),
            Call::CloseStream { payer, job_id } => {
                self.close_stream(fx_ref, now, sender, payer, job_id)
            }
            Call::Rent {
                provider,
                docker_image,
                asset,
                deposit,
                max_duration,
                max_rate_per_second,
            } => self.rent(
                fx_ref,
                now,
                sender,
                provider,
                docker_image,
                asset,
                deposit,
                max_duration,
                max_rate_per_second,
            ),
        }?;
        Ok(fx)
    }

    /// Executes a framework transfer. An unknown asset is reported as `Err(None)` (the node
    /// rejects such an `Object<Metadata>` argument before execution).
    pub fn execute_framework(
        &mut self,
        sender: AccountAddress,
        call: &FrameworkCall,
    ) -> Result<(), Option<AbortCode>> {
        let (asset, to, amount) = match *call {
            FrameworkCall::TransferAsset { asset, to, amount } => (AssetId(asset), to, amount),
            FrameworkCall::TransferNative { to, amount } => (AssetId::NATIVE, to, amount),
        };
        if !self.assets.contains_key(&asset) {
            return Err(None);
        }
        self.transfer(sender, to, asset, amount).map_err(Some)
    }

    /// Answers a view at chain time `now`: one BCS value, or the abort a missing record causes.
    pub fn view(&self, now: u64, view: &View) -> Result<Vec<u8>, AbortCode> {
        fn out<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, AbortCode> {
            Ok(aptos_bcs::to_bytes(v).expect("view results serialize"))
        }
        match view {
            View::GetProvider { provider } => out(self
                .providers
                .get(provider)
                .ok_or(Abort::ProviderNotFound)?),
            View::IsProviderActive { provider } => {
                out(&self.providers.get(provider).is_some_and(|p| p.is_active))
            }
            View::GetProviderPrice { provider } => out(&self
                .providers
                .get(provider)
                .ok_or(Abort::ProviderNotFound)?
                .price_per_second),
            View::ListProviders { offset, limit } => {
                let list: Vec<AccountAddress> = self
                    .provider_list
                    .iter()
                    .skip(usize::try_from(*offset).unwrap_or(usize::MAX))
                    .take(usize::try_from(*limit).unwrap_or(usize::MAX))
                    .copied()
                    .collect();
                out(&list)
            }
            View::GetJob { buyer, job_id } => out(self.job(*buyer, *job_id)?),
            View::GetJobStatus { buyer, job_id } => out(&self.job(*buyer, *job_id)?.status),
            View::IsJobActive { buyer, job_id } => out(&self
                .jobs
                .get(&(*buyer, *job_id))
                .is_some_and(|j| j.status == JobStatus::Running)),
            View::GetJobDuration { buyer, job_id } => {
                out(&self.job_duration(self.job(*buyer, *job_id)?, now))
            }
            View::GetJobOutputUrl { buyer, job_id } => out(&self.job(*buyer, *job_id)?.output_url),
            View::GetJobCounter { buyer } => {
                out(&self.job_counters.get(buyer).copied().unwrap_or(0))
            }
            View::GetEscrow { payer, job_id } => out(self.escrow(*payer, *job_id)?),
            View::GetRemainingBalance { payer, job_id } => {
                out(&self.escrow(*payer, *job_id)?.held())
            }
            View::IsEscrowActive { payer, job_id } => out(&self
                .escrows
                .get(&(*payer, *job_id))
                .is_some_and(|e| e.is_active)),
            View::GetReleasedAmount { payer, job_id } => out(&self.escrow(*payer, *job_id)?.paid),
            View::GetStream { payer, job_id } => out(&self.stream(*payer, *job_id)?),
            View::GetTotalStreamed { payer, job_id } => out(&self.stream(*payer, *job_id)?.paid),
            View::CalculateCurrentAmount { payer, job_id } => {
                let s = self.stream(*payer, *job_id)?;
                out(&if s.is_closed { 0 } else { s.claimable_at(now) })
            }
            View::IsStreamActive { payer, job_id } => out(&self
                .stream(*payer, *job_id)
                .map(|s| s.is_accruing(now))
                .unwrap_or(false)),
            View::DepletionTime { payer, job_id } => {
                out(&self.stream(*payer, *job_id)?.depletion_time(now))
            }
        }
    }
}
