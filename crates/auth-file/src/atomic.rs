//! Crash-safe file replacement and the folder's permissions.
//!
//! A value is written to a unique hidden temp file in the same directory
//! (`.<name>.tmp-<pid>-<n>`, created exclusively with mode `0600`),
//! fsynced, renamed over the target, and the directory is fsynced, so a
//! crash leaves the old file or the new one, never a torn or empty one.
//! The target is never truncated in place. Fsyncs can be switched off
//! ([`Durability::NoSync`]): replacement stays atomic, but the last writes
//! may be lost on power failure. Orphan temp files (a crash between write
//! and rename) are never listed and are removed when an owner opens the
//! folder.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether writes are fsynced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// fsync every written file, then its directory, before a write
    /// returns (one directory fsync per batch). The default.
    #[default]
    Fsync,
    /// No fsync: writes are still atomic renames (never torn), but the
    /// most recent ones can be lost on power failure or kernel crash.
    NoSync,
}

impl Durability {
    pub(crate) fn is_durable(self) -> bool {
        self == Self::Fsync
    }
}

/// Where a write can be made to stop, for crash and fault tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// Abort the process after the temp file is written and synced,
    /// before the rename (what `kill -9` at that moment leaves).
    AbortBeforeRename,
    /// Fail the write with an I/O error at that moment instead (the temp
    /// file is removed, the old file stays).
    FailBeforeRename,
}

/// Unique temp names within this process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The marker every temp file name carries.
pub(crate) const TEMP_MARK: &str = ".tmp-";

fn temp_name(name: &str) -> String {
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!(".{name}{TEMP_MARK}{}-{n}", std::process::id())
}

/// Whether `name` is one of our temp files.
pub(crate) fn is_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARK)
}

/// Replaces `dir/name` with `bytes` atomically (the directory itself is
/// not synced; call [`sync_dir`] after a batch).
pub(crate) fn replace(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    durability: Durability,
    crash: Option<CrashPoint>,
) -> io::Result<()> {
    let temp = dir.join(temp_name(name));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        file.write_all(bytes)?;
        if durability.is_durable() {
            file.sync_data()?;
        }
        drop(file);
        match crash {
            Some(CrashPoint::AbortBeforeRename) => std::process::abort(),
            Some(CrashPoint::FailBeforeRename) => {
                return Err(io::Error::other("injected failure before rename"));
            }
            None => {}
        }
        fs::rename(&temp, dir.join(name))
    })();
    if result.is_err() {
        // best effort: a leftover temp file is never listed and is swept
        // when the folder is next opened by an owner
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes `dir/name`; a missing file is fine. Returns whether it existed.
pub(crate) fn remove(dir: &Path, name: &str) -> io::Result<bool> {
    match fs::remove_file(dir.join(name)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// fsyncs a directory, making renames and removals in it durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` (mode `0700`) or tightens an existing one to `0700`.
pub(crate) fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory"));
    }
    if meta.permissions().mode() & 0o777 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Removes orphan temp files left by a crash; returns how many.
pub(crate) fn sweep_temps(dir: &Path) -> io::Result<usize> {
    let mut swept = 0;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(name) = name.to_str().filter(|n| is_temp(n))
            && remove(dir, name)?
        {
            swept += 1;
        }
    }
    Ok(swept)
}
