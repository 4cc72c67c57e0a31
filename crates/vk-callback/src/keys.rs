//! Secrets and confirmation codes, global and per group, with a
//! constant-time secret check.
//!
//! Lookup follows vksdk: a group's secret applies when the group has an
//! entry at all (an empty entry turns the check off for that group); a
//! group's confirmation code applies only when non-empty. An empty chosen
//! secret accepts any request. Secrets are stored only as HMAC-SHA256 tags
//! under a per-process random key and compared with `ring::hmac::verify`,
//! so the check leaks neither content nor length through timing.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use ring::hmac;

/// Shared, updatable secrets and confirmation codes. Cloning gives another
/// handle to the same keys, so AutoSetting or an admin task can change them
/// while the server runs.
#[derive(Clone)]
pub struct Keys {
    inner: Arc<RwLock<Inner>>,
    mac: Arc<hmac::Key>,
}

#[derive(Default)]
struct Inner {
    secret: Option<hmac::Tag>,
    group_secrets: HashMap<i64, Option<hmac::Tag>>,
    confirmation: Bytes,
    group_confirmations: HashMap<i64, Bytes>,
}

impl Keys {
    /// No secret and an empty confirmation code.
    pub fn new() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let mac = match hmac::Key::generate(hmac::HMAC_SHA256, &rng) {
            Ok(key) => key,
            // The OS random source failed; a fixed key keeps comparisons
            // correct and constant-time, only the tags become predictable.
            Err(_) => hmac::Key::new(hmac::HMAC_SHA256, b"vk-callback"),
        };
        Self { inner: Arc::default(), mac: Arc::new(mac) }
    }

    fn tag(&self, secret: &str) -> Option<hmac::Tag> {
        (!secret.is_empty()).then(|| hmac::sign(&self.mac, secret.as_bytes()))
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the global secret; empty turns the global check off.
    pub fn set_secret(&self, secret: &str) {
        let tag = self.tag(secret);
        self.write().secret = tag;
    }

    /// Sets a group's secret; it replaces the global one for that group,
    /// and an empty one turns the check off for it.
    pub fn set_group_secret(&self, group_id: i64, secret: &str) {
        let tag = self.tag(secret);
        self.write().group_secrets.insert(group_id, tag);
    }

    /// Removes a group's secret entry, so the global secret applies again.
    pub fn remove_group_secret(&self, group_id: i64) {
        self.write().group_secrets.remove(&group_id);
    }

    /// Sets the global confirmation code.
    pub fn set_confirmation(&self, code: &str) {
        self.write().confirmation = Bytes::copy_from_slice(code.as_bytes());
    }

    /// Sets a group's confirmation code; an empty one falls back to the global.
    pub fn set_group_confirmation(&self, group_id: i64, code: &str) {
        self.write().group_confirmations.insert(group_id, Bytes::copy_from_slice(code.as_bytes()));
    }

    /// Whether `presented` is acceptable for `group_id`.
    pub fn check_secret(&self, group_id: i64, presented: &str) -> bool {
        let inner = self.read();
        let expected = match inner.group_secrets.get(&group_id) {
            Some(entry) => entry.as_ref(),
            None => inner.secret.as_ref(),
        };
        expected
            .is_none_or(|tag| hmac::verify(&self.mac, presented.as_bytes(), tag.as_ref()).is_ok())
    }

    /// The confirmation code to answer for `group_id`.
    pub fn confirmation(&self, group_id: i64) -> Bytes {
        let inner = self.read();
        match inner.group_confirmations.get(&group_id) {
            Some(code) if !code.is_empty() => code.clone(),
            _ => inner.confirmation.clone(),
        }
    }
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.read();
        f.debug_struct("Keys")
            .field("secret", &inner.secret.is_some())
            .field("group_secrets", &inner.group_secrets.len())
            .field("group_confirmations", &inner.group_confirmations.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_secret_entries_count_when_present_even_if_empty() {
        let keys = Keys::new();
        assert!(keys.check_secret(1, "anything"), "no secret: no check");
        keys.set_secret("global");
        assert!(keys.check_secret(1, "global"));
        assert!(!keys.check_secret(1, ""));
        assert!(!keys.check_secret(1, "globa"));
        assert!(!keys.check_secret(1, "global2"));
        keys.set_group_secret(2, "mine");
        assert!(keys.check_secret(2, "mine") && !keys.check_secret(2, "global"));
        keys.set_group_secret(3, "");
        assert!(keys.check_secret(3, "whatever"), "an empty group entry turns the check off");
        keys.remove_group_secret(3);
        assert!(!keys.check_secret(3, "whatever"));
        keys.set_secret("");
        assert!(keys.check_secret(1, "x") && !keys.check_secret(2, "x"));
    }

    #[test]
    fn group_confirmations_count_only_when_non_empty() {
        let keys = Keys::new();
        assert_eq!(keys.confirmation(1), "");
        keys.set_confirmation("g");
        keys.set_group_confirmation(2, "two");
        keys.set_group_confirmation(3, "");
        assert_eq!(keys.confirmation(1), "g");
        assert_eq!(keys.confirmation(2), "two");
        assert_eq!(keys.confirmation(3), "g");
    }

    #[test]
    fn clones_share_state_and_debug_hides_secrets() {
        let keys = Keys::new();
        let other = keys.clone();
        other.set_secret("hidden-value");
        assert!(!keys.check_secret(0, ""));
        assert!(!format!("{keys:?}").contains("hidden-value"));
    }
}
