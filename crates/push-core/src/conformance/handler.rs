//! The [`Handler`](crate::Handler) rules, one function per rule, all run by
//! [`handler_suite`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Harness, Subject, sample_receipt, wait_until};
use crate::{ChannelReq, ChannelTarget, Counters, HandlerError, Offer};

/// Runs every handler rule against the plugin behind `harness`.
pub async fn handler_suite(harness: &dyn Harness) {
    init_disabled(harness).await;
    init_enabled(harness).await;
    init_bad_configs(harness).await;
    drop_on_full(harness).await;
    stop_drains_and_is_idempotent(harness).await;
    nothing_is_delivered_after_stop(harness).await;
}

fn push(subject: &dyn Subject, seq: u64) -> Offer {
    subject.handler().push(&Arc::new(sample_receipt(seq)))
}

fn counters(subject: &dyn Subject) -> Counters {
    subject.handler().counters()
}

async fn init(subject: &dyn Subject, config: &Value) -> Result<bool, HandlerError> {
    subject.handler().init(config).await
}

async fn init_disabled(harness: &dyn Harness) {
    let subject = harness.subject();
    let subject = subject.as_ref();
    let enabled = init(subject, &harness.disabled_config()).await;
    assert!(matches!(enabled, Ok(false)), "disabled config: {enabled:?}");
    assert!(!subject.handler().is_ready(), "a disabled handler is not ready");
    let receipt = Arc::new(sample_receipt(1));
    assert_eq!(subject.handler().push_if_ready(&receipt), None, "not ready: no offer");
    assert_eq!(counters(subject), Counters::default(), "no offer, nothing counted");
    assert_eq!(push(subject, 1), Offer::Closed, "a disabled handler takes no receipts");
    assert_eq!(counters(subject).dropped, 1, "a refused offer is counted as dropped");
    subject.handler().stop(Duration::from_secs(1)).await;
    let again = init(subject, &harness.enabled_config(8)).await;
    assert!(
        matches!(again, Err(HandlerError::AlreadyInitialized)),
        "init after a disabled init: {again:?}"
    );
}

async fn init_enabled(harness: &dyn Harness) {
    let subject = harness.subject();
    let subject = subject.as_ref();
    let enabled = init(subject, &harness.enabled_config(8)).await;
    assert!(matches!(enabled, Ok(true)), "enabled config: {enabled:?}");
    assert!(subject.handler().is_ready(), "an enabled handler is ready");
    for seq in 1..=3 {
        assert_eq!(push(subject, seq), Offer::Accepted);
    }
    let req = ChannelReq::new("usrBob", ChannelTarget::Channel("chnX".into()), false);
    let req = Arc::new(req.unwrap_or_else(|e| panic!("valid channel request: {e}")));
    assert_eq!(subject.handler().channel(&req), Offer::Accepted);
    let receipt = Arc::new(sample_receipt(4));
    assert_eq!(subject.handler().push_if_ready(&receipt), Some(Offer::Accepted));
    assert_eq!(subject.handler().channel_if_ready(&req), Some(Offer::Accepted));
    wait_until("6 deliveries", || counters(subject).delivered == 6).await;
    assert_eq!(subject.completed(), 6, "every delivery is visible outside");
    let again = init(subject, &harness.enabled_config(8)).await;
    assert!(matches!(again, Err(HandlerError::AlreadyInitialized)), "second init: {again:?}");
    assert!(subject.handler().is_ready(), "a refused second init leaves the handler running");
    subject.handler().stop(Duration::from_secs(5)).await;
    assert!(!subject.handler().is_ready(), "a stopped handler is not ready");
    let before = counters(subject);
    assert_eq!(subject.handler().push_if_ready(&receipt), None, "stopped: no offer");
    assert_eq!(subject.handler().channel_if_ready(&req), None, "stopped: no offer");
    assert_eq!(counters(subject), before, "no offer, nothing counted");
}

fn generic_bad_configs(harness: &dyn Harness) -> Vec<(Value, &'static str)> {
    let mut unknown = harness.enabled_config(8);
    if let Some(object) = unknown.as_object_mut() {
        object.insert("no_such_option".into(), json!(1));
    }
    vec![
        (json!("enabled"), "invalid type"),
        (json!(42), "invalid type"),
        (json!(null), "invalid type"),
        (json!([]), "invalid type"),
        (json!({"enabled": "yes"}), "invalid type"),
        (unknown, "unknown field `no_such_option`"),
    ]
}

async fn init_bad_configs(harness: &dyn Harness) {
    let mut cases = generic_bad_configs(harness);
    cases.extend(harness.bad_configs());
    for (config, word) in cases {
        let subject = harness.subject();
        let subject = subject.as_ref();
        match init(subject, &config).await {
            Err(error) => {
                let text = error.to_string();
                assert!(text.contains(word), "config {config}: error {text:?} lacks {word:?}");
            }
            Ok(enabled) => panic!("config {config} was accepted (enabled: {enabled})"),
        }
        assert!(!subject.handler().is_ready(), "config {config}: not ready after an error");
        let retry = init(subject, &harness.enabled_config(8)).await;
        assert!(matches!(retry, Ok(true)), "a good init after a bad one: {retry:?}");
        subject.handler().stop(Duration::from_secs(5)).await;
    }
}

async fn drop_on_full(harness: &dyn Harness) {
    let subject = harness.subject();
    let subject = subject.as_ref();
    subject.hold();
    let enabled = init(subject, &harness.enabled_config(4)).await;
    assert!(matches!(enabled, Ok(true)), "enabled config: {enabled:?}");
    assert_eq!(push(subject, 0), Offer::Accepted);
    wait_until("the first delivery to start", || subject.started() >= 1).await;
    for seq in 1..=4 {
        assert_eq!(push(subject, seq), Offer::Accepted, "receipt {seq} fits in the queue");
    }
    for seq in 5..=7 {
        assert_eq!(push(subject, seq), Offer::Full, "receipt {seq} finds the queue full");
    }
    let held = counters(subject);
    assert_eq!((held.accepted, held.dropped, held.delivered), (5, 3, 0), "while held: {held:?}");
    subject.release();
    wait_until("5 deliveries", || counters(subject).delivered == 5).await;
    subject.handler().stop(Duration::from_secs(5)).await;
    let done = counters(subject);
    let expected = Counters { accepted: 5, dropped: 3, delivered: 5, failed: 0, abandoned: 0 };
    assert_eq!(done, expected, "after release and stop");
    assert_eq!(subject.completed(), 5, "exactly the accepted receipts came out");
}

async fn stop_drains_and_is_idempotent(harness: &dyn Harness) {
    let subject = harness.subject();
    let subject = subject.as_ref();
    subject.handler().stop(Duration::from_secs(1)).await;
    let enabled = init(subject, &harness.enabled_config(32)).await;
    assert!(matches!(enabled, Ok(true)), "stop before init leaves init possible: {enabled:?}");
    for seq in 0..20 {
        assert_eq!(push(subject, seq), Offer::Accepted);
    }
    let handler = subject.handler();
    let grace = Duration::from_secs(10);
    tokio::join!(handler.stop(grace), handler.stop(grace));
    assert_eq!(counters(subject).delivered, 20, "stop delivers what was queued");
    assert_eq!(subject.completed(), 20, "and it is visible when stop returns");
    handler.stop(grace).await;
    assert!(!handler.is_ready(), "not ready after stop");
    assert_eq!(push(subject, 99), Offer::Closed, "a stopped handler takes nothing");
    let after = counters(subject);
    let expected = Counters { accepted: 20, dropped: 1, delivered: 20, failed: 0, abandoned: 0 };
    assert_eq!(after, expected, "after stop");
}

async fn nothing_is_delivered_after_stop(harness: &dyn Harness) {
    let subject = harness.subject();
    let subject = subject.as_ref();
    subject.hold();
    let enabled = init(subject, &harness.enabled_config(8)).await;
    assert!(matches!(enabled, Ok(true)), "enabled config: {enabled:?}");
    assert_eq!(push(subject, 0), Offer::Accepted);
    wait_until("the first delivery to start", || subject.started() >= 1).await;
    for seq in 1..=5 {
        assert_eq!(push(subject, seq), Offer::Accepted);
    }
    subject.handler().stop(Duration::from_millis(50)).await;
    let stopped = counters(subject);
    assert_eq!(stopped.abandoned, 6, "held and queued receipts are abandoned: {stopped:?}");
    assert_eq!(stopped.accepted, stopped.delivered + stopped.failed + stopped.abandoned);
    let completed = subject.completed();
    subject.release();
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(subject.completed(), completed, "a delivery completed after stop returned");
    assert_eq!(counters(subject), stopped, "counters moved after stop returned");
}
