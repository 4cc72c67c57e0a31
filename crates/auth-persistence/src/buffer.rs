//! [`Buffer`]: bytes as Baileys stores them in JSON.
//!
//! Reads every byte encoding found in Baileys folders: BufferJSON with a
//! base64 string (`{"type":"Buffer","data":"<b64>"}`), Node's native list
//! form (`{"type":"Buffer","data":[1,2]}`), a stray `Uint8Array` serialised
//! with numeric keys (`{"0":1,"1":2}`) and a plain base64 string (protobuf
//! JSON fields). Writes only Baileys' own BufferJSON form with standard,
//! padded base64. It does not decide which representation a field has:
//! fields Baileys keeps as plain base64 strings stay strings in
//! [`crate::AuthCreds`].

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::ser::SerializeMap as _;
use serde_json::Value;

/// Standard alphabet, padding optional on read (Node is lenient).
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// URL-safe alphabet, padding optional (Node's decoder accepts it too).
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a JSON value is not a byte string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

impl DecodeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Encodes bytes as standard, padded base64 (Baileys' form).
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes base64 as leniently as Node's `Buffer.from(s, 'base64')` does
/// for well-formed input: standard or URL-safe alphabet, padded or not.
///
/// # Errors
/// A [`DecodeError`] when the text is not base64 in either alphabet.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, DecodeError> {
    LENIENT_STANDARD
        .decode(text)
        .or_else(|_| LENIENT_URL_SAFE.decode(text))
        .map_err(|e| DecodeError::new(format!("invalid base64: {e}")))
}

/// An owned byte string that serialises as Baileys' BufferJSON.
///
/// ```
/// use auth_persistence::Buffer;
/// use serde_json::json;
///
/// // every encoding Baileys produces reads back to the same bytes...
/// for value in [
///     json!({"type": "Buffer", "data": "AQID"}),
///     json!({"type": "Buffer", "data": [1, 2, 3]}),
///     json!({"0": 1, "1": 2, "2": 3}),
///     json!("AQID"),
/// ] {
///     assert_eq!(Buffer::from_json(&value)?.as_slice(), [1, 2, 3]);
/// }
/// // ...and is written in Baileys' own form
/// let out = serde_json::to_value(Buffer::from(vec![1, 2, 3]))?;
/// assert_eq!(out, json!({"type": "Buffer", "data": "AQID"}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Buffer(Vec<u8>);

impl Buffer {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, by value.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads any byte encoding Baileys uses (see the module docs).
    ///
    /// # Errors
    /// A [`DecodeError`] naming what is wrong with the value.
    pub fn from_json(value: &Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(text) => decode_base64(text).map(Self),
            Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("Buffer") => {
                match map.get("data") {
                    Some(Value::String(text)) => decode_base64(text).map(Self),
                    Some(Value::Array(items)) => byte_list(items.iter()).map(Self),
                    Some(other) => Err(DecodeError::new(format!(
                        "buffer `data` must be a base64 string or a byte list, found {}",
                        kind(other)
                    ))),
                    None => Err(DecodeError::new("buffer object has no `data`")),
                }
            }
            Value::Object(map) => {
                let mut indexed = Vec::with_capacity(map.len());
                for (key, byte) in map {
                    let index: usize = key.parse().map_err(|_| {
                        DecodeError::new(format!(
                            "expected a buffer, found an object with the non-numeric key `{key}`"
                        ))
                    })?;
                    indexed.push((index, byte));
                }
                indexed.sort_by_key(|(index, _)| *index);
                byte_list(indexed.into_iter().map(|(_, byte)| byte)).map(Self)
            }
            other => Err(DecodeError::new(format!("expected a buffer, found {}", kind(other)))),
        }
    }

    /// Baileys' BufferJSON form: `{"type":"Buffer","data":"<base64>"}`.
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("type".into(), Value::from("Buffer"));
        map.insert("data".into(), Value::from(encode_base64(&self.0)));
        Value::Object(map)
    }

    /// The bytes as standard padded base64.
    pub fn to_base64(&self) -> String {
        encode_base64(&self.0)
    }
}

/// Reads a JSON list of numbers 0..=255 as bytes.
fn byte_list<'a>(items: impl Iterator<Item = &'a Value>) -> Result<Vec<u8>, DecodeError> {
    items
        .map(|item| {
            item.as_u64().and_then(|n| u8::try_from(n).ok()).ok_or_else(|| {
                DecodeError::new(format!("buffer byte must be an integer 0..=255, found {item}"))
            })
        })
        .collect()
}

/// A short name for a JSON value's kind, for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Buffer({})", self.to_base64())
    }
}

impl From<Vec<u8>> for Buffer {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for Buffer {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Buffer {
    fn from(bytes: [u8; N]) -> Self {
        Self(bytes.to_vec())
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl serde::Serialize for Buffer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", "Buffer")?;
        map.serialize_entry("data", &self.to_base64())?;
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Buffer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
