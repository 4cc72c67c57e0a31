//! [`FcmClient`]: the FCM HTTP v1 client, usable without push-core: send a
//! [`Message`] (or validate it with `validate_only`), subscribe and
//! unsubscribe token batches to topics. Every call takes one of
//! `concurrency` permits, so however many tasks call it, at most that many
//! requests are in flight; one pooled HTTP/2 connection carries them.
//!
//! One call is one attempt, except that a 401 without an FCM error code
//! (an expired or revoked access token) refreshes the token once and
//! resends. It does not retry anything else: [`crate::policy`] decides
//! that and [`FcmClient::send_with_retry`] drives it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Uri};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::credentials::{FCM_SCOPE, ServiceAccount};
use crate::error::{ApiError, SendError};
use crate::message::{Message, SendRequest};
use crate::policy::{Backoff, Verdict};
use crate::token::{AccessToken, TokenCache};
use crate::transport::{Failure, HttpVersion, Roots, Transport};

/// FCM's API host.
pub const FCM_BASE_URL: &str = "https://fcm.googleapis.com";
/// The Instance ID API host (topic management).
pub const IID_BASE_URL: &str = "https://iid.googleapis.com";
/// Most tokens per topic (un)subscription call (the IID batch limit).
pub const MAX_TOPIC_BATCH: usize = 1000;

/// How an [`FcmClient`] connects.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL of the FCM API (`https://fcm.googleapis.com`).
    pub fcm_base_url: String,
    /// Base URL of the Instance ID API (`https://iid.googleapis.com`).
    pub iid_base_url: String,
    /// HTTP version.
    pub http_version: HttpVersion,
    /// Trusted certificate authorities.
    pub roots: Roots,
    /// Most requests in flight at once, across all callers.
    pub concurrency: usize,
    /// Deadline of one request (connect, send, whole answer).
    pub request_timeout: Duration,
    /// Access tokens are refreshed this long before they expire.
    pub refresh_margin: Duration,
}

impl ClientConfig {
    /// Google's endpoints, HTTP/2 with HTTP/1.1 fallback, webpki roots,
    /// 100 requests in flight, 30 s request timeout, refresh 60 s early.
    pub fn google() -> Self {
        Self {
            fcm_base_url: FCM_BASE_URL.to_owned(),
            iid_base_url: IID_BASE_URL.to_owned(),
            http_version: HttpVersion::Auto,
            roots: Roots::WebPki,
            concurrency: 100,
            request_timeout: Duration::from_secs(30),
            refresh_margin: Duration::from_secs(60),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A base URL does not parse.
    #[error("`{field}` is not a valid http(s) base URL: {value}")]
    Url {
        /// The config field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// `concurrency` is zero.
    #[error("`concurrency` must be at least 1")]
    Concurrency,
    /// The TLS setup failed.
    #[error("TLS setup: {0}")]
    Tls(#[source] rustls::Error),
}

/// FCM's answer to a successful send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SendResponse {
    /// The message id, `projects/{project}/messages/{id}`.
    pub name: String,
}

/// The per-token result of a topic (un)subscription, in token order:
/// `None` for success, the IID error text (`NOT_FOUND`,
/// `INVALID_ARGUMENT`, …) otherwise.
pub type TopicResults = Vec<Option<String>>;

/// The FCM HTTP v1 client; cheap to clone (one shared pool and token cache).
///
/// ```
/// use push_fcm::{ClientConfig, FcmClient, Message, Target, testkit::FakeFcm};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fake = FakeFcm::start().await?;
/// let client = FcmClient::new(fake.service_account(), fake.client_config())?;
/// let answer = client.send(&Message::new(Target::Token("tok1".into()))).await?;
/// assert!(answer.name.starts_with("projects/msgkit-test/messages/"));
/// assert_eq!(fake.sends().len(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FcmClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmClient")
            .field("project_id", &self.inner.project_id)
            .field("send_uri", &self.inner.send_uri)
            .finish_non_exhaustive()
    }
}

struct Inner {
    project_id: String,
    transport: Transport,
    tokens: TokenCache,
    send_uri: Uri,
    iid_base: String,
    permits: Semaphore,
    /// The headers of every call, built once (`authorization` holds a
    /// placeholder each call replaces).
    headers: HeaderMap,
}

/// The headers every call carries, the bearer token's slot included.
fn base_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        HeaderName::from_static("x-goog-api-format-version"),
        HeaderValue::from_static("2"),
    );
    headers.insert(
        HeaderName::from_static("x-firebase-client"),
        HeaderValue::from_static(concat!("msgkit-push-fcm/", env!("CARGO_PKG_VERSION"))),
    );
    headers
}

impl FcmClient {
    /// A client for `account`'s project.
    pub fn new(account: ServiceAccount, config: ClientConfig) -> Result<Self, ClientError> {
        if config.concurrency == 0 {
            return Err(ClientError::Concurrency);
        }
        let fcm_base = base_url("fcm_base_url", &config.fcm_base_url)?;
        let iid_base = base_url("iid_base_url", &config.iid_base_url)?;
        let send_uri = format!("{fcm_base}/v1/projects/{}/messages:send", account.project_id())
            .parse()
            .map_err(|_| ClientError::Url { field: "fcm_base_url", value: fcm_base.clone() })?;
        let transport = Transport::new(config.http_version, &config.roots, config.request_timeout)
            .map_err(ClientError::Tls)?;
        let project_id = account.project_id().to_owned();
        let tokens = TokenCache::new(account, FCM_SCOPE, config.refresh_margin);
        let permits = Semaphore::new(config.concurrency);
        let headers = base_headers();
        let inner = Inner { project_id, transport, tokens, send_uri, iid_base, permits, headers };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The project messages are sent to.
    pub fn project_id(&self) -> &str {
        &self.inner.project_id
    }

    /// How many access tokens were requested so far.
    pub fn token_fetches(&self) -> u64 {
        self.inner.tokens.fetches()
    }

    /// Sends `message` (one attempt; a 401 refreshes the token and resends
    /// once).
    pub async fn send(&self, message: &Message) -> Result<SendResponse, SendError> {
        self.send_once(message, false).await
    }

    /// Asks FCM to validate `message` without delivering it
    /// (`validate_only`, a dry run).
    pub async fn validate(&self, message: &Message) -> Result<SendResponse, SendError> {
        self.send_once(message, true).await
    }

    /// Sends `message`, retrying as `policy` says; returns the final
    /// verdict, the number of attempts and the last error. `backoff` holds
    /// the policy and the jitter's random state.
    pub async fn send_with_retry(
        &self,
        message: &Message,
        validate_only: bool,
        backoff: &mut Backoff,
    ) -> (Verdict, u32, Option<SendError>) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(message, validate_only).await;
            let verdict = backoff.decide(attempt, message.target.token().is_some(), &result);
            match verdict {
                Verdict::Retry(delay) => {
                    tracing::debug!(attempt, ?delay, "fcm send: retrying");
                    tokio::time::sleep(delay).await;
                }
                verdict => return (verdict, attempt, result.err()),
            }
        }
    }

    pub(crate) async fn send_once(
        &self,
        message: &Message,
        validate_only: bool,
    ) -> Result<SendResponse, SendError> {
        // Sized once for a typical message (data map, one platform block).
        let mut body = Vec::with_capacity(1024);
        serde_json::to_writer(&mut body, &SendRequest { message, validate_only })
            .map_err(SendError::Encode)?;
        let span = tracing::debug_span!("fcm_send", validate_only);
        let answer = self
            .authorized(self.inner.send_uri.clone(), &[], Bytes::from(body))
            .instrument(span)
            .await?;
        serde_json::from_slice(&answer).map_err(|e| SendError::Decode(e.to_string()))
    }

    /// Subscribes `tokens` to `topic` (a leading `/topics/` is optional),
    /// in batches of [`MAX_TOPIC_BATCH`].
    pub async fn subscribe(&self, topic: &str, tokens: &[&str]) -> Result<TopicResults, SendError> {
        self.topic_call("batchAdd", topic, tokens).await
    }

    /// Unsubscribes `tokens` from `topic`, in batches of [`MAX_TOPIC_BATCH`].
    pub async fn unsubscribe(
        &self,
        topic: &str,
        tokens: &[&str],
    ) -> Result<TopicResults, SendError> {
        self.topic_call("batchRemove", topic, tokens).await
    }

    async fn topic_call(
        &self,
        operation: &str,
        topic: &str,
        tokens: &[&str],
    ) -> Result<TopicResults, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            results: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            #[serde(default)]
            error: Option<String>,
        }
        let topic = topic.strip_prefix("/topics/").unwrap_or(topic);
        let uri: Uri = format!("{}/iid/v1:{operation}", self.inner.iid_base)
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| SendError::Decode(e.to_string()))?;
        let headers =
            [(HeaderName::from_static("access_token_auth"), HeaderValue::from_static("true"))];
        let mut results = Vec::with_capacity(tokens.len());
        for batch in tokens.chunks(MAX_TOPIC_BATCH) {
            let body =
                serde_json::json!({"to": format!("/topics/{topic}"), "registration_tokens": batch});
            let span = tracing::debug_span!("fcm_topic", operation, tokens = batch.len());
            let answer = self
                .authorized(uri.clone(), &headers, Bytes::from(body.to_string()))
                .instrument(span)
                .await?;
            let answer: Answer =
                serde_json::from_slice(&answer).map_err(|e| SendError::Decode(e.to_string()))?;
            if answer.results.len() != batch.len() {
                return Err(SendError::Decode(format!(
                    "{} results for {} tokens",
                    answer.results.len(),
                    batch.len()
                )));
            }
            results.extend(answer.results.into_iter().map(|item| item.error));
        }
        Ok(results)
    }

    /// Posts JSON with a bearer token under a permit; on a 401 without an
    /// FCM code, refreshes the token and posts once more. Returns the
    /// success body.
    async fn authorized(
        &self,
        uri: Uri,
        extra: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<Bytes, SendError> {
        let inner = &*self.inner;
        let _permit = inner.permits.acquire().await.map_err(|e| SendError::Transport(e.into()))?;
        let token = inner.tokens.get(&inner.transport).await.map_err(SendError::Token)?;
        match self.post(uri.clone(), extra, body.clone(), &token).await {
            Err(SendError::Api(api)) if api.http_status == 401 && api.fcm_code.is_empty() => {
                tracing::debug!("access token refused; refreshing once");
                inner.tokens.invalidate(&token);
                let token = inner.tokens.get(&inner.transport).await.map_err(SendError::Token)?;
                self.post(uri, extra, body, &token).await
            }
            other => other,
        }
    }

    async fn post(
        &self,
        uri: Uri,
        extra: &[(HeaderName, HeaderValue)],
        body: Bytes,
        token: &AccessToken,
    ) -> Result<Bytes, SendError> {
        // One clone of the prebuilt map; the token replaces its
        // placeholder in place, so nothing grows or rehashes.
        let mut headers = self.inner.headers.clone();
        headers.insert(AUTHORIZATION, token.header());
        for (name, value) in extra {
            headers.insert(name.clone(), value.clone());
        }
        let transport = &self.inner.transport;
        let answer =
            transport.send(Method::POST, uri, headers, body).await.map_err(|f| match f {
                Failure::Timeout => SendError::Timeout(transport.timeout()),
                Failure::Other(error) => SendError::Transport(error),
            })?;
        if (200..300).contains(&answer.status) {
            Ok(answer.body)
        } else {
            Err(SendError::Api(ApiError::from_response(
                answer.status,
                answer.retry_after,
                &answer.body,
            )))
        }
    }
}

fn base_url(field: &'static str, value: &str) -> Result<String, ClientError> {
    let trimmed = value.trim_end_matches('/');
    let ok = trimmed
        .parse::<Uri>()
        .ok()
        .is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some());
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(ClientError::Url { field, value: value.to_owned() })
    }
}
