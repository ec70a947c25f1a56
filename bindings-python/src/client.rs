//! `AsyncClient` and `Client`: the core's `ContractClient` over `AptosLedger`, one method per
//! Move entry function and view, generated from the core's ABI tables
//! (`for_each_entry_function!`, `for_each_view!`). Sequence numbers, chain id, gas and waiting
//! for the commit are the core client's job.

use std::sync::Arc;

use computestream_core::contract::{FrameworkCall, LOCAL_CONTRACT_ADDRESS};
use computestream_core::{AccountAddress, AptosLedger, AssetId, ContractClient, Signer};
use pyo3::prelude::*;

use crate::errors;
use crate::results::{Arg, ToPy, Transaction, addr, parse_addr};
use crate::runtime::{awaitable, block, check_pid};

/// What both clients share.
pub(crate) struct Inner {
    client: ContractClient<AptosLedger>,
    signer: Option<Arc<Signer>>,
    node_url: String,
    pid: u32,
}

impl Inner {
    fn new(node_url: &str, private_key: Option<&str>, contract: Option<&str>) -> PyResult<Self> {
        let contract = match contract {
            Some(c) => parse_addr(c, "contract")?,
            None => LOCAL_CONTRACT_ADDRESS,
        };
        let signer = private_key
            .map(Signer::from_private_key)
            .transpose()
            .map_err(errors::core)?
            .map(Arc::new);
        // reqwest needs a runtime context to be built.
        let _guard = crate::runtime::runtime().enter();
        let ledger = AptosLedger::new(node_url, contract).map_err(errors::core)?;
        Ok(Inner {
            node_url: ledger.node_url().to_string(),
            client: ContractClient::new(ledger, contract),
            signer,
            pid: std::process::id(),
        })
    }

    fn signer(&self) -> PyResult<Arc<Signer>> {
        self.signer
            .clone()
            .ok_or_else(|| errors::invalid("this client has no private_key: it cannot sign"))
    }

    pub(crate) fn client(&self) -> &ContractClient<AptosLedger> {
        &self.client
    }

    pub(crate) fn signer_arc(&self) -> Option<Arc<Signer>> {
        self.signer.clone()
    }

    pub(crate) fn node(&self) -> &str {
        &self.node_url
    }

    async fn transfer(
        &self,
        to: AccountAddress,
        amount: u64,
        asset: AccountAddress,
    ) -> PyResult<Transaction> {
        let signer = self.signer()?;
        let call = if asset == AssetId::NATIVE.0 {
            FrameworkCall::TransferNative { to, amount }
        } else {
            FrameworkCall::TransferAsset { asset, to, amount }
        };
        let out = self
            .client
            .execute_framework(&signer, &call)
            .await
            .map_err(errors::core)?;
        Transaction::from_outcome(out, self.client.contract())
    }
}

/// The asyncio client: every method returns an awaitable.
#[pyclass(frozen, module = "computestream")]
pub(crate) struct AsyncClient {
    inner: Arc<Inner>,
}

/// The blocking client: the same methods, run to completion with the GIL released (safe to
/// share between threads).
#[pyclass(frozen, module = "computestream")]
pub(crate) struct Client {
    inner: Arc<Inner>,
}

impl AsyncClient {
    fn inner(&self) -> PyResult<Arc<Inner>> {
        check_pid(self.inner.pid, "this AsyncClient")?;
        Ok(self.inner.clone())
    }
}

impl Client {
    fn inner(&self) -> PyResult<Arc<Inner>> {
        check_pid(self.inner.pid, "this Client")?;
        Ok(self.inner.clone())
    }

    /// The shared state (for the x402 payer).
    pub(crate) fn shared(&self) -> PyResult<Arc<Inner>> {
        self.inner()
    }
}

impl AsyncClient {
    /// The shared state (for the x402 payer).
    pub(crate) fn shared(&self) -> PyResult<Arc<Inner>> {
        self.inner()
    }
}

macro_rules! common_methods {
    ($class:ident, $run:ident) => {
        #[pymethods]
        impl $class {
            #[new]
            #[pyo3(signature = (node_url, private_key = None, contract = None))]
            fn new(
                node_url: &str,
                private_key: Option<&str>,
                contract: Option<&str>,
            ) -> PyResult<Self> {
                Ok($class {
                    inner: Arc::new(Inner::new(node_url, private_key, contract)?),
                })
            }

            /// The signing account's address, or `None` without a private key.
            #[getter]
            fn address(&self) -> Option<String> {
                self.inner.signer.as_ref().map(|s| addr(s.address()))
            }

            /// The contracts' deployment address.
            #[getter]
            fn contract(&self) -> String {
                addr(self.inner.client.contract())
            }

            /// The node API URL (`…/v1`).
            #[getter]
            fn node_url(&self) -> String {
                self.inner.node_url.clone()
            }

            /// The chain's time, seconds.
            fn now<'py>(&self, py: Python<'py>) -> PyResult<$run!(ret 'py, u64)> {
                let inner = self.inner()?;
                $run!(py, async move {
                    inner.client.now_seconds().await.map_err(errors::core)
                })
            }

            /// `owner`'s balance of `asset` (default the native coin, `0xa`), base units.
            #[pyo3(signature = (owner, asset = "0xa"))]
            fn balance<'py>(
                &self,
                py: Python<'py>,
                owner: &str,
                asset: &str,
            ) -> PyResult<$run!(ret 'py, u64)> {
                let inner = self.inner()?;
                let owner = parse_addr(owner, "owner")?;
                let asset = AssetId(parse_addr(asset, "asset")?);
                $run!(py, async move {
                    inner
                        .client
                        .balance(owner, asset)
                        .await
                        .map_err(errors::core)
                })
            }

            /// Sends `amount` of `asset` (default the native coin) to `to`.
            #[pyo3(signature = (to, amount, asset = "0xa"))]
            fn transfer<'py>(
                &self,
                py: Python<'py>,
                to: &str,
                amount: u64,
                asset: &str,
            ) -> PyResult<$run!(ret 'py, Transaction)> {
                let inner = self.inner()?;
                let to = parse_addr(to, "to")?;
                let asset = parse_addr(asset, "asset")?;
                $run!(py, async move { inner.transfer(to, amount, asset).await })
            }
        }
    };
}

/// `$run!(py, future)`: an awaitable (async) or the value (blocking); `$run!(ret 'py, T)` the
/// method's return type.
macro_rules! run_async {
    (ret $lt:lifetime, $t:ty) => { Bound<$lt, PyAny> };
    ($py:ident, $fut:expr) => { awaitable($py, $fut) };
}
macro_rules! run_blocking {
    (ret $lt:lifetime, $t:ty) => {
        $t
    };
    ($py:ident, $fut:expr) => {
        block($py, $fut)
    };
}

common_methods!(AsyncClient, run_async);
common_methods!(Client, run_blocking);

macro_rules! entry_function_methods {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident :: $function:ident { $( $arg:ident : $ty:ty ),* $(,)? } )*) => {
        entry_function_methods!(@class AsyncClient, run_async; $( $(#[$doc])* $function { $( $arg : $ty ),* } )*);
        entry_function_methods!(@class Client, run_blocking; $( $(#[$doc])* $function { $( $arg : $ty ),* } )*);
    };
    (@class $class:ident, $run:ident; $( $(#[$doc:meta])* $function:ident { $( $arg:ident : $ty:ty ),* } )*) => {
        #[pymethods]
        impl $class {
            $(
                $(#[$doc])*
                fn $function<'py>(&self, py: Python<'py>, $( $arg: <$ty as Arg>::Py ),*) -> PyResult<$run!(ret 'py, Transaction)> {
                    let inner = self.inner()?;
                    $( let $arg = <$ty as Arg>::from_py($arg, stringify!($arg))?; )*
                    $run!(py, async move {
                        let signer = inner.signer()?;
                        let out = inner.client.$function(&signer, $( $arg ),*).await.map_err(errors::core)?;
                        Transaction::from_outcome(out, inner.client.contract())
                    })
                }
            )*
        }
    };
}

macro_rules! view_methods {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident :: $function:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        view_methods!(@class AsyncClient, run_async; $( $(#[$doc])* $function ( $( $arg : $ty ),* ) -> $ret ; )*);
        view_methods!(@class Client, run_blocking; $( $(#[$doc])* $function ( $( $arg : $ty ),* ) -> $ret ; )*);
    };
    (@class $class:ident, $run:ident; $( $(#[$doc:meta])* $function:ident ( $( $arg:ident : $ty:ty ),* ) -> $ret:ty ; )*) => {
        #[pymethods]
        impl $class {
            $(
                $(#[$doc])*
                fn $function<'py>(&self, py: Python<'py>, $( $arg: <$ty as Arg>::Py ),*) -> PyResult<$run!(ret 'py, <$ret as ToPy>::Out)> {
                    let inner = self.inner()?;
                    $( let $arg = <$ty as Arg>::from_py($arg, stringify!($arg))?; )*
                    $run!(py, async move {
                        let value = inner.client.$function($( $arg ),*).await.map_err(errors::core)?;
                        Ok(ToPy::to_py(value))
                    })
                }
            )*
        }
    };
}

computestream_core::for_each_entry_function!(entry_function_methods);
computestream_core::for_each_view!(view_methods);
