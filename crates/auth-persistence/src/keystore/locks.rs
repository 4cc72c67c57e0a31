//! Per-key transaction locks: FIFO (tokio's mutex is fair), released when
//! the guard drops (also on cancellation or panic), and pruned from the map
//! once nobody holds or waits for them, so the map does not grow without
//! bound (Baileys' file-lock leak, WhiskeySockets/Baileys PR #2639).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedMutexGuard;

type Slots = HashMap<String, Arc<tokio::sync::Mutex<()>>>;

#[derive(Default)]
pub(crate) struct Locks {
    slots: Arc<Mutex<Slots>>,
}

/// Holds one key's lock until dropped.
pub(crate) struct KeyGuard {
    guard: Option<OwnedMutexGuard<()>>,
    /// Our reference to the slot while waiting, so a cancelled wait prunes too.
    slot: Option<Arc<tokio::sync::Mutex<()>>>,
    key: String,
    slots: Arc<Mutex<Slots>>,
}

fn lock(slots: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    // map operations are single steps: a poisoned map is consistent
    slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Locks {
    /// Waits (in arrival order) for the lock of `key`.
    pub(crate) async fn acquire(&self, key: &str) -> KeyGuard {
        let slot = lock(&self.slots).entry(key.to_owned()).or_default().clone();
        let mut pending = KeyGuard {
            guard: None,
            slot: Some(slot.clone()),
            key: key.to_owned(),
            slots: self.slots.clone(),
        };
        // dropped here (cancelled), `pending` still prunes the entry
        pending.guard = Some(slot.lock_owned().await);
        pending
    }

    /// How many keys have a lock entry (held or awaited).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.slots).len()
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        let mut slots = lock(&self.slots);
        drop(self.guard.take());
        drop(self.slot.take());
        // only the map still refers to the mutex: nobody holds or waits
        if slots.get(&self.key).is_some_and(|slot| Arc::strong_count(slot) == 1) {
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_arrival_order_and_the_map_is_pruned() {
        let locks = Arc::new(Locks::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = locks.acquire("k").await;
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (locks, order) = (locks.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = locks.acquire("k").await;
                order.lock().expect("order").push(i);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            // let task i queue before task i + 1
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let other = locks.acquire("other").await;
        assert_eq!(locks.len(), 2);
        drop(other);
        assert_eq!(locks.len(), 1);
        drop(first);
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(*order.lock().expect("order"), vec![0, 1, 2, 3, 4]);
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiters_do_not_keep_the_entry() {
        let locks = Arc::new(Locks::default());
        let spawn_waiter = |locks: Arc<Locks>| {
            tokio::spawn(async move {
                let _guard = locks.acquire("k").await;
            })
        };
        // cancelled while the lock is still held
        let held = locks.acquire("k").await;
        let waiter = spawn_waiter(locks.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        waiter.abort();
        assert!(waiter.await.is_err());
        drop(held);
        assert_eq!(locks.len(), 0);
        // cancelled after the holder released but before it ran
        let held = locks.acquire("k").await;
        let waiter = spawn_waiter(locks.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(held);
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(locks.len(), 0);
        // and the key is free again
        let _again = locks.acquire("k").await;
    }
}
