//! Staged, atomic migrations between the Baileys-compatible folder and
//! the native store, both ways.
//!
//! The target is built in a sibling staging folder
//! (`<target>.migration-stage-<pid>-<n>`), verified against the source's
//! listing (`auth_persistence::transfer`), fsynced, and only then renamed
//! into place; the parent folder is fsynced. A target that exists and is
//! not empty is refused. On any failure the staging folder is removed and
//! the target is absent or unchanged; the source is only read (under its
//! owner lock, so nothing writes it meanwhile). A staging folder left by a
//! killed migration is removed by the next migration to the same target.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use auth_persistence::Persistence;
use auth_persistence::transfer::{self, Copied};

use crate::atomic::{self, Durability};
use crate::compat::{CompatFolder, CompatOptions};
use crate::error::FileError;
use crate::native::{NativeOptions, NativeStore};

static STAGE: AtomicU64 = AtomicU64::new(0);

/// Keys per batch written into the staging store.
const BATCH: usize = 1024;

fn refuse(
    target: &Path,
    reason: impl Into<String>,
    source: Option<auth_persistence::Error>,
) -> FileError {
    FileError::Migration {
        target: target.to_owned(),
        reason: reason.into(),
        source: source.map(Box::new),
    }
}

/// Fails unless `target` is absent or an empty folder.
fn check_target(target: &Path) -> Result<(), FileError> {
    match fs::read_dir(target) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(refuse(target, "the target exists and is not empty", None)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::io("inspect target", target, e)),
    }
}

fn stage_path(target: &Path) -> Result<PathBuf, FileError> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| refuse(target, "the target has no folder name", None))?;
    let n = STAGE.fetch_add(1, Ordering::Relaxed);
    Ok(target.with_file_name(format!(".{name}.migration-stage-{}-{n}", std::process::id())))
}

/// Removes staging folders of earlier migrations to `target` that were
/// killed before publishing (best effort).
fn sweep_stale_stages(target: &Path, stage: &Path) {
    let (Some(parent), Some(name)) = (stage.parent(), target.file_name().and_then(|n| n.to_str()))
    else {
        return;
    };
    let prefix = format!(".{name}.migration-stage-");
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
            tracing::info!(stage = %entry.path().display(), "removing the staging folder of an interrupted migration");
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Copies `source` into a staged `T`, verifies, publishes.
async fn migrate<T: Persistence>(
    source: &dyn Persistence,
    target: &Path,
    open: impl FnOnce(&Path) -> Result<T, FileError>,
) -> Result<Copied, FileError> {
    check_target(target)?;
    let stage = stage_path(target)?;
    sweep_stale_stages(target, &stage);
    let result = async {
        let staged = open(&stage)?;
        let copied = transfer::copy_all(source, &staged, BATCH)
            .await
            .map_err(|e| refuse(target, "copying into the staging folder failed", Some(e)))?;
        drop(staged);
        atomic::sync_dir(&stage).map_err(|e| FileError::io("sync staging folder", &stage, e))?;
        // still absent or empty (rename replaces an empty folder atomically)
        check_target(target)?;
        fs::rename(&stage, target).map_err(|e| FileError::io("publish", target, e))?;
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            atomic::sync_dir(parent).map_err(|e| FileError::io("sync parent folder", parent, e))?;
        }
        Ok(copied)
    }
    .await;
    if result.is_err() && stage.exists() {
        let _ = fs::remove_dir_all(&stage);
    }
    result
}

/// Migrates a Baileys multi-file folder into a new native store at
/// `target`; returns what was copied (equal to the source's listing).
///
/// ```
/// use auth_file::{CompatFolder, NativeStore, migrate_compat_to_native};
/// use auth_persistence::{KeyFamily, Persistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let root = tempfile::tempdir()?;
/// let (compat, native) = (root.path().join("baileys"), root.path().join("native"));
/// CompatFolder::open(&compat)?.save_key(&KeyFamily::PreKey, "1", &json!({"k": 1})).await?;
/// let copied = migrate_compat_to_native(&compat, &native).await?;
/// assert_eq!(copied.total_keys(), 1);
/// let store = NativeStore::open(&native)?;
/// assert_eq!(store.load_key(&KeyFamily::PreKey, "1").await?, Some(json!({"k": 1})));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`FileError::Migration`] when the target is not empty or the copy
/// fails or does not verify; the source's open errors.
pub async fn migrate_compat_to_native(source: &Path, target: &Path) -> Result<Copied, FileError> {
    let from = CompatFolder::open(source)?;
    migrate(&from, target, |stage| NativeStore::open_with(stage, NativeOptions::default())).await
}

/// Migrates a native store into a new Baileys multi-file folder at
/// `target`.
///
/// # Errors
/// As for [`migrate_compat_to_native`].
pub async fn migrate_native_to_compat(source: &Path, target: &Path) -> Result<Copied, FileError> {
    let from = NativeStore::open(source)?;
    migrate(&from, target, |stage| {
        CompatFolder::open_with(
            stage,
            CompatOptions { durability: Durability::Fsync, ..CompatOptions::default() },
        )
    })
    .await
}
