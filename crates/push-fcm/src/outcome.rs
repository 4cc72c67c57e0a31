//! Outcomes: what became of one message to one device (or channel topic),
//! counted and optionally reported to a callback. Every message a
//! [`Dispatcher`](crate::Dispatcher) takes ends with exactly one outcome:
//! an [`OutcomeGuard`] records [`Outcome::Abandoned`] if it is dropped
//! before anything else was recorded (the task was aborted at stop).
//!
//! It does not decide outcomes; the retry policy and the dispatcher do.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::dispatch::Job;
use crate::message::Target;

/// Whose message it is: a user (the device's owner) or a channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user id (`usr…`).
    User(String),
    /// A channel (FCM topic) name.
    Channel(String),
}

/// How one message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// FCM accepted it.
    Delivered,
    /// FCM said the token is dead, and it was removed from the device store.
    TokenRemoved,
    /// A failure retrying cannot fix (including a dead token that could
    /// not be removed).
    PermanentFailure,
    /// Transient failures until the retry policy gave up.
    FailedAfterRetries,
    /// Not finished when the handler stopped.
    Abandoned,
}

impl Outcome {
    /// Lower-case name, as in logs and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::TokenRemoved => "token_removed",
            Outcome::PermanentFailure => "permanent_failure",
            Outcome::FailedAfterRetries => "failed_after_retries",
            Outcome::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    /// The receipt's sequence number in this handler (0 for messages sent
    /// outside receipts).
    pub receipt: u64,
    /// Whose message.
    pub owner: Owner,
    /// The device token, or the topic for channel messages.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Send attempts made (0 if none was).
    pub attempts: u32,
    /// The last error, for failures.
    pub error: Option<String>,
}

/// Called once per outcome, from the delivering task; keep it quick.
pub type OutcomeCallback = Arc<dyn Fn(&OutcomeRecord) + Send + Sync>;

/// Totals per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeTotals {
    /// [`Outcome::Delivered`].
    pub delivered: u64,
    /// [`Outcome::TokenRemoved`].
    pub token_removed: u64,
    /// [`Outcome::PermanentFailure`].
    pub permanent_failure: u64,
    /// [`Outcome::FailedAfterRetries`].
    pub failed_after_retries: u64,
    /// [`Outcome::Abandoned`].
    pub abandoned: u64,
}

impl OutcomeTotals {
    /// All outcomes.
    pub fn total(&self) -> u64 {
        self.delivered
            + self.token_removed
            + self.permanent_failure
            + self.failed_after_retries
            + self.abandoned
    }
}

/// The outcome counters and the callback, shared by a dispatcher's tasks.
#[derive(Default)]
pub(crate) struct Recorder {
    counts: [AtomicU64; 5],
    callback: Option<OutcomeCallback>,
}

impl Recorder {
    pub(crate) fn new(callback: Option<OutcomeCallback>) -> Self {
        Self { counts: Default::default(), callback }
    }

    fn record(&self, record: &OutcomeRecord) {
        let slot = match record.outcome {
            Outcome::Delivered => 0,
            Outcome::TokenRemoved => 1,
            Outcome::PermanentFailure => 2,
            Outcome::FailedAfterRetries => 3,
            Outcome::Abandoned => 4,
        };
        self.counts[slot].fetch_add(1, Relaxed);
        if let Some(callback) = &self.callback {
            callback(record);
        }
    }

    pub(crate) fn totals(&self) -> OutcomeTotals {
        let [delivered, token_removed, permanent_failure, failed_after_retries, abandoned] =
            self.counts.each_ref().map(|c| c.load(Relaxed));
        OutcomeTotals {
            delivered,
            token_removed,
            permanent_failure,
            failed_after_retries,
            abandoned,
        }
    }
}

/// Records exactly one outcome for one message: the one given to
/// [`finish`](Self::finish), or [`Outcome::Abandoned`] when dropped
/// unfinished. It owns the job, so the record takes the job's owner and
/// target when it is made, without copying them beforehand.
pub(crate) struct OutcomeGuard {
    recorder: Arc<Recorder>,
    job: Box<Job>,
    attempts: AtomicU32,
    done: bool,
}

impl OutcomeGuard {
    pub(crate) fn new(recorder: Arc<Recorder>, job: Box<Job>) -> Self {
        Self { recorder, job, attempts: AtomicU32::new(0), done: false }
    }

    /// The job it will record the outcome of.
    pub(crate) fn job(&self) -> &Job {
        &self.job
    }

    pub(crate) fn set_attempts(&self, attempts: u32) {
        self.attempts.store(attempts, Relaxed);
    }

    pub(crate) fn finish(mut self, outcome: Outcome, error: Option<String>) -> Outcome {
        self.record(outcome, error);
        outcome
    }

    fn record(&mut self, outcome: Outcome, error: Option<String>) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let job = &mut *self.job;
        let target = match &mut job.message.target {
            Target::Token(t) | Target::Topic(t) | Target::Condition(t) => std::mem::take(t),
        };
        let record = OutcomeRecord {
            receipt: job.receipt,
            owner: std::mem::replace(&mut job.owner, Owner::User(String::new())),
            target,
            outcome,
            attempts: self.attempts.load(Relaxed),
            error,
        };
        self.recorder.record(&record);
    }
}

impl Drop for OutcomeGuard {
    fn drop(&mut self) {
        self.record(Outcome::Abandoned, None);
    }
}
