//! A test handler on `Mailbox` whose deliveries can be held at a gate and
//! are recorded, plus small helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use push_core::{ChannelReq, Deliver, DeliveryError, HandlerError, Mailbox, Plugin, Receipt};
use serde::Deserialize;
use tokio::sync::watch;

/// Opens and closes deliveries; open when created.
#[derive(Debug)]
pub(crate) struct Gate {
    open: watch::Sender<bool>,
    pub(crate) started: AtomicUsize,
    pub(crate) completed: AtomicUsize,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            open: watch::Sender::new(true),
            started: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
        }
    }
}

impl Gate {
    pub(crate) fn hold(&self) {
        self.open.send_replace(false);
    }

    pub(crate) fn release(&self) {
        self.open.send_replace(true);
    }

    async fn pass(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|open| *open).await;
    }
}

/// What a test handler delivered, in order.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) receipts: Mutex<Vec<Arc<Receipt>>>,
    pub(crate) channels: Mutex<Vec<Arc<ChannelReq>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    enabled: bool,
    #[serde(default = "default_buffer")]
    buffer: usize,
    /// Every delivery fails.
    #[serde(default)]
    fail: bool,
    /// Every delivery first sleeps this many milliseconds.
    #[serde(default)]
    delay_ms: u64,
}

fn default_buffer() -> usize {
    8
}

/// A handler that records what it delivers, behind a gate.
#[derive(Debug)]
pub(crate) struct TestHandler {
    mailbox: Mailbox,
    pub(crate) gate: Arc<Gate>,
    pub(crate) log: Arc<Log>,
}

impl TestHandler {
    pub(crate) fn new(name: &str) -> Arc<Self> {
        Arc::new(Self { mailbox: Mailbox::new(name), gate: Arc::default(), log: Arc::default() })
    }

    pub(crate) fn receipts(&self) -> Vec<Arc<Receipt>> {
        self.log.receipts.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

struct Recorder {
    gate: Arc<Gate>,
    log: Arc<Log>,
    fail: bool,
    delay: Duration,
}

impl Recorder {
    async fn finish(&self) -> Result<(), DeliveryError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.gate.pass().await;
        self.gate.completed.fetch_add(1, Ordering::SeqCst);
        if self.fail { Err("told to fail".into()) } else { Ok(()) }
    }
}

#[async_trait]
impl Deliver for Recorder {
    async fn receipt(&mut self, receipt: Arc<Receipt>) -> Result<(), DeliveryError> {
        let result = self.finish().await;
        if let Ok(mut log) = self.log.receipts.lock() {
            log.push(receipt);
        }
        result
    }

    async fn channel(&mut self, req: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        let result = self.finish().await;
        if let Ok(mut log) = self.log.channels.lock() {
            log.push(req);
        }
        result
    }
}

#[async_trait]
impl Plugin for TestHandler {
    fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    async fn setup(&self, config: &serde_json::Value) -> Result<bool, HandlerError> {
        let config: Config = push_core::parse_config(config)?;
        if !config.enabled {
            self.mailbox.disable()?;
            return Ok(false);
        }
        let recorder = Recorder {
            gate: Arc::clone(&self.gate),
            log: Arc::clone(&self.log),
            fail: config.fail,
            delay: Duration::from_millis(config.delay_ms),
        };
        self.mailbox.start(config.buffer, recorder)?;
        Ok(true)
    }
}

/// Waits (up to 10 s) until `done` holds.
pub(crate) async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "gave up waiting for {what}");
}
