//! Registry semantics, one rule per test (push.md §2.4 and §11).

mod support;

use std::sync::Arc;
use std::time::Duration;

use push_core::conformance::sample_receipt;
use push_core::{
    ChannelReq, ChannelTarget, Counters, Handler, HandlerConfig, HandlerError, Registry,
    RegistryError,
};
use serde_json::json;
use support::{TestHandler, wait_until};

const GRACE: Duration = Duration::from_secs(5);

fn registry(names: &[&str]) -> (Registry, Vec<Arc<TestHandler>>) {
    let mut registry = Registry::new();
    let handlers: Vec<Arc<TestHandler>> = names.iter().map(|n| TestHandler::new(n)).collect();
    for (name, handler) in names.iter().zip(&handlers) {
        registry.register(name, Arc::clone(handler) as Arc<dyn Handler>).expect("registers");
    }
    (registry, handlers)
}

/// Registers `entries` and initialises each with its config.
async fn started(entries: &[(&str, &str)]) -> (Registry, Vec<Arc<TestHandler>>) {
    let names: Vec<&str> = entries.iter().map(|(name, _)| *name).collect();
    let (registry, handlers) = registry(&names);
    let config: Vec<String> = entries
        .iter()
        .map(|(name, config)| format!(r#"{{"name":"{name}","config":{config}}}"#))
        .collect();
    let enabled = registry.init(&format!("[{}]", config.join(","))).await.expect("valid config");
    assert_eq!(enabled, names, "all enabled, in order");
    (registry, handlers)
}

const ON: &str = r#"{"enabled":true}"#;

#[test]
fn registering_a_name_twice_is_an_error_not_a_panic() {
    let (mut registry, _) = registry(&["stdout"]);
    let again = registry.register("stdout", TestHandler::new("other"));
    assert!(matches!(&again, Err(RegistryError::DuplicateName(n)) if n == "stdout"), "{again:?}");
    assert_eq!(
        again.expect_err("duplicate").to_string(),
        "push handler `stdout` is already registered"
    );
    assert!(matches!(registry.register("", TestHandler::new("x")), Err(RegistryError::EmptyName)));
    assert_eq!(format!("{registry:?}"), r#"["stdout"]"#);
}

#[tokio::test]
async fn pushing_with_nothing_registered_is_a_no_op() {
    let registry = Registry::new();
    assert_eq!(registry.push(sample_receipt(1)), 0);
    assert_eq!(registry.init("[]").await.expect("empty config"), Vec::<String>::new());
    registry.stop(GRACE).await;
    assert!(registry.counters().is_empty());
}

#[tokio::test]
async fn init_returns_the_enabled_names_in_config_order_skipping_unknown_ones() {
    let (registry, handlers) = registry(&["fcm", "stdout", "tnpg"]);
    let config = r#"[{"name":"stdout","config":{"enabled":true}},
                     {"name":"nope","config":{}},
                     {"name":"fcm","config":{"enabled":false}},
                     {"name":"tnpg","config":{"enabled":true}}]"#;
    let enabled = registry.init(config).await.expect("valid config");
    assert_eq!(enabled, ["stdout", "tnpg"], "config order, not registration order");
    assert!(!handlers[0].is_ready(), "disabled fcm is not ready");
    assert!(handlers[1].is_ready() && handlers[2].is_ready());
    registry.stop(GRACE).await;
}

#[tokio::test]
async fn a_handler_absent_from_the_config_stays_uninitialised_and_gets_nothing() {
    let (registry, handlers) = registry(&["stdout", "fcm"]);
    registry.init(r#"[{"name":"stdout","config":{"enabled":true}}]"#).await.expect("valid");
    assert!(!handlers[1].is_ready());
    assert_eq!(registry.push(sample_receipt(1)), 1);
    wait_until("delivery", || handlers[0].counters().delivered == 1).await;
    assert_eq!(handlers[1].counters(), Counters::default(), "never offered anything");
    // It was never initialised, so it still can be.
    assert!(matches!(handlers[1].init(&json!({"enabled": true})).await, Ok(true)));
    registry.stop(GRACE).await;
}

#[tokio::test]
async fn the_first_handler_error_aborts_init_names_the_handler_and_stops_the_started_ones() {
    let (registry, handlers) = registry(&["a", "b", "c"]);
    let config = r#"[{"name":"a","config":{"enabled":true}},
                     {"name":"b","config":{"enabled":"yes"}},
                     {"name":"c","config":{"enabled":true}}]"#;
    let error = registry.init(config).await.expect_err("b is bad");
    match &error {
        RegistryError::Handler { name, source: HandlerError::Config(_) } => assert_eq!(name, "b"),
        other => panic!("unexpected error {other:?}"),
    }
    let text = error.to_string();
    assert!(text.starts_with("push handler `b`: invalid config: invalid type"), "{text}");
    assert!(!handlers[0].is_ready(), "a, started before the error, was stopped");
    assert!(!handlers[2].is_ready(), "c after the error was never initialised");
    assert!(matches!(handlers[2].init(&json!({"enabled": true})).await, Ok(true)));
    assert_eq!(registry.push(sample_receipt(1)), 1, "only c takes pushes now");
    registry.stop(GRACE).await;
}

#[tokio::test]
async fn bad_registry_configs_name_the_problem() {
    let (registry, handlers) = registry(&["stdout"]);
    let cases = [
        ("", "failed to parse config: EOF while parsing"),
        ("[{", "failed to parse config: EOF while parsing"),
        (
            r#"{"name":"stdout","config":{}}"#,
            "failed to parse config: invalid type: map, expected a sequence",
        ),
        ("null", "invalid type: null, expected a sequence"),
        (r#"[{"name":5,"config":{}}]"#, "invalid type: integer `5`, expected a string"),
        (r#"[{"config":{}}]"#, "missing field `name`"),
        (r#"[{"name":"stdout"}]"#, "missing field `config`"),
        (
            r#"[{"name":"stdout","config":{},"cfg":1}]"#,
            "unknown field `cfg`, expected `name` or `config`",
        ),
        (r#"["stdout"]"#, "invalid type: string \"stdout\""),
    ];
    for (config, words) in cases {
        match registry.init(config).await {
            Err(e @ RegistryError::Config(_)) => {
                assert!(e.to_string().contains(words), "{config:?}: {e}");
            }
            other => panic!("{config:?}: {other:?}"),
        }
    }
    assert!(!handlers[0].is_ready(), "no bad config initialised anything");
    let handler_error =
        registry.init(r#"[{"name":"stdout","config":{"enabled":true,"buffer":"big"}}]"#).await;
    let text = handler_error.expect_err("wrong type").to_string();
    assert!(
        text.contains("push handler `stdout`: invalid config: invalid type: string \"big\""),
        "{text}"
    );
}

#[tokio::test]
async fn init_entries_takes_parsed_config_and_a_repeated_name_is_a_second_init() {
    let (registry, _) = registry(&["stdout"]);
    let entry = HandlerConfig { name: "stdout".into(), config: json!({"enabled": true}) };
    let error = registry.init_entries(&[entry.clone(), entry]).await.expect_err("twice");
    assert!(
        matches!(&error, RegistryError::Handler { name, source: HandlerError::AlreadyInitialized } if name == "stdout"),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "push handler `stdout`: already initialized");
}

#[tokio::test]
async fn push_offers_the_same_shared_receipt_to_every_ready_handler() {
    let (registry, handlers) = registry(&["a", "b", "off"]);
    let config = r#"[{"name":"a","config":{"enabled":true}},{"name":"b","config":{"enabled":true}},
                     {"name":"off","config":{"enabled":false}}]"#;
    registry.init(config).await.expect("valid");
    let receipt = Arc::new(sample_receipt(7));
    assert_eq!(registry.push(Arc::clone(&receipt)), 2);
    wait_until("both deliveries", || handlers[..2].iter().all(|h| h.counters().delivered == 1))
        .await;
    for handler in &handlers[..2] {
        assert!(Arc::ptr_eq(&handler.receipts()[0], &receipt), "the very same allocation");
    }
    assert_eq!(handlers[2].counters(), Counters::default(), "a disabled handler is not offered");
    registry.stop(GRACE).await;
}

#[tokio::test]
async fn a_full_handler_drops_only_its_own_copy_and_push_never_waits() {
    let (registry, handlers) = started(&[
        ("slow", r#"{"enabled":true,"buffer":1}"#),
        ("fast", r#"{"enabled":true,"buffer":8}"#),
    ])
    .await;
    handlers[0].gate.hold();
    assert_eq!(registry.push(sample_receipt(0)), 2);
    wait_until("slow to hold its first receipt", || {
        handlers[0].gate.started.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
    let accepted: Vec<usize> = (1..=3).map(|seq| registry.push(sample_receipt(seq))).collect();
    assert_eq!(accepted, [2, 1, 1], "slow takes one more, then drops");
    let slow = handlers[0].counters();
    assert_eq!(
        (slow.accepted, slow.dropped, slow.delivered),
        (2, 2, 0),
        "counters readable while held"
    );
    wait_until("fast delivers all 4", || handlers[1].counters().delivered == 4).await;
    handlers[0].gate.release();
    registry.stop(GRACE).await;
    let counters = registry.counters();
    assert_eq!(
        counters[0],
        ("slow", Counters { accepted: 2, dropped: 2, delivered: 2, ..Counters::default() })
    );
    assert_eq!(
        counters[1],
        ("fast", Counters { accepted: 4, delivered: 4, ..Counters::default() })
    );
}

#[tokio::test]
async fn channel_requests_fan_out_like_receipts() {
    let (registry, handlers) = started(&[("a", ON), ("b", ON)]).await;
    let req = ChannelReq::new("usrA", ChannelTarget::Device("tok".into()), false).expect("valid");
    assert_eq!(registry.channel_sub(req.clone()), 2);
    registry.stop(GRACE).await;
    for handler in &handlers {
        let log = handler.log.channels.lock().expect("lock");
        assert_eq!(log.len(), 1);
        assert_eq!(*log[0], req);
    }
}

#[tokio::test]
async fn failed_deliveries_are_counted_per_handler() {
    let (registry, _) = started(&[("ok", ON), ("bad", r#"{"enabled":true,"fail":true}"#)]).await;
    for seq in 0..3 {
        registry.push(sample_receipt(seq));
    }
    registry.stop(GRACE).await;
    let counters = registry.counters();
    assert_eq!(counters[0].1, Counters { accepted: 3, delivered: 3, ..Counters::default() });
    assert_eq!(counters[1].1, Counters { accepted: 3, failed: 3, ..Counters::default() });
}

#[tokio::test]
async fn stop_stops_every_handler_is_idempotent_and_nothing_is_delivered_after() {
    let (registry, handlers) = started(&[("a", ON), ("b", ON)]).await;
    for seq in 0..5 {
        registry.push(sample_receipt(seq));
    }
    registry.stop(GRACE).await;
    let after_stop: Vec<Counters> = handlers.iter().map(|h| h.counters()).collect();
    assert!(after_stop.iter().all(|c| c.delivered == 5), "stop drains: {after_stop:?}");
    assert!(handlers.iter().all(|h| !h.is_ready()));
    assert_eq!(registry.push(sample_receipt(9)), 0, "stopped handlers are not ready");
    registry.stop(GRACE).await;
    let later: Vec<Counters> = handlers.iter().map(|h| h.counters()).collect();
    assert_eq!(later, after_stop, "nothing moves after stop");
    assert!(registry.handler("a").is_some() && registry.handler("zz").is_none());
}

#[tokio::test(start_paused = true)]
async fn stop_abandons_what_it_cannot_deliver_within_grace() {
    let (registry, handlers) =
        started(&[("slow", r#"{"enabled":true,"delay_ms":1000}"#), ("fast", ON)]).await;
    for seq in 0..4 {
        registry.push(sample_receipt(seq));
    }
    let start = tokio::time::Instant::now();
    registry.stop(Duration::from_millis(2500)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(2500), "both stopped under one deadline");
    let slow = handlers[0].counters();
    assert_eq!((slow.delivered, slow.abandoned), (2, 2), "two of four fit in the grace: {slow:?}");
    assert_eq!(handlers[1].counters().delivered, 4);
}

#[tokio::test]
async fn a_handler_in_two_registries_is_served_by_both() {
    let (first, handlers) = started(&[("a", ON), ("b", ON)]).await;
    // "a" keeps its queues in the first registry's hub; the second offers
    // to it one by one, and both see the same counters.
    let mut second = Registry::new();
    second.register("a", Arc::clone(&handlers[0]) as Arc<dyn Handler>).expect("registers");
    assert_eq!(first.push(sample_receipt(1)), 2);
    assert_eq!(second.push(sample_receipt(2)), 1);
    wait_until("a delivers both", || handlers[0].counters().delivered == 2).await;
    second.stop(GRACE).await;
    assert_eq!(first.push(sample_receipt(3)), 1, "a is stopped for everybody");
    first.stop(GRACE).await;
    let seqs: Vec<u64> = handlers[0].receipts().iter().map(|r| r.payload.seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(handlers[1].counters().delivered, 2);
}

/// A handler with queueing of its own (no mailbox): counts offers only.
#[derive(Default)]
struct OwnQueue {
    offers: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl Handler for OwnQueue {
    async fn init(&self, _: &serde_json::Value) -> Result<bool, HandlerError> {
        Ok(true)
    }
    fn is_ready(&self) -> bool {
        true
    }
    fn push(&self, _: &Arc<push_core::Receipt>) -> push_core::Offer {
        self.offers.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        push_core::Offer::Accepted
    }
    fn channel(&self, _: &Arc<ChannelReq>) -> push_core::Offer {
        push_core::Offer::Full
    }
    async fn stop(&self, _: Duration) {}
    fn counters(&self) -> Counters {
        let accepted = self.offers.load(std::sync::atomic::Ordering::SeqCst);
        Counters { accepted, delivered: accepted, ..Counters::default() }
    }
}

#[tokio::test]
async fn handlers_with_their_own_queues_mix_with_mailbox_handlers() {
    let mut registry = Registry::new();
    let own = Arc::new(OwnQueue::default());
    let mailbox = TestHandler::new("m");
    registry.register("own", Arc::clone(&own) as Arc<dyn Handler>).expect("registers");
    registry.register("m", Arc::clone(&mailbox) as Arc<dyn Handler>).expect("registers");
    let enabled = registry
        .init(r#"[{"name":"own","config":{}},{"name":"m","config":{"enabled":true}}]"#)
        .await
        .expect("valid");
    assert_eq!(enabled, ["own", "m"]);
    assert_eq!(registry.push(sample_receipt(1)), 2);
    let req = ChannelReq::new("usrA", ChannelTarget::Channel("chnX".into()), false).expect("valid");
    assert_eq!(registry.channel_sub(req), 1, "own refuses channel requests");
    registry.stop(GRACE).await;
    assert_eq!(registry.counters()[0].1.accepted, 1);
    assert_eq!(mailbox.counters(), Counters { accepted: 2, delivered: 2, ..Counters::default() });
}
