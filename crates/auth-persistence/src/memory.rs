//! [`MemoryPersistence`]: an in-memory backend for tests, examples and
//! short-lived bots.
//!
//! It implements both ports: the context-free one stores into the default
//! space, the context-aware one (`C = String`) into one space per context,
//! so one instance can hold several accounts. Batches are atomic (one lock
//! for the whole batch) and ids can be listed. Nothing survives the
//! process, and values are stored as given (no copy-on-write tricks).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use serde_json::Value;

use crate::creds::AuthCreds;
use crate::error::Result;
use crate::family::KeyFamily;
use crate::port::{ContextPersistence, KeyWrite, Persistence};

/// The keys of one space, ordered by (family, id).
pub type KeyMap = BTreeMap<(KeyFamily, String), Value>;

#[derive(Default)]
struct Space {
    creds: Option<AuthCreds>,
    /// Family → id → value: hashed, so reads and writes cost no ordered
    /// string comparisons.
    keys: HashMap<KeyFamily, HashMap<String, Value>>,
}

/// An in-memory backend; cloning shares the storage.
///
/// ```
/// use auth_persistence::{KeyFamily, KeyWrite, MemoryPersistence, Persistence};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_persistence::Result<()> {
/// let memory = MemoryPersistence::new();
/// memory
///     .write_batch(&[
///         KeyWrite::save(KeyFamily::SenderKey, "g@g.us::u::0", json!({"type": "Buffer", "data": "W10="})),
///         KeyWrite::save(KeyFamily::SenderKeyMemory, "g@g.us", json!({"u@s.whatsapp.net": true})),
///     ])
///     .await?;
/// assert_eq!(memory.list_ids(&KeyFamily::SenderKey).await?, ["g@g.us::u::0"]);
/// assert_eq!(memory.load_key(&KeyFamily::Session, "absent.0").await?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryPersistence {
    spaces: Arc<Mutex<HashMap<Option<String>, Space>>>,
}

impl MemoryPersistence {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Option<String>, Space>> {
        // a panic while holding the lock cannot leave a space half-written
        // (every mutation is a single map operation), so poison is ignored
        self.spaces.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn with_space<T>(&self, space: Option<&str>, f: impl FnOnce(&mut Space) -> T) -> T {
        let mut spaces = self.lock();
        f(spaces.entry(space.map(str::to_owned)).or_default())
    }

    /// A copy of every key of a space (`None` = the context-free space).
    pub fn keys_of(&self, space: Option<&str>) -> KeyMap {
        self.with_space(space, |s| {
            s.keys
                .iter()
                .flat_map(|(f, ids)| {
                    ids.iter().map(move |(id, v)| ((f.clone(), id.clone()), v.clone()))
                })
                .collect()
        })
    }

    fn load_creds(&self, space: Option<&str>) -> Option<AuthCreds> {
        self.with_space(space, |s| s.creds.clone())
    }

    fn save_creds(&self, space: Option<&str>, creds: &AuthCreds) {
        self.with_space(space, |s| s.creds = Some(creds.clone()));
    }

    fn load(&self, space: Option<&str>, family: &KeyFamily, id: &str) -> Option<Value> {
        self.with_space(space, |s| s.keys.get(family)?.get(id).cloned())
    }

    fn load_many(
        &self,
        space: Option<&str>,
        family: &KeyFamily,
        ids: &[String],
    ) -> Vec<Option<Value>> {
        self.with_space(space, |s| {
            let stored = s.keys.get(family);
            ids.iter().map(|id| stored.and_then(|m| m.get(id)).cloned()).collect()
        })
    }

    fn write(&self, space: Option<&str>, writes: &[KeyWrite]) {
        self.with_space(space, |s| {
            for write in writes {
                match &write.value {
                    Some(value) => {
                        let ids = match s.keys.get_mut(&write.family) {
                            Some(ids) => ids,
                            None => s.keys.entry(write.family.clone()).or_default(),
                        };
                        ids.insert(write.id.clone(), value.clone());
                    }
                    None => {
                        if let Some(ids) = s.keys.get_mut(&write.family) {
                            ids.remove(&write.id);
                            if ids.is_empty() {
                                s.keys.remove(&write.family);
                            }
                        }
                    }
                }
            }
        });
    }

    fn families(&self, space: Option<&str>) -> Vec<KeyFamily> {
        self.with_space(space, |s| s.keys.keys().cloned().collect())
    }

    fn list(&self, space: Option<&str>, family: &KeyFamily) -> Vec<String> {
        self.with_space(space, |s| {
            s.keys.get(family).map(|ids| ids.keys().cloned().collect()).unwrap_or_default()
        })
    }
}

#[async_trait]
impl Persistence for MemoryPersistence {
    async fn load_credentials(&self) -> Result<Option<AuthCreds>> {
        Ok(self.load_creds(None))
    }

    async fn save_credentials(&self, creds: &AuthCreds) -> Result<()> {
        self.save_creds(None, creds);
        Ok(())
    }

    async fn load_key(&self, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        Ok(self.load(None, family, id))
    }

    async fn save_key(&self, family: &KeyFamily, id: &str, value: &Value) -> Result<()> {
        self.write(None, &[KeyWrite::save(family.clone(), id, value.clone())]);
        Ok(())
    }

    async fn delete_key(&self, family: &KeyFamily, id: &str) -> Result<()> {
        self.write(None, &[KeyWrite::delete(family.clone(), id)]);
        Ok(())
    }

    async fn load_keys(&self, family: &KeyFamily, ids: &[String]) -> Result<Vec<Option<Value>>> {
        Ok(self.load_many(None, family, ids))
    }

    async fn list_ids(&self, family: &KeyFamily) -> Result<Vec<String>> {
        Ok(self.list(None, family))
    }

    async fn list_families(&self) -> Result<Vec<KeyFamily>> {
        Ok(self.families(None))
    }

    async fn write_batch(&self, writes: &[KeyWrite]) -> Result<()> {
        self.write(None, writes);
        Ok(())
    }
}

#[async_trait]
impl ContextPersistence<String> for MemoryPersistence {
    async fn load_credentials(&self, ctx: &String) -> Result<Option<AuthCreds>> {
        Ok(self.load_creds(Some(ctx)))
    }

    async fn save_credentials(&self, ctx: &String, creds: &AuthCreds) -> Result<()> {
        self.save_creds(Some(ctx), creds);
        Ok(())
    }

    async fn load_key(&self, ctx: &String, family: &KeyFamily, id: &str) -> Result<Option<Value>> {
        Ok(self.load(Some(ctx), family, id))
    }

    async fn save_key(
        &self,
        ctx: &String,
        family: &KeyFamily,
        id: &str,
        value: &Value,
    ) -> Result<()> {
        self.write(Some(ctx), &[KeyWrite::save(family.clone(), id, value.clone())]);
        Ok(())
    }

    async fn delete_key(&self, ctx: &String, family: &KeyFamily, id: &str) -> Result<()> {
        self.write(Some(ctx), &[KeyWrite::delete(family.clone(), id)]);
        Ok(())
    }

    async fn list_ids(&self, ctx: &String, family: &KeyFamily) -> Result<Vec<String>> {
        Ok(self.list(Some(ctx), family))
    }

    async fn list_families(&self, ctx: &String) -> Result<Vec<KeyFamily>> {
        Ok(self.families(Some(ctx)))
    }

    async fn write_batch(&self, ctx: &String, writes: &[KeyWrite]) -> Result<()> {
        self.write(Some(ctx), writes);
        Ok(())
    }
}

impl std::fmt::Debug for MemoryPersistence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPersistence").field("spaces", &self.lock().len()).finish()
    }
}
