//! Every abort code of the four modules, named once. The Move sources, the embedded
//! ledger and the SDK's error mapping all use this table (see `move/README.md`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Module;

macro_rules! abort_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal in $module:ident as $name:literal; )*) => {
        /// A named abort code of the ComputeStream modules, or of the framework where the
        /// contracts let it surface (an insufficient balance on a transfer).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum AbortCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl AbortCode {
            /// Every code, in numeric order.
            pub const ALL: &'static [AbortCode] = &[ $( AbortCode::$variant, )* ];

            /// The numeric code the Move `abort` carries.
            pub const fn code(self) -> u64 {
                match self { $( AbortCode::$variant => $code, )* }
            }

            /// The module that aborts with this code.
            pub const fn module(self) -> AbortModule {
                match self { $( AbortCode::$variant => AbortModule::$module, )* }
            }

            /// The Move constant's name, e.g. `E_STREAM_CLOSED`.
            pub const fn name(self) -> &'static str {
                match self { $( AbortCode::$variant => $name, )* }
            }

            /// What the code means, in one sentence (its doc comment in this table), for
            /// messages such as a dashboard's.
            pub fn description(self) -> &'static str {
                match self { $( AbortCode::$variant => concat!($($doc),*).trim_ascii(), )* }
            }

            /// Looks a code up by the module that raised it and its number.
            pub fn from_location(module: AbortModule, code: u64) -> Option<AbortCode> {
                Self::ALL.iter().copied().find(|c| c.module() == module && c.code() == code)
            }

            /// Looks a code up by its Move constant name.
            pub fn from_name(name: &str) -> Option<AbortCode> {
                Self::ALL.iter().copied().find(|c| c.name() == name)
            }
        }
    };
}

abort_codes! {
    /// The signer already has a provider record.
    ProviderAlreadyRegistered = 1 in ProviderRegistry as "E_PROVIDER_ALREADY_REGISTERED";
    /// No provider is registered at that address.
    ProviderNotFound = 2 in ProviderRegistry as "E_PROVIDER_NOT_FOUND";
    /// A price of zero.
    InvalidPrice = 3 in ProviderRegistry as "E_INVALID_PRICE";
    /// A stake of zero.
    InvalidStake = 4 in ProviderRegistry as "E_INVALID_STAKE";
    /// An empty GPU type or zero VRAM.
    InvalidGpuSpec = 5 in ProviderRegistry as "E_INVALID_GPU_SPEC";
    /// Deregistration while jobs are pending or running.
    ProviderHasActiveJobs = 6 in ProviderRegistry as "E_PROVIDER_HAS_ACTIVE_JOBS";
    /// Publishing on a chain with no fungible-asset metadata at `0xa` (the native coin).
    NativeAssetMissing = 7 in ProviderRegistry as "E_NATIVE_ASSET_MISSING";
    /// An endpoint that is neither empty nor an `http://`/`https://` URL of at most 256 bytes.
    InvalidEndpoint = 8 in ProviderRegistry as "E_INVALID_ENDPOINT";
    /// No job with that id under that buyer.
    JobNotFound = 10 in JobRegistry as "E_JOB_NOT_FOUND";
    /// The signer is not the job's provider.
    NotJobProvider = 11 in JobRegistry as "E_NOT_JOB_PROVIDER";
    /// The job's status does not allow this transition.
    InvalidStatus = 12 in JobRegistry as "E_INVALID_STATUS";
    /// A maximum duration of zero.
    InvalidDuration = 13 in JobRegistry as "E_INVALID_DURATION";
    /// An empty docker image.
    InvalidDockerImage = 14 in JobRegistry as "E_INVALID_DOCKER_IMAGE";
    /// The provider is not registered or not accepting jobs.
    ProviderUnavailable = 15 in JobRegistry as "E_PROVIDER_UNAVAILABLE";
    /// A declared escrow amount of zero.
    InvalidEscrowAmount = 16 in JobRegistry as "E_INVALID_ESCROW_AMOUNT";
    /// The job has ended (completed, failed or cancelled).
    JobEnded = 17 in JobRegistry as "E_JOB_ENDED";
    /// No escrow for that job.
    EscrowNotFound = 20 in Escrow as "E_ESCROW_NOT_FOUND";
    /// The job already has an escrow.
    EscrowAlreadyExists = 21 in Escrow as "E_ESCROW_ALREADY_EXISTS";
    /// A deposit of zero.
    InvalidAmount = 22 in Escrow as "E_INVALID_AMOUNT";
    /// The escrow's provider is not the job's provider.
    ProviderMismatch = 23 in Escrow as "E_PROVIDER_MISMATCH";
    /// The escrow was already settled and refunded.
    EscrowInactive = 24 in Escrow as "E_ESCROW_INACTIVE";
    /// The escrow funds a stream: close the stream instead.
    StreamAttached = 25 in Escrow as "E_STREAM_ATTACHED";
    /// Refund before the job has ended.
    JobNotTerminal = 26 in Escrow as "E_JOB_NOT_TERMINAL";
    /// The asset address is not a fungible-asset metadata object.
    InvalidAsset = 27 in Escrow as "E_INVALID_ASSET";
    /// No stream for that job.
    StreamNotFound = 30 in PaymentStream as "E_STREAM_NOT_FOUND";
    /// The job already has a stream.
    StreamAlreadyExists = 31 in PaymentStream as "E_STREAM_ALREADY_EXISTS";
    /// A rate of zero.
    InvalidRate = 32 in PaymentStream as "E_INVALID_RATE";
    /// The payee is not the escrow's provider.
    PayeeMismatch = 33 in PaymentStream as "E_PAYEE_MISMATCH";
    /// The stream is closed.
    StreamClosed = 34 in PaymentStream as "E_STREAM_CLOSED";
    /// The stream is already paused.
    AlreadyPaused = 35 in PaymentStream as "E_ALREADY_PAUSED";
    /// The stream is not paused.
    NotPaused = 36 in PaymentStream as "E_NOT_PAUSED";
    /// Only the payer or the payee may close a stream.
    NotStreamParty = 37 in PaymentStream as "E_NOT_STREAM_PARTY";
    /// The provider's price is above the buyer's `max_rate_per_second`.
    RateAboveMax = 38 in PaymentStream as "E_RATE_ABOVE_MAX";
    /// A top-up of zero.
    InvalidTopUp = 39 in PaymentStream as "E_INVALID_TOP_UP";
    /// `0x1::fungible_asset::EINSUFFICIENT_BALANCE` wrapped in `error::invalid_argument`.
    InsufficientBalance = 0x10004 in FungibleAsset as "EINSUFFICIENT_BALANCE";
}

impl fmt::Display for AbortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}({})", self.module(), self.name(), self.code())
    }
}

/// The module an abort is raised in: one of ours, or the framework's `fungible_asset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AbortModule {
    /// `computestream::provider_registry`
    ProviderRegistry,
    /// `computestream::job_registry`
    JobRegistry,
    /// `computestream::escrow`
    Escrow,
    /// `computestream::payment_stream`
    PaymentStream,
    /// `0x1::fungible_asset`
    FungibleAsset,
}

impl AbortModule {
    /// The module's name as Move spells it.
    pub const fn name(self) -> &'static str {
        match self {
            AbortModule::FungibleAsset => "fungible_asset",
            AbortModule::ProviderRegistry => Module::ProviderRegistry.name(),
            AbortModule::JobRegistry => Module::JobRegistry.name(),
            AbortModule::Escrow => Module::Escrow.name(),
            AbortModule::PaymentStream => Module::PaymentStream.name(),
        }
    }

    /// Parses a module name (`escrow`, `fungible_asset`, ...).
    pub fn from_name(name: &str) -> Option<AbortModule> {
        [
            AbortModule::ProviderRegistry,
            AbortModule::JobRegistry,
            AbortModule::Escrow,
            AbortModule::PaymentStream,
            AbortModule::FungibleAsset,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

impl fmt::Display for AbortModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_per_module_and_names_unique() {
        for (i, a) in AbortCode::ALL.iter().enumerate() {
            for b in &AbortCode::ALL[i + 1..] {
                assert_ne!((a.module(), a.code()), (b.module(), b.code()), "{a} vs {b}");
                assert_ne!(a.name(), b.name());
            }
            assert_eq!(AbortCode::from_location(a.module(), a.code()), Some(*a));
            assert_eq!(AbortCode::from_name(a.name()), Some(*a));
            assert_eq!(AbortModule::from_name(a.module().name()), Some(a.module()));
        }
    }
}
