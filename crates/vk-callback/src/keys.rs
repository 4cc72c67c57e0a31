//! Secrets and confirmation codes, global and per group, with a
//! constant-time secret check.
//!
//! Lookup follows vksdk: a group's secret applies when the group has an
//! entry at all (an empty entry turns the check off for that group); a
//! group's confirmation code applies only when non-empty. An empty chosen
//! secret accepts any request. The check hashes nothing: each secret is
//! kept zero-padded to a fixed 64-byte block of words (`Secret`), the
//! presented one is padded the same way, and block and length are compared
//! with `subtle`, so the time taken depends on neither the secret's content
//! nor its length (up to 64 bytes; VK's secrets are at most 50).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use subtle::ConstantTimeEq;

/// Shared, updatable secrets and confirmation codes. Cloning gives another
/// handle to the same keys, so AutoSetting or an admin task can change them
/// while the server runs.
#[derive(Clone)]
pub struct Keys {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Default)]
struct Inner {
    secret: Option<Secret>,
    group_secrets: HashMap<i64, Option<Secret>>,
    confirmation: Bytes,
    group_confirmations: HashMap<i64, Bytes>,
}

/// A non-empty secret, zero-padded to [`Secret::BLOCK`] bytes (or to its
/// own length rounded up to 8 when longer, which only such unusually long
/// secrets reveal) and kept as little-endian 64-bit words, so the check
/// compares a few words rather than every byte.
struct Secret {
    words: Box<[u64]>,
    len: u64,
}

impl Secret {
    /// The padded size in bytes; VK's secrets are at most 50 characters.
    const BLOCK: usize = 64;
    const WORDS: usize = Self::BLOCK / 8;

    fn new(secret: &str) -> Option<Self> {
        let bytes = secret.as_bytes();
        if bytes.is_empty() {
            return None;
        }
        let count = bytes.len().div_ceil(8).max(Self::WORDS);
        Some(Self { words: (0..count).map(|i| word(bytes, i)).collect(), len: bytes.len() as u64 })
    }

    /// Whether `presented` is this secret: a constant-time comparison
    /// (`subtle`) of every padded word and of the length. A presented value
    /// longer than the padded secret is rejected at once (its length is the
    /// caller's own).
    fn matches(&self, presented: &[u8]) -> bool {
        if presented.len() > self.words.len() * 8 {
            return false;
        }
        let length = self.len.ct_eq(&(presented.len() as u64));
        let same = if self.words.len() == Self::WORDS {
            let block: [u64; Self::WORDS] = std::array::from_fn(|i| word(presented, i));
            self.words.ct_eq(&block[..])
        } else {
            let block: Vec<u64> = (0..self.words.len()).map(|i| word(presented, i)).collect();
            self.words.ct_eq(&block[..])
        };
        bool::from(same & length)
    }
}

/// The `index`th 8-byte word of `bytes`, zero-padded past the end.
fn word(bytes: &[u8], index: usize) -> u64 {
    let mut word = [0; 8];
    if let Some(rest) = bytes.get(index * 8..) {
        let n = rest.len().min(8);
        word[..n].copy_from_slice(&rest[..n]);
    }
    u64::from_le_bytes(word)
}

impl Keys {
    /// No secret and an empty confirmation code.
    pub fn new() -> Self {
        Self { inner: Arc::default() }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the global secret; empty turns the global check off.
    pub fn set_secret(&self, secret: &str) {
        let secret = Secret::new(secret);
        self.write().secret = secret;
    }

    /// Sets a group's secret; it replaces the global one for that group,
    /// and an empty one turns the check off for it.
    pub fn set_group_secret(&self, group_id: i64, secret: &str) {
        let secret = Secret::new(secret);
        self.write().group_secrets.insert(group_id, secret);
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
        expected.is_none_or(|secret| secret.matches(presented.as_bytes()))
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
    fn padding_and_long_secrets_compare_exactly() {
        let keys = Keys::new();
        keys.set_secret("abc");
        assert!(!keys.check_secret(0, "abc\0"), "padding is not part of the secret");
        assert!(!keys.check_secret(0, "ab") && !keys.check_secret(0, &"x".repeat(300)));
        let long = "L".repeat(300);
        keys.set_secret(&long);
        assert!(keys.check_secret(0, &long));
        assert!(!keys.check_secret(0, &long[..299]) && !keys.check_secret(0, &format!("{long}L")));
        assert!(!keys.check_secret(0, &"L".repeat(64)) && !keys.check_secret(0, &"L".repeat(304)));
        let block = "B".repeat(64);
        keys.set_secret(&block);
        assert!(keys.check_secret(0, &block) && !keys.check_secret(0, &"B".repeat(65)));
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
