//! [`AuthCreds`]: the credentials record Baileys keeps in `creds.json`.
//!
//! Every Baileys field has a place; the fields this crate owns are typed
//! (key pairs, signed pre-key, registration id, counters), the ones it does
//! not own (`me`, `account`, `signalIdentities`, `processedHistoryMessages`,
//! `additionalData`, …) are kept as the JSON they were read as, and unknown
//! top-level fields are carried in [`AuthCreds::extra`], so a load/save
//! round trip loses nothing. It does not generate keys: see
//! [`AuthCreds::fresh`] in the `fresh` module.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::buffer::{Buffer, DecodeError, decode_base64};
use crate::error::{Error, Result};

/// A Curve25519 key pair as Baileys stores it: 32-byte private key and
/// 32-byte public key *without* the 0x05 type prefix. `Debug` never shows
/// the private key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPair {
    /// The private scalar bytes.
    pub private: Buffer,
    /// The Montgomery u-coordinate of the public key.
    pub public: Buffer,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("private", &format_args!("<{} bytes redacted>", self.private.len()))
            .finish()
    }
}

/// A key pair with an id and an XEdDSA signature by the identity key
/// (Baileys' `SignedKeyPair`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedKeyPair {
    /// The pre-key pair.
    pub key_pair: KeyPair,
    /// 64-byte XEdDSA signature over `0x05 ‖ key_pair.public`.
    pub signature: Buffer,
    /// The signed pre-key id.
    pub key_id: u32,
    /// Optional creation time in seconds (`timestampS`); `Some(None)` is
    /// an explicit `null`, kept as read.
    #[serde(
        rename = "timestampS",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp_s: Option<Option<u64>>,
}

/// `accountSettings`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// Whether new messages unarchive chats.
    #[serde(default)]
    pub unarchive_chats: bool,
    /// The default disappearing mode, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub default_disappearing_mode: Option<Value>,
    /// Fields this crate does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self { unarchive_chats: false, default_disappearing_mode: None, extra: Map::new() }
    }
}

/// Baileys' `AuthenticationCreds`, lossless. `Debug` shows a summary
/// without secrets.
///
/// ```
/// use auth_persistence::AuthCreds;
///
/// let creds = AuthCreds::fresh()?;
/// let json = creds.to_json_string()?;
/// let back = AuthCreds::from_json_str(&json)?;
/// assert_eq!(back, creds);
///
/// // a torn file is a typed error, never fresh credentials
/// let err = AuthCreds::from_json_str(&json[..json.len() / 2]).expect_err("torn");
/// assert!(err.is_corrupt());
/// # Ok::<(), auth_persistence::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
// the derived impls become inherent functions, wrapped below to keep the
// top-level key order as read
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct AuthCreds {
    /// Noise protocol static key pair.
    pub noise_key: KeyPair,
    /// Ephemeral key pair used for pairing-code login.
    pub pairing_ephemeral_key_pair: KeyPair,
    /// The Signal identity key pair.
    pub signed_identity_key: KeyPair,
    /// The current signed pre-key.
    pub signed_pre_key: SignedKeyPair,
    /// Signal registration id.
    pub registration_id: u32,
    /// Base64 string of the 32-byte ADV secret (a string, as Baileys keeps it).
    pub adv_secret_key: String,
    /// History-sync messages already processed, as stored.
    #[serde(default)]
    pub processed_history_messages: Vec<Value>,
    /// Next pre-key id to generate.
    #[serde(default = "one")]
    pub next_pre_key_id: u32,
    /// First pre-key id not yet uploaded.
    #[serde(default = "one")]
    pub first_unuploaded_pre_key_id: u32,
    /// Account sync counter.
    #[serde(default)]
    pub account_sync_counter: u64,
    /// Account settings.
    #[serde(default)]
    pub account_settings: AccountSettings,
    /// Whether registration completed.
    #[serde(default)]
    pub registered: bool,
    /// Pairing code, while pairing by code. `None` = absent, `Some(None)` = an explicit `null`
    /// (kept as read).
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<Option<String>>,
    /// Last props hash. `None` = absent, `Some(None)` = an explicit `null`
    /// (kept as read).
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub last_prop_hash: Option<Option<String>>,
    /// Routing info bytes. `None` = absent, `Some(None)` = an explicit `null`
    /// (kept as read).
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub routing_info: Option<Option<Buffer>>,
    /// Arbitrary application data, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<Value>,
    /// The logged-in contact (`id`, `lid`, `name`, …), as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub me: Option<Value>,
    /// `ADVSignedDeviceIdentity` in protobuf JSON form (plain base64
    /// strings), as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub account: Option<Value>,
    /// Known signal identities, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub signal_identities: Option<Value>,
    /// Platform name. `None` = absent, `Some(None)` = an explicit `null`
    /// (kept as read).
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub platform: Option<Option<String>>,
    /// Base64 id of the current app-state sync key. `None` = absent, `Some(None)` = an explicit `null`
    /// (kept as read).
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub my_app_state_key_id: Option<Option<String>>,
    /// Last account sync time, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub last_account_sync_timestamp: Option<Value>,
    /// Top-level fields this crate does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The top-level key order as read, so a rewrite keeps it.
    #[serde(skip)]
    pub(crate) key_order: KeyOrder,
}

/// The order of `creds.json`'s top-level keys as read (Baileys' order
/// follows the order its updates arrived in). Presentation only: it never
/// makes two credentials unequal.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyOrder(Vec<String>);

impl PartialEq for KeyOrder {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Serialize for AuthCreds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.key_order.0.is_empty() {
            return AuthCreds::serialize(self, serializer);
        }
        let written = AuthCreds::serialize(self, serde_json::value::Serializer)
            .map_err(serde::ser::Error::custom)?;
        let Value::Object(mut fields) = written else {
            return Err(serde::ser::Error::custom("credentials did not serialise to an object"));
        };
        // keys as read first, in their order; fields set since then after
        let mut ordered = Map::with_capacity(fields.len());
        for key in &self.key_order.0 {
            if let Some((key, value)) = fields.shift_remove_entry(key) {
                ordered.insert(key, value);
            }
        }
        ordered.extend(fields);
        ordered.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AuthCreds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = Map::<String, Value>::deserialize(deserializer)?;
        let order = KeyOrder(fields.keys().cloned().collect());
        let mut creds =
            AuthCreds::deserialize(Value::Object(fields)).map_err(serde::de::Error::custom)?;
        creds.key_order = order;
        Ok(creds)
    }
}

impl fmt::Debug for AuthCreds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthCreds")
            .field("me", &self.me_id())
            .field("registration_id", &self.registration_id)
            .field("registered", &self.registered)
            .field("signed_identity_key", &self.signed_identity_key)
            .field("signed_pre_key_id", &self.signed_pre_key.key_id)
            .field("next_pre_key_id", &self.next_pre_key_id)
            .field("extra_fields", &self.extra.len())
            .finish_non_exhaustive()
    }
}

fn one() -> u32 {
    1
}

/// Deserialises a present field, keeping an explicit `null` as
/// `Some(Value::Null)` so it is written back.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Deserialises a present, possibly `null` field: `null` becomes
/// `Some(None)`, so an explicit `null` is written back as `null` rather
/// than dropped (an absent field stays `None` through `default`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl AuthCreds {
    /// Parses `creds.json` text.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text is not JSON or lacks a required
    /// field or has a field of the wrong shape.
    pub fn from_json_str(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::corrupt("creds", e))
    }

    /// Reads credentials from a parsed JSON value.
    ///
    /// # Errors
    /// [`Error::Corrupt`] as for [`AuthCreds::from_json_str`].
    pub fn from_value(value: Value) -> Result<Self> {
        serde_json::from_value(value).map_err(|e| Error::corrupt("creds", e))
    }

    /// The JSON value Baileys would write.
    ///
    /// # Errors
    /// [`Error::Corrupt`] if an `extra` field cannot be serialised (cannot
    /// happen for values read from JSON).
    pub fn to_value(&self) -> Result<Value> {
        serde_json::to_value(self).map_err(|e| Error::corrupt("creds", e))
    }

    /// Minified JSON text, like Baileys' `creds.json`.
    ///
    /// # Errors
    /// As for [`AuthCreds::to_value`].
    pub fn to_json_string(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::corrupt("creds", e))
    }

    /// The ADV secret key's bytes.
    ///
    /// # Errors
    /// A [`DecodeError`] when `advSecretKey` is not base64.
    pub fn adv_secret_key_bytes(&self) -> Result<Vec<u8>, DecodeError> {
        decode_base64(&self.adv_secret_key)
    }

    /// `me.id`, when paired.
    pub fn me_id(&self) -> Option<&str> {
        self.me.as_ref()?.get("id")?.as_str()
    }

    /// `me.lid`, when known.
    pub fn me_lid(&self) -> Option<&str> {
        self.me.as_ref()?.get("lid")?.as_str()
    }
}

#[cfg(test)]
mod tests;
