//! [`Dispatcher`]: sends batches of messages through an [`FcmClient`] with
//! the retry policy, at most `concurrency` at a time across all batches
//! (a batch runs at most `concurrency` worker tasks that take jobs from
//! one queue, each job under a dispatcher-wide slot, so the number of
//! tasks is bounded and none is spawned per message), removes dead tokens from the
//! [`DeviceStore`], and records exactly one [`Outcome`] per message.
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
        let queue: VecDeque<(usize, OutcomeGuard, Box<Job>)> = jobs
            .into_iter()
            .enumerate()
            .map(|(index, job)| {
                let target = match &job.message.target {
                    crate::Target::Token(t)
                    | crate::Target::Topic(t)
                    | crate::Target::Condition(t) => t.clone(),
                };
                let recorder = Arc::clone(&self.recorder);
                // Boxed: a message with its platform blocks is over a kilobyte,
                // moved through the queue and into the send future otherwise.
                let guard = OutcomeGuard::new(recorder, job.receipt, job.owner.clone(), target);
                (index, guard, Box::new(job))
            })
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
                _queue: Arc::clone(&queue),
                _live: LiveTask::new(&self.live),
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

type Queue = Arc<Mutex<VecDeque<(usize, OutcomeGuard, Box<Job>)>>>;

/// A worker task's future, then its hold on the queue, then its live
/// count: dropped in that order, so when the count reaches zero every
/// guard (in flight or still queued) has recorded its outcome.
struct Tracked<F> {
    work: std::pin::Pin<Box<F>>,
    _queue: Queue,
    _live: LiveTask,
}

impl<F: std::future::Future> std::future::Future for Tracked<F> {
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
            let Some((index, guard, job)) = next else { break };
            let n = self.jobs.fetch_add(1, Ordering::Relaxed);
            let backoff =
                Backoff::new(self.policy, self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let store = self.store.clone();
            let outcome =
                deliver(&self.client, store, self.validate_only, backoff, guard, job).await;
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
    mut guard: OutcomeGuard,
    job: Box<Job>,
) -> Outcome {
    // The guard is moved into the future, so an abort records Abandoned.
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
            let owner = guard.owner().cloned();
            let removed = match (&store, owner, job.message.target.token()) {
                (Some(store), Some(Owner::User(uid)), Some(token)) => {
                    store.delete(&uid, token).await.map(|_| ()).map_err(|e| e.to_string())
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
