//! Peers, messages, users and chats: the parts of Telegram's entities the
//! engine reads (ids, `min` flags, access hashes, message peers).
//!
//! Everything else a client library knows about these objects travels in
//! the opaque `payload` fields, untouched by the engine.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A peer (`peerUser`, `peerChat`, `peerChannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Peer {
    /// `peerUser{user_id}`.
    User(i64),
    /// `peerChat{chat_id}`: a basic group.
    Chat(i64),
    /// `peerChannel{channel_id}`: a channel or supergroup.
    Channel(i64),
}

impl Peer {
    /// The channel id, if this is a channel peer.
    pub fn channel_id(self) -> Option<i64> {
        match self {
            Peer::Channel(id) => Some(id),
            _ => None,
        }
    }

    /// The user id, if this is a user peer.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Peer::User(id) => Some(id),
            _ => None,
        }
    }
}

/// Which message constructor a [`Message`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// `message`.
    #[default]
    Regular,
    /// `messageService`.
    Service,
    /// `messageEmpty` (its `peer_id` is optional).
    Empty,
}

/// A message (`message`, `messageService` or `messageEmpty`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// The constructor.
    #[serde(default)]
    pub kind: MessageKind,
    /// Message id, unique within its box (common or one channel).
    pub id: i32,
    /// The chat the message belongs to; decides the channel box of
    /// `updateNewChannelMessage` / `updateEditChannelMessage`.
    #[serde(default)]
    pub peer_id: Option<Peer>,
    /// The sender, when it is not implied by `peer_id`.
    #[serde(default)]
    pub from_id: Option<Peer>,
    /// Unix time the message was sent.
    #[serde(default)]
    pub date: i32,
    /// Sent by the account itself.
    #[serde(default)]
    pub out: bool,
    /// Anything else the client library carries (text, media, entities...).
    #[serde(default)]
    pub payload: Value,
}

impl Message {
    /// The channel this message belongs to, if any.
    pub fn channel_id(&self) -> Option<i64> {
        self.peer_id.and_then(Peer::channel_id)
    }
}

/// A user (`user` / `userEmpty`) as far as access hashes go.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// `access_hash` (flag 0); absent for `userEmpty`.
    #[serde(default)]
    pub access_hash: Option<i64>,
    /// `min` (flag 20): the hash is only usable in the context it came from.
    #[serde(default)]
    pub min: bool,
    /// Everything else (names, photo, bot flags...).
    #[serde(default)]
    pub payload: Value,
}

impl User {
    /// Whether this entity carries a full (non-min) access hash.
    pub fn has_full_hash(&self) -> bool {
        !self.min && self.access_hash.is_some_and(|h| h != 0)
    }
}

/// A chat entity (`chat`, `chatForbidden`, `channel`, `channelForbidden`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Chat {
    /// `chat`: a basic group.
    Chat {
        /// Chat id.
        id: i64,
        /// Everything else.
        #[serde(default)]
        payload: Value,
    },
    /// `chatForbidden`.
    ChatForbidden {
        /// Chat id.
        id: i64,
    },
    /// `channel`: a channel or supergroup.
    Channel {
        /// Channel id.
        id: i64,
        /// `access_hash` (flag 13).
        #[serde(default)]
        access_hash: Option<i64>,
        /// `min` (flag 12): the hash must not be stored as a full one.
        #[serde(default)]
        min: bool,
        /// Everything else.
        #[serde(default)]
        payload: Value,
    },
    /// `channelForbidden`: the hash is mandatory and full.
    ChannelForbidden {
        /// Channel id.
        id: i64,
        /// Access hash.
        access_hash: i64,
    },
}

impl Chat {
    /// The id of the chat or channel.
    pub fn id(&self) -> i64 {
        match self {
            Chat::Chat { id, .. }
            | Chat::ChatForbidden { id }
            | Chat::Channel { id, .. }
            | Chat::ChannelForbidden { id, .. } => *id,
        }
    }

    /// `(channel id, full access hash)` if this is a channel whose hash may
    /// be stored (never a `min` one).
    pub fn full_channel_hash(&self) -> Option<(i64, i64)> {
        match self {
            Chat::Channel { id, access_hash: Some(hash), min: false, .. } if *hash != 0 => {
                Some((*id, *hash))
            }
            Chat::ChannelForbidden { id, access_hash } if *access_hash != 0 => {
                Some((*id, *access_hash))
            }
            _ => None,
        }
    }

    /// A `channel` entity with a full access hash (handy in tests).
    pub fn channel(id: i64, access_hash: i64) -> Chat {
        Chat::Channel { id, access_hash: Some(access_hash), min: false, payload: Value::Null }
    }
}

/// `dialog`, reduced to what `channelDifferenceTooLong` needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dialog {
    /// The peer of the dialog.
    #[serde(default)]
    pub peer: Option<Peer>,
    /// `pts` (flag 0): the channel's current pts.
    #[serde(default)]
    pub pts: Option<i32>,
    /// Everything else.
    #[serde(default)]
    pub payload: Value,
}
