//! updates-core's conformance suite (both ports, the model check with
//! extra seeds) against `SledStorage` in both durability modes, alone in
//! a folder and sharing one database under a prefix.

use std::sync::Arc;

use updates_core::conformance::{random_ops, run_access_hasher, run_state_storage};
use updates_core::{ChannelAccessHasher, State, StateStorage};
use updates_storage_sled::{Durability, Options, SledStorage};

async fn suite(storage: SledStorage) {
    let storage = Arc::new(storage);
    run_state_storage(storage.clone(), 1000).await;
    run_access_hasher(storage.clone(), 1000).await;
    for seed in 0..16u64 {
        random_ops(storage.as_ref(), 5000 + seed as i64, seed, 300).await;
    }
}

#[tokio::test]
async fn sled_storage_conforms_with_background_flushes() {
    let dir = tempfile::tempdir().expect("tempdir");
    suite(SledStorage::open(dir.path()).expect("open")).await;
}

#[tokio::test]
async fn sled_storage_conforms_when_every_checkpoint_is_flushed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Options::new().durability(Durability::EveryCheckpoint).open(dir.path());
    suite(storage.expect("open")).await;
}

#[tokio::test]
async fn prefixed_stores_share_a_database_with_the_callers_own_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::open(dir.path()).expect("sled");
    let own = db.open_tree("app").expect("tree");
    own.insert(b"k", b"mine").expect("insert");
    let a = Options::new().prefix("a/").with_db(db.clone()).expect("a");
    let b = Options::new().prefix("b/").with_db(db.clone()).expect("b");
    suite(a.clone()).await;
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
    assert_ne!(a.get_state(1).await.expect("get"), Some(State { pts: 1, qts: 2, date: 3, seq: 4 }));
    assert_eq!(own.get(b"k").expect("get").as_deref(), Some(&b"mine"[..]), "own data touched");
    let names: Vec<String> =
        db.tree_names().iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
    for prefix in ["a/", "b/"] {
        for tree in ["meta", "state", "channels", "hashes"] {
            let name = format!("{prefix}updates.{tree}");
            assert!(names.contains(&name), "tree {name} missing from {names:?}");
        }
    }
}
