//! A VK side for the scenarios: a `vk_callback::Server` on `127.0.0.1:0`
//! that can be stopped ([`VkServer`]), a minimal HTTP/1 client playing VK
//! ([`post`]) and the JSON envelopes VK sends ([`envelope`]).
//!
//! It does not retry, follow redirects or keep connections: each request is
//! one connection, as VK's deliveries are independent.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vk_callback::{Callback, Server};

/// A callback server running on a loopback port until [`VkServer::stop`].
///
/// ```
/// use integration_tests::vk::{VkServer, envelope};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// let callback = vk_callback::Callback::builder().confirmation("c0de").secret("s").build();
/// let server = VkServer::start(callback).await?;
/// let confirmation = envelope("confirmation", 1, "", "s", serde_json::json!({}));
/// let answer = server.post(&confirmation, 0).await?;
/// assert_eq!((answer.status, answer.body.as_str()), (200, "c0de"));
/// server.stop().await
/// # }
/// ```
#[derive(Debug)]
pub struct VkServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl VkServer {
    /// Binds `127.0.0.1:0` and serves `callback` on a task.
    pub async fn start(callback: Callback) -> Result<VkServer, String> {
        let server =
            Server::bind("127.0.0.1:0", callback).await.map_err(|e| format!("bind: {e}"))?;
        let addr = server.local_addr().map_err(|e| format!("local addr: {e}"))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Ok(VkServer { addr, stop, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Posts `body` as VK does (see [`post`]).
    pub async fn post(&self, body: &Value, retry_counter: u32) -> Result<Answer, String> {
        post(self.addr, Bytes::from(body.to_string()), retry_counter).await
    }

    /// Posts raw bytes (for malformed bodies).
    pub async fn post_raw(&self, body: &'static str) -> Result<Answer, String> {
        post(self.addr, Bytes::from_static(body.as_bytes()), 0).await
    }

    /// Shuts the server down gracefully and waits for it.
    pub async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        self.task.await.map_err(|e| format!("server task: {e}"))
    }
}

/// A response, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl Answer {
    /// The body with control characters escaped, for one-line display.
    pub fn body_escaped(&self) -> String {
        self.body.escape_debug().to_string()
    }
}

/// Posts `body` to `addr` over a new HTTP/1 connection, with
/// `X-Retry-Counter` when `retry_counter > 0` (VK's redelivery header).
pub async fn post(addr: SocketAddr, body: Bytes, retry_counter: u32) -> Result<Answer, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    let mut request = Request::post("/").header("content-type", "application/json");
    if retry_counter > 0 {
        request = request.header("x-retry-counter", retry_counter);
    }
    let request = request.body(Full::new(body)).map_err(|e| format!("request: {e}"))?;
    let response = sender.send_request(request).await.map_err(|e| format!("send: {e}"))?;
    let status = response.status().as_u16();
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.into_body().collect().await.map_err(|e| format!("body: {e}"))?;
    Ok(Answer { status, body: String::from_utf8_lossy(&body.to_bytes()).into_owned(), retry_after })
}

/// VK's envelope: `{"type", "group_id", "event_id", "v", "secret", "object"}`.
pub fn envelope(kind: &str, group_id: i64, event_id: &str, secret: &str, object: Value) -> Value {
    json!({
        "type": kind,
        "group_id": group_id,
        "event_id": event_id,
        "v": "5.199",
        "secret": secret,
        "object": object,
    })
}

/// A `message_new` object: message `id` from user `from_id` saying `text`
/// at unix time `date`.
pub fn message_new(id: i64, from_id: i64, text: &str, date: i64) -> Value {
    json!({
        "message": {
            "id": id,
            "date": date,
            "peer_id": from_id,
            "from_id": from_id,
            "text": text,
            "conversation_message_id": id,
        },
        "client_info": {"keyboard": true, "inline_keyboard": true},
    })
}
