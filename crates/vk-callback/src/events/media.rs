//! Media objects: photos, videos, audio, documents, links, stickers, voice
//! messages, graffiti, polls, gifts and market items.
//!
//! They are the `photo_new`, `audio_new` and `video_new` objects and the
//! bodies of attachments. Only the commonly used fields are typed; unknown
//! fields are ignored.

use serde::Deserialize;
use serde_json::Value;

use super::de::bool01;

/// A photo (`photo_new`, attachments).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Photo {
    /// Photo id.
    pub id: i64,
    /// Album id (negative for service albums).
    pub album_id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Uploader id (100 for community uploads).
    pub user_id: Option<i64>,
    /// Description.
    pub text: String,
    /// Upload time, unix seconds.
    pub date: i64,
    /// Copies of the image in several sizes.
    pub sizes: Vec<PhotoSize>,
    /// Key needed to access a private photo.
    pub access_key: Option<String>,
    /// Wall post the photo was uploaded with.
    pub post_id: Option<i64>,
}

/// One size of a photo.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhotoSize {
    /// Size letter: `s`, `m`, `x`, `y`, `z`, `w`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Image URL.
    pub url: String,
    /// Width, pixels.
    pub width: i64,
    /// Height, pixels.
    pub height: i64,
}

/// A video (`video_new`, attachments).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Video {
    /// Video id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Length, seconds.
    pub duration: i64,
    /// Upload time, unix seconds.
    pub date: i64,
    /// View count.
    pub views: i64,
    /// Comment count.
    pub comments: i64,
    /// Player URL.
    pub player: Option<String>,
    /// Key needed to access a private video.
    pub access_key: Option<String>,
    /// Preview images, raw.
    pub image: Vec<Value>,
}

/// An audio track (`audio_new`, attachments).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Audio {
    /// Track id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Artist.
    pub artist: String,
    /// Title.
    pub title: String,
    /// Length, seconds.
    pub duration: i64,
    /// File URL (may be empty).
    pub url: String,
    /// Upload time, unix seconds.
    pub date: i64,
    /// Album id.
    pub album_id: Option<i64>,
    /// Genre id.
    pub genre_id: Option<i64>,
}

/// A document.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Doc {
    /// Document id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// File name.
    pub title: String,
    /// Size, bytes.
    pub size: i64,
    /// Extension.
    pub ext: String,
    /// Download URL.
    pub url: String,
    /// Upload time, unix seconds.
    pub date: i64,
    /// Kind: 1 text, 2 archive, 3 gif, 4 image, 5 audio, 6 video, 7 e-book, 8 unknown.
    #[serde(rename = "type")]
    pub kind: i64,
    /// Key needed to access a private document.
    pub access_key: Option<String>,
}

/// A link with its preview.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Link {
    /// Target URL.
    pub url: String,
    /// Title.
    pub title: String,
    /// Caption (usually the domain).
    pub caption: Option<String>,
    /// Description.
    pub description: String,
    /// Preview photo.
    pub photo: Option<Photo>,
}

/// A sticker.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Sticker {
    /// Sticker pack id.
    pub product_id: i64,
    /// Sticker id.
    pub sticker_id: i64,
    /// Images in several sizes.
    pub images: Vec<Image>,
    /// Images on a dark background.
    pub images_with_background: Vec<Image>,
    /// Animation URL of animated stickers.
    pub animation_url: Option<String>,
}

/// An image of a given size.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Image {
    /// Image URL.
    pub url: String,
    /// Width, pixels.
    pub width: i64,
    /// Height, pixels.
    pub height: i64,
}

/// A voice message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AudioMessage {
    /// Id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Length, seconds.
    pub duration: i64,
    /// Waveform samples, 0..=31.
    pub waveform: Vec<i64>,
    /// OGG file URL.
    pub link_ogg: String,
    /// MP3 file URL.
    pub link_mp3: String,
    /// Access key.
    pub access_key: Option<String>,
    /// Speech-to-text transcript, when VK made one.
    pub transcript: Option<String>,
}

/// A graffiti.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Graffiti {
    /// Id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Image URL.
    pub url: String,
    /// Width, pixels.
    pub width: i64,
    /// Height, pixels.
    pub height: i64,
}

/// A poll.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Poll {
    /// Poll id.
    pub id: i64,
    /// Owner id.
    pub owner_id: i64,
    /// Question.
    pub question: String,
    /// Total votes.
    pub votes: i64,
    /// Answers.
    pub answers: Vec<PollAnswer>,
    /// Whether votes are anonymous.
    #[serde(deserialize_with = "bool01")]
    pub anonymous: bool,
    /// Whether several answers can be chosen.
    #[serde(deserialize_with = "bool01")]
    pub multiple: bool,
    /// Closing time, unix seconds (0: never).
    pub end_date: i64,
    /// Whether it is closed.
    #[serde(deserialize_with = "bool01")]
    pub closed: bool,
}

/// One answer of a poll.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PollAnswer {
    /// Answer id.
    pub id: i64,
    /// Text.
    pub text: String,
    /// Votes for it.
    pub votes: i64,
    /// Share of the votes, percent.
    pub rate: f64,
}

/// A gift.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Gift {
    /// Gift id.
    pub id: i64,
    /// 256 px image URL.
    pub thumb_256: Option<String>,
    /// 96 px image URL.
    pub thumb_96: Option<String>,
    /// 48 px image URL.
    pub thumb_48: Option<String>,
}

/// A market item.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MarketItem {
    /// Item id.
    pub id: i64,
    /// Owner id (negative: a community).
    pub owner_id: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Price.
    pub price: Price,
    /// Category, raw.
    pub category: Option<Value>,
    /// Cover image URL.
    pub thumb_photo: Option<String>,
    /// Creation time, unix seconds.
    pub date: i64,
    /// 0 available, 1 deleted, 2 unavailable.
    pub availability: i64,
}

/// A price.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Price {
    /// Amount in hundredths of the currency unit, as VK's string.
    pub amount: String,
    /// Currency.
    pub currency: Currency,
    /// Formatted price.
    pub text: String,
}

/// A currency.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Currency {
    /// Currency id (643 for RUB).
    pub id: i64,
    /// Currency code.
    pub name: String,
}
