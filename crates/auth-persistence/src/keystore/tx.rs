//! Transaction state: the transaction-local buffer (reads, writes, a
//! pending `clear`) and the task-local that makes a running transaction
//! visible to every `get`/`set` awaited inside it, as Baileys does with
//! AsyncLocalStorage.
//!
//! Only the task running the transaction sees it: work spawned onto other
//! tasks goes straight to the store. The buffer never touches a backend;
//! committing it is `commit.rs`'s job.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use super::dataset::DataSet;
use crate::family::KeyFamily;

tokio::task_local! {
    /// The transactions open on this task, innermost last (one per store).
    static ACTIVE: Vec<Arc<TxState>>;
}

#[derive(Default)]
struct Buffer {
    reads: HashMap<(KeyFamily, String), Option<Value>>,
    writes: DataSet,
    clear: bool,
}

/// One open transaction of one store.
pub(crate) struct TxState {
    store: u64,
    buffer: Mutex<Buffer>,
}

impl TxState {
    pub(crate) fn new(store: u64) -> Arc<Self> {
        Arc::new(Self { store, buffer: Mutex::new(Buffer::default()) })
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // single-step mutations: a poisoned buffer is consistent
        self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the transaction already knows about an id: its own write, an
    /// earlier read, or absence after a `clear`.
    pub(crate) fn lookup(&self, family: &KeyFamily, id: &str) -> Option<Option<Value>> {
        let buffer = self.lock();
        if let Some(write) = buffer.writes.get(family, id) {
            return Some(write.clone());
        }
        if buffer.clear {
            return Some(None);
        }
        buffer.reads.get(&(family.clone(), id.to_owned())).cloned()
    }

    /// Remembers values read from the store so later reads are stable.
    pub(crate) fn record_reads(&self, family: &KeyFamily, loaded: &[(String, Option<Value>)]) {
        let mut buffer = self.lock();
        for (id, value) in loaded {
            buffer.reads.entry((family.clone(), id.clone())).or_insert_with(|| value.clone());
        }
    }

    pub(crate) fn write(&self, data: DataSet) {
        self.lock().writes.merge(data);
    }

    /// Forgets earlier writes and reads; the commit clears the store first.
    pub(crate) fn clear(&self) {
        let mut buffer = self.lock();
        buffer.reads.clear();
        buffer.writes = DataSet::new();
        buffer.clear = true;
    }

    /// The buffered writes and whether to clear first.
    pub(crate) fn take(&self) -> (DataSet, bool) {
        let mut buffer = self.lock();
        (std::mem::take(&mut buffer.writes), buffer.clear)
    }
}

/// The transaction of `store` open on this task, if any.
pub(crate) fn current(store: u64) -> Option<Arc<TxState>> {
    ACTIVE.try_with(|open| open.iter().rev().find(|tx| tx.store == store).cloned()).ok().flatten()
}

/// Runs `work` with `state` visible to it.
pub(crate) async fn scope<F: Future>(state: Arc<TxState>, work: F) -> F::Output {
    let mut open = ACTIVE.try_with(Clone::clone).unwrap_or_default();
    open.push(state);
    ACTIVE.scope(open, work).await
}
