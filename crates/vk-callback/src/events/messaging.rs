//! Small messaging objects: allow/deny, typing, callback buttons, reads and
//! reactions.

use serde::Deserialize;
use serde_json::Value;

/// `message_allow`: a user allowed messages from the community.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageAllow {
    /// The user.
    pub user_id: i64,
    /// The `key` parameter of the subscription widget or link.
    pub key: String,
}

/// `message_deny`: a user denied messages from the community.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageDeny {
    /// The user.
    pub user_id: i64,
}

/// `message_typing_state`: a user is typing to the community.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageTypingState {
    /// `typing` (or `audiomessage` for voice recording).
    pub state: String,
    /// The user.
    pub from_id: i64,
    /// The community (negative id).
    pub to_id: i64,
}

/// `message_event`: a callback button was pressed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageEvent {
    /// Who pressed it.
    pub user_id: i64,
    /// Where.
    pub peer_id: i64,
    /// Id to pass to `messages.sendMessageEventAnswer` (not the envelope's
    /// `event_id`).
    pub event_id: String,
    /// The button's payload, any JSON, kept as VK sent it.
    pub payload: Value,
    /// Conversation id of the message carrying the button.
    pub conversation_message_id: i64,
}

/// `message_read`: a user read the community's messages up to one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageRead {
    /// The reader.
    pub from_id: i64,
    /// The conversation.
    pub peer_id: i64,
    /// Last read message id.
    pub read_message_id: i64,
}

/// `message_reaction_event`: a reaction was set on or removed from a message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageReactionEvent {
    /// Who reacted.
    pub reacted_id: i64,
    /// The conversation.
    pub peer_id: i64,
    /// Conversation message id of the message reacted to.
    pub cmid: i64,
    /// Reaction id, 1..=64; absent when the reaction was removed.
    pub reaction_id: Option<i64>,
}
