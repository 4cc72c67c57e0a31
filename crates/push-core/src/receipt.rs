//! The push receipt: who gets a notification ([`Recipient`]s by user id) and
//! what it says ([`Payload`]), with Tinode's exact JSON names and
//! `omitempty` rules, so a receipt serialises to the same JSON as Tinode's
//! `push.Receipt`.
//!
//! It does not render notifications: turning a payload into an FCM message
//! or a line of text is each plugin's job. Unknown JSON fields are ignored
//! on input (newer servers add fields); unknown actions are an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Most characters (not bytes) of message preview a plugin should send;
/// Tinode's `push.MaxPayloadLength`.
pub const MAX_PAYLOAD_CHARS: usize = 128;

/// What happened; Tinode's `ActMsg`, `ActSub`, `ActRead`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A new message (`"msg"`).
    Msg,
    /// A new or changed subscription, or a deleted channel (`"sub"`).
    Sub,
    /// Messages were read: clear the unread badge (`"read"`).
    Read,
}

impl Action {
    /// The wire name: `msg`, `sub` or `read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Msg => "msg",
            Action::Sub => "sub",
            Action::Read => "read",
        }
    }
}

/// One user's part of a receipt; Tinode's `push.Recipient`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// How many of the user's sessions were attached to the topic when the
    /// message was routed; above zero, the push to this user is silent.
    #[serde(default)]
    pub delivered: u32,
    /// Device tokens that already got the message live; plugins skip them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// The user's total unread count at send time (the iOS badge).
    #[serde(default)]
    pub unread: u32,
}

/// What the notification is about; Tinode's `push.Payload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The action.
    pub what: Action,
    /// Perform the action without showing anything.
    #[serde(default)]
    pub silent: bool,
    /// The affected topic.
    #[serde(default)]
    pub topic: String,
    /// When the action happened.
    pub ts: Timestamp,
    /// The sender's user id (`usr…`).
    #[serde(default)]
    pub from: String,
    /// The message seq id (for `read`: the seq read up to).
    #[serde(default)]
    pub seq: u64,
    /// Content type: `text/x-drafty`, `text/plain` or empty.
    #[serde(default)]
    pub mime: String,
    /// The message content (a Drafty object or a string); omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Value>,
    /// Call state from the message head (`started`, `accepted`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub webrtc: String,
    /// The call is audio-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub aonly: bool,
    /// The seq id this message replaces (an edit), as in the message head.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub replace: String,
    /// Access mode the user wants (`sub` pushes); `N` for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub want: String,
    /// Access mode the user was given (`sub` pushes); `N` for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub given: String,
}

impl Payload {
    /// A payload with the required fields set and every optional one empty.
    ///
    /// ```
    /// use push_core::{Action, Payload, Timestamp};
    ///
    /// let payload = Payload::new(Action::Read, "grpX", "usrA", Timestamp::UNIX_EPOCH);
    /// assert_eq!(payload.seq, 0);
    /// assert!(payload.content.is_none());
    /// ```
    pub fn new(what: Action, topic: &str, from: &str, ts: Timestamp) -> Self {
        Self {
            what,
            silent: false,
            topic: topic.to_owned(),
            ts,
            from: from.to_owned(),
            seq: 0,
            mime: String::new(),
            content: None,
            webrtc: String::new(),
            aonly: false,
            replace: String::new(),
            want: String::new(),
            given: String::new(),
        }
    }
}

/// One push: the recipients by user id, the channel (FCM topic) if the topic
/// is a channel, and the payload; Tinode's `push.Receipt`.
///
/// ```
/// use push_core::{Action, Payload, Receipt, Recipient, Timestamp};
///
/// let mut receipt = Receipt::new(Payload::new(Action::Msg, "grpX", "usrA", Timestamp::UNIX_EPOCH));
/// receipt.to.insert("usrB".into(), Recipient { unread: 3, ..Recipient::default() });
/// let json = serde_json::to_string(&receipt)?;
/// assert!(json.starts_with(r#"{"to":{"usrB":{"delivered":0,"unread":3}},"channel":"","#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Recipients by user id (`usr…`), in id order.
    #[serde(default)]
    pub to: BTreeMap<String, Recipient>,
    /// The FCM topic of the channel's readers (`chn…`), or empty.
    #[serde(default)]
    pub channel: String,
    /// What the push says.
    pub payload: Payload,
}

impl Receipt {
    /// A receipt with no recipients and no channel.
    pub fn new(payload: Payload) -> Self {
        Self { to: BTreeMap::new(), channel: String::new(), payload }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}
