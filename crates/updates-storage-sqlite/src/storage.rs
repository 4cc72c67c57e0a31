//! [`SqliteStorage`]: opening a file (WAL, `synchronous`, busy timeout) or
//! adopting a connection, then checking and migrating the schema before
//! any write.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use crate::error::OpenError;
use crate::options::{Options, Synchronous};
use crate::schema::{self, Names};

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Update state, channel pts and channel access hashes of any number of
/// accounts in one SQLite database. Implements
/// [`StateStorage`](updates_core::StateStorage) and
/// [`ChannelAccessHasher`](updates_core::ChannelAccessHasher).
///
/// Calls run on the caller's task, one at a time behind a mutex: each is
/// one short statement (or one transaction for a checkpoint touching
/// several rows) on an open connection.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use updates_core::{State, StateStorage};
/// use updates_storage_sqlite::SqliteStorage;
///
/// let file = std::env::temp_dir().join(format!("updates-sqlite-example-{}.db", std::process::id()));
/// let storage = SqliteStorage::open(&file)?;
/// storage.set_state(1, State { pts: 5, qts: 0, date: 1, seq: 0 }).await?;
/// drop(storage);
/// let reopened = SqliteStorage::open(&file)?;
/// assert_eq!(reopened.get_state(1).await?.map(|s| s.pts), Some(5));
/// # drop(reopened);
/// # for ext in ["", "-wal", "-shm"] { std::fs::remove_file(format!("{}{ext}", file.display())).ok(); }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Mutex<Connection>,
    pub(crate) sql: crate::ports::Sql,
    synchronous: Option<Synchronous>,
}

impl SqliteStorage {
    /// Opens (creating it if needed) the file at `path` with the default
    /// [`Options`] (`synchronous=NORMAL`, no prefix).
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage, OpenError> {
        Options::new().open(path)
    }

    /// The `synchronous` mode this crate set (`None` for a connection
    /// passed in, whose pragmas are the caller's).
    pub fn synchronous(&self) -> Option<Synchronous> {
        self.synchronous
    }

    /// The schema version of this build.
    pub fn schema_version() -> i64 {
        schema::MIGRATIONS.len() as i64
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn open_file(path: &Path, options: Options) -> Result<SqliteStorage, OpenError> {
        let engine = |e| OpenError::from_sqlite(path.to_owned(), e);
        let conn = Connection::open(path).map_err(engine)?;
        conn.busy_timeout(options.busy_timeout.unwrap_or(BUSY_TIMEOUT)).map_err(engine)?;
        // the first read of the header: a foreign file fails here
        let mode: String =
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(engine)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::ReadOnly {
                path: path.to_owned(),
                source: format!("journal mode stayed {mode}, WAL needs a writable folder").into(),
            });
        }
        conn.pragma_update(None, "synchronous", options.synchronous.pragma()).map_err(engine)?;
        let synchronous = Some(options.synchronous);
        SqliteStorage::from_connection(conn, path.to_owned(), options, synchronous)
    }

    pub(crate) fn from_connection(
        mut conn: Connection,
        path: PathBuf,
        options: Options,
        synchronous: Option<Synchronous>,
    ) -> Result<SqliteStorage, OpenError> {
        if !options.prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(OpenError::Engine {
                path,
                source: format!("table prefix {:?} is not [A-Za-z0-9_]*", options.prefix).into(),
            });
        }
        let names = Names::new(&options.prefix);
        let found = schema::migrate(&mut conn, &names, schema::MIGRATIONS, &path)?;
        tracing::debug!(path = %path.display(), from = found, ?synchronous, "sqlite update storage open");
        let sql = crate::ports::Sql::new(&names);
        Ok(SqliteStorage { conn: Mutex::new(conn), sql, synchronous })
    }
}
