//! Copying a whole account between backends, with verification: the
//! building block of imports, exports and migrations (BaileysEx
//! `PersistenceMigration`, Baileys develop `migrateAuthState`).
//!
//! [`read_all`] takes a snapshot of a backend (credentials plus every
//! listed key of every family it reports and the ten known ones);
//! [`copy_all`] writes it into a target in batches and then
//! [`verify_copy`] checks that every family lists the same ids on both
//! sides. It does not stage or publish anything atomically: backends that
//! can (one SQL transaction, a staging folder renamed into place) build
//! that on top.

use std::collections::{BTreeMap, BTreeSet};

use crate::creds::AuthCreds;
use crate::error::{Error, Result};
use crate::family::KeyFamily;
use crate::port::{KeyWrite, Persistence};

/// Everything one backend holds.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The credentials, if saved.
    pub creds: Option<AuthCreds>,
    /// Every key, as saves, ordered by family then id.
    pub keys: Vec<KeyWrite>,
}

/// What a copy moved: credentials or not, and keys per family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Whether credentials were copied.
    pub creds: bool,
    /// Keys per family.
    pub keys: BTreeMap<KeyFamily, usize>,
}

impl Copied {
    /// Keys of every family together.
    pub fn total_keys(&self) -> usize {
        self.keys.values().sum()
    }
}

/// The target's listing differs from the source's after a copy.
#[derive(Debug, thiserror::Error)]
#[error(
    "{family}: the source lists {source_ids} id(s), the target {target_ids} ({missing} missing, {extra} extra)"
)]
pub struct CountMismatch {
    /// The family that differs.
    pub family: KeyFamily,
    /// Ids listed by the source.
    pub source_ids: usize,
    /// Ids listed by the target.
    pub target_ids: usize,
    /// Source ids the target lacks.
    pub missing: usize,
    /// Target ids the source lacks.
    pub extra: usize,
}

/// The families to enumerate: the ten known ones and every one the
/// backend reports.
async fn families(backend: &dyn Persistence) -> Result<BTreeSet<KeyFamily>> {
    let mut families: BTreeSet<KeyFamily> = KeyFamily::KNOWN.into_iter().collect();
    match backend.list_families().await {
        Ok(found) => families.extend(found),
        Err(error) if error.is_unsupported() => {}
        Err(error) => return Err(error),
    }
    Ok(families)
}

/// Reads everything `source` holds.
///
/// # Errors
/// The source's errors; `Error::Unsupported` when it cannot list ids;
/// `Error::Corrupt` for a damaged value (nothing is skipped silently).
pub async fn read_all(source: &dyn Persistence) -> Result<Snapshot> {
    let creds = source.load_credentials().await?;
    let mut keys = Vec::new();
    for family in families(source).await? {
        let mut ids = source.list_ids(&family).await?;
        ids.sort();
        let values = source.load_keys(&family, &ids).await?;
        for (id, value) in ids.into_iter().zip(values) {
            // an id listed but gone by now was deleted concurrently
            if let Some(value) = value {
                keys.push(KeyWrite::save(family.clone(), id, value));
            }
        }
    }
    Ok(Snapshot { creds, keys })
}

/// Copies everything from `source` into `target` (`batch` keys per
/// `write_batch`), then verifies the listings match.
///
/// ```
/// use auth_persistence::{AuthCreds, KeyFamily, MemoryPersistence, Persistence, transfer};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_persistence::Result<()> {
/// let (from, to) = (MemoryPersistence::new(), MemoryPersistence::new());
/// from.save_credentials(&AuthCreds::fresh()?).await?;
/// from.save_key(&KeyFamily::PreKey, "1", &json!({"k": 1})).await?;
/// let copied = transfer::copy_all(&from, &to, 100).await?;
/// assert!(copied.creds);
/// assert_eq!(copied.total_keys(), 1);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// Either side's errors, or `Error::Backend` with a [`CountMismatch`]
/// when the target does not list what the source does.
pub async fn copy_all(
    source: &dyn Persistence,
    target: &dyn Persistence,
    batch: usize,
) -> Result<Copied> {
    let snapshot = read_all(source).await?;
    write_snapshot(&snapshot, target, batch).await?;
    verify_copy(source, target).await
}

/// Writes a snapshot into `target` (keys first, credentials last, so a
/// target with credentials is a complete one).
///
/// # Errors
/// The target's.
pub async fn write_snapshot(
    snapshot: &Snapshot,
    target: &dyn Persistence,
    batch: usize,
) -> Result<()> {
    for chunk in snapshot.keys.chunks(batch.max(1)) {
        target.write_batch(chunk).await?;
    }
    if let Some(creds) = &snapshot.creds {
        target.save_credentials(creds).await?;
    }
    target.flush().await
}

/// Checks that every family lists the same ids in both backends and that
/// both have credentials or neither has; returns the counts.
///
/// # Errors
/// `Error::Backend` with a [`CountMismatch`] on the first differing
/// family; either side's errors.
pub async fn verify_copy(source: &dyn Persistence, target: &dyn Persistence) -> Result<Copied> {
    let mut copied = Copied::default();
    let mut all = families(source).await?;
    all.extend(families(target).await?);
    for family in all {
        let from: BTreeSet<String> = source.list_ids(&family).await?.into_iter().collect();
        let to: BTreeSet<String> = target.list_ids(&family).await?.into_iter().collect();
        if from != to {
            return Err(Error::backend(CountMismatch {
                family,
                source_ids: from.len(),
                target_ids: to.len(),
                missing: from.difference(&to).count(),
                extra: to.difference(&from).count(),
            }));
        }
        if !from.is_empty() {
            copied.keys.insert(family, from.len());
        }
    }
    let (had, has) =
        (source.load_credentials().await?.is_some(), target.load_credentials().await?.is_some());
    if had != has {
        return Err(Error::backend(CountMismatch {
            family: KeyFamily::from("creds"),
            source_ids: usize::from(had),
            target_ids: usize::from(has),
            missing: usize::from(had && !has),
            extra: usize::from(has && !had),
        }));
    }
    copied.creds = had;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::MemoryPersistence;

    #[tokio::test]
    async fn a_copy_holds_everything_and_a_difference_is_a_typed_error() {
        let (from, to) = (MemoryPersistence::new(), MemoryPersistence::new());
        for family in KeyFamily::KNOWN.into_iter().chain([KeyFamily::from("custom")]) {
            for n in 0..3 {
                from.save_key(&family, &format!("id{n}"), &json!({"n": n})).await.expect("seed");
            }
        }
        let copied = copy_all(&from, &to, 4).await.expect("copy");
        assert!(!copied.creds);
        assert_eq!(copied.total_keys(), 33);
        assert_eq!(to.keys_of(None), from.keys_of(None));
        to.delete_key(&KeyFamily::Session, "id1").await.expect("delete");
        let error = verify_copy(&from, &to).await.expect_err("differs");
        let mismatch = std::error::Error::source(&error)
            .and_then(|e| e.downcast_ref::<CountMismatch>())
            .expect("typed");
        assert_eq!((mismatch.source_ids, mismatch.target_ids, mismatch.missing), (3, 2, 1));
    }
}
