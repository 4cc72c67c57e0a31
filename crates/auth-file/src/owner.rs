//! [`OwnerLock`]: one owner per folder, across processes.
//!
//! An advisory `flock` on `<folder>/.msgkit-owner.lock` (not a `.json`
//! name, so neither Baileys' listing nor its `clear()` touches it), held
//! for as long as the store is open and released by the kernel when the
//! process dies, so a crash never leaves a stale lock. The holder's pid is
//! written into the file for the error message. Baileys itself takes no
//! such lock: running Baileys on the same folder at the same time is not
//! detected.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use crate::error::FileError;

/// The owner lock file's name.
pub const OWNER_LOCK_FILE: &str = ".msgkit-owner.lock";

/// A held owner lock; released on drop.
#[derive(Debug)]
pub(crate) struct OwnerLock {
    _file: File,
}

impl OwnerLock {
    /// Takes the owner lock of `dir`, or fails with [`FileError::Locked`].
    pub(crate) fn acquire(dir: &Path) -> Result<Self, FileError> {
        let path = dir.join(OWNER_LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| FileError::io("open owner lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid =
                    file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                return Err(FileError::Locked { path: dir.to_owned(), lock: path, pid });
            }
            Err(TryLockError::Error(e)) => return Err(FileError::io("lock", &path, e)),
        }
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(|e| FileError::io("write owner lock", &path, e))?;
        Ok(Self { _file: file })
    }
}
