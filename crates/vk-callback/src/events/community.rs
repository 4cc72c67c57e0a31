//! Community membership and administration objects: joins, leaves, blocks,
//! officer and settings changes, lead forms.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::de::bool01;
use super::media::Photo;

/// `group_leave`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupLeave {
    /// The user.
    pub user_id: i64,
    /// Whether the user left (true) or was removed.
    #[serde(rename = "self", deserialize_with = "bool01")]
    pub by_self: bool,
}

/// `group_join`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupJoin {
    /// The user.
    pub user_id: i64,
    /// `join`, `unsure`, `accepted`, `approved` or `request`.
    pub join_type: String,
}

/// `user_block`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserBlock {
    /// Administrator who blocked.
    pub admin_id: i64,
    /// Blocked user.
    pub user_id: i64,
    /// Unblock time, unix seconds (0: forever).
    pub unblock_date: i64,
    /// 0 other, 1 spam, 2 insulting, 3 obscene, 4 off-topic.
    pub reason: i64,
    /// Administrator's comment.
    pub comment: String,
}

/// `user_unblock`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserUnblock {
    /// Administrator who unblocked (for manual unblocks).
    pub admin_id: i64,
    /// Unblocked user.
    pub user_id: i64,
    /// Whether the block simply expired.
    #[serde(deserialize_with = "bool01")]
    pub by_end_date: bool,
}

/// `group_officers_edit`. Levels: 0 none, 1 moderator, 2 editor, 3 administrator.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupOfficersEdit {
    /// Who made the change.
    pub admin_id: i64,
    /// Whose level changed.
    pub user_id: i64,
    /// Level before.
    pub level_old: i64,
    /// Level after.
    pub level_new: i64,
}

/// `group_change_settings`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupChangeSettings {
    /// Who changed them.
    pub user_id: i64,
    /// Changed settings by name (`title`, `description`, `access`, ...).
    pub changes: BTreeMap<String, SettingChange>,
}

/// One changed setting; values are kept as VK sent them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SettingChange {
    /// Value before.
    pub old_value: Value,
    /// Value after.
    pub new_value: Value,
}

/// `group_change_photo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupChangePhoto {
    /// Who changed it.
    pub user_id: i64,
    /// The new photo.
    pub photo: Photo,
}

/// `lead_forms_new`: a lead form was filled in.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LeadFormsNew {
    /// Lead id.
    pub lead_id: i64,
    /// Community id.
    pub group_id: i64,
    /// The user.
    pub user_id: i64,
    /// Form id.
    pub form_id: i64,
    /// Form name.
    pub form_name: String,
    /// Ad id, when it came from an ad.
    pub ad_id: i64,
    /// The answers.
    pub answers: Vec<LeadFormAnswer>,
}

/// One answer of a lead form.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LeadFormAnswer {
    /// Field key (`first_name`, `phone_number`, custom...).
    pub key: String,
    /// Question text.
    pub question: String,
    /// Answer; a string, or a list for multi-choice questions, raw.
    pub answer: Value,
}
