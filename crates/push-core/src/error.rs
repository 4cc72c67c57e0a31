//! Every error push-core returns, one enum per operation.
//!
//! It does not define delivery errors: a handler's failure to deliver is
//! counted and logged, never returned to the pusher ([`DeliveryError`] is a
//! plain boxed error).

use std::error::Error as StdError;

/// The error a [`Deliver`](crate::Deliver) implementation reports for one
/// receipt or channel request; the [`Mailbox`](crate::Mailbox) counts it as
/// failed and logs it.
pub type DeliveryError = Box<dyn StdError + Send + Sync>;

/// Why a [`Handler`](crate::Handler) could not be initialised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The config is not the JSON the handler expects (wrong shape, wrong
    /// type, unknown or missing field).
    #[error("invalid config: {0}")]
    Config(#[source] serde_json::Error),
    /// The config parsed but a value is not acceptable.
    #[error("invalid config: {0}")]
    ConfigValue(String),
    /// `init` already succeeded once (enabled or disabled); handlers start
    /// once, like Tinode's.
    #[error("already initialized")]
    AlreadyInitialized,
    /// An enabled handler must be initialised inside a tokio runtime, which
    /// runs its worker.
    #[error("no tokio runtime to run the handler's worker")]
    NoRuntime,
    /// The handler's own resources failed (a credentials file, a socket).
    #[error("{0}")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

/// Why the [`Registry`](crate::Registry) refused a registration or a config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A handler with this name is already registered.
    #[error("push handler `{0}` is already registered")]
    DuplicateName(String),
    /// Handler names must not be empty.
    #[error("push handler name is empty")]
    EmptyName,
    /// The config is not a JSON array of `{"name": …, "config": …}`.
    #[error("failed to parse config: {0}")]
    Config(#[source] serde_json::Error),
    /// A handler's `init` failed; initialisation stopped there.
    #[error("push handler `{name}`: {source}")]
    Handler {
        /// The name the handler is registered under.
        name: String,
        /// What the handler reported.
        #[source]
        source: HandlerError,
    },
}

/// Why a [`ChannelReq`](crate::ChannelReq) is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelReqError {
    /// The user id is empty.
    #[error("channel request has no user id")]
    NoUser,
    /// Both a device and a channel were given; exactly one is allowed.
    #[error("channel request names both a device and a channel")]
    BothTargets,
    /// Neither a device nor a channel was given.
    #[error("channel request names neither a device nor a channel")]
    NoTarget,
}

/// Why a [`DeviceStore`](crate::DeviceStore) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceStoreError {
    /// The user id is empty.
    #[error("device store: user id is empty")]
    NoUser,
    /// The device token is empty.
    #[error("device store: device token is empty")]
    NoToken,
    /// The storage engine failed.
    #[error("device store backend: {0}")]
    Backend(#[source] Box<dyn StdError + Send + Sync>),
}

/// Why a [`Timestamp`](crate::Timestamp) could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text is not an RFC 3339 date-time.
    #[error("invalid timestamp `{input}`: {reason}")]
    Parse {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The instant is outside years 0000–9999, or nanoseconds are ≥ 10⁹.
    #[error("timestamp out of range (years 0000-9999)")]
    OutOfRange,
}
