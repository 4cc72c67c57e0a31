//! `Manager`: the async driver around the sans-IO [`Engine`]: loads state
//! at `auth`, queues pushed updates, runs RPCs concurrently (bounded for
//! channels), calls the handler one batch at a time and persists each
//! batch's checkpoint after the handler returned.
//!
//! It never blocks `handle` forever: once the run future ended (stop,
//! fatal error or drop) every pending and later `handle` returns
//! [`Error::NotRunning`].

mod load;
mod persist;
mod run;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::engine::Engine;
use crate::error::Error;
use crate::ports::{RawClient, StateWrite};
use crate::tl::{State, Updates};

/// Input queued by `handle` / `handle_affected`.
#[derive(Debug)]
enum Input {
    Updates(Updates),
    Affected { channel_id: Option<i64>, pts: i32, pts_count: i32 },
}

/// The live link between a manager and its run future.
#[derive(Debug)]
struct Live {
    tx: mpsc::Sender<Input>,
    stop: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Shared {
    live: Mutex<Option<Live>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The update manager. Cheap to clone; all clones drive the same run.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), updates_core::Error> {
/// use std::sync::Arc;
/// use updates_core::*;
///
/// struct Client;
/// #[async_trait::async_trait]
/// impl RawClient for Client {
///     async fn get_state(&self) -> Result<State, ClientError> {
///         Ok(State { pts: 100, qts: 0, date: 1, seq: 0 })
///     }
///     async fn get_difference(&self, r: GetDifference) -> Result<Difference, ClientError> {
///         Ok(Difference::Empty { date: r.date, seq: 0 })
///     }
///     async fn get_channel_difference(&self, r: GetChannelDifference) -> Result<ChannelDifference, ClientError> {
///         Ok(ChannelDifference::Empty { is_final: true, pts: r.pts, timeout: None })
///     }
/// }
///
/// struct Count(std::sync::atomic::AtomicUsize);
/// #[async_trait::async_trait]
/// impl Handler for Count {
///     async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
///         self.0.fetch_add(batch.updates.len(), std::sync::atomic::Ordering::SeqCst);
///         Ok(())
///     }
/// }
///
/// let handler = Arc::new(Count(Default::default()));
/// let manager = Manager::new(Config::new(handler.clone()));
/// let runner = manager.auth(Arc::new(Client), 42, false, true).await?;
/// let task = tokio::spawn(runner.run());
/// manager.handle(Updates::short(Update::new_message(1, 7, 101), 2)).await?;
/// manager.handle(Updates::short(Update::new_message(2, 7, 102), 2)).await?;
/// while handler.0.load(std::sync::atomic::Ordering::SeqCst) < 2 {
///     tokio::task::yield_now().await;
/// }
/// manager.stop();
/// task.await.expect("run task")?;
/// assert!(manager.handle(Updates::TooLong).await.is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Manager {
    config: Config,
    shared: Arc<Shared>,
}

/// The run future's state, returned by [`Manager::auth`].
#[must_use = "nothing happens until `run` is awaited"]
pub struct Runner {
    config: Config,
    shared: Arc<Shared>,
    client: Arc<dyn RawClient>,
    user_id: i64,
    engine: Engine,
    rx: mpsc::Receiver<Input>,
    stop: watch::Receiver<bool>,
    /// The common state last written successfully.
    persisted: State,
    /// A common state not written yet (its write failed).
    pending: Option<State>,
    /// Channel pts not written yet (their write failed).
    unsaved: std::collections::HashMap<i64, i32>,
    /// Inaccessible channels whose delete failed, retried after the next
    /// successful checkpoint.
    undeleted: std::collections::HashSet<i64>,
    /// The reused buffer of a checkpoint write.
    write: StateWrite,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("user_id", &self.user_id)
            .field("state", &self.engine.state())
            .finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager with `config`; nothing runs before [`Manager::auth`].
    pub fn new(config: Config) -> Manager {
        Manager { config, shared: Arc::new(Shared::default()) }
    }

    /// Loads the state of account `user_id` and returns the run future's
    /// state. `forget` overwrites the stored common state with
    /// `updates.getState` (updates missed while offline are skipped;
    /// stored channel pts are kept). Without a stored state the remote one
    /// is used as with `forget`. Stored channels without an access hash
    /// are skipped (reported through `on_channel_load_failed`).
    ///
    /// Fails with [`Error::AlreadyRunning`] while a run is alive, and with
    /// storage or `getState` errors.
    pub async fn auth(
        &self,
        client: Arc<dyn RawClient>,
        user_id: i64,
        is_bot: bool,
        forget: bool,
    ) -> Result<Runner, Error> {
        if self.shared.lock().as_ref().is_some_and(|l| !l.tx.is_closed()) {
            return Err(Error::AlreadyRunning);
        }
        let (engine, persisted) =
            load::start(&self.config, client.as_ref(), user_id, is_bot, forget).await?;
        let (tx, rx) = mpsc::channel(self.config.queue_capacity.max(1));
        let (stop_tx, stop) = watch::channel(false);
        {
            let mut live = self.shared.lock();
            if live.as_ref().is_some_and(|l| !l.tx.is_closed()) {
                return Err(Error::AlreadyRunning);
            }
            *live = Some(Live { tx, stop: stop_tx });
        }
        Ok(Runner {
            config: self.config.clone(),
            shared: Arc::clone(&self.shared),
            client,
            user_id,
            engine,
            rx,
            stop,
            persisted,
            pending: None,
            unsaved: std::collections::HashMap::new(),
            undeleted: std::collections::HashSet::new(),
            write: StateWrite::default(),
        })
    }

    fn sender(&self) -> Result<mpsc::Sender<Input>, Error> {
        self.shared.lock().as_ref().map(|l| l.tx.clone()).ok_or(Error::NotRunning)
    }

    /// Queues a container received from Telegram (pushed, or the result of
    /// an RPC). Waits while the queue is full; returns
    /// [`Error::NotRunning`] when no run is alive (never blocks forever).
    pub async fn handle(&self, updates: Updates) -> Result<(), Error> {
        self.sender()?.send(Input::Updates(updates)).await.map_err(|_| Error::NotRunning)
    }

    /// Queues the pts of a `messages.affectedMessages` / `affectedHistory`
    /// result (`channel_id = None` for the common box). pts 0 is ignored.
    pub async fn handle_affected(
        &self,
        channel_id: Option<i64>,
        pts: i32,
        pts_count: i32,
    ) -> Result<(), Error> {
        self.sender()?
            .send(Input::Affected { channel_id, pts, pts_count })
            .await
            .map_err(|_| Error::NotRunning)
    }

    /// Stops the run: later `handle` calls fail with
    /// [`Error::NotRunning`]; input already queued is still processed
    /// (deliveries, checkpoints, storage), but no new RPC is started and
    /// RPCs in flight are abandoned; then the run returns `Ok(())`.
    /// Buffered updates that wait for a difference are re-fetched by the
    /// next run's startup difference, since their state was not persisted.
    pub fn stop(&self) {
        if let Some(live) = self.shared.lock().take() {
            live.stop.send_replace(true);
        }
    }

    /// Whether a run is alive.
    pub fn is_running(&self) -> bool {
        self.shared.lock().as_ref().is_some_and(|l| !l.tx.is_closed())
    }
}

#[cfg(test)]
mod tests;
