//! Telegram update-state synchronisation: the pts/qts/seq and per-channel
//! pts gap engine, its ports and an in-memory state store.
//!
//! What it does: detects gaps in the update sequences a Telegram client
//! receives, recovers them with `updates.getDifference` and
//! `updates.getChannelDifference`, and delivers every update to a
//! [`Handler`] exactly once and in order, persisting state only after the
//! handler returned.
//!
//! What it deliberately does not do: speak MTProto, hold a connection, or
//! store state in a database. A client library plugs in through the
//! [`RawClient`] port; storage engines live in `updates-storage-sled` and
//! `updates-storage-sqlite`.
//!
//! # Layers
//! - [`tl`]: the TL subset as plain serde types;
//! - [`engine`]: the sans-IO state machine (no tokio, injected clock);
//! - [`Manager`]: the async driver (tokio) around it;
//! - ports: [`RawClient`], [`StateStorage`], [`ChannelAccessHasher`],
//!   [`Handler`]; [`MemoryStorage`] implements the two storage ports.
//!
//! # Delivery guarantee
//! - **Within a process**: every update is delivered exactly once, and in
//!   order within its box (common pts, qts, each channel). The handler is
//!   called from one task, one [`Batch`] at a time, so the order in which
//!   batches arrive is the order of processing across boxes too.
//! - **Across crashes**: at-least-once. A batch's [`Checkpoint`] is written
//!   only after the handler returned for that batch, so a crash between the
//!   two redelivers the batch on the next start (via the startup
//!   difference). A handler that needs exactly-once across crashes can
//!   store the checkpoint atomically with its own effects.
//! - A handler error is reported ([`Config::on_error`]) and the batch
//!   counts as delivered: it is not retried and its checkpoint is written.
//! - Storage errors are reported, never swallowed; the in-memory state is
//!   not affected, and the next checkpoint retries the write.
//! - Difference contents are authoritative: delivered once, directly;
//!   `channelDifference.timeout` is a poll hint only.
//! - Storage contract: `set_state` and `forget` keep stored channel pts.
//!
//! # Cost
//! An idle channel is one map entry (no task, no timer); one heap holds
//! every deadline; getChannelDifference calls are capped
//! ([`Config::max_channel_diffs`]); idle channels are not polled unless
//! [`Config::channel_poll`] is set.
//!
//! # Features
//! - `testkit`: `testkit::FakeServer`, a deterministic fake Telegram
//!   server for end-to-end tests of this crate and of its users.
//! - `conformance`: the [`StateStorage`] / [`ChannelAccessHasher`]
//!   conformance suite every storage backend runs.

mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod engine;
mod error;
mod manager;
mod memory;
mod ports;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tl;

pub use config::{Callback, ChannelCallback, Config, ErrorCallback};
pub use error::{ClientError, Error, HandlerError, StorageError};
pub use manager::{Manager, Runner};
pub use memory::MemoryStorage;
pub use ports::{
    Batch, ChannelAccessHasher, Checkpoint, Handler, RawClient, StateStorage, StateWrite,
};
pub use tl::{
    ChannelDifference, Chat, Difference, DifferenceBody, GetChannelDifference, GetDifference,
    InputChannel, Message, Peer, RpcError, State, Update, Updates, User,
};
