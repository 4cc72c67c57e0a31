//! Typed views of key values whose format Baileys fixes.
//!
//! Key values stay opaque [`serde_json::Value`]s in the store, exactly as
//! Baileys wrote them; this module decodes (and encodes) the families whose
//! shape is known. Sessions and sender keys belong to the Signal layer and
//! are not interpreted here.
//!
//! | family | type |
//! | --- | --- |
//! | `pre-key` | [`KeyPair`](crate::KeyPair) |
//! | `identity-key` | [`Buffer`] (33 bytes, 0x05-prefixed) |
//! | `app-state-sync-key` | [`AppStateSyncKeyData`] |
//! | `app-state-sync-version` | [`AppStateSyncVersion`] |
//! | `tctoken` | [`TcToken`] |
//! | `lid-mapping` | `String` |
//! | `device-list` | `Vec<String>` |
//! | `sender-key-memory` | `BTreeMap<String, bool>` |

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::buffer::{Buffer, DecodeError, decode_base64};
use crate::error::{Error, Result};
use crate::family::KeyFamily;

/// Decodes the stored value of `family`/`id` as `T`.
///
/// ```
/// use auth_persistence::{KeyFamily, KeyPair, values};
/// use serde_json::json;
///
/// let stored = json!({"private": {"type": "Buffer", "data": "AQ=="},
///                     "public": {"type": "Buffer", "data": [2]}});
/// let pair: KeyPair = values::decode(&KeyFamily::PreKey, "1", &stored)?;
/// assert_eq!(pair.public.as_slice(), [2]);
/// let bad = values::decode::<KeyPair>(&KeyFamily::PreKey, "2", &json!(7)).expect_err("shape");
/// assert!(bad.is_corrupt());
/// # Ok::<(), auth_persistence::Error>(())
/// ```
///
/// # Errors
/// [`Error::Corrupt`] naming the family and id when the shape is wrong.
pub fn decode<T: DeserializeOwned>(family: &KeyFamily, id: &str, value: &Value) -> Result<T> {
    T::deserialize(value).map_err(|e| Error::corrupt(format!("{family} {id}"), e))
}

/// Encodes a typed value in Baileys' JSON form.
///
/// # Errors
/// [`Error::Corrupt`] if `T`'s `Serialize` fails (not for this crate's types).
pub fn encode<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::corrupt("value", e))
}

/// Deserialises a present field, keeping an explicit `null` as
/// `Some(Value::Null)` so it is written back as read.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// `app-state-sync-key`: protobuf JSON of `AppStateSyncKeyData`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateSyncKeyData {
    /// The key bytes as a plain base64 string (protobuf JSON form).
    pub key_data: String,
    /// The key fingerprint, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Value>,
    /// int64 timestamp, stored as a decimal string.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Value>,
    /// Other fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AppStateSyncKeyData {
    /// The key bytes.
    ///
    /// # Errors
    /// A [`DecodeError`] when `keyData` is not base64.
    pub fn key_data_bytes(&self) -> Result<Vec<u8>, DecodeError> {
        decode_base64(&self.key_data)
    }
}

/// One `indexValueMap` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueMac {
    /// The 32-byte value MAC.
    pub value_mac: Buffer,
}

/// `app-state-sync-version`: Baileys' `LTHashState`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateSyncVersion {
    /// Collection version.
    pub version: u64,
    /// 128-byte LTHash.
    pub hash: Buffer,
    /// Base64 index → value MAC.
    #[serde(default)]
    pub index_value_map: BTreeMap<String, ValueMac>,
    /// Other fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `tctoken`: a trusted-contact token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TcToken {
    /// Token bytes (for the `__index` id: UTF-8 JSON list of jids).
    pub token: Buffer,
    /// Issue time, as stored (a decimal string in Baileys).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Value>,
    /// Sender time, as stored (a number in Baileys).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub sender_timestamp: Option<Value>,
    /// Other fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::KeyPair;

    fn round_trip<T: DeserializeOwned + Serialize>(family: KeyFamily, stored: Value) -> T {
        let typed: T = decode(&family, "id", &stored).expect("decodes");
        assert_eq!(encode(&typed).expect("encodes"), stored, "{family}");
        typed
    }

    #[test]
    fn baileys_values_of_every_typed_family_round_trip() {
        let key: AppStateSyncKeyData = round_trip(
            KeyFamily::AppStateSyncKey,
            json!({"keyData": "W7gJRdE=", "fingerprint": {"rawId": 1234567, "currentIndex": 1,
                   "deviceIndexes": [0, 7]}, "timestamp": "1710000000123"}),
        );
        assert_eq!(key.key_data_bytes().expect("base64").len(), 5);
        let version: AppStateSyncVersion = round_trip(
            KeyFamily::AppStateSyncVersion,
            json!({"version": 12, "hash": {"type": "Buffer", "data": "AAAA"},
                   "indexValueMap": {"3FuU": {"valueMac": {"type": "Buffer", "data": "AQI="}}}}),
        );
        assert_eq!(version.index_value_map["3FuU"].value_mac.as_slice(), [1, 2]);
        let token: TcToken = round_trip(
            KeyFamily::TcToken,
            json!({"token": {"type": "Buffer", "data": "AQ=="}, "timestamp": "1710000000",
                   "senderTimestamp": 1710000050}),
        );
        assert_eq!(token.token.as_slice(), [1]);
        let _: KeyPair = round_trip(
            KeyFamily::PreKey,
            json!({"private": {"type": "Buffer", "data": "AQ=="},
                   "public": {"type": "Buffer", "data": "Ag=="}}),
        );
        let _: Buffer =
            round_trip(KeyFamily::IdentityKey, json!({"type": "Buffer", "data": "BQE="}));
        let _: String = round_trip(KeyFamily::LidMapping, json!("200000000000002"));
        let _: Vec<String> = round_trip(KeyFamily::DeviceList, json!(["0", "7"]));
        let _: BTreeMap<String, bool> =
            round_trip(KeyFamily::SenderKeyMemory, json!({"1@s.whatsapp.net": true}));
    }

    #[test]
    fn explicit_nulls_and_key_order_are_kept_as_read() {
        let text =
            r#"{"timestamp":null,"keyData":"AQ==","fingerprint":null,"zeta":1,"alpha":null}"#;
        let stored: Value = serde_json::from_str(text).expect("json");
        let key: AppStateSyncKeyData =
            decode(&KeyFamily::AppStateSyncKey, "k", &stored).expect("reads");
        assert_eq!(key.fingerprint, Some(Value::Null));
        assert_eq!(key.timestamp, Some(Value::Null));
        let back = encode(&key).expect("writes");
        assert_eq!(back, stored, "explicit nulls are written back");
        let text =
            r#"{"token":{"type":"Buffer","data":"AQ=="},"timestamp":null,"senderTimestamp":null}"#;
        let stored: Value = serde_json::from_str(text).expect("json");
        let token: TcToken = decode(&KeyFamily::TcToken, "t", &stored).expect("reads");
        assert_eq!(
            serde_json::to_string(&token).expect("writes"),
            text,
            "tctoken nulls kept in order"
        );
        // opaque values keep their key order byte for byte
        let text = r#"{"z":1,"a":{"y":null,"b":[{"k":2,"c":3}]}}"#;
        let value: Value = serde_json::from_str(text).expect("json");
        assert_eq!(serde_json::to_string(&value).expect("writes"), text);
    }

    #[test]
    fn wrong_shapes_are_corrupt_naming_family_and_id() {
        let err =
            decode::<AppStateSyncVersion>(&KeyFamily::AppStateSyncVersion, "regular", &json!({}))
                .expect_err("missing fields");
        assert!(err.is_corrupt());
        assert!(err.to_string().contains("app-state-sync-version regular"), "{err}");
    }
}
