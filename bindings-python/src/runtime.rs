//! One tokio runtime for the whole process, behind pyo3-async-runtimes' generic API.
//!
//! A runtime's worker threads do not exist in a child made by `fork()`: the child gets a
//! runtime of its own on first use (the parent's is leaked there, never dropped, since its
//! threads are gone). Objects holding connections made before the fork (a client's HTTP
//! pool, a served localnet) belong to the parent: they record the process id they were made
//! in and refuse with `FORKED` in another process (see [`check_pid`]), instead of hanging.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime};
use tokio::runtime::Runtime as Tokio;

static RUNTIME: Mutex<Option<(u32, &'static Tokio)>> = Mutex::new(None);

/// The runtime of this process, made on first use (and again after a fork).
pub(crate) fn runtime() -> &'static Tokio {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    match *slot {
        Some((owner, rt)) if owner == pid => rt,
        _ => {
            let rt: &'static Tokio = Box::leak(Box::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("computestream")
                    .enable_all()
                    .build()
                    .expect("a tokio runtime can be built"),
            ));
            *slot = Some((pid, rt));
            rt
        }
    }
}

/// `Err(FORKED)` when an object made in process `pid` is used in another one.
pub(crate) fn check_pid(pid: u32, what: &str) -> PyResult<()> {
    if pid == std::process::id() {
        Ok(())
    } else {
        Err(crate::errors::forked(what))
    }
}

/// The runtime type pyo3-async-runtimes drives.
pub(crate) struct Rt;

/// A task's join error.
pub(crate) struct RtJoinError(tokio::task::JoinError);

impl JoinError for RtJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

/// A spawned task.
pub(crate) struct RtJoinHandle(tokio::task::JoinHandle<()>);

impl Future for RtJoinHandle {
    type Output = Result<(), RtJoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(RtJoinError)
    }
}

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl Runtime for Rt {
    type JoinError = RtJoinError;
    type JoinHandle = RtJoinHandle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        RtJoinHandle(runtime().spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        RtJoinHandle(runtime().spawn_blocking(f))
    }
}

impl ContextExt for Rt {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// A Python awaitable of `fut`, run on the runtime.
pub(crate) fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<Rt, F, T>(py, fut)
}

/// Runs `fut` to completion with the GIL released (for the blocking API, from any thread).
pub(crate) fn block<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send,
    T: Send,
{
    py.detach(|| runtime().block_on(fut))
}
