//! Bytes on disk for one account with 10,000 channels (pts and access
//! hash each), after a flush / WAL checkpoint, vs the raw payload.

use updates_core::{ChannelAccessHasher, State, StateStorage, StateWrite};

use crate::Record;

const CHANNELS: i64 = 10_000;
/// Per channel: a 16-byte key with a 4-byte pts and a 16-byte key with an
/// 8-byte hash, plus the state row once (8 + 16).
const RAW: f64 = (CHANNELS as f64) * 44.0 + 24.0;

fn folder_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() { folder_size(&path) } else { meta.len() };
    }
    total
}

async fn fill(s: &(impl StateStorage + ChannelAccessHasher)) {
    s.set_state(1, State { pts: 1, qts: 1, date: 1, seq: 1 }).await.expect("state");
    let ids: Vec<i64> = (1..=CHANNELS).map(|c| c * 1_000_003).collect();
    for chunk in ids.chunks(1000) {
        let channels = chunk.iter().map(|&c| (c, (c % 100_000) as i32)).collect();
        s.write_checkpoint(1, &StateWrite { state: None, channels }).await.expect("write");
    }
    for &c in &ids {
        s.set_channel_access_hash(1, c, c * 7).await.expect("hash");
    }
}

pub(crate) fn run() -> Vec<Record> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sled_dir = tempfile::tempdir().expect("tempdir");
    let sled_bytes = rt.block_on(async {
        let s = updates_storage_sled::SledStorage::open(sled_dir.path()).expect("sled");
        fill(&s).await;
        s.flush().await.expect("flush");
        drop(s);
        folder_size(sled_dir.path())
    });
    let sqlite_dir = tempfile::tempdir().expect("tempdir");
    let sqlite_bytes = rt.block_on(async {
        let file = sqlite_dir.path().join("u.db");
        let s = updates_storage_sqlite::SqliteStorage::open(&file).expect("sqlite");
        fill(&s).await;
        drop(s);
        // the last connection closing checkpoints the WAL into the file
        folder_size(sqlite_dir.path())
    });
    vec![
        Record {
            name: "disk_sled_10k_channels".into(),
            unit: "bytes",
            ours: sled_bytes as f64,
            baseline: RAW,
            ratio: None,
            note: "raw keys + values",
        },
        Record {
            name: "disk_sqlite_10k_channels".into(),
            unit: "bytes",
            ours: sqlite_bytes as f64,
            baseline: RAW,
            ratio: None,
            note: "raw keys + values",
        },
    ]
}
