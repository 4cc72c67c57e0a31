//! [`DataSet`]: Baileys' `SignalDataSet`, family → id → value or deletion.
//!
//! Falsy values (`null`, `false`, `0`, `""`) are deletions, as in Baileys'
//! multi-file store, so every backend behaves the same; the normalisation
//! happens here, before anything reaches a backend.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::family::KeyFamily;

/// Whether Baileys' `value ? write : remove` would remove this value.
pub(crate) fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// A set of key writes: `Some(value)` saves, `None` (or a falsy value)
/// deletes.
///
/// ```
/// use auth_persistence::{DataSet, KeyFamily};
/// use serde_json::json;
///
/// let mut data = DataSet::new();
/// data.put(KeyFamily::PreKey, "1", json!({"k": 1}))
///     .delete(KeyFamily::PreKey, "2")
///     .put(KeyFamily::LidMapping, "x", json!("")); // falsy: a deletion
/// assert_eq!(data.len(), 3);
/// assert_eq!(data.get(&KeyFamily::LidMapping, "x"), Some(&None));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataSet {
    families: BTreeMap<KeyFamily, BTreeMap<String, Option<Value>>>,
}

impl DataSet {
    /// No writes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a write of `value` (`None` or falsy deletes); a later write
    /// of the same id replaces an earlier one.
    pub fn insert(
        &mut self,
        family: KeyFamily,
        id: impl Into<String>,
        value: Option<Value>,
    ) -> &mut Self {
        let value = value.filter(|v| !is_falsy(v));
        self.families.entry(family).or_default().insert(id.into(), value);
        self
    }

    /// Records a save.
    pub fn put(&mut self, family: KeyFamily, id: impl Into<String>, value: Value) -> &mut Self {
        self.insert(family, id, Some(value))
    }

    /// Records a deletion.
    pub fn delete(&mut self, family: KeyFamily, id: impl Into<String>) -> &mut Self {
        self.insert(family, id, None)
    }

    /// The recorded write of an id: `Some(None)` for a deletion.
    pub fn get(&self, family: &KeyFamily, id: &str) -> Option<&Option<Value>> {
        self.families.get(family)?.get(id)
    }

    /// Number of writes.
    pub fn len(&self) -> usize {
        self.families.values().map(BTreeMap::len).sum()
    }

    /// Whether there are no writes.
    pub fn is_empty(&self) -> bool {
        self.families.values().all(BTreeMap::is_empty)
    }

    /// Every write, ordered by family then id.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyFamily, &str, Option<&Value>)> {
        self.families
            .iter()
            .flat_map(|(f, ids)| ids.iter().map(move |(id, v)| (f, id.as_str(), v.as_ref())))
    }

    /// Moves every write of `other` into `self` (later writes win).
    pub fn merge(&mut self, other: DataSet) {
        for (family, ids) in other.families {
            self.families.entry(family).or_default().extend(ids);
        }
    }

    /// The writes as a batch, ordered by family then id (values move).
    pub(crate) fn into_writes(self) -> Vec<crate::port::KeyWrite> {
        self.families
            .into_iter()
            .flat_map(|(family, ids)| {
                ids.into_iter().map(move |(id, value)| crate::port::KeyWrite {
                    family: family.clone(),
                    id,
                    value,
                })
            })
            .collect()
    }

    /// The families written.
    pub fn families(&self) -> impl Iterator<Item = &KeyFamily> {
        self.families.keys()
    }
}

impl<F: Into<KeyFamily>, I: Into<String>> FromIterator<(F, I, Option<Value>)> for DataSet {
    fn from_iter<T: IntoIterator<Item = (F, I, Option<Value>)>>(iter: T) -> Self {
        let mut data = Self::new();
        for (family, id, value) in iter {
            data.insert(family.into(), id, value);
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn falsy_values_are_deletions_like_baileys_file_store() {
        for falsy in [json!(null), json!(false), json!(0), json!(0.0), json!("")] {
            assert!(is_falsy(&falsy), "{falsy}");
        }
        for truthy in [json!(true), json!(1), json!("0"), json!([]), json!({}), json!(-1)] {
            assert!(!is_falsy(&truthy), "{truthy}");
        }
    }

    #[test]
    fn later_writes_win_and_merge_keeps_order() {
        let mut a: DataSet =
            [("pre-key", "1", Some(json!(1))), ("session", "a", None)].into_iter().collect();
        a.put(KeyFamily::PreKey, "1", json!(2));
        let mut b = DataSet::new();
        b.delete(KeyFamily::PreKey, "1").put(KeyFamily::PreKey, "3", json!(3));
        a.merge(b);
        let all: Vec<_> =
            a.iter().map(|(f, id, v)| (f.as_str().to_owned(), id.to_owned(), v.cloned())).collect();
        assert_eq!(
            all,
            vec![
                ("pre-key".into(), "1".into(), None),
                ("pre-key".into(), "3".into(), Some(json!(3))),
                ("session".into(), "a".into(), None),
            ]
        );
        assert!(!a.is_empty());
        assert!(DataSet::new().is_empty());
    }
}
