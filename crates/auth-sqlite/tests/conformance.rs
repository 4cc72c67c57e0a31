//! auth-persistence's conformance suite against SQLite, plus the
//! backend's own guarantees: one transaction per batch, private files.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auth_persistence::conformance::{Subject, run_all};
use auth_persistence::{KeyFamily, KeyWrite, Persistence};
use auth_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use serde_json::json;

/// One database file per slot; a slot is reopened through a new
/// connection each time (like a restarted process).
struct Databases {
    root: tempfile::TempDir,
    synchronous: Synchronous,
    opened: Mutex<HashMap<String, usize>>,
}

impl Databases {
    fn new(synchronous: Synchronous) -> Self {
        Self { root: tempfile::tempdir().expect("tempdir"), synchronous, opened: Mutex::default() }
    }
}

#[async_trait]
impl Subject for Databases {
    async fn open(&self, slot: &str) -> Arc<dyn Persistence> {
        *self.opened.lock().expect("lock").entry(slot.to_owned()).or_default() += 1;
        let options = SqliteOptions { synchronous: self.synchronous, ..SqliteOptions::default() };
        Arc::new(
            SqliteStore::open_with(self.root.path().join(format!("{slot}.db")), options)
                .expect("open"),
        )
    }
}

#[tokio::test]
async fn sqlite_passes_the_suite_with_full_sync() {
    let subject = Databases::new(Synchronous::Full);
    run_all(&subject).await;
    assert!(subject.opened.lock().expect("lock").values().any(|&n| n > 1), "slots were reopened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_suite_without_sync_on_a_multi_thread_runtime() {
    run_all(&Databases::new(Synchronous::Off)).await;
}

#[tokio::test]
async fn a_batch_that_cannot_commit_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth.db");
    let options =
        SqliteOptions { busy_timeout: Duration::from_millis(50), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, options).expect("open");
    store.save_key(&KeyFamily::PreKey, "1", &json!({"old": 1})).await.expect("seed");
    // another process holds the write lock
    let other = rusqlite::Connection::open(&path).expect("other");
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let batch = [
        KeyWrite::save(KeyFamily::PreKey, "1", json!({"new": 1})),
        KeyWrite::save(KeyFamily::PreKey, "2", json!({"new": 2})),
    ];
    let error = store.write_batch(&batch).await.expect_err("busy");
    assert!(!error.is_corrupt(), "{error}");
    other.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(store.list_ids(&KeyFamily::PreKey).await.expect("list"), ["1"]);
    assert_eq!(
        store.load_key(&KeyFamily::PreKey, "1").await.expect("load"),
        Some(json!({"old": 1}))
    );
    store.write_batch(&batch).await.expect("now commits");
    assert_eq!(store.list_ids(&KeyFamily::PreKey).await.expect("list"), ["1", "2"]);
}

#[tokio::test]
async fn a_value_that_is_not_json_is_corrupt_and_creds_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth.db");
    let store = SqliteStore::open(&path).expect("open");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute("INSERT INTO keys (family, id, value) VALUES ('session', '1.0', '{\"torn\":')", [])
        .expect("damage");
    raw.execute("INSERT INTO creds (slot, value) VALUES (0, '{}')", []).expect("damage creds");
    let error = store.load_key(&KeyFamily::Session, "1.0").await.expect_err("corrupt");
    assert!(error.is_corrupt() && error.to_string().contains("session 1.0"), "{error}");
    assert!(store.load_credentials().await.expect_err("corrupt creds").is_corrupt());
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the database file is private");
}
