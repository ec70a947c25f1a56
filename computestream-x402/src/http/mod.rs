//! HTTP: the client that pays 402s ([`PayingClient`], over the transport-neutral [`Payer`]), the facilitator over HTTP
//! ([`HttpFacilitator`], [`facilitator_router`]), the gate as a tower layer for axum
//! ([`X402Layer`]), and [`serve`], which serves either with header and body timeouts and a
//! connection cap.

mod client;
#[cfg(test)]
pub(crate) use client::tests as client_tests;
mod facilitator;
mod layer;
mod payer;
mod serve;

/// A reqwest client with a TLS crypto provider installed (see
/// [`computestream_core::http_client`]).
pub fn http_client() -> reqwest::Client {
    computestream_core::http_client()
}

pub use client::{ClientError, Paid, PayingClient};
pub use facilitator::{HttpFacilitator, facilitator_router};
pub use layer::{X402Layer, X402Service};
pub use payer::{Payer, Payment, SpendingPolicy};
pub use serve::{FacilitatorServer, ServeLimits, serve};
