//! The integration crate: composes the msgkit crates end to end, and holds
//! the demo that `cargo xtask demo` runs (`src/bin/demo/`).
//!
//! What it holds:
//! - [`updates`]: the updates-core `Manager` on a `MemoryStorage` against
//!   the `testkit` fake Telegram server over a lossy network, with RPC
//!   counts by kind and an optional restart mid-stream;
//! - [`vk`]: a vk-callback server on `127.0.0.1:0` and a small HTTP/1
//!   client playing VK;
//! - [`push`]: a collecting push plugin and an in-memory writer for
//!   push-stdout;
//! - [`push_fcm`]: a registry with push-stdout and push-fcm against the
//!   loopback fake FCM, devices (some dead) and their outcomes;
//! - [`auth`]: fresh credentials and a transactional key-store round trip
//!   on auth-persistence's in-memory backend;
//! - [`auth_files`]: the same state in a Baileys folder (auth-file) across
//!   a restart, imported into SQLite (auth-sqlite) and exported back;
//! - [`bridge`] and [`telegram_push`]: the only cross-domain code — a VK
//!   `message_new`, or a Telegram message the updates manager delivers,
//!   becomes a push receipt offered to a push registry;
//! - [`Table`]: the plain-text tables the demo prints.
//!
//! The end-to-end tests (`tests/it/`) and the demo share these helpers.
//! Every scenario is deterministic: seeded randomness, a paused clock for
//! the updates engine, loopback sockets only.
//!
//! What it deliberately does not do: ship anything users depend on. It is
//! the only crate allowed to span several domains, and nothing depends on
//! it. The durable backends (sled, SQLite, files) are not composed here yet;
//! every scenario uses the in-memory stores.

pub mod auth;
pub mod auth_files;
pub mod bridge;
pub mod push;
pub mod push_fcm;
mod table;
pub mod telegram_push;
pub mod updates;
pub mod vk;

pub use table::Table;
