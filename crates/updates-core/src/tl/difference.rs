//! `updates.state`, the `updates.Difference` and `updates.ChannelDifference`
//! answers, and the request shapes of the three RPCs the engine issues.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::entities::{Chat, Dialog, Message, User};
use super::update::Update;

/// The account-wide state (`updates.state` without `unread_count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct State {
    /// Common pts.
    pub pts: i32,
    /// qts.
    pub qts: i32,
    /// Date of the last known update.
    pub date: i32,
    /// seq of the last applied container.
    pub seq: i32,
}

/// `updates.Difference`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Difference {
    /// `updates.differenceEmpty`: nothing new.
    Empty {
        /// Current date.
        date: i32,
        /// Current seq.
        seq: i32,
    },
    /// `updates.difference`: everything up to `state`.
    Difference(DifferenceBody),
    /// `updates.differenceSlice`: part of it; `state` is the intermediate
    /// state to continue from.
    Slice(DifferenceBody),
    /// `updates.differenceTooLong`: continue from `pts`.
    TooLong {
        /// The pts to refetch from.
        pts: i32,
    },
}

/// Contents of `updates.difference` / `updates.differenceSlice`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DifferenceBody {
    /// New messages of the common box (no pts of their own).
    #[serde(default)]
    pub new_messages: Vec<Message>,
    /// New secret-chat messages (qts box, opaque).
    #[serde(default)]
    pub new_encrypted_messages: Vec<Value>,
    /// Every other update.
    #[serde(default)]
    pub other_updates: Vec<Update>,
    /// Chats referenced.
    #[serde(default)]
    pub chats: Vec<Chat>,
    /// Users referenced.
    #[serde(default)]
    pub users: Vec<User>,
    /// `state` (or `intermediate_state` for a slice).
    pub state: State,
}

/// `updates.ChannelDifference`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChannelDifference {
    /// `updates.channelDifferenceEmpty`.
    Empty {
        /// `final`.
        #[serde(rename = "final", default)]
        is_final: bool,
        /// The channel's pts.
        pts: i32,
        /// Poll hint in seconds.
        #[serde(default)]
        timeout: Option<i32>,
    },
    /// `updates.channelDifferenceTooLong`: the local pts is too old.
    TooLong {
        /// `final`.
        #[serde(rename = "final", default)]
        is_final: bool,
        /// Poll hint in seconds.
        #[serde(default)]
        timeout: Option<i32>,
        /// The dialog; its `pts` resets the channel.
        dialog: Dialog,
        /// Latest messages (not a continuation).
        #[serde(default)]
        messages: Vec<Message>,
        /// Chats referenced.
        #[serde(default)]
        chats: Vec<Chat>,
        /// Users referenced.
        #[serde(default)]
        users: Vec<User>,
    },
    /// `updates.channelDifference`.
    Difference {
        /// `final`: no more pages.
        #[serde(rename = "final", default)]
        is_final: bool,
        /// The channel's pts after this page.
        pts: i32,
        /// Poll hint in seconds.
        #[serde(default)]
        timeout: Option<i32>,
        /// New channel messages.
        #[serde(default)]
        new_messages: Vec<Message>,
        /// Other updates of the channel.
        #[serde(default)]
        other_updates: Vec<Update>,
        /// Chats referenced.
        #[serde(default)]
        chats: Vec<Chat>,
        /// Users referenced.
        #[serde(default)]
        users: Vec<User>,
    },
}

/// `updates.getDifference` arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetDifference {
    /// Local pts.
    pub pts: i32,
    /// Local qts.
    pub qts: i32,
    /// Local date.
    pub date: i32,
    /// `pts_limit` (flag 1).
    #[serde(default)]
    pub pts_limit: Option<i32>,
    /// `pts_total_limit` (flag 0).
    #[serde(default)]
    pub pts_total_limit: Option<i32>,
    /// `qts_limit` (flag 2).
    #[serde(default)]
    pub qts_limit: Option<i32>,
}

/// `inputChannel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InputChannel {
    /// Channel id.
    pub channel_id: i64,
    /// Full access hash.
    pub access_hash: i64,
}

/// `updates.getChannelDifference` arguments (filter is always
/// `channelMessagesFilterEmpty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChannelDifference {
    /// `force`.
    #[serde(default)]
    pub force: bool,
    /// The channel.
    pub channel: InputChannel,
    /// Local channel pts.
    pub pts: i32,
    /// Page size (100 for users, 100000 for bots by default).
    pub limit: i32,
}
