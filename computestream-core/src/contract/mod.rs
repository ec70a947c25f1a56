//! The contract ABI: every entry function, view and event of the four Move modules, defined
//! once. Builders encode arguments with aptos-sdk's BCS; the embedded ledger decodes the same
//! definitions, so the client and the ledger cannot drift apart.

pub(crate) mod abort;
mod events;
mod views;

pub use abort::{AbortCode, AbortModule};
pub use events::*;
pub(crate) use views::for_each_view;
pub use views::{View, ViewRequest};

use std::fmt;

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::EntryFunction;
use aptos_sdk::types::{Identifier, MoveModuleId, StructTag, TypeTag};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::AccountAddress;

/// Where the embedded ledger deploys the contracts (the Move package's dev address).
pub const LOCAL_CONTRACT_ADDRESS: AccountAddress = crate::types::address_from_u64(0xcafe);

/// Chain id of a local network: an Aptos localnet and the embedded ledger.
pub const LOCAL_CHAIN_ID: aptos_sdk::types::ChainId = aptos_sdk::types::ChainId::new(4);

/// One of the four modules of the `computestream` package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Module {
    /// `provider_registry`
    ProviderRegistry,
    /// `job_registry`
    JobRegistry,
    /// `escrow`
    Escrow,
    /// `payment_stream`
    PaymentStream,
}

impl Module {
    /// All four.
    pub const ALL: [Module; 4] = [
        Module::ProviderRegistry,
        Module::JobRegistry,
        Module::Escrow,
        Module::PaymentStream,
    ];

    /// The Move module name.
    pub const fn name(self) -> &'static str {
        match self {
            Module::ProviderRegistry => "provider_registry",
            Module::JobRegistry => "job_registry",
            Module::Escrow => "escrow",
            Module::PaymentStream => "payment_stream",
        }
    }

    /// Parses a Move module name.
    pub fn from_name(name: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The module id at a deployment address.
    pub fn id(self, contract: AccountAddress) -> MoveModuleId {
        MoveModuleId::new(contract, ident(self.name()))
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn ident(name: &'static str) -> Identifier {
    // Every name passed here is a literal Move identifier from the tables in this module.
    Identifier::new(name).expect("static Move identifier")
}

fn bcs<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    aptos_bcs::to_bytes(value).map_err(|e| Error::Aptos(aptos_sdk::AptosError::bcs(e)))
}

/// Why an entry function or view call could not be decoded from its BCS form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallDecodeError {
    /// No such function in the ABI.
    #[error("unknown function {0}")]
    UnknownFunction(String),
    /// Wrong argument count.
    #[error("expected {expected} arguments, got {got}")]
    ArgumentCount {
        /// The ABI's count.
        expected: usize,
        /// The transaction's count.
        got: usize,
    },
    /// An argument's bytes are not a BCS value of the parameter's type.
    #[error("argument {name}: {message}")]
    Argument {
        /// The parameter.
        name: &'static str,
        /// The BCS error.
        message: String,
    },
    /// The function takes no (or other) type arguments.
    #[error("unexpected type arguments")]
    TypeArguments,
}

pub(crate) fn decode_arg<T: DeserializeOwned>(
    bytes: Option<&Vec<u8>>,
    name: &'static str,
) -> std::result::Result<T, CallDecodeError> {
    let bytes = bytes.ok_or(CallDecodeError::Argument {
        name,
        message: "missing".into(),
    })?;
    aptos_bcs::from_bytes(bytes).map_err(|e| CallDecodeError::Argument {
        name,
        message: e.to_string(),
    })
}

/// The length of `text` without its spaces.
const fn unspaced_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b' ' {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `text` without its spaces, in an array of [`unspaced_len`] bytes.
const fn unspaced<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b' ' {
            out[n] = bytes[i];
            n += 1;
        }
        i += 1;
    }
    out
}

/// A type as written in the ABI tables (`crate::types::Stream`, `Vec<AccountAddress>`), as a
/// `&'static str` computed at compile time. `stringify!` alone spaces the tokens
/// (`crate :: types :: Stream`) once the tables have passed through a callback macro.
macro_rules! type_name {
    ($t:ty) => {{
        const TEXT: &str = stringify!($t);
        const BYTES: [u8; $crate::contract::unspaced_len(TEXT)] = $crate::contract::unspaced(TEXT);
        const NAME: &str = match std::str::from_utf8(&BYTES) {
            Ok(name) => name,
            Err(_) => panic!("Rust type names are ASCII"),
        };
        NAME
    }};
}
pub(crate) use type_name;

macro_rules! entry_functions {
    ($( $(#[doc = $doc:literal])* $variant:ident => $module:ident :: $function:ident { $( $arg:ident : $ty:ty ),* $(,)? } )*) => {
        /// A call of one of the contracts' entry functions, with typed arguments. The sender
        /// of the transaction is the Move `&signer`. Exhaustive on purpose: the embedded
        /// ledger matches every call, so a new entry function does not compile until it is
        /// implemented there.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "function", rename_all = "snake_case")]
        pub enum Call {
            $( $(#[doc = $doc])* $variant { $( #[allow(missing_docs)] #[serde(with = "crate::serde_dec")] $arg: $ty ),* }, )*
        }

        impl Call {
            /// Every entry function as `(module, function)`.
            pub const FUNCTIONS: &'static [(Module, &'static str)] = &[ $( (Module::$module, stringify!($function)), )* ];

            /// The module that defines it.
            pub fn module(&self) -> Module {
                match self { $( Call::$variant { .. } => Module::$module, )* }
            }

            /// The function's name.
            pub fn function(&self) -> &'static str {
                match self { $( Call::$variant { .. } => stringify!($function), )* }
            }

            /// The parameters after the `&signer`, as `(name, Rust type)` in ABI order.
            pub fn parameters(&self) -> &'static [(&'static str, &'static str)] {
                match self { $( Call::$variant { .. } => { const P: &[(&str, &str)] = &[ $( (stringify!($arg), type_name!($ty)) ),* ]; P } )* }
            }

            /// The parameters of `module::function`, if it is one of the entry functions.
            pub fn signature(module: Module, function: &str) -> Option<&'static [(&'static str, &'static str)]> {
                $( if module == Module::$module && function == stringify!($function) {
                    const P: &[(&str, &str)] = &[ $( (stringify!($arg), type_name!($ty)) ),* ];
                    return Some(P);
                } )*
                None
            }

            /// What `module::function` does, from its row of the table (one line per doc
            /// line, each starting with a space), if it is one of the entry functions.
            pub fn doc(module: Module, function: &str) -> Option<&'static str> {
                $( if module == Module::$module && function == stringify!($function) {
                    return Some(concat!($( $doc, "\n" ),*));
                } )*
                None
            }

            fn encode_args(&self) -> Result<Vec<Vec<u8>>> {
                match self { $( Call::$variant { $( $arg ),* } => Ok(vec![ $( bcs($arg)? ),* ]), )* }
            }

            fn decode_args(
                module: Module,
                function: &str,
                args: &[Vec<u8>],
            ) -> std::result::Result<Call, CallDecodeError> {
                $(
                    if module == Module::$module && function == stringify!($function) {
                        let names: &[&str] = &[ $( stringify!($arg) ),* ];
                        if args.len() != names.len() {
                            return Err(CallDecodeError::ArgumentCount { expected: names.len(), got: args.len() });
                        }
                        #[allow(unused_mut, unused_variables)]
                        let mut it = args.iter();
                        return Ok(Call::$variant { $( $arg: decode_arg::<$ty>(it.next(), stringify!($arg))? ),* });
                    }
                )*
                Err(CallDecodeError::UnknownFunction(format!("{module}::{function}")))
            }
        }

    };
}

/// The entry-function table: invokes `$callback!` with one line per entry function of the
/// four modules (`Variant => Module::function { arg: Type, ... }`, doc comments first). This
/// module builds [`Call`] from it and `client` builds the `ContractClient` methods, so the
/// ABI is written once and each consumer lives beside its own code.
// Exported (hidden) so the language bindings generate their methods from the same table.
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_entry_function {
    ($callback:ident) => {
        $callback! {
            /// Registers the sender as a provider and locks `stake_amount` of the native coin.
            RegisterProvider => ProviderRegistry::register_provider { gpu_type: String, vram_gb: u64, price_per_second: u128, stake_amount: u64 }
            /// Opens or closes the sender (a provider) to new jobs.
            UpdateAvailability => ProviderRegistry::update_availability { is_active: bool }
            /// Sets the sender's price for new streams.
            UpdatePricing => ProviderRegistry::update_pricing { price_per_second: u128 }
            /// Publishes the sender's service URL (`http://` or `https://`, at most 256 bytes;
            /// empty withdraws it), where buyers reach its x402 endpoint.
            UpdateEndpoint => ProviderRegistry::update_endpoint { endpoint: String }
            /// Removes the sender's provider record and returns its stake.
            Deregister => ProviderRegistry::deregister {}
            /// Creates a pending job for `provider`, funded by the sender.
            CreateJob => JobRegistry::create_job { provider: AccountAddress, docker_image: String, escrow_amount: u64, max_duration: u64 }
            /// The provider starts a pending job.
            StartJob => JobRegistry::start_job { buyer: AccountAddress, job_id: u64 }
            /// The provider completes a running job.
            CompleteJob => JobRegistry::complete_job { buyer: AccountAddress, job_id: u64, output_url: String }
            /// The provider fails a running job.
            FailJob => JobRegistry::fail_job { buyer: AccountAddress, job_id: u64 }
            /// The buyer cancels a pending job.
            CancelJob => JobRegistry::cancel_job { job_id: u64 }
            /// The provider turns down a pending job (Pending → Cancelled).
            RejectJob => JobRegistry::reject_job { buyer: AccountAddress, job_id: u64 }
            /// The buyer escrows `amount` of `asset` for one of its jobs.
            DepositEscrow => Escrow::deposit_escrow { job_id: u64, provider: AccountAddress, asset: AccountAddress, amount: u64 }
            /// The buyer takes back an escrow that funds no stream, once the job has ended.
            RefundEscrow => Escrow::refund_escrow { job_id: u64 }
            /// The buyer opens a stream from its escrow to the provider at `rate_per_second`.
            OpenStream => PaymentStream::open_stream { job_id: u64, payee: AccountAddress, rate_per_second: u128 }
            /// Anyone pays the payee what the stream owes now (idempotent).
            ProcessPayment => PaymentStream::process_payment { payer: AccountAddress, job_id: u64 }
            /// The buyer pauses accrual.
            PauseStream => PaymentStream::pause_stream { job_id: u64 }
            /// The buyer resumes accrual.
            ResumeStream => PaymentStream::resume_stream { job_id: u64 }
            /// Anyone adds `amount` to a stream's escrow (refunds still go to the payer).
            TopUp => PaymentStream::top_up { payer: AccountAddress, job_id: u64, amount: u64 }
            /// The payer or the payee settles and closes the stream; the rest goes back to the payer.
            CloseStream => PaymentStream::close_stream { payer: AccountAddress, job_id: u64 }
            /// Job, escrow and stream in one transaction, at the provider's current price.
            Rent => PaymentStream::rent { provider: AccountAddress, docker_image: String, asset: AccountAddress, deposit: u64, max_duration: u64, max_rate_per_second: u128 }
        }
    };
}
pub(crate) use for_each_entry_function;

for_each_entry_function!(entry_functions);

impl Call {
    /// The aptos-sdk entry function for the contracts deployed at `contract`.
    pub fn entry_function(&self, contract: AccountAddress) -> Result<EntryFunction> {
        Ok(EntryFunction::new(
            self.module().id(contract),
            self.function(),
            vec![],
            self.encode_args()?,
        ))
    }

    /// Decodes an entry function of the contracts at `contract`.
    pub fn from_entry_function(
        contract: AccountAddress,
        f: &EntryFunction,
    ) -> std::result::Result<Call, CallDecodeError> {
        let unknown = || CallDecodeError::UnknownFunction(format!("{}::{}", f.module, f.function));
        if f.module.address != contract {
            return Err(unknown());
        }
        let module = Module::from_name(f.module.name.as_str()).ok_or_else(unknown)?;
        if !f.type_args.is_empty() {
            return Err(CallDecodeError::TypeArguments);
        }
        Call::decode_args(module, &f.function, &f.args)
    }
}

/// `0x1::fungible_asset::Metadata`, the type argument of the fungible-asset transfer.
pub fn metadata_type_tag() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::new(
        AccountAddress::ONE,
        ident("fungible_asset"),
        ident("Metadata"),
        vec![],
    )))
}

/// The framework entry functions the embedded ledger executes besides the contracts
/// (exhaustive, like [`Call`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameworkCall {
    /// `0x1::primary_fungible_store::transfer<0x1::fungible_asset::Metadata>(asset, to, amount)`,
    /// the transfer x402's `exact` scheme signs.
    TransferAsset {
        /// Metadata address.
        asset: AccountAddress,
        /// Recipient.
        to: AccountAddress,
        /// Base units.
        amount: u64,
    },
    /// `0x1::aptos_account::transfer(to, amount)` of the native coin.
    TransferNative {
        /// Recipient.
        to: AccountAddress,
        /// Base units.
        amount: u64,
    },
}

impl FrameworkCall {
    /// The aptos-sdk entry function.
    pub fn entry_function(&self) -> Result<EntryFunction> {
        Ok(match self {
            FrameworkCall::TransferAsset { asset, to, amount } => EntryFunction::new(
                MoveModuleId::new(AccountAddress::ONE, ident("primary_fungible_store")),
                "transfer",
                vec![metadata_type_tag()],
                vec![bcs(asset)?, bcs(to)?, bcs(amount)?],
            ),
            FrameworkCall::TransferNative { to, amount } => EntryFunction::new(
                MoveModuleId::new(AccountAddress::ONE, ident("aptos_account")),
                "transfer",
                vec![],
                vec![bcs(to)?, bcs(amount)?],
            ),
        })
    }

    /// Decodes one of the supported framework entry functions.
    pub fn from_entry_function(
        f: &EntryFunction,
    ) -> std::result::Result<FrameworkCall, CallDecodeError> {
        let unknown = || CallDecodeError::UnknownFunction(format!("{}::{}", f.module, f.function));
        if f.module.address != AccountAddress::ONE {
            return Err(unknown());
        }
        let arity = |n: usize| {
            if f.args.len() == n {
                Ok(())
            } else {
                Err(CallDecodeError::ArgumentCount {
                    expected: n,
                    got: f.args.len(),
                })
            }
        };
        match (f.module.name.as_str(), f.function.as_str()) {
            ("primary_fungible_store", "transfer") => {
                if f.type_args != [metadata_type_tag()] {
                    return Err(CallDecodeError::TypeArguments);
                }
                arity(3)?;
                Ok(FrameworkCall::TransferAsset {
                    asset: decode_arg(f.args.first(), "metadata")?,
                    to: decode_arg(f.args.get(1), "recipient")?,
                    amount: decode_arg(f.args.get(2), "amount")?,
                })
            }
            ("aptos_account", "transfer") => {
                if !f.type_args.is_empty() {
                    return Err(CallDecodeError::TypeArguments);
                }
                arity(2)?;
                Ok(FrameworkCall::TransferNative {
                    to: decode_arg(f.args.first(), "to")?,
                    amount: decode_arg(f.args.get(1), "amount")?,
                })
            }
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_function_and_view_says_what_it_does() {
        for &(module, name) in Call::FUNCTIONS {
            let doc = Call::doc(module, name).unwrap_or_default();
            assert!(!doc.trim().is_empty(), "{name} has no doc");
        }
        for &(module, name) in View::FUNCTIONS {
            let doc = View::doc(module, name).unwrap_or_default();
            assert!(!doc.trim().is_empty(), "{name} has no doc");
        }
        let depletion = View::doc(Module::PaymentStream, "depletion_time").unwrap();
        assert!(depletion.contains("`u64::MAX` if never"), "{depletion}");
        assert_eq!(Call::doc(Module::PaymentStream, "depletion_time"), None);
    }

    #[test]
    fn abi_type_names_read_as_written_in_the_tables() {
        let (params, ret) = View::signature(Module::PaymentStream, "get_stream").unwrap();
        assert_eq!(params, [("payer", "AccountAddress"), ("job_id", "u64")]);
        assert_eq!(ret, "crate::types::Stream");
        let (_, ret) = View::signature(Module::ProviderRegistry, "list_providers").unwrap();
        assert_eq!(ret, "Vec<AccountAddress>");
        assert_eq!(
            Call::signature(Module::PaymentStream, "top_up").unwrap(),
            [
                ("payer", "AccountAddress"),
                ("job_id", "u64"),
                ("amount", "u64")
            ]
        );
    }

    #[test]
    fn every_call_round_trips_through_its_entry_function() {
        let a = crate::types::address_from_u64(0xb0b);
        let calls = vec![
            Call::RegisterProvider {
                gpu_type: "H100".into(),
                vram_gb: 80,
                price_per_second: 7,
                stake_amount: 9,
            },
            Call::UpdateAvailability { is_active: false },
            Call::UpdatePricing {
                price_per_second: u128::MAX,
            },
            Call::UpdateEndpoint {
                endpoint: "https://gpu.example/".into(),
            },
            Call::Deregister {},
            Call::CreateJob {
                provider: a,
                docker_image: "img".into(),
                escrow_amount: 1,
                max_duration: 2,
            },
            Call::StartJob {
                buyer: a,
                job_id: 1,
            },
            Call::CompleteJob {
                buyer: a,
                job_id: 1,
                output_url: "s3://x".into(),
            },
            Call::FailJob {
                buyer: a,
                job_id: 1,
            },
            Call::CancelJob { job_id: 1 },
            Call::RejectJob {
                buyer: a,
                job_id: 1,
            },
            Call::DepositEscrow {
                job_id: 1,
                provider: a,
                asset: AccountAddress::A,
                amount: 5,
            },
            Call::RefundEscrow { job_id: 1 },
            Call::OpenStream {
                job_id: 1,
                payee: a,
                rate_per_second: 3,
            },
            Call::ProcessPayment {
                payer: a,
                job_id: 1,
            },
            Call::PauseStream { job_id: 1 },
            Call::ResumeStream { job_id: 1 },
            Call::TopUp {
                payer: a,
                job_id: 1,
                amount: 4,
            },
            Call::CloseStream {
                payer: a,
                job_id: 1,
            },
            Call::Rent {
                provider: a,
                docker_image: "img".into(),
                asset: AccountAddress::A,
                deposit: 10,
                max_duration: 60,
                max_rate_per_second: 11,
            },
        ];
        assert_eq!(calls.len(), Call::FUNCTIONS.len());
        for call in calls {
            let f = call.entry_function(LOCAL_CONTRACT_ADDRESS).unwrap();
            assert_eq!(
                Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, &f).unwrap(),
                call
            );
            let elsewhere = crate::types::address_from_u64(0xdead);
            assert!(Call::from_entry_function(elsewhere, &f).is_err());
        }
    }

    #[test]
    fn malformed_arguments_are_typed_errors() {
        let mut f = Call::StartJob {
            buyer: AccountAddress::ONE,
            job_id: 1,
        }
        .entry_function(LOCAL_CONTRACT_ADDRESS)
        .unwrap();
        f.args[1].push(0); // trailing byte
        assert!(matches!(
            Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, &f),
            Err(CallDecodeError::Argument { name: "job_id", .. })
        ));
        f.args.pop();
        assert_eq!(
            Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, &f),
            Err(CallDecodeError::ArgumentCount {
                expected: 2,
                got: 1
            })
        );
        let mut g = Call::CancelJob { job_id: 1 }
            .entry_function(LOCAL_CONTRACT_ADDRESS)
            .unwrap();
        g.function = "nope".into();
        assert!(matches!(
            Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, &g),
            Err(CallDecodeError::UnknownFunction(_))
        ));
        let mut s = Call::CompleteJob {
            buyer: AccountAddress::ONE,
            job_id: 1,
            output_url: String::new(),
        }
        .entry_function(LOCAL_CONTRACT_ADDRESS)
        .unwrap();
        s.args[2] = vec![2, 0xff, 0xfe]; // not UTF-8
        assert!(Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, &s).is_err());
    }

    #[test]
    fn framework_transfer_round_trips() {
        let t = FrameworkCall::TransferAsset {
            asset: AccountAddress::A,
            to: crate::types::address_from_u64(2),
            amount: 1000,
        };
        let f = t.entry_function().unwrap();
        assert_eq!(f.module.to_string(), "0x1::primary_fungible_store");
        assert_eq!(FrameworkCall::from_entry_function(&f).unwrap(), t);
        let n = FrameworkCall::TransferNative {
            to: crate::types::address_from_u64(2),
            amount: 5,
        };
        assert_eq!(
            FrameworkCall::from_entry_function(&n.entry_function().unwrap()).unwrap(),
            n
        );
    }
}
