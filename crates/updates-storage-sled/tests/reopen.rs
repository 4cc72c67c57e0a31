//! Close and reopen (updates-core's reopen conformance checks): the state,
//! every channel pts and every access hash survive in both durability
//! modes; 100,000 channels come back in id order.

use updates_core::conformance;
use updates_storage_sled::{Durability, Options, SledStorage};

async fn close(s: SledStorage) {
    s.flush().await.expect("flush");
}

#[tokio::test]
async fn everything_survives_a_reopen_in_both_modes() {
    for durability in [Durability::Background, Durability::EveryCheckpoint] {
        let dir = tempfile::tempdir().expect("tempdir");
        let open = || Options::new().durability(durability).open(dir.path()).expect("open");
        conformance::everything_survives_a_reopen(open, close).await;
    }
}

#[tokio::test]
async fn a_hundred_thousand_channels_iterate_in_order_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let open = || SledStorage::open(dir.path()).expect("open");
    conformance::many_channels_iterate_in_order_after_reopen(open, close, 100_000).await;
}
