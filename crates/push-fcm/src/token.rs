//! The OAuth2 access-token cache of one service account: the JWT-bearer
//! grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&
//! assertion=…`), the token kept until a margin before it expires, one
//! refresh in flight at a time (callers that find the token stale wait for
//! that one refresh, and share its failure rather than each fetching again
//! in turn), and invalidation of a token the API refused (401).
//!
//! Expiry is tracked on tokio's clock, so tests drive it with virtual
//! time; the JWT's `iat` is wall-clock time, as Google requires. Tokens
//! never appear in `Debug` output or logs. It does not retry a failed
//! fetch; the caller's retry policy does.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use serde::Deserialize;
use tokio::time::Instant;

use crate::credentials::ServiceAccount;
use crate::error::TokenError;
use crate::transport::{Failure, Transport};

/// An OAuth2 access token; its `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<HeaderValue>);

impl AccessToken {
    fn new(token: &str) -> Option<Self> {
        let mut value = HeaderValue::try_from(format!("Bearer {token}")).ok()?;
        value.set_sensitive(true);
        Some(Self(Arc::new(value)))
    }

    /// The `Authorization` header value (marked sensitive).
    pub(crate) fn header(&self) -> HeaderValue {
        HeaderValue::clone(&self.0)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// The token cache of one service account and scope.
pub(crate) struct TokenCache {
    account: ServiceAccount,
    token_uri: Uri,
    scope: String,
    margin: Duration,
    current: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
    /// The last failed fetch (its number and error), so callers that waited
    /// for it fail with it instead of each fetching again in turn.
    failed: std::sync::Mutex<Option<(u64, String, bool)>>,
    /// Fetches finished (either way).
    finished: AtomicU64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct TokenFailure {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

impl TokenCache {
    pub(crate) fn new(account: ServiceAccount, scope: &str, margin: Duration) -> Self {
        let token_uri = account.token_uri().parse().unwrap_or_else(|_| Uri::from_static("/"));
        Self {
            account,
            token_uri,
            scope: scope.to_owned(),
            margin,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
            failed: std::sync::Mutex::new(None),
            finished: AtomicU64::new(0),
        }
    }

    /// How many token requests were made.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current.as_ref().filter(|c| Instant::now() < c.refresh_at).map(|c| c.token.clone())
    }

    /// A token that is not within the margin of its expiry, fetching one if
    /// needed (one fetch at a time).
    pub(crate) async fn get(&self, transport: &Transport) -> Result<AccessToken, TokenError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let before = self.finished.load(Ordering::Acquire);
        let _refreshing = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((number, message, transient)) = failed
            && number > before
        {
            // The fetch this call waited for failed just now.
            return Err(TokenError::Shared { message, transient });
        }
        let fetched = self.fetch(transport).await;
        let number = self.finished.fetch_add(1, Ordering::AcqRel) + 1;
        let (token, lifetime) = match fetched {
            Ok(fetched) => fetched,
            Err(error) => {
                let record = (number, error.to_string(), error.is_transient());
                *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(record);
                return Err(error);
            }
        };
        let keep = if lifetime > self.margin * 2 { lifetime - self.margin } else { lifetime / 2 };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some(Cached { token: token.clone(), refresh_at: Instant::now() + keep });
        Ok(token)
    }

    /// Forgets `stale` (the API refused it) unless a newer token already
    /// replaced it, so many concurrent 401s cause one refresh.
    pub(crate) fn invalidate(&self, stale: &AccessToken) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| &c.token == stale) {
            *current = None;
        }
    }

    async fn fetch(&self, transport: &Transport) -> Result<(AccessToken, Duration), TokenError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let assertion = self.account.assertion(&self.scope, iat)?;
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        let answer = transport
            .send(Method::POST, self.token_uri.clone(), headers, Bytes::from(body))
            .await
            .map_err(|failure| match failure {
                Failure::Timeout => TokenError::Timeout,
                Failure::Other(error) => TokenError::Transport(error),
            })?;
        if !(200..300).contains(&answer.status) {
            let failure: TokenFailure = serde_json::from_slice(&answer.body).unwrap_or_default();
            tracing::warn!(status = answer.status, error = %failure.error, "token request refused");
            return Err(TokenError::Rejected {
                status: answer.status,
                error: failure.error,
                description: failure.error_description,
            });
        }
        let parsed: TokenAnswer =
            serde_json::from_slice(&answer.body).map_err(|e| TokenError::Decode(e.to_string()))?;
        if parsed.access_token.is_empty() {
            return Err(TokenError::Decode("empty access_token".into()));
        }
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "access token fetched");
        let token = AccessToken::new(&parsed.access_token)
            .ok_or_else(|| TokenError::Decode("access_token is not a valid header value".into()))?;
        Ok((token, lifetime))
    }
}
