//! The seven `Updates` containers a client receives (pushed or as RPC
//! results), with the sequencing fields the engine reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::entities::{Chat, Peer, User};
use super::update::Update;

/// An `Updates` container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Updates {
    /// `updatesTooLong`: too many updates, fetch the difference.
    TooLong,
    /// `updateShortMessage`: a private message without entities.
    ShortMessage(ShortMessage),
    /// `updateShortChatMessage`: a basic-group message without entities.
    ShortChatMessage(ShortChatMessage),
    /// `updateShort`: one update, no seq.
    Short {
        /// The update.
        update: Update,
        /// Server date.
        date: i32,
    },
    /// `updatesCombined`: updates covering seq range `seq_start..=seq`.
    Combined {
        /// The updates.
        updates: Vec<Update>,
        /// Users they reference.
        #[serde(default)]
        users: Vec<User>,
        /// Chats they reference.
        #[serde(default)]
        chats: Vec<Chat>,
        /// Server date.
        date: i32,
        /// First seq of the range (0 = unordered).
        seq_start: i32,
        /// Last seq of the range (0 = unordered).
        seq: i32,
    },
    /// `updates`: like `updatesCombined` with `seq_start == seq`.
    Full {
        /// The updates.
        updates: Vec<Update>,
        /// Users they reference.
        #[serde(default)]
        users: Vec<User>,
        /// Chats they reference.
        #[serde(default)]
        chats: Vec<Chat>,
        /// Server date.
        date: i32,
        /// seq (0 = unordered).
        seq: i32,
    },
    /// `updateShortSentMessage`: the result of sending a message; it only
    /// moves the common pts.
    ShortSentMessage(ShortSentMessage),
}

/// `updateShortMessage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShortMessage {
    /// Sent by the account itself.
    #[serde(default)]
    pub out: bool,
    /// Message id.
    pub id: i32,
    /// The other party of the private chat.
    pub user_id: i64,
    /// Common pts after the message.
    pub pts: i32,
    /// Positions taken (1).
    pub pts_count: i32,
    /// Date.
    pub date: i32,
    /// Forward source, if any (must be a known user to apply directly).
    #[serde(default)]
    pub fwd_from: Option<Peer>,
    /// Inline bot used, if any (must be known to apply directly).
    #[serde(default)]
    pub via_bot_id: Option<i64>,
    /// Text, entities, reply header...
    #[serde(default)]
    pub payload: Value,
}

/// `updateShortChatMessage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShortChatMessage {
    /// Sent by the account itself.
    #[serde(default)]
    pub out: bool,
    /// Message id.
    pub id: i32,
    /// Sender.
    pub from_id: i64,
    /// The basic group.
    pub chat_id: i64,
    /// Common pts after the message.
    pub pts: i32,
    /// Positions taken (1).
    pub pts_count: i32,
    /// Date.
    pub date: i32,
    /// Forward source, if any.
    #[serde(default)]
    pub fwd_from: Option<Peer>,
    /// Inline bot used, if any.
    #[serde(default)]
    pub via_bot_id: Option<i64>,
    /// Text, entities, reply header...
    #[serde(default)]
    pub payload: Value,
}

/// `updateShortSentMessage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShortSentMessage {
    /// Always true in practice.
    #[serde(default)]
    pub out: bool,
    /// Message id.
    pub id: i32,
    /// Common pts after the message.
    pub pts: i32,
    /// Positions taken.
    pub pts_count: i32,
    /// Date.
    pub date: i32,
    /// Media, entities...
    #[serde(default)]
    pub payload: Value,
}

impl Updates {
    /// `updateShort` wrapping one update.
    pub fn short(update: Update, date: i32) -> Updates {
        Updates::Short { update, date }
    }

    /// `updates` with no entities.
    pub fn full(updates: Vec<Update>, date: i32, seq: i32) -> Updates {
        Updates::Full { updates, users: Vec::new(), chats: Vec::new(), date, seq }
    }
}
