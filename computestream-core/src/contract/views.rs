//! The contracts' view functions, with typed results.

use aptos_sdk::types::{MoveModuleId, TypeTag};
use serde::{Deserialize, Serialize};

use super::{CallDecodeError, Module, bcs, decode_arg, ident, metadata_type_tag, type_name};
use crate::error::Result;
use crate::types::{AccountAddress, AssetId};

/// A view function call: module, function, type arguments and BCS arguments. This is the
/// shape of the node's `POST /v1/view` with BCS arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewRequest {
    /// The module.
    pub module: MoveModuleId,
    /// The function.
    pub function: String,
    /// Type arguments.
    pub type_args: Vec<TypeTag>,
    /// BCS-encoded arguments.
    pub args: Vec<Vec<u8>>,
}

impl ViewRequest {
    /// `0x1::primary_fungible_store::balance<0x1::fungible_asset::Metadata>(owner, asset)`.
    pub fn balance(owner: AccountAddress, asset: AssetId) -> Result<ViewRequest> {
        Ok(ViewRequest {
            module: MoveModuleId::new(AccountAddress::ONE, ident("primary_fungible_store")),
            function: "balance".into(),
            type_args: vec![metadata_type_tag()],
            args: vec![bcs(&owner)?, bcs(&asset.0)?],
        })
    }

    /// If this is the framework balance view: `(owner, asset)`.
    pub fn as_balance(
        &self,
    ) -> Option<std::result::Result<(AccountAddress, AssetId), CallDecodeError>> {
        if self.module.address != AccountAddress::ONE
            || self.module.name.as_str() != "primary_fungible_store"
            || self.function != "balance"
        {
            return None;
        }
        Some((|| {
            if self.type_args != [metadata_type_tag()] {
                return Err(CallDecodeError::TypeArguments);
            }
            if self.args.len() != 2 {
                return Err(CallDecodeError::ArgumentCount {
                    expected: 2,
                    got: self.args.len(),
                });
            }
            Ok((
                decode_arg(self.args.first(), "account")?,
                AssetId(decode_arg(self.args.get(1), "metadata")?),
            ))
        })())
    }
}

/// Serializes a view result with integers as decimal strings.
struct ViewResult<T>(T);

impl<T: ViewJson> Serialize for ViewResult<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.view_json(s)
    }
}

trait ViewJson {
    fn view_json<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error>;
}

macro_rules! view_json_via_dec {
    ($($t:ty),*) => {$(
        impl ViewJson for $t {
            fn view_json<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                crate::serde_dec::serialize(self, s)
            }
        }
    )*};
}
macro_rules! view_json_via_serde {
    ($($t:ty),*) => {$(
        impl ViewJson for $t {
            fn view_json<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                self.serialize(s)
            }
        }
    )*};
}
view_json_via_dec!(u64, bool, String);
view_json_via_serde!(
    Vec<AccountAddress>,
    crate::types::Provider,
    crate::types::Job,
    crate::types::JobStatus,
    crate::types::Escrow,
    crate::types::Stream,
    crate::types::Rate
);

macro_rules! views {
    ($( $(#[doc = $doc:literal])* $variant:ident => $module:ident :: $function:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        /// A call of one of the contracts' view functions (exhaustive, like
        /// [`Call`](super::Call): the embedded ledger answers every view).
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "function", rename_all = "snake_case")]
        pub enum View {
            $( $(#[doc = $doc])* $variant { $( #[allow(missing_docs)] #[serde(with = "crate::serde_dec")] $arg: $ty ),* }, )*
        }

        impl View {
            /// Every view as `(module, function)`.
            pub const FUNCTIONS: &'static [(Module, &'static str)] = &[ $( (Module::$module, stringify!($function)), )* ];

            /// The module that defines it.
            pub fn module(&self) -> Module {
                match self { $( View::$variant { .. } => Module::$module, )* }
            }

            /// The function's name.
            pub fn function(&self) -> &'static str {
                match self { $( View::$variant { .. } => stringify!($function), )* }
            }

            /// The parameters as `(name, Rust type)` in ABI order.
            pub fn parameters(&self) -> &'static [(&'static str, &'static str)] {
                match self { $( View::$variant { .. } => { const P: &[(&str, &str)] = &[ $( (stringify!($arg), type_name!($ty)) ),* ]; P } )* }
            }

            /// The Rust type of the result.
            pub fn returns(&self) -> &'static str {
                match self { $( View::$variant { .. } => type_name!($ret), )* }
            }

            /// The parameters and result type of `module::function`, if it is one of the views.
            pub fn signature(module: Module, function: &str) -> Option<(&'static [(&'static str, &'static str)], &'static str)> {
                $( if module == Module::$module && function == stringify!($function) {
                    const P: &[(&str, &str)] = &[ $( (stringify!($arg), type_name!($ty)) ),* ];
                    return Some((P, type_name!($ret)));
                } )*
                None
            }

            /// What `module::function` returns, from its row of the table (one line per doc
            /// line, each starting with a space), if it is one of the views.
            pub fn doc(module: Module, function: &str) -> Option<&'static str> {
                $( if module == Module::$module && function == stringify!($function) {
                    return Some(concat!($( $doc, "\n" ),*));
                } )*
                None
            }

            /// The request for the contracts deployed at `contract`.
            pub fn request(&self, contract: AccountAddress) -> Result<ViewRequest> {
                let args = match self { $( View::$variant { $( $arg ),* } => vec![ $( bcs($arg)? ),* ], )* };
                Ok(ViewRequest { module: self.module().id(contract), function: self.function().into(), type_args: vec![], args })
            }

            /// Decodes this view's BCS result into its JSON form (integers as decimal strings).
            pub fn result_to_json(&self, bytes: &[u8]) -> Result<serde_json::Value> {
                match self {
                    $( View::$variant { .. } => {
                        let value: $ret = aptos_sdk::aptos_bcs::from_bytes(bytes)
                            .map_err(|e| crate::error::Error::decode(format!("{}: {e}", stringify!($function))))?;
                        serde_json::to_value(ViewResult(value)).map_err(|e| crate::error::Error::decode(e.to_string()))
                    } )*
                }
            }

            /// Decodes a view request for the contracts at `contract`.
            pub fn from_request(contract: AccountAddress, r: &ViewRequest) -> std::result::Result<View, CallDecodeError> {
                let unknown = || CallDecodeError::UnknownFunction(format!("{}::{}", r.module, r.function));
                if r.module.address != contract {
                    return Err(unknown());
                }
                let module = Module::from_name(r.module.name.as_str()).ok_or_else(unknown)?;
                if !r.type_args.is_empty() {
                    return Err(CallDecodeError::TypeArguments);
                }
                $(
                    if module == Module::$module && r.function == stringify!($function) {
                        let names: &[&str] = &[ $( stringify!($arg) ),* ];
                        if r.args.len() != names.len() {
                            return Err(CallDecodeError::ArgumentCount { expected: names.len(), got: r.args.len() });
                        }
                        #[allow(unused_mut, unused_variables)]
                        let mut it = r.args.iter();
                        return Ok(View::$variant { $( $arg: decode_arg::<$ty>(it.next(), stringify!($arg))? ),* });
                    }
                )*
                Err(unknown())
            }
        }

    };
}

/// The view table: invokes `$callback!` with one line per view function
/// (`Variant => Module::function(arg: Type, ...) -> Result;`, doc comments first), for
/// [`View`] here and the `ContractClient` view methods in `client`.
// Exported (hidden) so the language bindings generate their methods from the same table.
// `crate::types::…` on purpose: `View::returns` names the types so, and a binding expanding the
// table re-exports the core's `types` as its own `crate::types`.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_view {
    ($callback:ident) => {
        $callback! {
            /// A provider's record (aborts `E_PROVIDER_NOT_FOUND`).
            GetProvider => ProviderRegistry::get_provider(provider: AccountAddress) -> crate::types::Provider;
            /// Registered and accepting jobs.
            IsProviderActive => ProviderRegistry::is_provider_active(provider: AccountAddress) -> bool;
            /// A provider's price (aborts `E_PROVIDER_NOT_FOUND`).
            GetProviderPrice => ProviderRegistry::get_provider_price(provider: AccountAddress) -> crate::types::Rate;
            /// Registered providers in registration order (deregistration moves the last one into the gap).
            ListProviders => ProviderRegistry::list_providers(offset: u64, limit: u64) -> Vec<AccountAddress>;
            /// A job (aborts `E_JOB_NOT_FOUND`).
            GetJob => JobRegistry::get_job(buyer: AccountAddress, job_id: u64) -> crate::types::Job;
            /// A job's status (aborts `E_JOB_NOT_FOUND`).
            GetJobStatus => JobRegistry::get_job_status(buyer: AccountAddress, job_id: u64) -> crate::types::JobStatus;
            /// Whether the job is running.
            IsJobActive => JobRegistry::is_job_active(buyer: AccountAddress, job_id: u64) -> bool;
            /// Seconds the job has run, capped at its maximum duration (aborts `E_JOB_NOT_FOUND`).
            GetJobDuration => JobRegistry::get_job_duration(buyer: AccountAddress, job_id: u64) -> u64;
            /// The output URL set on completion (aborts `E_JOB_NOT_FOUND`).
            GetJobOutputUrl => JobRegistry::get_job_output_url(buyer: AccountAddress, job_id: u64) -> String;
            /// How many jobs the buyer has created (its latest job id).
            GetJobCounter => JobRegistry::get_job_counter(buyer: AccountAddress) -> u64;
            /// An escrow (aborts `E_ESCROW_NOT_FOUND`).
            GetEscrow => Escrow::get_escrow(payer: AccountAddress, job_id: u64) -> crate::types::Escrow;
            /// Held by the contract (aborts `E_ESCROW_NOT_FOUND`).
            GetRemainingBalance => Escrow::get_remaining_balance(payer: AccountAddress, job_id: u64) -> u64;
            /// Whether the escrow is still active.
            IsEscrowActive => Escrow::is_escrow_active(payer: AccountAddress, job_id: u64) -> bool;
            /// Paid to the payee so far (aborts `E_ESCROW_NOT_FOUND`).
            GetReleasedAmount => Escrow::get_released_amount(payer: AccountAddress, job_id: u64) -> u64;
            /// A stream and its escrow's totals (aborts `E_STREAM_NOT_FOUND`).
            GetStream => PaymentStream::get_stream(payer: AccountAddress, job_id: u64) -> crate::types::Stream;
            /// Paid to the payee so far (aborts `E_STREAM_NOT_FOUND`).
            GetTotalStreamed => PaymentStream::get_total_streamed(payer: AccountAddress, job_id: u64) -> u64;
            /// What a settlement would pay now (aborts `E_STREAM_NOT_FOUND`).
            CalculateCurrentAmount => PaymentStream::calculate_current_amount(payer: AccountAddress, job_id: u64) -> u64;
            /// Open, not paused, inside its window and not depleted.
            IsStreamActive => PaymentStream::is_stream_active(payer: AccountAddress, job_id: u64) -> bool;
            /// When the escrow will be fully owed; `u64::MAX` if never under the current state (aborts `E_STREAM_NOT_FOUND`).
            DepletionTime => PaymentStream::depletion_time(payer: AccountAddress, job_id: u64) -> u64;
        }
    };
}
pub(crate) use for_each_view;

for_each_view!(views);
