//! Shared helpers for the integration tests: a server on 127.0.0.1:0 and a
//! minimal HTTP/1 client.

#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::unwrap_used,
    unreachable_pub,
    reason = "test helpers fail loudly and are crate-local"
)]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vk_callback::{Callback, Server};

/// A running server; dropping it does not stop it, call [`TestServer::stop`].
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(callback: Callback) -> Self {
        let server = Server::bind("127.0.0.1:0", callback).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Self { addr, stop: Some(stop), task }
    }

    /// Starts a graceful shutdown and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap();
    }

    pub async fn post(&self, body: impl Into<Bytes>) -> Answer {
        post(self.addr, body.into(), &[]).await
    }

    pub async fn post_with(&self, body: impl Into<Bytes>, headers: &[(&str, &str)]) -> Answer {
        post(self.addr, body.into(), headers).await
    }

    pub async fn post_json(&self, body: &Value) -> Answer {
        self.post(serde_json::to_vec(body).unwrap()).await
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts status and exact body bytes.
    pub fn is(&self, status: u16, body: &str) {
        assert_eq!((self.status.as_u16(), &self.body[..]), (status, body.as_bytes()), "{self:?}");
        assert_eq!(self.header("content-type"), Some("text/plain; charset=utf-8"));
        let nosniff = self.header("x-content-type-options");
        if status == 200 {
            assert_eq!(nosniff, None);
        } else {
            assert_eq!(nosniff, Some("nosniff"));
        }
    }
}

pub async fn post(addr: SocketAddr, body: Bytes, headers: &[(&str, &str)]) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut request = Request::post("/callback").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender.send_request(request.body(Full::new(body)).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer { status: parts.status, headers: parts.headers, body }
}

/// An envelope of `kind` for group 1 with `secret` and `object`.
pub fn envelope(kind: &str, event_id: &str, secret: &str, object: Value) -> Value {
    json!({"type": kind, "group_id": 1, "event_id": event_id, "v": "5.199", "secret": secret, "object": object})
}

/// The per-type objects of `tests/fixtures/objects.json`.
pub fn fixtures() -> serde_json::Map<String, Value> {
    match serde_json::from_str(include_str!("../fixtures/objects.json")).unwrap() {
        Value::Object(map) => map,
        _ => panic!("fixtures are an object"),
    }
}
