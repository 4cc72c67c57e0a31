//! [`Synchronous`] and [`Options`]: when a commit reaches the disk, and
//! which table names the update state uses.

use std::path::Path;

use crate::error::OpenError;
use crate::storage::SqliteStorage;

/// SQLite's `synchronous` setting for a file opened by this crate (always
/// in WAL journal mode).
///
/// The manager writes a checkpoint only after the handler returned for
/// its batch, so the stored state can lag what the handler finished but
/// never run ahead of it; a lagging store after a crash costs a
/// redelivery, never a loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `synchronous=NORMAL`: a commit is appended to the WAL without an
    /// fsync; the WAL is synced at checkpoints. A killed process loses
    /// nothing that was committed (the OS holds the write); a power loss
    /// or kernel crash can lose the last commits (redelivered), never
    /// corrupt the file. The default.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit syncs the WAL (one fsync per
    /// checkpoint). Nothing acknowledged is lost even on power loss.
    Full,
}

impl Synchronous {
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// How to open a [`SqliteStorage`].
///
/// ```
/// # fn main() -> Result<(), updates_storage_sqlite::OpenError> {
/// use updates_storage_sqlite::{Options, Synchronous};
///
/// let file = std::env::temp_dir().join(format!("updates-sqlite-doc-{}.db", std::process::id()));
/// let storage = Options::new().synchronous(Synchronous::Full).prefix("bot_").open(&file)?;
/// assert_eq!(storage.synchronous(), Some(Synchronous::Full));
/// # drop(storage);
/// # for ext in ["", "-wal", "-shm"] { std::fs::remove_file(format!("{}{ext}", file.display())).ok(); }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub(crate) synchronous: Synchronous,
    pub(crate) prefix: String,
    pub(crate) busy_timeout: Option<std::time::Duration>,
}

impl Options {
    /// `synchronous=NORMAL`, no table prefix.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the `synchronous` mode used for a file opened by this crate.
    pub fn synchronous(mut self, synchronous: Synchronous) -> Options {
        self.synchronous = synchronous;
        self
    }

    /// How long a statement waits for another connection's lock before
    /// failing (default 5 s) for a file opened by this crate.
    pub fn busy_timeout(mut self, timeout: std::time::Duration) -> Options {
        self.busy_timeout = Some(timeout);
        self
    }

    /// Prefixes this crate's table names (`<prefix>updates_state`...), for
    /// a database shared with other data. Only ASCII letters, digits and
    /// `_` are accepted (the names are spliced into SQL).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Options {
        self.prefix = prefix.into();
        self
    }

    /// Opens (creating it if needed) the database file at `path`, in WAL
    /// mode with the configured `synchronous`, and migrates its schema.
    pub fn open(self, path: impl AsRef<Path>) -> Result<SqliteStorage, OpenError> {
        SqliteStorage::open_file(path.as_ref(), self)
    }

    /// Uses an already open connection (shared with the caller's own
    /// tables): its pragmas are left as they are; the schema is migrated.
    pub fn with_connection(self, conn: rusqlite::Connection) -> Result<SqliteStorage, OpenError> {
        SqliteStorage::from_connection(conn, std::path::PathBuf::new(), self, None)
    }
}
