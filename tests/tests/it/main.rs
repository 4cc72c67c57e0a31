//! End-to-end tests of the composed msgkit crates, in one test binary:
//! VK callback → push registry, the updates manager over the fake Telegram
//! server across a restart, the auth key-store round trip, the demo's
//! table formatter, and the demo binary itself.

mod auth;
mod auth_files;
mod demo;
mod fcm_push;
mod table;
mod telegram_push;
mod updates;
mod updates_sled;
mod vk_push;
