//! [`SqliteError`]: opening, migrating and importing failures.
//!
//! Port operations return `auth_persistence::Error`: SQLite failures are
//! `Error::Backend` with a [`SqliteError`] source, a stored value that is
//! not JSON is `Error::Corrupt`.

use std::path::PathBuf;

/// An error of this crate's own operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// The database could not be opened or configured.
    #[error("cannot open {}", .path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is a SQLite database of another application.
    #[error(
        "not an auth-sqlite database (application_id {application_id:#x}, user_version {user_version})"
    )]
    Foreign {
        /// Its `PRAGMA application_id`.
        application_id: i32,
        /// Its `PRAGMA user_version`.
        user_version: u32,
    },
    /// The database was written by a newer schema.
    #[error("schema version {found} is newer than the supported {supported}")]
    NewerSchema {
        /// The version found.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// An import was refused because the database already holds data.
    #[error(
        "the database is not empty ({keys} key(s), creds: {creds}); import only into an empty one"
    )]
    NotEmpty {
        /// Keys held.
        keys: u64,
        /// Whether credentials are held.
        creds: bool,
    },
    /// A query failed.
    #[error("sqlite")]
    Sqlite(#[from] rusqlite::Error),
}

impl From<SqliteError> for auth_persistence::Error {
    fn from(error: SqliteError) -> Self {
        auth_persistence::Error::backend(error)
    }
}
