//! Telegram update-state synchronisation: the pts/qts/seq and per-channel pts
//! gap engine, its ports and an in-memory state store.
//!
//! Status: the engine lands with its own issue; this crate has no API yet.
//!
//! What it will do: detect gaps in the update sequences a Telegram client
//! receives, recover them with `updates.getDifference` and
//! `updates.getChannelDifference`, and deliver every update exactly once and
//! in order to a handler, persisting state only after the handler returned.
//!
//! What it deliberately does not do: speak MTProto, hold a connection, or
//! store state in a database. A client library plugs in through the
//! `RawClient` port; storage engines live in `updates-storage-sled` and
//! `updates-storage-sqlite`.
