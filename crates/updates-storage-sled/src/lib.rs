//! `updates-core` state storage on sled 0.34.7: [`SledStorage`] implements
//! [`StateStorage`](updates_core::StateStorage) and
//! [`ChannelAccessHasher`](updates_core::ChannelAccessHasher) for any
//! number of accounts in one sled database.
//!
//! What it does: opens a folder (or adopts a `sled::Db` the application
//! already uses, with a tree-name prefix), refuses corrupt, foreign or
//! newer data and a folder another process holds with a typed
//! [`OpenError`], stores each checkpoint atomically, and flushes per
//! checkpoint or in the background ([`Durability`]).
//!
//! What it deliberately does not do: decide anything about updates (that
//! is `updates-core`), migrate from other stores, or retry failed writes
//! (the manager does).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use updates_core::{Batch, Config, Handler, HandlerError};
//! use updates_storage_sled::SledStorage;
//!
//! struct Print;
//! #[async_trait::async_trait]
//! impl Handler for Print {
//!     async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
//!         Ok(())
//!     }
//! }
//!
//! let dir = std::env::temp_dir().join(format!("updates-sled-lib-{}", std::process::id()));
//! let storage = Arc::new(SledStorage::open(&dir)?);
//! let config = Config::new(Arc::new(Print)).storage(storage.clone()).access_hasher(storage);
//! # drop(config);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

mod error;
mod keys;
mod options;
mod ports;
mod storage;

pub use error::OpenError;
pub use options::{Durability, Options};
pub use storage::SledStorage;
