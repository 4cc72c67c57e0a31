//! Many pushers, several handlers, one slow handler: the slow one drops
//! its own excess and slows nobody else. Shown with counts and with
//! virtual time, never with wall-clock measurements.

mod support;

use std::sync::Arc;
use std::time::Duration;

use push_core::conformance::sample_receipt;
use push_core::{Handler, Registry};
use support::{TestHandler, wait_until};

const PUSHERS: u64 = 8;
const EACH: u64 = 500;
const TOTAL: u64 = PUSHERS * EACH;

/// Three fast handlers with room for everything, one slow one with 16 slots.
async fn setup(slow_config: &str) -> (Arc<Registry>, Vec<Arc<TestHandler>>) {
    let names = ["fast1", "fast2", "slow", "fast3"];
    let handlers: Vec<Arc<TestHandler>> = names.iter().map(|n| TestHandler::new(n)).collect();
    let mut registry = Registry::new();
    for (name, handler) in names.iter().zip(&handlers) {
        registry.register(name, Arc::clone(handler) as Arc<dyn Handler>).expect("registers");
    }
    let fast = format!(r#"{{"enabled":true,"buffer":{TOTAL}}}"#);
    let config = format!(
        r#"[{{"name":"fast1","config":{fast}}},{{"name":"fast2","config":{fast}}},
            {{"name":"slow","config":{slow_config}}},{{"name":"fast3","config":{fast}}}]"#
    );
    assert_eq!(registry.init(&config).await.expect("valid").len(), 4);
    (Arc::new(registry), handlers)
}

/// `PUSHERS` tasks each push `EACH` receipts numbered `pusher * 1000 + i`.
async fn push_from_many_tasks(registry: &Arc<Registry>) {
    let mut tasks = tokio::task::JoinSet::new();
    for pusher in 0..PUSHERS {
        let registry = Arc::clone(registry);
        tasks.spawn(async move {
            for i in 0..EACH {
                registry.push(sample_receipt(pusher * 1000 + i));
                if i % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("pusher finished");
    }
}

/// Every receipt exactly once, each pusher's receipts in push order.
fn assert_complete_and_ordered(handler: &TestHandler) {
    let seqs: Vec<u64> = handler.receipts().iter().map(|r| r.payload.seq).collect();
    assert_eq!(seqs.len() as u64, TOTAL);
    for pusher in 0..PUSHERS {
        let mine: Vec<u64> = seqs.iter().copied().filter(|s| s / 1000 == pusher).collect();
        let expected: Vec<u64> = (0..EACH).map(|i| pusher * 1000 + i).collect();
        assert_eq!(mine, expected, "pusher {pusher}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_handler_drops_its_excess_while_the_others_get_everything() {
    let (registry, handlers) = setup(r#"{"enabled":true,"buffer":16}"#).await;
    handlers[2].gate.hold();
    // Pushers finish while the slow handler is held: push never waits.
    tokio::time::timeout(Duration::from_secs(30), push_from_many_tasks(&registry))
        .await
        .expect("pushers never block on a held handler");
    for fast in [&handlers[0], &handlers[1], &handlers[3]] {
        wait_until("a fast handler to deliver all", || fast.counters().delivered == TOTAL).await;
    }
    let slow = handlers[2].counters();
    assert_eq!(slow.delivered, 0, "the slow handler is still held");
    // 16 queued behind the batch the held worker took (at least one item,
    // at most a full queue's worth).
    assert!((17..=32).contains(&slow.accepted), "16 queued, 1 to 16 taken: {slow:?}");
    assert_eq!(slow.accepted + slow.dropped, TOTAL, "every offer counted once");
    handlers[2].gate.release();
    registry.stop(Duration::from_secs(10)).await;
    for fast in [&handlers[0], &handlers[1], &handlers[3]] {
        assert_complete_and_ordered(fast);
        assert_eq!(fast.counters().dropped, 0);
    }
    assert_eq!(
        handlers[2].counters().delivered,
        slow.accepted,
        "held ones delivered after release"
    );
}

#[tokio::test(start_paused = true)]
async fn fast_handlers_finish_in_no_virtual_time_while_the_slow_one_takes_an_hour_each() {
    let (registry, handlers) = setup(r#"{"enabled":true,"buffer":16,"delay_ms":3600000}"#).await;
    let start = tokio::time::Instant::now();
    push_from_many_tasks(&registry).await;
    for fast in [&handlers[0], &handlers[1], &handlers[3]] {
        wait_until("a fast handler to deliver all", || fast.counters().delivered == TOTAL).await;
    }
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(1), "fast handlers waited for the slow one: {elapsed:?}");
    assert_eq!(handlers[2].counters().delivered, 0, "the slow one has not finished its first hour");
    registry.stop(Duration::ZERO).await;
    let slow = handlers[2].counters();
    assert_eq!(slow.abandoned, slow.accepted, "zero grace abandons everything: {slow:?}");
    assert_eq!(slow.accepted + slow.dropped, TOTAL);
    for fast in [&handlers[0], &handlers[1], &handlers[3]] {
        assert_complete_and_ordered(fast);
    }
}
