//! WhatsApp-Web auth state: the credentials and key types, the persistence
//! port, and a cached, transactional Signal key store over any backend.
//!
//! - [`AuthCreds`]: Baileys' `creds.json`, lossless; [`AuthCreds::fresh`]
//!   makes new credentials like Baileys' `initAuthCreds()` (XEdDSA-signed
//!   pre-key, see [`curve`]).
//! - [`Buffer`], [`KeyFamily`], [`values`]: bytes, key families and key
//!   values as Baileys stores them.
//! - [`Persistence`] / [`ContextPersistence`]: the backend ports;
//!   [`Dispatch`] applies BaileysEx's precedence rule between them;
//!   [`MemoryPersistence`] is the in-memory backend.
//! - [`KeyStore`]: batch get/set, read-through cache with negative caching
//!   and optional TTL, per-key FIFO transactions, commits with snapshot
//!   rollback and retries; [`AuthState`] bundles it with the credentials.
//! - [`transfer`]: copy a whole account between backends, verified.
//! - `conformance` (feature): the suite every backend crate runs.
//!
//! ```
//! use std::sync::Arc;
//! use auth_persistence::{AuthState, DataSet, KeyFamily, KeyPair, MemoryPersistence, values};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> auth_persistence::Result<()> {
//! let state = AuthState::open(Arc::new(MemoryPersistence::new())).await?;
//! let identity = &state.creds.signed_identity_key;
//! assert!(state.creds.signed_pre_key.verify(identity.public.as_slice()));
//!
//! // store a batch of pre-keys, as Baileys' getNextPreKeys does
//! let mut data = DataSet::new();
//! for id in 1..=5u32 {
//!     data.put(KeyFamily::PreKey, id.to_string(), values::encode(&KeyPair::generate()?)?);
//! }
//! state.keys.set(data).await?;
//! let got = state.keys.get(&KeyFamily::PreKey, &["1", "5", "6"]).await?;
//! assert_eq!(got.len(), 2);
//! state.save_creds().await?;
//! # Ok(())
//! # }
//! ```
//!
//! What it deliberately does not do: write files or databases (backends
//! live in `auth-file` and `auth-sqlite`), interpret Signal session or
//! sender-key records, or talk to WhatsApp.

pub mod buffer;
#[cfg(feature = "conformance")]
pub mod conformance;
mod creds;
pub mod curve;
mod dispatch;
mod error;
mod family;
mod fresh;
mod keystore;
mod memory;
mod port;
mod state;
pub mod transfer;
pub mod values;

pub use buffer::{Buffer, DecodeError};
pub use creds::{AccountSettings, AuthCreds, KeyPair, SignedKeyPair};
pub use dispatch::Dispatch;
pub use error::{BoxError, Error, Result};
pub use family::KeyFamily;
pub use fresh::{RandomSource, os_random};
pub use keystore::{DataSet, KeyStore, KeyStoreConfig, KeyStoreStats};
pub use memory::{KeyMap, MemoryPersistence};
pub use port::{ContextPersistence, KeyWrite, Persistence};
pub use state::AuthState;
