//! [`FileError`]: what opening or migrating a folder can fail with.
//!
//! Port operations return `auth_persistence::Error`; I/O failures there are
//! `Error::Backend` with a [`FileError`] source (find it with
//! [`FileError::find`]), unreadable credentials are `Error::Corrupt` and
//! unsafe ids `Error::InvalidKey`.

use std::path::PathBuf;

/// An error of this crate's own operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Another process (or another open store in this one) owns the
    /// folder: its owner lock file is locked.
    #[error("{} is in use by another store (owner lock {} is held{})", .path.display(), .lock.display(), holder(*.pid))]
    Locked {
        /// The folder.
        path: PathBuf,
        /// The owner lock file.
        lock: PathBuf,
        /// The pid the holder wrote into the lock file, when readable.
        pid: Option<u32>,
    },
    /// A file system operation failed.
    #[error("{op} {}", .path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The folder holds a store of another kind or another backend's
    /// format (its header names a different format).
    #[error("{} is not a {expected} store: {found}", .path.display())]
    Foreign {
        /// The folder.
        path: PathBuf,
        /// The format this backend reads.
        expected: &'static str,
        /// What was found instead.
        found: String,
    },
    /// The folder was written by a newer version of this format.
    #[error("{} has format version {found}, newer than the supported {supported}", .path.display())]
    NewerVersion {
        /// The folder.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The native log is damaged before its last record (a torn last
    /// record is an interrupted write and is dropped, not an error).
    #[error("{} is damaged at byte {offset}: {reason}", .path.display())]
    CorruptLog {
        /// The log file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A migration was refused or failed; the target is absent or
    /// unchanged.
    #[error("migration to {} failed: {reason}", .target.display())]
    Migration {
        /// The target folder.
        target: PathBuf,
        /// Why.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<auth_persistence::Error>>,
    },
}

fn holder(pid: Option<u32>) -> String {
    pid.map(|pid| format!(" by pid {pid}")).unwrap_or_default()
}

impl FileError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { op, path: path.into(), source }
    }

    /// Whether this is [`FileError::Locked`].
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Locked { .. })
    }

    /// The [`FileError`] behind a port error, if there is one.
    pub fn find(error: &auth_persistence::Error) -> Option<&FileError> {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = source {
            if let Some(found) = current.downcast_ref::<FileError>() {
                return Some(found);
            }
            source = current.source();
        }
        None
    }
}

impl From<FileError> for auth_persistence::Error {
    fn from(error: FileError) -> Self {
        auth_persistence::Error::backend(error)
    }
}
