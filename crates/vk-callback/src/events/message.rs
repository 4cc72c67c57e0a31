//! The private-message objects: `message_new`, `message_reply`,
//! `message_edit`, with actions, keyboards and the client's capabilities.
//!
//! Keyboard and button payloads stay the raw JSON text VK sent (they are
//! arbitrary JSON chosen by the bot); [`Message::payload_json`] parses one on
//! demand. Attachments live in [`super::attachment`].

use serde::Deserialize;
use serde_json::Value;

use super::attachment::Attachment;
use super::de::bool01;

/// `message_new`: a message the community received, with what the sender's
/// client can display.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageNew {
    /// The message itself.
    pub message: Message,
    /// What the sender's client supports (keyboards, carousels, button types).
    pub client_info: ClientInfo,
}

/// A private message (`message_new.message`, and the whole object of
/// `message_reply` and `message_edit`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Message {
    /// Message id (0 for messages in group chats the bot cannot address by id).
    pub id: i64,
    /// Send time, unix seconds.
    pub date: i64,
    /// Last edit time, unix seconds (0 if never edited).
    pub update_time: i64,
    /// Destination: a user id, `-group_id`, or `2000000000 + chat number`.
    pub peer_id: i64,
    /// Author: a user id, or a negative community id.
    pub from_id: i64,
    /// Message text.
    pub text: String,
    /// Id of the message inside its conversation.
    pub conversation_message_id: i64,
    /// Whether the community sent it.
    #[serde(deserialize_with = "bool01")]
    pub out: bool,
    /// Whether it is marked important.
    #[serde(deserialize_with = "bool01")]
    pub important: bool,
    /// Whether it is hidden (spam).
    #[serde(deserialize_with = "bool01")]
    pub is_hidden: bool,
    /// Whether nested messages were cut from this one.
    #[serde(deserialize_with = "bool01")]
    pub is_cropped: bool,
    /// Whether the audio message was listened to.
    #[serde(deserialize_with = "bool01")]
    pub was_listened: bool,
    /// Random id the sender used for idempotency.
    pub random_id: i64,
    /// Attachments, in order.
    pub attachments: Vec<Attachment>,
    /// Forwarded messages (nested).
    pub fwd_messages: Vec<Message>,
    /// The message this one replies to.
    pub reply_message: Option<Box<Message>>,
    /// A chat service action (invite, kick, title change...).
    pub action: Option<MessageAction>,
    /// Keyboard button payload: raw JSON text chosen by the bot.
    pub payload: Option<String>,
    /// The keyboard sent with the message (for outgoing messages).
    pub keyboard: Option<Keyboard>,
    /// Attached location.
    pub geo: Option<Geo>,
    /// Referral marker of a `vk.me` link.
    #[serde(rename = "ref")]
    pub referral: Option<String>,
    /// Source of the referral.
    pub ref_source: Option<String>,
    /// Community administrator who wrote an outgoing message.
    pub admin_author_id: Option<i64>,
    /// Number of chat members (service messages only).
    pub members_count: Option<i64>,
    /// Self-destruction delay, seconds.
    pub expire_ttl: Option<i64>,
    /// Pin time, unix seconds.
    pub pinned_at: Option<i64>,
    /// Message tag for marketing messages.
    pub message_tag: Option<String>,
    /// Version counter of the message.
    pub version: Option<i64>,
}

impl Message {
    /// Parses the keyboard payload as JSON; `None` when there is no payload.
    ///
    /// # Errors
    /// The payload is not valid JSON.
    pub fn payload_json(&self) -> Option<Result<Value, serde_json::Error>> {
        self.payload.as_deref().map(serde_json::from_str)
    }

    /// Whether the message was written in a group chat.
    pub fn is_chat(&self) -> bool {
        self.peer_id > 2_000_000_000
    }
}

/// A chat service action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageAction {
    /// `chat_invite_user`, `chat_kick_user`, `chat_create`, `chat_title_update`,
    /// `chat_photo_update`, `chat_pin_message`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The user or community the action is about.
    pub member_id: Option<i64>,
    /// The new chat title, or the pinned message's text.
    pub text: Option<String>,
    /// E-mail for invitations by e-mail.
    pub email: Option<String>,
    /// The new chat photo, raw (sizes and URLs).
    pub photo: Option<Value>,
}

/// A location attached to a message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Geo {
    /// Location kind, usually `point`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Coordinates.
    pub coordinates: Coordinates,
    /// Place details, raw.
    pub place: Option<Value>,
}

/// Latitude and longitude.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Coordinates {
    /// Latitude, degrees.
    pub latitude: f64,
    /// Longitude, degrees.
    pub longitude: f64,
}

/// A bot keyboard.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Keyboard {
    /// Whether it hides after one press.
    pub one_time: bool,
    /// Whether it is attached to the message (inline).
    pub inline: bool,
    /// Rows of buttons.
    pub buttons: Vec<Vec<KeyboardButton>>,
    /// Id of the bot that sent it.
    pub author_id: Option<i64>,
}

/// One keyboard button.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct KeyboardButton {
    /// What pressing it does.
    pub action: ButtonAction,
    /// `primary`, `secondary`, `negative` or `positive` (text and callback buttons).
    pub color: Option<String>,
}

/// The action of a keyboard button.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ButtonAction {
    /// `text`, `callback`, `open_link`, `location`, `vkpay`, `open_app`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Button label.
    pub label: Option<String>,
    /// Payload: raw JSON text chosen by the bot.
    pub payload: Option<String>,
    /// URL of an `open_link` button.
    pub link: Option<String>,
    /// Mini-app id of an `open_app` button.
    pub app_id: Option<i64>,
    /// Owner id of an `open_app` button.
    pub owner_id: Option<i64>,
    /// Hash of `open_app` and `vkpay` buttons.
    pub hash: Option<String>,
}

/// What the sender's client can display.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ClientInfo {
    /// Button action types the client supports.
    pub button_actions: Vec<String>,
    /// Whether it supports keyboards.
    #[serde(deserialize_with = "bool01")]
    pub keyboard: bool,
    /// Whether it supports inline keyboards.
    #[serde(deserialize_with = "bool01")]
    pub inline_keyboard: bool,
    /// Whether it supports carousels.
    #[serde(deserialize_with = "bool01")]
    pub carousel: bool,
    /// Client language id.
    pub lang_id: i64,
}
