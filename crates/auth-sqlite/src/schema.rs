//! The schema, its version and the forward migrations.
//!
//! A database is ours when its `application_id` is [`APPLICATION_ID`]
//! (or it is empty); its `user_version` is the schema version. Opening
//! applies every pending migration, in order, each in its own transaction
//! together with the version bump, so a crash mid-migration leaves the
//! previous version. A database of a newer version, or with another
//! application id, is refused untouched.

use rusqlite::{Connection, Transaction};

use crate::error::SqliteError;

/// `PRAGMA application_id` of an auth-sqlite database ("msgA").
pub const APPLICATION_ID: i32 = 0x6d73_6741;

/// One forward step: the version it produces and what it does.
struct Migration {
    version: u32,
    apply: fn(&Transaction<'_>) -> rusqlite::Result<()>,
}

/// Every migration, oldest first. Append only: never edit a released step.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        apply: |tx| {
            tx.execute_batch(
                "CREATE TABLE creds (
                     slot INTEGER PRIMARY KEY CHECK (slot = 0),
                     value TEXT NOT NULL
                 );
                 CREATE TABLE keys (
                     family TEXT NOT NULL,
                     id TEXT NOT NULL,
                     value TEXT NOT NULL,
                     PRIMARY KEY (family, id)
                 ) WITHOUT ROWID;",
            )
        },
    },
    Migration {
        // which build created the file and migrated it, for support
        version: 2,
        apply: |tx| {
            tx.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
            )
        },
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 2;

fn version(conn: &Connection) -> rusqlite::Result<(i32, u32)> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok((app, version))
}

fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let objects: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
    Ok(objects == 0)
}

fn apply(tx: &Transaction<'_>, step: &Migration) -> rusqlite::Result<()> {
    (step.apply)(tx)?;
    if step.version >= 2 {
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            [
                format!("migrated_to_{}", step.version),
                format!("auth-sqlite {}", env!("CARGO_PKG_VERSION")),
            ],
        )?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", step.version)?;
    Ok(())
}

/// Checks the database is ours and migrates it up to [`SCHEMA_VERSION`]
/// (or to `up_to`, for tests of older schemas). Returns the versions
/// applied.
pub(crate) fn migrate(conn: &mut Connection, up_to: u32) -> Result<Vec<u32>, SqliteError> {
    let (app, current) = version(conn)?;
    if app != APPLICATION_ID && !(app == 0 && current == 0 && is_empty(conn)?) {
        return Err(SqliteError::Foreign { application_id: app, user_version: current });
    }
    if current > SCHEMA_VERSION {
        return Err(SqliteError::NewerSchema { found: current, supported: SCHEMA_VERSION });
    }
    let mut applied = Vec::new();
    for step in MIGRATIONS.iter().filter(|m| m.version > current && m.version <= up_to) {
        let tx = conn.transaction()?;
        apply(&tx, step)?;
        tx.commit()?;
        tracing::info!(version = step.version, "applied auth-sqlite schema migration");
        applied.push(step.version);
    }
    Ok(applied)
}
