//! The mailbox worker: takes everything queued in its lane at once and
//! delivers it outside the hub's lock, channel requests first, one item at
//! a time, until the lane is closed and empty.
//!
//! However the worker ends (drained, aborted by `stop` when the grace runs
//! out, or a panic in the deliverer), its [`Retire`] guard closes the lane
//! and counts every accepted item neither delivered nor failed as
//! abandoned, so the counters always balance.

use std::future::poll_fn;
use std::sync::Arc;

use super::{Deliver, Outcomes};
use crate::hub::{Batch, LaneRef};

/// Closes the lane when the worker ends, however it ends.
struct Retire {
    lane: LaneRef,
    outcomes: Arc<Outcomes>,
}

impl Drop for Retire {
    fn drop(&mut self) {
        self.lane.retire(self.outcomes.delivered() + self.outcomes.failed());
    }
}

/// Delivers until the lane is closed (by `stop` or by dropping the
/// mailbox) and empty.
pub(super) async fn run(
    name: Arc<str>,
    mut deliver: impl Deliver,
    lane: LaneRef,
    outcomes: Arc<Outcomes>,
) {
    let retire = Retire { lane, outcomes };
    let mut batch = Batch::default();
    // Log the first failure of a run of failures, not every one.
    let mut failing = false;
    while poll_fn(|cx| retire.lane.poll_take(&mut batch, cx)).await {
        while let Some(req) = batch.channels.pop_front() {
            let result = deliver.channel(req).await;
            report(&name, &retire.outcomes, result, &mut failing);
        }
        while let Some(receipt) = batch.receipts.pop_front() {
            let result = deliver.receipt(receipt).await;
            report(&name, &retire.outcomes, result, &mut failing);
        }
    }
}

fn report(
    name: &str,
    outcomes: &Outcomes,
    result: Result<(), crate::DeliveryError>,
    failing: &mut bool,
) {
    outcomes.finished(result.is_ok());
    match result {
        Err(error) if !*failing => {
            *failing = true;
            tracing::warn!(handler = %name, %error, "push delivery failed");
        }
        Err(error) => tracing::debug!(handler = %name, %error, "push delivery failed"),
        Ok(()) => *failing = false,
    }
}
