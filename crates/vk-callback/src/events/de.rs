//! Serde helpers shared by the event objects: VK's 0/1 booleans.
//!
//! VK sends many flags as `0`/`1` and some as `true`/`false`; [`bool01`]
//! accepts exactly those four spellings, plus `null` as `false` so a field VK
//! nulls out does not fail a whole delivery. Anything else is an error.

use std::fmt;

use serde::{Deserializer, de};

/// Deserializes `0`, `1`, `true`, `false` or `null` into a `bool`.
pub(crate) fn bool01<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    d.deserialize_any(Bool01)
}

struct Bool01;

impl de::Visitor<'_> for Bool01 {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0, 1, true or false")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}
