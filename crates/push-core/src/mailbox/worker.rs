//! The mailbox worker: takes items from the two queues and delivers them
//! one at a time until the queues are closed and empty.
//!
//! When `stop` runs out of grace it aborts this task; dropping [`Queues`]
//! then counts the item in flight and everything still queued as
//! abandoned, so the counters always balance.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{AtomicCounters, Deliver};
use crate::{ChannelReq, Receipt};

/// The receiving ends, owned by the worker task.
pub(super) struct Queues {
    receipts: mpsc::Receiver<Arc<Receipt>>,
    channels: mpsc::Receiver<Arc<ChannelReq>>,
    counters: Arc<AtomicCounters>,
    in_flight: bool,
}

impl Queues {
    pub(super) fn new(
        receipts: mpsc::Receiver<Arc<Receipt>>,
        channels: mpsc::Receiver<Arc<ChannelReq>>,
        counters: Arc<AtomicCounters>,
    ) -> Self {
        Self { receipts, channels, counters, in_flight: false }
    }
}

impl Drop for Queues {
    fn drop(&mut self) {
        self.receipts.close();
        self.channels.close();
        let mut left = u64::from(self.in_flight);
        while self.receipts.try_recv().is_ok() {
            left += 1;
        }
        while self.channels.try_recv().is_ok() {
            left += 1;
        }
        if left > 0 {
            self.counters.abandoned(left);
        }
    }
}

enum Next {
    Drain,
    Receipt(Arc<Receipt>),
    Channel(Arc<ChannelReq>),
    Done,
}

/// Delivers until the queues are closed (by `drain`, or by every sender
/// going away) and empty.
pub(super) async fn run(
    name: Arc<str>,
    mut deliver: impl Deliver,
    mut queues: Queues,
    mut drain: oneshot::Receiver<()>,
) {
    let mut draining = false;
    // Log the first failure of a run of failures, not every one.
    let mut failing = false;
    loop {
        let next = tokio::select! {
            biased;
            _ = &mut drain, if !draining => Next::Drain,
            Some(req) = queues.channels.recv() => Next::Channel(req),
            Some(receipt) = queues.receipts.recv() => Next::Receipt(receipt),
            else => Next::Done,
        };
        let result = match next {
            Next::Drain => {
                draining = true;
                queues.receipts.close();
                queues.channels.close();
                continue;
            }
            Next::Done => break,
            Next::Receipt(receipt) => {
                queues.in_flight = true;
                deliver.receipt(receipt).await
            }
            Next::Channel(req) => {
                queues.in_flight = true;
                deliver.channel(req).await
            }
        };
        queues.in_flight = false;
        queues.counters.finished(result.is_ok());
        match result {
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(handler = %name, %error, "push delivery failed");
            }
            Err(error) => tracing::debug!(handler = %name, %error, "push delivery failed"),
            Ok(()) => failing = false,
        }
    }
}
