//! `auth-persistence` backends on plain files.
//!
//! - [`CompatFolder`]: Baileys' multi-file folder (`creds.json` plus one
//!   `<family>-<id>.json` per key), readable and writable by Baileys'
//!   `useMultiFileAuthState`, with atomic writes, `.bak` fallback reads,
//!   an owner lock and typed errors where Baileys silently re-initialises.
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
mod locks;
mod naming;
mod owner;

pub use atomic::{CrashPoint, Durability};
pub use compat::{CompatFolder, CompatOptions};
pub use error::FileError;
pub use naming::{CREDS_FILE, file_name};
pub use owner::OWNER_LOCK_FILE;
