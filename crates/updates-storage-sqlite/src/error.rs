//! [`OpenError`]: why a database could not be opened or migrated, one
//! variant per cause a caller can act on; and the mapping of SQLite's
//! errors into [`StorageError`] for the port methods.
//!
//! `rusqlite::Error` never appears in a signature: it is kept as the boxed
//! source.

use std::path::PathBuf;

use rusqlite::ErrorCode;
use updates_core::StorageError;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// A database could not be opened (or prepared) for update state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another connection holds a lock longer than the busy timeout.
    #[error("{path} is locked by another connection")]
    Locked {
        /// The file (empty for a connection passed in).
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Source,
    },
    /// The file is not an SQLite database, or SQLite found it corrupt.
    #[error("{path} is not a readable SQLite database")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Source,
    },
    /// Tables of this crate's names exist but were not made by it (no or
    /// a foreign schema-version table): refused rather than reset.
    #[error("the database holds foreign tables under this crate's names: {what}")]
    Foreign {
        /// What was found.
        what: String,
    },
    /// The schema was written by a newer version of this crate.
    #[error("schema version {found} is newer than this build reads ({supported})")]
    NewerSchema {
        /// The stored version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The file or its folder cannot be written.
    #[error("{path} is read-only or not accessible")]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Source,
    },
    /// The disk is full.
    #[error("no space left for {path}")]
    Full {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Source,
    },
    /// Any other SQLite failure.
    #[error("SQLite failed on {path}")]
    Engine {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Source,
    },
}

impl OpenError {
    /// Whether another connection holds the database.
    pub fn is_locked(&self) -> bool {
        matches!(self, OpenError::Locked { .. })
    }

    /// Whether the data is corrupt or not ours (never silently reset).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, OpenError::Corrupt { .. } | OpenError::Foreign { .. })
    }

    /// Whether a newer version wrote the schema.
    pub fn is_newer_schema(&self) -> bool {
        matches!(self, OpenError::NewerSchema { .. })
    }

    /// Whether the file or folder cannot be written.
    pub fn is_read_only(&self) -> bool {
        matches!(self, OpenError::ReadOnly { .. })
    }

    /// Whether the disk is full.
    pub fn is_full(&self) -> bool {
        matches!(self, OpenError::Full { .. })
    }

    pub(crate) fn from_sqlite(path: PathBuf, e: rusqlite::Error) -> OpenError {
        let source: Source = Box::new(e);
        let code =
            source.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code);
        match code {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                OpenError::Locked { path, source }
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                OpenError::Corrupt { path, source }
            }
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                OpenError::ReadOnly { path, source }
            }
            Some(ErrorCode::DiskFull) => OpenError::Full { path, source },
            _ => OpenError::Engine { path, source },
        }
    }
}

/// An SQLite failure during a port call.
pub(crate) fn storage(e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StorageError::Corrupt { what: e.to_string() }
        }
        _ => match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..) => {
                StorageError::Corrupt { what: format!("stored value: {e}") }
            }
            e => StorageError::Backend(Box::new(e)),
        },
    }
}
