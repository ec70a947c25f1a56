//! `GET /api/v1/compute/access/{provider}`: a paid access token (x402 `exact`, at
//! `--access-price`), for the operator's other services on this machine (a notebook, a shell
//! gateway) to admit its holder for `--access-seconds`; they check it with `GET
//! /api/v1/compute/access/{provider}/verify` and `Authorization: Bearer TOKEN`. Tokens are
//! random 256-bit values kept in memory (a restart forgets them, and the payment's
//! served-once record keeps it from buying a second token).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::rental::Daemon;

/// The tokens sold, with their expiry (Unix seconds).
#[derive(Debug)]
pub(crate) struct AccessTokens {
    tokens: Mutex<HashMap<String, u64>>,
    lifetime: Duration,
}

impl AccessTokens {
    /// Tokens valid for `lifetime` each.
    pub(crate) fn new(lifetime: Duration) -> Self {
        AccessTokens {
            tokens: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// A new token and its expiry.
    fn issue(&self) -> (String, u64) {
        let token = hex::encode(rand::random::<[u8; 32]>());
        let expires = Self::now().saturating_add(self.lifetime.as_secs());
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let now = Self::now();
        tokens.retain(|_, &mut e| e > now);
        tokens.insert(token.clone(), expires);
        (token, expires)
    }

    /// The expiry of `token`, if it is valid now.
    fn check(&self, token: &str) -> Option<u64> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.get(token).copied().filter(|&e| e > Self::now())
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// Refuses another provider's address before the gate asks for a payment.
pub(crate) async fn only_this_provider(
    State(daemon): State<Arc<Daemon>>,
    Path(provider): Path<String>,
    request: Request,
    next: Next,
) -> Response {
    match computestream_core::types::parse_address(&provider) {
        Ok(a) if a == daemon.signer.address() => next.run(request).await,
        _ => error(
            StatusCode::NOT_FOUND,
            format!(
                "this daemon is provider {}",
                daemon.signer.address().to_long_string()
            ),
        ),
    }
}

/// After the `exact` payment settled: a token.
pub(crate) async fn issue(State(daemon): State<Arc<Daemon>>) -> Response {
    let (token, expires_at) = daemon.access.issue();
    Json(json!({
        "token": token,
        "expires_at": expires_at,
        "provider": daemon.signer.address().to_long_string(),
    }))
    .into_response()
}

/// `Authorization: Bearer TOKEN` → 200 with its expiry, or 401.
pub(crate) async fn verify(State(daemon): State<Arc<Daemon>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| daemon.access.check(t.trim())) {
        Some(expires_at) => Json(json!({"valid": true, "expires_at": expires_at})).into_response(),
        None => error(StatusCode::UNAUTHORIZED, "no valid access token"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_is_valid_until_it_expires_and_others_never() {
        let tokens = AccessTokens::new(Duration::from_secs(60));
        let (token, expires) = tokens.issue();
        assert_eq!(token.len(), 64);
        assert_eq!(tokens.check(&token), Some(expires));
        assert_eq!(tokens.check("0".repeat(64).as_str()), None);
        let (other, _) = tokens.issue();
        assert_ne!(token, other);
        let expired = AccessTokens::new(Duration::ZERO);
        let (token, _) = expired.issue();
        assert_eq!(expired.check(&token), None);
    }
}
