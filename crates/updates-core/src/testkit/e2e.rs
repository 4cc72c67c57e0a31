//! The seeded lossy end-to-end run, reusable by every storage backend:
//! the manager against the [`FakeServer`] over a [`LossyNetwork`]
//! (dropped, duplicated and reordered containers), with RPC failures,
//! slices, too-long answers, restarts (each one reopening the store
//! through the caller's opener, e.g. from disk) or failing writes, and a
//! final forced recovery.
//!
//! Invariants per seed: no loss (every event not legitimately skipped by
//! a too-long answer is delivered), no duplicate, pts order per box, and
//! the stored state equals the server's.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{BoxId, FakeConfig, FakeServer, InTransit, LossyNetwork, event_id};
use crate::config::Config;
use crate::error::{HandlerError, StorageError};
use crate::manager::Manager;
use crate::ports::{Batch, ChannelAccessHasher, Handler, StateStorage, StateWrite};
use crate::tl::{State, Update, Updates};

const USER: i64 = 1;

/// A store: the state storage and the access hasher (often one object).
pub type Stores = (Arc<dyn StateStorage>, Arc<dyn ChannelAccessHasher>);

/// Opens the store under test: called once at the start and again at
/// every restart, after every handle of the previous opening was dropped
/// (so a backend holding a file lock can reopen its files).
pub type Opener<'a> = &'a (dyn Fn() -> Result<Stores, String> + Sync);

/// Knobs of a run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Restarts per seed (on seeds that do not inject write failures).
    pub restarts: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { restarts: 1 }
    }
}

#[derive(Default)]
struct Recorder {
    delivered: Mutex<Vec<(BoxId, i64)>>,
    foreign: Mutex<Vec<String>>,
}

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        let mut d = self.delivered.lock().unwrap_or_else(PoisonError::into_inner);
        for u in &batch.updates {
            match event_id(u) {
                Some(e) => d.push(e),
                None => self
                    .foreign
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!("{u:?}")),
            }
        }
        Ok(())
    }
}

impl Recorder {
    fn delivered(&self) -> Vec<(BoxId, i64)> {
        self.delivered.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Storage whose writes fail at random while `rate` is non-zero (seeded).
struct Faulty {
    inner: Arc<dyn StateStorage>,
    rng: Mutex<ChaCha8Rng>,
    rate: Arc<Mutex<f64>>,
    failed: Arc<AtomicUsize>,
}

impl Faulty {
    fn fail(&self) -> Result<(), StorageError> {
        let rate = *self.rate.lock().unwrap_or_else(PoisonError::into_inner);
        let roll: f64 = self.rng.lock().unwrap_or_else(PoisonError::into_inner).random();
        if roll < rate {
            self.failed.fetch_add(1, Ordering::Relaxed);
            return Err(StorageError::Backend("injected write failure".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl StateStorage for Faulty {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        self.inner.get_state(user_id).await
    }
    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_state(user_id, state).await
    }
    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_pts(user_id, pts).await
    }
    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_qts(user_id, qts).await
    }
    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_date(user_id, date).await
    }
    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_seq(user_id, seq).await
    }
    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_date_seq(user_id, date, seq).await
    }
    async fn get_channel_pts(&self, user_id: i64, id: i64) -> Result<Option<i32>, StorageError> {
        self.inner.get_channel_pts(user_id, id).await
    }
    async fn set_channel_pts(&self, user_id: i64, id: i64, pts: i32) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.set_channel_pts(user_id, id, pts).await
    }
    async fn delete_channel(&self, user_id: i64, id: i64) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.delete_channel(user_id, id).await
    }
    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        self.fail()?;
        self.inner.write_checkpoint(user_id, write).await
    }
    async fn for_each_channel(
        &self,
        user_id: i64,
        f: &mut (dyn FnMut(i64, i32) + Send),
    ) -> Result<(), StorageError> {
        self.inner.for_each_channel(user_id, f).await
    }
}

/// What one seed exercised.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Updates delivered.
    pub delivered: usize,
    /// Events a too-long answer legitimately skipped.
    pub skipped: usize,
    /// RPCs the server answered.
    pub rpcs: usize,
    /// Injected write failures.
    pub failed_writes: usize,
    /// Restarts (each one reopening the store).
    pub restarts: usize,
}

/// One opening of the store with a running manager on it.
struct Running {
    stores: Stores,
    manager: Manager,
    task: tokio::task::JoinHandle<Result<(), crate::Error>>,
}

struct Run<'a> {
    server: Arc<FakeServer>,
    open: Opener<'a>,
    rec: Arc<Recorder>,
    catch_up: bool,
    seed: u64,
    rate: Arc<Mutex<f64>>,
    failed: Arc<AtomicUsize>,
}

impl Run<'_> {
    async fn start(&self, stores: Stores) -> Result<Running, String> {
        let faulty = Arc::new(Faulty {
            inner: stores.0.clone(),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(self.seed ^ 0xfa17)),
            rate: self.rate.clone(),
            failed: self.failed.clone(),
        });
        let config = Config::new(self.rec.clone())
            .storage(faulty)
            .access_hasher(stores.1.clone())
            .catch_up_channels(self.catch_up)
            .max_channel_diffs(4);
        let manager = Manager::new(config);
        let runner = manager
            .auth(self.server.clone(), USER, false, false)
            .await
            .map_err(|e| format!("auth: {e}"))?;
        Ok(Running { stores, manager, task: tokio::spawn(runner.run()) })
    }

    /// Stops the run, drops every handle of the store and reopens it.
    async fn restart(&self, running: Running) -> Result<Running, String> {
        let Running { stores, manager, task } = running;
        manager.stop();
        task.await.map_err(|e| e.to_string())?.map_err(|e| format!("run: {e}"))?;
        drop((manager, stores));
        let stores = (self.open)()?;
        self.start(stores).await
    }
}

/// Runs one seed against the store `open` gives.
pub async fn run_seed(seed: u64, open: Opener<'_>, options: Options) -> Result<Stats, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cfg = FakeConfig {
        channels: 50,
        page: rng.random_range(3..=20),
        common_too_long: rng.random_range(3..=60),
        channel_too_long: rng.random_range(1..=8),
        error_rate: 0.05,
        entity_rate: 0.5,
        seq: rng.random_bool(0.7),
    };
    let server = Arc::new(FakeServer::new(seed, cfg));
    let stores = open()?;
    let err = |e: StorageError| e.to_string();
    stores.0.set_state(USER, server.state()).await.map_err(err)?;
    for (id, pts, hash) in server.channels() {
        // every fifth channel is unknown to the client: adopted from its
        // first update (which the network delivers, since nobody could
        // recover what came before it)
        if unknown(id) {
            continue;
        }
        stores.0.set_channel_pts(USER, id, pts).await.map_err(err)?;
        // every tenth other channel has no stored hash: learned from
        // envelopes or a peek
        if id % 10 != 1 {
            stores.1.set_channel_access_hash(USER, id, hash).await.map_err(err)?;
        }
    }
    let mut introduced = HashSet::new();
    // a third of the seeds fail 3 % of storage writes instead of
    // restarting (a restart after a failed write legitimately redelivers)
    let faults = rng.random_bool(0.33);
    let run = Run {
        server: server.clone(),
        open,
        rec: Arc::new(Recorder::default()),
        catch_up: rng.random_bool(0.5),
        seed,
        rate: Arc::new(Mutex::new(if faults { 0.03 } else { 0.0 })),
        failed: Arc::new(AtomicUsize::new(0)),
    };
    let mut running = run.start(stores).await?;
    let steps = 150;
    let restart_at: Vec<usize> = if faults {
        Vec::new()
    } else {
        (0..options.restarts).map(|_| rng.random_range(10..steps)).collect()
    };
    let net = LossyNetwork::default();
    let mut transit = InTransit::default();
    let mut restarts = 0;
    for step in 0..steps {
        let container = server.generate();
        let first = channels_in(&container)
            .into_iter()
            .filter(|c| unknown(*c))
            .any(|c| introduced.insert(c));
        let now = if first {
            transit.pass(step, container)
        } else {
            transit.send(&net, &mut rng, step, container).1
        };
        for c in now {
            running.manager.handle(c).await.map_err(|e| format!("handle at step {step}: {e}"))?;
        }
        if rng.random_bool(0.3) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..700))).await;
        }
        for _ in restart_at.iter().filter(|&&s| s == step) {
            running = run.restart(running).await.map_err(|e| format!("restart at {step}: {e}"))?;
            restarts += 1;
        }
    }
    for c in transit.flush() {
        running.manager.handle(c).await.map_err(|e| e.to_string())?;
    }
    // storage heals; the recovery's checkpoints rewrite what failed
    *run.rate.lock().unwrap_or_else(PoisonError::into_inner) = 0.0;
    running.manager.handle(server.recovery_push()).await.map_err(|e| e.to_string())?;

    // quiescence (virtual time)
    let mut settled = false;
    for _ in 0..4000 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let got: HashSet<_> = run.rec.delivered().into_iter().collect();
        if server.expected().iter().all(|e| got.contains(e))
            && stored_matches(&server, running.stores.0.as_ref()).await
        {
            settled = true;
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let Running { stores, manager, task } = running;
    manager.stop();
    task.await.map_err(|e| e.to_string())?.map_err(|e| format!("last run: {e}"))?;
    check(&server, &run.rec, settled, stores.0.as_ref()).await?;
    Ok(Stats {
        delivered: run.rec.delivered().len(),
        skipped: server.all_events().len() - server.expected().len(),
        rpcs: server.rpc_count(),
        failed_writes: run.failed.load(Ordering::Relaxed),
        restarts,
    })
}

/// Channels the client does not know at start.
fn unknown(channel: i64) -> bool {
    channel % 5 == 0
}

/// Channels a container has events for.
fn channels_in(c: &Updates) -> Vec<i64> {
    let updates: Vec<&Update> = match c {
        Updates::Short { update, .. } => vec![update],
        Updates::Full { updates, .. } | Updates::Combined { updates, .. } => {
            updates.iter().collect()
        }
        _ => vec![],
    };
    updates
        .into_iter()
        .filter_map(|u| match event_id(u) {
            Some((BoxId::Channel(c), _)) => Some(c),
            _ => None,
        })
        .collect()
}

async fn stored_matches(server: &FakeServer, storage: &dyn StateStorage) -> bool {
    let remote = server.state();
    let Ok(Some(local)) = storage.get_state(USER).await else { return false };
    if (local.pts, local.qts, local.seq) != (remote.pts, remote.qts, remote.seq) {
        return false;
    }
    for (id, pts, _) in server.channels() {
        let untouched = pts == 10 * i32::try_from(id).unwrap_or(0);
        if unknown(id) && untouched {
            continue;
        }
        if storage.get_channel_pts(USER, id).await.ok().flatten() != Some(pts) {
            return false;
        }
    }
    true
}

async fn check(
    server: &FakeServer,
    rec: &Recorder,
    settled: bool,
    storage: &dyn StateStorage,
) -> Result<(), String> {
    let delivered = rec.delivered();
    let all: HashSet<_> = server.all_events().into_iter().collect();
    let mut seen = HashSet::new();
    let mut last: BTreeMap<BoxId, i64> = BTreeMap::new();
    for e in &delivered {
        if !all.contains(e) {
            return Err(format!("delivered an event the server never made: {e:?}"));
        }
        if !seen.insert(*e) {
            return Err(format!("duplicate delivery: {e:?}"));
        }
        let prev = last.insert(e.0, e.1);
        if prev.is_some_and(|p| p > e.1) {
            return Err(format!("out of order in {:?}: {} after {:?}", e.0, e.1, prev));
        }
    }
    let missing: Vec<_> = server.expected().into_iter().filter(|e| !seen.contains(e)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "lost {} event(s), first {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    if !settled || !stored_matches(server, storage).await {
        let local = storage.get_state(USER).await.map_err(|e| e.to_string())?;
        return Err(format!(
            "stored state {local:?} differs from the server's {:?}",
            server.state()
        ));
    }
    let foreign = rec.foreign.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if !foreign.is_empty() {
        return Err(format!("unidentified deliveries: {foreign:?}"));
    }
    let violations = server.violations();
    if !violations.is_empty() {
        return Err(format!("protocol violations: {violations:?}"));
    }
    Ok(())
}

/// Runs one seed on its own paused current-thread runtime.
pub fn run_one(seed: u64, open: Opener<'_>, options: Options) -> Result<Stats, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(run_seed(seed, open, options))
}

/// The seeds to run: `UPDATES_E2E_SEED=s` alone, else
/// `UPDATES_E2E_SEEDS=n` (default `default`) from 0.
pub fn seeds(default: u64) -> Vec<u64> {
    match std::env::var("UPDATES_E2E_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => {
            let n = std::env::var("UPDATES_E2E_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(default);
            (0..n).collect()
        }
    }
}

/// Asserts that every seed of a [`run_many`] passed (naming each failure
/// and how to rerun it) and that the run exercised what it is for: every
/// seed delivered and called the server; over 100 seeds or more, some seed
/// skipped a too-long answer, failed a storage write and restarted.
/// Returns the seeds' stats for checks of the caller's own.
///
/// # Panics
/// When a seed failed or the run exercised too little.
pub fn assert_all_passed(seeds: &[u64], results: Vec<Result<Stats, String>>) -> Vec<Stats> {
    let failures: Vec<&str> =
        results.iter().filter_map(|r| r.as_ref().err()).map(String::as_str).collect();
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed (rerun one with UPDATES_E2E_SEED=<seed>):\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    let stats: Vec<Stats> = results.into_iter().filter_map(Result::ok).collect();
    assert!(stats.iter().all(|s| s.delivered > 100 && s.rpcs > 0), "a seed exercised nothing");
    if stats.len() >= 100 {
        assert!(stats.iter().any(|s| s.skipped > 0), "no seed exercised a too-long answer");
        assert!(stats.iter().any(|s| s.failed_writes > 0), "no seed exercised a storage failure");
        assert!(stats.iter().any(|s| s.restarts > 0), "no seed exercised a restart");
    }
    stats
}

/// Runs `seeds` on up to 4 threads; `open(seed)` gives each seed's opener.
/// Returns every seed's result (an error names its seed).
pub fn run_many<F>(seeds: &[u64], open: F, options: Options) -> Vec<Result<Stats, String>>
where
    F: Fn(u64) -> Box<dyn Fn() -> Result<Stores, String> + Sync> + Sync,
{
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4) as u64;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<u64> = seeds.iter().copied().filter(|s| s % threads == t).collect();
                let open = &open;
                scope.spawn(move || {
                    mine.into_iter()
                        .map(|seed| {
                            let opener = open(seed);
                            run_one(seed, opener.as_ref(), options)
                                .map_err(|e| format!("seed {seed}: {e}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec![Err("a worker panicked".into())]))
            .collect()
    })
}
