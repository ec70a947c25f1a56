//! Serving a router on a public port: the facilitator's ([`super::facilitator_router`]) or a
//! resource behind the [`super::X402Layer`]. `axum::serve` reads request heads and bodies for as
//! long as a client cares to send them and accepts any number of connections, so a few slow
//! clients can hold a server's sockets for ever; [`serve`] bounds all three.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Sleep;

/// What [`serve`] allows a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// A request's head (request line and headers) must arrive within this, counted from the
    /// connection's opening or the previous response: a client that sends its headers slowly,
    /// or keeps an idle connection open, is disconnected after it.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this after its head; a handler reading a late body
    /// gets an error (the facilitator answers 400) and the connection is closed.
    pub body_read_timeout: Duration,
    /// Connections served at once (at least 1); further clients wait in the listen backlog
    /// until one closes.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    /// 10 s for a head (and of idleness), 30 s for a body (the facilitator's are under
    /// 64 KiB), 1,024 connections.
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1_024,
        }
    }
}

/// Serves `router` (HTTP/1.1) on `listener` under `limits` until `shutdown` completes, then
/// stops accepting, lets each open connection finish its response and returns once all are
/// closed. Accepted sockets get `TCP_NODELAY`: these are small request/response exchanges,
/// where Nagle's delay would dominate the latency.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let max = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // A client gone before its accept is its own problem; anything else
                    // (out of file descriptors) is given a moment to clear.
                    if !is_connection_error(&e) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            limits,
            slot,
            stopping.clone(),
        ));
    }
    let _ = stop.send(true);
    let _ = slots.acquire_many(max).await;
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// Serves one connection, holding its `slot` until it closes.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: ServeLimits,
    slot: OwnedSemaphorePermit,
    mut stopping: watch::Receiver<bool>,
) {
    let body_read_timeout = limits.body_read_timeout;
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let request = request.map(|body| Body::new(TimeoutBody::new(body, body_read_timeout)));
        // A `Router` is always ready, so it is called without `poll_ready`.
        tower::Service::call(&mut router.clone(), request)
    });
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = http1.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Stopping, or the server gone: either way, finish the response under way and close.
        _ = async { stopping.wait_for(|stop| *stop).await.is_ok() } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    drop(slot);
}

/// A request body that fails if it has not ended by its deadline.
struct TimeoutBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl TimeoutBody {
    fn new(inner: Incoming, timeout: Duration) -> Self {
        TimeoutBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

/// The error a [`TimeoutBody`] fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl HttpBody for TimeoutBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A facilitator served in-process (`/verify`, `/settle`, `/supported` under
/// [`super::facilitator_router`], with [`ServeLimits::default`]) until [`FacilitatorServer::stop`]:
/// what the language bindings' in-process facilitators are.
#[derive(Debug)]
pub struct FacilitatorServer {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl FacilitatorServer {
    /// Serves `facilitator` on `addr` (port 0: a free one).
    pub async fn start(
        facilitator: Arc<dyn crate::facilitator::Facilitator>,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<FacilitatorServer> {
        let listener = TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            super::facilitator_router(facilitator),
            ServeLimits::default(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(FacilitatorServer { url, stop, task })
    }

    /// `http://HOST:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting, waits for open requests to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
