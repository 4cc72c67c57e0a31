//! [`Dispatcher`]: sends batches of messages through an [`FcmClient`] with
//! the retry policy, at most `concurrency` at a time across all batches
//! (a task is spawned only when a slot is free, so there is never an
//! unbounded number of tasks), removes dead tokens from the
//! [`DeviceStore`], and records exactly one [`Outcome`] per message.
//!
//! A message's slot is held through its retries: backing off on 429/503
//! slows the sender down, which is what Google asks for. Dropping a
//! [`run`](Dispatcher::run) future aborts its tasks; each then records
//! [`Outcome::Abandoned`], and [`settle`](Dispatcher::settle) waits for
//! that. It does not build messages; the plugin does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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
    jobs: AtomicU64,
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
            jobs: AtomicU64::new(0),
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
    pub async fn run(&self, jobs: Vec<Job>) -> Vec<Outcome> {
        let count = jobs.len();
        // Guards first: a job still waiting for a slot when this future is
        // dropped is recorded as abandoned too.
        let mut waiting: VecDeque<(usize, OutcomeGuard, Job)> = jobs
            .into_iter()
            .enumerate()
            .map(|(index, job)| {
                let target = match &job.message.target {
                    crate::Target::Token(t)
                    | crate::Target::Topic(t)
                    | crate::Target::Condition(t) => t.clone(),
                };
                let guard = OutcomeGuard::new(
                    Arc::clone(&self.recorder),
                    job.receipt,
                    job.owner.clone(),
                    target,
                );
                (index, guard, job)
            })
            .collect();
        let mut outcomes = vec![Outcome::Abandoned; count];
        let mut tasks = JoinSet::new();
        while let Some((index, guard, job)) = waiting.pop_front() {
            let permit = tokio::select! {
                biased;
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok((i, outcome)) = done { outcomes[i] = outcome; }
                    waiting.push_front((index, guard, job));
                    continue;
                }
                permit = Arc::clone(&self.slots).acquire_owned() => permit,
            };
            let Ok(permit) = permit else { break };
            let live = LiveTask::new(&self.live);
            let seed = self.config.seed
                ^ self.jobs.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9);
            let backoff = Backoff::new(self.config.policy, seed);
            let span = tracing::debug_span!("fcm_deliver", receipt = job.receipt);
            let work = deliver(
                self.client.clone(),
                self.store.clone(),
                self.config.validate_only,
                backoff,
                guard,
                job,
            );
            tasks.spawn(
                async move {
                    let _live = live;
                    let _permit = permit;
                    (index, work.await)
                }
                .instrument(span),
            );
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok((index, outcome)) = done {
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

async fn deliver(
    client: FcmClient,
    store: Option<Arc<dyn DeviceStore>>,
    validate_only: bool,
    mut backoff: Backoff,
    mut guard: OutcomeGuard,
    job: Job,
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
