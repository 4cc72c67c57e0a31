//! [`FakeFcm`]: the server: accept loop (plain HTTP/1.1 + h2c, or TLS),
//! routing, the three endpoints, recording and scripting.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::record::{SentMessage, TokenRequest, TopicCall};
use super::reply::Reply;
use super::{TEST_CLIENT_EMAIL, verify_test_jwt};
use crate::client::ClientConfig;
use crate::credentials::{FCM_SCOPE, GOOGLE_TOKEN_URI, ServiceAccount};
use crate::error::BoxError;
use crate::transport::{HttpVersion, Roots};

/// A loopback fake of the token endpoint, FCM v1 and the IID topic API.
///
/// Dropping it stops the server.
pub struct FakeFcm {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeFcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeFcm").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    sends: Vec<SentMessage>,
    token_requests: Vec<TokenRequest>,
    topic_calls: Vec<TopicCall>,
    next: VecDeque<Reply>,
    scripts: HashMap<String, VecDeque<Reply>>,
    dead: HashSet<String>,
    valid: HashSet<String>,
    issued: u64,
    token_lifetime: u64,
    token_failures: VecDeque<u16>,
    message_ids: u64,
    not_recording: bool,
}

struct Shared {
    state: Mutex<State>,
    token_url: String,
    held: watch::Sender<bool>,
    started: AtomicUsize,
    completed: AtomicUsize,
}

type Answer = Result<Response<Full<Bytes>>, BoxError>;

impl FakeFcm {
    /// Starts a plain-HTTP fake (HTTP/1.1 and prior-knowledge h2c) on
    /// `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<Self> {
        Self::launch(None)
    }

    /// [`start`](Self::start) from synchronous code inside a tokio runtime.
    pub fn start_in_runtime() -> std::io::Result<Self> {
        Self::launch(None)
    }

    /// Starts an HTTPS fake with this server config (its certificate must
    /// be valid for `127.0.0.1`; ALPN `h2` and `http/1.1` are added).
    pub async fn start_tls(mut config: rustls::ServerConfig) -> std::io::Result<Self> {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self::launch(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }

    fn launch(tls: Option<tokio_rustls::TlsAcceptor>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{addr}");
        let (held, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State { token_lifetime: 3600, ..State::default() }),
            token_url: format!("{base_url}/token"),
            held,
            started: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
        });
        let server = tokio::spawn(accept_loop(listener, Arc::clone(&shared), tls));
        Ok(Self { shared, addr, base_url, server })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>` (or `https://…`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token endpoint's URL.
    pub fn token_url(&self) -> &str {
        &self.shared.token_url
    }

    /// The test service account, with `token_uri` pointing here.
    pub fn service_account(&self) -> ServiceAccount {
        let json = super::service_account_json(&self.shared.token_url);
        match ServiceAccount::from_json(json.as_bytes()) {
            Ok(account) => account,
            Err(error) => unreachable!("the test key loads: {error}"),
        }
    }

    /// A client config with both base URLs here, h2c, 64 requests in
    /// flight, 10 s request timeout, 60 s refresh margin.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            fcm_base_url: self.base_url.clone(),
            iid_base_url: self.base_url.clone(),
            http_version: HttpVersion::Http2,
            roots: Roots::WebPki,
            concurrency: 64,
            request_timeout: Duration::from_secs(10),
            refresh_margin: Duration::from_secs(60),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every `messages:send` received, in arrival order.
    pub fn sends(&self) -> Vec<SentMessage> {
        self.state().sends.clone()
    }

    /// How many `messages:send` requests were received (also when not recording).
    pub fn send_count(&self) -> usize {
        self.shared.started.load(Ordering::Relaxed)
    }

    /// Every token request received.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.state().token_requests.clone()
    }

    /// Every topic batch call received.
    pub fn topic_calls(&self) -> Vec<TopicCall> {
        self.state().topic_calls.clone()
    }

    /// Stops recording sends (a benchmark's steady state); counting goes on.
    pub fn stop_recording(&self) {
        self.state().not_recording = true;
    }

    /// The next `messages:send`, whatever its token, gets `reply`
    /// (queued after earlier `reply_next` calls).
    pub fn reply_next(&self, reply: Reply) {
        self.state().next.push_back(reply);
    }

    /// The next sends to `token` get these replies, in order; then `Ok`
    /// (or `UNREGISTERED` for a dead token).
    pub fn script(&self, token: &str, replies: impl IntoIterator<Item = Reply>) {
        self.state().scripts.entry(token.to_owned()).or_default().extend(replies);
    }

    /// `token` is unregistered: sends get 404 `UNREGISTERED`, topic calls
    /// `NOT_FOUND` for it.
    pub fn kill_token(&self, token: &str) {
        self.state().dead.insert(token.to_owned());
    }

    /// Access tokens issued from now on say they expire in `secs`.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.state().token_lifetime = secs;
    }

    /// The next token requests fail with these HTTP statuses, in order.
    pub fn fail_token_requests(&self, statuses: impl IntoIterator<Item = u16>) {
        self.state().token_failures.extend(statuses);
    }

    /// Every access token issued so far stops being accepted (401).
    pub fn revoke_access_tokens(&self) {
        self.state().valid.clear();
    }

    /// From now on, answers to sends and topic calls wait (a stalled server).
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    /// Held and future answers go out.
    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Sends and topic calls received so far (held ones included).
    pub fn started(&self) -> usize {
        self.shared.started.load(Ordering::Relaxed)
    }

    /// Sends and topic calls answered so far (an answer cancelled by the
    /// client while held is not counted).
    pub fn completed(&self) -> usize {
        self.shared.completed.load(Ordering::Relaxed)
    }
}

impl Drop for FakeFcm {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {}
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| Arc::clone(&shared).handle(req));
            let builder = auto::Builder::new(TokioExecutor::new());
            let _ = match tls {
                None => builder.serve_connection(TokioIo::new(stream), service).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => builder.serve_connection(TokioIo::new(stream), service).await,
                    Err(_) => return,
                },
            };
        });
    }
}

fn respond(status: u16, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status)?;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Headers as lower-case name → value text, for the record.
fn header_strings(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Answer {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let version = request.version();
        let (parts, body) = request.into_parts();
        let headers = parts.headers;
        let body = body.collect().await?.to_bytes();
        match (method, path.as_str()) {
            (Method::POST, "/token") => self.token(&headers, &body),
            (Method::POST, p)
                if p.starts_with("/v1/projects/") && p.ends_with("/messages:send") =>
            {
                self.send(headers, version, &body).await
            }
            (Method::POST, "/iid/v1:batchAdd") => self.topic("batchAdd", &headers, &body).await,
            (Method::POST, "/iid/v1:batchRemove") => {
                self.topic("batchRemove", &headers, &body).await
            }
            _ => respond(
                404,
                r#"{"error":{"code":404,"message":"no such endpoint","status":"NOT_FOUND"}}"#,
            ),
        }
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> Answer {
        let form = String::from_utf8_lossy(body).into_owned();
        let field = |name: &str| {
            form.split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                .map(percent_decode)
                .unwrap_or_default()
        };
        let (grant_type, assertion) = (field("grant_type"), field("assertion"));
        let verified = verify_test_jwt(&assertion).and_then(|(header, claims)| {
            let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
            check(header["alg"] == "RS256", "alg is not RS256")?;
            check(claims["iss"] == TEST_CLIENT_EMAIL, "wrong iss")?;
            // google-auth sends Google's endpoint as audience whatever the
            // token_uri; this crate sends the token_uri (its tests pin that).
            let aud = claims["aud"].as_str().unwrap_or("");
            check(aud == self.token_url || aud == GOOGLE_TOKEN_URI, "wrong aud")?;
            let scope = claims["scope"].as_str().unwrap_or("");
            let cloud = "https://www.googleapis.com/auth/cloud-platform";
            let fcm = scope.split(' ').any(|s| s == FCM_SCOPE || s == cloud);
            check(fcm, "scope lacks firebase.messaging (or cloud-platform)")?;
            let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
            check(iat.zip(exp).is_some_and(|(i, e)| e > i && e - i <= 3600), "bad iat/exp")?;
            Ok((header, claims))
        });
        let mut state = self.state();
        state.token_requests.push(TokenRequest {
            content_type: header(headers, "content-type").unwrap_or_default(),
            form: form.clone(),
            grant_type: grant_type.clone(),
            assertion,
            jwt_header: verified.as_ref().ok().map(|(h, _)| h.clone()),
            jwt_claims: verified.as_ref().ok().map(|(_, c)| c.clone()),
            jwt_error: verified.as_ref().err().cloned(),
            at: Instant::now(),
        });
        if let Some(status) = state.token_failures.pop_front() {
            return respond(status, r#"{"error":"backend_error","error_description":"scripted"}"#);
        }
        if grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            return respond(400, r#"{"error":"unsupported_grant_type"}"#);
        }
        if let Err(why) = verified {
            let body = serde_json::json!({"error": "invalid_grant", "error_description": why});
            return respond(400, body.to_string());
        }
        state.issued += 1;
        let token = format!("fake-access-token-{}", state.issued);
        state.valid.insert(token.clone());
        let body = serde_json::json!({
            "access_token": token,
            "expires_in": state.token_lifetime,
            "token_type": "Bearer",
        });
        respond(200, body.to_string())
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let value = headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let bearer = value.and_then(|v| v.strip_prefix("Bearer "));
        bearer.is_some_and(|token| self.state().valid.contains(token))
    }

    /// Waits while answers are held. A held answer goes out a moment after
    /// release, so a client that gave up meanwhile has had time to reset
    /// the stream (the answer is then dropped, not counted as completed).
    async fn wait_gate(&self) {
        let mut held = self.held.subscribe();
        if *held.borrow_and_update() {
            let _ = held.wait_for(|held| !*held).await;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn send(&self, headers: HeaderMap, version: hyper::Version, body: &[u8]) -> Answer {
        self.started.fetch_add(1, Ordering::Relaxed);
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let message = json.as_ref().and_then(|j| j.get("message")).cloned();
        let token = message.as_ref().and_then(|m| m["token"].as_str()).map(str::to_owned);
        let reply = if !self.authorized(&headers) {
            Reply::unauthenticated()
        } else if message.is_none() {
            Reply::invalid_argument("message")
        } else {
            let mut state = self.state();
            let scripted = token.as_ref().and_then(|t| state.scripts.get_mut(t)?.pop_front());
            match (state.next.pop_front().or(scripted), &token) {
                (Some(reply), _) => reply,
                (None, Some(t)) if state.dead.contains(t) => Reply::unregistered(),
                (None, _) => Reply::Ok,
            }
        };
        let status = match &reply {
            Reply::Error { http, .. } => *http,
            _ => 200,
        };
        {
            let mut state = self.state();
            state.message_ids += 1;
            if !state.not_recording {
                let validate_only = json.as_ref().is_some_and(|j| j["validate_only"] == true);
                state.sends.push(SentMessage {
                    message: message.unwrap_or_default(),
                    body: json.unwrap_or_default(),
                    validate_only,
                    headers: header_strings(&headers),
                    version: format!("{version:?}"),
                    at: Instant::now(),
                    token,
                    status,
                });
            }
        }
        self.wait_gate().await;
        let answer = self.answer(reply).await;
        self.completed.fetch_add(1, Ordering::Relaxed);
        answer
    }

    async fn answer(&self, reply: Reply) -> Answer {
        match reply {
            Reply::Ok => {
                let id = self.state().message_ids;
                respond(200, format!(r#"{{"name":"projects/msgkit-test/messages/{id}"}}"#))
            }
            Reply::Delay(delay) => {
                tokio::time::sleep(delay).await;
                Box::pin(self.answer(Reply::Ok)).await
            }
            Reply::Garbage => respond(200, "<html>not json</html>"),
            Reply::Reset => Err("scripted reset".into()),
            Reply::Error { retry_after, http, .. } => {
                let body = reply.error_body().unwrap_or_default().to_string();
                let mut response = respond(http, body)?;
                if let Some(secs) = retry_after {
                    response.headers_mut().insert(hyper::header::RETRY_AFTER, secs.into());
                }
                Ok(response)
            }
        }
    }

    async fn topic(&self, operation: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
        self.started.fetch_add(1, Ordering::Relaxed);
        if !self.authorized(headers) {
            self.completed.fetch_add(1, Ordering::Relaxed);
            return respond(
                401,
                Reply::unauthenticated().error_body().unwrap_or_default().to_string(),
            );
        }
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let tokens: Vec<String> = json["registration_tokens"]
            .as_array()
            .map(|list| list.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let results: Vec<serde_json::Value> = {
            let mut state = self.state();
            let results = tokens
                .iter()
                .map(|t| match state.dead.contains(t) {
                    true => serde_json::json!({"error": "NOT_FOUND"}),
                    false => serde_json::json!({}),
                })
                .collect();
            state.topic_calls.push(TopicCall {
                operation: operation.to_owned(),
                to: json["to"].as_str().unwrap_or("").to_owned(),
                tokens,
                access_token_auth: header(headers, "access_token_auth"),
            });
            results
        };
        self.wait_gate().await;
        let answer = respond(200, serde_json::json!({"results": results}).to_string());
        self.completed.fetch_add(1, Ordering::Relaxed);
        answer
    }
}
