//! Telegram → push: messages the updates manager delivers over a lossy
//! network with a restart become push receipts exactly once each.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use integration_tests::push::{self, Collector};
use integration_tests::telegram_push::{TelegramPushCounts, TelegramToPush, receipt_for, topic};
use integration_tests::updates::{LossyScenario, run_lossy_then};
use push_core::{Action, Registry};
use updates_core::{Message, Peer};

async fn collector_registry(enabled: bool) -> (Arc<Registry>, Arc<Collector>) {
    let (registry, collector) = push::collector_registry(enabled, 100_000).await.expect("registry");
    (Arc::new(registry), collector)
}

#[tokio::test(start_paused = true)]
async fn each_delivered_message_is_pushed_once_across_loss_duplicates_and_a_restart() {
    let (registry, collector) = collector_registry(true).await;
    let to_push = TelegramToPush::new(Arc::clone(&registry), vec!["usrMe".into()]);
    let scenario = LossyScenario {
        seed: 42,
        containers: 400,
        channels: 10,
        restart_after: Some(200),
        downtime: 20,
        ..LossyScenario::default()
    };
    let report = run_lossy_then(scenario, Some(to_push.clone())).await.expect("scenario");
    assert!(report.problems().is_empty(), "{:?}", report.problems());
    assert!(report.network.duplicated > 0 && report.network.dropped > 0);
    registry.stop(Duration::from_secs(5)).await;

    let counts = to_push.counts();
    assert!(counts.messages > 100, "{counts:?}");
    assert_eq!(counts, TelegramPushCounts { pushed: counts.messages, unpushed: 0, ..counts });
    let receipts = collector.receipts();
    assert_eq!(receipts.len() as u64, counts.messages, "one receipt per delivered message");
    let mut seen = BTreeSet::new();
    for receipt in &receipts {
        assert_eq!(receipt.payload.what, Action::Msg);
        assert!(receipt.to.contains_key("usrMe"));
        let eid = receipt.payload.content.as_ref().and_then(|c| c["eid"].as_i64());
        let eid = eid.expect("the fake server's event id travels as content");
        assert!(seen.insert((receipt.payload.topic.clone(), receipt.payload.seq, eid)));
    }
    let eids: BTreeSet<i64> = seen.iter().map(|(_, _, eid)| *eid).collect();
    assert_eq!(eids.len(), receipts.len(), "no message was pushed twice");
}

#[tokio::test(start_paused = true)]
async fn without_a_push_handler_the_manager_is_told_and_delivery_goes_on() {
    let (registry, collector) = collector_registry(false).await;
    let to_push = TelegramToPush::new(Arc::clone(&registry), vec![]);
    let scenario =
        LossyScenario { seed: 8, containers: 150, channels: 6, ..LossyScenario::default() };
    let report = run_lossy_then(scenario, Some(to_push.clone())).await.expect("scenario");
    assert!(report.problems().is_empty(), "{:?}", report.problems());
    let counts = to_push.counts();
    assert!(counts.messages > 0 && counts.pushed == 0 && counts.unpushed == counts.messages);
    assert!(report.reported_errors > 0, "the handler errors reached on_error");
    assert!(collector.receipts().is_empty());
}

#[test]
fn a_telegram_receipt_is_built_from_the_message_alone() {
    let message = Message {
        id: 9,
        peer_id: Some(Peer::Channel(77)),
        from_id: Some(Peer::User(5)),
        date: 1_700_000_000,
        payload: serde_json::json!({"text": "hi"}),
        ..Message::default()
    };
    let receipt = receipt_for(&message, &["usrA".into()]);
    assert_eq!(receipt.payload.topic, "tgch77");
    assert_eq!(receipt.payload.from, topic(Some(Peer::User(5))));
    assert_eq!(receipt.payload.from, "tgu5");
    assert_eq!((receipt.payload.seq, receipt.payload.ts.unix_secs()), (9, 1_700_000_000));
    assert_eq!(receipt.payload.content, Some(serde_json::json!({"text": "hi"})));
    let private = Message { peer_id: Some(Peer::User(5)), from_id: None, ..message };
    assert_eq!(receipt_for(&private, &[]).payload.from, "tgu5", "the peer is the sender");
    assert_eq!(topic(None), "tg");
    assert_eq!(topic(Some(Peer::Chat(3))), "tgc3");
}
