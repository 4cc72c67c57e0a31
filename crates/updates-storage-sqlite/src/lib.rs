//! `updates-core` state storage on SQLite (rusqlite, bundled):
//! [`SqliteStorage`] implements
//! [`StateStorage`](updates_core::StateStorage) and
//! [`ChannelAccessHasher`](updates_core::ChannelAccessHasher) for any
//! number of accounts in one database file.
//!
//! What it does: opens a file in WAL mode (or adopts a
//! `rusqlite::Connection` the application already uses, with a table
//! prefix), keeps a schema-version table and runs forward migrations on
//! open, refuses corrupt, foreign or newer data and unwritable files with
//! a typed [`OpenError`], and stores each checkpoint in one transaction
//! with `synchronous=FULL` or `NORMAL` ([`Synchronous`]).
//!
//! What it deliberately does not do: decide anything about updates (that
//! is `updates-core`), downgrade a schema, or retry failed writes (the
//! manager does).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use updates_core::{Batch, Config, Handler, HandlerError};
//! use updates_storage_sqlite::SqliteStorage;
//!
//! struct Print;
//! #[async_trait::async_trait]
//! impl Handler for Print {
//!     async fn handle(&self, batch: Batch) -> Result<(), HandlerError> {
//!         Ok(())
//!     }
//! }
//!
//! let file = std::env::temp_dir().join(format!("updates-sqlite-lib-{}.db", std::process::id()));
//! let storage = Arc::new(SqliteStorage::open(&file)?);
//! let config = Config::new(Arc::new(Print)).storage(storage.clone()).access_hasher(storage);
//! # drop(config);
//! # for ext in ["", "-wal", "-shm"] { std::fs::remove_file(format!("{}{ext}", file.display())).ok(); }
//! # Ok(())
//! # }
//! ```

mod error;
mod options;
mod ports;
mod schema;
mod storage;

pub use error::OpenError;
pub use options::{Options, Synchronous};
pub use storage::SqliteStorage;
