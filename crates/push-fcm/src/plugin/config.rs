//! The handler's config: Tinode's `fcm` section (`enabled`, `dry_run`,
//! `credentials` or `credentials_file`, `time_to_live`, `apns_bundle_id`,
//! `android` / `apns` / `webpush` blocks with `msg` / `sub` overrides and
//! `$content`; `project_id` is accepted and ignored, as Tinode does) plus
//! msgkit's own keys: `buffer`, `concurrency`, `max_attempts`,
//! `http_version`, and endpoint overrides `token_uri`, `fcm_base_url`,
//! `iid_base_url` (for tests and proxies).
//!
//! Every error names the field: each key is read on its own, so a wrong
//! type says which key it was. It does not load credentials; the handler
//! does, so a disabled config needs none.

use push_core::HandlerError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::transport::HttpVersion;

/// Queue size when the config gives none (Tinode's fcm buffer).
pub const DEFAULT_BUFFER: usize = 1024;
/// Messages in flight when the config gives none.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Android TTL and APNs expiry when the config gives none (seconds).
pub const DEFAULT_TIME_TO_LIVE: u64 = 3600;

/// The notification texts of one platform block (Tinode's
/// `common.Payload`); `body` `$content` stands for the message preview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Texts {
    /// Title.
    pub title: String,
    /// Body; `$content` is replaced by the message preview.
    pub body: String,
    /// Localisation key of the title.
    pub title_loc_key: String,
    /// Localisation arguments of the title.
    pub title_loc_args: Vec<String>,
    /// Localisation key of the body.
    pub body_loc_key: String,
    /// Localisation arguments of the body.
    pub body_loc_args: Vec<String>,
    /// Android icon.
    pub icon: String,
    /// Android icon colour.
    pub color: String,
    /// Android click action.
    pub click_action: String,
    /// Sound.
    pub sound: String,
    /// Image URL.
    pub image: String,
    /// APNs action.
    pub action: String,
    /// APNs action localisation key.
    pub action_loc_key: String,
    /// APNs launch image.
    pub launch_image: String,
    /// APNs localisation arguments.
    pub loc_args: Vec<String>,
    /// APNs localisation key.
    pub loc_key: String,
    /// APNs subtitle.
    pub subtitle: String,
    /// APNs summary argument.
    pub summary_arg: String,
    /// APNs summary argument count.
    pub summary_arg_count: u32,
}

impl Texts {
    /// Each field from `over` where it is set, else from `self`.
    pub(crate) fn overlaid(&self, over: &Texts) -> Texts {
        let pick = |a: &String, b: &String| if b.is_empty() { a.clone() } else { b.clone() };
        let pick_list =
            |a: &Vec<String>, b: &Vec<String>| if b.is_empty() { a.clone() } else { b.clone() };
        Texts {
            title: pick(&self.title, &over.title),
            body: pick(&self.body, &over.body),
            title_loc_key: pick(&self.title_loc_key, &over.title_loc_key),
            title_loc_args: pick_list(&self.title_loc_args, &over.title_loc_args),
            body_loc_key: pick(&self.body_loc_key, &over.body_loc_key),
            body_loc_args: pick_list(&self.body_loc_args, &over.body_loc_args),
            icon: pick(&self.icon, &over.icon),
            color: pick(&self.color, &over.color),
            click_action: pick(&self.click_action, &over.click_action),
            sound: pick(&self.sound, &over.sound),
            image: pick(&self.image, &over.image),
            action: pick(&self.action, &over.action),
            action_loc_key: pick(&self.action_loc_key, &over.action_loc_key),
            launch_image: pick(&self.launch_image, &over.launch_image),
            loc_args: pick_list(&self.loc_args, &over.loc_args),
            loc_key: pick(&self.loc_key, &over.loc_key),
            subtitle: pick(&self.subtitle, &over.subtitle),
            summary_arg: pick(&self.summary_arg, &over.summary_arg),
            summary_arg_count: if over.summary_arg_count == 0 {
                self.summary_arg_count
            } else {
                over.summary_arg_count
            },
        }
    }
}

/// One platform block (Tinode's `common.Config`): enabled, default texts,
/// per-action overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformConfig {
    /// Show notifications on this platform (else data-only / badge-only).
    pub enabled: bool,
    /// Default texts.
    #[serde(flatten)]
    pub texts: Texts,
    /// Overrides for `msg` pushes.
    pub msg: Texts,
    /// Overrides for `sub` pushes.
    pub sub: Texts,
}

/// The handler's config, read.
#[derive(Debug, Clone, PartialEq)]
pub struct FcmConfig {
    /// Send at all.
    pub enabled: bool,
    /// `validate_only` on every send.
    pub dry_run: bool,
    /// The inline service-account key.
    pub credentials: Option<Value>,
    /// Path of the service-account key file (used when `credentials` is absent).
    pub credentials_file: Option<String>,
    /// Android TTL and APNs expiry, seconds.
    pub time_to_live: u64,
    /// The `apns-topic` header (the iOS bundle id), or empty.
    pub apns_bundle_id: String,
    /// Android block.
    pub android: PlatformConfig,
    /// APNs block.
    pub apns: PlatformConfig,
    /// Web push block.
    pub webpush: PlatformConfig,
    /// Queue size.
    pub buffer: usize,
    /// Messages in flight.
    pub concurrency: usize,
    /// Send attempts per message, the first included.
    pub max_attempts: u32,
    /// HTTP version.
    pub http_version: HttpVersion,
    /// Token endpoint override.
    pub token_uri: Option<String>,
    /// FCM base URL override.
    pub fcm_base_url: Option<String>,
    /// IID base URL override.
    pub iid_base_url: Option<String>,
}

const FIELDS: &[&str] = &[
    "enabled",
    "dry_run",
    "credentials",
    "credentials_file",
    "time_to_live",
    "apns_bundle_id",
    "android",
    "apns",
    "webpush",
    "project_id",
    "buffer",
    "concurrency",
    "max_attempts",
    "http_version",
    "token_uri",
    "fcm_base_url",
    "iid_base_url",
];

fn invalid(field: &str, reason: impl std::fmt::Display) -> HandlerError {
    HandlerError::ConfigValue(format!("`{field}`: {reason}"))
}

fn read<T: DeserializeOwned>(
    map: &Map<String, Value>,
    field: &str,
) -> Result<Option<T>, HandlerError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => T::deserialize(value).map(Some).map_err(|e| invalid(field, e)),
    }
}

impl FcmConfig {
    /// Reads the config JSON; errors name the field.
    ///
    /// ```
    /// use push_fcm::FcmConfig;
    ///
    /// let config = FcmConfig::from_json(&serde_json::json!({"enabled": false}))?;
    /// assert_eq!((config.buffer, config.time_to_live), (1024, 3600));
    /// let error = FcmConfig::from_json(&serde_json::json!({"time_to_live": "1h"})).err();
    /// assert!(error.is_some_and(|e| e.to_string().contains("`time_to_live`")));
    /// # Ok::<(), push_core::HandlerError>(())
    /// ```
    pub fn from_json(json: &Value) -> Result<Self, HandlerError> {
        let map: Map<String, Value> = push_core::parse_config(json)?;
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(unknown, format!("unknown field `{unknown}`")));
        }
        let positive =
            |field: &str, value: Option<i64>, default: usize| -> Result<usize, HandlerError> {
                match value {
                    None | Some(0) => Ok(default),
                    Some(n) if n < 0 => Err(invalid(field, format!("must be positive, not {n}"))),
                    Some(n) => usize::try_from(n).map_err(|e| invalid(field, e)),
                }
            };
        let buffer = positive("buffer", read(&map, "buffer")?, DEFAULT_BUFFER)?;
        if buffer > push_core::MAX_BUFFER {
            return Err(invalid(
                "buffer",
                format!("buffer {buffer} is outside 1..={}", push_core::MAX_BUFFER),
            ));
        }
        let http_version = match read::<String>(&map, "http_version")?.as_deref() {
            None | Some("auto") => HttpVersion::Auto,
            Some("http1") => HttpVersion::Http1,
            Some("http2") => HttpVersion::Http2,
            Some(other) => {
                return Err(invalid(
                    "http_version",
                    format!("`{other}` is not auto, http1 or http2"),
                ));
            }
        };
        let credentials: Option<Value> = read(&map, "credentials")?;
        if credentials.as_ref().is_some_and(|c| !c.is_object()) {
            return Err(invalid("credentials", "must be a service-account key object"));
        }
        let max_attempts = positive("max_attempts", read(&map, "max_attempts")?, 5)?;
        let platform = |field| -> Result<PlatformConfig, HandlerError> {
            Ok(read(&map, field)?.unwrap_or_default())
        };
        Ok(Self {
            enabled: read(&map, "enabled")?.unwrap_or(false),
            dry_run: read(&map, "dry_run")?.unwrap_or(false),
            credentials,
            credentials_file: read(&map, "credentials_file")?,
            time_to_live: positive(
                "time_to_live",
                read(&map, "time_to_live")?,
                DEFAULT_TIME_TO_LIVE as usize,
            )? as u64,
            apns_bundle_id: read(&map, "apns_bundle_id")?.unwrap_or_default(),
            android: platform("android")?,
            apns: platform("apns")?,
            webpush: platform("webpush")?,
            buffer,
            concurrency: positive("concurrency", read(&map, "concurrency")?, DEFAULT_CONCURRENCY)?,
            max_attempts: u32::try_from(max_attempts).map_err(|e| invalid("max_attempts", e))?,
            http_version,
            token_uri: read(&map, "token_uri")?,
            fcm_base_url: read(&map, "fcm_base_url")?,
            iid_base_url: read(&map, "iid_base_url")?,
        })
    }
}

/// The texts for `action` on a platform: the `msg` / `sub` override over
/// the defaults (`read` uses the defaults only).
pub(crate) fn texts_for(platform: &PlatformConfig, action: push_core::Action) -> Texts {
    match action {
        push_core::Action::Msg => platform.texts.overlaid(&platform.msg),
        push_core::Action::Sub => platform.texts.overlaid(&platform.sub),
        push_core::Action::Read => platform.texts.clone(),
    }
}
