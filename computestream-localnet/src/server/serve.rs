//! The connection side of the localnet: the accept loop, with a cap on open connections, and
//! hyper's HTTP/1 server on each one, with a deadline on reading a request's head. The
//! per-request limits (body size, time to answer) are layers of the router, so an in-process
//! caller of [`super::router`] gets them too.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

/// How long a client has to send a request's head (request line and headers), counted from
/// the connection's first read or from the end of the previous response. It is also how long
/// an idle keep-alive connection stays open.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may take from the end of its head to its response: reading the body and
/// answering. A client that stalls mid-body gets a 408 and its connection closed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections served at once. Further ones wait in the listen backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;

/// Largest request body (the node's transaction size limit).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What one client can hold of the localnet: time to send a request, number of connections,
/// body size. [`Limits::default`] is the constants of this module; tests shorten them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

impl Limits {
    /// With another time to send a request's head.
    pub fn with_header_read_timeout(self, header_read_timeout: Duration) -> Self {
        Limits {
            header_read_timeout,
            ..self
        }
    }

    /// With another time to send a body and be answered.
    pub fn with_request_timeout(self, request_timeout: Duration) -> Self {
        Limits {
            request_timeout,
            ..self
        }
    }

    /// With another cap on open connections (at least 1).
    pub fn with_max_connections(self, max_connections: usize) -> Self {
        Limits {
            max_connections: max_connections.max(1),
            ..self
        }
    }

    /// With another largest request body.
    pub fn with_max_body_bytes(self, max_body_bytes: usize) -> Self {
        Limits {
            max_body_bytes,
            ..self
        }
    }
}

/// Serves `app` on `listener` until `stop` fires, then lets open requests finish.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        // A slot first, then a connection: over the cap, connections wait in the backlog
        // rather than being accepted and starved.
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let tcp = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors or the like: accepting again at once would
                        // spin, as axum::serve also reasons.
                        tracing::warn!("localnet accept: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
        };
        // Small request/response pairs: without TCP_NODELAY, Nagle's algorithm and delayed
        // ACKs add ~40 ms to every keep-alive round trip.
        let _ = tcp.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    graceful.shutdown().await;
}

/// An error about one connection (the peer gave up before it was accepted), not the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
