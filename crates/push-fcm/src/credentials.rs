//! [`ServiceAccount`]: a Google service-account key (the JSON file the
//! Firebase console hands out), parsed and checked once, with its RSA key
//! loaded into ring; and the RS256 JWT assertion it signs for the OAuth2
//! JWT-bearer grant.
//!
//! The private key never appears in `Debug` output or logs. It does not
//! fetch tokens; [`crate::token`] does.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::pem::PemObject as _;
use serde::Deserialize;

use crate::error::{CredentialsError, TokenError};

/// Google's token endpoint, used when the key has no `token_uri`.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// The OAuth2 scope FCM sends need.
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// Lifetime asked for in the JWT (`exp - iat`), Google's maximum.
pub const ASSERTION_LIFETIME_SECS: u64 = 3600;

/// A service-account key, ready to sign.
///
/// ```
/// use push_fcm::ServiceAccount;
///
/// let json = push_fcm::testkit::service_account_json("https://oauth2.example/token");
/// let account = ServiceAccount::from_json(json.as_bytes())?;
/// assert_eq!(account.project_id(), "msgkit-test");
/// // The key is never shown.
/// assert!(!format!("{account:?}").contains("PRIVATE KEY"));
/// # Ok::<(), push_fcm::CredentialsError>(())
/// ```
#[derive(Clone)]
pub struct ServiceAccount {
    project_id: String,
    client_email: String,
    private_key_id: String,
    token_uri: String,
    key: Arc<RsaKeyPair>,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

#[derive(Deserialize)]
struct KeyFile {
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    client_email: String,
    #[serde(default)]
    private_key_id: String,
    #[serde(default)]
    private_key: String,
    #[serde(default)]
    token_uri: String,
}

impl ServiceAccount {
    /// Reads a key JSON. `project_id`, `client_email` and `private_key` are
    /// required; `token_uri` defaults to [`GOOGLE_TOKEN_URI`].
    pub fn from_json(json: &[u8]) -> Result<Self, CredentialsError> {
        let file: KeyFile = serde_json::from_slice(json).map_err(CredentialsError::Json)?;
        Self::from_key_file(file)
    }

    /// Reads a key JSON from a parsed value (Tinode's inline `credentials`).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, CredentialsError> {
        let file = KeyFile::deserialize(value).map_err(CredentialsError::Json)?;
        Self::from_key_file(file)
    }

    /// Reads a key file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, CredentialsError> {
        let bytes = std::fs::read(path).map_err(|source| CredentialsError::File {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&bytes)
    }

    fn from_key_file(file: KeyFile) -> Result<Self, CredentialsError> {
        for (name, value) in [
            ("project_id", &file.project_id),
            ("client_email", &file.client_email),
            ("private_key", &file.private_key),
        ] {
            if value.trim().is_empty() {
                return Err(CredentialsError::Empty(name));
            }
        }
        let der = PrivatePkcs8KeyDer::from_pem_slice(file.private_key.as_bytes())
            .map_err(|e| CredentialsError::Key(e.to_string()))?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| CredentialsError::Key(e.to_string()))?;
        let token_uri =
            if file.token_uri.is_empty() { GOOGLE_TOKEN_URI.to_owned() } else { file.token_uri };
        if token_uri.parse::<hyper::Uri>().ok().and_then(|u| u.host().map(str::len)).is_none() {
            return Err(CredentialsError::Url { field: "token_uri" });
        }
        Ok(Self {
            project_id: file.project_id,
            client_email: file.client_email,
            private_key_id: file.private_key_id,
            token_uri,
            key: Arc::new(key),
        })
    }

    /// The Firebase project id.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The service account's e-mail (the JWT issuer).
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    /// Where access tokens are requested.
    pub fn token_uri(&self) -> &str {
        &self.token_uri
    }

    /// Replaces the token endpoint (tests, proxies); the JWT audience
    /// follows it.
    pub fn with_token_uri(mut self, uri: &str) -> Self {
        uri.clone_into(&mut self.token_uri);
        self
    }

    /// The signed RS256 JWT assertion for `scope`, issued at `iat` (Unix
    /// seconds), valid [`ASSERTION_LIFETIME_SECS`]: header `alg`, `typ`
    /// and `kid` (the key id, when the key has one); claims `iss`, `scope`,
    /// `aud` (the token endpoint), `iat`, `exp`; base64url without padding.
    pub fn assertion(&self, scope: &str, iat: u64) -> Result<String, TokenError> {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if !self.private_key_id.is_empty() {
            header["kid"] = self.private_key_id.clone().into();
        }
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": scope,
            "aud": self.token_uri,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), jwt.as_bytes(), &mut signature)
            .map_err(|_| TokenError::Sign)?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(jwt)
    }
}
