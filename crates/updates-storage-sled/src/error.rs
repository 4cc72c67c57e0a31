//! [`OpenError`]: why a database could not be opened, one variant per
//! cause a caller can act on; and the mapping of sled's errors into
//! [`StorageError`] for the port methods.
//!
//! sled's own error type never appears in a signature: it is kept as the
//! boxed source.

use std::io::ErrorKind;
use std::path::PathBuf;

use updates_core::StorageError;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// A database could not be opened (or prepared) for update state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another process (or another handle in this one) holds the folder.
    #[error("{path} is in use by another process (sled holds an exclusive lock)")]
    Locked {
        /// The folder.
        path: PathBuf,
        /// sled's error.
        #[source]
        source: Source,
    },
    /// The files are not a sled database, or sled found them corrupt.
    #[error("{path} is not a readable sled database: {what}")]
    Corrupt {
        /// The folder.
        path: PathBuf,
        /// What was wrong.
        what: String,
        /// sled's error, when it reported one.
        #[source]
        source: Option<Source>,
    },
    /// The database holds trees of this crate's name that were not written
    /// by it (or are damaged): refused rather than reset.
    #[error("the database holds foreign data under this crate's trees: {what}")]
    Foreign {
        /// What was found.
        what: String,
    },
    /// The data was written by a newer version of this crate.
    #[error("update state format {found} is newer than this build reads ({supported})")]
    NewerFormat {
        /// The stored format.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// The folder or its files cannot be written.
    #[error("{path} is read-only or not accessible")]
    ReadOnly {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Source,
    },
    /// The disk (or the process's file size limit) is full.
    #[error("no space left for {path}")]
    Full {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Source,
    },
    /// Any other sled or I/O failure.
    #[error("sled failed on {path}")]
    Engine {
        /// The folder (empty for a database passed in).
        path: PathBuf,
        /// sled's error.
        #[source]
        source: Source,
    },
}

impl OpenError {
    /// Whether another process holds the folder.
    pub fn is_locked(&self) -> bool {
        matches!(self, OpenError::Locked { .. })
    }

    /// Whether the data is corrupt or not ours (never silently reset).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, OpenError::Corrupt { .. } | OpenError::Foreign { .. })
    }

    /// Whether a newer version wrote the data.
    pub fn is_newer_format(&self) -> bool {
        matches!(self, OpenError::NewerFormat { .. })
    }

    /// Whether the folder cannot be written.
    pub fn is_read_only(&self) -> bool {
        matches!(self, OpenError::ReadOnly { .. })
    }

    /// Whether the disk is full.
    pub fn is_full(&self) -> bool {
        matches!(self, OpenError::Full { .. })
    }

    pub(crate) fn from_sled(path: PathBuf, e: sled::Error) -> OpenError {
        match e {
            sled::Error::Io(io) => {
                let kind = io.kind();
                if io.to_string().contains("could not acquire lock") {
                    OpenError::Locked { path, source: Box::new(io) }
                } else if is_read_only(kind) {
                    OpenError::ReadOnly { path, source: Box::new(io) }
                } else if is_full(kind) {
                    OpenError::Full { path, source: Box::new(io) }
                } else if matches!(
                    kind,
                    ErrorKind::NotADirectory
                        | ErrorKind::IsADirectory
                        | ErrorKind::InvalidData
                        | ErrorKind::UnexpectedEof
                ) {
                    OpenError::Corrupt { path, what: io.to_string(), source: Some(Box::new(io)) }
                } else {
                    OpenError::Engine { path, source: Box::new(sled::Error::Io(io)) }
                }
            }
            e @ sled::Error::Corruption { .. } => {
                OpenError::Corrupt { path, what: e.to_string(), source: Some(Box::new(e)) }
            }
            e => OpenError::Engine { path, source: Box::new(e) },
        }
    }
}

fn is_read_only(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem)
}

fn is_full(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded)
}

/// A sled failure during a port call.
pub(crate) fn storage(e: sled::Error) -> StorageError {
    match e {
        e @ sled::Error::Corruption { .. } => StorageError::Corrupt { what: e.to_string() },
        e => StorageError::Backend(Box::new(e)),
    }
}
