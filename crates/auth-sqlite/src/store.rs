//! [`SqliteStore`]: the persistence port on one SQLite file.
//!
//! WAL journal, `synchronous` chosen by [`Synchronous`] (`FULL` by
//! default: a returned write survives power loss), values stored as the
//! exact JSON text Baileys would write (key order kept). Every
//! `write_batch` is one `BEGIN IMMEDIATE` transaction, so a key-store
//! commit is all or nothing, also across processes. Listing reads the
//! primary-key index. It does not cache: `auth_persistence::KeyStore` does.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use auth_persistence::transfer::{self, Copied, CountMismatch};
use auth_persistence::{AuthCreds, Error, KeyFamily, KeyWrite, Persistence, Result};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde_json::Value;

use crate::error::SqliteError;
use crate::schema::{self, SCHEMA_VERSION};

/// SQLite's `synchronous` setting (with WAL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync at every commit: a returned write survives power loss.
    #[default]
    Full,
    /// fsync at checkpoints: a crash of the process loses nothing, a
    /// power loss can lose the last commits (never tears one).
    Normal,
    /// No fsync at all (benchmarks, throwaway state).
    Off,
}

/// How a [`SqliteStore`] is opened.
#[derive(Clone, Copy, Debug)]
pub struct SqliteOptions {
    /// Durability of commits.
    pub synchronous: Synchronous,
    /// How long a statement waits for another process's write lock.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { synchronous: Synchronous::Full, busy_timeout: Duration::from_secs(5) }
    }
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// An auth state in one SQLite file.
///
/// ```
/// use auth_persistence::{AuthState, KeyFamily, KeyWrite, Persistence};
/// use auth_sqlite::SqliteStore;
/// use serde_json::json;
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = Arc::new(SqliteStore::open(dir.path().join("auth.db"))?);
/// let state = AuthState::open(store.clone()).await?;
/// state.save_creds().await?;
/// store
///     .write_batch(&[
///         KeyWrite::save(KeyFamily::PreKey, "1", json!({"k": 1})),
///         KeyWrite::save(KeyFamily::PreKey, "2", json!({"k": 2})),
///     ])
///     .await?; // one transaction
/// assert_eq!(store.list_ids(&KeyFamily::PreKey).await?, ["1", "2"]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it, mode `0600`) the database with the default
    /// options, migrating its schema forward.
    ///
    /// # Errors
    /// [`SqliteError::Foreign`] for another application's database,
    /// [`SqliteError::NewerSchema`] for a newer one, [`SqliteError::Open`]
    /// when it cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SqliteError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database with `options`.
    ///
    /// # Errors
    /// As for [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, SqliteError> {
        Self::open_at(path.as_ref(), options, SCHEMA_VERSION)
    }

    pub(crate) fn open_at(
        path: &Path,
        options: SqliteOptions,
        up_to: u32,
    ) -> Result<Self, SqliteError> {
        let open_error = |source| SqliteError::Open { path: path.to_owned(), source };
        // create it private before SQLite does (its -wal/-shm copy the mode)
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| open_error(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let mut conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(options.busy_timeout).map_err(open_error)?;
        let sync = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(open_error)?;
        schema::migrate(&mut conn, up_to)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "WAL not available; using the default journal");
        }
        Ok(Self { inner: Arc::new(Inner { path: path.to_owned(), conn: Mutex::new(conn) }) })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// SQLite's.
    pub async fn schema_version(&self) -> Result<u32> {
        self.run(|conn| Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    ) -> Result<T> {
        self.run_port(move |conn| work(conn).map_err(Error::from)).await
    }

    async fn run_port<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut conn)
        })
        .await
        .map_err(Error::backend)?
    }

    /// Imports everything `source` holds (for example a Baileys folder
    /// opened with `auth_file::CompatFolder`) in one transaction, verified
    /// against the source's listing before it commits: on any failure the
    /// database is unchanged.
    ///
    /// # Errors
    /// [`SqliteError::NotEmpty`] unless the database is empty; a
    /// [`CountMismatch`] when the rows do not match the source's listing;
    /// the source's errors (a corrupt source value aborts the import).
    pub async fn import(&self, source: &dyn Persistence) -> Result<Copied> {
        let snapshot = transfer::read_all(source).await?;
        let mut listed: BTreeMap<KeyFamily, usize> = BTreeMap::new();
        for write in &snapshot.keys {
            *listed.entry(write.family.clone()).or_default() += 1;
        }
        let creds = snapshot.creds.as_ref().map(AuthCreds::to_json_string).transpose()?;
        let keys = snapshot
            .keys
            .iter()
            .map(|w| {
                Ok((
                    w.family.to_string(),
                    w.id.clone(),
                    encode(w.value.as_ref().unwrap_or(&Value::Null))?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        self.run_port(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
            let held: u64 =
                tx.query_row("SELECT count(*) FROM keys", [], |r| r.get(0)).map_err(sql)?;
            let has_creds: bool =
                tx.query_row("SELECT count(*) > 0 FROM creds", [], |r| r.get(0)).map_err(sql)?;
            if held > 0 || has_creds {
                return Err(SqliteError::NotEmpty { keys: held, creds: has_creds }.into());
            }
            {
                let mut insert = tx
                    .prepare("INSERT INTO keys (family, id, value) VALUES (?1, ?2, ?3)")
                    .map_err(sql)?;
                for (family, id, value) in &keys {
                    insert.execute(params![family, id, value]).map_err(sql)?;
                }
            }
            if let Some(creds) = &creds {
                tx.execute("INSERT INTO creds (slot, value) VALUES (0, ?1)", [creds])
                    .map_err(sql)?;
            }
            let mut copied = Copied { creds: creds.is_some(), keys: BTreeMap::new() };
            {
                let mut count =
                    tx.prepare("SELECT family, count(*) FROM keys GROUP BY family").map_err(sql)?;
                let rows = count
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, usize>(1)?)))
                    .map_err(sql)?;
                for row in rows {
                    let (family, n) = row.map_err(sql)?;
                    copied.keys.insert(KeyFamily::from(family), n);
                }
            }
            for family in listed.keys().chain(copied.keys.keys()) {
                let (want, got) = (
                    listed.get(family).copied().unwrap_or(0),
                    copied.keys.get(family).copied().unwrap_or(0),
                );
                if want != got {
                    // dropping `tx` rolls back
                    return Err(Error::backend(CountMismatch {
                        family: family.clone(),
                        source_ids: want,
                        target_ids: got,
                        missing: want.saturating_sub(got),
                        extra: got.saturating_sub(want),
                    }));
                }
            }
            tx.commit().map_err(sql)?;
            Ok(copied)
        })
        .await
    }

    /// Exports everything into `target` (for example an empty Baileys
    /// folder), then verifies the target lists the same ids.
    ///
    /// # Errors
    /// Either side's errors, or a [`CountMismatch`].
    pub async fn export(&self, target: &dyn Persistence) -> Result<Copied> {
        transfer::copy_all(self, target, 500).await
    }
}

fn sql(error: rusqlite::Error) -> Error {
    SqliteError::Sqlite(error).into()
}

fn encode(value: &Value) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::corrupt("value to write", e))
}

fn decode(what: impl FnOnce() -> String, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(what(), e))
}

#[async_trait]
impl Persistence for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.run_port(|conn| {
            let text: Option<String> = conn
                .query_row("SELECT value FROM creds WHERE slot = 0", [], |row| row.get(0))
                .optional()
                .map_err(sql)?;
            text.map(|text| AuthCreds::from_json_str(&text)).transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        let text = creds.to_json_string()?;
        self.run_port(move |conn| {
            conn.prepare_cached("INSERT OR REPLACE INTO creds (slot, value) VALUES (0, ?1)")
                .and_then(|mut stmt| stmt.execute([text]))
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        Ok(self.load_keys(family, &[id.to_owned()]).await?.pop().flatten())
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.write_batch(&[KeyWrite::save(family.clone(), id, value.clone())]).await
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.write_batch(&[KeyWrite::delete(family.clone(), id)]).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%family, ids = ids.len()))]
    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        let (family, ids) = (family.clone(), ids.to_vec());
        self.run_port(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT value FROM keys WHERE family = ?1 AND id = ?2")
                .map_err(sql)?;
            ids.iter()
                .map(|id| {
                    let text: Option<String> = stmt
                        .query_row(params![family.as_str(), id], |row| row.get(0))
                        .optional()
                        .map_err(sql)?;
                    text.map(|text| decode(|| format!("{family} {id}"), &text)).transpose()
                })
                .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%family))]
    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        let family = family.clone();
        self.run_port(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id FROM keys WHERE family = ?1 ORDER BY id")
                .map_err(sql)?;
            let rows = stmt.query_map([family.as_str()], |row| row.get(0)).map_err(sql)?;
            rows.collect::<rusqlite::Result<Vec<String>>>().map_err(sql)
        })
        .await
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        self.run_port(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT DISTINCT family FROM keys ORDER BY family")
                .map_err(sql)?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0)).map_err(sql)?;
            rows.map(|r| r.map(KeyFamily::from)).collect::<rusqlite::Result<Vec<_>>>().map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(writes = writes.len()))]
    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        let planned = writes
            .iter()
            .map(|w| {
                Ok((w.family.to_string(), w.id.clone(), w.value.as_ref().map(encode).transpose()?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.run_port(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
            {
                let mut upsert = tx
                    .prepare_cached(
                        "INSERT INTO keys (family, id, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (family, id) DO UPDATE SET value = excluded.value",
                    )
                    .map_err(sql)?;
                let mut delete = tx
                    .prepare_cached("DELETE FROM keys WHERE family = ?1 AND id = ?2")
                    .map_err(sql)?;
                for (family, id, value) in &planned {
                    match value {
                        Some(value) => upsert.execute(params![family, id, value]),
                        None => delete.execute(params![family, id]),
                    }
                    .map_err(sql)?;
                }
            }
            tx.commit().map_err(sql)
        })
        .await
    }
}
