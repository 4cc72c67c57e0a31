//! [`StdoutHandler`]: the `push_core::Handler` that writes JSON lines, on a
//! `push_core::Mailbox` (bounded queue, one worker, counters, graceful
//! stop); it is a `push_core::Plugin`, which supplies the `Handler` impl.
//!
//! One worker writes every line, so lines never interleave however many
//! tasks push at once. It does not retry a failed write: the item is
//! counted as failed and the next one is tried.

use std::sync::Arc;

use async_trait::async_trait;
use push_core::{ChannelReq, Deliver, DeliveryError, HandlerError, Mailbox, Plugin, Receipt};
use serde::Serialize;
use tokio::io::AsyncWrite;
use tokio::sync::Mutex;

use crate::config::Config;
use crate::line::encode;
use crate::sink::Sink;

/// Writes one JSON line per receipt and per channel request.
///
/// ```
/// use std::sync::Arc;
/// use push_core::{Handler, Registry};
/// use push_stdout::StdoutHandler;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut registry = Registry::new();
/// registry.register(push_stdout::NAME, Arc::new(StdoutHandler::new()))?;
/// // Tinode's shipped config: present but disabled.
/// let enabled = registry.init(r#"[{"name": "stdout", "config": {"enabled": false}}]"#).await?;
/// assert!(enabled.is_empty());
/// assert!(!registry.handler("stdout").is_some_and(|h| h.is_ready()));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct StdoutHandler {
    mailbox: Mailbox,
    /// Shared with the worker once an enabled `init` starts it.
    sink: Arc<Mutex<Sink>>,
}

impl Default for StdoutHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl StdoutHandler {
    /// A handler writing to the process's stdout.
    pub fn new() -> Self {
        Self::with_sink(Sink::Stdout)
    }

    /// A handler writing to `writer` (a file, a socket, a pipe, a buffer).
    pub fn with_writer(writer: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        Self::with_sink(Sink::Writer(Box::new(writer)))
    }

    fn with_sink(sink: Sink) -> Self {
        Self { mailbox: Mailbox::new(crate::NAME), sink: Arc::new(Mutex::new(sink)) }
    }
}

/// The worker's side: the sink and a reusable line buffer.
struct Writer {
    sink: Arc<Mutex<Sink>>,
    buf: Vec<u8>,
}

impl Writer {
    async fn write<T: Serialize + Sync + Send>(
        &mut self,
        item: &Arc<T>,
    ) -> Result<(), DeliveryError> {
        let mut buf = std::mem::take(&mut self.buf);
        encode(item, &mut buf)?;
        let (buf, result) = self.sink.lock().await.write_line(buf).await;
        self.buf = buf;
        Ok(result?)
    }
}

#[async_trait]
impl Deliver for Writer {
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError> {
        self.write(&receipt).await
    }

    async fn channel(&mut self, req: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        self.write(&req).await
    }
}

#[async_trait]
impl Plugin for StdoutHandler {
    fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    async fn setup(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
        let config = Config::from_json(config)?;
        if !config.enabled {
            self.mailbox.disable()?;
            return Ok(false);
        }
        let writer = Writer { sink: Arc::clone(&self.sink), buf: Vec::with_capacity(512) };
        self.mailbox.start(config.queue_size(), writer)?;
        Ok(true)
    }
}
