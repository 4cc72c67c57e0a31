//! Bad input gets a typed error, never a panic and never a reset: a file
//! or garbage where the folder should be, foreign or newer data, corrupt
//! values, a folder held by another process, a read-only folder and a
//! full disk (a file-size limit). The last three run a child process:
//! this test binary re-run in a role (`updates_core::testkit::process`).

use std::time::Duration;

use updates_core::testkit::process;
use updates_core::{ChannelAccessHasher, State, StateStorage, StorageError};
use updates_storage_sled::{OpenError, SledStorage};

const STATE: State = State { pts: 10, qts: 2, date: 3, seq: 4 };

/// Child side: opens the folder (and, for `fill`, writes until a write
/// fails) and reports what happened.
fn child(role: &str) {
    let (action, path) = role.split_once(':').expect("role is action:path");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let storage = match SledStorage::open(path) {
        Ok(s) => s,
        Err(e) => {
            process::report(&format!("open {}", kind(&e)));
            return;
        }
    };
    process::report("open ok");
    if action == "fill" {
        for c in 0..2_000_000i64 {
            let r = rt.block_on(async {
                storage.set_channel_access_hash(1, c, c).await?;
                if c % 1000 == 0 { storage.flush().await } else { Ok(()) }
            });
            if let Err(e) = r {
                process::report(&format!("write failed after {c}: {e}: {:?}", source_text(&e)));
                return;
            }
        }
        process::report("never filled");
    }
}

fn source_text(e: &StorageError) -> String {
    std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default()
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
    } else if e.is_newer_format() {
        "newer"
    } else {
        "other"
    }
}

fn in_child(test: &str, action: &str, path: &std::path::Path) -> std::process::Command {
    let role = format!("{action}:{}", path.display());
    process::self_command(test, &role).expect("test binary")
}

fn expect_err(r: Result<SledStorage, OpenError>) -> OpenError {
    match r {
        Ok(_) => panic!("opened what must be refused"),
        Err(e) => e,
    }
}

#[test]
fn a_file_instead_of_a_folder_is_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state");
    let content = b"SQLite format 3\0 not a sled folder";
    std::fs::write(&file, content).expect("write");
    let e = expect_err(SledStorage::open(&file));
    assert!(e.is_corrupt(), "{e:?}");
    assert_eq!(std::fs::read(&file).expect("read"), content, "the file was touched");
}

#[test]
fn garbage_sled_files_are_corrupt_not_reset() {
    for (conf, db) in [(&b"garbage"[..], &[0xffu8; 4096][..]), (&[0u8; 64][..], &b"x"[..])] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("conf"), conf).expect("conf");
        std::fs::write(dir.path().join("db"), db).expect("db");
        let e = expect_err(SledStorage::open(dir.path()));
        assert!(e.is_corrupt(), "{e:?}");
        assert_eq!(std::fs::read(dir.path().join("db")).expect("db"), db, "db rewritten");
    }
}

#[test]
fn foreign_trees_and_markers_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(dir.path()).expect("sled");
        db.open_tree("updates.state").expect("tree").insert(b"k", b"someone else's").expect("x");
        db.flush().expect("flush");
    }
    let e = expect_err(SledStorage::open(dir.path()));
    assert!(e.is_corrupt() && matches!(e, OpenError::Foreign { .. }), "{e:?}");

    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = sled::open(dir.path()).expect("sled");
        db.open_tree("updates.meta").expect("tree").insert(b"format", b"v1").expect("x");
        db.flush().expect("flush");
    }
    let e = expect_err(SledStorage::open(dir.path()));
    assert!(matches!(e, OpenError::Foreign { .. }), "{e:?}");
}

#[test]
fn a_newer_format_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(SledStorage::open(dir.path()).expect("create"));
    {
        let db = sled::open(dir.path()).expect("sled");
        let mut marker = b"msgkit.updates.v".to_vec();
        marker.extend_from_slice(&2u32.to_be_bytes());
        db.open_tree("updates.meta").expect("tree").insert(b"format", marker).expect("x");
        db.flush().expect("flush");
    }
    let e = expect_err(SledStorage::open(dir.path()));
    assert!(matches!(e, OpenError::NewerFormat { found: 2, supported: 1 }), "{e:?} ({e})");
}

#[tokio::test]
async fn corrupt_values_are_typed_errors_not_absent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = SledStorage::open(dir.path()).expect("open");
    s.set_state(1, STATE).await.expect("set");
    s.set_channel_pts(1, 5, 50).await.expect("set");
    s.set_channel_access_hash(1, 5, 55).await.expect("set");
    let db = s.db().clone();
    let user1 = (1u64 ^ (1 << 63)).to_be_bytes();
    let mut chan = user1.to_vec();
    chan.extend_from_slice(&(5u64 ^ (1 << 63)).to_be_bytes());
    db.open_tree("updates.state").expect("t").insert(user1, &[1u8; 15]).expect("x");
    db.open_tree("updates.channels").expect("t").insert(&chan, &[1u8; 5]).expect("x");
    db.open_tree("updates.hashes").expect("t").insert(&chan, &[1u8; 2]).expect("x");
    let corrupt = |r: Result<(), StorageError>, what: &str| {
        assert!(matches!(r, Err(StorageError::Corrupt { .. })), "{what}: {r:?}");
    };
    corrupt(s.get_state(1).await.map(drop), "get_state");
    corrupt(s.set_pts(1, 11).await, "set_pts over a corrupt state");
    corrupt(s.get_channel_pts(1, 5).await.map(drop), "get_channel_pts");
    corrupt(s.for_each_channel(1, &mut |_, _| {}).await, "for_each_channel");
    corrupt(s.get_channel_access_hash(1, 5).await.map(drop), "get_channel_access_hash");
    // a bad key in the account's range is corrupt too
    let mut short = user1.to_vec();
    short.push(9);
    db.open_tree("updates.channels").expect("t").remove(&chan).expect("x");
    db.open_tree("updates.channels").expect("t").insert(&short, &[0u8; 4]).expect("x");
    corrupt(s.for_each_channel(1, &mut |_, _| {}).await, "for_each_channel with a bad key");
    // the other account is unaffected
    s.set_state(2, STATE).await.expect("set");
    assert_eq!(s.get_state(2).await.expect("get"), Some(STATE));
}

#[test]
fn a_second_open_in_this_process_is_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = SledStorage::open(dir.path()).expect("open");
    let e = expect_err(SledStorage::open(dir.path()));
    assert!(e.is_locked(), "{e:?}");
    drop(first);
    SledStorage::open(dir.path()).expect("open after the holder closed");
}

#[test]
fn a_second_process_is_refused_with_locked() {
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let held = SledStorage::open(dir.path()).expect("open");
    let cmd = in_child("a_second_process_is_refused_with_locked", "open", dir.path());
    let out = process::run(cmd, Duration::from_secs(60)).expect("child");
    assert_eq!(out.reports, ["open locked"], "stderr: {}", out.stderr);
    drop(held);
    let cmd = in_child("a_second_process_is_refused_with_locked", "open", dir.path());
    let out = process::run(cmd, Duration::from_secs(60)).expect("child");
    assert_eq!(out.reports, ["open ok"], "stderr: {}", out.stderr);
}

#[test]
fn a_read_only_folder_is_refused_with_read_only() {
    use std::os::unix::fs::PermissionsExt;
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("db");
    drop(SledStorage::open(&folder).expect("create"));
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
    };
    mode(dir.path(), 0o755);
    for entry in std::fs::read_dir(&folder).expect("list") {
        mode(&entry.expect("entry").path(), 0o444);
    }
    mode(&folder, 0o555);
    let cmd = process::unprivileged(in_child(
        "a_read_only_folder_is_refused_with_read_only",
        "open",
        &folder,
    ));
    let out = process::run(cmd, Duration::from_secs(60)).expect("child");
    mode(&folder, 0o755);
    assert_eq!(out.reports, ["open read-only"], "stderr: {}", out.stderr);
}

#[test]
fn a_full_disk_is_a_typed_error_and_the_folder_reopens() {
    if let Some(role) = process::role() {
        return child(&role);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("db");
    drop(SledStorage::open(&folder).expect("create"));
    let cmd = in_child("a_full_disk_is_a_typed_error_and_the_folder_reopens", "fill", &folder);
    let out =
        process::run(process::file_size_limit(cmd, 1024), Duration::from_secs(120)).expect("child");
    assert!(out.status.is_some(), "the child hung on a full disk: {:?}", out.reports);
    let last = out.reports.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("open full") || last.starts_with("write failed"),
        "reports {:?}, stderr: {}",
        out.reports,
        out.stderr
    );
    SledStorage::open(&folder).expect("the folder opens again after the disk was full");
}
