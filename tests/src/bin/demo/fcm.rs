//! The push-fcm section: the push section's receipts, then a VK message
//! through the bridge, pushed to push-stdout and to push-fcm against the
//! loopback fake FCM (h2c, JWT-bearer token from the test key); a few
//! devices are dead tokens. Prints one outcome per device push and the
//! tokens removed.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::Table;
use integration_tests::bridge::Bridge;
use integration_tests::push_fcm::{DemoDevice, fcm_registry};
use integration_tests::vk::{VkServer, envelope, message_new};
use push_fcm::{Outcome, Owner};
use vk_callback::Callback;

use crate::{Checks, GROUP, SECRET, heading};

const DEVICES: [DemoDevice; 7] = [
    DemoDevice { user: "usrBob", token: "bob-pixel", platform: "android", dead: false },
    DemoDevice { user: "usrBob", token: "bob-old-iphone", platform: "ios", dead: true },
    DemoDevice { user: "usrCarol", token: "carol-iphone", platform: "ios", dead: false },
    DemoDevice { user: "usrDave", token: "dave-browser", platform: "web", dead: true },
    DemoDevice { user: "usrDave", token: "dave-phone", platform: "android", dead: false },
    DemoDevice { user: "usrAdmin", token: "admin-tablet", platform: "android", dead: false },
    DemoDevice { user: "usrAdmin", token: "admin-old-phone", platform: "android", dead: true },
];

pub(crate) async fn fcm(checks: &mut Checks) -> Result<(), String> {
    heading("push-fcm: stdout and FCM side by side (loopback fake FCM, 3 dead tokens)");
    let rig = fcm_registry(&DEVICES, 64).await?;
    for receipt in crate::push::receipts()? {
        let accepted = rig.registry.push(receipt);
        checks.check("push-fcm: both handlers take each receipt", accepted == 2);
    }
    let bridge = Bridge::new(Arc::clone(&rig.registry), vec!["usrAdmin".into()]);
    let server =
        VkServer::start(bridge.install(Callback::builder().secret(SECRET)).build()).await?;
    let event = envelope(
        "message_new",
        GROUP,
        "evt-77",
        SECRET,
        message_new(77, 1001, "deploy done", 1_700_000_400),
    );
    let answer = server.post(&event, 0).await?;
    server.stop().await?;
    checks.check("push-fcm: VK answered ok", answer.status == 200);
    rig.registry.stop(Duration::from_secs(5)).await;

    let mut table = Table::new(
        "one outcome per device push (receipt 1-3: msg, sub, read; 4: the VK message)",
        &["receipt", "user", "device token", "outcome", "attempts"],
    );
    let outcomes = rig.outcomes();
    for record in &outcomes {
        let user = match &record.owner {
            Owner::User(user) | Owner::Channel(user) => user.clone(),
        };
        table.row([
            record.receipt.to_string(),
            user,
            record.target.clone(),
            record.outcome.to_string(),
            record.attempts.to_string(),
        ]);
    }
    println!("{table}");
    let removed: Vec<&str> = outcomes
        .iter()
        .filter(|r| r.outcome == Outcome::TokenRemoved)
        .map(|r| r.target.as_str())
        .collect();
    println!("tokens removed from the device store: {}", removed.join(", "));
    let totals = rig.fcm.outcomes();
    println!(
        "push-fcm outcomes: {} delivered, {} token removed, {} failed; {} access token request(s); \
         push-stdout wrote {} line(s)",
        totals.delivered,
        totals.token_removed,
        totals.permanent_failure + totals.failed_after_retries + totals.abandoned,
        rig.fake.token_requests().len(),
        rig.buffer.text().lines().count(),
    );
    // msg: Bob 2 + Carol 1; sub: Dave 2; read: Bob 1, or 2 when the read
    // receipt read the store before the msg's send to his old iPhone came
    // back dead (receipts are sent side by side); VK: Admin 2.
    checks.check("push-fcm: 8 or 9 device pushes", (8..=9).contains(&outcomes.len()));
    checks.check(
        "push-fcm: every device push has one outcome",
        totals.total() == outcomes.len() as u64,
    );
    let mut distinct = removed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    checks.check("push-fcm: the 3 dead tokens were removed", distinct.len() == 3);
    checks.check(
        "push-fcm: nothing failed",
        totals.delivered + totals.token_removed == totals.total(),
    );
    checks.check("push-fcm: one access token for everything", rig.fake.token_requests().len() == 1);
    let mut left = Vec::new();
    for user in ["usrAdmin", "usrBob", "usrCarol", "usrDave"] {
        left.extend(rig.tokens(user).await?);
    }
    checks.check(
        "push-fcm: only live tokens remain",
        left == ["admin-tablet", "bob-pixel", "carol-iphone", "dave-phone"],
    );
    checks.check("push-fcm: push-stdout wrote all 4 receipts", rig.buffer.receipts()?.len() == 4);
    Ok(())
}
