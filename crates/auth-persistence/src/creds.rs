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
    /// Optional creation time in seconds (`timestampS`).
    #[serde(rename = "timestampS", default, skip_serializing_if = "Option::is_none")]
    pub timestamp_s: Option<u64>,
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
#[serde(rename_all = "camelCase")]
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
    /// Pairing code, while pairing by code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<String>,
    /// Last props hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_prop_hash: Option<String>,
    /// Routing info bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_info: Option<Buffer>,
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
    /// Platform name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Base64 id of the current app-state sync key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_app_state_key_id: Option<String>,
    /// Last account sync time, as stored.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub last_account_sync_timestamp: Option<Value>,
    /// Top-level fields this crate does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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
