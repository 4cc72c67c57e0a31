//! End-to-end tests of the composed msgkit crates, in one test binary:
//! VK callback → push registry, the updates manager over the fake Telegram
//! server across a restart, the auth key-store round trip, and the demo's
//! table formatter.

mod auth;
mod demo;
mod table;
mod updates;
mod vk_push;
