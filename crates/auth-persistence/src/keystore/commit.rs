//! Committing a data set: snapshot, apply as one batch, restore the
//! snapshot on failure, retry with a delay.
//!
//! Each attempt holds the store-wide commit gate only while it talks to the
//! backend; the delay between attempts is slept with the gate released, so
//! reads and other keys' commits keep going while one commit waits (unlike
//! BaileysEx, which sleeps inside its GenServer). Deletions of ids the
//! snapshot shows absent are dropped, which is Baileys' pre-key safeguard
//! applied to every family: no backend delete for a missing id. The restore
//! re-reads the touched ids and rewrites only those that changed, so a batch
//! that failed before writing anything needs no restore at all.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument as _;

use super::dataset::DataSet;
use super::{Inner, Lookup};
use crate::error::{Error, Result};
use crate::family::KeyFamily;
use crate::port::KeyWrite;

/// Pre-commit values of the touched ids (`None` = absent, or unreadable:
/// see `Inner::snapshot`).
type Snapshot = BTreeMap<(KeyFamily, String), Option<Arc<Value>>>;

/// Touched ids whose stored value is corrupt.
type Unreadable = BTreeSet<(KeyFamily, String)>;

/// Ids deleted by a `clear`.
type Cleared = Vec<(KeyFamily, String)>;

/// Why one attempt failed.
enum Failure {
    /// Nothing changed (the snapshot was restored or nothing was written).
    RolledBack(Error),
    /// The restore failed too.
    RollbackFailed { commit: Error, rollback: Error },
}

fn retryable(error: &Error) -> bool {
    !(error.is_corrupt() || error.is_unsupported() || error.is_invalid_key())
}

fn snapshot_value(snapshot: &Snapshot, family: &KeyFamily, id: &str) -> Option<Arc<Value>> {
    snapshot.get(&(family.clone(), id.to_owned())).cloned().flatten()
}

impl Inner {
    /// Commits `data` (after clearing every id first when `clear`).
    pub(super) async fn commit(&self, data: DataSet, clear: bool) -> Result<()> {
        if data.is_empty() && !clear {
            return Ok(());
        }
        let span = tracing::debug_span!("keystore.commit", writes = data.len(), clear);
        let mut writes = data.into_writes();
        async {
            let max = self.config.max_commit_attempts.max(1);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let outcome = {
                    let _gate = self.gate.write().await;
                    let outcome = self.attempt(&writes, clear).await;
                    if let Ok(cleared) = &outcome {
                        self.settle(std::mem::take(&mut writes), cleared);
                    }
                    outcome
                };
                match outcome {
                    Ok(_) => {
                        self.counters.committed();
                        return Ok(());
                    }
                    Err(Failure::RolledBack(error)) if attempt < max && retryable(&error) => {
                        self.counters.rolled_back();
                        tracing::warn!(attempt, max, error = %error, "commit failed and was rolled back; retrying");
                        tokio::time::sleep(self.config.retry_delay).await;
                    }
                    Err(Failure::RolledBack(error)) => {
                        self.counters.rolled_back();
                        self.counters.failed();
                        return Err(Error::CommitFailed { attempts: attempt, source: Box::new(error) });
                    }
                    Err(Failure::RollbackFailed { commit, rollback }) => {
                        self.counters.failed();
                        tracing::error!(error = %commit, rollback = %rollback, "commit rollback failed");
                        return Err(Error::RollbackFailed {
                            commit: Box::new(commit),
                            source: Box::new(rollback),
                        });
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Records a successful commit in the cache (values move, no copy).
    fn settle(&self, writes: Vec<KeyWrite>, cleared: &Cleared) {
        for (family, id) in cleared {
            self.cache_put(family, id, None);
        }
        for write in writes {
            self.remember(&write.family);
            self.cache_put(&write.family, &write.id, write.value.map(Arc::new));
        }
    }

    /// One attempt, under the gate.
    async fn attempt(&self, base: &[KeyWrite], clear: bool) -> Result<Cleared, Failure> {
        let mut cleared = Cleared::new();
        if clear {
            let written: BTreeSet<(&KeyFamily, &str)> =
                base.iter().map(|w| (&w.family, w.id.as_str())).collect();
            for family in self.clear_families(base).await.map_err(Failure::RolledBack)? {
                for id in self.list_ids(&family).await.map_err(Failure::RolledBack)? {
                    if !written.contains(&(&family, id.as_str())) {
                        cleared.push((family.clone(), id));
                    }
                }
            }
        }
        let touched = cleared
            .iter()
            .map(|(f, id)| (f, id.as_str()))
            .chain(base.iter().map(|w| (&w.family, w.id.as_str())));
        let (snapshot, unreadable) = self.snapshot(touched).await.map_err(Failure::RolledBack)?;
        let absent = |family: &KeyFamily, id: &str| {
            snapshot_value(&snapshot, family, id).is_none()
                && !unreadable.contains(&(family.clone(), id.to_owned()))
        };
        let skip = |w: &KeyWrite| w.value.is_none() && absent(&w.family, &w.id);
        let owned: Vec<KeyWrite>;
        let batch: &[KeyWrite] = if cleared.is_empty() && !base.iter().any(skip) {
            base
        } else {
            owned = cleared
                .iter()
                .filter(|(family, id)| !absent(family, id))
                .map(|(family, id)| KeyWrite::delete(family.clone(), id.clone()))
                .chain(base.iter().filter(|w| !skip(w)).cloned())
                .collect();
            &owned
        };
        if batch.is_empty() {
            return Ok(cleared);
        }
        match self.backend.write_batch(batch).await {
            Ok(()) => Ok(cleared),
            Err(commit) => Err(self.roll_back(commit, batch, &snapshot).await),
        }
    }

    /// Restores the snapshot after a failed batch. The restore is
    /// idempotent, so it is tried up to the attempt limit at once (no
    /// sleep) before the commit is reported as unrecoverable.
    async fn roll_back(&self, commit: Error, writes: &[KeyWrite], snapshot: &Snapshot) -> Failure {
        let max = self.config.max_commit_attempts.max(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let restore = self.restore_plan(writes, snapshot).await;
            if restore.is_empty() {
                return Failure::RolledBack(commit);
            }
            match self.backend.write_batch(&restore).await {
                Ok(()) => return Failure::RolledBack(commit),
                Err(rollback) if tries >= max => {
                    for write in writes {
                        self.cache_forget(&write.family, &write.id);
                    }
                    return Failure::RollbackFailed { commit, rollback };
                }
                Err(rollback) => {
                    tracing::warn!(tries, error = %rollback, "rollback failed; retrying")
                }
            }
        }
    }

    /// The writes that put every touched id back to its snapshot value:
    /// only ids whose stored value now differs, when they can be re-read,
    /// else all of them.
    async fn restore_plan(&self, writes: &[KeyWrite], snapshot: &Snapshot) -> Vec<KeyWrite> {
        let mut by_family: BTreeMap<&KeyFamily, Vec<String>> = BTreeMap::new();
        for write in writes {
            by_family.entry(&write.family).or_default().push(write.id.clone());
        }
        let mut restore = Vec::new();
        for (family, ids) in by_family {
            let current = self.load_keys(family, &ids).await.ok();
            for (index, id) in ids.into_iter().enumerate() {
                let before = snapshot_value(snapshot, family, &id);
                let now = current.as_ref().and_then(|values| values.get(index));
                if now.is_none_or(|now| now.as_ref() != before.as_deref()) {
                    let value = before.map(|v| (*v).clone());
                    restore.push(KeyWrite { family: family.clone(), id, value });
                }
            }
        }
        restore
    }

    /// The current value of every touched id: from the cache when known,
    /// else loaded (and cached, since the gate is held). An id whose stored
    /// value is corrupt can still be overwritten or deleted (that is how it
    /// gets repaired): it is reported as unreadable, and a rollback can only
    /// delete it, since the damaged bytes cannot be restored.
    async fn snapshot<'a>(
        &self,
        touched: impl Iterator<Item = (&'a KeyFamily, &'a str)>,
    ) -> Result<(Snapshot, Unreadable)> {
        let mut snapshot = Snapshot::new();
        let mut unreadable = Unreadable::new();
        let mut misses: BTreeMap<&KeyFamily, Vec<String>> = BTreeMap::new();
        for (family, id) in touched {
            match self.cache_get(family, id) {
                Lookup::Known(value) => {
                    snapshot.insert((family.clone(), id.to_owned()), value);
                }
                Lookup::Unknown => misses.entry(family).or_default().push(id.to_owned()),
            }
        }
        for (family, ids) in misses {
            let values: Vec<Result<Option<Value>>> = match self.load_keys(family, &ids).await {
                Ok(values) => values.into_iter().map(Ok).collect(),
                Err(error) if error.is_corrupt() => {
                    let mut values = Vec::with_capacity(ids.len());
                    for id in &ids {
                        values.push(self.backend.load_key(family, id).await);
                    }
                    values
                }
                Err(error) => return Err(error),
            };
            for (id, value) in ids.into_iter().zip(values) {
                match value {
                    Ok(value) => {
                        let value = value.map(Arc::new);
                        self.cache_put(family, &id, value.clone());
                        snapshot.insert((family.clone(), id), value);
                    }
                    Err(error) if error.is_corrupt() => {
                        tracing::warn!(%family, id, error = %error, "overwriting a corrupt stored value");
                        snapshot.insert((family.clone(), id.clone()), None);
                        unreadable.insert((family.clone(), id));
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok((snapshot, unreadable))
    }

    /// Families a `clear` must enumerate: the known ten, every family this
    /// store has seen, those being written, and every family the backend
    /// reports (when it can list families).
    async fn clear_families(&self, base: &[KeyWrite]) -> Result<BTreeSet<KeyFamily>> {
        let mut families: BTreeSet<KeyFamily> = KeyFamily::KNOWN.into_iter().collect();
        families.extend(self.seen_families());
        families.extend(base.iter().map(|w| w.family.clone()));
        match self.backend.list_families().await {
            Ok(stored) => families.extend(stored),
            Err(error) if error.is_unsupported() => {}
            Err(error) => return Err(error),
        }
        Ok(families)
    }

    /// Stored ids of `family`; when the backend cannot list, the ids this
    /// store knows to exist (BaileysEx's behaviour), with a warning.
    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        match self.backend.list_ids(family).await {
            Err(error) if error.is_unsupported() => {
                tracing::warn!(%family, "backend cannot list ids: clear removes only ids this store has seen");
                Ok(self.cache_present_ids(family))
            }
            other => other,
        }
    }
}
