//! The read path: cache lookups, read-through loads of misses (one filler
//! per family, under the read side of the commit gate) and the helpers the
//! commit path uses to keep the cache coherent. No writes to the backend
//! happen here.

use std::sync::Arc;

use serde_json::Value;

use super::{Inner, Lookup};
use crate::error::{Error, Result};
use crate::family::KeyFamily;

impl Inner {
    pub(super) fn cache_get(&self, family: &KeyFamily, id: &str) -> Lookup {
        self.cache.as_ref().map_or(Lookup::Unknown, |c| c.get(family, id))
    }

    pub(super) fn cache_put(&self, family: &KeyFamily, id: &str, value: Option<Arc<Value>>) {
        if let Some(cache) = &self.cache {
            cache.put(family, id, value);
        }
    }

    pub(super) fn cache_forget(&self, family: &KeyFamily, id: &str) {
        if let Some(cache) = &self.cache {
            cache.remove(family, id);
        }
    }

    pub(super) fn cache_present_ids(&self, family: &KeyFamily) -> Vec<String> {
        self.cache.as_ref().map(|c| c.present_ids(family)).unwrap_or_default()
    }

    pub(super) fn remember(&self, family: &KeyFamily) {
        if !family.is_known() {
            self.others
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(family.clone());
        }
    }

    pub(super) fn seen_families(&self) -> Vec<KeyFamily> {
        let mut families: Vec<KeyFamily> = self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        if let Some(cache) = &self.cache {
            families.extend(cache.families());
        }
        families
    }

    /// The backend's `load_keys`, checked to answer every id.
    pub(super) async fn load_keys(
        &self,
        family: &KeyFamily,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>> {
        let values = self.backend.load_keys(family, ids).await?;
        if values.len() != ids.len() {
            return Err(Error::backend(format!(
                "load_keys returned {} values for {} ids of {family}",
                values.len(),
                ids.len()
            )));
        }
        Ok(values)
    }

    /// Cached values first; misses are loaded under the gate's read side
    /// (so no commit interleaves) and cached, one filler per family.
    pub(super) async fn read_through(
        &self,
        family: &KeyFamily,
        ids: Vec<String>,
    ) -> Result<Vec<(String, Option<Value>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.remember(family);
        let Some(cache) = &self.cache else {
            self.counters.misses(ids.len());
            let values = self.load_keys(family, &ids).await?;
            return Ok(ids.into_iter().zip(values).collect());
        };
        let mut found = Vec::with_capacity(ids.len());
        let mut misses = Vec::new();
        let cached = cache.get_many(family, &ids);
        for (id, cached) in ids.into_iter().zip(cached) {
            match cached {
                Lookup::Known(value) => found.push((id, value.map(|v| (*v).clone()))),
                Lookup::Unknown => misses.push(id),
            }
        }
        self.counters.hits(found.len());
        if misses.is_empty() {
            return Ok(found);
        }
        // one filler per family at a time: a concurrent miss of the same id
        // waits and then finds it cached, so each id is loaded once
        let _fill = self.fills.acquire(family.as_str()).await;
        let _gate = self.gate.read().await;
        let hits_before_fill = found.len();
        let mut load = Vec::new();
        for id in misses {
            match cache.get(family, &id) {
                Lookup::Known(value) => found.push((id, value.map(|v| (*v).clone()))),
                Lookup::Unknown => load.push(id),
            }
        }
        self.counters.hits(found.len() - hits_before_fill);
        if !load.is_empty() {
            self.counters.misses(load.len());
            let values = self.load_keys(family, &load).await?;
            for (id, value) in load.into_iter().zip(values) {
                cache.put(family, &id, value.clone().map(Arc::new));
                found.push((id, value));
            }
        }
        Ok(found)
    }
}
