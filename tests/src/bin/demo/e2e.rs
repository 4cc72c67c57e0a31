//! The end-to-end line: a VK `message_new` becomes a push receipt through
//! the integration crate's bridge, checked on both push handlers.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::bridge::{Bridge, topic};
use integration_tests::push::registry;
use integration_tests::vk::{VkServer, envelope, message_new};
use push_core::{Action, Payload, Receipt, Recipient, Timestamp};
use serde_json::json;
use vk_callback::Callback;

use crate::{Checks, GROUP, SECRET, heading};

pub(crate) async fn end_to_end(checks: &mut Checks) -> Result<(), String> {
    heading("end to end: VK message_new -> push receipt (integration-tests bridge)");
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
