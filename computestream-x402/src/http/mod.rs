//! HTTP: the client that pays 402s ([`PayingClient`]), the facilitator over HTTP
//! ([`HttpFacilitator`], [`facilitator_router`]) and the gate as a tower layer for axum
//! ([`X402Layer`]).

mod client;
mod facilitator;
mod layer;

/// A reqwest client. reqwest is built without a bundled TLS crypto provider (aptos-sdk's
/// choice, so the same build works for wasm32); install `ring` unless the application
/// already chose one.
pub fn http_client() -> reqwest::Client {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::new()
}

pub use client::{ClientError, Paid, PayingClient, SpendingPolicy};
pub use facilitator::{HttpFacilitator, facilitator_router};
pub use layer::{X402Layer, X402Service};
