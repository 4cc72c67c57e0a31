//! `updates-core` state storage on SQLite (rusqlite, bundled).
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it will do: persist the update state, channel pts values and channel
//! access hashes of any number of accounts in one SQLite file.
//!
//! What it deliberately does not do: anything but storage; it depends on
//! `updates-core` only for the port it implements.
