//! The mailbox worker: waits until the deliverer is ready, takes everything
//! queued in its lane at once and delivers it outside the hub's lock,
//! channel requests first, one item at a time, until the lane is closed and
//! empty. A receipt the deliverer only started ([`Pending::Later`]) ends in
//! a task of the worker's `JoinSet` (aborted with the worker) and is
//! counted when it ends.
//!
//! However the worker ends (drained, aborted by `stop` when the grace runs
//! out, or a panic in the deliverer), its [`Retire`] guard closes the lane
//! and counts every accepted item neither delivered nor failed as
//! abandoned, so the counters always balance.

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::task::{JoinError, JoinSet};

use super::{Deliver, Outcomes, Pending};
use crate::DeliveryError;
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
/// mailbox) and empty, then waits for every pending receipt's end.
pub(super) async fn run(
    name: Arc<str>,
    mut deliver: impl Deliver,
    lane: LaneRef,
    outcomes: Arc<Outcomes>,
) {
    let retire = Retire { lane, outcomes };
    let mut batch = Batch::default();
    let mut ends = Ends { set: JoinSet::new(), name, outcomes: &retire.outcomes, failing: false };
    loop {
        ends.beside(deliver.ready()).await;
        if !ends.beside(poll_fn(|cx| retire.lane.poll_take(&mut batch, cx))).await {
            break;
        }
        while let Some(req) = batch.channels.pop_front() {
            let result = ends.beside(deliver.channel(req)).await;
            ends.report(result);
        }
        while let Some(receipt) = batch.receipts.pop_front() {
            match ends.beside(deliver.start_receipt(receipt)).await {
                Pending::Done(result) => ends.report(result),
                Pending::Later(end) => {
                    ends.set.spawn(end);
                }
            }
        }
    }
    while let Some(joined) = ends.set.join_next().await {
        ends.joined(joined);
    }
}

/// The pending ends of started receipts (aborted when the worker is
/// dropped), and how results are counted and logged.
struct Ends<'a> {
    set: JoinSet<Result<(), DeliveryError>>,
    name: Arc<str>,
    outcomes: &'a Outcomes,
    /// Log the first failure of a run of failures, not every one.
    failing: bool,
}

impl Ends<'_> {
    /// Awaits `work`, counting the pending ends that finish meanwhile.
    async fn beside<T>(&mut self, work: impl Future<Output = T>) -> T {
        let mut work = pin!(work);
        poll_fn(|cx| {
            if let Poll::Ready(value) = work.as_mut().poll(cx) {
                return Poll::Ready(value);
            }
            while let Poll::Ready(Some(joined)) = self.set.poll_join_next(cx) {
                self.joined(joined);
            }
            Poll::Pending
        })
        .await
    }

    fn joined(&mut self, joined: Result<Result<(), DeliveryError>, JoinError>) {
        let result = joined.unwrap_or_else(|error| match error.is_panic() {
            true => Err("the receipt's delivery panicked".into()),
            false => Err("the receipt's delivery was cancelled".into()),
        });
        self.report(result);
    }

    fn report(&mut self, result: Result<(), DeliveryError>) {
        let name = &self.name;
        self.outcomes.finished(result.is_ok());
        match result {
            Err(error) if !self.failing => {
                self.failing = true;
                tracing::warn!(handler = %name, %error, "push delivery failed");
            }
            Err(error) => tracing::debug!(handler = %name, %error, "push delivery failed"),
            Ok(()) => self.failing = false,
        }
    }
}
