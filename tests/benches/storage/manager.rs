//! The manager's in-order throughput on each backend vs `MemoryStorage`
//! in the same run: one `updateNewMessage` per `updates` container, as in
//! the updates bench.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use updates_core::testkit::QuietClient;
use updates_core::{
    Batch, ChannelAccessHasher, Config, Handler, HandlerError, Manager, MemoryStorage, State,
    StateStorage, Update, Updates,
};
use updates_storage_sled::{Durability, SledStorage};
use updates_storage_sqlite::{SqliteStorage, Synchronous};

use crate::{Backend, Record, median};

const START: i32 = 1000;
const ROUNDS: usize = 5;

/// Updates per run: 1,000,000 like the updates bench, 200,000 when every
/// batch waits for an fsync.
fn count(backend: Option<Backend>) -> i32 {
    if backend.is_some_and(Backend::syncs) { 200_000 } else { 1_000_000 }
}

struct Count {
    seen: AtomicUsize,
    n: usize,
    done: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl Handler for Count {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        let n = self.seen.fetch_add(batch.updates.len(), Ordering::Relaxed) + batch.updates.len();
        if n >= self.n {
            self.done.notify_one();
        }
        Ok(())
    }
}

type Store = (Arc<dyn StateStorage>, Arc<dyn ChannelAccessHasher>);

fn open(backend: Option<Backend>, dir: &std::path::Path) -> Store {
    let both = |s: Arc<dyn StateStorage>, h: Arc<dyn ChannelAccessHasher>| (s, h);
    match backend {
        None => {
            let m = Arc::new(MemoryStorage::new());
            both(m.clone(), m)
        }
        Some(b @ (Backend::SledBackground | Backend::SledEvery)) => {
            let d = if b.syncs() { Durability::EveryCheckpoint } else { Durability::Background };
            let s: Arc<SledStorage> = Arc::new(
                updates_storage_sled::Options::new().durability(d).open(dir).expect("sled"),
            );
            both(s.clone(), s)
        }
        Some(b) => {
            let sync = if b.syncs() { Synchronous::Full } else { Synchronous::Normal };
            let s: Arc<SqliteStorage> = Arc::new(
                updates_storage_sqlite::Options::new()
                    .synchronous(sync)
                    .open(dir.join("u.db"))
                    .expect("sqlite"),
            );
            both(s.clone(), s)
        }
    }
}

fn once(backend: Option<Backend>, n: i32) -> Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (storage, hasher) = open(backend, dir.path());
        storage.set_state(1, State { pts: START, qts: 0, date: 1, seq: 0 }).await.expect("seed");
        let count = Arc::new(Count {
            seen: AtomicUsize::new(0),
            n: n as usize,
            done: tokio::sync::Notify::new(),
        });
        let manager =
            Manager::new(Config::new(count.clone()).storage(storage.clone()).access_hasher(hasher));
        let runner = manager
            .auth(
                Arc::new(QuietClient { state: State { pts: START, qts: 0, date: 1, seq: 0 } }),
                1,
                false,
                false,
            )
            .await
            .expect("auth");
        let task = tokio::spawn(runner.run());
        tokio::time::sleep(Duration::from_millis(20)).await; // startup difference
        let input: Vec<Updates> = (1..=n)
            .map(|i| Updates::full(vec![Update::new_message(i, 42, START + i)], 1, 0))
            .collect();
        let t = Instant::now();
        for u in input {
            manager.handle(u).await.expect("handle");
        }
        count.done.notified().await;
        let elapsed = t.elapsed();
        manager.stop();
        task.await.expect("join").expect("run");
        assert_eq!(storage.get_state(1).await.expect("get").map(|s| s.pts), Some(START + n));
        elapsed
    })
}

pub(crate) fn run(backend: Backend) -> Record {
    let (mut ours_best, mut memory_best) = (Duration::MAX, Duration::MAX);
    let mut ratios = Vec::new();
    let n = count(Some(backend));
    for _ in 0..ROUNDS {
        let m = once(None, n);
        let o = once(Some(backend), n);
        memory_best = memory_best.min(m);
        ours_best = ours_best.min(o);
        ratios.push(m.as_secs_f64() / o.as_secs_f64());
    }
    let per_second = |d: Duration| f64::from(n) / d.as_secs_f64();
    Record {
        name: format!("manager_in_order_{}", backend.name()),
        unit: "updates/s",
        ours: per_second(ours_best),
        baseline: per_second(memory_best),
        ratio: Some(median(ratios)),
        note: "MemoryStorage",
    }
}
