//! Typed VK Callback API events: the 55 types vksdk knows plus
//! `message_reaction_event`, `wall_schedule_post_new` and
//! `wall_schedule_post_delete`.
//!
//! [`EventType`] names every type; [`Event`] holds a decoded object. Decoding
//! is serde over the envelope's `object`: unknown fields are ignored, missing
//! ones take their defaults, a JSON `null` object decodes as an all-default
//! object (as vksdk does), and a value of the wrong JSON type is an error the
//! server handles by its [`crate::DecodePolicy`]. This module does no I/O.

mod attachment;
mod community;
mod de;
mod media;
mod message;
mod messaging;
mod money;
mod refs;
#[cfg(test)]
mod tests;
mod wall;

use std::fmt;

use serde_json::Value;

pub use attachment::Attachment;
pub use community::{
    GroupChangePhoto, GroupChangeSettings, GroupJoin, GroupLeave, GroupOfficersEdit,
    LeadFormAnswer, LeadFormsNew, SettingChange, UserBlock, UserUnblock,
};
pub use media::{
    Audio, AudioMessage, Currency, Doc, Gift, Graffiti, Image, Link, MarketItem, Photo, PhotoSize,
    Poll, PollAnswer, Price, Sticker, Video,
};
pub use message::{
    ButtonAction, ClientInfo, Coordinates, Geo, Keyboard, KeyboardButton, Message, MessageAction,
    MessageNew,
};
pub use messaging::{
    MessageAllow, MessageDeny, MessageEvent, MessageReactionEvent, MessageRead, MessageTypingState,
};
pub use money::{
    AppPayload, DonutPriceChanged, DonutSubscription, DonutSubscriptionEnded, DonutWithdraw,
    DonutWithdrawError, MarketOrder, VkpayTransaction,
};
pub use refs::{
    BoardPostDelete, Like, MarketCommentDelete, PhotoCommentDelete, PollVoteNew,
    VideoCommentDelete, WallReplyDelete, WallSchedulePost,
};
pub use wall::{BoardComment, Counter, WallComment, WallPost};

/// Calls `$m!` with the table of every typed event:
/// `(Variant, "wire_name", ObjectType, builder_method)`.
macro_rules! with_events {
    ($m:ident) => {
        $m! {
            (MessageNew, "message_new", MessageNew, message_new),
            (MessageReply, "message_reply", Message, message_reply),
            (MessageEdit, "message_edit", Message, message_edit),
            (MessageAllow, "message_allow", MessageAllow, message_allow),
            (MessageDeny, "message_deny", MessageDeny, message_deny),
            (MessageTypingState, "message_typing_state", MessageTypingState, message_typing_state),
            (MessageEvent, "message_event", MessageEvent, message_event),
            (MessageRead, "message_read", MessageRead, message_read),
            (MessageReactionEvent, "message_reaction_event", MessageReactionEvent, message_reaction_event),
            (PhotoNew, "photo_new", Photo, photo_new),
            (PhotoCommentNew, "photo_comment_new", WallComment, photo_comment_new),
            (PhotoCommentEdit, "photo_comment_edit", WallComment, photo_comment_edit),
            (PhotoCommentRestore, "photo_comment_restore", WallComment, photo_comment_restore),
            (PhotoCommentDelete, "photo_comment_delete", PhotoCommentDelete, photo_comment_delete),
            (AudioNew, "audio_new", Audio, audio_new),
            (VideoNew, "video_new", Video, video_new),
            (VideoCommentNew, "video_comment_new", WallComment, video_comment_new),
            (VideoCommentEdit, "video_comment_edit", WallComment, video_comment_edit),
            (VideoCommentRestore, "video_comment_restore", WallComment, video_comment_restore),
            (VideoCommentDelete, "video_comment_delete", VideoCommentDelete, video_comment_delete),
            (WallPostNew, "wall_post_new", WallPost, wall_post_new),
            (WallRepost, "wall_repost", WallPost, wall_repost),
            (WallSchedulePostNew, "wall_schedule_post_new", WallSchedulePost, wall_schedule_post_new),
            (WallSchedulePostDelete, "wall_schedule_post_delete", WallSchedulePost, wall_schedule_post_delete),
            (WallReplyNew, "wall_reply_new", WallComment, wall_reply_new),
            (WallReplyEdit, "wall_reply_edit", WallComment, wall_reply_edit),
            (WallReplyRestore, "wall_reply_restore", WallComment, wall_reply_restore),
            (WallReplyDelete, "wall_reply_delete", WallReplyDelete, wall_reply_delete),
            (BoardPostNew, "board_post_new", BoardComment, board_post_new),
            (BoardPostEdit, "board_post_edit", BoardComment, board_post_edit),
            (BoardPostRestore, "board_post_restore", BoardComment, board_post_restore),
            (BoardPostDelete, "board_post_delete", BoardPostDelete, board_post_delete),
            (MarketCommentNew, "market_comment_new", WallComment, market_comment_new),
            (MarketCommentEdit, "market_comment_edit", WallComment, market_comment_edit),
            (MarketCommentRestore, "market_comment_restore", WallComment, market_comment_restore),
            (MarketCommentDelete, "market_comment_delete", MarketCommentDelete, market_comment_delete),
            (MarketOrderNew, "market_order_new", MarketOrder, market_order_new),
            (MarketOrderEdit, "market_order_edit", MarketOrder, market_order_edit),
            (GroupLeave, "group_leave", GroupLeave, group_leave),
            (GroupJoin, "group_join", GroupJoin, group_join),
            (UserBlock, "user_block", UserBlock, user_block),
            (UserUnblock, "user_unblock", UserUnblock, user_unblock),
            (PollVoteNew, "poll_vote_new", PollVoteNew, poll_vote_new),
            (GroupOfficersEdit, "group_officers_edit", GroupOfficersEdit, group_officers_edit),
            (GroupChangeSettings, "group_change_settings", GroupChangeSettings, group_change_settings),
            (GroupChangePhoto, "group_change_photo", GroupChangePhoto, group_change_photo),
            (VkpayTransaction, "vkpay_transaction", VkpayTransaction, vkpay_transaction),
            (LeadFormsNew, "lead_forms_new", LeadFormsNew, lead_forms_new),
            (AppPayload, "app_payload", AppPayload, app_payload),
            (LikeAdd, "like_add", Like, like_add),
            (LikeRemove, "like_remove", Like, like_remove),
            (DonutSubscriptionCreate, "donut_subscription_create", DonutSubscription, donut_subscription_create),
            (DonutSubscriptionProlonged, "donut_subscription_prolonged", DonutSubscription, donut_subscription_prolonged),
            (DonutSubscriptionExpired, "donut_subscription_expired", DonutSubscriptionEnded, donut_subscription_expired),
            (DonutSubscriptionCancelled, "donut_subscription_cancelled", DonutSubscriptionEnded, donut_subscription_cancelled),
            (DonutSubscriptionPriceChanged, "donut_subscription_price_changed", DonutPriceChanged, donut_subscription_price_changed),
            (DonutMoneyWithdraw, "donut_money_withdraw", DonutWithdraw, donut_money_withdraw),
            (DonutMoneyWithdrawError, "donut_money_withdraw_error", DonutWithdrawError, donut_money_withdraw_error),
        }
    };
}
pub(crate) use with_events;

macro_rules! define_events {
    ($(($variant:ident, $name:literal, $object:ident, $method:ident)),* $(,)?) => {
        /// The name of a typed event, as in the envelope's `type`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl EventType {
            /// Every typed event, in a stable order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            /// The wire name (`"message_new"`, ...).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }

            /// Looks a wire name up; `None` for names this crate does not type.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(EventType::$variant),)*
                    _ => None,
                }
            }
        }

        /// A decoded event object.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant($object),
            )*
        }

        impl Event {
            /// The event's type.
            pub const fn event_type(&self) -> EventType {
                match self {
                    $(Event::$variant(_) => EventType::$variant,)*
                }
            }

            /// Decodes `object` as the object of `kind`. A JSON `null` gives an
            /// all-default object.
            ///
            /// # Errors
            /// `object` (or a value inside it) has the wrong JSON type.
            pub fn decode(kind: EventType, object: Value) -> Result<Self, serde_json::Error> {
                Self::deserialize_as(kind, object)
            }

            /// Deserializes the object of `kind` straight from `deserializer`
            /// (a JSON `null` gives an all-default object).
            ///
            /// # Errors
            /// The value (or one inside it) has the wrong JSON type.
            pub fn deserialize_as<'de, D: serde::Deserializer<'de>>(
                kind: EventType,
                deserializer: D,
            ) -> Result<Self, D::Error> {
                use serde::Deserialize;
                Ok(match kind {
                    $(EventType::$variant => Event::$variant(
                        Option::<$object>::deserialize(deserializer)?.unwrap_or_default(),
                    ),)*
                })
            }
        }
    };
}
with_events!(define_events);

impl EventType {
    /// Whether `groups.setCallbackSettings` accepts this event by name.
    /// `vkpay_transaction` and `app_payload` are always delivered and cannot
    /// be switched there.
    pub const fn is_configurable(self) -> bool {
        !matches!(self, EventType::VkpayTransaction | EventType::AppPayload)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
