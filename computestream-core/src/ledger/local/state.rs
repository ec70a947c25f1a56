//! The four modules' semantics, executed natively. Each function mirrors the Move function
//! of the same name check for check and in the same order, so that the same abort code
//! fires first. A transaction runs against a copy of the state (persistent maps make the
//! copy O(1)); an abort drops the copy, as the Move VM discards an aborted transaction's writes.

use aptos_sdk::aptos_bcs;
use imbl::{HashMap, Vector};

use crate::contract::*;
use crate::math::{self, NEVER};
use crate::types::{AccountAddress, AssetId, Escrow, Job, JobStatus, Provider, Rate, Stream};

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
        let to_balance = self.balance(to, asset);
        // `mint` caps an asset's supply at u64::MAX, so this sum cannot overflow.
        self.balances.insert((from, asset), from_balance - amount);
        self.balances.insert((to, asset), to_balance + amount);
        Ok(())
    }

    // ---------------------------------------------------------------- provider_registry

    fn register_provider(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        gpu_type: String,
        vram_gb: u64,
        price_per_second: u128,
        stake_amount: u64,
    ) -> Exec {
        ensure(
            !self.providers.contains_key(&sender),
            Abort::ProviderAlreadyRegistered,
        )?;
        ensure(!gpu_type.is_empty() && vram_gb > 0, Abort::InvalidGpuSpec)?;
        ensure(price_per_second > 0, Abort::InvalidPrice)?;
        ensure(stake_amount > 0, Abort::InvalidStake)?;
        self.transfer(sender, self.stake_vault(), AssetId::NATIVE, stake_amount)?;
        self.providers.insert(
            sender,
            Provider {
                provider: sender,
                gpu_type: gpu_type.clone(),
                vram_gb,
                price_per_second: Rate(price_per_second),
                stake: stake_amount,
                is_active: true,
                active_jobs: 0,
                registered_at: now,
            },
        );
        self.provider_list.push_back(sender);
        fx.push(ContractEvent::ProviderRegistered(ProviderRegistered {
            provider: sender,
            gpu_type,
            vram_gb,
            price_per_second,
            stake: stake_amount,
        }));
        Ok(())
    }

    fn provider_mut(&mut self, provider: AccountAddress) -> Exec<&mut Provider> {
        self.providers
            .get_mut(&provider)
            .ok_or(Abort::ProviderNotFound)
    }

    fn update_availability(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
        is_active: bool,
    ) -> Exec {
        self.provider_mut(sender)?.is_active = is_active;
        fx.push(ContractEvent::ProviderAvailabilityUpdated(
            ProviderAvailabilityUpdated {
                provider: sender,
                is_active,
            },
        ));
        Ok(())
    }

    fn update_pricing(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
        price_per_second: u128,
    ) -> Exec {
        let provider = self.provider_mut(sender)?;
        ensure(price_per_second > 0, Abort::InvalidPrice)?;
        let old_price = provider.price_per_second.0;
        provider.price_per_second = Rate(price_per_second);
        fx.push(ContractEvent::ProviderPricingUpdated(
            ProviderPricingUpdated {
                provider: sender,
                old_price,
                new_price: price_per_second,
            },
        ));
        Ok(())
    }

    fn deregister(&mut self, fx: &mut Vec<ContractEvent>, sender: AccountAddress) -> Exec {
        let provider = self.provider_mut(sender)?;
        ensure(provider.active_jobs == 0, Abort::ProviderHasActiveJobs)?;
        let stake = provider.stake;
        self.transfer(self.stake_vault(), sender, AssetId::NATIVE, stake)?;
        self.providers.remove(&sender);
        if let Some(index) = self.provider_list.index_of(&sender) {
            let last = self.provider_list.len() - 1;
            self.provider_list.swap(index, last);
            self.provider_list.pop_back();
        }
        fx.push(ContractEvent::ProviderDeregistered(ProviderDeregistered {
            provider: sender,
            stake_returned: stake,
        }));
        Ok(())
    }

    // ---------------------------------------------------------------- job_registry

    fn job(&self, buyer: AccountAddress, job_id: u64) -> Exec<&Job> {
        self.jobs.get(&(buyer, job_id)).ok_or(Abort::JobNotFound)
    }

    fn job_mut(&mut self, buyer: AccountAddress, job_id: u64) -> Exec<&mut Job> {
        self.jobs
            .get_mut(&(buyer, job_id))
            .ok_or(Abort::JobNotFound)
    }

    fn create_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        provider: AccountAddress,
        docker_image: String,
        escrow_amount: u64,
        max_duration: u64,
    ) -> Exec<u64> {
        let available = self.providers.get(&provider).is_some_and(|p| p.is_active);
        ensure(available, Abort::ProviderUnavailable)?;
        ensure(!docker_image.is_empty(), Abort::InvalidDockerImage)?;
        ensure(max_duration > 0, Abort::InvalidDuration)?;
        ensure(escrow_amount > 0, Abort::InvalidEscrowAmount)?;
        let job_id = self.job_counters.get(&sender).copied().unwrap_or(0) + 1;
        self.job_counters.insert(sender, job_id);
        self.jobs.insert(
            (sender, job_id),
            Job {
                buyer: sender,
                job_id,
                provider,
                docker_image: docker_image.clone(),
                escrow_amount,
                max_duration,
                status: JobStatus::Pending,
                created_at: now,
                started_at: 0,
                ended_at: 0,
                output_url: String::new(),
            },
        );
        self.provider_mut(provider)?.active_jobs += 1;
        fx.push(ContractEvent::JobCreated(JobCreated {
            buyer: sender,
            job_id,
            provider,
            docker_image,
            escrow_amount,
            max_duration,
        }));
        Ok(job_id)
    }

    fn provider_job_mut(
        &mut self,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        from: JobStatus,
    ) -> Exec<&mut Job> {
        let job = self.job_mut(buyer, job_id)?;
        ensure(job.provider == sender, Abort::NotJobProvider)?;
        ensure(job.status == from, Abort::InvalidStatus)?;
        Ok(job)
    }

    fn start_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let job = self.provider_job_mut(sender, buyer, job_id, JobStatus::Pending)?;
        job.status = JobStatus::Running;
        job.started_at = now;
        fx.push(ContractEvent::JobStarted(JobStarted {
            buyer,
            job_id,
            provider: sender,
            started_at: now,
        }));
        Ok(())
    }

    fn end_job(
        &mut self,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        outcome: JobStatus,
        output_url: String,
    ) -> Exec {
        let job = self.provider_job_mut(sender, buyer, job_id, JobStatus::Running)?;
        job.status = outcome;
        job.ended_at = now;
        job.output_url = output_url;
        self.provider_mut(sender)?.active_jobs -= 1;
        Ok(())
    }

    fn complete_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
        output_url: String,
    ) -> Exec {
        self.end_job(
            now,
            sender,
            buyer,
            job_id,
            JobStatus::Completed,
            output_url.clone(),
        )?;
        fx.push(ContractEvent::JobCompleted(JobCompleted {
            buyer,
            job_id,
            provider: sender,
            ended_at: now,
            output_url,
        }));
        Ok(())
    }

    fn fail_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        buyer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        self.end_job(now, sender, buyer, job_id, JobStatus::Failed, String::new())?;
        fx.push(ContractEvent::JobFailed(JobFailed {
            buyer,
            job_id,
            provider: sender,
            ended_at: now,
        }));
        Ok(())
    }

    fn cancel_job(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let job = self.job_mut(sender, job_id)?;
        ensure(job.status == JobStatus::Pending, Abort::InvalidStatus)?;
        job.status = JobStatus::Cancelled;
        job.ended_at = now;
        let provider = job.provider;
        self.provider_mut(provider)?.active_jobs -= 1;
        fx.push(ContractEvent::JobCancelled(JobCancelled {
            buyer: sender,
            job_id,
            provider,
            ended_at: now,
        }));
        Ok(())
    }

    fn job_duration(&self, job: &Job, now: u64) -> u64 {
        match job.status {
            JobStatus::Pending | JobStatus::Cancelled => 0,
            JobStatus::Running => now.saturating_sub(job.started_at).min(job.max_duration),
            JobStatus::Completed | JobStatus::Failed => {
                (job.ended_at - job.started_at).min(job.max_duration)
            }
        }
    }

    // ---------------------------------------------------------------- escrow

    fn escrow(&self, payer: AccountAddress, job_id: u64) -> Exec<&Escrow> {
        self.escrows
            .get(&(payer, job_id))
            .ok_or(Abort::EscrowNotFound)
    }

    fn escrow_mut(&mut self, payer: AccountAddress, job_id: u64) -> Exec<&mut Escrow> {
        self.escrows
            .get_mut(&(payer, job_id))
            .ok_or(Abort::EscrowNotFound)
    }

    fn deposit_escrow(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
        job_id: u64,
        provider: AccountAddress,
        asset: AccountAddress,
        amount: u64,
    ) -> Exec {
        ensure(amount > 0, Abort::InvalidAmount)?;
        let job = self.job(sender, job_id)?;
        ensure(job.provider == provider, Abort::ProviderMismatch)?;
        ensure(!job.status.is_terminal(), Abort::JobEnded)?;
        let asset = AssetId(asset);
        ensure(self.assets.contains_key(&asset), Abort::InvalidAsset)?;
        ensure(
            !self.escrows.contains_key(&(sender, job_id)),
            Abort::EscrowAlreadyExists,
        )?;
        self.transfer(sender, self.escrow_vault(), asset, amount)?;
        self.escrows.insert(
            (sender, job_id),
            Escrow {
                payer: sender,
                job_id,
                payee: provider,
                asset,
                deposited: amount,
                paid: 0,
                refunded: 0,
                is_active: true,
                has_stream: false,
            },
        );
        fx.push(ContractEvent::EscrowDeposited(EscrowDeposited {
            payer: sender,
            job_id,
            payee: provider,
            asset: asset.0,
            amount,
            total_deposited: amount,
        }));
        Ok(())
    }

    fn refund_escrow(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let escrow = self.escrow(sender, job_id)?;
        ensure(escrow.is_active, Abort::EscrowInactive)?;
        ensure(!escrow.has_stream, Abort::StreamAttached)?;
        ensure(
            self.job(sender, job_id)?.status.is_terminal(),
            Abort::JobNotTerminal,
        )?;
        self.refund_remaining(fx, sender, job_id, true)
    }

    /// Pays everything still held back to the payer and deactivates the escrow.
    fn refund_remaining(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        payer: AccountAddress,
        job_id: u64,
        always_emit: bool,
    ) -> Exec {
        let escrow = self.escrow(payer, job_id)?.clone();
        let held = escrow.held();
        self.transfer(self.escrow_vault(), payer, escrow.asset, held)?;
        let escrow = self.escrow_mut(payer, job_id)?;
        escrow.refunded += held;
        escrow.is_active = false;
        let total_refunded = escrow.refunded;
        if always_emit || held > 0 {
            fx.push(ContractEvent::EscrowRefunded(EscrowRefunded {
                payer,
                job_id,
                amount: held,
                total_refunded,
            }));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- payment_stream

    fn stream_rec(&self, payer: AccountAddress, job_id: u64) -> Exec<&StreamRec> {
        self.streams
            .get(&(payer, job_id))
            .ok_or(Abort::StreamNotFound)
    }

    fn stream_rec_mut(&mut self, payer: AccountAddress, job_id: u64) -> Exec<&mut StreamRec> {
        self.streams
            .get_mut(&(payer, job_id))
            .ok_or(Abort::StreamNotFound)
    }

    /// The stream as `get_stream` returns it: its record, its window and its escrow's totals.
    fn stream(&self, payer: AccountAddress, job_id: u64) -> Exec<Stream> {
        let s = self.stream_rec(payer, job_id)?;
        let job = self.job(payer, job_id)?;
        let escrow = self.escrow(payer, job_id)?;
        let (window_start, window_end) = match job.status {
            JobStatus::Pending | JobStatus::Cancelled => (NEVER, NEVER),
            JobStatus::Running | JobStatus::Completed | JobStatus::Failed => {
                let start = job.started_at.max(s.opened_at);
                let mut end = job.started_at.saturating_add(job.max_duration);
                if job.status.is_terminal() {
                    end = end.min(job.ended_at);
                }
                if s.is_closed {
                    end = end.min(s.closed_at);
                }
                (start, end.max(start))
            }
        };
        Ok(Stream {
            payer,
            job_id,
            payee: s.payee,
            asset: s.asset,
            rate_per_second: Rate(s.rate),
            opened_at: s.opened_at,
            window_start,
            window_end,
            is_paused: s.is_paused,
            paused_at: s.paused_at,
            excluded_seconds: s.excluded_seconds,
            is_closed: s.is_closed,
            closed_at: s.closed_at,
            deposited: escrow.deposited,
            paid: escrow.paid,
        })
    }

    fn open_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
        payee: AccountAddress,
        rate_per_second: u128,
    ) -> Exec {
        ensure(rate_per_second > 0, Abort::InvalidRate)?;
        let escrow = self.escrow(sender, job_id)?;
        ensure(escrow.is_active, Abort::EscrowInactive)?;
        ensure(escrow.payee == payee, Abort::PayeeMismatch)?;
        ensure(
            !self.streams.contains_key(&(sender, job_id)),
            Abort::StreamAlreadyExists,
        )?;
        ensure(
            !self.job(sender, job_id)?.status.is_terminal(),
            Abort::JobEnded,
        )?;
        let escrow = self.escrow_mut(sender, job_id)?;
        escrow.has_stream = true;
        let (asset, deposited) = (escrow.asset, escrow.deposited);
        self.streams.insert(
            (sender, job_id),
            StreamRec {
                payee,
                asset,
                rate: rate_per_second,
                opened_at: now,
                is_paused: false,
                paused_at: 0,
                excluded_seconds: 0,
                is_closed: false,
                closed_at: 0,
            },
        );
        fx.push(ContractEvent::StreamOpened(StreamOpened {
            payer: sender,
            job_id,
            payee,
            asset: asset.0,
            rate_per_second,
            deposited,
        }));
        Ok(())
    }

    fn open_stream_rec(&self, payer: AccountAddress, job_id: u64) -> Exec<&StreamRec> {
        let s = self.stream_rec(payer, job_id)?;
        ensure(!s.is_closed, Abort::StreamClosed)?;
        Ok(s)
    }

    /// Pays the payee what the stream owes at `now` beyond what it was paid.
    fn settle(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let stream = self.stream(payer, job_id)?;
        let due = stream.claimable_at(now);
        if due == 0 {
            return Ok(());
        }
        self.transfer(self.escrow_vault(), stream.payee, stream.asset, due)?;
        let escrow = self.escrow_mut(payer, job_id)?;
        escrow.paid += due;
        fx.push(ContractEvent::PaymentProcessed(PaymentProcessed {
            payer,
            job_id,
            payee: stream.payee,
            amount: due,
            total_paid: escrow.paid,
            remaining: escrow.deposited - escrow.paid,
        }));
        Ok(())
    }

    fn process_payment(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        self.open_stream_rec(payer, job_id)?;
        self.settle(fx, now, payer, job_id)
    }

    fn pause_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        ensure(
            !self.open_stream_rec(sender, job_id)?.is_paused,
            Abort::AlreadyPaused,
        )?;
        let s = self.stream_rec_mut(sender, job_id)?;
        s.is_paused = true;
        s.paused_at = now;
        fx.push(ContractEvent::StreamPaused(StreamPaused {
            payer: sender,
            job_id,
            paused_at: now,
        }));
        Ok(())
    }

    fn resume_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        job_id: u64,
    ) -> Exec {
        ensure(
            self.open_stream_rec(sender, job_id)?.is_paused,
            Abort::NotPaused,
        )?;
        let stream = self.stream(sender, job_id)?;
        let overlap = math::pause_overlap(
            stream.paused_at,
            now,
            stream.window_start,
            stream.window_end,
        );
        let s = self.stream_rec_mut(sender, job_id)?;
        s.is_paused = false;
        s.excluded_seconds += overlap;
        let excluded_seconds = s.excluded_seconds;
        fx.push(ContractEvent::StreamResumed(StreamResumed {
            payer: sender,
            job_id,
            resumed_at: now,
            excluded_seconds,
        }));
        Ok(())
    }

    fn top_up(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        payer: AccountAddress,
        job_id: u64,
        amount: u64,
    ) -> Exec {
        ensure(amount > 0, Abort::InvalidTopUp)?;
        self.open_stream_rec(payer, job_id)?;
        let stream = self.stream(payer, job_id)?;
        let unfunded = math::unfunded_seconds(
            stream.deposited,
            stream.rate_per_second.0,
            stream.active_seconds(now),
        );
        self.transfer(sender, self.escrow_vault(), stream.asset, amount)?;
        self.stream_rec_mut(payer, job_id)?.excluded_seconds += unfunded;
        let escrow = self.escrow_mut(payer, job_id)?;
        escrow.deposited += amount;
        fx.push(ContractEvent::EscrowToppedUp(EscrowToppedUp {
            payer,
            job_id,
            funder: sender,
            amount,
            total_deposited: escrow.deposited,
        }));
        Ok(())
    }

    fn close_stream(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        payer: AccountAddress,
        job_id: u64,
    ) -> Exec {
        let s = self.open_stream_rec(payer, job_id)?;
        ensure(sender == payer || sender == s.payee, Abort::NotStreamParty)?;
        self.settle(fx, now, payer, job_id)?;
        let s = self.stream_rec_mut(payer, job_id)?;
        s.is_closed = true;
        s.closed_at = now;
        self.refund_remaining(fx, payer, job_id, false)?;
        let escrow = self.escrow(payer, job_id)?;
        fx.push(ContractEvent::StreamClosed(StreamClosed {
            payer,
            job_id,
            closed_by: sender,
            total_paid: escrow.paid,
            total_refunded: escrow.refunded,
        }));
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn rent(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        now: u64,
        sender: AccountAddress,
        provider: AccountAddress,
        docker_image: String,
        asset: AccountAddress,
        deposit: u64,
        max_duration: u64,
        max_rate_per_second: u128,
    ) -> Exec {
        let price = self
            .providers
            .get(&provider)
            .ok_or(Abort::ProviderNotFound)?
            .price_per_second
            .0;
        ensure(price <= max_rate_per_second, Abort::RateAboveMax)?;
        let job_id = self.create_job(
            fx,
            now,
            sender,
            provider,
            docker_image,
            deposit,
            max_duration,
        )?;
        self.deposit_escrow(fx, sender, job_id, provider, asset, deposit)?;
        self.open_stream(fx, now, sender, job_id, provider, price)
    }

    // ---------------------------------------------------------------- dispatch

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
