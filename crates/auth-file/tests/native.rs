//! Research §10 tests 27–29: the native store round-trips every family,
//! refuses foreign and newer folders, and migrations are staged and
//! atomic. Plus the conformance suite and bounded log growth.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use auth_file::{
    CREDS_FILE, CompatFolder, Durability, FileError, LOG_FILE, NativeOptions, NativeStore,
    OWNER_LOCK_FILE, migrate_compat_to_native, migrate_native_to_compat,
};
use auth_persistence::conformance::{Subject, realistic_ids, run_all};
use auth_persistence::{AuthCreds, KeyFamily, KeyWrite, Persistence};
use common::names;
use serde_json::{Value, json};

struct Stores {
    root: tempfile::TempDir,
    durability: Durability,
    live: Mutex<HashMap<String, Weak<NativeStore>>>,
}

#[async_trait]
impl Subject for Stores {
    async fn open(&self, slot: &str) -> Arc<dyn Persistence> {
        let mut live = self.live.lock().expect("lock");
        if let Some(store) = live.get(slot).and_then(Weak::upgrade) {
            return store;
        }
        let options = NativeOptions { durability: self.durability };
        let store =
            Arc::new(NativeStore::open_with(self.root.path().join(slot), options).expect("open"));
        live.insert(slot.to_owned(), Arc::downgrade(&store));
        store
    }
}

fn stores(durability: Durability) -> Stores {
    Stores { root: tempfile::tempdir().expect("tempdir"), durability, live: Mutex::default() }
}

#[tokio::test]
async fn native_store_passes_the_suite_with_fsync() {
    run_all(&stores(Durability::Fsync)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_store_passes_the_suite_without_fsync_on_a_multi_thread_runtime() {
    run_all(&stores(Durability::NoSync)).await;
}

/// A value of every family in Baileys' shapes, plus an unknown family.
fn every_family() -> Vec<KeyWrite> {
    let mut writes = Vec::new();
    for family in KeyFamily::KNOWN.into_iter().chain([KeyFamily::from("custom")]) {
        for (n, id) in realistic_ids(&family).iter().enumerate() {
            let value = json!({"z": n, "a": {"type": "Buffer", "data": "AQ=="}, "nul": null, "family": family.as_str()});
            writes.push(KeyWrite::save(family.clone(), *id, value));
        }
    }
    writes
}

#[tokio::test]
async fn test_27_every_family_and_the_creds_round_trip_through_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut creds = AuthCreds::fresh().expect("fresh");
    creds.extra.insert("futureField".into(), json!({"b": 1, "a": null}));
    creds.pairing_code = Some(None);
    let writes = every_family();
    {
        let store = NativeStore::open(dir.path()).expect("open");
        store.write_batch(&writes).await.expect("batch");
        store.save_credentials(&creds).await.expect("creds");
    }
    let store = NativeStore::open(dir.path()).expect("reopen");
    let loaded = store.load_credentials().await.expect("load").expect("present");
    assert_eq!(
        loaded.to_json_string().expect("json"),
        creds.to_json_string().expect("json"),
        "creds exactly"
    );
    for write in &writes {
        let value = store.load_key(&write.family, &write.id).await.expect("load");
        assert_eq!(
            value.as_ref().map(|v| v.to_string()),
            write.value.as_ref().map(Value::to_string),
            "{} {} with key order",
            write.family,
            write.id
        );
    }
    let mut families = store.list_families().await.expect("families");
    families.sort();
    assert_eq!(families.len(), 11);
    for family in families {
        let mut listed = store.list_ids(&family).await.expect("list");
        listed.sort();
        let mut expected: Vec<String> =
            realistic_ids(&family).iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(listed, expected, "{family}");
    }
    assert_eq!(names(dir.path()), [OWNER_LOCK_FILE, LOG_FILE]);
}

#[tokio::test]
async fn test_28_foreign_and_newer_folders_are_refused_untouched() {
    let root = tempfile::tempdir().expect("tempdir");
    // a Baileys folder
    let baileys = root.path().join("baileys");
    CompatFolder::open(&baileys)
        .expect("compat")
        .save_credentials(&AuthCreds::fresh().expect("fresh"))
        .await
        .expect("save");
    let error = NativeStore::open(&baileys).expect_err("baileys folder");
    assert!(
        matches!(&error, FileError::Foreign { found, .. } if found.contains("Baileys")),
        "{error}"
    );
    assert_eq!(names(&baileys), [OWNER_LOCK_FILE, CREDS_FILE], "nothing written");
    // a folder with some other file, and a log that is not ours
    let other = root.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("notes.txt"), "x").expect("write");
    assert!(matches!(NativeStore::open(&other), Err(FileError::Foreign { .. })));
    let fake = root.path().join("fake");
    std::fs::create_dir(&fake).expect("mkdir");
    std::fs::write(fake.join(LOG_FILE), "MSGKAUTX\u{1}\0\0\0\0\0\0\0").expect("write");
    assert!(matches!(NativeStore::open(&fake), Err(FileError::Foreign { .. })));
    // a newer version
    let newer = root.path().join("newer");
    drop(NativeStore::open(&newer).expect("create"));
    let mut bytes = std::fs::read(newer.join(LOG_FILE)).expect("read");
    bytes[8] = 9;
    std::fs::write(newer.join(LOG_FILE), &bytes).expect("write");
    let error = NativeStore::open(&newer).expect_err("newer");
    assert!(matches!(error, FileError::NewerVersion { found: 9, supported: 1, .. }), "{error}");
    assert_eq!(std::fs::read(newer.join(LOG_FILE)).expect("read"), bytes, "left as found");
    // and the Baileys-compatible backend refuses a native folder
    let native = root.path().join("native");
    drop(NativeStore::open(&native).expect("create"));
    let error = CompatFolder::open(&native).expect_err("native folder");
    assert!(
        matches!(&error, FileError::Foreign { found, .. } if found.contains("native")),
        "{error}"
    );
}

async fn filled_compat(dir: &Path) -> (AuthCreds, Vec<KeyWrite>) {
    let folder = CompatFolder::open(dir).expect("open");
    let creds = AuthCreds::fresh().expect("fresh");
    let writes = every_family();
    folder.write_batch(&writes).await.expect("batch");
    folder.save_credentials(&creds).await.expect("creds");
    (creds, writes)
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .filter(|n| n != OWNER_LOCK_FILE)
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("read");
            (n, bytes)
        })
        .collect()
}

#[tokio::test]
async fn test_29_migrations_both_ways_copy_exactly_the_source_listing() {
    let root = tempfile::tempdir().expect("tempdir");
    let (compat, native, back) =
        (root.path().join("compat"), root.path().join("native"), root.path().join("back"));
    let (creds, writes) = filled_compat(&compat).await;
    let copied = migrate_compat_to_native(&compat, &native).await.expect("to native");
    assert!(copied.creds);
    assert_eq!(copied.total_keys(), writes.len(), "the count equals the source listing");
    {
        let store = NativeStore::open(&native).expect("open");
        assert_eq!(store.load_credentials().await.expect("load"), Some(creds));
    }
    let copied_back = migrate_native_to_compat(&native, &back).await.expect("to compat");
    assert_eq!(copied_back, copied);
    assert_eq!(
        tree(&back),
        tree(&compat),
        "compat → native → compat gives the same files, byte for byte"
    );
    assert!(
        names(root.path()).iter().all(|n| !n.contains("migration-stage")),
        "no staging folder left"
    );
}

#[tokio::test]
async fn test_29_a_failed_migration_leaves_the_target_absent_or_unchanged() {
    let root = tempfile::tempdir().expect("tempdir");
    let (compat, native) = (root.path().join("compat"), root.path().join("native"));
    filled_compat(&compat).await;
    // a damaged source value: the copy fails, the target stays absent
    std::fs::write(compat.join("session-15550000002.0.json"), "{\"torn").expect("damage");
    let error = migrate_compat_to_native(&compat, &native).await.expect_err("damaged source");
    assert!(
        matches!(&error, FileError::Migration { source: Some(e), .. } if e.is_corrupt()),
        "{error:?}"
    );
    assert!(!native.exists(), "target absent");
    assert_eq!(names(root.path()), ["compat"], "no staging folder left");
    std::fs::remove_file(compat.join("session-15550000002.0.json")).expect("repair");
    // a non-empty target is refused and unchanged
    std::fs::create_dir(&native).expect("mkdir");
    std::fs::write(native.join("keep.txt"), "mine").expect("write");
    let error = migrate_compat_to_native(&compat, &native).await.expect_err("not empty");
    assert!(
        matches!(&error, FileError::Migration { reason, .. } if reason.contains("not empty")),
        "{error}"
    );
    assert_eq!(names(&native), ["keep.txt"]);
    // an empty target folder is fine
    std::fs::remove_file(native.join("keep.txt")).expect("empty it");
    let copied = migrate_compat_to_native(&compat, &native).await.expect("into an empty folder");
    assert_eq!(copied.total_keys(), every_family().len() - 1);
}

#[tokio::test]
async fn the_log_stays_bounded_under_overwrites_and_a_torn_tail_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = NativeOptions { durability: Durability::NoSync };
    let store = NativeStore::open_with(dir.path(), options).expect("open");
    let value = json!({"private": {"type": "Buffer", "data": "x".repeat(44)}});
    for round in 0..20_000u32 {
        store.save_key(&KeyFamily::Session, &(round % 10).to_string(), &value).await.expect("save");
    }
    // 10 live keys: compaction keeps at most ~2 × 1024 records of garbage
    assert!(store.log_len() < 1024 * 2 * 200, "log is {} bytes", store.log_len());
    drop(store);
    // an interrupted append: half a record at the end
    let path = dir.path().join(LOG_FILE);
    let intact = std::fs::read(&path).expect("read");
    let mut torn = intact.clone();
    torn.extend_from_slice(&[40, 0, 0, 0, 1, 2, 3, 4, b'{']);
    std::fs::write(&path, &torn).expect("tear");
    let store = NativeStore::open_with(dir.path(), options).expect("a torn tail is not an error");
    assert_eq!(store.list_ids(&KeyFamily::Session).await.expect("list").len(), 10);
    assert_eq!(std::fs::read(&path).expect("read"), intact, "the torn record was cut off");
    store.save_key(&KeyFamily::PreKey, "1", &json!(1)).await.expect("appends after it");
}
