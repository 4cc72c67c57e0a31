//! The integration crate: composes the msgkit crates end to end.
//!
//! Status: scenarios land with the crates they compose; this crate has no
//! helpers yet.
//!
//! What it will hold: fakes on loopback (a Telegram server, an FCM server, a
//! VK client), helpers shared by the scenarios in `tests/it/`, and the demo
//! that `cargo xtask demo` runs.
//!
//! What it deliberately does not do: ship anything users depend on. It is the
//! only crate allowed to span several domains, and nothing depends on it.
