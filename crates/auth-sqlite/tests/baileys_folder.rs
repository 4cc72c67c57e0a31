//! Import from and export to a Baileys multi-file folder
//! (`auth_file::CompatFolder`): every file comes back byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use auth_file::{CompatFolder, CompatOptions, OWNER_LOCK_FILE};
use auth_persistence::{AuthCreds, KeyFamily, Persistence};
use auth_sqlite::{SqliteError, SqliteStore};
use serde_json::json;

/// Every file of a folder but the owner lock, name → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry"))
        .map(|e| (e.file_name().into_string().expect("utf-8"), e.path()))
        .filter(|(name, _)| name != OWNER_LOCK_FILE)
        .map(|(name, path)| (name, std::fs::read(path).expect("read")))
        .collect()
}

/// A folder with a file of every family, written as Baileys writes them.
fn baileys_folder(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let creds = AuthCreds::fresh().expect("fresh").to_json_string().expect("json");
    let files = [
        ("creds.json", creds.as_str()),
        (
            "pre-key-1.json",
            r#"{"private":{"type":"Buffer","data":"AQ=="},"public":{"type":"Buffer","data":"Ag=="}}"#,
        ),
        (
            "session-15550000002.0.json",
            r#"{"_sessions":{"BYAP":{"registrationId":89,"indexInfo":{"closed":-1}}},"version":"v1"}"#,
        ),
        (
            "sender-key-120363@g.us--15550000001--7.json",
            r#"{"type":"Buffer","data":"W3sic2VuZGVyS2V5SWQiOjF9XQ=="}"#,
        ),
        (
            "sender-key-memory-120363@g.us.json",
            r#"{"15550000001:7@s.whatsapp.net":true,"15550000002:0@s.whatsapp.net":true}"#,
        ),
        (
            "app-state-sync-key-________AAAB.json",
            r#"{"keyData":"W7gJRdE=","fingerprint":{"rawId":1,"currentIndex":1,"deviceIndexes":[0,7]},"timestamp":"1710000000123"}"#,
        ),
        (
            "app-state-sync-version-regular_high.json",
            r#"{"version":12,"hash":{"type":"Buffer","data":"AAAA"},"indexValueMap":{"3FuU":{"valueMac":{"type":"Buffer","data":"AQI="}}}}"#,
        ),
        ("lid-mapping-15550000003.json", r#""200000000000002""#),
        ("lid-mapping-200000000000002_reverse.json", r#""15550000003""#),
        ("device-list-15550000001.json", r#"["0","7"]"#),
        ("tctoken-__index.json", r#"{"token":{"type":"Buffer","data":"WyIyMDBAbGlkIl0="}}"#),
        (
            "tctoken-200000000000002@lid.json",
            r#"{"token":{"type":"Buffer","data":"AQ=="},"timestamp":"1710000000","senderTimestamp":1710000050}"#,
        ),
        (
            "identity-key-15550000002.0.json",
            r#"{"type":"Buffer","data":"BeVXQQOhgy+r3HxY5Jlh259TTIY2haWkkVBRQd5AnzFY"}"#,
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
}

#[tokio::test]
async fn a_baileys_folder_imported_and_exported_back_is_unchanged() {
    let root = tempfile::tempdir().expect("tempdir");
    let (source_dir, export_dir) = (root.path().join("baileys"), root.path().join("exported"));
    baileys_folder(&source_dir);
    let before = files(&source_dir);
    let source = CompatFolder::open(&source_dir).expect("open source");
    let store = SqliteStore::open(root.path().join("auth.db")).expect("open db");
    let imported = store.import(&source).await.expect("import");
    assert!(imported.creds);
    assert_eq!(imported.total_keys(), 12);
    assert_eq!(imported.keys[&KeyFamily::LidMapping], 2);
    assert_eq!(
        store.list_ids(&KeyFamily::SenderKey).await.expect("list"),
        ["120363@g.us::15550000001::7"],
        "ids are the original ones, not file names"
    );
    let target = CompatFolder::open(&export_dir).expect("open target");
    let exported = store.export(&target).await.expect("export");
    assert_eq!(exported, imported);
    assert_eq!(files(&export_dir), before, "every file byte for byte");
}

#[tokio::test]
async fn an_import_into_a_non_empty_database_or_from_a_damaged_folder_changes_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("baileys");
    baileys_folder(&dir);
    let store = SqliteStore::open(root.path().join("auth.db")).expect("open db");
    store.save_key(&KeyFamily::PreKey, "99", &json!({"mine": true})).await.expect("seed");
    let source =
        CompatFolder::open_with(&dir, CompatOptions { owner_lock: false, ..Default::default() })
            .expect("open");
    let error = store.import(&source).await.expect_err("not empty");
    let typed = std::error::Error::source(&error).and_then(|e| e.downcast_ref::<SqliteError>());
    assert!(matches!(typed, Some(SqliteError::NotEmpty { keys: 1, creds: false })), "{error:?}");
    assert_eq!(store.list_families().await.expect("families"), [KeyFamily::PreKey]);

    let empty = SqliteStore::open(root.path().join("empty.db")).expect("open db");
    std::fs::write(dir.join("session-15550000002.0.json"), "{\"torn").expect("damage");
    assert!(empty.import(&source).await.expect_err("damaged source").is_corrupt());
    assert!(empty.list_families().await.expect("families").is_empty(), "nothing imported");
    assert!(empty.load_credentials().await.expect("load").is_none());
}
