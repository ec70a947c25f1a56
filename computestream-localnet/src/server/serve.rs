//! The connection side of the localnet: the accept loop, with a cap on open connections, and
//! hyper's HTTP/1 server on each one, with a deadline on reading a request's head. The
//! per-request limits (body size, time to answer) are layers of the router, so an in-process
//! caller of [`super::router`] gets them too.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
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
        .header_read_timeout(limits.header_read_timeout)
        // One buffer per write, so that a head hyper writes is whole in one `poll_write`
        // (see `NodeShapedParseErrors`); the localnet's responses are small.
        .writev(false);
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
        let connection = http.serve_connection(
            TokioIo::new(NodeShapedParseErrors::new(tcp)),
            TowerToHyperService::new(app.clone()),
        );
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

/// hyper answers a request it cannot parse (a character no URI allows, as in `GET /v1/<x>`, a
/// malformed header, too many headers, a target over 64 KiB) itself, with a bodiless 400, 431
/// or 414, and closes the connection: the router never sees the request. This writes the
/// node's JSON error in place of that answer. It is recognised by its shape: an error head
/// with `content-length: 0` and nothing after it, which the router never writes (every error
/// it answers has a JSON body).
struct NodeShapedParseErrors<T> {
    io: T,
    /// The node-shaped answer and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<T> NodeShapedParseErrors<T> {
    fn new(io: T) -> Self {
        NodeShapedParseErrors {
            io,
            replacement: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> NodeShapedParseErrors<T> {
    fn poll_write_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            if *written == bytes.len() {
                self.replacement = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for NodeShapedParseErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for NodeShapedParseErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_write_replacement(cx))?;
        if let Some(answer) = node_shaped_parse_error(buf) {
            this.replacement = Some((answer, 0));
            // hyper's head counts as written; the answer goes out now or on the flush (and
            // shutdown) that follows it.
            if let Poll::Ready(Err(e)) = this.poll_write_replacement(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_replacement(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_replacement(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The node-shaped answer for `written` if it is hyper's own answer to an unparsable request:
/// its status line and headers (the date), a JSON body, `connection: close` and, as every
/// answer of the localnet, `access-control-allow-origin: *`.
fn node_shaped_parse_error(written: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(written)
        .ok()?
        .strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let message = match status_line {
        "HTTP/1.1 400 Bad Request" => "invalid HTTP request: malformed request line or headers",
        "HTTP/1.1 414 URI Too Long" => "request target too long",
        "HTTP/1.1 431 Request Header Fields Too Large" => "request headers too large",
        _ => return None,
    };
    let (empty_body, other_headers): (Vec<&str>, Vec<&str>) =
        lines.partition(|line| line.eq_ignore_ascii_case("content-length: 0"));
    if empty_body.len() != 1 || other_headers.iter().any(|line| line.is_empty()) {
        return None;
    }
    let body = super::node_error_json("web_framework_error", message, None).to_string();
    let mut answer = format!("{status_line}\r\n");
    let mut closes = false;
    for line in other_headers {
        closes |= line.eq_ignore_ascii_case("connection: close");
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    if !closes {
        // hyper closes the connection after this answer whether it says so or not.
        answer.push_str("connection: close\r\n");
    }
    answer.push_str(&format!(
        "access-control-allow-origin: *\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    ));
    Some(answer.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::node_shaped_parse_error;

    #[test]
    fn only_hyper_s_bodiless_error_heads_are_replaced() {
        let date = "date: Thu, 01 Jan 2026 00:00:00 GMT";
        // As hyper 1.12 writes it.
        let hypers = format!(
            "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n{date}\r\ncontent-length: 0\r\n\r\n"
        );
        let answer =
            String::from_utf8(node_shaped_parse_error(hypers.as_bytes()).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains(date), "{head}");
        assert_eq!(head.matches("connection: close").count(), 1, "{head}");
        assert!(head.contains("access-control-allow-origin: *"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error_code"], "web_framework_error");

        for kept in [
            // The router's errors carry a body.
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}".to_string(),
            // A head whose body follows in another write.
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n".to_string(),
            // Not an error.
            format!("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n{date}\r\n\r\n"),
            // Part of a head.
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n".to_string(),
        ] {
            assert_eq!(node_shaped_parse_error(kept.as_bytes()), None, "{kept:?}");
        }
    }
}
