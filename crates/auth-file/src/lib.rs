//! `auth-persistence` backends on plain files.
//!
//! - [`CompatFolder`]: Baileys' multi-file folder (`creds.json` plus one
//!   `<family>-<id>.json` per key), readable and writable by Baileys'
//!   `useMultiFileAuthState`, with atomic writes, `.bak` fallback reads,
//!   an owner lock and typed errors where Baileys silently re-initialises.
//! - [`NativeStore`]: our own format, an append-only checksummed log with
//!   a versioned header and compaction; one append per batch, flat cost.
//! - [`migrate_compat_to_native`] / [`migrate_native_to_compat`]: staged,
//!   verified, atomic migrations between the two.
//!
//! ```
//! use std::sync::Arc;
//! use auth_file::{CompatFolder, CompatOptions, Durability};
//! use auth_persistence::AuthState;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let options = CompatOptions { durability: Durability::NoSync, ..CompatOptions::default() };
//! let state = AuthState::open(Arc::new(CompatFolder::open_with(dir.path(), options)?)).await?;
//! state.save_creds().await?;
//! # Ok(())
//! # }
//! ```
//!
//! What it deliberately does not do: cache or run transactions (the key
//! store in `auth-persistence` does), interpret Signal records, or detect
//! Baileys itself writing the same folder at the same time (Baileys takes
//! no lock).

mod atomic;
mod compat;
mod error;
#[cfg(feature = "testkit")]
pub mod interop;
mod locks;
mod migrate;
mod naming;
mod native;
mod owner;

pub use atomic::{CrashPoint, Durability};
pub use compat::{CompatFolder, CompatOptions};
pub use error::FileError;
pub use migrate::{migrate_compat_to_native, migrate_native_to_compat};
pub use naming::{CREDS_FILE, file_name};
pub use native::{LOG_FILE, NATIVE_FORMAT_VERSION, NativeOptions, NativeStore};
pub use owner::OWNER_LOCK_FILE;
