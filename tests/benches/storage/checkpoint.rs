//! Checkpoints/s per backend and mode vs the raw engine doing the same
//! single-key write with the same settings.

use std::time::{Duration, Instant};

use updates_core::{State, StateStorage, StateWrite};
use updates_storage_sled::Durability;
use updates_storage_sqlite::Synchronous;

use crate::{Backend, Record, median};

const ROUNDS: usize = 7;

fn count(backend: Backend) -> u32 {
    if backend.syncs() { 300 } else { 100_000 }
}

fn state(i: u32) -> State {
    State { pts: 1000 + i as i32, qts: 5, date: 1_700_000_000, seq: 0 }
}

fn ours(backend: Backend, dir: &std::path::Path, n: u32) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let storage: Box<dyn StateStorage> = match backend {
        Backend::SledBackground | Backend::SledEvery => {
            let d =
                if backend.syncs() { Durability::EveryCheckpoint } else { Durability::Background };
            Box::new(updates_storage_sled::Options::new().durability(d).open(dir).expect("sled"))
        }
        Backend::SqliteNormal | Backend::SqliteFull => {
            let s = if backend.syncs() { Synchronous::Full } else { Synchronous::Normal };
            let file = dir.join("u.db");
            Box::new(updates_storage_sqlite::Options::new().synchronous(s).open(file).expect("sq"))
        }
    };
    rt.block_on(async {
        storage.set_state(1, state(0)).await.expect("seed");
        let mut write = StateWrite::default();
        let t = Instant::now();
        for i in 1..=n {
            write.state = Some(state(i));
            storage.write_checkpoint(1, &write).await.expect("checkpoint");
        }
        let elapsed = t.elapsed();
        assert_eq!(storage.get_state(1).await.expect("get"), Some(state(n)));
        elapsed
    })
}

fn encode(s: State) -> [u8; 16] {
    let mut v = [0u8; 16];
    for (i, x) in [s.pts, s.qts, s.date, s.seq].into_iter().enumerate() {
        v[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    v
}

fn raw(backend: Backend, dir: &std::path::Path, n: u32) -> Duration {
    match backend {
        Backend::SledBackground | Backend::SledEvery => {
            let db = sled::Config::new().path(dir).flush_every_ms(Some(500)).open().expect("sled");
            let tree = db.open_tree("t").expect("tree");
            let key = (1u64 ^ (1 << 63)).to_be_bytes();
            let t = Instant::now();
            for i in 1..=n {
                tree.insert(key, &encode(state(i))).expect("insert");
                if backend.syncs() {
                    db.flush().expect("flush");
                }
            }
            t.elapsed()
        }
        Backend::SqliteNormal | Backend::SqliteFull => {
            let conn = rusqlite::Connection::open(dir.join("raw.db")).expect("sqlite");
            let _: String =
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).expect("wal");
            let sync = if backend.syncs() { "FULL" } else { "NORMAL" };
            conn.pragma_update(None, "synchronous", sync).expect("synchronous");
            conn.execute_batch(
                "CREATE TABLE s (user_id INTEGER PRIMARY KEY, pts INTEGER NOT NULL,
                 qts INTEGER NOT NULL, date INTEGER NOT NULL, seq INTEGER NOT NULL)",
            )
            .expect("table");
            let sql = "INSERT INTO s (user_id, pts, qts, date, seq) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id) DO UPDATE SET
                 pts = excluded.pts, qts = excluded.qts, date = excluded.date, seq = excluded.seq";
            let t = Instant::now();
            for i in 1..=n {
                let s = state(i);
                let mut stmt = conn.prepare_cached(sql).expect("prepare");
                stmt.execute(rusqlite::params![1i64, s.pts, s.qts, s.date, s.seq]).expect("upsert");
            }
            t.elapsed()
        }
    }
}

pub(crate) fn run(backend: Backend) -> Record {
    let n = count(backend);
    let (mut ours_best, mut raw_best) = (Duration::MAX, Duration::MAX);
    let mut ratios = Vec::new();
    for _ in 0..ROUNDS {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        let o = ours(backend, a.path(), n);
        let r = raw(backend, b.path(), n);
        ours_best = ours_best.min(o);
        raw_best = raw_best.min(r);
        // checkpoints/s ours over raw = raw time over our time
        ratios.push(r.as_secs_f64() / o.as_secs_f64());
    }
    let per_second = |d: Duration| f64::from(n) / d.as_secs_f64();
    Record {
        name: format!("checkpoint_{}", backend.name()),
        unit: "ckpt/s",
        ours: per_second(ours_best),
        baseline: per_second(raw_best),
        ratio: Some(median(ratios)),
        note: match backend {
            Backend::SledBackground => "raw sled insert",
            Backend::SledEvery => "raw sled insert + flush",
            Backend::SqliteNormal => "raw SQLite upsert, WAL NORMAL",
            Backend::SqliteFull => "raw SQLite upsert, WAL FULL",
        },
    }
}
