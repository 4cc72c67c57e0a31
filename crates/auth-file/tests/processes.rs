//! Research §10 tests that need a second, real process: a crash between
//! temp write and rename (17), a write failing under a file-size limit
//! (18, like ENOSPC) and the owner lock across processes (24).

mod common;

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::process::{Child, ChildStdout, Command, Stdio};

use auth_file::{CREDS_FILE, CompatFolder};
use auth_persistence::{KeyFamily, Persistence};
use common::names;
use serde_json::json;

const CHILD: &str = env!("CARGO_BIN_EXE_auth-file-child");

fn child(args: &[&str]) -> (bool, String) {
    let out = Command::new(CHILD).args(args).output().expect("spawn child");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn test_17_a_process_killed_between_temp_write_and_rename_leaves_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = json!({"private": {"type": "Buffer", "data": "AQ=="}, "public": {"type": "Buffer", "data": "Ag=="}});
    {
        let folder = CompatFolder::open(dir.path()).expect("open");
        folder.save_key(&KeyFamily::PreKey, "1", &old).await.expect("seed");
    }
    let out = Command::new(CHILD)
        .args([
            "save-key-crash",
            dir.path().to_str().expect("utf-8"),
            "pre-key",
            "1",
            r#"{"new":true}"#,
        ])
        .output()
        .expect("spawn");
    assert!(!out.status.success(), "the child must die at the crash point");
    assert!(
        names(dir.path()).iter().any(|n| n.starts_with(".pre-key-1.json.tmp-")),
        "the crash left its temp file: {:?}",
        names(dir.path())
    );
    // without the owner lock nothing is swept, and the orphan is not listed
    let observer = CompatFolder::open_with(
        dir.path(),
        auth_file::CompatOptions { owner_lock: false, ..Default::default() },
    )
    .expect("open");
    assert_eq!(observer.list_ids(&KeyFamily::PreKey).await.expect("list"), ["1"]);
    assert_eq!(observer.load_key(&KeyFamily::PreKey, "1").await.expect("load"), Some(old.clone()));
    drop(observer);
    // the next owner sweeps the orphan
    let owner = CompatFolder::open(dir.path()).expect("reopen");
    assert!(!names(dir.path()).iter().any(|n| n.contains(".tmp-")), "{:?}", names(dir.path()));
    assert_eq!(owner.load_key(&KeyFamily::PreKey, "1").await.expect("load"), Some(old));
}

#[tokio::test]
async fn test_18_a_write_failing_for_lack_of_space_leaves_the_previous_creds_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, line) = child(&["save-creds", dir.path().to_str().expect("utf-8"), "10"]);
    assert!(ok, "{line}");
    let before = std::fs::read(dir.path().join(CREDS_FILE)).expect("creds");
    // RLIMIT_FSIZE of 1 block (512 bytes) with SIGXFSZ ignored: the write
    // of a 64 KiB creds file fails with EFBIG, as on a full disk
    let script = r#"trap "" XFSZ; ulimit -f 1; exec "$0" save-creds "$1" 65536"#;
    let out = Command::new("sh")
        .args(["-c", script, CHILD, dir.path().to_str().expect("utf-8")])
        .output()
        .expect("spawn sh");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && line.contains("save failed"), "the write must fail: {line}");
    assert_eq!(
        std::fs::read(dir.path().join(CREDS_FILE)).expect("creds"),
        before,
        "old creds intact"
    );
    let folder = CompatFolder::open(dir.path()).expect("open");
    let creds = folder.load_credentials().await.expect("readable").expect("present");
    assert_eq!(creds.additional_data, Some(json!("x".repeat(10))));
    assert!(!names(dir.path()).iter().any(|n| n.contains(".tmp-")), "no temp left behind");
}

/// A child that opened `path` and holds it until its stdin closes.
fn hold(path: &str) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut holder = Command::new(CHILD)
        .args(["hold", path])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn holder");
    let mut lines = BufReader::new(holder.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().expect("line").expect("read"), "opened");
    (holder, lines)
}

#[test]
fn test_24_a_second_process_opening_the_folder_gets_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    let (mut holder, _stdout) = hold(path);

    let (ok, line) = child(&["open", path]);
    assert!(ok && line.starts_with("locked"), "a second process is refused: {line}");
    assert!(line.contains(&format!("pid {}", holder.id())), "the holder is named: {line}");
    let error = CompatFolder::open(dir.path()).expect_err("this process is refused too");
    assert!(error.is_locked(), "{error}");

    // a killed owner never leaves a stale lock
    holder.kill().expect("kill");
    holder.wait().expect("wait");
    let (ok, line) = child(&["open", path]);
    assert!(ok && line == "opened", "{line}");
}

#[test]
fn test_24_the_lock_is_released_when_the_owner_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    let (mut holder, mut lines) = hold(path);
    writeln!(holder.stdin.take().expect("stdin")).expect("release");
    assert_eq!(lines.next().expect("line").expect("read"), "released");
    assert!(holder.wait().expect("wait").success());
    CompatFolder::open(dir.path()).expect("free again after a clean close");
}
