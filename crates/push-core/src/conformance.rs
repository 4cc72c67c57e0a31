//! Conformance suites (feature `conformance`): every push plugin runs
//! [`handler_suite`] in its tests, every device store runs
//! [`device_store_suite`]. A failed rule panics with what was expected.
//!
//! The handler suite drives a plugin through a [`Harness`] that can build
//! fresh handlers and hold their deliveries at will (a stalled writer, a
//! fake server that does not answer). It checks: init disabled / enabled /
//! bad config (the suite adds generic bad configs to the plugin's own;
//! [`parse_config`](crate::parse_config) gives the expected error text),
//! init twice, drop-on-full accounting, graceful drain, stop idempotence,
//! and that nothing is delivered after `stop` returns. It does not check
//! what a delivery looks like: that is each plugin's own tests.

mod device_store;
mod handler;

use std::sync::Arc;
use std::time::Duration;

pub use device_store::device_store_suite;
pub use handler::handler_suite;

use crate::{Action, Handler, Payload, Receipt, Recipient, Timestamp};

/// One handler under test, with a gate on its deliveries.
pub trait Subject: Send + Sync {
    /// The handler (uninitialised when the subject is new).
    fn handler(&self) -> Arc<dyn Handler>;
    /// From now on, deliveries stall before they complete.
    fn hold(&self);
    /// Stalled and future deliveries go through.
    fn release(&self);
    /// Deliveries that have begun (including stalled ones).
    fn started(&self) -> usize;
    /// Deliveries that completed and are visible outside (lines written,
    /// requests answered).
    fn completed(&self) -> usize;
}

/// What the handler suite needs from a plugin.
pub trait Harness: Send + Sync {
    /// A new subject with an uninitialised handler.
    fn subject(&self) -> Box<dyn Subject>;
    /// A config that enables the handler with queues of `buffer` items.
    fn enabled_config(&self, buffer: usize) -> serde_json::Value;
    /// A config that disables the handler.
    fn disabled_config(&self) -> serde_json::Value;
    /// Plugin-specific bad configs, each with a word its error must contain.
    fn bad_configs(&self) -> Vec<(serde_json::Value, &'static str)>;
}

/// A small, valid receipt; `seq` tells receipts apart.
pub fn sample_receipt(seq: u64) -> Receipt {
    let mut payload = Payload::new(
        Action::Msg,
        "grpQuickBrownFox",
        "usrAlice",
        Timestamp::from_unix_millis(1_704_164_645_678).unwrap_or(Timestamp::UNIX_EPOCH),
    );
    payload.seq = seq;
    payload.mime = "text/plain".into();
    payload.content = Some(serde_json::Value::String(format!("message {seq}")));
    let mut receipt = Receipt::new(payload);
    receipt.to.insert("usrBob".into(), Recipient { delivered: 0, devices: vec![], unread: 2 });
    receipt
}

/// How long the suite waits for something that must happen before failing.
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits until `done` holds, or panics naming `what`.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "gave up waiting for {what}");
}
