//! Interop with Baileys itself (research §10 tests 25 and 26), through the
//! Node scripts of `interop/` (installed by `cargo xtask interop`).

mod common;

use std::sync::Arc;

use auth_file::CompatFolder;
use auth_file::interop::run_script;
use auth_persistence::transfer::copy_all;
use auth_persistence::{AuthState, DataSet, KeyFamily, KeyPair, values};

fn script(name: &str, args: &[&std::path::Path]) -> String {
    run_script(name, args).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn test_25_a_folder_baileys_wrote_is_re_saved_by_the_crate_and_baileys_still_uses_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, resaved) =
        (root.path().join("alice"), root.path().join("bob"), root.path().join("resaved"));
    script("write-folder.mjs", &[&alice, &bob]);
    {
        let from = CompatFolder::open(&alice).expect("open Baileys' folder");
        let to = CompatFolder::open(&resaved).expect("open a new folder");
        let copied = copy_all(&from, &to, 100).await.expect("load and re-save");
        assert!(copied.creds);
        assert_eq!(copied.keys[&KeyFamily::Session], 2);
        assert_eq!(copied.keys[&KeyFamily::SenderKey], 2);
        assert_eq!(
            copied.keys.get(&KeyFamily::DeviceList),
            Some(&2),
            "the deleted device list stays deleted"
        );
    }
    let files = |dir: &std::path::Path| {
        common::names(dir)
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .map(|n| {
                let bytes = std::fs::read(dir.join(&n)).expect("read");
                (n, bytes)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&resaved), files(&alice), "every file byte for byte as Baileys wrote it");
    let out = script("check-resaved.mjs", &[&alice, &resaved, &bob]);
    assert!(out.starts_with("ok:"), "{out}");
}

#[tokio::test]
async fn test_26_a_folder_the_crate_created_is_loaded_by_baileys_whose_checks_pass() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("fresh");
    {
        let state = AuthState::open(Arc::new(CompatFolder::open(&dir).expect("open")))
            .await
            .expect("fresh state");
        assert!(state.is_new);
        let mut data = DataSet::new();
        for id in 1..=5u32 {
            data.put(
                KeyFamily::PreKey,
                id.to_string(),
                values::encode(&KeyPair::generate().expect("pair")).expect("encode"),
            );
        }
        state.keys.set(data).await.expect("pre-keys");
        state.save_creds().await.expect("creds");
    }
    let out = script("check-fresh.mjs", &[&dir]);
    assert!(out.starts_with("ok:"), "{out}");
}
