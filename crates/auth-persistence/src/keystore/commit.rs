//! Committing a data set: snapshot, apply as one batch, restore the
//! snapshot on failure, retry with a delay.
//!
//! Each attempt holds the store-wide commit gate only while it talks to the
//! backend; the delay between attempts is slept with the gate released, so
//! reads and other keys' commits keep going while one commit waits (unlike
//! BaileysEx, which sleeps inside its GenServer). Deletions of ids the
//! snapshot shows absent are dropped, which is Baileys' pre-key safeguard
//! applied to every family: no backend delete for a missing id.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tracing::Instrument as _;

use super::dataset::DataSet;
use super::{Inner, Lookup};
use crate::error::{Error, Result};
use crate::family::KeyFamily;
use crate::port::KeyWrite;

type Plan = BTreeMap<(KeyFamily, String), Option<Value>>;

/// Why one attempt failed.
enum Failure {
    /// Nothing changed (the snapshot was restored or nothing was written).
    RolledBack(Error),
    /// The restore failed too.
    RollbackFailed { commit: Error, rollback: Error },
}

fn retryable(error: &Error) -> bool {
    !(error.is_corrupt() || error.is_unsupported())
}

impl Inner {
    /// Commits `data` (after clearing every id first when `clear`).
    pub(super) async fn commit(&self, data: DataSet, clear: bool) -> Result<()> {
        if data.is_empty() && !clear {
            return Ok(());
        }
        let span = tracing::debug_span!("keystore.commit", writes = data.len(), clear);
        async {
            let max = self.config.max_commit_attempts.max(1);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let outcome = {
                    let _gate = self.gate.write().await;
                    self.attempt(&data, clear).await
                };
                match outcome {
                    Ok(()) => return Ok(()),
                    Err(Failure::RolledBack(error)) if attempt < max && retryable(&error) => {
                        tracing::warn!(attempt, max, error = %error, "commit failed and was rolled back; retrying");
                        tokio::time::sleep(self.config.retry_delay).await;
                    }
                    Err(Failure::RolledBack(error)) => {
                        return Err(Error::CommitFailed { attempts: attempt, source: Box::new(error) });
                    }
                    Err(Failure::RollbackFailed { commit, rollback }) => {
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

    /// One attempt, under the gate.
    async fn attempt(&self, data: &DataSet, clear: bool) -> Result<(), Failure> {
        let mut plan = Plan::new();
        if clear {
            for family in self.clear_families(data) {
                for id in self.list_ids(&family).await.map_err(Failure::RolledBack)? {
                    plan.insert((family.clone(), id), None);
                }
            }
        }
        for (family, id, value) in data.iter() {
            plan.insert((family.clone(), id.to_owned()), value.cloned());
        }
        let snapshot = self.snapshot(&plan).await.map_err(Failure::RolledBack)?;
        let writes: Vec<KeyWrite> = plan
            .into_iter()
            .filter(|(key, value)| {
                value.is_some() || snapshot.get(key).is_some_and(Option::is_some)
            })
            .map(|((family, id), value)| KeyWrite { family, id, value })
            .collect();
        if writes.is_empty() {
            return Ok(());
        }
        match self.backend.write_batch(&writes).await {
            Ok(()) => {
                for write in writes {
                    self.remember(&write.family);
                    self.cache_put(&write.family, &write.id, write.value);
                }
                Ok(())
            }
            Err(commit) => self.roll_back(commit, &writes, &snapshot).await,
        }
    }

    /// Restores the snapshot after a failed batch. The restore is
    /// idempotent, so it is tried up to the attempt limit at once (no
    /// sleep) before the commit is reported as unrecoverable.
    async fn roll_back(
        &self,
        commit: Error,
        writes: &[KeyWrite],
        snapshot: &Plan,
    ) -> Result<(), Failure> {
        let max = self.config.max_commit_attempts.max(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let restore = self.restore_plan(writes, snapshot).await;
            if restore.is_empty() {
                return Err(Failure::RolledBack(commit));
            }
            match self.backend.write_batch(&restore).await {
                Ok(()) => return Err(Failure::RolledBack(commit)),
                Err(rollback) if tries >= max => {
                    for write in writes {
                        self.cache_forget(&write.family, &write.id);
                    }
                    return Err(Failure::RollbackFailed { commit, rollback });
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
    async fn restore_plan(&self, writes: &[KeyWrite], snapshot: &Plan) -> Vec<KeyWrite> {
        let mut by_family: BTreeMap<&KeyFamily, Vec<String>> = BTreeMap::new();
        for write in writes {
            by_family.entry(&write.family).or_default().push(write.id.clone());
        }
        let mut restore = Vec::new();
        for (family, ids) in by_family {
            let current = self.backend.load_keys(family, &ids).await.ok();
            for (index, id) in ids.into_iter().enumerate() {
                let before = snapshot.get(&(family.clone(), id.clone())).cloned().flatten();
                let now = current.as_ref().and_then(|values| values.get(index).cloned());
                if now.is_none_or(|now| now != before) {
                    restore.push(KeyWrite { family: family.clone(), id, value: before });
                }
            }
        }
        restore
    }

    /// The current value of every planned id: from the cache when known,
    /// else loaded (and cached, since the gate is held).
    async fn snapshot(&self, plan: &Plan) -> Result<Plan> {
        let mut snapshot = Plan::new();
        let mut misses: BTreeMap<&KeyFamily, Vec<String>> = BTreeMap::new();
        for (family, id) in plan.keys() {
            match self.cache_get(family, id) {
                Lookup::Known(value) => {
                    snapshot.insert((family.clone(), id.clone()), value);
                }
                Lookup::Unknown => misses.entry(family).or_default().push(id.clone()),
            }
        }
        for (family, ids) in misses {
            let values = self.backend.load_keys(family, &ids).await?;
            for (id, value) in ids.into_iter().zip(values) {
                self.cache_put(family, &id, value.clone());
                snapshot.insert((family.clone(), id), value);
            }
        }
        Ok(snapshot)
    }

    /// Families a `clear` must enumerate: the known ten, every family this
    /// store has seen, and those being written.
    fn clear_families(&self, data: &DataSet) -> BTreeSet<KeyFamily> {
        let mut families: BTreeSet<KeyFamily> = KeyFamily::KNOWN.into_iter().collect();
        families.extend(self.seen_families());
        families.extend(data.families().cloned());
        families
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
