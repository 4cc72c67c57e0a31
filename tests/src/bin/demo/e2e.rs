//! The end-to-end lines: a VK `message_new` becomes a push receipt through
//! the integration crate's bridge, checked on both push handlers; and the
//! Telegram messages the updates manager delivers over the lossy network
//! become push receipts, each exactly once.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::bridge::{Bridge, topic};
use integration_tests::push::{collector_registry, registry};
use integration_tests::telegram_push::TelegramToPush;
use integration_tests::updates::{LossyScenario, run_lossy_then};
use integration_tests::vk::{VkServer, envelope, message_new};
use push_core::{Action, Payload, Receipt, Recipient, Timestamp};
use serde_json::json;
use vk_callback::Callback;

use crate::{Checks, GROUP, SECRET, heading};

pub(crate) async fn end_to_end(checks: &mut Checks) -> Result<(), String> {
    heading("end to end: two domains at once (the integration-tests bridges)");
    let (registry, collector, buffer) = registry(true).await?;
    let registry = Arc::new(registry);
    let bridge = Bridge::new(Arc::clone(&registry), vec!["usrAdmin".into()]);
    let callback = bridge.install(Callback::builder().secret(SECRET)).build();
    let server = VkServer::start(callback).await?;
    let event = envelope(
        "message_new",
        GROUP,
        "evt-42",
        SECRET,
        message_new(42, 1001, "Привет, msgkit!", 1_700_000_300),
    );
    let first = server.post(&event, 0).await?;
    let retry = server.post(&event, 1).await?;
    server.stop().await?;
    registry.stop(Duration::from_secs(2)).await;
    let mut expected = Receipt::new(Payload::new(
        Action::Msg,
        &topic(GROUP, 1001),
        "vk1001",
        Timestamp::from_unix(1_700_000_300, 0).map_err(|e| e.to_string())?,
    ));
    expected.payload.seq = 42;
    expected.payload.mime = "text/plain".into();
    expected.payload.content = Some(json!("Привет, msgkit!"));
    expected.to.insert("usrAdmin".into(), Recipient::default());
    let collected: Vec<Receipt> = collector.receipts().iter().map(|r| (**r).clone()).collect();
    let ok = first.status == 200
        && retry.status == 200
        && collected == [expected.clone()]
        && buffer.receipts()? == [expected.clone()]
        && bridge.counts().pushed == 1;
    println!(
        "VK posted evt-42 twice (answers {} {:?}, {} {:?}) -> bridge handled {} message -> Registry -> \
         {} receipt at the collector, {} line on push-stdout: {} topic {}, from {}, seq {}, {} -> {}",
        first.status,
        first.body,
        retry.status,
        retry.body,
        bridge.counts().messages,
        collected.len(),
        buffer.receipts()?.len(),
        expected.payload.what.as_str(),
        expected.payload.topic,
        expected.payload.from,
        expected.payload.seq,
        expected.payload.content.as_ref().map_or_else(String::new, ToString::to_string),
        if ok { "OK" } else { "FAILED" },
    );
    checks.check("end to end: one receipt equal to the event's, on both handlers", ok);
    Ok(())
}

/// Telegram -> push, on its own paused runtime (the updates scenario's
/// figures depend on the virtual clock).
pub(crate) fn telegram(checks: &mut Checks) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .map_err(|e| e.to_string());
    let result = runtime.and_then(|runtime| runtime.block_on(telegram_to_push(checks)));
    if let Err(e) = result {
        checks.check(format!("end to end (Telegram): {e}"), false);
    }
}

async fn telegram_to_push(checks: &mut Checks) -> Result<(), String> {
    let (registry, collector) = collector_registry(true, 100_000).await?;
    let registry = Arc::new(registry);
    let to_push = TelegramToPush::new(Arc::clone(&registry), vec!["usrMe".into()]);
    let scenario = LossyScenario {
        seed: 42,
        containers: 500,
        channels: 10,
        restart_after: Some(250),
        downtime: 20,
        ..LossyScenario::default()
    };
    let report = run_lossy_then(scenario, Some(to_push.clone())).await?;
    registry.stop(Duration::from_secs(5)).await;
    let counts = to_push.counts();
    let receipts = collector.receipts();
    let eids: std::collections::BTreeSet<i64> = receipts
        .iter()
        .filter_map(|r| r.payload.content.as_ref().and_then(|c| c["eid"].as_i64()))
        .collect();
    let twice = receipts.len() - eids.len();
    let ok = report.problems().is_empty()
        && counts.pushed == counts.messages
        && receipts.len() as u64 == counts.messages
        && twice == 0;
    println!(
        "Telegram: {} containers ({} dropped, {} duplicated, a restart missing {}) -> the manager \
         delivered {} new messages -> Registry -> {} receipts at the collector, {} pushed twice -> {}",
        report.network.generated,
        report.network.dropped,
        report.network.duplicated,
        report.network.missed_while_down,
        counts.messages,
        receipts.len(),
        twice,
        if ok { "OK" } else { "FAILED" },
    );
    checks.check("end to end (Telegram): one receipt per delivered message", ok);
    Ok(())
}
