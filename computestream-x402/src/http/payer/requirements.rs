//! Paying one set of requirements instead of a whole challenge: for x402 SDKs that choose the
//! requirements themselves and ask a scheme only for its payload (the PyPI `x402` client's
//! `SchemeNetworkClient.create_payment_payload(requirements)`).

use serde_json::{Map, Value};

use super::{ClientError, Payer};
use crate::wire::PaymentRequirements;

impl Payer {
    /// Signs a payment for `requirements` under the same policy and hourly budget as
    /// [`Payer::answer`] (sequence number and chain time from the ledger) and returns the
    /// scheme's payload (`PaymentPayload.payload`: the signed transaction). The spend is booked
    /// when signing, since such callers do not report the settlement back; nothing is booked
    /// when signing fails. The next payment reads the sequence number from the node.
    pub async fn sign_requirements(
        &self,
        requirements: &PaymentRequirements,
    ) -> Result<Map<String, Value>, ClientError> {
        if let Some(why) = self.policy.refusal(requirements) {
            return Err(ClientError::NotAllowed(why));
        }
        let (payment, amount) = self.sign(requirements, None).await?;
        self.book(amount);
        // Whether this payment is ever submitted is not reported back: the next one reads the
        // account's sequence number from the node again rather than running ahead of it.
        self.signer.resync();
        Ok(payment.payload)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use computestream_core::{AssetId, Signer};
    use computestream_localnet::LocalLedger;

    use crate::Network;
    use crate::http::{Payer, SpendingPolicy};
    use crate::schemes::exact_requirements;

    #[tokio::test]
    async fn signs_one_requirements_under_the_policy_and_books_it() {
        let ledger = Arc::new(LocalLedger::in_memory());
        let payer = Payer::new(
            Arc::new(Signer::from_seed("requirements:payer")),
            ledger,
            SpendingPolicy::new(1_000, 1_500),
        );
        let to = Signer::from_seed("requirements:provider").address();
        let offer =
            |amount| exact_requirements(Network::Localnet, AssetId::NATIVE, to, amount, 60, None);
        let payload = payer.sign_requirements(&offer(1_000)).await.unwrap();
        assert!(payload.contains_key("transaction"), "{payload:?}");
        assert_eq!(payer.spent_last_hour(), 1_000);
        let over_cap = payer.sign_requirements(&offer(1_001)).await.unwrap_err();
        assert_eq!(over_cap.code(), "PAYMENT_NOT_ALLOWED");
        let over_budget = payer.sign_requirements(&offer(600)).await.unwrap_err();
        assert_eq!(over_budget.code(), "BUDGET_EXCEEDED");
        assert_eq!(payer.spent_last_hour(), 1_000);
    }
}
