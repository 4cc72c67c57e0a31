//! WhatsApp-Web auth state: the persistence port, the credentials and key
//! types, and a cached, transactional Signal key store over any backend.
//!
//! Status: lands with its own issue; this crate has no API yet.
//!
//! What it deliberately does not do: write files or databases; backends live
//! in `auth-file` and `auth-sqlite`.
