//! `provider_registry.move` in Rust: provider registration, availability, pricing, stake and
//! deregistration. Each function mirrors the Move function of the same name, check for check and in
//! the same order.

use super::*;

impl State {
    pub(super) fn register_provider(
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
                endpoint: String::new(),
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

    pub(super) fn provider_mut(&mut self, provider: AccountAddress) -> Exec<&mut Provider> {
        self.providers
            .get_mut(&provider)
            .ok_or(Abort::ProviderNotFound)
    }

    pub(super) fn update_endpoint(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
        endpoint: String,
    ) -> Exec {
        let p = self.provider_mut(sender)?;
        ensure(is_valid_endpoint(&endpoint), Abort::InvalidEndpoint)?;
        p.endpoint = endpoint.clone();
        fx.push(ContractEvent::ProviderEndpointUpdated(
            ProviderEndpointUpdated {
                provider: sender,
                endpoint,
            },
        ));
        Ok(())
    }

    pub(super) fn update_availability(
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

    pub(super) fn update_pricing(
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

    pub(super) fn deregister(
        &mut self,
        fx: &mut Vec<ContractEvent>,
        sender: AccountAddress,
    ) -> Exec {
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
}

/// The longest service URL a provider may publish (`MAX_ENDPOINT_BYTES` in Move).
const MAX_ENDPOINT_BYTES: usize = 256;

/// Empty (withdrawn), or an `http://`/`https://` URL of at most [`MAX_ENDPOINT_BYTES`] bytes:
/// `is_valid_endpoint` in Move, byte for byte.
fn is_valid_endpoint(endpoint: &str) -> bool {
    endpoint.is_empty()
        || (endpoint.len() <= MAX_ENDPOINT_BYTES
            && (endpoint.starts_with("http://") || endpoint.starts_with("https://")))
}
