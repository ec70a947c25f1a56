//! `computestream/fetch`'s native half: `computestream_x402::http::Payer`, which answers a
//! 402 and concludes on the paid response; `fetch.js` only moves headers and bodies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use computestream_core::{AptosLedger, Signer};
use computestream_x402::http::{Payer, Payment, SpendingPolicy};
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;

use crate::error::{address_arg, core, input, payer, u64_arg};

/// A signed payment to retry the request with.
#[napi(object)]
#[derive(Debug)]
pub struct PaymentAnswer {
    /// Hand back to `conclude` (or `release`).
    pub id: u32,
    /// `PAYMENT-SIGNATURE` (v2) or `X-PAYMENT` (v1).
    pub header: String,
    /// The header value.
    pub value: String,
    /// `exact` or `stream`.
    pub scheme: String,
    /// CAIP-2 network.
    pub network: String,
    /// Base units (a `stream` payment's deposit).
    pub amount: BigInt,
}

/// The native half of `wrapFetchWithPayment`.
#[napi]
#[derive(Debug)]
pub struct NativePayer {
    payer: Payer,
    pending: Mutex<HashMap<u32, Payment>>,
    next: AtomicU32,
}

#[napi]
impl NativePayer {
    /// Pays as `privateKey`, reading sequence numbers and chain time from `node`, within
    /// `maxPerPayment` and `maxPerHour` (base units) on `networks` (empty: any).
    #[napi(constructor)]
    pub fn new(
        private_key: String,
        node: String,
        max_per_payment: String,
        max_per_hour: String,
        networks: Vec<String>,
        docker_image: Option<String>,
        contract: Option<String>,
    ) -> napi::Result<Self> {
        let contract = match contract {
            Some(c) => address_arg(&c, "contract")?,
            None => computestream_core::contract::LOCAL_CONTRACT_ADDRESS,
        };
        let signer = Arc::new(Signer::from_private_key(&private_key).map_err(core)?);
        let ledger = Arc::new(AptosLedger::new(&node, contract).map_err(core)?);
        let mut policy = SpendingPolicy::new(
            u64_arg(&max_per_payment, "maxPerPayment")?,
            u64_arg(&max_per_hour, "maxPerHour")?,
        );
        policy.networks = networks;
        let mut inner = Payer::new(signer, ledger, policy);
        if let Some(image) = docker_image {
            inner = inner.with_docker_image(image);
        }
        Ok(NativePayer {
            payer: inner,
            pending: Mutex::new(HashMap::new()),
            next: AtomicU32::new(1),
        })
    }

    /// The paying account.
    #[napi(getter)]
    pub fn address(&self) -> String {
        self.payer.address().to_string()
    }

    /// Spent over the last hour (base units).
    #[napi(getter)]
    pub fn spent_last_hour(&self) -> BigInt {
        self.payer.spent_last_hour().into()
    }

    /// Answers a 402 (its `PAYMENT-REQUIRED` header, else its body for a v1 challenge).
    #[napi]
    pub async fn answer(
        &self,
        payment_required: Option<String>,
        body: String,
    ) -> napi::Result<PaymentAnswer> {
        let payment = self
            .payer
            .answer(payment_required.as_deref(), body.as_bytes())
            .await
            .map_err(payer)?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let answer = PaymentAnswer {
            id,
            header: payment.header.into(),
            value: payment.value.clone(),
            scheme: payment.requirements.scheme.clone(),
            network: payment.requirements.network.clone(),
            amount: payment
                .requirements
                .amount
                .parse::<u64>()
                .unwrap_or(0)
                .into(),
        };
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, payment);
        Ok(answer)
    }

    /// After the paid request: the decoded receipt as JSON (`null` without one), or the
    /// refusal thrown (`PAYMENT_REFUSED` with the server's reason).
    #[napi]
    pub fn conclude(
        &self,
        id: u32,
        status: u32,
        receipt: Option<String>,
        payment_required: Option<String>,
        body: String,
    ) -> napi::Result<Option<String>> {
        let payment = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)
            .ok_or_else(|| input(format!("no pending payment {id}")))?;
        let status = u16::try_from(status).map_err(|_| input(format!("status {status}")))?;
        let receipt = self
            .payer
            .conclude(
                &payment,
                status,
                receipt.as_deref(),
                payment_required.as_deref(),
                body.as_bytes(),
            )
            .map_err(payer)?;
        receipt
            .map(|r| serde_json::to_string(&r).map_err(input))
            .transpose()
    }

    /// Signs a payment for one set of requirements (JSON), for x402 SDKs that choose the
    /// requirements themselves: the scheme's payload as JSON. Under the same policy; the spend
    /// is booked when signing (such callers do not report the settlement back).
    #[napi]
    pub async fn sign_requirements(&self, requirements: String) -> napi::Result<String> {
        let requirements =
            serde_json::from_str(&requirements).map_err(|e| input(format!("requirements: {e}")))?;
        let payload = self
            .payer
            .sign_requirements(&requirements)
            .await
            .map_err(payer)?;
        serde_json::to_string(&payload).map_err(input)
    }

    /// Forgets a payment whose request never got a response (its sequence number is free).
    #[napi]
    pub fn release(&self, id: u32) {
        let payment = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        if let Some(payment) = payment {
            // No response: conclude as a transport failure, which frees the sequence number.
            let _ = self.payer.conclude(&payment, 0, None, None, b"");
        }
    }
}
