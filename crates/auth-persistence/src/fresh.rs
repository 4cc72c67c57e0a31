//! Fresh credentials, like Baileys' `initAuthCreds()`.
//!
//! Generates the noise, pairing-ephemeral and identity key pairs, a signed
//! pre-key (id 1) whose signature is a valid XEdDSA signature by the
//! identity key over `0x05 ‖ public`, a registration id, the ADV secret and
//! the initial counters. Randomness comes from the operating system, or
//! from a caller-supplied source for reproducible tests. It never writes
//! anything: saving is the backend's job.

use serde_json::Map;

use crate::buffer::{Buffer, encode_base64};
use crate::creds::{AccountSettings, AuthCreds, KeyOrder, KeyPair, SignedKeyPair};
use crate::curve;
use crate::error::{Error, Result};

/// A source of cryptographically secure random bytes.
pub type RandomSource<'a> = &'a mut dyn FnMut(&mut [u8]) -> Result<()>;

/// Fills `buf` from the operating system's random source.
///
/// # Errors
/// [`Error::Random`] when the OS source fails.
pub fn os_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string().into()))
}

fn random_array<const N: usize>(random: RandomSource<'_>) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    random(&mut out)?;
    Ok(out)
}

impl KeyPair {
    /// A new key pair from 32 random bytes (clamped, as libsignal-node
    /// stores private keys).
    ///
    /// # Errors
    /// Whatever the random source returns.
    pub fn generate_with(random: RandomSource<'_>) -> Result<Self> {
        Ok(Self::from_private(random_array(random)?))
    }

    /// A new key pair from the OS random source.
    ///
    /// # Errors
    /// [`Error::Random`] when the OS source fails.
    pub fn generate() -> Result<Self> {
        Self::generate_with(&mut os_random)
    }

    /// The key pair of a private key (clamped first).
    pub fn from_private(private: [u8; 32]) -> Self {
        let private = curve::clamp(private);
        Self { public: Buffer::from(curve::public_key(&private)), private: Buffer::from(private) }
    }

    /// The private key as an array, if it has 32 bytes.
    pub fn private_array(&self) -> Option<[u8; 32]> {
        self.private.as_slice().try_into().ok()
    }

    /// The public key as an array, if it has 32 bytes.
    pub fn public_array(&self) -> Option<[u8; 32]> {
        self.public.as_slice().try_into().ok()
    }

    /// Signs `message` with this key pair (XEdDSA); `None` if the private
    /// key is not 32 bytes.
    ///
    /// # Errors
    /// Whatever the random source returns.
    pub fn sign_with(&self, message: &[u8], random: RandomSource<'_>) -> Result<Option<[u8; 64]>> {
        let Some(private) = self.private_array() else { return Ok(None) };
        let nonce: [u8; 64] = random_array(random)?;
        Ok(Some(curve::sign(&private, message, &nonce)))
    }
}

impl SignedKeyPair {
    /// A signed pre-key: a new key pair signed by `identity`.
    ///
    /// # Errors
    /// Whatever the random source returns; [`Error::Corrupt`] if
    /// `identity` has a private key that is not 32 bytes.
    pub fn generate_with(
        identity: &KeyPair,
        key_id: u32,
        random: RandomSource<'_>,
    ) -> Result<Self> {
        let key_pair = KeyPair::generate_with(random)?;
        let public =
            key_pair.public_array().ok_or_else(|| Error::corrupt("pre-key", "bad length"))?;
        let signature = identity
            .sign_with(&curve::prefixed(&public), random)?
            .ok_or_else(|| Error::corrupt("identity key", "private key is not 32 bytes"))?;
        Ok(Self { key_pair, signature: Buffer::from(signature), key_id, timestamp_s: None })
    }

    /// Whether the signature is a valid XEdDSA signature by `identity_public`
    /// (32 bytes, or 33 with the 0x05 prefix) over `0x05 ‖ public`.
    pub fn verify(&self, identity_public: &[u8]) -> bool {
        let identity = match identity_public {
            [curve::DJB_TYPE, rest @ ..] if rest.len() == 32 => rest,
            other => other,
        };
        let (Ok(identity), Some(public), Ok(signature)) = (
            <[u8; 32]>::try_from(identity),
            self.key_pair.public_array(),
            <[u8; 64]>::try_from(self.signature.as_slice()),
        ) else {
            return false;
        };
        curve::verify(&identity, &curve::prefixed(&public), &signature)
    }
}

impl AuthCreds {
    /// Complete fresh credentials from the OS random source.
    ///
    /// ```
    /// use auth_persistence::AuthCreds;
    ///
    /// let creds = AuthCreds::fresh()?;
    /// assert!(creds.signed_pre_key.verify(creds.signed_identity_key.public.as_slice()));
    /// assert_eq!((creds.next_pre_key_id, creds.first_unuploaded_pre_key_id), (1, 1));
    /// assert!(!creds.registered);
    /// # Ok::<(), auth_persistence::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Random`] when the OS source fails.
    pub fn fresh() -> Result<Self> {
        Self::fresh_with(&mut os_random)
    }

    /// Complete fresh credentials drawing bytes from `random`, in this
    /// order: noise private key (32), pairing-ephemeral private key (32),
    /// identity private key (32), signed pre-key private key (32), signature
    /// nonce (64), registration id (2), ADV secret (32).
    ///
    /// The registration id is uniform in `1..=16380` (libsignal's range;
    /// Baileys' own generator only yields 0..=255). Fields Baileys leaves
    /// undefined (`pairingCode`, `lastPropHash`, `routingInfo`,
    /// `additionalData`, `me`, `account`, …) are absent.
    ///
    /// # Errors
    /// Whatever the random source returns.
    pub fn fresh_with(random: RandomSource<'_>) -> Result<Self> {
        let noise_key = KeyPair::generate_with(random)?;
        let pairing_ephemeral_key_pair = KeyPair::generate_with(random)?;
        let signed_identity_key = KeyPair::generate_with(random)?;
        let signed_pre_key = SignedKeyPair::generate_with(&signed_identity_key, 1, random)?;
        let registration_id = u32::from(u16::from_le_bytes(random_array(random)?)) % 16380 + 1;
        let adv_secret_key = encode_base64(&random_array::<32>(random)?);
        Ok(Self {
            noise_key,
            pairing_ephemeral_key_pair,
            signed_identity_key,
            signed_pre_key,
            registration_id,
            adv_secret_key,
            processed_history_messages: Vec::new(),
            next_pre_key_id: 1,
            first_unuploaded_pre_key_id: 1,
            account_sync_counter: 0,
            account_settings: AccountSettings::default(),
            registered: false,
            pairing_code: None,
            last_prop_hash: None,
            routing_info: None,
            additional_data: None,
            me: None,
            account: None,
            signal_identities: None,
            platform: None,
            my_app_state_key_id: None,
            last_account_sync_timestamp: None,
            extra: Map::new(),
            key_order: KeyOrder::default(),
        })
    }
}

#[cfg(test)]
mod tests;
