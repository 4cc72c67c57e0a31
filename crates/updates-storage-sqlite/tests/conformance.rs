//! updates-core's conformance suite (both ports, the model check with
//! extra seeds) against `SqliteStorage` with `synchronous=NORMAL` and
//! `FULL`, and sharing one connection under a table prefix.

use std::sync::Arc;

use updates_core::conformance::{random_ops, run_access_hasher, run_state_storage};
use updates_core::{ChannelAccessHasher, State, StateStorage};
use updates_storage_sqlite::{Options, SqliteStorage, Synchronous};

async fn suite(storage: SqliteStorage) {
    let storage = Arc::new(storage);
    run_state_storage(storage.clone(), 1000).await;
    run_access_hasher(storage.clone(), 1000).await;
    for seed in 0..16u64 {
        random_ops(storage.as_ref(), 5000 + seed as i64, seed, 300).await;
    }
}

#[tokio::test]
async fn sqlite_storage_conforms_with_synchronous_normal() {
    let dir = tempfile::tempdir().expect("tempdir");
    suite(SqliteStorage::open(dir.path().join("u.db")).expect("open")).await;
}

#[tokio::test]
async fn sqlite_storage_conforms_with_synchronous_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Options::new().synchronous(Synchronous::Full).open(dir.path().join("u.db"));
    suite(storage.expect("open")).await;
}

#[tokio::test]
async fn prefixed_stores_share_a_database_with_the_callers_own_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("app.db");
    let own = rusqlite::Connection::open(&file).expect("open");
    own.execute_batch("CREATE TABLE app (k TEXT); INSERT INTO app VALUES ('mine');").expect("app");
    drop(own);
    // the caller's connection, configured as the caller likes (here WAL +
    // NORMAL; the store leaves pragmas alone)
    let conn = |_: ()| {
        let c = rusqlite::Connection::open(&file).expect("open");
        c.pragma_update(None, "journal_mode", "WAL").expect("wal");
        c.pragma_update(None, "synchronous", "NORMAL").expect("normal");
        c
    };
    let a = Options::new().prefix("a_").with_connection(conn(())).expect("a");
    let b = Options::new().prefix("b_").with_connection(conn(())).expect("b");
    assert_eq!(a.synchronous(), None, "a connection passed in keeps its pragmas");
    suite(a).await;
    assert_eq!(b.get_state(1000).await.expect("get"), None, "prefixes share state");
    let mut seen = 0;
    b.for_each_channel(1003, &mut |_, _| seen += 1).await.expect("iterate");
    assert_eq!(seen, 0, "prefixes share channels");
    assert_eq!(
        b.get_channel_access_hash(1000, 7).await.expect("get"),
        None,
        "prefixes share hashes"
    );
    b.set_state(1, State { pts: 1, qts: 2, date: 3, seq: 4 }).await.expect("set");
    let check = conn(());
    let mine: String = check.query_row("SELECT k FROM app", [], |r| r.get(0)).expect("own row");
    assert_eq!(mine, "mine", "own data touched");
    let tables: Vec<String> = check
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for prefix in ["a_", "b_"] {
        for table in ["schema", "state", "channels", "hashes"] {
            let name = format!("{prefix}updates_{table}");
            assert!(tables.contains(&name), "table {name} missing from {tables:?}");
        }
    }
    let bad = Options::new().prefix("x; DROP TABLE app").with_connection(conn(()));
    assert!(bad.is_err(), "a prefix that is not an identifier was accepted");
}
