//! The persistence ports: [`Persistence`] (context-free) and
//! [`ContextPersistence`] (context-aware), plus [`KeyWrite`] for batches.
//!
//! Both mirror BaileysEx's `Auth.Persistence` behaviour: credentials and
//! keys by (family, id), absence as `Ok(None)`, damage as
//! [`Error::Corrupt`]. Beyond BaileysEx they enumerate ids
//! ([`Persistence::list_ids`]), take whole batches so a backend can commit
//! atomically ([`Persistence::write_batch`]) and can be flushed. Choosing
//! between the two forms is [`crate::Dispatch`]'s job; caching and
//! transactions are [`crate::KeyStore`]'s.

use async_trait::async_trait;
use serde_json::Value;

use crate::creds::AuthCreds;
use crate::error::{Error, Result};
use crate::family::KeyFamily;

/// One write of a batch: `Some(value)` saves, `None` deletes.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyWrite {
    /// The key family.
    pub family: KeyFamily,
    /// The id within the family.
    pub id: String,
    /// The new value, or `None` to delete.
    pub value: Option<Value>,
}

impl KeyWrite {
    /// A save of `value`.
    pub fn save(family: KeyFamily, id: impl Into<String>, value: Value) -> Self {
        Self { family, id: id.into(), value: Some(value) }
    }

    /// A deletion.
    pub fn delete(family: KeyFamily, id: impl Into<String>) -> Self {
        Self { family, id: id.into(), value: None }
    }
}

pub(crate) fn unsupported(operation: &'static str) -> Error {
    Error::Unsupported { operation, reason: "the backend does not implement it" }
}

/// A context-free persistence backend (BaileysEx's arity-0..3 callbacks).
///
/// Implementations must be safe to call concurrently; [`crate::KeyStore`]
/// serialises commits but not reads.
#[async_trait]
pub trait Persistence: Send + Sync {
    /// Loads the credentials; `Ok(None)` when none were ever saved.
    async fn load_credentials(&self) -> Result<Option<AuthCreds>>;

    /// Saves the credentials, replacing the previous record.
    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()>;

    /// Loads one key; `Ok(None)` when absent.
    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>>;

    /// Saves one key.
    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()>;

    /// Deletes one key; deleting an absent key is `Ok`.
    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()>;

    /// Loads several keys of one family, in `ids` order. The default calls
    /// [`Persistence::load_key`] per id.
    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.load_key(family, id).await?);
        }
        Ok(out)
    }

    /// Every stored id of `family`, in any order. The default is
    /// [`Error::Unsupported`].
    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        let _ = family;
        Err(unsupported("list_ids"))
    }

    /// Every family with at least one stored key, so `clear` also finds
    /// families this process never saw. The default is
    /// [`Error::Unsupported`] (the key store then falls back to the ten
    /// known families plus those it has seen).
    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        Err(unsupported("list_families"))
    }

    /// Applies writes in order. The default calls
    /// [`Persistence::save_key`] / [`Persistence::delete_key`] one by one
    /// (not atomic); backends that can should apply the batch atomically.
    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        for write in writes {
            match &write.value {
                Some(value) => self.save_key(&write.family, &write.id, value).await?,
                None => self.delete_key(&write.family, &write.id).await?,
            }
        }
        Ok(())
    }

    /// Makes every completed write durable. The default does nothing.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }
}

/// The context-aware twin of [`Persistence`]: every call takes the
/// configured context first (BaileysEx passes e.g. a directory path).
#[async_trait]
pub trait ContextPersistence<C: Send + Sync>: Send + Sync {
    /// Loads the credentials of `ctx`.
    async fn load_credentials(&self, ctx: &C) -> Result<Option<AuthCreds>>;

    /// Saves the credentials of `ctx`.
    async fn save_credentials(&self, ctx: &C, creds: &AuthCreds) -> Result<()>;

    /// Loads one key of `ctx`.
    async fn load_key(&self, ctx: &C, family: &KeyFamily, id: &str) -> Result<Option<Value>>;

    /// Saves one key of `ctx`.
    async fn save_key(&self, ctx: &C, family: &KeyFamily, id: &str, value: &Value) -> Result<()>;

    /// Deletes one key of `ctx`; absent is `Ok`.
    async fn delete_key(&self, ctx: &C, family: &KeyFamily, id: &str) -> Result<()>;

    /// Every stored id of `family` in `ctx`. Default: unsupported.
    async fn list_ids(&self, ctx: &C, family: &KeyFamily) -> Result<Vec<String>> {
        let _ = (ctx, family);
        Err(unsupported("list_ids"))
    }

    /// Every family with a stored key in `ctx`. Default: unsupported.
    async fn list_families(&self, ctx: &C) -> Result<Vec<KeyFamily>> {
        let _ = ctx;
        Err(unsupported("list_families"))
    }

    /// Applies writes in order; the default goes one by one.
    async fn write_batch(&self, ctx: &C, writes: &[KeyWrite]) -> Result<()> {
        for write in writes {
            match &write.value {
                Some(value) => self.save_key(ctx, &write.family, &write.id, value).await?,
                None => self.delete_key(ctx, &write.family, &write.id).await?,
            }
        }
        Ok(())
    }

    /// Makes every completed write of `ctx` durable. Default: nothing.
    async fn flush(&self, ctx: &C) -> Result<()> {
        let _ = ctx;
        Ok(())
    }
}
