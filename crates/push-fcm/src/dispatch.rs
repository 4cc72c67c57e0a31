//! [`Dispatcher`]: sends batches of messages through an [`FcmClient`] with
//! the retry policy, at most `concurrency` at a time across all batches
//! and callers, removes dead tokens from the
//! [`DeviceStore`], and records exactly one [`Outcome`] per message.
//!
//! Two ways in, sharing the dispatcher-wide slots: [`run`](Dispatcher::run)
//! sends a batch and waits for it (at most `concurrency` worker tasks take
//! its jobs from one queue, each job under a slot, none spawned per
//! message); [`start`](Dispatcher::start) spawns each job once a slot is
//! free for it and returns when all have started, so a caller (the plugin,
//! receipt after receipt) keeps up to `concurrency` messages of many
//! batches in flight and waits, rather than queueing, when none is free.
//!
//! A message's slot is held through its retries: backing off on 429/503
//! slows the sender down, which is what Google asks for. Dropping a
//! [`run`](Dispatcher::run) future aborts its tasks; each then records
//! [`Outcome::Abandoned`] — as does every job still queued — and
//! [`settle`](Dispatcher::settle) waits for that. It does not build messages; the plugin does.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use push_core::DeviceStore;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument as _;

use crate::client::FcmClient;
use crate::message::Message;
use crate::outcome::{Outcome, OutcomeCallback, OutcomeGuard, OutcomeTotals, Owner, Recorder};
use crate::policy::{Backoff, RetryPolicy, Verdict};

/// How a [`Dispatcher`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatchConfig {
    /// Retry rules.
    pub policy: RetryPolicy,
    /// Most messages being sent (or backing off) at once.
    pub concurrency: usize,
    /// Send with `validate_only` (Tinode's `dry_run`).
    pub validate_only: bool,
    /// Seed of the retry jitter.
    pub seed: u64,
}

/// One message to send, with whose it is.
#[derive(Debug, Clone)]
pub struct Job {
    /// The receipt it comes from (0 outside receipts).
    pub receipt: u64,
    /// Whose message.
    pub owner: Owner,
    /// The message.
    pub message: Message,
}

#[derive(Default)]
struct Live {
    count: AtomicUsize,
    ended: Notify,
}

/// Counts a running task; the count drops when the task's future is
/// dropped (finished or aborted).
struct LiveTask(Arc<Live>);

impl LiveTask {
    fn new(live: &Arc<Live>) -> Self {
        live.count.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(live))
    }
}

impl Drop for LiveTask {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.ended.notify_waiters();
        }
    }
}

/// Sends messages with retries, bounded concurrency and outcome accounting.
pub struct Dispatcher {
    client: FcmClient,
    store: Option<Arc<dyn DeviceStore>>,
    config: DispatchConfig,
    slots: Arc<Semaphore>,
    recorder: Arc<Recorder>,
    live: Arc<Live>,
    jobs: Arc<AtomicU64>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("config", &self.config)
            .field("totals", &self.totals())
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `client`; dead tokens are deleted from `store`
    /// (without a store they are permanent failures); `callback` sees
    /// every outcome. `concurrency` 0 is taken as 1.
    pub fn new(
        client: FcmClient,
        store: Option<Arc<dyn DeviceStore>>,
        config: DispatchConfig,
        callback: Option<OutcomeCallback>,
    ) -> Self {
        Self {
            client,
            store,
            slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
            recorder: Arc::new(Recorder::new(callback)),
            live: Arc::default(),
            jobs: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Outcomes so far.
    pub fn totals(&self) -> OutcomeTotals {
        self.recorder.totals()
    }

    /// The client it sends with.
    pub fn client(&self) -> &FcmClient {
        &self.client
    }

    /// Sends every job; returns their outcomes, in job order, when all
    /// have ended.
    ///
    /// At most `concurrency` worker tasks take jobs from one queue; each
    /// takes a dispatcher-wide slot per job, so concurrent batches share
    /// the bound.
    pub async fn run(&self, jobs: Vec<Job>) -> Vec<Outcome> {
        let count = jobs.len();
        // Guards first: a job still queued when this future is dropped is
        // recorded as abandoned too (when the last worker lets go of it).
        let queue: VecDeque<(usize, OutcomeGuard)> = jobs
            .into_iter()
            .enumerate()
            // Boxed: a message with its platform blocks is over a kilobyte,
            // moved through the queue and into the send future otherwise.
            .map(|(index, job)| (index, self.guard(job)))
            .collect();
        let queue = Arc::new(Mutex::new(queue));
        let mut workers = JoinSet::new();
        for _ in 0..count.min(self.config.concurrency.max(1)) {
            let worker = Worker {
                client: self.client.clone(),
                store: self.store.clone(),
                validate_only: self.config.validate_only,
                policy: self.config.policy,
                seed: self.config.seed,
                jobs: Arc::clone(&self.jobs),
                slots: Arc::clone(&self.slots),
            };
            let span = tracing::debug_span!("fcm_dispatch_worker");
            workers.spawn(Tracked {
                work: Box::pin(worker.run(Arc::clone(&queue)).instrument(span)),
                _hold: (Arc::clone(&queue), LiveTask::new(&self.live)),
            });
        }
        drop(queue);
        let mut outcomes = vec![Outcome::Abandoned; count];
        while let Some(done) = workers.join_next().await {
            for (index, outcome) in done.unwrap_or_default() {
                outcomes[index] = outcome;
            }
        }
        outcomes
    }

    /// Waits until one of the `concurrency` slots is free (without taking
    /// it), so a caller can hold back work it would otherwise queue.
    pub async fn ready(&self) {
        let _free = self.slots.acquire().await;
    }

    /// Starts every job, each in a task of its own spawned once one of the
    /// dispatcher-wide slots is free (so at most `concurrency` such tasks
    /// exist across all callers), and returns when the last has started:
    /// a caller with more jobs than free slots waits here (backpressure).
    /// [`Started::outcomes`] then waits for their outcomes.
    ///
    /// Dropping this future abandons the jobs not yet started; dropping
    /// the [`Started`] aborts the started ones. Either way each records
    /// [`Outcome::Abandoned`], and [`settle`](Self::settle) waits for that.
    pub async fn start(&self, jobs: Vec<Job>) -> Started {
        let mut queue: VecDeque<OutcomeGuard> =
            jobs.into_iter().map(|job| self.guard(job)).collect();
        let mut tasks = Vec::with_capacity(queue.len());
        while !queue.is_empty() {
            let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else { break };
            let Some(guard) = queue.pop_front() else { break };
            let n = self.jobs.fetch_add(1, Ordering::Relaxed);
            let backoff = Backoff::new(
                self.config.policy,
                self.config.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let client = self.client.clone();
            let store = self.store.clone();
            let validate_only = self.config.validate_only;
            let work = async move {
                let _slot = slot;
                deliver(&client, store, validate_only, backoff, guard).await
            };
            let span = tracing::debug_span!("fcm_dispatch_job");
            let task =
                Tracked { work: Box::pin(work.instrument(span)), _hold: LiveTask::new(&self.live) };
            tasks.push(AbortOnDrop(tokio::spawn(task)));
        }
        Started { tasks }
    }

    fn guard(&self, job: Job) -> OutcomeGuard {
        OutcomeGuard::new(Arc::clone(&self.recorder), Box::new(job))
    }

    /// Waits until no task of this dispatcher is running (after a `run`
    /// future was dropped, its aborted tasks record `Abandoned` first).
    pub async fn settle(&self) {
        loop {
            let ended = self.live.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.live.count.load(Ordering::Acquire) == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// Jobs a [`Dispatcher::start`] started; dropping it aborts those still
/// running (each records [`Outcome::Abandoned`]).
#[derive(Debug)]
pub struct Started {
    tasks: Vec<AbortOnDrop>,
}

impl Started {
    /// How many jobs were started.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if none was.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for every started job's outcome, in job order.
    pub async fn outcomes(mut self) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(self.tasks.len());
        for task in &mut self.tasks {
            // A task that panicked dropped its guard: recorded abandoned.
            outcomes.push((&mut task.0).await.unwrap_or(Outcome::Abandoned));
        }
        outcomes
    }
}

/// A spawned job, aborted when dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<Outcome>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Queue = Arc<Mutex<VecDeque<(usize, OutcomeGuard)>>>;

/// A task's future, then what it holds (a worker: its hold on the queue
/// and its live count; a started job: its live count), dropped in that
/// order, so when the live count reaches zero every guard (in flight or
/// still queued) has recorded its outcome.
struct Tracked<F, H> {
    work: std::pin::Pin<Box<F>>,
    _hold: H,
}

impl<F: std::future::Future, H: Unpin> std::future::Future for Tracked<F, H> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        self.work.as_mut().poll(cx)
    }
}

/// What a worker needs, owned.
struct Worker {
    client: FcmClient,
    store: Option<Arc<dyn DeviceStore>>,
    validate_only: bool,
    policy: RetryPolicy,
    seed: u64,
    jobs: Arc<AtomicU64>,
    slots: Arc<Semaphore>,
}

impl Worker {
    /// Takes jobs until the queue is empty; returns (index, outcome) pairs.
    async fn run(self, queue: Queue) -> Vec<(usize, Outcome)> {
        let mut done = Vec::new();
        loop {
            let Ok(_slot) = self.slots.acquire().await else { break };
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
            let Some((index, guard)) = next else { break };
            let n = self.jobs.fetch_add(1, Ordering::Relaxed);
            let backoff =
                Backoff::new(self.policy, self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let store = self.store.clone();
            let outcome = deliver(&self.client, store, self.validate_only, backoff, guard).await;
            done.push((index, outcome));
        }
        done
    }
}

async fn deliver(
    client: &FcmClient,
    store: Option<Arc<dyn DeviceStore>>,
    validate_only: bool,
    mut backoff: Backoff,
    guard: OutcomeGuard,
) -> Outcome {
    // The guard (owning the job) is moved into the future, so an abort
    // records Abandoned.
    let job = guard.job();
    let mut attempts = 0;
    let mut last = None;
    let verdict = loop {
        attempts += 1;
        guard.set_attempts(attempts);
        let result = client.send_once(&job.message, validate_only).await;
        let verdict = backoff.decide(attempts, job.message.target.token().is_some(), &result);
        last = result.err().map(|e| e.to_string()).or(last);
        match verdict {
            Verdict::Retry(delay) => tokio::time::sleep(delay).await,
            verdict => break verdict,
        }
    };
    match verdict {
        Verdict::Delivered => guard.finish(Outcome::Delivered, None),
        Verdict::RemoveToken => {
            let removed = match (&store, &job.owner, job.message.target.token()) {
                (Some(store), Owner::User(uid), Some(token)) => {
                    store.delete(uid, token).await.map(|_| ()).map_err(|e| e.to_string())
                }
                _ => Err("dead token, but no device store to remove it from".to_owned()),
            };
            match removed {
                Ok(()) => {
                    tracing::info!("dead FCM token removed");
                    guard.finish(Outcome::TokenRemoved, last)
                }
                Err(error) => {
                    tracing::warn!(%error, "dead FCM token not removed");
                    guard.finish(
                        Outcome::PermanentFailure,
                        Some(format!("{} ({error})", last.unwrap_or_default())),
                    )
                }
            }
        }
        Verdict::Permanent => {
            tracing::warn!(error = last.as_deref().unwrap_or(""), "FCM send failed");
            guard.finish(Outcome::PermanentFailure, last)
        }
        Verdict::GaveUp | Verdict::Retry(_) => {
            tracing::warn!(attempts, error = last.as_deref().unwrap_or(""), "FCM send gave up");
            guard.finish(Outcome::FailedAfterRetries, last)
        }
    }
}
