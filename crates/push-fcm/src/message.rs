//! The FCM HTTP v1 `Message` resource as the official Admin SDKs put it on
//! the wire: snake_case field names, empty fields omitted, data values as
//! strings, Android priority in lower case, durations as `"<s>s"` strings,
//! the target (`token` / `topic` / `condition`) as one top-level key.
//!
//! It covers the fields Tinode's plugin and the Admin SDKs set; it does not
//! validate a message against FCM's rules (the server does, and answers
//! `INVALID_ARGUMENT`), except for [`Message::wire_size`] which the plugin
//! uses to stay under FCM's 4096-byte payload limit.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// FCM's limit on a message's payload (data keys and values plus
/// notification text), in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// FCM's limit for messages to a topic, in bytes.
pub const MAX_TOPIC_PAYLOAD_BYTES: usize = 2048;

/// Where a message goes: exactly one of a registration token, a topic or a
/// topic condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A device registration token.
    Token(String),
    /// A topic name, without the `/topics/` prefix.
    Topic(String),
    /// A condition such as `'a' in topics && 'b' in topics`.
    Condition(String),
}

impl Target {
    /// A topic target; a leading `/topics/` is removed, as the Admin SDKs do.
    pub fn topic(name: &str) -> Self {
        Target::Topic(name.strip_prefix("/topics/").unwrap_or(name).to_owned())
    }

    /// The token, if this is a token target.
    pub fn token(&self) -> Option<&str> {
        match self {
            Target::Token(token) => Some(token),
            _ => None,
        }
    }
}

/// One FCM message (`projects.messages` resource).
///
/// ```
/// use push_fcm::{Message, Target};
///
/// let mut message = Message::new(Target::Token("tok1".into()));
/// message.data.insert("what".into(), "msg".into());
/// assert_eq!(
///     serde_json::to_string(&message)?,
///     r#"{"token":"tok1","data":{"what":"msg"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Where it goes.
    #[serde(flatten)]
    pub target: Target,
    /// Custom key/value pairs for the app; values are strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// The notification shown on every platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification>,
    /// Android-specific options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<AndroidConfig>,
    /// Web push options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webpush: Option<WebpushConfig>,
    /// APNs (iOS) options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apns: Option<ApnsConfig>,
    /// Options for all platforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm_options: Option<FcmOptions>,
}

impl Message {
    /// A message to `target` with nothing else set.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            data: BTreeMap::new(),
            notification: None,
            android: None,
            webpush: None,
            apns: None,
            fcm_options: None,
        }
    }

    /// The bytes FCM counts against [`MAX_PAYLOAD_BYTES`], as this crate
    /// estimates them: every data key and value, the notification texts and
    /// the APNs payload as JSON. An upper bound of what FCM counts, so a
    /// message under the limit here is under it there.
    pub fn wire_size(&self) -> usize {
        let data: usize = self.data.iter().map(|(k, v)| k.len() + v.len()).sum();
        let notification = self.notification.as_ref().map_or(0, Notification::text_len);
        let android = self
            .android
            .as_ref()
            .and_then(|a| a.notification.as_ref())
            .map_or(0, |n| serde_json::to_vec(n).map_or(0, |v| v.len()));
        let apns = self
            .apns
            .as_ref()
            .and_then(|a| a.payload.as_ref())
            .map_or(0, |p| serde_json::to_vec(p).map_or(0, |v| v.len()));
        data + notification + android + apns
    }
}

/// The basic notification template (`title`, `body`, `image`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Notification {
    fn text_len(&self) -> usize {
        [&self.title, &self.body, &self.image]
            .iter()
            .map(|s| s.as_ref().map_or(0, String::len))
            .sum()
    }
}

/// Options for all platforms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FcmOptions {
    /// Label for analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_label: Option<String>,
}

/// Android message priority; the Admin SDKs send it in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AndroidPriority {
    /// `normal`.
    Normal,
    /// `high`: wakes the device.
    High,
}

/// A `google.protobuf.Duration` as JSON: seconds with an `s` suffix, and
/// nine fraction digits when the duration has a fraction (`"3600s"`,
/// `"1.500000000s"`), as the Admin SDKs format it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProtoDuration(pub Duration);

impl fmt::Display for ProtoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.subsec_nanos() {
            0 => write!(f, "{}s", self.0.as_secs()),
            nanos => write!(f, "{}.{nanos:09}s", self.0.as_secs()),
        }
    }
}

impl Serialize for ProtoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProtoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let text = String::deserialize(deserializer)?;
        let digits =
            text.strip_suffix('s').ok_or_else(|| D::Error::custom("duration lacks `s`"))?;
        let (secs, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let secs: u64 = secs.parse().map_err(D::Error::custom)?;
        let nanos = if frac.is_empty() {
            0
        } else if frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit()) {
            format!("{frac:0<9}").parse::<u32>().map_err(D::Error::custom)?
        } else {
            return Err(D::Error::custom("bad duration fraction"));
        };
        Ok(ProtoDuration(Duration::new(secs, nanos)))
    }
}

/// Android-specific options (`AndroidConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidConfig {
    /// Groups messages that can be collapsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collapse_key: Option<String>,
    /// Delivery priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<AndroidPriority>,
    /// How long FCM keeps the message while the device is offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<ProtoDuration>,
    /// Only apps with this package name get it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted_package_name: Option<String>,
    /// Replaces the message's data on Android.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// The notification to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<AndroidNotification>,
    /// Android options for all messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm_options: Option<FcmOptions>,
    /// Deliver while the device is in direct boot mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_boot_ok: Option<bool>,
}

/// Notification priority on Android (`PRIORITY_MIN` … `PRIORITY_MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotificationPriority {
    /// `PRIORITY_MIN`.
    #[serde(rename = "PRIORITY_MIN")]
    Min,
    /// `PRIORITY_LOW`.
    #[serde(rename = "PRIORITY_LOW")]
    Low,
    /// `PRIORITY_DEFAULT`.
    #[serde(rename = "PRIORITY_DEFAULT")]
    Default,
    /// `PRIORITY_HIGH`.
    #[serde(rename = "PRIORITY_HIGH")]
    High,
    /// `PRIORITY_MAX`.
    #[serde(rename = "PRIORITY_MAX")]
    Max,
}

/// Lock-screen visibility of an Android notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Visibility {
    /// `PRIVATE`.
    Private,
    /// `PUBLIC`.
    Public,
    /// `SECRET`.
    Secret,
}

/// The Android notification (`AndroidNotification`), the fields Tinode and
/// the Admin SDKs set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidNotification {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Drawable resource name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Icon colour, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Sound to play.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// Replaces an existing notification with the same tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Activity to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub click_action: Option<String>,
    /// Localisation key of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_loc_key: Option<String>,
    /// Arguments of the body's localisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_loc_args: Vec<String>,
    /// Localisation key of the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_loc_key: Option<String>,
    /// Arguments of the title's localisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub title_loc_args: Vec<String>,
    /// Android notification channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Notification priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_priority: Option<NotificationPriority>,
    /// Lock-screen visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Count shown on the launcher icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_count: Option<u32>,
}

/// APNs options (`ApnsConfig`): HTTP headers for APNs and the APNs JSON
/// payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsConfig {
    /// APNs request headers (`apns-priority`, `apns-push-type`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The APNs payload: `aps` and custom keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ApnsPayload>,
    /// APNs options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm_options: Option<ApnsFcmOptions>,
}

/// APNs options for all messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsFcmOptions {
    /// Label for analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_label: Option<String>,
    /// Image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// The APNs JSON payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsPayload {
    /// The `aps` dictionary.
    pub aps: Aps,
    /// Custom keys next to `aps`.
    #[serde(flatten)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// The `aps` dictionary, with APNs' hyphenated key names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Aps {
    /// The alert to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<ApsAlert>,
    /// Badge number; absent leaves the badge as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<u32>,
    /// Sound name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sound: Option<String>,
    /// `1` for a background update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_available: Option<u8>,
    /// `1` to let a notification service extension modify the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutable_content: Option<u8>,
    /// Notification category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Groups notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// `passive`, `active`, `time-sensitive` or `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption_level: Option<String>,
}

/// The `aps.alert` dictionary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ApsAlert {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Subtitle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Localisation key of the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_loc_key: Option<String>,
    /// Localisation key of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc_key: Option<String>,
    /// Arguments of the body's localisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loc_args: Vec<String>,
    /// Localisation key of the action button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_loc_key: Option<String>,
    /// Launch image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_image: Option<String>,
    /// Summary argument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_arg: Option<String>,
    /// Summary argument count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_arg_count: Option<u32>,
}

/// Web push options (`WebpushConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebpushConfig {
    /// Web push headers (`TTL`, `Urgency`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Replaces the message's data for web push.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// A Web Notification object as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<serde_json::Map<String, serde_json::Value>>,
    /// Web push options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fcm_options: Option<WebpushFcmOptions>,
}

/// Web push options for all messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebpushFcmOptions {
    /// Link to open on click (HTTPS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Label for analytics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_label: Option<String>,
}

/// The body of `messages:send`: `{"message": …, "validate_only": true}`,
/// the flag present only for a dry run (as the Admin SDKs send it).
#[derive(Debug, Serialize)]
pub(crate) struct SendRequest<'a> {
    pub(crate) message: &'a Message,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) validate_only: bool,
}
