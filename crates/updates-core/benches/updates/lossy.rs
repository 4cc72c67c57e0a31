//! Lossy-stream throughput: the fake server's mixed stream with 10 % of
//! containers dropped and recovered through real RPCs, vs the same stream
//! delivered whole.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use updates_core::testkit::{FakeConfig, FakeServer};
use updates_core::{
    Batch, ChannelAccessHasher, Config, Handler, HandlerError, Manager, MemoryStorage, StateStorage,
};

use crate::Record;

const CONTAINERS: usize = 100_000;

struct Count {
    seen: AtomicUsize,
}

#[async_trait::async_trait]
impl Handler for Count {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        self.seen.fetch_add(batch.updates.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// Returns (events, wall time, RPCs).
fn once(drop_rate: f64) -> (usize, Duration, usize) {
    let cfg = FakeConfig {
        channels: 50,
        page: 100,
        common_too_long: i32::MAX,
        channel_too_long: i32::MAX,
        error_rate: 0.0,
        entity_rate: 0.02,
        seq: true,
    };
    let server = Arc::new(FakeServer::new(7, cfg));
    let start = server.state();
    let channels = server.channels();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let storage = Arc::new(MemoryStorage::new());
        storage.set_state(1, start).await.expect("seed");
        for (id, pts, hash) in channels {
            storage.set_channel_pts(1, id, pts).await.expect("seed");
            storage.set_channel_access_hash(1, id, hash).await.expect("seed");
        }
        let count = Arc::new(Count { seen: AtomicUsize::new(0) });
        let config = Config::new(count.clone())
            .storage(storage.clone())
            .access_hasher(storage.clone())
            .catch_up_channels(false);
        let manager = Manager::new(config);
        let runner = manager.auth(server.clone(), 1, false, false).await.expect("auth");
        let task = tokio::spawn(runner.run());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let rpcs_before = server.rpc_count();
        let t = Instant::now();
        // the server creates each container as it is sent, as a live one would
        for _ in 0..CONTAINERS {
            let c = server.generate();
            if !rng.random_bool(drop_rate) {
                manager.handle(c).await.expect("handle");
            }
        }
        manager.handle(server.recovery_push()).await.expect("handle");
        let events = server.all_events().len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while count.seen.load(Ordering::Relaxed) < events {
            assert!(Instant::now() < deadline, "not all events delivered");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let elapsed = t.elapsed();
        manager.stop();
        task.await.expect("join").expect("run");
        assert_eq!(count.seen.load(Ordering::Relaxed), events, "exactly once");
        (events, elapsed, server.rpc_count() - rpcs_before)
    })
}

pub(crate) fn run() -> Record {
    let (events, whole, whole_rpcs) = once(0.0);
    let (lossy_events, lossy, lossy_rpcs) = once(0.10);
    assert_eq!(events, lossy_events);
    println!(
        "lossy stream: {events} events in {CONTAINERS} containers; RPCs after startup: {lossy_rpcs} with 10 % loss, {whole_rpcs} without"
    );
    let rate = |d: Duration| events as f64 / d.as_secs_f64();
    Record {
        name: "lossy_stream_10pct_drop",
        unit: "events/s",
        ours: rate(lossy),
        baseline: rate(whole),
        note: "same stream, nothing dropped",
    }
}
