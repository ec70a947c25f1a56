//! `escrow.move` in Rust: deposits, refunds and the escrow totals that conservation is checked on.
//! Each function mirrors the Move function of the same name, check for check and in the same order.

use super::*;

impl State {
    pub(super) fn escrow(&self, payer: AccountAddress, job_id: u64) -> Exec<&Escrow> {
        self.escrows
            .get(&(payer, job_id))
            .ok_or(Abort::EscrowNotFound)
    }

    pub(super) fn escrow_mut(&mut self, payer: AccountAddress, job_id: u64) -> Exec<&mut Escrow> {
        self.escrows
            .get_mut(&(payer, job_id))
            .ok_or(Abort::EscrowNotFound)
    }

    pub(super) fn deposit_escrow(
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

    pub(super) fn refund_escrow(
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
    pub(super) fn refund_remaining(
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
}
