//! The updates scenario: an `updates_core::Manager` on a `MemoryStorage` or
//! on `updates-storage-sled` ([`Store`]) against the `testkit` fake
//! Telegram server, over a lossy network that drops, duplicates and
//! reorders containers, optionally restarted mid-stream (on sled, closing
//! the database and reopening it from disk); and what it measured
//! ([`UpdatesReport`]).
//!
//! Everything is seeded and the scenario is meant to run on a paused tokio
//! clock ([`run_lossy_blocking`] builds one), so a seed always gives the
//! same figures. It does not judge the figures beyond
//! [`UpdatesReport::problems`]; the demo and the tests decide what to show
//! or assert.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::task::JoinHandle;
use updates_core::testkit::{BoxId, FakeConfig, FakeServer, Fate, InTransit, event_id};
use updates_core::{
    Batch, ChannelAccessHasher, ChannelDifference, ClientError, Config, Difference,
    GetChannelDifference, GetDifference, Handler, HandlerError, Manager, MemoryStorage, RawClient,
    State, StateStorage,
};

/// The account the scenario runs as.
pub const USER: i64 = 1;

/// What the network does to each pushed container (probabilities).
pub use updates_core::testkit::LossyNetwork as Lossy;

/// One run of the scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossyScenario {
    /// Seeds the server's stream, its answers and the network.
    pub seed: u64,
    /// Containers the server generates (each one to three events).
    pub containers: usize,
    /// Channels on the server (all known to the client at start).
    pub channels: i64,
    /// Probability that an RPC fails (the manager retries).
    pub rpc_error_rate: f64,
    /// A getDifference further behind is answered `differenceTooLong`
    /// (what it skips is not owed).
    pub common_too_long: i32,
    /// A getChannelDifference further behind is answered
    /// `channelDifferenceTooLong`.
    pub channel_too_long: i32,
    /// Number containers with seq (a dropped one is also a seq gap).
    pub seq: bool,
    /// The network.
    pub network: Lossy,
    /// Stop the manager after this container and start a new one on the
    /// same storage (what a process restart does).
    pub restart_after: Option<usize>,
    /// Containers the server generates while the manager is down for the
    /// restart: never pushed, so only the startup difference and the channel
    /// catch-up can recover them.
    pub downtime: usize,
    /// End with the push Telegram sends after a reconnect
    /// (`updatePtsChanged` + `updateChannelTooLong` for every channel). A
    /// lossy network needs it for a dropped last container of a channel;
    /// without it, recovery relies on the startup catch-up and the gaps
    /// later containers reveal.
    pub final_recovery: bool,
}

impl Default for LossyScenario {
    fn default() -> LossyScenario {
        LossyScenario {
            seed: 7,
            containers: 400,
            channels: 20,
            rpc_error_rate: 0.05,
            common_too_long: FakeConfig::default().common_too_long,
            channel_too_long: FakeConfig::default().channel_too_long,
            seq: true,
            network: Lossy::default(),
            restart_after: None,
            downtime: 0,
            final_recovery: true,
        }
    }
}

/// Calls of one RPC kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    /// Answered.
    pub ok: u64,
    /// Failed (transport or RPC error), retried by the manager.
    pub failed: u64,
}

/// RPCs the manager made, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RpcCounts {
    /// `updates.getState`.
    pub get_state: Calls,
    /// `updates.getDifference`.
    pub get_difference: Calls,
    /// `updates.getChannelDifference`.
    pub get_channel_difference: Calls,
}

impl RpcCounts {
    /// Every call, answered or failed.
    pub fn total(&self) -> u64 {
        [self.get_state, self.get_difference, self.get_channel_difference]
            .iter()
            .map(|c| c.ok + c.failed)
            .sum()
    }
}

#[derive(Debug, Default)]
struct Counter {
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Counter {
    fn count<T, E>(&self, result: Result<T, E>) -> Result<T, E> {
        let slot = if result.is_ok() { &self.ok } else { &self.failed };
        slot.fetch_add(1, Ordering::Relaxed);
        result
    }

    fn get(&self) -> Calls {
        Calls { ok: self.ok.load(Ordering::Relaxed), failed: self.failed.load(Ordering::Relaxed) }
    }
}

/// A [`RawClient`] that counts the calls it forwards, by kind and outcome.
#[derive(Debug)]
pub struct CountingClient<C> {
    inner: Arc<C>,
    state: Counter,
    difference: Counter,
    channel: Counter,
}

impl<C: RawClient> CountingClient<C> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<C>) -> CountingClient<C> {
        CountingClient {
            inner,
            state: Counter::default(),
            difference: Counter::default(),
            channel: Counter::default(),
        }
    }

    /// The calls so far.
    pub fn counts(&self) -> RpcCounts {
        RpcCounts {
            get_state: self.state.get(),
            get_difference: self.difference.get(),
            get_channel_difference: self.channel.get(),
        }
    }
}

#[async_trait]
impl<C: RawClient> RawClient for CountingClient<C> {
    async fn get_state(&self) -> Result<State, ClientError> {
        self.state.count(self.inner.get_state().await)
    }

    async fn get_difference(&self, request: GetDifference) -> Result<Difference, ClientError> {
        self.difference.count(self.inner.get_difference(request).await)
    }

    async fn get_channel_difference(
        &self,
        request: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        self.channel.count(self.inner.get_channel_difference(request).await)
    }
}

/// A [`Handler`] recording every delivered update as the fake server's
/// event id, in delivery order, then passing the batch on to the next
/// handler if there is one.
#[derive(Default)]
pub struct Recorder {
    delivered: Mutex<Vec<(BoxId, i64)>>,
    foreign: AtomicU64,
    batches: AtomicU64,
    next: Option<Arc<dyn Handler>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("batches", &self.batches)
            .field("chained", &self.next.is_some())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder passing every batch on to `next` after recording it.
    pub fn then(next: Arc<dyn Handler>) -> Recorder {
        Recorder { next: Some(next), ..Recorder::default() }
    }

    /// Event ids delivered so far, in order (duplicates included).
    pub fn delivered(&self) -> Vec<(BoxId, i64)> {
        self.delivered.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Updates that did not come from the fake server.
    pub fn foreign(&self) -> u64 {
        self.foreign.load(Ordering::Relaxed)
    }

    /// Batches handled.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        self.batches.fetch_add(1, Ordering::Relaxed);
        {
            let mut delivered = self.delivered.lock().unwrap_or_else(PoisonError::into_inner);
            for update in &batch.updates {
                match event_id(update) {
                    Some(event) => delivered.push(event),
                    None => {
                        self.foreign.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        match &self.next {
            Some(next) => next.handle(batch).await,
            None => Ok(()),
        }
    }
}

/// What the network did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkCounts {
    /// Containers the server generated.
    pub generated: usize,
    /// Dropped.
    pub dropped: usize,
    /// Sent twice.
    pub duplicated: usize,
    /// Held back and sent later.
    pub reordered: usize,
    /// Containers handed to the manager (duplicates counted twice).
    pub sent: usize,
    /// Generated while the manager was down (never pushed).
    pub missed_while_down: usize,
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatesReport {
    /// The scenario that ran.
    pub scenario: LossyScenario,
    /// Where the state was kept ([`Store::describe`]).
    pub store: String,
    /// What the network did.
    pub network: NetworkCounts,
    /// Events the server created.
    pub events: usize,
    /// Events a too-long answer legitimately skipped (not owed).
    pub skipped: usize,
    /// Deliveries (duplicates included).
    pub delivered: usize,
    /// Distinct events delivered.
    pub unique: usize,
    /// Deliveries of an event already delivered.
    pub duplicates: usize,
    /// Owed events never delivered.
    pub lost: usize,
    /// Deliveries behind an earlier one of the same box.
    pub out_of_order: usize,
    /// Deliveries the fake server did not make.
    pub foreign: u64,
    /// Batches the handler received.
    pub batches: u64,
    /// RPCs by kind.
    pub rpcs: RpcCounts,
    /// Non-fatal errors the manager reported (failed RPCs among them).
    pub reported_errors: u64,
    /// Manager runs (1 + restarts).
    pub runs: usize,
    /// The server's final common state.
    pub server_state: State,
    /// The stored final common state.
    pub stored_state: Option<State>,
    /// Channels whose stored pts equals the server's.
    pub channels_matching: usize,
    /// Channels on the server.
    pub channels: usize,
    /// Protocol violations the server saw.
    pub violations: Vec<String>,
    /// Virtual time the run took.
    pub virtual_time: Duration,
}

impl UpdatesReport {
    /// Whether the stored state (pts, qts, seq and every channel's pts)
    /// equals the server's.
    pub fn state_matches(&self) -> bool {
        let same = |s: &State| (s.pts, s.qts, s.seq);
        self.stored_state.as_ref().map(same) == Some(same(&self.server_state))
            && self.channels_matching == self.channels
    }

    /// Every broken guarantee, in words; empty when the run was clean.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut flag = |bad: bool, what: String| {
            if bad {
                out.push(what);
            }
        };
        flag(self.lost > 0, format!("{} update(s) lost", self.lost));
        flag(self.duplicates > 0, format!("{} duplicate deliveries", self.duplicates));
        flag(self.out_of_order > 0, format!("{} out-of-order deliveries", self.out_of_order));
        flag(self.foreign > 0, format!("{} deliveries of unknown updates", self.foreign));
        flag(
            !self.state_matches(),
            format!(
                "stored state {:?} ({} of {} channels) differs from the server's {:?}",
                self.stored_state, self.channels_matching, self.channels, self.server_state
            ),
        );
        flag(!self.violations.is_empty(), format!("protocol violations: {:?}", self.violations));
        out
    }
}

type RunTask = JoinHandle<Result<(), updates_core::Error>>;

/// Where the scenario keeps its update state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// `MemoryStorage`, kept across the restart.
    Memory,
    /// `updates-storage-sled` in this folder, closed at the restart and
    /// reopened from disk.
    Sled(std::path::PathBuf),
}

impl Store {
    /// How the report names it.
    pub fn describe(&self) -> String {
        match self {
            Store::Memory => "MemoryStorage (in memory, kept across the restart)".into(),
            Store::Sled(path) => {
                format!("sled at {} (closed and reopened from disk at the restart)", path.display())
            }
        }
    }

    fn open(&self) -> Result<updates_core::testkit::e2e::Stores, String> {
        match self {
            Store::Memory => {
                let m = Arc::new(MemoryStorage::new());
                Ok((m.clone(), m))
            }
            Store::Sled(path) => {
                let s = updates_storage_sled::SledStorage::open(path)
                    .map_err(|e| format!("opening sled: {e}"))?;
                let s = Arc::new(s);
                Ok((s.clone(), s))
            }
        }
    }
}

struct Parts {
    server: Arc<FakeServer>,
    client: Arc<CountingClient<FakeServer>>,
    storage: Arc<dyn StateStorage>,
    hasher: Arc<dyn ChannelAccessHasher>,
    recorder: Arc<Recorder>,
    errors: Arc<AtomicU64>,
}

impl Parts {
    async fn start(&self) -> Result<(Manager, RunTask), String> {
        let errors = Arc::clone(&self.errors);
        let config = Config::new(self.recorder.clone())
            .storage(self.storage.clone())
            .access_hasher(self.hasher.clone())
            .max_channel_diffs(4)
            .on_error(move |_| {
                errors.fetch_add(1, Ordering::Relaxed);
            });
        let manager = Manager::new(config);
        let runner = manager
            .auth(self.client.clone(), USER, false, false)
            .await
            .map_err(|e| format!("auth: {e}"))?;
        Ok((manager, tokio::spawn(runner.run())))
    }

    async fn channels_matching(&self) -> usize {
        let mut matching = 0;
        for (id, pts, _) in self.server.channels() {
            if self.storage.get_channel_pts(USER, id).await.ok().flatten() == Some(pts) {
                matching += 1;
            }
        }
        matching
    }

    async fn settled(&self) -> bool {
        let got: HashSet<_> = self.recorder.delivered().into_iter().collect();
        if !self.server.expected().iter().all(|e| got.contains(e)) {
            return false;
        }
        let remote = self.server.state();
        let stored = self.storage.get_state(USER).await.ok().flatten();
        stored.is_some_and(|s| (s.pts, s.qts, s.seq) == (remote.pts, remote.qts, remote.seq))
            && self.channels_matching().await == self.server.channels().len()
    }
}

async fn stop(manager: &Manager, task: RunTask) -> Result<(), String> {
    manager.stop();
    task.await.map_err(|e| format!("run task: {e}"))?.map_err(|e| format!("run: {e}"))
}

/// Runs `scenario` (on the current runtime; pause its clock for
/// reproducible figures) and reports what it measured. An `Err` is a setup
/// failure; broken guarantees are in [`UpdatesReport::problems`].
pub async fn run_lossy(scenario: LossyScenario) -> Result<UpdatesReport, String> {
    run_lossy_then(scenario, None).await
}

/// As [`run_lossy`], passing every delivered batch on to `next` too (after
/// it was recorded): how another domain consumes the updates.
pub async fn run_lossy_then(
    scenario: LossyScenario,
    next: Option<Arc<dyn Handler>>,
) -> Result<UpdatesReport, String> {
    run_lossy_on(scenario, &Store::Memory, next).await
}

/// As [`run_lossy_then`] on `store`: with [`Store::Sled`] the restart
/// closes the database and reopens it from disk.
pub async fn run_lossy_on(
    scenario: LossyScenario,
    store: &Store,
    next: Option<Arc<dyn Handler>>,
) -> Result<UpdatesReport, String> {
    let started = tokio::time::Instant::now();
    let cfg = FakeConfig {
        channels: scenario.channels,
        error_rate: scenario.rpc_error_rate,
        common_too_long: scenario.common_too_long,
        channel_too_long: scenario.channel_too_long,
        seq: scenario.seq,
        ..FakeConfig::default()
    };
    let server = Arc::new(FakeServer::new(scenario.seed, cfg));
    let (storage, hasher) = store.open()?;
    let mut parts = Parts {
        client: Arc::new(CountingClient::new(server.clone())),
        server,
        storage,
        hasher,
        recorder: Arc::new(match next {
            Some(next) => Recorder::then(next),
            None => Recorder::default(),
        }),
        errors: Arc::new(AtomicU64::new(0)),
    };
    let storage_error = |e: updates_core::StorageError| format!("seeding storage: {e}");
    parts.storage.set_state(USER, parts.server.state()).await.map_err(storage_error)?;
    for (id, pts, hash) in parts.server.channels() {
        parts.storage.set_channel_pts(USER, id, pts).await.map_err(storage_error)?;
        parts.hasher.set_channel_access_hash(USER, id, hash).await.map_err(storage_error)?;
    }

    let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x006e_6574_776f_726b);
    let net = scenario.network;
    let mut counts = NetworkCounts::default();
    let mut runs = 1;
    let (mut manager, mut task) = parts.start().await?;
    let mut transit = InTransit::default();
    for step in 0..scenario.containers {
        let container = parts.server.generate();
        counts.generated += 1;
        let (fate, now) = transit.send(&net, &mut rng, step, container);
        match fate {
            Fate::Dropped => counts.dropped += 1,
            Fate::Duplicated => counts.duplicated += 1,
            Fate::Delayed => counts.reordered += 1,
            Fate::Passed => {}
        }
        for container in now {
            counts.sent += 1;
            manager.handle(container).await.map_err(|e| format!("handle at {step}: {e}"))?;
        }
        if rng.random_bool(0.3) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..700))).await;
        }
        if scenario.restart_after == Some(step) {
            stop(&manager, task).await?;
            if *store != Store::Memory {
                // a process restart: every handle closed, the files reopened
                drop(manager);
                let placeholder = Arc::new(MemoryStorage::new());
                (parts.storage, parts.hasher) = (placeholder.clone(), placeholder);
                (parts.storage, parts.hasher) = store.open()?;
            }
            for _ in 0..scenario.downtime {
                parts.server.generate();
                counts.generated += 1;
                counts.missed_while_down += 1;
            }
            (manager, task) = parts.start().await?;
            runs += 1;
        }
    }
    for container in transit.flush() {
        counts.sent += 1;
        manager.handle(container).await.map_err(|e| format!("handle held: {e}"))?;
    }
    if scenario.final_recovery {
        // what Telegram sends after a reconnect: recover everything still missing
        let push = parts.server.recovery_push();
        manager.handle(push).await.map_err(|e| format!("recovery: {e}"))?;
    }
    for _ in 0..4000 {
        if parts.settled().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // anything late (a duplicate delivery) would show up now
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop(&manager, task).await?;
    let mut report = measure(scenario, &parts, counts, runs, started.elapsed()).await;
    report.store = store.describe();
    Ok(report)
}

async fn measure(
    scenario: LossyScenario,
    parts: &Parts,
    network: NetworkCounts,
    runs: usize,
    virtual_time: Duration,
) -> UpdatesReport {
    let delivered = parts.recorder.delivered();
    let expected = parts.server.expected();
    let mut seen = HashSet::new();
    let mut last: BTreeMap<BoxId, i64> = BTreeMap::new();
    let (mut duplicates, mut out_of_order) = (0, 0);
    for event in &delivered {
        if !seen.insert(*event) {
            duplicates += 1;
        }
        if last.insert(event.0, event.1).is_some_and(|previous| previous > event.1) {
            out_of_order += 1;
        }
    }
    UpdatesReport {
        scenario,
        store: String::new(),
        network,
        events: parts.server.all_events().len(),
        skipped: parts.server.all_events().len() - expected.len(),
        delivered: delivered.len(),
        unique: seen.len(),
        duplicates,
        lost: expected.iter().filter(|e| !seen.contains(e)).count(),
        out_of_order,
        foreign: parts.recorder.foreign(),
        batches: parts.recorder.batches(),
        rpcs: parts.client.counts(),
        reported_errors: parts.errors.load(Ordering::Relaxed),
        runs,
        server_state: parts.server.state(),
        stored_state: parts.storage.get_state(USER).await.ok().flatten(),
        channels_matching: parts.channels_matching().await,
        channels: parts.server.channels().len(),
        violations: parts.server.violations(),
        virtual_time,
    }
}

/// Runs `scenario` on a new current-thread runtime with a paused clock:
/// the same seed always gives the same report.
///
/// ```
/// use integration_tests::updates::{LossyScenario, run_lossy_blocking};
///
/// let scenario = LossyScenario { containers: 60, restart_after: Some(30), ..LossyScenario::default() };
/// let report = run_lossy_blocking(scenario)?;
/// assert!(report.problems().is_empty(), "{:?}", report.problems());
/// assert_eq!((report.runs, report.duplicates, report.lost), (2, 0, 0));
/// # Ok::<(), String>(())
/// ```
pub fn run_lossy_blocking(scenario: LossyScenario) -> Result<UpdatesReport, String> {
    run_lossy_blocking_on(scenario, &Store::Memory)
}

/// As [`run_lossy_blocking`] on `store`.
pub fn run_lossy_blocking_on(
    scenario: LossyScenario,
    store: &Store,
) -> Result<UpdatesReport, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .map_err(|e| format!("runtime: {e}"))?
        .block_on(run_lossy_on(scenario, store, None))
}
