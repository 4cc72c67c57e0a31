//! Handler outcomes through real HTTP: Retry-After and remove, dedup of
//! redeliveries, panic isolation, and background mode.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::json;
use support::{TestServer, envelope};
use tokio::sync::{Notify, mpsc};
use vk_callback::{Callback, Claimed, DedupStore, EventKey, MemoryDedup, ReplyError};

fn message(event_id: &str) -> serde_json::Value {
    envelope("message_new", event_id, "", json!({"message": {"text": event_id}}))
}

#[tokio::test]
async fn retry_after_sends_the_status_and_a_gmt_date() {
    let callback = Callback::builder()
        .message_new(|ctx, new| async move {
            match new.message.text.as_str() {
                "r503" => ctx.retry_after(503, Duration::from_secs(120)).unwrap(),
                "r429" => ctx.retry_after(429, Duration::from_secs(5)).unwrap(),
                "r410" => ctx.retry_after(410, Duration::ZERO).unwrap(),
                "remove" => {
                    ctx.retry_after(503, Duration::from_secs(1)).unwrap();
                    ctx.remove().unwrap();
                }
                "teapot" => {
                    assert_eq!(
                        ctx.retry_after(418, Duration::ZERO),
                        Err(ReplyError::StatusNotAllowed(418))
                    );
                    let long = Duration::from_secs(3 * 3600 + 1);
                    assert_eq!(ctx.retry_after(503, long), Err(ReplyError::DelayTooLong(long)));
                }
                _ => {}
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let before = SystemTime::now();
    let answer = server.post_json(&message("r503")).await;
    answer.is(503, "Service Unavailable\n");
    let date = answer.header("retry-after").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
    let at = httpdate::parse_http_date(date).unwrap();
    let delay = at.duration_since(before).unwrap_or_default();
    assert!((Duration::from_secs(118)..=Duration::from_secs(122)).contains(&delay), "{delay:?}");
    server.post_json(&message("r429")).await.is(429, "Too Many Requests\n");
    server.post_json(&message("r410")).await.is(410, "Gone\n");
    let removed = server.post_json(&message("remove")).await;
    removed.is(200, "remove");
    assert_eq!(removed.header("retry-after"), None);
    let teapot = server.post_json(&message("teapot")).await;
    teapot.is(200, "ok");
    server.stop().await;
}

fn counter_callback(builder: vk_callback::CallbackBuilder) -> (Callback, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let callback = builder
        .message_new(move |ctx, new| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                if new.message.text == "retry-once" && n == 0 {
                    ctx.retry_after(503, Duration::from_secs(1)).expect("a valid retry request");
                }
                if new.message.text == "panic-once" && n == 0 {
                    panic!("first delivery fails");
                }
            }
        })
        .build();
    (callback, count)
}

#[tokio::test]
async fn redeliveries_of_a_handled_event_are_ok_without_running_handlers() {
    let (callback, count) = counter_callback(Callback::builder());
    let server = TestServer::start(callback).await;
    server.post_json(&message("d1")).await.is(200, "ok");
    server
        .post_with(serde_json::to_vec(&message("d1")).unwrap(), &[("x-retry-counter", "1")])
        .await
        .is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let mut other_group = message("d1");
    other_group["group_id"] = json!(2);
    server.post_json(&other_group).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 2, "event ids are per group");
    let mut no_id = message("");
    no_id["event_id"] = json!("");
    server.post_json(&no_id).await.is(200, "ok");
    server.post_json(&no_id).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 4, "events without an id are never deduplicated");
    server.stop().await;
}

#[tokio::test]
async fn a_retry_request_releases_the_event_id() {
    let (callback, count) = counter_callback(Callback::builder());
    let server = TestServer::start(callback).await;
    server.post_json(&message("retry-once")).await.is(503, "Service Unavailable\n");
    server.post_json(&message("retry-once")).await.is(200, "ok");
    server.post_json(&message("retry-once")).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    server.stop().await;
}

/// A redelivery that arrives while the first delivery still runs must not
/// be acknowledged: if the first then asks for a retry, `ok` would lose the
/// event (VK never resends after `ok`).
#[tokio::test]
async fn a_redelivery_during_the_first_delivery_is_asked_to_retry() {
    let entered = Arc::new(Notify::new());
    let gate = Arc::new(Notify::new());
    let count = Arc::new(AtomicUsize::new(0));
    let (seen, inside, open) = (count.clone(), entered.clone(), gate.clone());
    let callback = Callback::builder()
        .message_new(move |ctx, _| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (inside, open) = (inside.clone(), open.clone());
            async move {
                if n == 0 {
                    inside.notify_one();
                    open.notified().await;
                    ctx.retry_after(503, Duration::from_secs(1)).expect("a valid retry request");
                }
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let body = serde_json::to_vec(&message("slow")).unwrap();
    let first = tokio::spawn(support::post(server.addr, body.clone().into(), &[]));
    entered.notified().await;
    let during = server.post_with(body.clone(), &[("x-retry-counter", "1")]).await;
    during.is(503, "Service Unavailable\n");
    assert!(during.header("retry-after").is_some_and(|d| d.ends_with(" GMT")));
    assert_eq!(count.load(Ordering::SeqCst), 1, "the redelivery ran no handler");
    gate.notify_one();
    first.await.unwrap().is(503, "Service Unavailable\n");
    server.post_with(body.clone(), &[("x-retry-counter", "2")]).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 2, "the event was handled after all");
    server.post_with(body, &[("x-retry-counter", "3")]).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 2, "and only once");
    server.stop().await;
}

#[tokio::test]
async fn without_dedup_every_delivery_runs() {
    let (callback, count) = counter_callback(Callback::builder().without_dedup());
    let server = TestServer::start(callback).await;
    for _ in 0..3 {
        server.post_json(&message("same")).await.is(200, "ok");
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_custom_dedup_store_is_used() {
    let store = MemoryDedup::new(1, Duration::from_secs(60));
    let (callback, count) = counter_callback(Callback::builder().dedup(store));
    let server = TestServer::start(callback).await;
    for id in ["a", "b", "a"] {
        server.post_json(&message(id)).await.is(200, "ok");
    }
    assert_eq!(count.load(Ordering::SeqCst), 3, "capacity 1 forgot `a`");
    server.stop().await;
}

/// A store of another kind: records every call, delegates the work.
struct Recording {
    inner: MemoryDedup,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Recording {
    fn log(&self, call: &str, key: &EventKey) {
        self.calls
            .lock()
            .expect("unpoisoned")
            .push(format!("{call} {}:{}", key.group_id, key.event_id));
    }
}

#[async_trait::async_trait]
impl DedupStore for Recording {
    async fn claim(&self, key: &EventKey) -> Claimed {
        self.log("claim", key);
        self.inner.claim(key).await
    }

    async fn finish(&self, key: &EventKey) {
        self.log("finish", key);
        self.inner.finish(key).await;
    }

    async fn release(&self, key: &EventKey) {
        self.log("release", key);
        self.inner.release(key).await;
    }
}

#[tokio::test]
async fn a_store_of_another_kind_gets_every_claim_finish_and_release() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let store = Recording { inner: MemoryDedup::default(), calls: calls.clone() };
    let (callback, count) = counter_callback(Callback::builder().dedup(store));
    let server = TestServer::start(callback).await;
    server.post_json(&message("panic-once")).await.is(500, "Internal Server Error\n");
    server.post_json(&message("panic-once")).await.is(200, "ok");
    server.post_json(&message("panic-once")).await.is(200, "ok");
    server.post_json(&message("")).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 3, "the duplicate did not run");
    let expected = [
        "claim 1:panic-once",
        "release 1:panic-once",
        "claim 1:panic-once",
        "finish 1:panic-once",
        "claim 1:panic-once",
    ];
    assert_eq!(*calls.lock().unwrap(), expected, "an event without an id is not claimed");
    server.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_lives_on() {
    let (callback, count) = counter_callback(Callback::builder());
    let server = TestServer::start(callback).await;
    server.post_json(&message("panic-once")).await.is(500, "Internal Server Error\n");
    server.post_json(&message("panic-once")).await.is(200, "ok");
    server.post_json(&message("after")).await.is(200, "ok");
    assert_eq!(count.load(Ordering::SeqCst), 3, "the retry after the panic ran again");
    server.stop().await;
}

#[tokio::test]
async fn background_mode_answers_at_once_and_finishes_the_work_later() {
    let gate = Arc::new(Notify::new());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (g, t) = (gate.clone(), tx.clone());
    let callback = Callback::builder()
        .background(4)
        .message_new(move |ctx, new| {
            let (gate, tx) = (g.clone(), t.clone());
            async move {
                assert_eq!(ctx.remove(), Err(ReplyError::AlreadyAnswered));
                gate.notified().await;
                let _ = tx.send(new.message.text);
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    server.post_json(&message("bg1")).await.is(200, "ok");
    assert!(rx.try_recv().is_err(), "still running after the answer");
    gate.notify_one();
    assert_eq!(rx.recv().await.unwrap(), "bg1", "not cancelled by the response");
    server.stop().await;
}

#[tokio::test]
async fn background_mode_bounds_concurrency_and_shutdown_waits_for_handlers() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let (r, p, d) = (running.clone(), peak.clone(), done.clone());
    let callback = Callback::builder()
        .background(2)
        .message_new(move |_, _| {
            let (r, p, d) = (r.clone(), p.clone(), d.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                d.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    let addr = server.addr;
    let posts: Vec<_> = (0..6)
        .map(|i| {
            let body = serde_json::to_vec(&message(&format!("c{i}"))).unwrap();
            tokio::spawn(async move { support::post(addr, body.into(), &[]).await })
        })
        .collect();
    for post in posts {
        post.await.unwrap().is(200, "ok");
    }
    server.stop().await;
    assert_eq!(done.load(Ordering::SeqCst), 6, "shutdown waited for every handler");
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_background_panic_is_isolated_to_its_handler() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let callback = Callback::builder()
        .background(2)
        .message_new(|_, new| async move {
            assert_ne!(new.message.text, "boom", "handler fails");
        })
        .message_new(move |_, new| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(new.message.text);
            }
        })
        .build();
    let server = TestServer::start(callback).await;
    server.post_json(&message("boom")).await.is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), "boom", "the next handler of the event still ran");
    server.post_json(&message("fine")).await.is(200, "ok");
    assert_eq!(rx.recv().await.unwrap(), "fine");
    server.stop().await;
}
