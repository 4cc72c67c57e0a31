//! Receipt → FCM messages, as Tinode's `payloadToData` and
//! `PrepareV1Notifications` do (research push.md §4.3–§4.4): the data map
//! with Tinode's keys, one message per device token of each recipient
//! (tokens in `Recipient.devices` skipped), silent for users with live
//! sessions, the p2p topic rewritten to the other party, the platform
//! block per device (Android, APNs with badge = unread, web push when
//! enabled), one topic message for a channel; previews trimmed to 128
//! characters and shortened further until the message fits FCM's 4096
//! bytes (2048 for a channel topic message) — a push is never refused for its size.
//!
//! Differences from Tinode, on purpose: `content` is the Drafty `txt` (or
//! the plain string), not Tinode's full plain-text rendering of
//! attachments and mentions; `rc` is that preview as a Drafty document
//! (`txt` and the `fmt` spans inside it; entities dropped); an empty
//! `apns_bundle_id` sends no `apns-topic` header. It does no I/O.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use push_core::{Action, Device, MAX_PAYLOAD_CHARS, Payload, Platform, Receipt};
use serde_json::Value;

use super::config::{FcmConfig, texts_for};
use crate::dispatch::Job;
use crate::message::{
    AndroidConfig, AndroidNotification, AndroidPriority, ApnsConfig, ApnsPayload, Aps, ApsAlert,
    MAX_PAYLOAD_BYTES, MAX_TOPIC_PAYLOAD_BYTES, Message, NotificationPriority, ProtoDuration,
    Target, Visibility, WebpushConfig,
};
use crate::outcome::Owner;

type DataMap = BTreeMap<String, String>;

/// Preview limits tried in turn until a message fits; `None` drops the
/// preview altogether.
const LIMITS: [Option<usize>; 7] =
    [Some(MAX_PAYLOAD_CHARS), Some(64), Some(32), Some(16), Some(8), Some(0), None];

/// `text` cut to `limit` characters plus `…` if it was longer.
pub(crate) fn trim_preview(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn preview_source(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Object(drafty) => drafty.get("txt").and_then(Value::as_str).unwrap_or("").to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The Drafty preview (`rc`): the trimmed text and the spans inside it.
fn drafty_preview(content: &Value, text: &str) -> Option<String> {
    let Value::Object(drafty) = content else { return None };
    let chars = text.chars().count() as i64;
    let spans: Vec<Value> = drafty
        .get("fmt")
        .and_then(Value::as_array)
        .map(|fmt| {
            fmt.iter()
                .filter(|span| span.get("key").is_none())
                .filter(|span| {
                    let at = span.get("at").and_then(Value::as_i64).unwrap_or(0);
                    let len = span.get("len").and_then(Value::as_i64).unwrap_or(0);
                    at >= 0 && at + len <= chars
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut preview = serde_json::json!({"txt": text});
    if !spans.is_empty() {
        preview["fmt"] = Value::Array(spans);
    }
    Some(preview.to_string())
}

/// The data map of a payload (Tinode's keys), with the preview cut to
/// `limit` characters (`None`: no preview).
pub(crate) fn data_map(payload: &Payload, limit: Option<usize>) -> DataMap {
    let mut data = DataMap::new();
    let mut put = |k: &str, v: String| {
        data.insert(k.to_owned(), v);
    };
    put("what", payload.what.as_str().to_owned());
    put("topic", payload.topic.clone());
    put("ts", payload.ts.to_string());
    put("xfrom", payload.from.clone());
    let mut silent = payload.silent;
    match payload.what {
        Action::Msg => {
            put("seq", payload.seq.to_string());
            if !payload.mime.is_empty() {
                put("mime", payload.mime.clone());
            }
            if let (Some(content), Some(limit)) = (&payload.content, limit) {
                let text = trim_preview(&preview_source(content), limit);
                if let Some(rc) = drafty_preview(content, &text) {
                    put("rc", rc);
                }
                put("content", text);
            }
            if !payload.webrtc.is_empty() {
                put("webrtc", payload.webrtc.clone());
                silent = true;
            }
            if payload.aonly {
                put("aonly", "true".to_owned());
            }
            if !payload.replace.is_empty() {
                put("replace", payload.replace.clone());
                silent = true;
            }
        }
        Action::Sub => {
            put("modeWant", payload.want.clone());
            put("modeGiven", payload.given.clone());
        }
        Action::Read => {
            put("seq", payload.seq.to_string());
            silent = true;
        }
    }
    if silent {
        put("silent", "true".to_owned());
    }
    data
}

/// The other party of p2p topic `topic` for user `uid`
/// (`p2p` + base64url of two 8-byte ids, users are `usr` + base64url of one).
pub(crate) fn p2p_other_party(topic: &str, uid: &str) -> Option<String> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let ids = engine.decode(topic.strip_prefix("p2p")?).ok()?;
    let me = engine.decode(uid.strip_prefix("usr")?).ok()?;
    if ids.len() != 16 || me.len() != 8 {
        return None;
    }
    let (first, second) = ids.split_at(8);
    let other = match (first == me.as_slice(), second == me.as_slice()) {
        (true, _) => second,
        (_, true) => first,
        _ => return None,
    };
    Some(format!("usr{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(other)))
}

/// Where a message goes and which platform blocks it gets.
struct Dest<'a> {
    target: Target,
    platforms: &'a [Platform],
    badge: u32,
}

fn android(config: &FcmConfig, payload: &Payload, data: &DataMap) -> AndroidConfig {
    let call = !payload.webrtc.is_empty();
    let read = payload.what == Action::Read;
    let ttl = if call { 0 } else { config.time_to_live };
    let mut block = AndroidConfig {
        priority: Some(if read { AndroidPriority::Normal } else { AndroidPriority::High }),
        ttl: Some(ProtoDuration(std::time::Duration::from_secs(ttl))),
        ..AndroidConfig::default()
    };
    if config.android.enabled && !read {
        let texts = texts_for(&config.android, payload.what);
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        let body =
            if texts.body == "$content" { data.get("content").cloned() } else { some(&texts.body) };
        block.notification = Some(AndroidNotification {
            tag: some(&payload.topic),
            notification_priority: Some(if payload.webrtc == "started" {
                NotificationPriority::Max
            } else {
                NotificationPriority::High
            }),
            visibility: Some(Visibility::Private),
            title_loc_key: some(&texts.title_loc_key),
            title_loc_args: texts.title_loc_args.clone(),
            title: some(&texts.title),
            body_loc_key: some(&texts.body_loc_key),
            body_loc_args: texts.body_loc_args.clone(),
            body,
            icon: some(&texts.icon),
            color: some(&texts.color),
            click_action: some(&texts.click_action),
            sound: some(&texts.sound),
            image: some(&texts.image),
            ..AndroidNotification::default()
        });
    }
    block
}

fn apns(config: &FcmConfig, payload: &Payload, data: &DataMap, badge: u32, now: u64) -> ApnsConfig {
    let read = payload.what == Action::Read;
    let started = payload.webrtc == "started";
    let silent = data.get("silent").is_some_and(|s| s == "true");
    let expiry = if started { 10 } else { config.time_to_live };
    let mut headers = BTreeMap::from([
        ("apns-expiration".to_owned(), (now + expiry).to_string()),
        ("apns-priority".to_owned(), if read { "5" } else { "10" }.to_owned()),
        ("apns-collapse-id".to_owned(), data.get("topic").cloned().unwrap_or_default()),
        ("apns-push-type".to_owned(), if read { "background" } else { "alert" }.to_owned()),
    ]);
    if !config.apns_bundle_id.is_empty() {
        headers.insert("apns-topic".to_owned(), config.apns_bundle_id.clone());
    }
    let level = if started {
        "critical"
    } else if read {
        "passive"
    } else {
        "time-sensitive"
    };
    let mut aps = Aps {
        badge: (badge > 0).then_some(badge),
        sound: Some("default".to_owned()),
        content_available: Some(1),
        mutable_content: Some(1),
        thread_id: data.get("topic").cloned(),
        interruption_level: Some(level.to_owned()),
        ..Aps::default()
    };
    if config.apns.enabled && !read && payload.webrtc.is_empty() && !silent {
        let texts = texts_for(&config.apns, payload.what);
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        let body =
            if texts.body == "$content" { data.get("content").cloned() } else { some(&texts.body) };
        aps.alert = Some(ApsAlert {
            title: some(&texts.title),
            subtitle: some(&texts.subtitle),
            body,
            title_loc_key: some(&texts.title_loc_key),
            loc_key: some(&texts.loc_key),
            loc_args: texts.loc_args.clone(),
            action_loc_key: some(&texts.action_loc_key),
            launch_image: some(&texts.launch_image),
            summary_arg: some(&texts.summary_arg),
            summary_arg_count: (texts.summary_arg_count > 0).then_some(texts.summary_arg_count),
        });
    }
    let payload = ApnsPayload { aps, custom: BTreeMap::new() };
    ApnsConfig { headers, payload: Some(payload), fcm_options: None }
}

fn build(config: &FcmConfig, payload: &Payload, data: DataMap, to: &Dest<'_>, now: u64) -> Message {
    let mut message = Message::new(to.target.clone());
    for platform in to.platforms {
        match platform {
            Platform::Android => message.android = Some(android(config, payload, &data)),
            Platform::Ios => message.apns = Some(apns(config, payload, &data, to.badge, now)),
            Platform::Web if config.webpush.enabled => {
                message.webpush = Some(WebpushConfig::default());
            }
            Platform::Web | Platform::Unspecified => {}
            Platform::Other(name) => {
                tracing::warn!(platform = %name, "unknown device platform; sending data only");
            }
        }
    }
    message.data = data;
    message
}

/// The message for one device (or the channel), with the longest preview
/// that fits in [`MAX_PAYLOAD_BYTES`] ([`MAX_TOPIC_PAYLOAD_BYTES`] for a
/// topic).
fn fitted(
    config: &FcmConfig,
    payload: &Payload,
    to: &Dest<'_>,
    adjust: &dyn Fn(&mut DataMap),
    now: u64,
) -> Message {
    let max = match to.target {
        Target::Token(_) => MAX_PAYLOAD_BYTES,
        Target::Topic(_) | Target::Condition(_) => MAX_TOPIC_PAYLOAD_BYTES,
    };
    let mut last = None;
    for limit in LIMITS {
        let mut data = data_map(payload, limit);
        adjust(&mut data);
        let message = build(config, payload, data, to, now);
        if message.wire_size() <= max {
            return message;
        }
        last = Some(message);
    }
    tracing::warn!("FCM message over the size limit even without a preview; sending it as is");
    last.unwrap_or_else(|| Message::new(to.target.clone()))
}

/// Every message of a receipt, in recipient order, the channel message
/// last; `devices` are the recipients' devices, `now` is Unix seconds.
pub(crate) fn expand(
    config: &FcmConfig,
    receipt: &Receipt,
    devices: &BTreeMap<String, Vec<Device>>,
    number: u64,
    now: u64,
) -> Vec<Job> {
    let payload = &receipt.payload;
    let skip: BTreeSet<&str> =
        receipt.to.values().flat_map(|r| r.devices.iter().map(String::as_str)).collect();
    let mut jobs = Vec::new();
    for (uid, recipient) in &receipt.to {
        let Some(list) = devices.get(uid) else { continue };
        let rewritten = payload
            .topic
            .starts_with("p2p")
            .then(|| p2p_other_party(&payload.topic, uid))
            .flatten();
        let silent = recipient.delivered > 0;
        let adjust = |data: &mut DataMap| {
            if silent {
                data.insert("silent".into(), "true".into());
            }
            if let Some(topic) = &rewritten {
                data.insert("topic".into(), topic.clone());
            }
        };
        let usable =
            list.iter().filter(|d| !d.token.is_empty() && !skip.contains(d.token.as_str()));
        for device in usable {
            let to = Dest {
                target: Target::Token(device.token.clone()),
                platforms: std::slice::from_ref(&device.platform),
                badge: recipient.unread,
            };
            let message = fitted(config, payload, &to, &adjust, now);
            jobs.push(Job { receipt: number, owner: Owner::User(uid.clone()), message });
        }
    }
    if !receipt.channel.is_empty() {
        let to = Dest {
            target: Target::topic(&receipt.channel),
            platforms: &[Platform::Android, Platform::Ios],
            badge: 0,
        };
        let adjust = |data: &mut DataMap| {
            data.insert("topic".into(), receipt.channel.clone());
            data.remove("xfrom");
        };
        let message = fitted(config, payload, &to, &adjust, now);
        jobs.push(Job { receipt: number, owner: Owner::Channel(receipt.channel.clone()), message });
    }
    jobs
}
