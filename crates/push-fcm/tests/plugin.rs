//! `FcmHandler` end to end against the fake: receipt → messages exactly
//! as Tinode builds them (data keys per action, platform blocks per
//! device, silent and badge rules, p2p rewrite, skipped devices, calls,
//! trimming to 128 characters and to FCM's size limit, the channel topic
//! message), dead-token removal, dry run, and channel requests as topic
//! batches.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use push_core::{
    Action, ChannelReq, ChannelTarget, Device, DeviceStore, Handler, MemoryDeviceStore, Payload,
    Platform, Receipt, Recipient, Timestamp,
};
use push_fcm::testkit::{FakeFcm, SentMessage, service_account_json};
use push_fcm::{BoxError, FcmHandler, Message, Outcome, OutcomeRecord, UserChannels};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Rig {
    fake: FakeFcm,
    store: Arc<MemoryDeviceStore>,
    handler: FcmHandler,
    records: Arc<Mutex<Vec<OutcomeRecord>>>,
}

fn config(fake: &FakeFcm, extra: Value) -> Value {
    let credentials: Value =
        serde_json::from_str(&service_account_json(fake.token_url())).unwrap_or_default();
    let mut config = json!({
        "enabled": true,
        "credentials": credentials,
        "fcm_base_url": fake.base_url(),
        "iid_base_url": fake.base_url(),
        "http_version": "http2",
        "apns_bundle_id": "co.msgkit.app",
        "android": {"enabled": true, "title": "New message", "body": "$content", "icon": "ic",
                    "sub": {"title": "New chat", "body": "You were invited"}},
        "apns": {"enabled": true, "title": "New message", "body": "$content"},
        "webpush": {"enabled": true},
    });
    if let (Some(base), Value::Object(more)) = (config.as_object_mut(), extra) {
        base.extend(more);
    }
    config
}

async fn device(store: &MemoryDeviceStore, user: &str, token: &str, platform: &str) -> TestResult {
    let device = Device {
        token: token.into(),
        platform: Platform::from(platform),
        last_seen: Timestamp::UNIX_EPOCH,
        lang: String::new(),
    };
    Ok(store.update(user, None, device).await?)
}

async fn rig(extra: Value) -> Result<Rig, Box<dyn std::error::Error>> {
    let fake = FakeFcm::start().await?;
    let store = Arc::new(MemoryDeviceStore::new());
    for (token, platform) in [
        ("bob-android", "android"),
        ("bob-ios", "ios"),
        ("bob-web", "web"),
        ("bob-none", ""),
        ("bob-odd", "blackberry"),
    ] {
        device(&store, "usrBob", token, platform).await?;
    }
    device(&store, "usrCarol", "carol-ios", "ios").await?;
    let records = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&records);
    let handler = FcmHandler::new(Arc::clone(&store) as Arc<dyn DeviceStore>)
        .with_outcome_callback(Arc::new(move |r| {
            sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r.clone());
        }));
    assert!(handler.init(&config(&fake, extra)).await?);
    Ok(Rig { fake, store, handler, records })
}

impl Rig {
    async fn deliver(&self, receipt: Receipt) -> Vec<SentMessage> {
        let before = self.fake.sends().len();
        let accepted = self.handler.push(&Arc::new(receipt));
        assert!(accepted.is_accepted());
        let target = self.handler.counters().accepted;
        for _ in 0..2000 {
            let c = self.handler.counters();
            if c.delivered + c.failed == target {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.fake.sends().split_off(before)
    }
}

fn ts() -> Timestamp {
    Timestamp::from_unix_millis(1_704_164_645_678).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn msg(topic: &str, content: Value) -> Receipt {
    let mut payload = Payload::new(Action::Msg, topic, "usrAlice", ts());
    payload.seq = 7;
    payload.mime = "text/x-drafty".into();
    payload.content = Some(content);
    let mut receipt = Receipt::new(payload);
    receipt.to.insert("usrBob".into(), Recipient { delivered: 0, devices: vec![], unread: 5 });
    receipt
}

fn by_token<'a>(sends: &'a [SentMessage], token: &str) -> &'a Value {
    let found = sends.iter().find(|s| s.token.as_deref() == Some(token));
    found.map(|s| &s.message).unwrap_or(&Value::Null)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[tokio::test]
async fn a_message_becomes_tinode_data_and_platform_blocks_per_device() -> TestResult {
    let rig = rig(json!({})).await?;
    let drafty = json!({"txt": "hello world", "fmt": [{"at": 0, "len": 5, "tp": "ST"}, {"at": 6, "len": 1, "key": 0}], "ent": [{"tp": "MN"}]});
    let sends = rig.deliver(msg("grpX", drafty)).await;
    assert_eq!(sends.len(), 5, "one message per device of usrBob");
    let data = json!({
        "what": "msg", "topic": "grpX", "ts": "2024-01-02T03:04:05.678Z", "xfrom": "usrAlice",
        "seq": "7", "mime": "text/x-drafty", "content": "hello world",
        // Tinode's Go Drafty struct marshals `txt` before `fmt`.
        "rc": r#"{"txt":"hello world","fmt":[{"at":0,"len":5,"tp":"ST"}]}"#,
    });
    let android = by_token(&sends, "bob-android");
    assert_eq!(android["data"], data);
    assert_eq!(
        android["android"],
        json!({
            "priority": "high", "ttl": "3600s",
            "notification": {"title": "New message", "body": "hello world", "icon": "ic", "tag": "grpX",
                             "notification_priority": "PRIORITY_HIGH", "visibility": "PRIVATE"}
        })
    );
    assert!(android.get("apns").is_none() && android.get("webpush").is_none());
    let ios = by_token(&sends, "bob-ios");
    assert_eq!(ios["data"], data);
    let headers = &ios["apns"]["headers"];
    assert_eq!(
        (headers["apns-priority"].as_str(), headers["apns-push-type"].as_str()),
        (Some("10"), Some("alert"))
    );
    assert_eq!(
        (headers["apns-collapse-id"].as_str(), headers["apns-topic"].as_str()),
        (Some("grpX"), Some("co.msgkit.app"))
    );
    let expires: u64 = headers["apns-expiration"].as_str().unwrap_or("0").parse()?;
    assert!(expires.abs_diff(now() + 3600) < 60, "expiry = now + time_to_live");
    assert_eq!(
        ios["apns"]["payload"],
        json!({"aps": {
            "alert": {"title": "New message", "body": "hello world"}, "badge": 5, "sound": "default",
            "content-available": 1, "mutable-content": 1, "thread-id": "grpX", "interruption-level": "time-sensitive"
        }})
    );
    assert_eq!(by_token(&sends, "bob-web")["webpush"], json!({}));
    for token in ["bob-none", "bob-odd"] {
        let bare = by_token(&sends, token);
        assert_eq!(
            bare.as_object().map(|o| o.len()),
            Some(2),
            "{token}: token and data only: {bare}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn read_and_sub_pushes_follow_their_own_rules() -> TestResult {
    let rig = rig(json!({"webpush": {"enabled": false}})).await?;
    let mut read =
        Receipt::new(Payload { seq: 9, ..Payload::new(Action::Read, "grpX", "usrBob", ts()) });
    read.to.insert("usrBob".into(), Recipient { delivered: 1, devices: vec![], unread: 0 });
    let sends = rig.deliver(read).await;
    let android = by_token(&sends, "bob-android");
    assert_eq!(
        android["data"],
        json!({"what": "read", "topic": "grpX", "ts": "2024-01-02T03:04:05.678Z", "xfrom": "usrBob", "seq": "9", "silent": "true"})
    );
    assert_eq!(
        android["android"],
        json!({"priority": "normal", "ttl": "3600s"}),
        "no notification for read"
    );
    let ios = by_token(&sends, "bob-ios");
    assert_eq!(ios["apns"]["headers"]["apns-priority"], "5");
    assert_eq!(ios["apns"]["headers"]["apns-push-type"], "background");
    let aps = &ios["apns"]["payload"]["aps"];
    assert_eq!(aps["interruption-level"], "passive");
    assert!(
        aps.get("alert").is_none() && aps.get("badge").is_none(),
        "no alert, badge 0 omitted: {aps}"
    );
    assert!(by_token(&sends, "bob-web").get("webpush").is_none(), "webpush disabled");

    let mut sub = Receipt::new(Payload {
        want: "JRWPS".into(),
        given: "JRWP".into(),
        ..Payload::new(Action::Sub, "grpY", "usrAlice", ts())
    });
    sub.to.insert("usrBob".into(), Recipient { delivered: 0, devices: vec![], unread: 3 });
    let sends = rig.deliver(sub).await;
    let android = by_token(&sends, "bob-android");
    assert_eq!(android["data"]["modeWant"], "JRWPS");
    assert_eq!(android["data"]["modeGiven"], "JRWP");
    assert!(android["data"].get("seq").is_none() && android["data"].get("silent").is_none());
    let note = &android["android"]["notification"];
    assert_eq!(
        (note["title"].as_str(), note["body"].as_str()),
        (Some("New chat"), Some("You were invited")),
        "the sub override"
    );
    Ok(())
}

#[tokio::test]
async fn live_sessions_silence_only_their_user_and_listed_devices_are_skipped() -> TestResult {
    let rig = rig(json!({})).await?;
    let mut receipt = msg("grpX", json!("hi"));
    receipt.to.insert(
        "usrBob".into(),
        Recipient { delivered: 2, devices: vec!["bob-web".into(), "bob-none".into()], unread: 1 },
    );
    receipt.to.insert("usrCarol".into(), Recipient { delivered: 0, devices: vec![], unread: 4 });
    let sends = rig.deliver(receipt).await;
    let mut tokens: Vec<&str> = sends.iter().filter_map(|s| s.token.as_deref()).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, ["bob-android", "bob-ios", "bob-odd", "carol-ios"]);
    assert_eq!(by_token(&sends, "bob-ios")["data"]["silent"], "true");
    assert!(
        by_token(&sends, "bob-ios")["apns"]["payload"]["aps"].get("alert").is_none(),
        "silent: no alert"
    );
    let carol = by_token(&sends, "carol-ios");
    assert!(carol["data"].get("silent").is_none(), "carol has no live session");
    assert_eq!(carol["apns"]["payload"]["aps"]["badge"], 4);
    assert_eq!(carol["apns"]["payload"]["aps"]["alert"]["body"], "hi");
    Ok(())
}

#[tokio::test]
async fn p2p_topics_are_rewritten_to_the_other_party() -> TestResult {
    let rig = rig(json!({})).await?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (alice, bob) = ([1u8, 2, 3, 4, 5, 6, 7, 8], [9u8, 10, 11, 12, 13, 14, 15, 16]);
    let (alice_id, bob_id) =
        (format!("usr{}", b64.encode(alice)), format!("usr{}", b64.encode(bob)));
    let topic = format!("p2p{}", b64.encode([alice, bob].concat()));
    device(&rig.store, &alice_id, "alice-android", "android").await?;
    device(&rig.store, &bob_id, "bob2-android", "android").await?;
    let mut receipt = msg(&topic, json!("yo"));
    receipt.payload.from = alice_id.clone();
    receipt.to.clear();
    receipt.to.insert(alice_id.clone(), Recipient { delivered: 1, ..Recipient::default() });
    receipt.to.insert(bob_id.clone(), Recipient::default());
    let sends = rig.deliver(receipt).await;
    assert_eq!(by_token(&sends, "bob2-android")["data"]["topic"], alice_id.as_str());
    assert_eq!(by_token(&sends, "alice-android")["data"]["topic"], bob_id.as_str());
    assert_eq!(by_token(&sends, "alice-android")["data"]["silent"], "true");
    assert_eq!(by_token(&sends, "bob2-android")["android"]["notification"]["tag"], topic.as_str());
    Ok(())
}

#[tokio::test]
async fn calls_and_edits_are_silent_with_their_own_android_and_apns_settings() -> TestResult {
    let rig = rig(json!({"time_to_live": 600})).await?;
    let mut call = msg("grpX", json!("call"));
    call.payload.webrtc = "started".into();
    call.payload.aonly = true;
    let sends = rig.deliver(call).await;
    let android = by_token(&sends, "bob-android");
    assert_eq!(
        (
            android["data"]["webrtc"].as_str(),
            android["data"]["aonly"].as_str(),
            android["data"]["silent"].as_str()
        ),
        (Some("started"), Some("true"), Some("true"))
    );
    assert_eq!(android["android"]["ttl"], "0s");
    assert_eq!(android["android"]["notification"]["notification_priority"], "PRIORITY_MAX");
    let ios = by_token(&sends, "bob-ios");
    assert_eq!(ios["apns"]["payload"]["aps"]["interruption-level"], "critical");
    assert!(ios["apns"]["payload"]["aps"].get("alert").is_none());
    let expires: u64 = ios["apns"]["headers"]["apns-expiration"].as_str().unwrap_or("0").parse()?;
    assert!(expires.abs_diff(now() + 10) < 60, "a started call expires in 10 s");
    let mut edit = msg("grpX", json!("fixed"));
    edit.payload.replace = ":5".into();
    let sends = rig.deliver(edit).await;
    let android = by_token(&sends, "bob-android");
    assert_eq!(
        (android["data"]["replace"].as_str(), android["data"]["silent"].as_str()),
        (Some(":5"), Some("true"))
    );
    assert_eq!(android["android"]["ttl"], "600s", "the configured time_to_live");
    Ok(())
}

#[tokio::test]
async fn previews_are_trimmed_and_messages_fit_fcm_limits() -> TestResult {
    let rig = rig(json!({})).await?;
    let long = "ж".repeat(200);
    let sends = rig.deliver(msg("grpX", json!(long))).await;
    let content =
        by_token(&sends, "bob-android")["data"]["content"].as_str().unwrap_or("").to_owned();
    assert_eq!(content, format!("{}…", "ж".repeat(128)));
    // A huge configured title leaves little room: the preview shrinks, the push still goes.
    let title = "T".repeat(3300);
    let tight =
        crate::rig(json!({"android": {"enabled": true, "title": title, "body": "$content"}}))
            .await?;
    let sends = tight.deliver(msg("grpX", json!("€".repeat(300)))).await;
    let android = by_token(&sends, "bob-android");
    let message: Message = serde_json::from_value(android.clone())?;
    assert!(message.wire_size() <= push_fcm::MAX_PAYLOAD_BYTES, "{}", message.wire_size());
    let content = android["data"]["content"].as_str().unwrap_or("");
    assert!(content.ends_with('…') && content.chars().count() < 100, "shortened: {content}");
    assert_eq!(android["android"]["notification"]["body"].as_str(), Some(content));
    assert_eq!(tight.handler.counters().failed, 0, "never refused for its size");
    Ok(())
}

#[tokio::test]
async fn a_channel_receipt_is_one_topic_message_without_xfrom() -> TestResult {
    let rig = rig(json!({})).await?;
    let mut receipt = msg("grpX", json!("news"));
    receipt.to.clear();
    receipt.channel = "chnX".into();
    let sends = rig.deliver(receipt).await;
    assert_eq!(sends.len(), 1);
    let message = &sends[0].message;
    assert_eq!(message["topic"], "chnX");
    assert_eq!(message["data"]["topic"], "chnX");
    assert!(message["data"].get("xfrom").is_none());
    assert!(
        message.get("android").is_some()
            && message.get("apns").is_some()
            && message.get("webpush").is_none()
    );
    assert!(message["apns"]["payload"]["aps"].get("badge").is_none(), "badge 0 omitted");
    let records = rig.records.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].owner, push_fcm::Owner::Channel("chnX".into()));
    Ok(())
}

#[tokio::test]
async fn dead_tokens_are_removed_and_every_device_has_one_outcome() -> TestResult {
    let rig = rig(json!({"dry_run": true})).await?;
    rig.fake.kill_token("bob-ios");
    rig.fake.script("bob-web", [push_fcm::testkit::Reply::invalid_argument("message.token")]);
    rig.fake
        .script("bob-none", [push_fcm::testkit::Reply::invalid_argument("message.data[2].value")]);
    let sends = rig.deliver(msg("grpX", json!("x"))).await;
    assert!(sends.iter().all(|s| s.validate_only), "dry_run sends validate_only");
    let left: Vec<String> = rig
        .store
        .get_all(&["usrBob"])
        .await?
        .remove("usrBob")
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.token)
        .collect();
    assert_eq!(left, ["bob-android", "bob-none", "bob-odd"]);
    let outcomes = rig.handler.outcomes();
    assert_eq!(
        (outcomes.delivered, outcomes.token_removed, outcomes.permanent_failure, outcomes.total()),
        (2, 2, 1, 5)
    );
    let records = rig.records.lock().map(|r| r.clone()).unwrap_or_default();
    let removed: Vec<&str> = records
        .iter()
        .filter(|r| r.outcome == Outcome::TokenRemoved)
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(removed.len(), 2);
    assert!(removed.contains(&"bob-ios") && removed.contains(&"bob-web"));
    assert_eq!(
        rig.handler.counters().failed,
        1,
        "the receipt with a permanent failure counts as failed"
    );
    rig.handler.stop(Duration::from_secs(1)).await;
    Ok(())
}

struct Channels;

#[async_trait::async_trait]
impl UserChannels for Channels {
    async fn channels(&self, _uid: &str) -> Result<Vec<String>, BoxError> {
        Ok(vec!["chnA".into(), "chnB".into()])
    }
}

#[tokio::test]
async fn channel_requests_become_topic_batches() -> TestResult {
    let fake = FakeFcm::start().await?;
    let store = Arc::new(MemoryDeviceStore::new());
    device(&store, "usrBob", "t1", "android").await?;
    device(&store, "usrBob", "t2", "ios").await?;
    let with_lookup = FcmHandler::new(Arc::clone(&store) as Arc<dyn DeviceStore>)
        .with_user_channels(Arc::new(Channels));
    assert!(with_lookup.init(&config(&fake, json!({}))).await?);
    let requests = [
        ChannelReq::new("usrBob", ChannelTarget::Channel("chnX".into()), false)?,
        ChannelReq::new("usrBob", ChannelTarget::Channel("/topics/chnX".into()), true)?,
        ChannelReq::new("usrBob", ChannelTarget::Device("t9".into()), false)?,
    ];
    for req in requests {
        assert!(with_lookup.channel(&Arc::new(req)).is_accepted());
    }
    with_lookup.stop(Duration::from_secs(5)).await;
    assert_eq!(with_lookup.counters().delivered, 3);
    let calls: Vec<(String, String, Vec<String>)> =
        fake.topic_calls().into_iter().map(|c| (c.operation, c.to, c.tokens)).collect();
    let owned = |op: &str, to: &str, tokens: &[&str]| {
        (op.to_owned(), to.to_owned(), tokens.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
    };
    assert_eq!(
        calls,
        [
            owned("batchAdd", "/topics/chnX", &["t1", "t2"]),
            owned("batchRemove", "/topics/chnX", &["t1", "t2"]),
            owned("batchAdd", "/topics/chnA", &["t9"]),
            owned("batchAdd", "/topics/chnB", &["t9"]),
        ]
    );
    // Without a lookup, a device-wide request fails, counted.
    let without = FcmHandler::new(store as Arc<dyn DeviceStore>);
    assert!(without.init(&config(&fake, json!({}))).await?);
    let req = ChannelReq::new("usrBob", ChannelTarget::Device("t9".into()), true)?;
    assert!(without.channel(&Arc::new(req)).is_accepted());
    without.stop(Duration::from_secs(5)).await;
    assert_eq!((without.counters().failed, without.counters().delivered), (1, 0));
    Ok(())
}

#[tokio::test]
async fn credentials_can_come_from_a_file_and_the_token_uri_can_be_overridden() -> TestResult {
    let fake = FakeFcm::start().await?;
    let path = std::env::temp_dir().join(format!("msgkit-fcm-key-{}.json", std::process::id()));
    std::fs::write(&path, service_account_json("https://oauth2.googleapis.com/token"))?;
    let store = Arc::new(MemoryDeviceStore::new());
    device(&store, "usrBob", "t1", "android").await?;
    let handler = FcmHandler::new(store as Arc<dyn DeviceStore>);
    let mut config = config(
        &fake,
        json!({"credentials_file": path.display().to_string(), "token_uri": fake.token_url()}),
    );
    config.as_object_mut().map(|o| o.remove("credentials"));
    assert!(handler.init(&config).await?);
    assert!(handler.push(&Arc::new(msg("grpX", json!("x")))).is_accepted());
    handler.stop(Duration::from_secs(5)).await;
    std::fs::remove_file(&path)?;
    assert_eq!(handler.counters().delivered, 1);
    assert_eq!(
        fake.token_requests()[0].jwt_claims.as_ref().map(|c| c["aud"].clone()),
        Some(json!(fake.token_url()))
    );
    Ok(())
}

#[tokio::test]
async fn single_device_receipts_keep_concurrency_requests_in_flight_and_no_more() -> TestResult {
    const CONCURRENCY: usize = 8;
    const RECEIPTS: usize = 40;
    let rig = rig(json!({"concurrency": CONCURRENCY, "buffer": RECEIPTS})).await?;
    for n in 0..RECEIPTS {
        device(&rig.store, &format!("usrR{n}"), &format!("tok-{n}"), "android").await?;
    }
    rig.fake.hold();
    for n in 0..RECEIPTS {
        let mut receipt = msg("grpChat", json!(format!("message {n}")));
        receipt.to.clear();
        receipt
            .to
            .insert(format!("usrR{n}"), Recipient { delivered: 0, devices: vec![], unread: 1 });
        assert!(rig.handler.push(&Arc::new(receipt)).is_accepted(), "receipt {n} queued");
    }
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while rig.fake.started() < CONCURRENCY {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "only {} requests in flight", rig.fake.started());
    // Held: nothing answers, so more requests would only mean more slots.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rig.fake.started(), CONCURRENCY, "in flight while the server holds answers");
    assert_eq!(rig.fake.completed(), 0);
    assert_eq!(rig.handler.counters().delivered, 0, "no receipt ends before its message");
    rig.fake.release();
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while rig.handler.counters().delivered < RECEIPTS as u64 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "delivered: {:?}", rig.handler.counters());
    rig.handler.stop(Duration::from_secs(5)).await;
    assert_eq!(rig.fake.started(), RECEIPTS, "one request per receipt, none repeated");
    let records = rig.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let mut seen: Vec<(u64, String)> =
        records.iter().map(|r| (r.receipt, r.target.clone())).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), RECEIPTS, "one record per (receipt, device)");
    assert_eq!(records.len(), RECEIPTS, "and no second one");
    assert!(records.iter().all(|r| r.outcome == Outcome::Delivered && r.attempts == 1));
    assert_eq!(rig.handler.outcomes().delivered, RECEIPTS as u64);
    let counters = rig.handler.counters();
    assert_eq!((counters.accepted, counters.delivered, counters.abandoned), (40, 40, 0));
    Ok(())
}

#[tokio::test]
async fn stop_abandons_queued_and_in_flight_receipts_and_counts_them() -> TestResult {
    let rig = rig(json!({"concurrency": 4, "buffer": 32})).await?;
    for n in 0..20 {
        device(&rig.store, &format!("usrS{n}"), &format!("stok-{n}"), "android").await?;
    }
    rig.fake.hold();
    for n in 0..20 {
        let mut receipt = msg("grpChat", json!(format!("message {n}")));
        receipt.to.clear();
        receipt
            .to
            .insert(format!("usrS{n}"), Recipient { delivered: 0, devices: vec![], unread: 1 });
        assert!(rig.handler.push(&Arc::new(receipt)).is_accepted());
    }
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while rig.fake.started() < 4 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok());
    rig.handler.stop(Duration::from_millis(50)).await;
    let counters = rig.handler.counters();
    assert_eq!((counters.accepted, counters.delivered, counters.abandoned), (20, 0, 20));
    let outcomes = rig.handler.outcomes();
    // The 4 in flight and every message of a receipt the worker had taken
    // end abandoned, once each; receipts still in the mailbox queue never
    // became messages (the mailbox counts them).
    assert_eq!(outcomes.total(), outcomes.abandoned);
    assert!(outcomes.abandoned >= 4, "{outcomes:?}");
    let records = rig.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let mut seen: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), records.len(), "one record per device");
    let completed = rig.fake.completed();
    rig.fake.release();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(rig.fake.completed(), completed, "nothing answered after stop");
    Ok(())
}
