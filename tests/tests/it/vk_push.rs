//! VK → push: a `message_new` handled by the vk-callback server becomes a
//! push receipt through the registry, exactly once per VK event; a push
//! outage sends the event back to VK instead of losing it.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::bridge::{Bridge, BridgeCounts, receipt_for, topic};
use integration_tests::push::{self, Collector, SharedBuffer};
use integration_tests::vk::{VkServer, envelope, message_new};
use push_core::{Action, Counters, Payload, Receipt, Recipient, Registry, Timestamp};
use vk_callback::Callback;
use vk_callback::events::Message;

const SECRET: &str = "s3cr3t";

async fn registry(enabled: bool) -> (Arc<Registry>, Arc<Collector>, SharedBuffer) {
    let (registry, collector, buffer) = push::registry(enabled).await.expect("registry");
    (Arc::new(registry), collector, buffer)
}

async fn server(registry: &Arc<Registry>) -> (VkServer, Arc<Bridge>) {
    let bridge = Bridge::new(Arc::clone(registry), vec!["usrAdmin".into(), "usrMod".into()]);
    let callback = bridge.install(Callback::builder().secret(SECRET).confirmation("abc")).build();
    (VkServer::start(callback).await.expect("server"), bridge)
}

/// The receipt a message must become, written out field by field.
fn expected(peer: i64, seq: u64, text: &str, date: i64) -> Receipt {
    let ts = Timestamp::from_unix(date, 0).expect("timestamp");
    let mut payload = Payload::new(Action::Msg, &format!("vk1_{peer}"), &format!("vk{peer}"), ts);
    payload.seq = seq;
    payload.mime = "text/plain".into();
    payload.content = Some(serde_json::Value::String(text.into()));
    let mut receipt = Receipt::new(payload);
    receipt.to.insert("usrAdmin".into(), Recipient::default());
    receipt.to.insert("usrMod".into(), Recipient::default());
    receipt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_vk_message_becomes_one_push_receipt_with_its_content() {
    let (registry, collector, buffer) = registry(true).await;
    let (server, bridge) = server(&registry).await;
    let long: String = "ж".repeat(200);
    let first =
        envelope("message_new", 1, "evt-1", SECRET, message_new(5, 1001, "hello", 1_700_000_000));
    let second =
        envelope("message_new", 1, "evt-2", SECRET, message_new(6, 1002, &long, 1_700_000_100));
    for (event, retry) in [(&first, 0), (&first, 1), (&second, 0), (&first, 2), (&second, 1)] {
        let answer = server.post(event, retry).await.expect("post");
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    }
    server.stop().await.expect("stop");
    registry.stop(Duration::from_secs(5)).await;

    let cut: String = "ж".repeat(push_core::MAX_PAYLOAD_CHARS);
    let want =
        vec![expected(1001, 5, "hello", 1_700_000_000), expected(1002, 6, &cut, 1_700_000_100)];
    let got: Vec<Receipt> = collector.receipts().iter().map(|r| (**r).clone()).collect();
    assert_eq!(got, want, "the collector got each event once, as built from it");
    assert_eq!(
        buffer.receipts().expect("receipt lines"),
        want,
        "push-stdout wrote the same receipts"
    );
    assert_eq!(
        bridge.counts(),
        BridgeCounts { messages: 2, pushed: 2, deferred: 0, unpushed: 0 },
        "redeliveries never reached the handler"
    );
    let done = Counters { accepted: 2, delivered: 2, ..Counters::default() };
    assert_eq!(registry.counters(), vec![("stdout", done), ("collector", done)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_outage_sends_the_event_back_to_vk_instead_of_losing_it() {
    let (registry, collector, buffer) = registry(false).await;
    let (server, bridge) = server(&registry).await;
    let event =
        envelope("message_new", 1, "evt-9", SECRET, message_new(9, 1003, "late", 1_700_000_000));
    for retry in 0..2 {
        let answer = server.post(&event, retry).await.expect("post");
        assert_eq!((answer.status, answer.body.as_str()), (503, "Service Unavailable\n"));
        let date = answer.retry_after.expect("a Retry-After date");
        assert!(date.ends_with(" GMT"), "{date}");
    }
    server.stop().await.expect("stop");
    assert_eq!(
        bridge.counts(),
        BridgeCounts { messages: 2, pushed: 0, deferred: 2, unpushed: 0 },
        "the deferred event id was released, so VK's redelivery ran the handler again"
    );
    assert!(collector.receipts().is_empty() && buffer.text().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_vk_rejects_never_reach_the_push_side() {
    let (registry, collector, _buffer) = registry(true).await;
    let (server, bridge) = server(&registry).await;
    let forged = envelope("message_new", 1, "evt-5", "guess", message_new(5, 1001, "x", 1));
    let answer = server.post(&forged, 0).await.expect("post");
    assert_eq!((answer.status, answer.body.as_str()), (403, "Bad Secret\n"));
    let answer = server.post_raw("{\"type\": \"message_new\"").await.expect("post");
    assert_eq!((answer.status, answer.body.as_str()), (400, "Bad Request\n"));
    let confirm = envelope("confirmation", 1, "", SECRET, serde_json::json!({}));
    let answer = server.post(&confirm, 0).await.expect("post");
    assert_eq!((answer.status, answer.body.as_str()), (200, "abc"));
    server.stop().await.expect("stop");
    registry.stop(Duration::from_secs(5)).await;
    assert_eq!(bridge.counts(), BridgeCounts::default());
    assert!(collector.receipts().is_empty());
    assert_eq!(registry.counters()[1].1, Counters::default());
}

#[test]
fn a_receipt_is_built_from_the_message_alone() {
    let mut message = Message::default();
    message.from_id = 42;
    message.peer_id = 2_000_000_001;
    message.date = 1_700_000_000;
    message.conversation_message_id = 77;
    message.text = "in a chat".into();
    let receipt = receipt_for(3, &message, &["usrA".into()]);
    assert_eq!(receipt.payload.topic, topic(3, 2_000_000_001));
    assert_eq!(receipt.payload.topic, "vk3_2000000001");
    assert_eq!((receipt.payload.from.as_str(), receipt.payload.seq), ("vk42", 77));
    assert_eq!(receipt.payload.ts.unix_secs(), 1_700_000_000);
    assert_eq!(receipt.to.keys().collect::<Vec<_>>(), ["usrA"]);
    assert_eq!(receipt_for(3, &message, &["usrA".into()]), receipt, "deterministic");
    message.conversation_message_id = -1;
    message.date = i64::MAX;
    let odd = receipt_for(3, &message, &[]);
    assert_eq!((odd.payload.seq, odd.payload.ts), (0, Timestamp::UNIX_EPOCH));
    assert!(odd.to.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_and_redeliveries_push_each_event_once() {
    let (registry, collector, buffer) = registry(true).await;
    let (server, bridge) = server(&registry).await;
    let server = Arc::new(server);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40i64 {
        for retry in 0..2u32 {
            let server = Arc::clone(&server);
            tasks.spawn(async move {
                let object = message_new(n, 2000 + n, &format!("m{n}"), 1_700_000_000 + n);
                let event = envelope("message_new", 1, &format!("evt-{n}"), SECRET, object);
                // Plays VK: a redelivery that meets the first one still
                // running is asked to retry (503), and VK retries.
                let mut counter = retry;
                loop {
                    let answer = server.post(&event, counter).await?;
                    if answer.status != 503 || counter > retry + 100 {
                        return Ok::<_, String>(answer);
                    }
                    assert_eq!(answer.body, "Service Unavailable\n");
                    counter += 2;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
        }
    }
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.expect("task").expect("post");
        assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    }
    Arc::into_inner(server).expect("sole owner").stop().await.expect("stop");
    registry.stop(Duration::from_secs(5)).await;

    let counts = bridge.counts();
    assert_eq!((counts.messages, counts.pushed, counts.deferred), (40, 40, 0), "{counts:?}");
    let mut seqs: Vec<u64> = collector.receipts().iter().map(|r| r.payload.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..40).collect::<Vec<u64>>(), "each event reached the collector once");
    for receipt in collector.receipts() {
        let n = i64::try_from(receipt.payload.seq).expect("small");
        assert_eq!(
            *receipt,
            expected(2000 + n, receipt.payload.seq, &format!("m{n}"), 1_700_000_000 + n)
        );
    }
    // push-stdout has a queue of 8: what it could not queue it dropped and
    // counted; everything it took was written
    let (name, stdout) = registry.counters()[0];
    assert_eq!(name, "stdout");
    assert_eq!(stdout.accepted + stdout.dropped, 40, "{stdout:?}");
    assert_eq!(stdout.delivered, stdout.accepted, "{stdout:?}");
    let lines = buffer.receipts().expect("receipt lines");
    assert_eq!(lines.len() as u64, stdout.delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_background_mode_a_push_outage_cannot_be_deferred_and_is_counted() {
    let (registry, collector, _buffer) = registry(false).await;
    let bridge = Bridge::new(Arc::clone(&registry), vec!["usrAdmin".into()]);
    let callback = bridge.install(Callback::builder().secret(SECRET).background(4)).build();
    let server = VkServer::start(callback).await.expect("server");
    let event = envelope("message_new", 1, "evt-1", SECRET, message_new(1, 1001, "x", 1));
    let answer = server.post(&event, 0).await.expect("post");
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "ok"),
        "background mode answers at once"
    );
    server.stop().await.expect("stop drains background handlers");
    assert_eq!(
        bridge.counts(),
        BridgeCounts { messages: 1, pushed: 0, deferred: 0, unpushed: 1 },
        "VK already got ok, so the bridge reports the receipt it could not push"
    );
    assert!(collector.receipts().is_empty());
}
