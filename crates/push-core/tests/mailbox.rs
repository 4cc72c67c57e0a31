//! Mailbox rules the conformance suite does not reach: separate queues for
//! receipts and channel requests, a worker that panics, a mailbox dropped
//! without `stop`.

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use push_core::conformance::sample_receipt;
use push_core::{
    ChannelReq, ChannelTarget, Counters, Deliver, DeliveryError, Handler, Mailbox, Offer, Receipt,
};
use serde_json::json;
use support::{TestHandler, wait_until};

fn request() -> Arc<ChannelReq> {
    Arc::new(ChannelReq::new("usrA", ChannelTarget::Channel("chnX".into()), false).expect("valid"))
}

#[tokio::test]
async fn receipts_and_channel_requests_have_separate_queues() {
    let handler = TestHandler::new("t");
    handler.gate.hold();
    assert!(matches!(handler.init(&json!({"enabled": true, "buffer": 2})).await, Ok(true)));
    handler.push(&Arc::new(sample_receipt(0)));
    wait_until("the first delivery to start", || handler.gate.started.load(Ordering::SeqCst) == 1)
        .await;
    let receipts: Vec<Offer> =
        (1..=3).map(|s| handler.push(&Arc::new(sample_receipt(s)))).collect();
    assert_eq!(receipts, [Offer::Accepted, Offer::Accepted, Offer::Full]);
    let channels: Vec<Offer> = (0..3).map(|_| handler.channel(&request())).collect();
    assert_eq!(
        channels,
        [Offer::Accepted, Offer::Accepted, Offer::Full],
        "a full receipt queue does not block channels"
    );
    handler.gate.release();
    handler.stop(Duration::from_secs(5)).await;
    assert_eq!(
        handler.counters(),
        Counters { accepted: 5, dropped: 2, delivered: 5, ..Counters::default() }
    );
}

/// Panics on its first receipt.
struct Explodes;

#[async_trait]
impl Deliver for Explodes {
    async fn receipt(&mut self, _: Arc<Receipt>) -> Result<(), DeliveryError> {
        panic!("deliberate panic in a deliverer")
    }
    async fn channel(&mut self, _: Arc<ChannelReq>) -> Result<(), DeliveryError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_panicking_worker_closes_the_mailbox_and_the_counters_still_balance() {
    let mailbox = Mailbox::new("explodes");
    mailbox.start(8, Explodes).expect("starts");
    let receipt = Arc::new(sample_receipt(0));
    for _ in 0..3 {
        assert_eq!(mailbox.offer_receipt(&receipt), Offer::Accepted);
    }
    wait_until("the worker to die", || !mailbox.is_ready()).await;
    assert_eq!(mailbox.offer_receipt(&receipt), Offer::Closed);
    mailbox.stop(Duration::from_secs(5)).await;
    let counters = mailbox.counters();
    assert_eq!(counters, Counters { accepted: 3, dropped: 1, abandoned: 3, ..Counters::default() });
    assert_eq!(Arc::strong_count(&receipt), 1, "no copy is left behind");
}

#[tokio::test]
async fn a_mailbox_dropped_without_stop_still_delivers_what_it_took() {
    let handler = TestHandler::new("t");
    assert!(matches!(handler.init(&json!({"enabled": true})).await, Ok(true)));
    for seq in 0..3 {
        handler.push(&Arc::new(sample_receipt(seq)));
    }
    let gate = Arc::clone(&handler.gate);
    drop(handler);
    wait_until("the orphaned worker to finish", || gate.completed.load(Ordering::SeqCst) == 3)
        .await;
}

#[test]
fn start_and_disable_refuse_a_second_call_and_bad_buffers() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let _entered = runtime.enter();
    let mailbox = Mailbox::new("m");
    for buffer in [0, push_core::MAX_BUFFER + 1] {
        let error = mailbox.start(buffer, Explodes).expect_err("bad buffer");
        assert!(error.to_string().contains("is outside 1..="), "{error}");
    }
    mailbox.disable().expect("first init");
    assert_eq!(mailbox.disable().expect_err("second").to_string(), "already initialized");
    assert_eq!(mailbox.start(1, Explodes).expect_err("third").to_string(), "already initialized");
    assert!(!mailbox.is_ready());
}
