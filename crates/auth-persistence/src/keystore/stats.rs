//! [`KeyStoreStats`]: counters of what a key store did, for logs, metrics
//! and tests. Plain relaxed atomics; they never influence behaviour.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a [`crate::KeyStore`] has done since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyStoreStats {
    /// Ids answered from the cache (values and known absences).
    pub cache_hits: u64,
    /// Ids loaded from the backend by reads.
    pub cache_misses: u64,
    /// Commits that succeeded.
    pub commits: u64,
    /// Attempts that failed and were rolled back (each is retried or ends
    /// in `CommitFailed`).
    pub rolled_back: u64,
    /// Commits that gave up: `CommitFailed` or `RollbackFailed`.
    pub failed_commits: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    commits: AtomicU64,
    rolled_back: AtomicU64,
    failed_commits: AtomicU64,
}

fn bump(counter: &AtomicU64, by: usize) {
    counter.fetch_add(by as u64, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn hits(&self, n: usize) {
        bump(&self.cache_hits, n);
    }

    pub(crate) fn misses(&self, n: usize) {
        bump(&self.cache_misses, n);
    }

    pub(crate) fn committed(&self) {
        bump(&self.commits, 1);
    }

    pub(crate) fn rolled_back(&self) {
        bump(&self.rolled_back, 1);
    }

    pub(crate) fn failed(&self) {
        bump(&self.failed_commits, 1);
    }

    pub(crate) fn snapshot(&self) -> KeyStoreStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        KeyStoreStats {
            cache_hits: get(&self.cache_hits),
            cache_misses: get(&self.cache_misses),
            commits: get(&self.commits),
            rolled_back: get(&self.rolled_back),
            failed_commits: get(&self.failed_commits),
        }
    }
}
