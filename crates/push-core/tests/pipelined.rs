//! A deliverer that starts receipts and ends them later
//! (`Deliver::start_receipt` returning `Pending::Later`, gated by
//! `Deliver::ready`): the mailbox keeps several receipts in flight, counts
//! each when it ends, leaves receipts in its bounded queue while the
//! deliverer is not ready, and abandons (counting them) the pending ends
//! when `stop`'s grace runs out.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use push_core::conformance::sample_receipt;
use push_core::{ChannelReq, Counters, Deliver, DeliveryError, Mailbox, Offer, Pending, Receipt};
use support::wait_until;
use tokio::sync::{Semaphore, watch};

/// Counts ends dropped before they finished.
struct Dropped(Arc<AtomicUsize>, bool);

impl Drop for Dropped {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Up to `slots` receipts in flight; each ends when the gate opens, odd
/// sequence numbers failing.
struct Pipelined {
    slots: Arc<Semaphore>,
    open: watch::Receiver<bool>,
    started: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

#[async_trait]
impl Deliver for Pipelined {
    async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> {
        Err("the worker calls start_receipt".into())
    }
    async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        Ok(())
    }
    async fn ready(&mut self) {
        let _free = self.slots.acquire().await;
    }
    async fn start_receipt(&mut self, receipt: Arc<Receipt>) -> Pending {
        let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
            return Pending::Done(Err("closed".into()));
        };
        self.started.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.clone();
        let dropped = Dropped(Arc::clone(&self.dropped), false);
        Pending::Later(Box::pin(async move {
            let (_slot, mut dropped) = (slot, dropped);
            let _ = open.wait_for(|open| *open).await;
            dropped.1 = true;
            match receipt.payload.seq % 2 {
                0 => Ok(()),
                _ => Err(format!("receipt {} failed", receipt.payload.seq).into()),
            }
        }))
    }
}

fn pipelined(slots: usize) -> (Pipelined, watch::Sender<bool>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (gate, open) = watch::channel(false);
    let started = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let deliver = Pipelined {
        slots: Arc::new(Semaphore::new(slots)),
        open,
        started: Arc::clone(&started),
        dropped: Arc::clone(&dropped),
    };
    (deliver, gate, started, dropped)
}

fn push(mailbox: &Mailbox, seq: u64) -> Offer {
    mailbox.offer_receipt(&Arc::new(sample_receipt(seq)))
}

#[tokio::test]
async fn started_receipts_run_side_by_side_and_a_busy_deliverer_fills_the_queue() {
    let mailbox = Mailbox::new("pipelined");
    let (deliver, gate, started, dropped) = pipelined(2);
    assert!(mailbox.start(2, deliver).is_ok());
    assert_eq!(push(&mailbox, 0), Offer::Accepted);
    wait_until("receipt 0 to start", || started.load(Ordering::SeqCst) == 1).await;
    assert_eq!(push(&mailbox, 1), Offer::Accepted);
    wait_until("receipt 1 to start beside it", || started.load(Ordering::SeqCst) == 2).await;
    let offers: Vec<Offer> = (2..=4).map(|seq| push(&mailbox, seq)).collect();
    assert_eq!(offers, [Offer::Accepted, Offer::Accepted, Offer::Full], "not ready: queue fills");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(started.load(Ordering::SeqCst), 2, "nothing starts without a free slot");
    assert_eq!(mailbox.counters().delivered + mailbox.counters().failed, 0, "none ended yet");
    gate.send_replace(true);
    wait_until("4 receipts to end", || {
        let c = mailbox.counters();
        c.delivered + c.failed == 4
    })
    .await;
    mailbox.stop(Duration::from_secs(5)).await;
    let expected = Counters { accepted: 4, dropped: 1, delivered: 2, failed: 2, abandoned: 0 };
    assert_eq!(mailbox.counters(), expected, "even receipts delivered, odd ones failed");
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn stop_waits_for_pending_ends_within_its_grace() {
    let mailbox = Mailbox::new("pipelined");
    let (deliver, gate, started, _dropped) = pipelined(4);
    assert!(mailbox.start(8, deliver).is_ok());
    for seq in [0, 2, 4] {
        assert_eq!(push(&mailbox, seq), Offer::Accepted);
    }
    wait_until("3 receipts to start", || started.load(Ordering::SeqCst) == 3).await;
    let opener = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        gate.send_replace(true);
    });
    mailbox.stop(Duration::from_secs(5)).await;
    assert_eq!(mailbox.counters().delivered, 3, "stop drained the pending ends");
    assert!(opener.await.is_ok());
}

#[tokio::test]
async fn pending_ends_past_the_grace_are_dropped_and_counted_abandoned() {
    let mailbox = Mailbox::new("pipelined");
    let (deliver, _gate, started, dropped) = pipelined(2);
    assert!(mailbox.start(8, deliver).is_ok());
    for seq in 0..5 {
        assert_eq!(push(&mailbox, seq), Offer::Accepted);
    }
    wait_until("2 receipts to start", || started.load(Ordering::SeqCst) == 2).await;
    mailbox.stop(Duration::from_millis(20)).await;
    let expected = Counters { accepted: 5, dropped: 0, delivered: 0, failed: 0, abandoned: 5 };
    assert_eq!(mailbox.counters(), expected, "2 in flight and 3 queued, all abandoned");
    wait_until("the 2 pending ends to be dropped", || dropped.load(Ordering::SeqCst) == 2).await;
}
