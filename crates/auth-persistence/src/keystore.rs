//! [`KeyStore`]: Baileys' `SignalKeyStore` over any [`Persistence`]
//! backend, with a read-through cache and per-key transactions.
//!
//! - `get`/`set` are batch operations as in Baileys; falsy values delete.
//! - Reads go through a cache that also remembers absence (negative
//!   caching) and can expire entries after a TTL.
//! - `transaction(key, work)` serialises work per key (FIFO), buffers its
//!   writes, lets it read its own writes, reuses an enclosing transaction
//!   when nested, and commits on success only. Dropping it (cancellation)
//!   releases the lock and commits nothing; a commit already started is
//!   finished by the runtime.
//! - Commits snapshot the touched ids, apply one batch, restore the
//!   snapshot on failure and retry after a delay without holding the
//!   store-wide gate.
//!
//! It does not store credentials: load and save them on the backend.

mod cache;
mod commit;
mod dataset;
mod detach;
mod locks;
mod read;
mod stats;
mod tx;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::RwLock;
use tracing::Instrument as _;

pub use dataset::DataSet;
pub use stats::KeyStoreStats;

use self::cache::{Cache, Cached as Lookup};
use self::detach::Detachable;
use self::locks::{KeyGuard, Locks};
use crate::error::{Error, Result};
use crate::family::KeyFamily;
use crate::port::Persistence;

/// How a [`KeyStore`] caches and commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyStoreConfig {
    /// Cache reads (and absences). Default: on.
    pub cache: bool,
    /// Forget cached entries after this long. Default: never (BaileysEx);
    /// Baileys' cacheable store uses 5 minutes.
    pub cache_ttl: Option<Duration>,
    /// Attempts per commit, at least 1. Default: 10 (Baileys).
    pub max_commit_attempts: u32,
    /// Delay between commit attempts. Default: 3 s (Baileys).
    pub retry_delay: Duration,
}

impl Default for KeyStoreConfig {
    fn default() -> Self {
        Self {
            cache: true,
            cache_ttl: None,
            max_commit_attempts: 10,
            retry_delay: Duration::from_secs(3),
        }
    }
}

static NEXT_STORE: AtomicU64 = AtomicU64::new(1);

/// A cached, transactional Signal key store; cloning shares it.
///
/// ```
/// use std::sync::Arc;
/// use auth_persistence::{DataSet, KeyFamily, KeyStore, MemoryPersistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_persistence::Result<()> {
/// let store = KeyStore::new(Arc::new(MemoryPersistence::new()));
/// let mut data = DataSet::new();
/// data.put(KeyFamily::PreKey, "1", json!({"public": "..."}));
/// store.set(data).await?;
///
/// // a transaction reads its own writes and commits when it succeeds
/// let s = store.clone();
/// store
///     .transaction("15550000001.0", async move {
///         let mut data = DataSet::new();
///         data.put(KeyFamily::Session, "15550000001.0", json!({"v": 1}));
///         s.set(data).await?;
///         let own = s.get(&KeyFamily::Session, &["15550000001.0"]).await?;
///         assert_eq!(own.len(), 1);
///         Ok::<_, auth_persistence::Error>(())
///     })
///     .await?;
/// let got = store.get(&KeyFamily::Session, &["15550000001.0", "missing"]).await?;
/// assert_eq!(got["15550000001.0"], json!({"v": 1}));
/// assert!(!got.contains_key("missing"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    id: u64,
    backend: Arc<dyn Persistence>,
    config: KeyStoreConfig,
    cache: Option<Cache>,
    /// Held for writing by one commit attempt, for reading by cache fills.
    gate: RwLock<()>,
    locks: Locks,
    /// Per-family locks serialising cache fills.
    fills: Locks,
    /// What the store has done.
    counters: stats::Counters,
    /// Families outside the known ten that this store has touched.
    others: Mutex<BTreeSet<KeyFamily>>,
}

impl KeyStore {
    /// A store with the default configuration.
    pub fn new(backend: Arc<dyn Persistence>) -> Self {
        Self::with_config(backend, KeyStoreConfig::default())
    }

    /// A store with `config`.
    pub fn with_config(backend: Arc<dyn Persistence>, config: KeyStoreConfig) -> Self {
        let cache = config.cache.then(|| Cache::new(config.cache_ttl));
        Self {
            inner: Arc::new(Inner {
                id: NEXT_STORE.fetch_add(1, Ordering::Relaxed),
                backend,
                config,
                cache,
                gate: RwLock::new(()),
                locks: Locks::default(),
                fills: Locks::default(),
                counters: stats::Counters::default(),
                others: Mutex::new(BTreeSet::new()),
            }),
        }
    }

    /// The backend (for credentials, flushing, listing).
    pub fn backend(&self) -> &Arc<dyn Persistence> {
        &self.inner.backend
    }

    /// The configuration.
    pub fn config(&self) -> &KeyStoreConfig {
        &self.inner.config
    }

    /// The stored values of `ids`; absent ids are left out. Inside a
    /// transaction, the transaction's own writes are visible.
    ///
    /// # Errors
    /// Backend errors from loading uncached ids.
    #[tracing::instrument(level = "trace", skip_all, fields(family = %family, ids = ids.len()))]
    pub async fn get<S: AsRef<str>>(
        &self,
        family: &KeyFamily,
        ids: &[S],
    ) -> Result<HashMap<String, Value>> {
        let mut unique = HashSet::with_capacity(ids.len());
        let wanted: Vec<String> = ids
            .iter()
            .map(AsRef::as_ref)
            .filter(|id| unique.insert(*id))
            .map(str::to_owned)
            .collect();
        let found = match tx::current(self.inner.id) {
            Some(tx) => {
                let mut found = Vec::with_capacity(wanted.len());
                let mut misses = Vec::new();
                for id in wanted {
                    match tx.lookup(family, &id) {
                        Some(value) => found.push((id, value)),
                        None => misses.push(id),
                    }
                }
                let loaded = self.inner.read_through(family, misses).await?;
                tx.record_reads(family, &loaded);
                found.extend(loaded);
                found
            }
            None => self.inner.read_through(family, wanted).await?,
        };
        let mut out = HashMap::with_capacity(found.len());
        out.extend(found.into_iter().filter_map(|(id, value)| Some((id, value?))));
        Ok(out)
    }

    /// One id's value.
    ///
    /// # Errors
    /// As for [`KeyStore::get`].
    pub async fn get_one(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        Ok(self.get(family, &[id]).await?.remove(id))
    }

    /// Writes `data`. Inside a transaction the writes are buffered until it
    /// commits; outside, they are committed now (snapshot, one batch,
    /// rollback and retries on failure).
    ///
    /// # Errors
    /// [`Error::CommitFailed`] when every attempt failed (the store is
    /// unchanged), [`Error::RollbackFailed`] when a restore failed too.
    #[tracing::instrument(level = "trace", skip_all, fields(writes = data.len()))]
    pub async fn set(&self, data: DataSet) -> Result<()> {
        match tx::current(self.inner.id) {
            Some(tx) => {
                tx.write(data);
                Ok(())
            }
            None => self.commit(data, false, None).await,
        }
    }

    /// Removes every stored key, including ids persisted by an earlier
    /// process (through [`Persistence::list_ids`]; a backend that cannot
    /// list loses only the ids this store has seen). Inside a transaction
    /// the clear happens at commit, before the transaction's later writes.
    ///
    /// # Errors
    /// As for [`KeyStore::set`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn clear(&self) -> Result<()> {
        match tx::current(self.inner.id) {
            Some(tx) => {
                tx.clear();
                Ok(())
            }
            None => self.commit(DataSet::new(), true, None).await,
        }
    }

    /// Counters of cache hits and misses, commits and rollbacks.
    pub fn stats(&self) -> KeyStoreStats {
        self.inner.counters.snapshot()
    }

    /// Forgets every cached value and absence (for example after another
    /// process changed the backend); the next reads go to the backend.
    /// Inside the commit gate, so it cannot race a commit's cache update.
    pub async fn forget_cache(&self) {
        if let Some(cache) = &self.inner.cache {
            let _gate = self.inner.gate.write().await;
            cache.clear();
        }
    }

    /// Whether the current task runs inside a transaction of this store.
    pub fn in_transaction(&self) -> bool {
        tx::current(self.inner.id).is_some()
    }

    /// Runs `work` as a transaction on `key`.
    ///
    /// Transactions on the same key run one at a time, in arrival order.
    /// `get`/`set`/`clear` awaited inside `work` (on this task) use the
    /// transaction's buffer. When `work` returns `Ok`, the buffer is
    /// committed; on `Err` or when the returned future is dropped, nothing
    /// is committed and the lock is released. Inside a transaction of this
    /// store, `transaction` just runs `work` within the outer one, whatever
    /// the key.
    ///
    /// # Errors
    /// `work`'s error, or the commit's error converted into `E`.
    pub async fn transaction<T, E, F>(&self, key: &str, work: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        if tx::current(self.inner.id).is_some() {
            return work.await;
        }
        let span = tracing::trace_span!("keystore.transaction", key);
        async {
            let guard = self.inner.locks.acquire(key).await;
            let state = tx::TxState::new(self.inner.id);
            let value = tx::scope(state.clone(), work).await?;
            let (data, clear) = state.take();
            self.commit(data, clear, Some(guard)).await?;
            Ok(value)
        }
        .instrument(span)
        .await
    }

    /// Flushes the backend.
    ///
    /// # Errors
    /// The backend's.
    pub async fn flush(&self) -> Result<()> {
        self.inner.backend.flush().await
    }

    /// Commits inline; if the caller stops waiting, the rest of the commit
    /// finishes on the runtime, so no half-applied commit is left behind.
    /// The key lock (if any) is held until the commit ends.
    async fn commit(&self, data: DataSet, clear: bool, guard: Option<KeyGuard>) -> Result<()> {
        if data.is_empty() && !clear {
            return Ok(());
        }
        let inner = self.inner.clone();
        Detachable::new(async move {
            let result = inner.commit(data, clear).await;
            drop(guard);
            result
        })
        .await
    }
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("config", &self.inner.config).finish_non_exhaustive()
    }
}
