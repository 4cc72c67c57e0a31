//! The dyn-safe ports the manager talks to: the RPC client, state storage,
//! channel access hashes and the update handler.

mod client;
mod handler;
mod hasher;
mod storage;

pub use client::RawClient;
pub use handler::{Batch, Checkpoint, Handler};
pub use hasher::ChannelAccessHasher;
pub use storage::{StateStorage, StateWrite};
