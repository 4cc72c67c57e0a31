//! Schema versioning and migrations, on real database files.

use auth_persistence::{KeyFamily, Persistence};
use rusqlite::Connection;
use serde_json::json;

use crate::{APPLICATION_ID, SCHEMA_VERSION, SqliteError, SqliteOptions, SqliteStore};

#[tokio::test]
async fn an_older_schema_is_migrated_forward_keeping_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth.db");
    {
        let old = SqliteStore::open_at(&path, SqliteOptions::default(), 1).expect("open at v1");
        assert_eq!(old.schema_version().await.expect("version"), 1);
        old.save_key(&KeyFamily::PreKey, "1", &json!({"k": 1})).await.expect("save");
    }
    let store = SqliteStore::open(&path).expect("migrates");
    assert_eq!(store.schema_version().await.expect("version"), SCHEMA_VERSION);
    assert_eq!(store.load_key(&KeyFamily::PreKey, "1").await.expect("load"), Some(json!({"k": 1})));
    let conn = Connection::open(&path).expect("raw");
    let migrated: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'migrated_to_2'", [], |r| r.get(0))
        .expect("recorded");
    assert!(migrated.starts_with("auth-sqlite "), "{migrated}");
    // reopening applies nothing
    drop(store);
    SqliteStore::open(&path).expect("reopen");
}

#[test]
fn newer_and_foreign_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let newer = dir.path().join("newer.db");
    {
        SqliteStore::open(&newer).expect("create");
        let conn = Connection::open(&newer).expect("raw");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).expect("bump");
    }
    let error = SqliteStore::open(&newer).expect_err("newer");
    assert!(
        matches!(error, SqliteError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{error}"
    );

    let foreign = dir.path().join("foreign.db");
    {
        let conn = Connection::open(&foreign).expect("raw");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").expect("other app");
    }
    let error = SqliteStore::open(&foreign).expect_err("foreign");
    assert!(matches!(error, SqliteError::Foreign { application_id: 0, .. }), "{error}");
    let conn = Connection::open(&foreign).expect("raw");
    let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("untouched");
    assert_eq!(rows, 1);
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).expect("app id");
    assert_ne!(app, APPLICATION_ID);

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).expect("garbage");
    assert!(SqliteStore::open(&garbage).is_err(), "not a database");
}
