//! `Config`: the handler, callbacks, storage ports and tuning of a
//! [`Manager`](crate::Manager).
//!
//! Storage and access hasher default to one shared [`MemoryStorage`];
//! callbacks default to logging through `tracing`.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::EngineConfig;
use crate::error::Error;
use crate::memory::MemoryStorage;
use crate::ports::{ChannelAccessHasher, Handler, StateStorage};

/// A callback taking a channel id.
pub type ChannelCallback = Arc<dyn Fn(i64) + Send + Sync>;
/// A callback without arguments.
pub type Callback = Arc<dyn Fn() + Send + Sync>;
/// A callback receiving a non-fatal error.
pub type ErrorCallback = Arc<dyn Fn(&Error) + Send + Sync>;

/// Manager configuration (builder style).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use updates_core::{Batch, Config, Handler, HandlerError};
///
/// struct Print;
/// #[async_trait::async_trait]
/// impl Handler for Print {
///     async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
///         tracing::info!(n = batch.updates.len(), "updates");
///         Ok(())
///     }
/// }
///
/// let config = Config::new(Arc::new(Print))
///     .gap_timeout(Duration::from_millis(300))
///     .max_channel_diffs(4)
///     .on_channel_too_long(|id| tracing::warn!(id, "channel reset"));
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) storage: Arc<dyn StateStorage>,
    pub(crate) hasher: Arc<dyn ChannelAccessHasher>,
    pub(crate) on_channel_too_long: ChannelCallback,
    pub(crate) on_channel_inaccessible: ChannelCallback,
    pub(crate) on_channel_load_failed: ChannelCallback,
    pub(crate) on_too_long: Callback,
    pub(crate) on_no_stored_state: Callback,
    pub(crate) on_error: ErrorCallback,
    pub(crate) gap_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) bot_channel_limit: i32,
    pub(crate) user_channel_limit: i32,
    pub(crate) max_channel_diffs: usize,
    pub(crate) max_pages: u32,
    pub(crate) channel_poll: Option<Duration>,
    pub(crate) catch_up_channels: bool,
    pub(crate) queue_capacity: usize,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("gap_timeout", &self.gap_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("bot_channel_limit", &self.bot_channel_limit)
            .field("user_channel_limit", &self.user_channel_limit)
            .field("max_channel_diffs", &self.max_channel_diffs)
            .field("max_pages", &self.max_pages)
            .field("channel_poll", &self.channel_poll)
            .field("catch_up_channels", &self.catch_up_channels)
            .field("queue_capacity", &self.queue_capacity)
            .finish_non_exhaustive()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: $ty) -> Config {
            self.$name = value;
            self
        }
    };
}

macro_rules! callback {
    ($(#[$doc:meta])* $name:ident($($arg:ty),*)) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, f: impl Fn($($arg),*) + Send + Sync + 'static) -> Config {
            self.$name = Arc::new(f);
            self
        }
    };
}

impl Config {
    /// Defaults around `handler`: in-memory storage and hasher (one shared
    /// [`MemoryStorage`]), gap timeout 500 ms, idle timeout 15 min,
    /// channel-difference limits 100000 (bot) / 100 (user), at most 8
    /// concurrent getChannelDifference, 1000 pages per difference round,
    /// no idle channel polling, stored channels caught up once at start,
    /// an input queue of 1024 containers.
    pub fn new(handler: Arc<dyn Handler>) -> Config {
        let memory = Arc::new(MemoryStorage::new());
        Config {
            handler,
            storage: memory.clone(),
            hasher: memory,
            on_channel_too_long: Arc::new(|id| tracing::info!(channel_id = id, "channel too long")),
            on_channel_inaccessible: Arc::new(|id| {
                tracing::info!(channel_id = id, "channel inaccessible")
            }),
            on_channel_load_failed: Arc::new(|id| {
                tracing::warn!(channel_id = id, "stored channel has no access hash: skipped")
            }),
            on_too_long: Arc::new(|| tracing::info!("difference too long")),
            on_no_stored_state: Arc::new(|| {
                tracing::info!("no stored state: starting from getState")
            }),
            on_error: Arc::new(|e| tracing::warn!(error = %e, "updates manager error")),
            gap_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(15 * 60),
            bot_channel_limit: 100_000,
            user_channel_limit: 100,
            max_channel_diffs: 8,
            max_pages: 1000,
            channel_poll: None,
            catch_up_channels: true,
            queue_capacity: 1024,
        }
    }

    /// Uses `storage` for the common and channel state.
    #[must_use]
    pub fn storage(mut self, storage: Arc<dyn StateStorage>) -> Config {
        self.storage = storage;
        self
    }

    /// Uses `hasher` for channel access hashes.
    #[must_use]
    pub fn access_hasher(mut self, hasher: Arc<dyn ChannelAccessHasher>) -> Config {
        self.hasher = hasher;
        self
    }

    setter!(
        /// How long a hole may stay open before a difference is fetched.
        gap_timeout: Duration
    );
    setter!(
        /// Fetch the common difference after this long without updates.
        idle_timeout: Duration
    );
    setter!(
        /// getChannelDifference `limit` for bots.
        bot_channel_limit: i32
    );
    setter!(
        /// getChannelDifference `limit` for users.
        user_channel_limit: i32
    );
    setter!(
        /// At most this many getChannelDifference in flight (min 1).
        max_channel_diffs: usize
    );
    setter!(
        /// Pages per difference round before stopping with
        /// [`Error::PageLimit`].
        max_pages: u32
    );
    setter!(
        /// Poll idle channels after this long (or the server's `timeout`
        /// hint); `None` never polls.
        channel_poll: Option<Duration>
    );
    setter!(
        /// Fetch every stored channel once at start (bounded by
        /// `max_channel_diffs`).
        catch_up_channels: bool
    );
    setter!(
        /// Containers `handle` may queue before it waits (min 1).
        queue_capacity: usize
    );
    callback!(
        /// Called when a channel's box was reset by
        /// `channelDifferenceTooLong`.
        on_channel_too_long(i64)
    );
    callback!(
        /// Called when a channel became inaccessible (`CHANNEL_PRIVATE`...)
        /// and was dropped.
        on_channel_inaccessible(i64)
    );
    callback!(
        /// Called at start for a stored channel without an access hash (it
        /// is not tracked).
        on_channel_load_failed(i64)
    );
    callback!(
        /// Called when `differenceTooLong` reset the common box.
        on_too_long()
    );
    callback!(
        /// Called at start when no state is stored (the remote state is
        /// used, as with `forget`).
        on_no_stored_state()
    );
    callback!(
        /// Called with every non-fatal error (storage, RPC, handler,
        /// paging, malformed input). Always also logged.
        on_error(&Error)
    );

    pub(crate) fn engine(&self, is_bot: bool) -> EngineConfig {
        EngineConfig {
            gap_timeout: self.gap_timeout,
            idle_timeout: self.idle_timeout,
            channel_diff_limit: if is_bot {
                self.bot_channel_limit
            } else {
                self.user_channel_limit
            },
            max_channel_diffs: self.max_channel_diffs.max(1),
            max_pages: self.max_pages.max(1),
            channel_poll: self.channel_poll,
            catch_up_channels: self.catch_up_channels,
            ..EngineConfig::new(is_bot)
        }
    }
}
