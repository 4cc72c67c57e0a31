//! The [`DeviceStore`] port: the push tokens of each user, as plugins need
//! them to address devices and to remove tokens a push service reports
//! dead; Tinode's `DevicePersistenceInterface`.
//!
//! A token belongs to at most one user: registering it for a user takes it
//! away from any other (a shared device follows whoever logged in last, so
//! one user's messages never reach another's phone). This module does not
//! store anything; [`MemoryDeviceStore`](crate::MemoryDeviceStore) does.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{DeviceStoreError, Timestamp};

/// The platform a token is for; it decides which FCM block a plugin sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Platform {
    /// `android`.
    Android,
    /// `ios`.
    Ios,
    /// `web`.
    Web,
    /// Not given (`""`): data-only pushes.
    #[default]
    Unspecified,
    /// Any other value, kept as given.
    Other(String),
}

impl Platform {
    /// The wire name (`android`, `ios`, `web`, `""` or the other value).
    pub fn as_str(&self) -> &str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Web => "web",
            Platform::Unspecified => "",
            Platform::Other(name) => name,
        }
    }
}

impl From<&str> for Platform {
    fn from(name: &str) -> Self {
        match name {
            "android" => Platform::Android,
            "ios" => Platform::Ios,
            "web" => Platform::Web,
            "" => Platform::Unspecified,
            other => Platform::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Platform::from(String::deserialize(deserializer)?.as_str()))
    }
}

/// One registered device of a user; Tinode's `DeviceDef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The push token (FCM registration token).
    pub token: String,
    /// The device's platform.
    #[serde(default)]
    pub platform: Platform,
    /// When the device was last seen.
    pub last_seen: Timestamp,
    /// The device's language (BCP 47), or empty.
    #[serde(default)]
    pub lang: String,
}

/// Where push tokens live, used as `Arc<dyn DeviceStore>`.
///
/// ```
/// use push_core::{Device, DeviceStore, MemoryDeviceStore, Platform, Timestamp};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), push_core::DeviceStoreError> {
/// let store = MemoryDeviceStore::new();
/// let phone = Device {
///     token: "tok1".into(),
///     platform: Platform::Android,
///     last_seen: Timestamp::now(),
///     lang: "en".into(),
/// };
/// store.update("usrA", None, phone.clone()).await?;
/// assert_eq!(store.get_all(&["usrA", "usrB"]).await?["usrA"], [phone]);
/// assert!(store.delete("usrA", "tok1").await?);
/// assert!(store.get_all(&["usrA"]).await?.is_empty());
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// The devices of each of `users` that has any (users without devices
    /// are absent from the map), each list in registration order.
    async fn get_all(
        &self,
        users: &[&str],
    ) -> Result<BTreeMap<String, Vec<Device>>, DeviceStoreError>;

    /// Registers `device` for `user`: replaces `old_token` of that user if
    /// given (a token refresh), updates the device if the token is already
    /// the user's, and takes the token away from any other user.
    async fn update(
        &self,
        user: &str,
        old_token: Option<&str>,
        device: Device,
    ) -> Result<(), DeviceStoreError>;

    /// Removes `token` from `user`; true if it was there.
    async fn delete(&self, user: &str, token: &str) -> Result<bool, DeviceStoreError>;
}
