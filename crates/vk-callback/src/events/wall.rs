//! Wall objects: posts (`wall_post_new`, `wall_repost`), comments on posts,
//! photos, videos and market items (`*_comment_new/edit/restore`,
//! `wall_reply_*`) and board (discussion) comments.

use serde::Deserialize;
use serde_json::Value;

use super::attachment::Attachment;
use super::de::bool01;

/// A wall post.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WallPost {
    /// Post id.
    pub id: i64,
    /// Wall owner (negative: a community).
    pub owner_id: i64,
    /// Author.
    pub from_id: i64,
    /// Administrator who published it on behalf of the community.
    pub created_by: Option<i64>,
    /// Publication time, unix seconds.
    pub date: i64,
    /// Text.
    pub text: String,
    /// `post`, `copy`, `reply`, `postpone` or `suggest`.
    pub post_type: String,
    /// Whether it is an advertisement.
    #[serde(deserialize_with = "bool01")]
    pub marked_as_ads: bool,
    /// Whether the current user may edit it.
    #[serde(deserialize_with = "bool01")]
    pub can_edit: bool,
    /// Whether the current user may delete it.
    #[serde(deserialize_with = "bool01")]
    pub can_delete: bool,
    /// Whether the current user may pin it.
    #[serde(deserialize_with = "bool01")]
    pub can_pin: bool,
    /// Whether it is pinned.
    #[serde(deserialize_with = "bool01")]
    pub is_pinned: bool,
    /// Whether it is in bookmarks.
    #[serde(deserialize_with = "bool01")]
    pub is_favorite: bool,
    /// Comment counters.
    pub comments: Option<Counter>,
    /// Like counters.
    pub likes: Option<Counter>,
    /// Repost counters.
    pub reposts: Option<Counter>,
    /// View counters.
    pub views: Option<Counter>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// The chain of reposted posts (for copies).
    pub copy_history: Vec<WallPost>,
    /// Author shown under the post.
    pub signer_id: Option<i64>,
    /// Id of the scheduled post it was published from.
    pub postponed_id: Option<i64>,
    /// VK Donut settings of the post, raw.
    pub donut: Option<Value>,
    /// How it was published, raw.
    pub post_source: Option<Value>,
    /// Location, raw.
    pub geo: Option<Value>,
    /// Source link, raw.
    pub copyright: Option<Value>,
    /// Hash of the post.
    pub hash: Option<String>,
}

/// A counter block (`comments`, `likes`, `reposts`, `views`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Counter {
    /// The count.
    pub count: i64,
    /// Whether the current user liked or reposted it.
    #[serde(deserialize_with = "bool01")]
    pub user_likes: bool,
    /// Whether the current user can comment, like or repost.
    #[serde(deserialize_with = "bool01")]
    pub can_post: bool,
}

/// A comment on a post, photo, video or market item.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WallComment {
    /// Comment id.
    pub id: i64,
    /// Author.
    pub from_id: i64,
    /// Time, unix seconds.
    pub date: i64,
    /// Text.
    pub text: String,
    /// Post id (wall comments).
    pub post_id: Option<i64>,
    /// Owner of the commented object.
    pub owner_id: Option<i64>,
    /// Owner of the post (wall comments).
    pub post_owner_id: Option<i64>,
    /// Photo id (photo comments).
    pub photo_id: Option<i64>,
    /// Photo owner (photo comments).
    pub photo_owner_id: Option<i64>,
    /// Video id (video comments).
    pub video_id: Option<i64>,
    /// Video owner (video comments).
    pub video_owner_id: Option<i64>,
    /// Market item id (market comments).
    pub item_id: Option<i64>,
    /// Market item owner (market comments).
    pub market_owner_id: Option<i64>,
    /// User the comment answers.
    pub reply_to_user: Option<i64>,
    /// Comment the comment answers.
    pub reply_to_comment: Option<i64>,
    /// Ids of the parent comments, root first.
    pub parents_stack: Vec<i64>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Nested replies, raw.
    pub thread: Option<Value>,
    /// Likes, raw.
    pub likes: Option<Value>,
}

/// A comment in a board (discussion) topic.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BoardComment {
    /// Comment id.
    pub id: i64,
    /// Author.
    pub from_id: i64,
    /// Time, unix seconds.
    pub date: i64,
    /// Text.
    pub text: String,
    /// Topic id.
    pub topic_id: i64,
    /// Topic owner (negative: a community).
    pub topic_owner_id: i64,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Likes, raw.
    pub likes: Option<Value>,
}
