//! [`AuthState`]: credentials plus key store over one backend, like
//! Baileys' `useMultiFileAuthState` and BaileysEx's `use_*_auth_state`
//! helpers.
//!
//! Missing credentials mean a first run: fresh credentials are generated
//! and nothing is written until [`AuthState::save_creds`]. Corrupt
//! credentials are an error, never a silent new identity (the root cause
//! of the "creds.json is 0 bytes, had to re-pair" reports).

use std::sync::Arc;

use crate::creds::AuthCreds;
use crate::error::Result;
use crate::keystore::{KeyStore, KeyStoreConfig};
use crate::port::Persistence;

/// Credentials and keys of one account.
///
/// ```
/// use std::sync::Arc;
/// use auth_persistence::{AuthState, MemoryPersistence, Persistence};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_persistence::Result<()> {
/// let backend = Arc::new(MemoryPersistence::new());
/// let mut state = AuthState::open(backend.clone()).await?;
/// assert!(state.is_new);
/// assert!(backend.load_credentials().await?.is_none(), "nothing written yet");
///
/// state.creds.registered = true;
/// state.save_creds().await?;
/// let again = AuthState::open(backend).await?;
/// assert!(!again.is_new && again.creds.registered);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AuthState {
    /// The credentials; save them after every change with
    /// [`AuthState::save_creds`].
    pub creds: AuthCreds,
    /// The Signal key store.
    pub keys: KeyStore,
    /// Whether `creds` were generated because none were stored.
    pub is_new: bool,
}

impl AuthState {
    /// Loads the credentials (or makes fresh ones) and opens a key store
    /// with the default configuration.
    ///
    /// # Errors
    /// Backend errors and [`crate::Error::Corrupt`] from loading.
    pub async fn open(backend: Arc<dyn Persistence>) -> Result<Self> {
        Self::open_with(backend, KeyStoreConfig::default()).await
    }

    /// As [`AuthState::open`], with a key store configuration.
    ///
    /// # Errors
    /// As for [`AuthState::open`].
    pub async fn open_with(backend: Arc<dyn Persistence>, config: KeyStoreConfig) -> Result<Self> {
        let (creds, is_new) = match backend.load_credentials().await? {
            Some(creds) => (creds, false),
            None => (AuthCreds::fresh()?, true),
        };
        Ok(Self { creds, keys: KeyStore::with_config(backend, config), is_new })
    }

    /// Saves the credentials to the backend.
    ///
    /// # Errors
    /// The backend's.
    pub async fn save_creds(&self) -> Result<()> {
        self.keys.backend().save_credentials(&self.creds).await
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use serde_json::Value;

    use super::*;
    use crate::{Error, KeyFamily, MemoryPersistence};

    /// A backend whose credentials record is damaged.
    struct Damaged;

    #[async_trait]
    impl Persistence for Damaged {
        async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
            AuthCreds::from_json_str("{\"noiseKey\":").map(Some)
        }
        async fn save_credentials(&self, _: &AuthCreds) -> Result<()> {
            Ok(())
        }
        async fn load_key(&self, _: &KeyFamily, _: &str) -> Result<Option<Value>> {
            Ok(None)
        }
        async fn save_key(&self, _: &KeyFamily, _: &str, _: &Value) -> Result<()> {
            Ok(())
        }
        async fn delete_key(&self, _: &KeyFamily, _: &str) -> Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn corrupt_credentials_are_an_error_never_a_new_identity() {
        let error = AuthState::open(Arc::new(Damaged)).await.expect_err("corrupt");
        assert!(matches!(error, Error::Corrupt { .. }), "{error}");
    }

    #[tokio::test]
    async fn stored_credentials_are_loaded_unchanged() {
        let backend = Arc::new(MemoryPersistence::new());
        let first = AuthState::open(backend.clone()).await.expect("open");
        first.save_creds().await.expect("save");
        let second = AuthState::open(backend).await.expect("reopen");
        assert_eq!(second.creds, first.creds);
        assert!(!second.is_new);
    }
}
