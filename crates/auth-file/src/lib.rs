//! An `auth-persistence` backend on plain files, readable and writable by
//! Baileys' `useMultiFileAuthState`.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it deliberately does not do: cache or lock; the key store in
//! `auth-persistence` does that.
