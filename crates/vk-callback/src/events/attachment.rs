//! Attachments of messages, posts and comments: `{type, <type>: {...}}`.
//!
//! Known kinds decode into typed bodies. A kind this crate does not type, or
//! a known kind whose body does not fit the typed shape (VK's schema drifts),
//! becomes [`Attachment::Other`] with the raw body, so one odd attachment
//! never fails the whole event.

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::Value;

use super::media::{
    Audio, AudioMessage, Doc, Gift, Graffiti, Link, MarketItem, Photo, Poll, Sticker, Video,
};
use super::wall::{WallComment, WallPost};

/// One attachment.
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment {
    /// `photo`.
    Photo(Photo),
    /// `video`.
    Video(Video),
    /// `audio`.
    Audio(Audio),
    /// `doc`.
    Doc(Doc),
    /// `link`.
    Link(Link),
    /// `sticker`.
    Sticker(Sticker),
    /// `audio_message` (a voice message).
    AudioMessage(AudioMessage),
    /// `graffiti`.
    Graffiti(Graffiti),
    /// `poll`.
    Poll(Poll),
    /// `gift`.
    Gift(Gift),
    /// `market`.
    Market(MarketItem),
    /// `wall`: a shared post.
    Wall(Box<WallPost>),
    /// `wall_reply`: a shared comment.
    WallReply(Box<WallComment>),
    /// Any other kind (`story`, `call`, `podcast`, `market_album`, ...), or a
    /// known kind whose body did not decode: the raw body is kept.
    Other {
        /// The `type` field.
        kind: String,
        /// The body under the `<type>` key (`null` if absent).
        body: Value,
    },
}

impl Attachment {
    /// The attachment's `type` as VK names it.
    pub fn kind(&self) -> &str {
        match self {
            Self::Photo(_) => "photo",
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Doc(_) => "doc",
            Self::Link(_) => "link",
            Self::Sticker(_) => "sticker",
            Self::AudioMessage(_) => "audio_message",
            Self::Graffiti(_) => "graffiti",
            Self::Poll(_) => "poll",
            Self::Gift(_) => "gift",
            Self::Market(_) => "market",
            Self::Wall(_) => "wall",
            Self::WallReply(_) => "wall_reply",
            Self::Other { kind, .. } => kind,
        }
    }

    fn from_parts(kind: String, body: Value) -> Self {
        fn typed<T: DeserializeOwned>(body: &Value) -> Option<T> {
            T::deserialize(body).ok()
        }
        let typed = match kind.as_str() {
            "photo" => typed(&body).map(Self::Photo),
            "video" => typed(&body).map(Self::Video),
            "audio" => typed(&body).map(Self::Audio),
            "doc" => typed(&body).map(Self::Doc),
            "link" => typed(&body).map(Self::Link),
            "sticker" => typed(&body).map(Self::Sticker),
            "audio_message" => typed(&body).map(Self::AudioMessage),
            "graffiti" => typed(&body).map(Self::Graffiti),
            "poll" => typed(&body).map(Self::Poll),
            "gift" => typed(&body).map(Self::Gift),
            "market" => typed(&body).map(Self::Market),
            "wall" => typed(&body).map(|p| Self::Wall(Box::new(p))),
            "wall_reply" => typed(&body).map(|c| Self::WallReply(Box::new(c))),
            _ => None,
        };
        typed.unwrap_or(Self::Other { kind, body })
    }
}

impl<'de> Deserialize<'de> for Attachment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Value::Object(mut map) = Value::deserialize(d)? else {
            return Err(de::Error::custom("an attachment must be an object"));
        };
        let kind = match map.remove("type") {
            Some(Value::String(kind)) => kind,
            _ => return Err(de::Error::custom("an attachment needs a string `type`")),
        };
        let body = map.remove(&kind).unwrap_or(Value::Null);
        Ok(Self::from_parts(kind, body))
    }
}
