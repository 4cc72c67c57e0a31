//! An `auth-persistence` backend on SQLite: one file instead of thousands.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it deliberately does not do: cache or lock; the key store in
//! `auth-persistence` does that.
