//! Test doubles: a scripted `RawClient`, a recording `Handler` and a
//! storage wrapper that fails on demand.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::*;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A client answering from queues; unscripted calls get empty answers.
#[derive(Default)]
pub(super) struct Script {
    pub(super) log: Mutex<Vec<String>>,
    pub(super) remote: Mutex<State>,
    pub(super) diffs: Mutex<VecDeque<Result<Difference, ClientError>>>,
    pub(super) channels: Mutex<HashMap<i64, VecDeque<Result<ChannelDifference, ClientError>>>>,
    /// getDifference waits for a permit when set.
    pub(super) gate: Option<Arc<tokio::sync::Semaphore>>,
}

impl Script {
    pub(super) fn log(&self) -> Vec<String> {
        lock(&self.log).clone()
    }

    pub(super) fn diff(&self, d: Result<Difference, ClientError>) {
        lock(&self.diffs).push_back(d);
    }

    pub(super) fn channel(&self, id: i64, d: Result<ChannelDifference, ClientError>) {
        lock(&self.channels).entry(id).or_default().push_back(d);
    }
}

#[async_trait]
impl RawClient for Script {
    async fn get_state(&self) -> Result<State, ClientError> {
        lock(&self.log).push("state".into());
        Ok(*lock(&self.remote))
    }

    async fn get_difference(&self, r: GetDifference) -> Result<Difference, ClientError> {
        lock(&self.log).push(format!("gd {} {} {}", r.pts, r.qts, r.date));
        if let Some(gate) = &self.gate {
            let permit = gate.acquire().await.map_err(|e| ClientError::Transport(e.to_string()))?;
            permit.forget();
        }
        let scripted = lock(&self.diffs).pop_front();
        scripted.unwrap_or(Ok(Difference::Empty { date: r.date, seq: lock(&self.remote).seq }))
    }

    async fn get_channel_difference(
        &self,
        r: GetChannelDifference,
    ) -> Result<ChannelDifference, ClientError> {
        let id = r.channel.channel_id;
        lock(&self.log).push(format!("gcd {id} {} {}", r.pts, r.channel.access_hash));
        let scripted = lock(&self.channels).get_mut(&id).and_then(VecDeque::pop_front);
        scripted.unwrap_or(Ok(ChannelDifference::Empty {
            is_final: true,
            pts: r.pts,
            timeout: None,
        }))
    }
}

/// Records delivered labels and checkpoints; can fail chosen calls.
#[derive(Default)]
pub(super) struct Recorder {
    pub(super) seen: Mutex<Vec<String>>,
    pub(super) batches: Mutex<Vec<Batch>>,
    pub(super) fail_on_call: Mutex<Option<usize>>,
    calls: AtomicUsize,
}

impl Recorder {
    pub(super) fn seen(&self) -> Vec<String> {
        lock(&self.seen).clone()
    }

    /// Waits (in virtual time) until `n` updates were delivered.
    pub(super) async fn wait_for(&self, n: usize) {
        for _ in 0..100_000 {
            if lock(&self.seen).len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("only {:?} delivered, wanted {n}", self.seen());
    }
}

pub(super) fn label(u: &Update) -> String {
    match u {
        Update::NewMessage { message, .. } => format!("m{}", message.id),
        Update::NewChannelMessage { message, .. } => {
            format!("c{}:{}", message.channel_id().unwrap_or(0), message.id)
        }
        other => format!("{other:?}"),
    }
}

#[async_trait]
impl Handler for Recorder {
    async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        lock(&self.seen).extend(batch.updates.iter().map(label));
        lock(&self.batches).push(batch);
        if *lock(&self.fail_on_call) == Some(call) {
            return Err("handler refused".into());
        }
        Ok(())
    }
}

/// `MemoryStorage` that fails chosen operations.
#[derive(Default)]
pub(super) struct Flaky {
    pub(super) inner: MemoryStorage,
    /// Fail the next `n` checkpoint writes carrying a common state.
    pub(super) fail_set_pts: AtomicUsize,
    /// Fail the next `n` checkpoint writes carrying channel pts.
    pub(super) fail_set_channel: AtomicUsize,
    /// Fail the next `n` `delete_channel` calls.
    pub(super) fail_delete: AtomicUsize,
    /// Fail every `get_channel_pts`.
    pub(super) fail_get_channel: std::sync::atomic::AtomicBool,
}

fn boom() -> StorageError {
    StorageError::Backend("disk on fire".into())
}

/// Takes one failure from `left` if any is left.
fn take(left: &AtomicUsize) -> bool {
    left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

#[async_trait]
impl StateStorage for Flaky {
    async fn get_state(&self, user_id: i64) -> Result<Option<State>, StorageError> {
        self.inner.get_state(user_id).await
    }
    async fn set_state(&self, user_id: i64, state: State) -> Result<(), StorageError> {
        self.inner.set_state(user_id, state).await
    }
    async fn set_pts(&self, user_id: i64, pts: i32) -> Result<(), StorageError> {
        self.inner.set_pts(user_id, pts).await
    }
    async fn set_qts(&self, user_id: i64, qts: i32) -> Result<(), StorageError> {
        self.inner.set_qts(user_id, qts).await
    }
    async fn set_date(&self, user_id: i64, date: i32) -> Result<(), StorageError> {
        self.inner.set_date(user_id, date).await
    }
    async fn set_seq(&self, user_id: i64, seq: i32) -> Result<(), StorageError> {
        self.inner.set_seq(user_id, seq).await
    }
    async fn set_date_seq(&self, user_id: i64, date: i32, seq: i32) -> Result<(), StorageError> {
        self.inner.set_date_seq(user_id, date, seq).await
    }
    async fn get_channel_pts(&self, user_id: i64, id: i64) -> Result<Option<i32>, StorageError> {
        if self.fail_get_channel.load(Ordering::SeqCst) {
            return Err(boom());
        }
        self.inner.get_channel_pts(user_id, id).await
    }
    async fn set_channel_pts(&self, user_id: i64, id: i64, pts: i32) -> Result<(), StorageError> {
        self.inner.set_channel_pts(user_id, id, pts).await
    }
    async fn delete_channel(&self, user_id: i64, id: i64) -> Result<(), StorageError> {
        if take(&self.fail_delete) {
            return Err(boom());
        }
        self.inner.delete_channel(user_id, id).await
    }
    async fn write_checkpoint(&self, user_id: i64, write: &StateWrite) -> Result<(), StorageError> {
        if write.state.is_some() && take(&self.fail_set_pts) {
            return Err(boom());
        }
        if !write.channels.is_empty() && take(&self.fail_set_channel) {
            return Err(boom());
        }
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

/// Collects reported errors as strings.
pub(super) fn errors() -> (Arc<Mutex<Vec<String>>>, impl Fn(&Error) + Send + Sync + 'static) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let s = sink.clone();
    (sink, move |e: &Error| lock(&s).push(e.to_string()))
}

pub(super) fn counter() -> (Arc<Mutex<Vec<i64>>>, impl Fn(i64) + Send + Sync + 'static) {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let s = sink.clone();
    (sink, move |id| lock(&s).push(id))
}

pub(super) fn read<T: Clone>(m: &Mutex<T>) -> T {
    lock(m).clone()
}

pub(super) fn nm(p: i32) -> Updates {
    Updates::short(Update::new_message(p, 555, p), 5)
}

pub(super) fn state(pts: i32) -> State {
    State { pts, qts: 0, date: 1, seq: 0 }
}
