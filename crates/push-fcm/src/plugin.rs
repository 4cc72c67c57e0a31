//! The push-core plugin: [`FcmHandler`], registered as `fcm`, which turns
//! receipts into FCM messages (`payload`), sends them through a
//! [`Dispatcher`](crate::Dispatcher) and carries out channel requests as
//! topic (un)subscriptions; its config is Tinode's (`config`).
//!
//! It does not build receipts or store devices; push-core's ports do.

mod config;
mod handler;
mod payload;

pub use config::{
    DEFAULT_BUFFER, DEFAULT_CONCURRENCY, DEFAULT_TIME_TO_LIVE, FcmConfig, PlatformConfig, Texts,
};
pub use handler::{FcmHandler, NAME, UserChannels};
