//! Bad input gets a typed error, never a panic and never a reset: a
//! foreign file, a folder where the file should be, foreign tables, a
//! newer schema, corrupt values, a lock held by another connection, a
//! read-only folder and a full disk (a file-size limit). The last two run
//! a child process: this test binary re-run in a role
//! (`updates_core::testkit::process`).

use std::time::Duration;

use updates_core::testkit::process;
use updates_core::{ChannelAccessHasher, State, StateStorage, StorageError};
use updates_storage_sqlite::{OpenError, Options, SqliteStorage};

const STATE: State = State { pts: 10, qts: 2, date: 3, seq: 4 };

/// Child side: opens the file (and, for `fill`, writes until a write
/// fails) and reports what happened.
fn child(role: &str) {
    let (action, path) = role.split_once(':').expect("role is action:path");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let storage = match SqliteStorage::open(path) {
        Ok(s) => s,
        Err(e) => {
            process::report(&format!("open {}", kind(&e)));
            return;
        }
    };
    process::report("open ok");
    if action == "fill" {
        for c in 0..10_000_000i64 {
            if let Err(e) = rt.block_on(storage.set_channel_access_hash(1, c, c)) {
                let source = std::error::Error::source(&e).map(|s| s.to_string());
                process::report(&format!("write failed after {c}: {e}: {source:?}"));
                return;
            }
        }
        process::report("never filled");
    }
}

fn kind(e: &OpenError) -> &'static str {
    if e.is_locked() {
        "locked"
    } else if e.is_read_only() {
        "read-only"
    } else if e.is_full() {
        "full"
    } else if e.is_corrupt() {
        "corrupt"
    } else if e.is_newer_schema() {
        "newer"
    } else {
        "other"
    }
}

fn in_child(test: &str, action: &str, path: &std::path::Path) -> std::process::Command {
    let role = format!("{action}:{}", path.display());
    process::self_command(test, &role).expect("test binary")
}

fn expect_err(r: Result<SqliteStorage, OpenError>) -> OpenError {
    match r {
        Ok(_) => panic!("opened what must be refused"),
        Err(e) => e,
    }
}

#[test]
fn a_foreign_file_is_corrupt_and_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let content = [0x5au8; 8192];
    std::fs::write(&file, content).expect("write");
    let e = expect_err(SqliteStorage::open(&file));
    assert!(e.is_corrupt(), "{e:?}");
    assert_eq!(std::fs::read(&file).expect("read"), content, "the file was touched");
    let e = expect_err(SqliteStorage::open(dir.path()));
    assert!(e.is_read_only() || e.is_corrupt(), "a folder as the file: {e:?}");
}

#[test]
fn foreign_tables_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute_batch(
        "CREATE TABLE updates_state (x TEXT); INSERT INTO updates_state VALUES ('a');",
    )
    .expect("foreign");
    drop(conn);
    let e = expect_err(SqliteStorage::open(&file));
    assert!(matches!(e, OpenError::Foreign { .. }), "{e:?}");

    let file = dir.path().join("v.db");
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute_batch("CREATE TABLE updates_schema (version TEXT); INSERT INTO updates_schema VALUES ('one'), ('two');")
        .expect("foreign");
    drop(conn);
    let e = expect_err(SqliteStorage::open(&file));
    assert!(matches!(e, OpenError::Foreign { .. }), "{e:?}");
}

#[test]
fn a_newer_schema_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    drop(SqliteStorage::open(&file).expect("create"));
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute("UPDATE updates_schema SET version = 99", []).expect("bump");
    drop(conn);
    let e = expect_err(SqliteStorage::open(&file));
    assert!(
        matches!(e, OpenError::NewerSchema { found: 99, supported } if supported == SqliteStorage::schema_version()),
        "{e:?}"
    );
    let conn = rusqlite::Connection::open(&file).expect("open");
    let v: i64 = conn.query_row("SELECT version FROM updates_schema", [], |r| r.get(0)).expect("v");
    assert_eq!(v, 99, "the version was rewritten");
}

#[test]
fn an_empty_schema_table_at_version_zero_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let conn = rusqlite::Connection::open(&file).expect("open");
    conn.execute_batch("CREATE TABLE updates_schema (version INTEGER NOT NULL); INSERT INTO updates_schema VALUES (0);")
        .expect("v0");
    drop(conn);
    drop(SqliteStorage::open(&file).expect("migrates from 0"));
    let conn = rusqlite::Connection::open(&file).expect("open");
    let v: i64 = conn.query_row("SELECT version FROM updates_schema", [], |r| r.get(0)).expect("v");
    assert_eq!(v, SqliteStorage::schema_version());
}

#[tokio::test]
async fn corrupt_values_are_typed_errors_not_absent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let s = SqliteStorage::open(&file).expect("open");
    s.set_state(1, STATE).await.expect("set");
    s.set_channel_pts(1, 5, 50).await.expect("set");
    s.set_channel_access_hash(1, 5, 55).await.expect("set");
    let raw = rusqlite::Connection::open(&file).expect("raw");
    raw.execute_batch(
        "UPDATE updates_state SET qts = 'text' WHERE user_id = 1;
         UPDATE updates_channels SET pts = 4294967296 WHERE user_id = 1;
         UPDATE updates_hashes SET access_hash = 1.5 WHERE user_id = 1;",
    )
    .expect("corrupt");
    let corrupt = |r: Result<(), StorageError>, what: &str| {
        assert!(matches!(r, Err(StorageError::Corrupt { .. })), "{what}: {r:?}");
    };
    corrupt(s.get_state(1).await.map(drop), "get_state");
    corrupt(s.get_channel_pts(1, 5).await.map(drop), "get_channel_pts");
    corrupt(s.for_each_channel(1, &mut |_, _| {}).await, "for_each_channel");
    corrupt(s.get_channel_access_hash(1, 5).await.map(drop), "get_channel_access_hash");
    s.set_state(2, STATE).await.expect("set");
    assert_eq!(s.get_state(2).await.expect("get"), Some(STATE), "another account");
}

#[tokio::test]
async fn a_lock_held_by_another_connection_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    drop(SqliteStorage::open(&file).expect("create"));
    let holder = rusqlite::Connection::open(&file).expect("holder");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let e = expect_err(Options::new().busy_timeout(Duration::from_millis(100)).open(&file));
    assert!(e.is_locked(), "{e:?}");
    holder.execute_batch("COMMIT").expect("unlock");
    let s = Options::new().busy_timeout(Duration::from_millis(100)).open(&file).expect("reopen");
    s.set_state(1, STATE).await.expect("write after the lock was released");
}

#[test]
fn a_read_only_folder_is_refused_with_read_only() {
    use std::os::unix::fs::PermissionsExt;
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("db");
    std::fs::create_dir(&folder).expect("mkdir");
    let file = folder.join("u.db");
    drop(SqliteStorage::open(&file).expect("create"));
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
    };
    mode(dir.path(), 0o755);
    for entry in std::fs::read_dir(&folder).expect("list") {
        mode(&entry.expect("entry").path(), 0o444);
    }
    mode(&folder, 0o555);
    let test = "a_read_only_folder_is_refused_with_read_only";
    let out =
        process::run(process::unprivileged(in_child(test, "open", &file)), Duration::from_secs(60))
            .expect("child");
    let fresh = process::run(
        process::unprivileged(in_child(test, "open", &folder.join("new.db"))),
        Duration::from_secs(60),
    )
    .expect("child");
    mode(&folder, 0o755);
    assert_eq!(out.reports, ["open read-only"], "stderr: {}", out.stderr);
    assert_eq!(fresh.reports, ["open read-only"], "stderr: {}", fresh.stderr);
}

#[test]
fn a_full_disk_is_a_typed_error_and_the_file_reopens() {
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    drop(SqliteStorage::open(&file).expect("create"));
    let cmd = in_child("a_full_disk_is_a_typed_error_and_the_file_reopens", "fill", &file);
    let out =
        process::run(process::file_size_limit(cmd, 512), Duration::from_secs(120)).expect("child");
    assert!(out.status.is_some(), "the child hung on a full disk: {:?}", out.reports);
    let last = out.reports.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("open full") || last.starts_with("write failed"),
        "reports {:?}, stderr: {}",
        out.reports,
        out.stderr
    );
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("rt");
    let s = SqliteStorage::open(&file).expect("the file opens again after the disk was full");
    rt.block_on(s.set_state(1, STATE)).expect("and takes writes");
}
