//! Idle cost of 10,000 channels: resident memory per channel and RPCs per
//! minute.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grammers_session::updates::MessageBoxes;
use grammers_tl_types as gtl;
use updates_core::engine::{Engine, EngineConfig};
use updates_core::{
    Batch, ChannelAccessHasher, ChannelDifference, ClientError, Config, Difference,
    GetChannelDifference, GetDifference, Handler, HandlerError, Manager, MemoryStorage, RawClient,
    State, StateStorage,
};

use crate::Record;

const CHANNELS: i64 = 10_000;

/// Resident set size in bytes (Linux).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn per_channel(before: usize, after: usize) -> f64 {
    after.saturating_sub(before) as f64 / CHANNELS as f64
}

pub(crate) fn memory() -> Record {
    let state = State { pts: 1, qts: 0, date: 1, seq: 0 };
    let t0 = Instant::now();
    let cfg = EngineConfig { catch_up_channels: false, ..EngineConfig::new(false) };
    let before = rss();
    let mut engine = Engine::new(cfg, 1, state, t0);
    for id in 1..=CHANNELS {
        engine.load_channel(id, 100, id * 7, t0);
    }
    let ours = per_channel(before, rss());
    assert_eq!(engine.channels().count(), CHANNELS as usize);

    let before = rss();
    let mut boxes = MessageBoxes::new();
    boxes.set_state(gtl::types::updates::State {
        pts: 1,
        qts: 0,
        date: 1,
        seq: 0,
        unread_count: 0,
    });
    for id in 1..=CHANNELS {
        boxes.try_set_channel_state(id, 100);
    }
    let baseline = per_channel(before, rss());
    drop((engine, boxes));
    Record {
        name: "idle_memory_per_channel",
        unit: "bytes",
        ours,
        baseline,
        note: "grammers-session 0.11 MessageBoxes (RSS delta, 10k channels)",
    }
}

#[derive(Default)]
struct Counting {
    rpcs: AtomicUsize,
}

#[async_trait::async_trait]
impl RawClient for Counting {
    async fn get_state(&self) -> Result<State, ClientError> {
        Ok(State { pts: 1, qts: 0, date: 1, seq: 0 })
    }
    async fn get_difference(&self, r: GetDifference) -> Result<Difference, ClientError> {
        self.rpcs.fetch_add(1, Ordering::Relaxed);
        Ok(Difference::Empty { date: r.date, seq: 0 })
    }
    async fn get_channel_difference(
        &self,
        r: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        self.rpcs.fetch_add(1, Ordering::Relaxed);
        Ok(ChannelDifference::Empty { is_final: true, pts: r.pts, timeout: None })
    }
}

struct Nothing;

#[async_trait::async_trait]
impl Handler for Nothing {
    async fn handle(&self, _batch: Batch) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// RPCs per minute over one idle virtual hour.
fn idle_rate(poll: Option<Duration>) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let storage = Arc::new(MemoryStorage::new());
        storage.set_state(1, State { pts: 1, qts: 0, date: 1, seq: 0 }).await.expect("seed");
        for id in 1..=CHANNELS {
            storage.set_channel_pts(1, id, 100).await.expect("seed");
            storage.set_channel_access_hash(1, id, id * 7).await.expect("seed");
        }
        let client = Arc::new(Counting::default());
        let config = Config::new(Arc::new(Nothing))
            .storage(storage.clone())
            .access_hasher(storage)
            .catch_up_channels(false)
            .channel_poll(poll);
        let manager = Manager::new(config);
        let task =
            tokio::spawn(manager.auth(client.clone(), 1, false, false).await.expect("auth").run());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let start = client.rpcs.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let rpcs = client.rpcs.load(Ordering::Relaxed) - start;
        manager.stop();
        task.await.expect("join").expect("run");
        rpcs as f64 / 60.0
    })
}

pub(crate) fn rpcs() -> Record {
    Record {
        name: "idle_rpcs_per_minute_10k",
        unit: "rpc/min",
        ours: idle_rate(None),
        baseline: idle_rate(Some(Duration::from_secs(15 * 60))),
        note: "same manager polling each channel every 15 min (gotd/grammers)",
    }
}
