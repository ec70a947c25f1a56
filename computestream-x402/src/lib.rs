#![doc = include_str!("../README.md")]

pub mod aptos;
pub mod facade;
pub mod facilitator;
pub mod gate;
#[cfg(feature = "http")]
pub mod http;
pub mod reason;
pub mod schemes;
pub mod wire;

pub use facilitator::{Facilitator, LocalFacilitator};
pub use reason::{Invalid, Reason};
pub use schemes::{Scheme, StreamTerms, TxnParams};
pub use wire::{
    PaymentHeader, PaymentHeaderRef, PaymentPayload, PaymentPayloadRef, PaymentRequired,
    PaymentRequirements, SettleResponse,
};

use serde::{Deserialize, Serialize};

/// A network x402 can name for Aptos-family chains, with its chain id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Network {
    /// `aptos:1`
    AptosMainnet,
    /// `aptos:2`
    AptosTestnet,
    /// `movement:126`
    MovementMainnet,
    /// `movement:250` (Bardock testnet)
    MovementTestnet,
    /// `aptos:4`, the embedded ledger and Aptos localnets.
    Localnet,
}

impl Network {
    /// Every network.
    pub const ALL: [Network; 5] = [
        Network::AptosMainnet,
        Network::AptosTestnet,
        Network::MovementMainnet,
        Network::MovementTestnet,
        Network::Localnet,
    ];

    /// The CAIP-2 id x402 uses.
    pub const fn caip2(self) -> &'static str {
        match self {
            Network::AptosMainnet => "aptos:1",
            Network::AptosTestnet => "aptos:2",
            Network::MovementMainnet => "movement:126",
            Network::MovementTestnet => "movement:250",
            Network::Localnet => "aptos:4",
        }
    }

    /// The chain id transactions carry.
    pub const fn chain_id(self) -> u8 {
        match self {
            Network::AptosMainnet => 1,
            Network::AptosTestnet => 2,
            Network::MovementMainnet => 126,
            Network::MovementTestnet => 250,
            Network::Localnet => 4,
        }
    }

    /// Parses a CAIP-2 id.
    pub fn from_caip2(id: &str) -> Option<Network> {
        Network::ALL.into_iter().find(|n| n.caip2() == id)
    }
}

/// The core's [`ErrorCode`](computestream_core::ErrorCode) for each x402 error, so bindings map
/// every error through one trait.
macro_rules! error_codes {
    ($($error:ty),*) => {$(
        impl computestream_core::ErrorCode for $error {
            fn code(&self) -> &'static str {
                <$error>::code(self)
            }
        }
    )*};
}
error_codes!(
    wire::WireError,
    schemes::PayError,
    facade::FacadeError,
    facilitator::FacilitatorError
);
#[cfg(feature = "http")]
error_codes!(http::ClientError);

#[cfg(test)]
mod tests {
    use super::*;

    /// Error codes: non-empty SCREAMING_SNAKE_CASE, each used once.
    pub(crate) fn assert_stable_codes(codes: &[&str]) {
        for code in codes {
            let screaming = !code.is_empty()
                && code.starts_with(|c: char| c.is_ascii_uppercase())
                && !code.ends_with('_')
                && !code.contains("__")
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            assert!(screaming, "{code:?} is not SCREAMING_SNAKE_CASE");
        }
        let mut distinct = codes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            codes.len(),
            "a code is used twice: {codes:?}"
        );
    }

    /// A binding maps each code to one exception class: no two failures share one, whatever
    /// error type carries them (those that wrap another error answer its code).
    #[test]
    fn error_codes_are_distinct_across_the_crate() {
        let mut codes: Vec<&str> = facade::tests::every_facade_error()
            .iter()
            .map(facade::FacadeError::code)
            .collect();
        codes.push(facilitator::FacilitatorError(String::new()).code());
        #[cfg(feature = "http")]
        codes.extend(
            http::client_tests::every_own_client_error()
                .iter()
                .map(http::ClientError::code),
        );
        assert_stable_codes(&codes);
    }

    #[test]
    fn caip2_ids_round_trip_and_chain_ids_are_distinct() {
        for n in Network::ALL {
            assert_eq!(Network::from_caip2(n.caip2()), Some(n));
        }
        let mut ids: Vec<u8> = Network::ALL.iter().map(|n| n.chain_id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Network::ALL.len());
        assert_eq!(Network::from_caip2("aptos:9"), None);
        assert_eq!(
            computestream_core::contract::LOCAL_CHAIN_ID.id(),
            Network::Localnet.chain_id()
        );
    }
}
