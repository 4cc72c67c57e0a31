//! [`KeyFamily`]: the Signal key-store data types with their exact wire
//! names.
//!
//! The ten families of Baileys v7's `SignalDataTypeMap` are variants;
//! anything else is kept as [`KeyFamily::Other`], since Baileys' stores
//! accept any type string. Equality, ordering and hashing go by wire name,
//! so `Other("pre-key")` and `PreKey` are the same family.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A key family (Baileys' "type" in `keys.get(type, ids)`).
///
/// ```
/// use auth_persistence::KeyFamily;
///
/// let family: KeyFamily = "sender-key-memory".parse().expect("infallible");
/// assert_eq!(family, KeyFamily::SenderKeyMemory);
/// assert_eq!(KeyFamily::AppStateSyncKey.as_str(), "app-state-sync-key");
/// assert_eq!(KeyFamily::from("custom"), KeyFamily::Other("custom".into()));
/// assert_eq!(KeyFamily::Other("pre-key".into()), KeyFamily::PreKey);
/// ```
#[derive(Clone)]
pub enum KeyFamily {
    /// `pre-key`: one-time pre-key pairs, id = decimal key id.
    PreKey,
    /// `session`: libsignal session records, id = signal address.
    Session,
    /// `sender-key`: group sender keys, id = `<group>::<user>::<device>`.
    SenderKey,
    /// `sender-key-memory`: `{deviceJid: bool}` per group.
    SenderKeyMemory,
    /// `app-state-sync-key`: app-state key data, id = base64 key id.
    AppStateSyncKey,
    /// `app-state-sync-version`: LTHash state per collection.
    AppStateSyncVersion,
    /// `lid-mapping`: PN user ↔ LID user strings.
    LidMapping,
    /// `device-list`: a user's device ids.
    DeviceList,
    /// `tctoken`: trusted-contact tokens (and the `__index` sentinel).
    TcToken,
    /// `identity-key`: a peer's 33-byte identity key.
    IdentityKey,
    /// Any other type string, kept verbatim.
    Other(String),
}

impl KeyFamily {
    /// The ten known families, in Baileys' declaration order.
    pub const KNOWN: [KeyFamily; 10] = [
        KeyFamily::PreKey,
        KeyFamily::Session,
        KeyFamily::SenderKey,
        KeyFamily::SenderKeyMemory,
        KeyFamily::AppStateSyncKey,
        KeyFamily::AppStateSyncVersion,
        KeyFamily::LidMapping,
        KeyFamily::DeviceList,
        KeyFamily::TcToken,
        KeyFamily::IdentityKey,
    ];

    /// The exact wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::PreKey => "pre-key",
            Self::Session => "session",
            Self::SenderKey => "sender-key",
            Self::SenderKeyMemory => "sender-key-memory",
            Self::AppStateSyncKey => "app-state-sync-key",
            Self::AppStateSyncVersion => "app-state-sync-version",
            Self::LidMapping => "lid-mapping",
            Self::DeviceList => "device-list",
            Self::TcToken => "tctoken",
            Self::IdentityKey => "identity-key",
            Self::Other(name) => name,
        }
    }

    /// The family for a wire name: a known variant when the name is known,
    /// else [`KeyFamily::Other`].
    pub fn from_wire(name: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|f| f.as_str() == name)
            .cloned()
            .unwrap_or_else(|| Self::Other(name.to_owned()))
    }

    /// Whether this is one of the ten known families (also when spelled as
    /// `Other` with a known name).
    pub fn is_known(&self) -> bool {
        Self::KNOWN.iter().any(|f| f.as_str() == self.as_str())
    }
}

impl PartialEq for KeyFamily {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for KeyFamily {}

impl Hash for KeyFamily {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for KeyFamily {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyFamily {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFamily({})", self.as_str())
    }
}

impl fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for KeyFamily {
    fn from(name: &str) -> Self {
        Self::from_wire(name)
    }
}

impl From<String> for KeyFamily {
    fn from(name: String) -> Self {
        Self::from_wire(&name)
    }
}

impl std::str::FromStr for KeyFamily {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_wire(name))
    }
}

impl serde::Serialize for KeyFamily {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for KeyFamily {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Self::from_wire(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_exact_and_round_trip() {
        let names = [
            "pre-key",
            "session",
            "sender-key",
            "sender-key-memory",
            "app-state-sync-key",
            "app-state-sync-version",
            "lid-mapping",
            "device-list",
            "tctoken",
            "identity-key",
        ];
        for (family, name) in KeyFamily::KNOWN.iter().zip(names) {
            assert_eq!(family.as_str(), name);
            assert_eq!(&KeyFamily::from_wire(name), family);
            assert!(!matches!(KeyFamily::from_wire(name), KeyFamily::Other(_)));
            let json = serde_json::to_string(family).expect("serialises");
            assert_eq!(json, format!("\"{name}\""));
            let back: KeyFamily = serde_json::from_str(&json).expect("parses");
            assert_eq!(&back, family);
        }
    }

    #[test]
    fn unknown_names_are_kept_and_compare_by_name() {
        let other = KeyFamily::from("contacts-tc-token");
        assert_eq!(other, KeyFamily::Other("contacts-tc-token".into()));
        assert!(!other.is_known());
        assert!(KeyFamily::Other("session".into()).is_known());
        let mut set = std::collections::HashSet::new();
        set.insert(KeyFamily::Other("session".into()));
        assert!(set.contains(&KeyFamily::Session));
        assert!(KeyFamily::PreKey < KeyFamily::Session);
    }
}
