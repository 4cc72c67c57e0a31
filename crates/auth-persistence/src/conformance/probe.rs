//! [`Probe`]: a wrapper around any backend that counts calls and injects
//! write failures, for tests that assert how often the key store reaches
//! the backend and how it recovers.
//!
//! It forwards reads and writes key by key (its `load_keys` and
//! `write_batch` are the per-key defaults), so every id loaded, saved or
//! deleted is counted and can be made to fail.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use serde_json::Value;

use crate::{AuthCreds, Error, KeyFamily, Persistence, Result};

/// Call counts since the last [`Probe::reset`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `load_credentials` calls.
    pub load_credentials: u64,
    /// `save_credentials` calls.
    pub save_credentials: u64,
    /// Ids loaded (one per id, also through `load_keys`).
    pub load_key: u64,
    /// Ids saved.
    pub save_key: u64,
    /// Ids deleted.
    pub delete_key: u64,
    /// `list_ids` calls.
    pub list_ids: u64,
}

#[derive(Default)]
struct Faults {
    /// Key writes (saves and deletes) seen since armed.
    writes: u64,
    /// Fail writes numbered `from..from + count` (1-based).
    window: Option<(u64, u64)>,
    /// Fail each write with this probability (and generator state).
    chance: Option<(f64, u64)>,
    /// Fail every write of these ids.
    keys: Vec<(KeyFamily, String)>,
}

/// The error [`Probe`] injects.
#[derive(Debug, thiserror::Error)]
#[error("injected write failure")]
pub struct Injected;

/// Counting, fault-injecting wrapper around a backend.
pub struct Probe {
    inner: Arc<dyn Persistence>,
    counts: Mutex<Counts>,
    faults: Mutex<Faults>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Probe {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Persistence>) -> Arc<Self> {
        Arc::new(Self { inner, counts: Mutex::default(), faults: Mutex::default() })
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        *lock(&self.counts)
    }

    /// Zeroes the counts.
    pub fn reset(&self) {
        *lock(&self.counts) = Counts::default();
    }

    /// From now on, key writes number `from` to `from + count - 1`
    /// (counting from 1) fail; `u64::MAX` as `count` fails all later ones.
    pub fn fail_writes(&self, from: u64, count: u64) {
        let mut faults = lock(&self.faults);
        faults.writes = 0;
        faults.window = Some((from, count));
    }

    /// From now on, every key write fails with probability `chance`,
    /// decided by a generator seeded with `seed` (deterministic).
    pub fn fail_randomly(&self, chance: f64, seed: u64) {
        lock(&self.faults).chance = Some((chance, seed.max(1)));
    }

    /// From now on, every write of `family`/`id` fails.
    pub fn fail_key(&self, family: KeyFamily, id: &str) {
        lock(&self.faults).keys.push((family, id.to_owned()));
    }

    /// Stops injecting failures.
    pub fn heal(&self) {
        *lock(&self.faults) = Faults::default();
    }

    fn inject(&self, family: &KeyFamily, id: &str) -> Result<()> {
        let mut faults = lock(&self.faults);
        let by_key = faults.keys.iter().any(|(f, i)| f == family && i == id);
        faults.writes += 1;
        let n = faults.writes;
        let in_window = faults.window.is_some_and(|(from, count)| n >= from && n - from < count);
        let by_chance = match &mut faults.chance {
            Some((chance, state)) => {
                // xorshift64: deterministic for a seed
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                (*state >> 11) as f64 / (1u64 << 53) as f64 <= *chance
            }
            None => false,
        };
        if in_window || by_chance || by_key { Err(Error::backend(Injected)) } else { Ok(()) }
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut lock(&self.counts));
    }
}

#[async_trait]
impl Persistence for Probe {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.count(|c| c.load_credentials += 1);
        self.inner.load_credentials().await
    }

    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.count(|c| c.save_credentials += 1);
        self.inner.save_credentials(creds).await
    }

    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        self.count(|c| c.load_key += 1);
        self.inner.load_key(family, id).await
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.count(|c| c.save_key += 1);
        self.inject(family, id)?;
        self.inner.save_key(family, id, value).await
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.count(|c| c.delete_key += 1);
        self.inject(family, id)?;
        self.inner.delete_key(family, id).await
    }

    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        self.count(|c| c.list_ids += 1);
        self.inner.list_ids(family).await
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        self.inner.list_families().await
    }

    async fn flush(&self) -> Result<()> {
        self.inner.flush().await
    }
}
