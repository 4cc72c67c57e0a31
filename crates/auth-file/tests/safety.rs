//! Research §10 tests 17 (injected), 19–23, and the folder's security
//! rules: permissions, ids that would leave the folder, bounded locks.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Arc;

use auth_file::{CREDS_FILE, CompatFolder, CompatOptions, CrashPoint, FileError, OWNER_LOCK_FILE};
use auth_persistence::{AuthCreds, AuthState, Error, KeyFamily, KeyWrite, Persistence};
use common::names;
use serde_json::{Value, json};

fn no_owner() -> CompatOptions {
    CompatOptions { owner_lock: false, ..CompatOptions::default() }
}

#[tokio::test]
async fn test_17_an_error_between_temp_write_and_rename_keeps_the_old_file_and_lists_nothing_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let folder = CompatFolder::open(dir.path()).expect("open");
        folder.save_key(&KeyFamily::Session, "1.0", &json!({"old": 1})).await.expect("seed");
    }
    let failing = CompatFolder::open_with(
        dir.path(),
        CompatOptions {
            crash_point: Some(CrashPoint::FailBeforeRename),
            ..CompatOptions::default()
        },
    )
    .expect("open");
    let error = failing
        .save_key(&KeyFamily::Session, "1.0", &json!({"new": 1}))
        .await
        .expect_err("injected");
    assert!(matches!(FileError::find(&error), Some(FileError::Io { .. })), "{error:?}");
    let error = failing
        .save_key(&KeyFamily::Session, "2.0", &json!({"new": 2}))
        .await
        .expect_err("injected");
    assert!(!error.is_corrupt());
    assert_eq!(
        failing.load_key(&KeyFamily::Session, "1.0").await.expect("load"),
        Some(json!({"old": 1}))
    );
    assert_eq!(failing.list_ids(&KeyFamily::Session).await.expect("list"), ["1.0"]);
    assert_eq!(names(dir.path()), [OWNER_LOCK_FILE, "session-1.0.json"], "no temp file left");
}

#[tokio::test]
async fn test_19_truncated_or_corrupt_creds_are_corrupt_never_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(CompatFolder::open(dir.path()).expect("open"));
    let good = AuthCreds::fresh().expect("fresh").to_json_string().expect("json");
    for damaged in [
        String::new(),
        good[..good.len() / 2].to_owned(),
        "{}".into(),
        "\0\0\0\0".into(),
        "null".into(),
    ] {
        std::fs::write(dir.path().join(CREDS_FILE), &damaged).expect("damage");
        let error = folder.load_credentials().await.expect_err("corrupt");
        assert!(error.is_corrupt(), "{damaged:?}: {error}");
        let error = AuthState::open(folder.clone()).await.expect_err("no new identity");
        assert!(error.is_corrupt(), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CREDS_FILE)).expect("kept"),
            damaged,
            "left as found"
        );
    }
    // unreadable (a directory where the file should be) is corrupt too
    std::fs::remove_file(dir.path().join(CREDS_FILE)).expect("remove");
    std::fs::create_dir(dir.path().join(CREDS_FILE)).expect("dir");
    assert!(folder.load_credentials().await.expect_err("unreadable").is_corrupt());
    // a damaged key file is corrupt, never absent
    std::fs::write(dir.path().join("pre-key-9.json"), "{\"private\":").expect("damage");
    let error = folder.load_key(&KeyFamily::PreKey, "9").await.expect_err("corrupt key");
    assert!(error.is_corrupt() && error.to_string().contains("pre-key 9"), "{error}");
}

#[tokio::test]
async fn test_20_missing_creds_give_fresh_creds_and_nothing_is_written_until_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(CompatFolder::open(dir.path().join("auth")).expect("open"));
    let state = AuthState::open(folder.clone()).await.expect("open state");
    assert!(state.is_new);
    assert_eq!(names(folder.path()), [OWNER_LOCK_FILE], "only the owner lock exists");
    state.save_creds().await.expect("save");
    assert_eq!(names(folder.path()), [OWNER_LOCK_FILE, CREDS_FILE]);
    let again = AuthState::open(folder).await.expect("reopen");
    assert!(!again.is_new);
    assert_eq!(again.creds, state.creds);
}

#[tokio::test]
async fn test_21_a_damaged_main_file_falls_back_to_its_bak() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = CompatFolder::open(dir.path()).expect("open");
    let creds = AuthCreds::fresh().expect("fresh");
    std::fs::write(dir.path().join("creds.json.bak"), creds.to_json_string().expect("json"))
        .expect("bak");
    assert_eq!(
        folder.load_credentials().await.expect("missing main").as_ref(),
        Some(&creds),
        "main missing → .bak"
    );
    std::fs::write(dir.path().join(CREDS_FILE), "{\"noiseKey\":").expect("torn");
    assert_eq!(
        folder.load_credentials().await.expect("torn main").as_ref(),
        Some(&creds),
        "main torn → .bak"
    );
    std::fs::write(dir.path().join("creds.json.bak"), "").expect("bad bak");
    assert!(folder.load_credentials().await.expect_err("both bad").is_corrupt());
    assert!(
        names(dir.path()).contains(&"creds.json.bak".to_owned()),
        ".bak is never rewritten or removed by reads"
    );

    // keys: fallback, never listed, removed with the key so a delete sticks
    std::fs::write(dir.path().join("session-5.0.json"), "").expect("empty main");
    std::fs::write(dir.path().join("session-5.0.json.bak"), r#"{"v":"bak"}"#).expect("bak");
    assert_eq!(
        folder.load_key(&KeyFamily::Session, "5.0").await.expect("load"),
        Some(json!({"v": "bak"}))
    );
    assert_eq!(folder.list_ids(&KeyFamily::Session).await.expect("list"), ["5.0"]);
    folder.delete_key(&KeyFamily::Session, "5.0").await.expect("delete");
    assert_eq!(
        folder.load_key(&KeyFamily::Session, "5.0").await.expect("load"),
        None,
        "not resurrected"
    );
    assert!(!dir.path().join("session-5.0.json.bak").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_22_concurrent_creds_saves_leave_one_of_the_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(CompatFolder::open(dir.path()).expect("open"));
    let inputs: Vec<AuthCreds> = (0..16).map(|_| AuthCreds::fresh().expect("fresh")).collect();
    let tasks: Vec<_> = inputs
        .iter()
        .cloned()
        .map(|creds| {
            let folder = folder.clone();
            tokio::spawn(async move {
                folder.save_credentials(&creds).await?;
                folder.load_credentials().await
            })
        })
        .collect();
    for task in tasks {
        let seen = task.await.expect("join").expect("save and read").expect("present");
        assert!(inputs.contains(&seen), "every read is one whole input");
    }
    let last = folder.load_credentials().await.expect("load").expect("present");
    assert!(inputs.contains(&last));
    assert_eq!(names(dir.path()), [OWNER_LOCK_FILE, CREDS_FILE]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_23_concurrent_save_and_delete_of_one_key_never_tear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(
        CompatFolder::open_with(
            dir.path(),
            CompatOptions { durability: auth_file::Durability::NoSync, ..CompatOptions::default() },
        )
        .expect("open"),
    );
    let values: Arc<Vec<Value>> =
        Arc::new((0..4).map(|n| json!({"n": n, "pad": "x".repeat(4096 * n)})).collect());
    // a reader outside the store, reading the raw file as Baileys would
    let path = dir.path().join("session-hot.0.json");
    let reader = {
        let (path, values) = (path.clone(), values.clone());
        std::thread::spawn(move || {
            for _ in 0..2000 {
                if let Ok(bytes) = std::fs::read(&path) {
                    let value: Value = serde_json::from_slice(&bytes).expect("never torn");
                    assert!(values.contains(&value));
                }
            }
        })
    };
    let mut tasks = Vec::new();
    for writer in 0..4usize {
        let (folder, values) = (folder.clone(), values.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..50 {
                if (round + writer) % 3 == 0 {
                    folder.delete_key(&KeyFamily::Session, "hot.0").await.expect("delete");
                } else {
                    folder
                        .save_key(&KeyFamily::Session, "hot.0", &values[writer])
                        .await
                        .expect("save");
                }
                let seen =
                    folder.load_key(&KeyFamily::Session, "hot.0").await.expect("never corrupt");
                assert!(seen.is_none_or(|v| values.contains(&v)));
            }
        }));
    }
    for task in tasks {
        task.await.expect("join");
    }
    reader.join().expect("reader saw no torn file");
    assert_eq!(folder.file_lock_entries(), 0);
}

#[tokio::test]
async fn files_are_0600_and_the_folder_0700_even_when_it_existed_wider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("auth");
    std::fs::create_dir(&path).expect("mkdir");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let folder = CompatFolder::open(&path).expect("open");
    folder.save_credentials(&AuthCreds::fresh().expect("fresh")).await.expect("save");
    folder.save_key(&KeyFamily::PreKey, "1", &json!({"k": 1})).await.expect("save");
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    for name in names(&path) {
        assert_eq!(mode(&path.join(&name)), 0o600, "{name}");
    }
}

#[tokio::test]
async fn ids_that_would_leave_the_folder_are_typed_errors_and_write_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("auth");
    let folder = CompatFolder::open(&dir).expect("open");
    for id in ["../../escape", "..", "a\0b", "x/../../y", ""] {
        let save = folder.save_key(&KeyFamily::Session, id, &json!({"v": 1})).await.expect_err(id);
        assert!(matches!(save, Error::InvalidKey { .. }), "{id:?}: {save}");
        assert!(folder.load_key(&KeyFamily::Session, id).await.expect_err(id).is_invalid_key());
        assert!(folder.delete_key(&KeyFamily::Session, id).await.expect_err(id).is_invalid_key());
    }
    let family = KeyFamily::from("../outside");
    assert!(folder.save_key(&family, "1", &json!(1)).await.expect_err("family").is_invalid_key());
    // a batch with one bad id writes nothing at all
    let batch = [
        KeyWrite::save(KeyFamily::PreKey, "1", json!(1)),
        KeyWrite::save(KeyFamily::PreKey, "../2", json!(2)),
    ];
    assert!(folder.write_batch(&batch).await.expect_err("batch").is_invalid_key());
    assert_eq!(names(&dir), [OWNER_LOCK_FILE]);
    assert_eq!(names(root.path()), ["auth"], "nothing outside the folder");
}

#[tokio::test]
async fn per_file_locks_do_not_grow_with_the_number_of_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = Arc::new(
        CompatFolder::open_with(
            dir.path(),
            CompatOptions { durability: auth_file::Durability::NoSync, ..no_owner() },
        )
        .expect("open"),
    );
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let folder = folder.clone();
            tokio::spawn(async move {
                for n in 0..250 {
                    folder
                        .save_key(&KeyFamily::PreKey, &format!("{t}{n}"), &json!({"n": n}))
                        .await
                        .expect("save");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join");
    }
    assert_eq!(folder.list_ids(&KeyFamily::PreKey).await.expect("list").len(), 2000);
    assert_eq!(folder.file_lock_entries(), 0, "2000 files written, no lock entry left");
}
