//! The schema: table names (behind the configured prefix), the
//! schema-version table and the forward migrations run on open.
//!
//! Every migration runs in the same immediate transaction as the version
//! bump, so an interrupted open leaves the previous version whole. A
//! database of a newer version, or tables of our names without our
//! version table, are refused, never rewritten.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::OpenError;

/// The table names for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) schema: String,
    pub(crate) state: String,
    pub(crate) channels: String,
    pub(crate) hashes: String,
}

impl Names {
    pub(crate) fn new(prefix: &str) -> Names {
        Names {
            schema: format!("{prefix}updates_schema"),
            state: format!("{prefix}updates_state"),
            channels: format!("{prefix}updates_channels"),
            hashes: format!("{prefix}updates_hashes"),
        }
    }
}

/// One forward step: the SQL taking version `n` to `n + 1` (index `n`).
pub(crate) type Migration = fn(&Names) -> String;

/// Every migration, in order; the schema version is their count.
pub(crate) const MIGRATIONS: &[Migration] = &[|n| {
    format!(
        "CREATE TABLE {state} (
            user_id INTEGER PRIMARY KEY,
            pts INTEGER NOT NULL, qts INTEGER NOT NULL,
            date INTEGER NOT NULL, seq INTEGER NOT NULL);
         CREATE TABLE {channels} (
            user_id INTEGER NOT NULL, channel_id INTEGER NOT NULL, pts INTEGER NOT NULL,
            PRIMARY KEY (user_id, channel_id)) WITHOUT ROWID;
         CREATE TABLE {hashes} (
            user_id INTEGER NOT NULL, channel_id INTEGER NOT NULL, access_hash INTEGER NOT NULL,
            PRIMARY KEY (user_id, channel_id)) WITHOUT ROWID;",
        state = n.state,
        channels = n.channels,
        hashes = n.hashes,
    )
}];

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| {
        Ok(())
    })
    .optional()
    .map(|r| r.is_some())
}

/// Brings the schema to the newest version (`migrations.len()`), or
/// refuses the database. Returns the version found before.
pub(crate) fn migrate(
    conn: &mut Connection,
    names: &Names,
    migrations: &[Migration],
    path: &std::path::Path,
) -> Result<i64, OpenError> {
    let engine = |e| OpenError::from_sqlite(path.to_owned(), e);
    let latest = migrations.len() as i64;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(engine)?;
    let found = if table_exists(&tx, &names.schema).map_err(engine)? {
        let rows: Vec<rusqlite::Result<i64>> = {
            let mut stmt = tx
                .prepare(&format!("SELECT version FROM {}", names.schema))
                .map_err(|e| OpenError::Foreign { what: format!("{}: {e}", names.schema) })?;
            let rows = stmt.query_map([], |r| r.get::<_, i64>(0)).map_err(engine)?;
            rows.collect()
        };
        match rows.as_slice() {
            [Ok(v)] if *v >= 0 => *v,
            other => {
                return Err(OpenError::Foreign {
                    what: format!(
                        "{} holds {} row(s), not one integer version",
                        names.schema,
                        other.len()
                    ),
                });
            }
        }
    } else {
        for table in [&names.state, &names.channels, &names.hashes] {
            if table_exists(&tx, table).map_err(engine)? {
                return Err(OpenError::Foreign {
                    what: format!("table {table} exists without {}", names.schema),
                });
            }
        }
        tx.execute_batch(&format!("CREATE TABLE {} (version INTEGER NOT NULL)", names.schema))
            .map_err(engine)?;
        tx.execute(&format!("INSERT INTO {} (version) VALUES (0)", names.schema), [])
            .map_err(engine)?;
        0
    };
    if found > latest {
        return Err(OpenError::NewerSchema { found, supported: latest });
    }
    for (version, migration) in migrations.iter().enumerate().skip(found as usize) {
        tx.execute_batch(&migration(names)).map_err(engine)?;
        tracing::info!(version = version + 1, "migrated the update-state schema");
    }
    if found < latest {
        tx.execute(&format!("UPDATE {} SET version = ?1", names.schema), [latest])
            .map_err(engine)?;
    }
    tx.commit().map_err(engine)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: Migration = |n| format!("CREATE TABLE {} (a INTEGER)", n.state);
    const M2: Migration = |n| format!("CREATE TABLE {} (b INTEGER)", n.channels);
    const BAD: Migration = |n| format!("CREATE TABLE {} (c INTEGER); THIS IS NOT SQL", n.hashes);

    fn version(conn: &Connection, n: &Names) -> i64 {
        conn.query_row(&format!("SELECT version FROM {}", n.schema), [], |r| r.get(0))
            .expect("version")
    }

    #[test]
    fn migrations_run_forward_once_and_a_failed_one_changes_nothing() {
        let mut conn = Connection::open_in_memory().expect("db");
        let n = Names::new("t_");
        let path = std::path::Path::new("");
        assert_eq!(migrate(&mut conn, &n, &[M1], path).expect("to 1"), 0);
        assert_eq!(version(&conn, &n), 1);
        conn.execute(&format!("INSERT INTO {} (a) VALUES (7)", n.state), []).expect("row");
        assert_eq!(migrate(&mut conn, &n, &[M1, M2], path).expect("to 2"), 1, "M1 ran twice");
        assert_eq!(version(&conn, &n), 2);
        let kept: i64 = conn
            .query_row(&format!("SELECT a FROM {}", n.state), [], |r| r.get(0))
            .expect("row kept");
        assert_eq!(kept, 7);
        assert!(migrate(&mut conn, &n, &[M1, M2, BAD], path).is_err());
        assert_eq!(version(&conn, &n), 2, "a failed migration moved the version");
        assert!(!table_exists(&conn, &n.hashes).expect("query"), "half a migration stayed");
        let e = migrate(&mut conn, &n, &[M1], path).expect_err("newer");
        assert!(matches!(e, OpenError::NewerSchema { found: 2, supported: 1 }), "{e:?}");
    }
}
