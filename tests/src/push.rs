//! Push helpers: [`Collector`], a push plugin that keeps every receipt it
//! delivers (so a test can compare them), and [`SharedBuffer`], an
//! in-memory writer for `push_stdout::StdoutHandler` whose text can be read
//! while the handler still owns it.
//!
//! [`registry`] builds the registry the demo and the tests share: stdout
//! (push-stdout into a [`SharedBuffer`]) and a collector, in that order.
//!
//! Neither talks to a push service; they observe what the registry fans out.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use async_trait::async_trait;
use push_core::{
    ChannelReq, Deliver, DeliveryError, HandlerError, Mailbox, Payload, Plugin, Receipt, Recipient,
    Registry,
};
use push_stdout::{Line, StdoutHandler, parse_line};
use tokio::io::AsyncWrite;

type Seen = Arc<Mutex<Vec<Arc<Receipt>>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A plugin delivering receipts into memory. Config:
/// `{"enabled": bool, "buffer": n}` (buffer default 64).
#[derive(Debug)]
pub struct Collector {
    mailbox: Mailbox,
    seen: Seen,
}

impl Collector {
    /// A collector registered as `name`.
    pub fn new(name: &str) -> Collector {
        Collector { mailbox: Mailbox::new(name), seen: Seen::default() }
    }

    /// The receipts delivered so far, in order.
    pub fn receipts(&self) -> Vec<Arc<Receipt>> {
        lock(&self.seen).clone()
    }
}

struct Collect(Seen);

#[async_trait]
impl Deliver for Collect {
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError> {
        lock(&self.0).push(receipt);
        Ok(())
    }

    async fn channel(&mut self, _req: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        Ok(())
    }
}

#[async_trait]
impl Plugin for Collector {
    fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    async fn setup(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
        let enabled = match config.get("enabled") {
            None => false,
            Some(value) => value.as_bool().ok_or_else(|| {
                HandlerError::ConfigValue(format!("`enabled` must be a boolean, got {value}"))
            })?,
        };
        if !enabled {
            self.mailbox.disable()?;
            return Ok(false);
        }
        let buffer = config.get("buffer").and_then(serde_json::Value::as_u64).unwrap_or(64);
        let buffer = usize::try_from(buffer).unwrap_or(usize::MAX);
        self.mailbox.start(buffer, Collect(Arc::clone(&self.seen)))?;
        Ok(true)
    }
}

/// A receipt of `payload` to every one of `recipients` (no badge, not
/// delivered live): what both bridges push.
pub fn addressed(payload: Payload, recipients: &[String]) -> Receipt {
    let mut receipt = Receipt::new(payload);
    receipt.to.extend(recipients.iter().map(|user| (user.clone(), Recipient::default())));
    receipt
}

/// A registry with only a collector, whose queue holds `buffer` receipts
/// (so a long scenario drops none).
pub async fn collector_registry(
    enabled: bool,
    buffer: usize,
) -> Result<(Registry, Arc<Collector>), String> {
    let collector = Arc::new(Collector::new("collector"));
    let mut registry = Registry::new();
    registry.register("collector", collector.clone()).map_err(|e| e.to_string())?;
    let config = serde_json::json!([
        {"name": "collector", "config": {"enabled": enabled, "buffer": buffer}},
    ]);
    registry.init(&config.to_string()).await.map_err(|e| e.to_string())?;
    Ok((registry, collector))
}

/// An in-memory [`AsyncWrite`]; clones share the bytes.
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl SharedBuffer {
    /// An empty buffer.
    pub fn new() -> SharedBuffer {
        SharedBuffer::default()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.bytes)).into_owned()
    }

    /// The receipts push-stdout wrote, read back with `parse_line`; any
    /// other line is an error naming it.
    pub fn receipts(&self) -> Result<Vec<Receipt>, String> {
        self.text()
            .lines()
            .map(|line| match parse_line(line) {
                Ok(Line::Receipt(receipt)) => Ok(*receipt),
                Ok(Line::Channel(req)) => Err(format!("a channel line: {req:?}")),
                Err(e) => Err(format!("not a JSON line ({e}): {line}")),
            })
            .collect()
    }
}

/// A registry with `stdout` (push-stdout writing into the returned buffer,
/// queue of 8) and `collector`, both initialised from a Tinode-style config
/// with `enabled` as given.
///
/// ```
/// use std::time::Duration;
/// use push_core::{Action, Payload, Receipt, Timestamp};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), String> {
/// let (registry, collector, buffer) = integration_tests::push::registry(true).await?;
/// let receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::UNIX_EPOCH));
/// assert_eq!(registry.push(receipt.clone()), 2);
/// registry.stop(Duration::from_secs(1)).await;
/// assert_eq!(buffer.receipts()?, [receipt.clone()]);
/// assert_eq!(*collector.receipts()[0], receipt);
/// # Ok(())
/// # }
/// ```
pub async fn registry(enabled: bool) -> Result<(Registry, Arc<Collector>, SharedBuffer), String> {
    let buffer = SharedBuffer::new();
    let collector = Arc::new(Collector::new("collector"));
    let mut registry = Registry::new();
    let stdout = Arc::new(StdoutHandler::with_writer(buffer.clone()));
    registry.register(push_stdout::NAME, stdout).map_err(|e| e.to_string())?;
    registry.register("collector", collector.clone()).map_err(|e| e.to_string())?;
    let config = serde_json::json!([
        {"name": "stdout", "config": {"enabled": enabled, "buffer": 8}},
        {"name": "collector", "config": {"enabled": enabled}},
    ]);
    let started = registry.init(&config.to_string()).await.map_err(|e| e.to_string())?;
    let want: &[&str] = if enabled { &["stdout", "collector"] } else { &[] };
    if started != want {
        return Err(format!("enabled handlers: {started:?}, expected {want:?}"));
    }
    Ok((registry, collector, buffer))
}

impl AsyncWrite for SharedBuffer {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        lock(&self.bytes).extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
