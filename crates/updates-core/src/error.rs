//! Error enums: storage failures, client (RPC/transport) failures, handler
//! failures and the manager's own errors.
//!
//! Engine types never leak a storage engine's error type: backends wrap
//! theirs into [`StorageError::Backend`].

use crate::tl::RpcError;

/// An error returned by the user's [`Handler`](crate::Handler).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A [`StateStorage`](crate::StateStorage) or
/// [`ChannelAccessHasher`](crate::ChannelAccessHasher) failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A partial setter was called for an account with no stored state.
    #[error("no state stored for user {user_id}")]
    StateNotFound {
        /// The account.
        user_id: i64,
    },
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {what}")]
    Corrupt {
        /// What was wrong.
        what: String,
    },
    /// The storage engine failed.
    #[error("storage backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A [`RawClient`](crate::RawClient) failure.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Telegram answered with an RPC error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The request never got an answer (connection lost, timeout...).
    #[error("transport failed: {0}")]
    Transport(String),
}

impl ClientError {
    /// The RPC error, if Telegram answered with one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            ClientError::Rpc(e) => Some(e),
            ClientError::Transport(_) => None,
        }
    }

    /// Whether the manager must stop (authorization lost).
    pub fn is_fatal(&self) -> bool {
        self.rpc().is_some_and(RpcError::is_fatal)
    }
}

/// Errors of the [`Manager`](crate::Manager), returned by its methods or
/// reported through [`Config::on_error`](crate::Config::on_error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing state failed.
    #[error("state storage failed while {during}")]
    Storage {
        /// What the manager was doing.
        during: &'static str,
        /// The cause.
        #[source]
        source: StorageError,
    },
    /// An RPC failed.
    #[error("{method} failed")]
    Client {
        /// `updates.getState`, `updates.getDifference` or
        /// `updates.getChannelDifference`.
        method: &'static str,
        /// The cause.
        #[source]
        source: ClientError,
    },
    /// The handler returned an error; the batch counts as delivered.
    #[error("update handler failed")]
    Handler(#[source] HandlerError),
    /// Difference paging stopped because the server made no progress.
    #[error("difference paging made no progress at pts {pts}")]
    NoProgress {
        /// `None` for the common box, else the channel.
        channel_id: Option<i64>,
        /// The position that did not advance.
        pts: i32,
    },
    /// Difference paging stopped at the configured page cap.
    #[error("difference paging stopped after {pages} pages")]
    PageLimit {
        /// `None` for the common box, else the channel.
        channel_id: Option<i64>,
        /// Pages fetched in this round.
        pages: u32,
    },
    /// An update that cannot be sequenced was delivered as unsequenced.
    #[error("malformed update: {reason}")]
    MalformedUpdate {
        /// What was wrong.
        reason: &'static str,
    },
    /// Updates for a channel were dropped: no access hash could be found.
    #[error("no access hash for channel {channel_id}; {dropped} update(s) dropped")]
    UnknownChannel {
        /// The channel.
        channel_id: i64,
        /// How many live updates were dropped.
        dropped: usize,
    },
    /// `auth` was called while the manager is running.
    #[error("the manager is already running")]
    AlreadyRunning,
    /// `handle` was called while no `run` future is alive.
    #[error("the manager is not running")]
    NotRunning,
}
