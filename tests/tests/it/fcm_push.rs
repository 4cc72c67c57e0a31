//! push-fcm next to push-stdout in both compositions: a VK message through
//! the bridge, and Telegram messages the updates manager delivers over a
//! lossy network, reach the loopback fake FCM once per live device; dead
//! tokens are removed on their first push; every device push has exactly
//! one outcome.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use integration_tests::bridge::Bridge;
use integration_tests::push_fcm::{DemoDevice, fcm_registry};
use integration_tests::telegram_push::TelegramToPush;
use integration_tests::updates::{LossyScenario, run_lossy_then};
use integration_tests::vk::{VkServer, envelope, message_new};
use push_fcm::Outcome;
use vk_callback::Callback;

const SECRET: &str = "s3cr3t";

fn device(
    user: &'static str,
    token: &'static str,
    platform: &'static str,
    dead: bool,
) -> DemoDevice {
    DemoDevice { user, token, platform, dead }
}

#[tokio::test]
async fn a_vk_message_reaches_stdout_and_fcm_and_the_dead_token_goes() {
    let devices = [
        device("usrAdmin", "admin-android", "android", false),
        device("usrAdmin", "admin-old-iphone", "ios", true),
        device("usrAdmin", "admin-browser", "web", false),
    ];
    let rig = fcm_registry(&devices, 64).await.expect("rig");
    let registry = Arc::clone(&rig.registry);
    let bridge = Bridge::new(Arc::clone(&registry), vec!["usrAdmin".into()]);
    let server = VkServer::start(bridge.install(Callback::builder().secret(SECRET)).build())
        .await
        .expect("vk");
    let event = envelope(
        "message_new",
        1,
        "evt-7",
        SECRET,
        message_new(7, 1001, "hello fcm", 1_700_000_000),
    );
    assert_eq!(server.post(&event, 0).await.expect("post").status, 200);
    server.stop().await.expect("stop");
    registry.stop(Duration::from_secs(5)).await;

    assert_eq!(rig.buffer.receipts().expect("stdout lines").len(), 1, "push-stdout got it");
    let sends = rig.fake.sends();
    let mut tokens: Vec<&str> = sends.iter().filter_map(|s| s.token.as_deref()).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, ["admin-android", "admin-browser", "admin-old-iphone"]);
    assert!(sends.iter().all(|s| s.message["data"]["content"] == "hello fcm"));
    let outcomes: BTreeMap<String, Outcome> =
        rig.outcomes().into_iter().map(|r| (r.target, r.outcome)).collect();
    assert_eq!(outcomes["admin-old-iphone"], Outcome::TokenRemoved);
    assert_eq!(outcomes["admin-android"], Outcome::Delivered);
    assert_eq!(outcomes.len(), 3, "one outcome per device");
    assert_eq!(rig.tokens("usrAdmin").await.expect("tokens"), ["admin-android", "admin-browser"]);
}

#[tokio::test(start_paused = true)]
async fn telegram_messages_reach_fcm_once_per_live_device() {
    let devices = [
        device("usrMe", "me-android", "android", false),
        device("usrMe", "me-stale", "android", true),
    ];
    let rig = fcm_registry(&devices, 100_000).await.expect("rig");
    let registry = Arc::clone(&rig.registry);
    let to_push = TelegramToPush::new(Arc::clone(&registry), vec!["usrMe".into()]);
    let scenario =
        LossyScenario { seed: 7, containers: 60, channels: 4, ..LossyScenario::default() };
    let report = run_lossy_then(scenario, Some(to_push.clone())).await.expect("scenario");
    assert!(report.problems().is_empty(), "{:?}", report.problems());
    registry.stop(Duration::from_secs(30)).await;

    let messages = to_push.counts().messages;
    assert!(messages > 10, "{messages}");
    let sends = rig.fake.sends();
    let to =
        |token: &str| sends.iter().filter(|s| s.token.as_deref() == Some(token)).count() as u64;
    assert_eq!(to("me-android"), messages, "each message once to the live device");
    // Receipts are sent side by side: the dead token is tried by the
    // receipts that read the store before its first answer came back (at
    // most the first `concurrency`), then never again.
    let stale = to("me-stale");
    assert!((1..=64).contains(&stale), "the dead token is tried {stale} times");
    let last_stale =
        sends.iter().rposition(|s| s.token.as_deref() == Some("me-stale")).expect("a stale send");
    assert!(last_stale < 64 * 2, "no stale send after the first receipts: {last_stale}");
    assert_eq!(rig.buffer.receipts().expect("stdout lines").len() as u64, messages);
    let totals = rig.fcm.outcomes();
    assert_eq!(
        (totals.delivered, totals.token_removed, totals.total()),
        (messages, stale, messages + stale)
    );
    assert_eq!(rig.tokens("usrMe").await.expect("tokens"), ["me-android"]);
}
