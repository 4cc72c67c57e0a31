//! AutoSetting: registers this server as the community's callback server,
//! in vksdk's order.
//!
//! 1. `groups.getById` finds the community (error 100 means a user token);
//! 2. `groups.getCallbackServers`: a server with our URL and status `ok` is
//!    reused with its secret; ones with our URL in another status are
//!    deleted (`groups.deleteCallbackServer`, errors ignored);
//! 3. otherwise a 24-character secret is drawn from the OS CSPRNG (unbiased)
//!    and stored for the group before anything else;
//! 4. `groups.getCallbackConfirmationCode`, stored before the server is
//!    added, so VK's confirmation request during step 5 is answered;
//! 5. `groups.addCallbackServer` (skipped when reusing);
//! 6. `groups.setCallbackSettings` with `api_version` and every event that
//!    has a handler (`vkpay_transaction` and `app_payload` cannot be set).
//!
//! The HTTP server must already be listening when this runs.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use serde::Deserialize;
use serde_json::Value;
use tracing::{info, warn};

use crate::api::VkApi;
use crate::callback::Callback;
use crate::error::{ApiError, SetupError};
use crate::events::EventType;

/// The longest title VK accepts.
pub const MAX_TITLE_CHARS: usize = 14;
const SECRET_LEN: usize = 24;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What AutoSetting configured.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Setup {
    /// The community.
    pub group_id: i64,
    /// The callback server's id in the community.
    pub server_id: i64,
    /// The secret VK will send.
    pub secret: String,
    /// The confirmation code stored for the group.
    pub confirmation: String,
    /// Whether an existing working server was reused.
    pub reused: bool,
    /// The events switched on.
    pub events: Vec<String>,
}

impl fmt::Debug for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setup")
            .field("group_id", &self.group_id)
            .field("server_id", &self.server_id)
            .field("secret", &"<redacted>")
            .field("confirmation", &self.confirmation)
            .field("reused", &self.reused)
            .field("events", &self.events)
            .finish()
    }
}

/// AutoSetting for one URL. See the module docs for the call order.
///
/// ```no_run
/// # async fn run(callback: vk_callback::Callback) -> Result<(), Box<dyn std::error::Error>> {
/// let api = vk_callback::VkApi::new(std::env::var("VK_TOKEN")?)?;
/// let setup = vk_callback::AutoSetting::new("https://bot.example.org/vk")
///     .title("my bot")
///     .run(&callback, &api)
///     .await?;
/// tracing::info!(group = setup.group_id, server = setup.server_id, "ready");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AutoSetting {
    url: String,
    title: String,
}

#[derive(Deserialize)]
struct GroupsPage {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    id: i64,
}

#[derive(Deserialize)]
struct Servers {
    #[serde(default)]
    items: Vec<ServerItem>,
}

#[derive(Deserialize)]
struct ServerItem {
    id: i64,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret_key: String,
    #[serde(default)]
    status: String,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Added {
    server_id: i64,
}

impl AutoSetting {
    /// Registers `url` with the default title `vk-callback`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), title: "vk-callback".to_owned() }
    }

    /// The server's title in the community settings (at most 14 characters).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Runs the sequence and stores the secret and confirmation code in
    /// `callback`'s keys for the group.
    ///
    /// # Errors
    /// A title over 14 characters (before any call), a user token, or any
    /// failing VK call except the deletion of broken servers.
    pub async fn run(&self, callback: &Callback, api: &VkApi) -> Result<Setup, SetupError> {
        let chars = self.title.chars().count();
        if chars > MAX_TITLE_CHARS {
            return Err(SetupError::TitleTooLong(chars));
        }
        let group_id = group_id(api).await?;
        let gid = group_id.to_string();
        let servers: Servers = api
            .call("groups.getCallbackServers", &[("group_id", gid.clone())])
            .await
            .map_err(|source| SetupError::Api { step: "groups.getCallbackServers", source })?;
        let mut reused = None;
        for server in servers.items.iter().filter(|s| s.url == self.url) {
            if server.status == "ok" {
                reused = Some((server.id, server.secret_key.clone()));
                break;
            }
            let params = [("group_id", gid.clone()), ("server_id", server.id.to_string())];
            if let Err(e) = api.call::<Value>("groups.deleteCallbackServer", &params).await {
                warn!(server_id = server.id, error = %e, "cannot delete a broken callback server");
            }
        }
        let secret = match &reused {
            Some((_, secret)) => secret.clone(),
            None => generate_secret()?,
        };
        callback.keys().set_group_secret(group_id, &secret);
        let Code { code } = api
            .call("groups.getCallbackConfirmationCode", &[("group_id", gid.clone())])
            .await
            .map_err(|source| SetupError::Api {
                step: "groups.getCallbackConfirmationCode",
                source,
            })?;
        callback.keys().set_group_confirmation(group_id, &code);
        let was_reused = reused.is_some();
        let server_id = match reused {
            Some((id, _)) => id,
            None => {
                let params = [
                    ("group_id", gid.clone()),
                    ("url", self.url.clone()),
                    ("title", self.title.clone()),
                    ("secret_key", secret.clone()),
                ];
                let added: Added =
                    api.call("groups.addCallbackServer", &params).await.map_err(|source| {
                        SetupError::Api { step: "groups.addCallbackServer", source }
                    })?;
                added.server_id
            }
        };
        let events: Vec<String> = callback
            .event_names()
            .into_iter()
            .filter(|name| EventType::from_name(name).is_none_or(EventType::is_configurable))
            .collect();
        let mut params = vec![
            ("group_id", gid),
            ("server_id", server_id.to_string()),
            ("api_version", api.version().to_owned()),
        ];
        params.extend(events.iter().map(|name| (name.as_str(), "1".to_owned())));
        api.call::<Value>("groups.setCallbackSettings", &params)
            .await
            .map_err(|source| SetupError::Api { step: "groups.setCallbackSettings", source })?;
        info!(group_id, server_id, reused = was_reused, "callback server set up");
        Ok(Setup { group_id, server_id, secret, confirmation: code, reused: was_reused, events })
    }
}

/// `groups.getById` in either shape: 5.199's `{groups: [...]}` or the older list.
async fn group_id(api: &VkApi) -> Result<i64, SetupError> {
    let answer: Value = api.call("groups.getById", &[]).await.map_err(|e| match e {
        ApiError::Vk { code: 100, .. } => SetupError::NeedGroupToken(e),
        source => SetupError::Api { step: "groups.getById", source },
    })?;
    let groups = match answer {
        Value::Array(_) => serde_json::from_value::<Vec<Group>>(answer),
        other => serde_json::from_value::<GroupsPage>(other).map(|page| page.groups),
    }
    .map_err(|e| SetupError::Api { step: "groups.getById", source: ApiError::Decode(e) })?;
    groups.first().map(|g| g.id).ok_or(SetupError::NoGroup)
}

/// 24 characters from `[0-9A-Za-z]`, by rejection sampling (no modulo bias).
fn generate_secret() -> Result<String, SetupError> {
    let rng = SystemRandom::new();
    let mut secret = String::with_capacity(SECRET_LEN);
    let mut bytes = [0u8; 64];
    while secret.len() < SECRET_LEN {
        rng.fill(&mut bytes).map_err(|_| SetupError::Random)?;
        for &byte in &bytes {
            // 248 = 4 * 62: bytes at or above it would favour some characters.
            if byte < 248 && secret.len() < SECRET_LEN {
                secret.push(char::from(ALPHABET[usize::from(byte % 62)]));
            }
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_24_alphanumerics_and_differ() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
