//! Close and reopen (updates-core's reopen conformance checks): the state,
//! every channel pts and every access hash survive with
//! `synchronous=NORMAL` and `FULL`; 100,000 channels come back in id order.

use updates_core::conformance;
use updates_storage_sqlite::{Options, SqliteStorage, Synchronous};

async fn close(s: SqliteStorage) {
    drop(s);
}

#[tokio::test]
async fn everything_survives_a_reopen_in_both_modes() {
    for synchronous in [Synchronous::Normal, Synchronous::Full] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("u.db");
        let open = || Options::new().synchronous(synchronous).open(&file).expect("open");
        conformance::everything_survives_a_reopen(open, close).await;
    }
}

#[tokio::test]
async fn a_hundred_thousand_channels_iterate_in_order_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let open = || SqliteStorage::open(&file).expect("open");
    conformance::many_channels_iterate_in_order_after_reopen(open, close, 100_000).await;
}
