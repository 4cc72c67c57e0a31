//! [`Dispatch`]: BaileysEx's precedence rule between the context-free and
//! the context-aware port, resolved once into one `Arc<dyn Persistence>`.
//!
//! Rust has no arity dispatch, so the two forms are two traits and the
//! choice is made when the store is built rather than per call: that keeps
//! the hot path a single virtual call and makes a misconfiguration visible
//! as [`Error::Unsupported`] on the first operation, with no panic. The
//! rule: a configured context plus a context-aware implementation → that
//! implementation with exactly that context; otherwise the context-free
//! implementation; otherwise every operation is `Unsupported`.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::creds::AuthCreds;
use crate::error::{Error, Result};
use crate::family::KeyFamily;
use crate::port::{ContextPersistence, KeyWrite, Persistence};

/// Builder choosing the implementation a [`crate::KeyStore`] talks to.
///
/// ```
/// use std::sync::Arc;
/// use auth_persistence::{Dispatch, KeyFamily, MemoryPersistence, Persistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_persistence::Result<()> {
/// let memory = Arc::new(MemoryPersistence::new());
/// // a context is configured and the backend is context-aware: it is used
/// let backend = Dispatch::new()
///     .context_free(memory.clone())
///     .context_aware(memory.clone())
///     .context("account-1".to_owned())
///     .resolve();
/// backend.save_key(&KeyFamily::PreKey, "1", &json!("v")).await?;
/// assert!(memory.keys_of(Some("account-1")).len() == 1);
/// assert!(memory.keys_of(None).is_empty());
///
/// // a context-only backend without a context is a typed error
/// let none = Dispatch::<String>::new().context_aware(memory).resolve();
/// assert!(none.load_credentials().await.expect_err("no context").is_unsupported());
/// # Ok(())
/// # }
/// ```
pub struct Dispatch<C> {
    context_free: Option<Arc<dyn Persistence>>,
    context_aware: Option<Arc<dyn ContextPersistence<C>>>,
    context: Option<C>,
}

impl<C: Send + Sync + 'static> Default for Dispatch<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Send + Sync + 'static> Dispatch<C> {
    /// Nothing configured yet.
    pub fn new() -> Self {
        Self { context_free: None, context_aware: None, context: None }
    }

    /// The context-free implementation.
    #[must_use]
    pub fn context_free(mut self, backend: Arc<dyn Persistence>) -> Self {
        self.context_free = Some(backend);
        self
    }

    /// The context-aware implementation.
    #[must_use]
    pub fn context_aware(mut self, backend: Arc<dyn ContextPersistence<C>>) -> Self {
        self.context_aware = Some(backend);
        self
    }

    /// The configured context.
    #[must_use]
    pub fn context(mut self, context: C) -> Self {
        self.context = Some(context);
        self
    }

    /// Applies the precedence rule.
    pub fn resolve(self) -> Arc<dyn Persistence> {
        match (self.context_aware, self.context, self.context_free) {
            (Some(inner), Some(ctx), _) => Arc::new(Bound { inner, ctx }),
            (_, _, Some(free)) => free,
            (Some(_), None, None) => Arc::new(Unavailable {
                reason: "the backend is context-aware only and no context is configured",
            }),
            (None, _, None) => Arc::new(Unavailable { reason: "no backend is configured" }),
        }
    }
}

/// A context-aware backend bound to its context.
struct Bound<C> {
    inner: Arc<dyn ContextPersistence<C>>,
    ctx: C,
}

#[async_trait]
impl<C: Send + Sync + 'static> Persistence for Bound<C> {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.inner.load_credentials(&self.ctx).await
    }

    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.inner.save_credentials(&self.ctx, creds).await
    }

    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        self.inner.load_key(&self.ctx, family, id).await
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.inner.save_key(&self.ctx, family, id, value).await
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.inner.delete_key(&self.ctx, family, id).await
    }

    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        self.inner.list_ids(&self.ctx, family).await
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        self.inner.list_families(&self.ctx).await
    }

    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        self.inner.write_batch(&self.ctx, writes).await
    }

    async fn flush(&self) -> Result<()> {
        self.inner.flush(&self.ctx).await
    }
}

/// Answers every operation with [`Error::Unsupported`].
struct Unavailable {
    reason: &'static str,
}

impl Unavailable {
    fn fail<T>(&self, operation: &'static str) -> Result<T> {
        Err(Error::Unsupported { operation, reason: self.reason })
    }
}

#[async_trait]
impl Persistence for Unavailable {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        self.fail("load_credentials")
    }

    async fn save_credentials(&self, _: &AuthCreds) -> Result<()> {
        self.fail("save_credentials")
    }

    async fn load_key(&self, _: &KeyFamily, _: &str) -> Result<Option<Value>> {
        self.fail("load_key")
    }

    async fn save_key(&self, _: &KeyFamily, _: &str, _: &Value) -> Result<()> {
        self.fail("save_key")
    }

    async fn delete_key(&self, _: &KeyFamily, _: &str) -> Result<()> {
        self.fail("delete_key")
    }

    async fn list_ids(&self, _: &KeyFamily) -> Result<Vec<String>> {
        self.fail("list_ids")
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        self.fail("list_families")
    }

    async fn write_batch(&self, _: &[KeyWrite]) -> Result<()> {
        self.fail("write_batch")
    }

    async fn flush(&self) -> Result<()> {
        self.fail("flush")
    }
}
