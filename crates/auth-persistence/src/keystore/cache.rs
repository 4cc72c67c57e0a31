//! The read-through cache: values and known absences per (family, id),
//! with an optional time to live.
//!
//! It is a plain map behind a short synchronous lock; it never talks to a
//! backend and never decides what is stale beyond the TTL: the key store
//! keeps it coherent by writing through it under the commit gate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::family::KeyFamily;

struct Entry {
    value: Option<Arc<Value>>,
    at: Instant,
}

/// What the cache knows about one id.
#[derive(Debug, PartialEq)]
pub(crate) enum Cached {
    /// Not cached, or expired.
    Unknown,
    /// Known, `None` = known absent (shared, so snapshots copy nothing).
    Known(Option<Arc<Value>>),
}

/// With a TTL, expired entries are swept every this many insertions, so
/// ids that are never read again do not stay in memory forever.
const SWEEP_EVERY: u64 = 4096;

type Map = HashMap<KeyFamily, HashMap<String, Entry>>;

pub(crate) struct Cache {
    ttl: Option<Duration>,
    map: Mutex<Map>,
    puts: std::sync::atomic::AtomicU64,
}

impl Cache {
    pub(crate) fn new(ttl: Option<Duration>) -> Self {
        Self { ttl, map: Mutex::new(HashMap::new()), puts: std::sync::atomic::AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // every mutation is one map operation: a poisoned map is consistent
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self, entry: &Entry, now: Instant) -> bool {
        self.ttl.is_none_or(|ttl| now.duration_since(entry.at) < ttl)
    }

    pub(crate) fn get(&self, family: &KeyFamily, id: &str) -> Cached {
        let now = Instant::now();
        let map = self.lock();
        match map.get(family).and_then(|ids| ids.get(id)) {
            Some(entry) if self.fresh(entry, now) => Cached::Known(entry.value.clone()),
            _ => Cached::Unknown,
        }
    }

    /// Looks up several ids of one family under one lock.
    pub(crate) fn get_many(&self, family: &KeyFamily, ids: &[String]) -> Vec<Cached> {
        let now = Instant::now();
        let map = self.lock();
        let Some(entries) = map.get(family) else {
            return ids.iter().map(|_| Cached::Unknown).collect();
        };
        ids.iter()
            .map(|id| match entries.get(id) {
                Some(entry) if self.fresh(entry, now) => Cached::Known(entry.value.clone()),
                _ => Cached::Unknown,
            })
            .collect()
    }

    pub(crate) fn put(&self, family: &KeyFamily, id: &str, value: Option<Arc<Value>>) {
        let at = Instant::now();
        let mut map = self.lock();
        let ids = match map.get_mut(family) {
            Some(ids) => ids,
            None => map.entry(family.clone()).or_default(),
        };
        ids.insert(id.to_owned(), Entry { value, at });
        let puts = self.puts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(ttl) = self.ttl
            && puts.is_multiple_of(SWEEP_EVERY)
        {
            for ids in map.values_mut() {
                ids.retain(|_, entry| at.duration_since(entry.at) < ttl);
            }
            map.retain(|_, ids| !ids.is_empty());
        }
    }

    /// Number of entries held (fresh or not).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().values().map(HashMap::len).sum()
    }

    pub(crate) fn remove(&self, family: &KeyFamily, id: &str) {
        if let Some(ids) = self.lock().get_mut(family) {
            ids.remove(id);
        }
    }

    /// Drops every entry.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Every cached family, for `clear`.
    pub(crate) fn families(&self) -> Vec<KeyFamily> {
        self.lock().keys().cloned().collect()
    }

    /// Every cached id known present in `family` (used when the backend
    /// cannot list).
    pub(crate) fn present_ids(&self, family: &KeyFamily) -> Vec<String> {
        self.lock()
            .get(family)
            .map(|ids| {
                ids.iter().filter(|(_, e)| e.value.is_some()).map(|(id, _)| id.clone()).collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl_and_absence_is_cached() {
        let cache = Cache::new(Some(Duration::from_secs(300)));
        let family = KeyFamily::Session;
        assert_eq!(cache.get(&family, "a"), Cached::Unknown);
        cache.put(&family, "a", Some(Arc::new(json!(1))));
        cache.put(&family, "b", None);
        assert_eq!(cache.get(&family, "a"), Cached::Known(Some(Arc::new(json!(1)))));
        assert_eq!(cache.get(&family, "b"), Cached::Known(None));
        assert_eq!(cache.present_ids(&family), vec!["a".to_owned()]);
        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(cache.get(&family, "a"), Cached::Known(Some(Arc::new(json!(1)))));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(cache.get(&family, "a"), Cached::Unknown);
        assert_eq!(cache.get(&family, "b"), Cached::Unknown);
        cache.put(&family, "a", Some(Arc::new(json!(2))));
        cache.remove(&family, "a");
        assert_eq!(cache.get(&family, "a"), Cached::Unknown);
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_swept_from_memory() {
        let cache = Cache::new(Some(Duration::from_secs(1)));
        for n in 0..SWEEP_EVERY - 1 {
            cache.put(&KeyFamily::PreKey, &n.to_string(), None);
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.put(&KeyFamily::Session, "fresh", Some(Arc::new(json!(1))));
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.get(&KeyFamily::Session, "fresh"),
            Cached::Known(Some(Arc::new(json!(1))))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_ttl_entries_never_expire() {
        let cache = Cache::new(None);
        cache.put(&KeyFamily::PreKey, "1", Some(Arc::new(json!(1))));
        tokio::time::advance(Duration::from_secs(86_400 * 365)).await;
        assert_eq!(cache.get(&KeyFamily::PreKey, "1"), Cached::Known(Some(Arc::new(json!(1)))));
        assert_eq!(cache.families(), vec![KeyFamily::PreKey]);
    }
}
