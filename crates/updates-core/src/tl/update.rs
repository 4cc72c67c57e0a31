//! `Update`: every sequenced constructor the engine must order (common pts,
//! channel pts, qts, `updateChannelTooLong`, `updatePtsChanged`) plus
//! [`Update::Other`] for everything unsequenced, and the classifier that
//! tells the engine which box an update belongs to.
//!
//! The engine reads only the fields named here; payloads pass through.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::entities::{Message, Peer};

/// The qts-sequenced constructors (each counts 1 on the qts sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs, reason = "each variant is the TL constructor of the same name")]
pub enum QtsKind {
    NewEncryptedMessage,
    MessagePollVote,
    ChatParticipant,
    ChannelParticipant,
    BotStopped,
    BotChatInviteRequester,
    BotChatBoost,
    BotMessageReaction,
    BotMessageReactions,
    BotBusinessConnect,
    BotNewBusinessMessage,
    BotEditBusinessMessage,
    BotDeleteBusinessMessage,
    BotPurchasedPaidMedia,
    ManagedBot,
    BotGuestChatQuery,
    BotStarsSubscription,
}

/// One update (`Update` in TL), reduced to the fields the engine needs.
///
/// `pts`/`qts` equal to 0 mean "no position": such an update is delivered
/// but never moves a box. Updates recovered from a difference's
/// `new_messages` carry `pts = 0, pts_count = 0` for the same reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// `updateNewMessage` (common box).
    NewMessage {
        /// The message.
        message: Message,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateEditMessage` (common box).
    EditMessage {
        /// The edited message.
        message: Message,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateDeleteMessages` (common box).
    DeleteMessages {
        /// Deleted message ids.
        messages: Vec<i32>,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateReadHistoryInbox` (common box).
    ReadHistoryInbox {
        /// The chat.
        peer: Peer,
        /// Read up to this message id.
        max_id: i32,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateReadHistoryOutbox` (common box).
    ReadHistoryOutbox {
        /// The chat.
        peer: Peer,
        /// Read up to this message id.
        max_id: i32,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateWebPage` (common box).
    WebPage {
        /// The web page.
        #[serde(default)]
        payload: Value,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateReadMessagesContents` (common box).
    ReadMessagesContents {
        /// Message ids.
        messages: Vec<i32>,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateFolderPeers` (common box).
    FolderPeers {
        /// The folder peers.
        #[serde(default)]
        payload: Value,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updatePinnedMessages` (common box).
    PinnedMessages {
        /// The chat.
        peer: Peer,
        /// Message ids.
        messages: Vec<i32>,
        /// Pinned (true) or unpinned.
        #[serde(default)]
        pinned: bool,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateNewChannelMessage` (box of `message.peer_id`).
    NewChannelMessage {
        /// The message; its `peer_id` must be a channel.
        message: Message,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateEditChannelMessage` (box of `message.peer_id`).
    EditChannelMessage {
        /// The message; its `peer_id` must be a channel.
        message: Message,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateDeleteChannelMessages`.
    DeleteChannelMessages {
        /// The channel.
        channel_id: i64,
        /// Deleted message ids.
        messages: Vec<i32>,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateChannelWebPage`.
    ChannelWebPage {
        /// The channel.
        channel_id: i64,
        /// The web page.
        #[serde(default)]
        payload: Value,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updatePinnedChannelMessages`.
    PinnedChannelMessages {
        /// The channel.
        channel_id: i64,
        /// Message ids.
        messages: Vec<i32>,
        /// Pinned (true) or unpinned.
        #[serde(default)]
        pinned: bool,
        /// Box position after this update.
        pts: i32,
        /// How many positions it takes.
        pts_count: i32,
    },
    /// `updateReadChannelInbox`: carries a pts but takes no position
    /// (`pts_count` is 0).
    ReadChannelInbox {
        /// The channel.
        channel_id: i64,
        /// Read up to this message id.
        max_id: i32,
        /// The channel's pts at the time of reading.
        pts: i32,
    },
    /// `updateChannelTooLong`: the channel must be fetched with
    /// getChannelDifference.
    ChannelTooLong {
        /// The channel.
        channel_id: i64,
        /// The channel's pts, when the server knows it.
        #[serde(default)]
        pts: Option<i32>,
    },
    /// One of the qts-sequenced constructors.
    Qts {
        /// Which constructor.
        kind: QtsKind,
        /// qts after this update (0 = no position).
        qts: i32,
        /// The constructor's other fields.
        #[serde(default)]
        payload: Value,
    },
    /// `updatePtsChanged`: the common state must be refetched.
    PtsChanged,
    /// Any unsequenced update, passed through untouched.
    Other {
        /// The update as the client library represents it.
        payload: Value,
    },
}

/// Which sequence an update belongs to, as read by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    /// Not sequenced (also `pts`/`qts` 0): delivered as is.
    None,
    /// Common pts box.
    Common {
        /// Position after the update.
        pts: i32,
        /// Positions taken.
        count: i32,
    },
    /// qts box (count 1).
    Qts {
        /// Position after the update.
        qts: i32,
    },
    /// One channel's pts box.
    Channel {
        /// The channel.
        channel_id: i64,
        /// Position after the update.
        pts: i32,
        /// Positions taken.
        count: i32,
    },
    /// `updateChannelTooLong`.
    ChannelTooLong {
        /// The channel.
        channel_id: i64,
        /// Its pts if given.
        pts: Option<i32>,
    },
    /// `updatePtsChanged`.
    PtsChanged,
    /// A channel update whose message has no channel peer: malformed.
    Malformed,
}

impl Update {
    /// Classifies the update into its sequence.
    pub fn sequence(&self) -> Sequence {
        use Update as U;
        let common = |pts: i32, count: i32| {
            if pts == 0 { Sequence::None } else { Sequence::Common { pts, count } }
        };
        let channel = |channel_id: i64, pts: i32, count: i32| {
            if pts == 0 { Sequence::None } else { Sequence::Channel { channel_id, pts, count } }
        };
        match self {
            U::NewMessage { pts, pts_count, .. }
            | U::EditMessage { pts, pts_count, .. }
            | U::DeleteMessages { pts, pts_count, .. }
            | U::ReadHistoryInbox { pts, pts_count, .. }
            | U::ReadHistoryOutbox { pts, pts_count, .. }
            | U::WebPage { pts, pts_count, .. }
            | U::ReadMessagesContents { pts, pts_count, .. }
            | U::FolderPeers { pts, pts_count, .. }
            | U::PinnedMessages { pts, pts_count, .. } => common(*pts, *pts_count),
            U::NewChannelMessage { message, pts, pts_count }
            | U::EditChannelMessage { message, pts, pts_count } => match message.channel_id() {
                Some(id) => channel(id, *pts, *pts_count),
                None if *pts == 0 => Sequence::None,
                None => Sequence::Malformed,
            },
            U::DeleteChannelMessages { channel_id, pts, pts_count, .. }
            | U::ChannelWebPage { channel_id, pts, pts_count, .. }
            | U::PinnedChannelMessages { channel_id, pts, pts_count, .. } => {
                channel(*channel_id, *pts, *pts_count)
            }
            U::ReadChannelInbox { channel_id, pts, .. } => channel(*channel_id, *pts, 0),
            U::ChannelTooLong { channel_id, pts } => {
                Sequence::ChannelTooLong { channel_id: *channel_id, pts: *pts }
            }
            U::Qts { qts, .. } => {
                if *qts == 0 {
                    Sequence::None
                } else {
                    Sequence::Qts { qts: *qts }
                }
            }
            U::PtsChanged => Sequence::PtsChanged,
            U::Other { .. } => Sequence::None,
        }
    }

    /// The message carried by a message update, if any.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Update::NewMessage { message, .. }
            | Update::EditMessage { message, .. }
            | Update::NewChannelMessage { message, .. }
            | Update::EditChannelMessage { message, .. } => Some(message),
            _ => None,
        }
    }

    /// `updateNewMessage` with pts `pts` and count 1 for a message id `id`
    /// in a private chat with `user` (handy in tests and benchmarks).
    pub fn new_message(id: i32, user: i64, pts: i32) -> Update {
        Update::NewMessage {
            message: Message { id, peer_id: Some(Peer::User(user)), ..Message::default() },
            pts,
            pts_count: 1,
        }
    }

    /// `updateNewChannelMessage` in `channel` with message id `id`, pts
    /// `pts` and count 1.
    pub fn new_channel_message(channel: i64, id: i32, pts: i32) -> Update {
        Update::NewChannelMessage {
            message: Message { id, peer_id: Some(Peer::Channel(channel)), ..Message::default() },
            pts,
            pts_count: 1,
        }
    }
}
