//! [`FileLocks`]: per-file in-process locks whose map never outgrows the
//! files being written right now.
//!
//! Writes to one file are applied in the order they were issued (tokio's
//! mutex is FIFO); an entry is removed as soon as nobody holds or waits
//! for it, also when a waiter is cancelled (Baileys' lock map grew without
//! bound, WhiskeySockets/Baileys PR #2639). Reads take no lock: every
//! replacement is an atomic rename. Locking across processes is the owner
//! lock's job, not this one's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Name → (lock, number of live claims).
type Map = Arc<Mutex<HashMap<String, (Arc<AsyncMutex<()>>, usize)>>>;

/// The lock map of one folder.
#[derive(Default)]
pub(crate) struct FileLocks {
    map: Map,
}

/// A claim on one name's entry; dropping it prunes the entry when it was
/// the last claim.
struct Ticket {
    map: Map,
    name: String,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, claims)) = map.get_mut(&self.name) {
            *claims -= 1;
            if *claims == 0 {
                map.remove(&self.name);
            }
        }
    }
}

/// Held locks; released (and pruned) on drop.
pub(crate) struct Held {
    // guards drop before tickets (declaration order), so pruning sees them gone
    _guards: Vec<OwnedMutexGuard<()>>,
    _tickets: Vec<Ticket>,
}

impl FileLocks {
    /// Locks every name, in sorted order so two batches never deadlock.
    pub(crate) async fn lock(&self, names: impl IntoIterator<Item = String>) -> Held {
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        let mut tickets = Vec::with_capacity(names.len());
        let mut guards = Vec::with_capacity(names.len());
        for name in names {
            let entry = {
                let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
                let (entry, claims) = map.entry(name.clone()).or_default();
                *claims += 1;
                entry.clone()
            };
            tickets.push(Ticket { map: self.map.clone(), name });
            guards.push(entry.lock_owned().await);
        }
        Held { _guards: guards, _tickets: tickets }
    }

    /// Entries in the map (held or awaited).
    pub(crate) fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn entries_are_pruned_after_use_and_after_cancelled_waits() {
        let locks = FileLocks::default();
        for n in 0..1000 {
            let held = locks.lock([format!("pre-key-{n}.json"), "creds.json".into()]).await;
            assert_eq!(locks.len(), 2);
            drop(held);
        }
        assert_eq!(locks.len(), 0, "no entry outlives its use");
        let held = locks.lock(["a".to_owned()]).await;
        let waiting = tokio::time::timeout(Duration::from_millis(10), locks.lock(["a".to_owned()]));
        assert!(waiting.await.is_err(), "the second claim waits");
        drop(held);
        assert_eq!(locks.len(), 0, "a cancelled waiter leaves nothing behind");
    }

    #[tokio::test]
    async fn writers_of_one_name_run_in_issue_order() {
        let locks = Arc::new(FileLocks::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = locks.lock(["x".to_owned()]).await;
        let mut tasks = Vec::new();
        for n in 0..5 {
            let (locks, order) = (locks.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _held = locks.lock(["x".to_owned()]).await;
                order.lock().expect("lock").push(n);
            }));
            tokio::task::yield_now().await;
        }
        drop(first);
        for task in tasks {
            task.await.expect("join");
        }
        assert_eq!(*order.lock().expect("lock"), [0, 1, 2, 3, 4]);
    }
}
