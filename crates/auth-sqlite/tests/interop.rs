//! Interop with Baileys itself through SQLite (research §10 tests 25 and
//! 26): a Baileys folder imported into SQLite and exported to a new
//! folder, and a state created in SQLite and exported, both used by
//! Baileys (scripts of auth-file's `interop/`, installed by
//! `cargo xtask interop`).

use std::sync::Arc;

use auth_file::CompatFolder;
use auth_file::interop::run_script;
use auth_persistence::{AuthState, DataSet, KeyFamily, KeyPair, values};
use auth_sqlite::SqliteStore;

fn script(name: &str, args: &[&std::path::Path]) -> String {
    run_script(name, args).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn test_25_a_baileys_folder_through_sqlite_and_back_is_still_used_by_baileys() {
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, exported) =
        (root.path().join("alice"), root.path().join("bob"), root.path().join("exported"));
    script("write-folder.mjs", &[&alice, &bob]);
    let store = SqliteStore::open(root.path().join("auth.db")).expect("db");
    let imported = store.import(&CompatFolder::open(&alice).expect("open")).await.expect("import");
    let back = store.export(&CompatFolder::open(&exported).expect("open")).await.expect("export");
    assert_eq!(back, imported);
    let out = script("check-resaved.mjs", &[&alice, &exported, &bob]);
    assert!(out.starts_with("ok:"), "{out}");
}

#[tokio::test]
async fn test_26_a_state_created_in_sqlite_and_exported_passes_baileys_checks() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(root.path().join("auth.db")).expect("db"));
    let state = AuthState::open(store.clone()).await.expect("fresh");
    let mut data = DataSet::new();
    for id in 1..=3u32 {
        data.put(
            KeyFamily::PreKey,
            id.to_string(),
            values::encode(&KeyPair::generate().expect("pair")).expect("encode"),
        );
    }
    state.keys.set(data).await.expect("pre-keys");
    state.save_creds().await.expect("creds");
    let dir = root.path().join("exported");
    store.export(&CompatFolder::open(&dir).expect("open")).await.expect("export");
    let out = script("check-fresh.mjs", &[&dir]);
    assert!(out.starts_with("ok:"), "{out}");
}
