//! `updates-core` state storage on sled 0.34.7.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it will do: persist the update state, channel pts values and channel
//! access hashes of any number of accounts in one sled database.
//!
//! What it deliberately does not do: anything but storage; it depends on
//! `updates-core` only for the port it implements.
