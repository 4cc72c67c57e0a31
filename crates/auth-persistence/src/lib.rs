//! WhatsApp-Web auth state: the credentials and key types, the persistence
//! port, and a cached, transactional Signal key store over any backend.
//!
//! What it deliberately does not do: write files or databases; backends live
//! in `auth-file` and `auth-sqlite`.

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
pub mod values;

pub use buffer::{Buffer, DecodeError};
pub use creds::{AccountSettings, AuthCreds, KeyPair, SignedKeyPair};
pub use dispatch::Dispatch;
pub use error::{BoxError, Error, Result};
pub use family::KeyFamily;
pub use fresh::{RandomSource, os_random};
pub use keystore::{DataSet, KeyStore, KeyStoreConfig};
pub use memory::{KeyMap, MemoryPersistence};
pub use port::{ContextPersistence, KeyWrite, Persistence};
