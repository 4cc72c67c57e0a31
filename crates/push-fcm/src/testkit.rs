//! Test kit (feature `testkit`): [`FakeFcm`], a loopback fake of Google's
//! OAuth2 token endpoint, FCM `messages:send` and the Instance ID topic
//! batch API on `127.0.0.1:0` (HTTP/1.1 and h2c, or TLS with
//! [`FakeFcm::start_tls`]), plus a **test-only** service-account key.
//!
//! The fake checks what a client sends the way Google would (form body and
//! grant type, JWT signature against the test key's public key, bearer
//! token issued by it), records every request decoded for tests to
//! inspect, and answers as scripted: per-token reply queues, dead tokens,
//! revoked access tokens, a gate that holds answers. It is used by this
//! crate's tests, the integration crate and the bench; it does not emulate
//! FCM's payload validation or quotas.

mod fake;
mod record;
mod reply;

pub use fake::FakeFcm;
pub use record::{SentMessage, TokenRequest, TopicCall};
pub use reply::Reply;

/// The test-only RSA private key (PKCS#8 PEM). Generated for this
/// repository's tests with `openssl genpkey`; it protects nothing.
pub const TEST_ONLY_PRIVATE_KEY_PEM: &str =
    include_str!("testkit/TEST_ONLY_service_account_key.pem");

/// The public half of [`TEST_ONLY_PRIVATE_KEY_PEM`] (`RSA PUBLIC KEY`
/// PEM, PKCS#1), exported with `openssl rsa -RSAPublicKey_out`.
pub const TEST_ONLY_PUBLIC_KEY_PEM: &str =
    include_str!("testkit/TEST_ONLY_service_account_pub.pem");

/// The project id of the test service account.
pub const TEST_PROJECT_ID: &str = "msgkit-test";

/// The key id (`private_key_id`) of the test service account.
pub const TEST_KEY_ID: &str = "test-key-0001";

/// The client e-mail of the test service account.
pub const TEST_CLIENT_EMAIL: &str = "push@msgkit-test.iam.gserviceaccount.com";

/// A service-account key JSON for the test key, with `token_uri`.
pub fn service_account_json(token_uri: &str) -> String {
    serde_json::json!({
        "type": "service_account",
        "project_id": TEST_PROJECT_ID,
        "private_key_id": TEST_KEY_ID,
        "private_key": TEST_ONLY_PRIVATE_KEY_PEM,
        "client_email": TEST_CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "token_uri": token_uri,
    })
    .to_string()
}

/// The PKCS#1 DER of the test public key, as ring's RSA verification
/// takes it.
pub fn test_public_key_der() -> Vec<u8> {
    use base64::Engine as _;
    let body: String =
        TEST_ONLY_PUBLIC_KEY_PEM.lines().filter(|line| !line.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default()
}

/// Verifies an RS256 JWT with the test public key; returns the decoded
/// header and claims, or what is wrong.
pub fn verify_test_jwt(jwt: &str) -> Result<(serde_json::Value, serde_json::Value), String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a JWT has three parts".into());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| format!("base64url: {e}"));
    let signature = decode(signature)?;
    let signed = &jwt[..header.len() + 1 + claims.len()];
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        test_public_key_der(),
    );
    key.verify(signed.as_bytes(), &signature).map_err(|_| "bad signature".to_owned())?;
    let json = |bytes: Vec<u8>| serde_json::from_slice(&bytes).map_err(|e| format!("json: {e}"));
    Ok((json(decode(header)?)?, json(decode(claims)?)?))
}
