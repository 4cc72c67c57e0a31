//! Objects that only point at other objects by id: deletions, likes, poll
//! votes and scheduled posts.

use serde::Deserialize;

/// `photo_comment_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhotoCommentDelete {
    /// Photo owner.
    pub owner_id: i64,
    /// Comment id.
    pub id: i64,
    /// Comment author.
    pub user_id: i64,
    /// Who deleted it.
    pub deleter_id: i64,
    /// Photo id.
    pub photo_id: i64,
}

/// `video_comment_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VideoCommentDelete {
    /// Video owner.
    pub owner_id: i64,
    /// Comment id.
    pub id: i64,
    /// Comment author.
    pub user_id: i64,
    /// Who deleted it.
    pub deleter_id: i64,
    /// Video id.
    pub video_id: i64,
}

/// `wall_reply_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WallReplyDelete {
    /// Wall owner.
    pub owner_id: i64,
    /// Comment id.
    pub id: i64,
    /// Who deleted it.
    pub deleter_id: i64,
    /// Post id.
    pub post_id: i64,
}

/// `board_post_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BoardPostDelete {
    /// Topic owner.
    pub topic_owner_id: i64,
    /// Topic id.
    pub topic_id: i64,
    /// Comment id.
    pub id: i64,
}

/// `market_comment_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MarketCommentDelete {
    /// Item owner.
    pub owner_id: i64,
    /// Comment id.
    pub id: i64,
    /// Comment author.
    pub user_id: i64,
    /// Who deleted it.
    pub deleter_id: i64,
    /// Item id.
    pub item_id: i64,
}

/// `like_add` and `like_remove`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Like {
    /// Who liked.
    pub liker_id: i64,
    /// `post`, `comment`, `photo`, `video`, `note`, `market`, `topic_comment`,
    /// `photo_comment`, `video_comment`, `market_comment`.
    pub object_type: String,
    /// Owner of the liked object.
    pub object_owner_id: i64,
    /// Id of the liked object.
    pub object_id: i64,
    /// Id of the reply in a comment thread.
    pub thread_reply_id: i64,
    /// Post id, for comments (0 otherwise).
    pub post_id: i64,
}

/// `poll_vote_new`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PollVoteNew {
    /// Poll owner.
    pub owner_id: i64,
    /// Poll id.
    pub poll_id: i64,
    /// Chosen answer id.
    pub option_id: i64,
    /// Voter.
    pub user_id: i64,
}

/// `wall_schedule_post_new` and `wall_schedule_post_delete`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WallSchedulePost {
    /// Scheduled post id.
    pub id: i64,
    /// Scheduled publication time, unix seconds.
    pub schedule_time: i64,
}
