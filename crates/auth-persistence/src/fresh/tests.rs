//! Known-answer and shape tests for fresh credentials.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A random source replaying a fixed script, failing when it runs out.
fn scripted(script: Vec<u8>) -> impl FnMut(&mut [u8]) -> Result<()> {
    let mut at = 0;
    move |buf: &mut [u8]| {
        let end = at + buf.len();
        let chunk = script.get(at..end).ok_or_else(|| Error::Random("script exhausted".into()))?;
        buf.copy_from_slice(chunk);
        at = end;
        Ok(())
    }
}

const ALICE_PRIVATE: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_PRIVATE: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUBLIC: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

fn script() -> Vec<u8> {
    let mut script = hex(ALICE_PRIVATE);
    script.extend(hex(BOB_PRIVATE));
    script.extend([0x11; 32]); // identity
    script.extend([0x22; 32]); // signed pre-key
    script.extend([0x33; 64]); // signature nonce
    script.extend([0x10, 0x27]); // registration id: 10000
    script.extend([0x44; 32]); // adv secret
    script
}

#[test]
fn fresh_creds_match_the_known_answer_vector() {
    let creds = AuthCreds::fresh_with(&mut scripted(script())).expect("generates");
    // key derivation: RFC 7748 vectors, private keys stored clamped
    assert_eq!(creds.noise_key.public.as_slice(), hex(ALICE_PUBLIC));
    assert_eq!(creds.pairing_ephemeral_key_pair.public.as_slice(), hex(BOB_PUBLIC));
    let mut clamped = hex(ALICE_PRIVATE);
    clamped[0] &= 248;
    clamped[31] = (clamped[31] & 127) | 64;
    assert_eq!(creds.noise_key.private.as_slice(), clamped);
    // the signature is XEdDSA by the identity key over 0x05 ‖ pre-key public
    let identity = curve::clamp([0x11; 32]);
    let pre_key_public = curve::public_key(&curve::clamp([0x22; 32]));
    let expected = curve::sign(&identity, &curve::prefixed(&pre_key_public), &[0x33; 64]);
    assert_eq!(creds.signed_pre_key.signature.as_slice(), expected);
    assert_eq!(creds.signed_pre_key.key_pair.public.as_slice(), pre_key_public);
    assert!(creds.signed_pre_key.verify(&curve::public_key(&identity)));
    assert!(creds.signed_pre_key.verify(&curve::prefixed(&curve::public_key(&identity))));
    assert!(!creds.signed_pre_key.verify(&hex(ALICE_PUBLIC)));
    assert_eq!(creds.registration_id, 10001);
    assert_eq!(creds.adv_secret_key_bytes().expect("base64"), [0x44; 32]);
}

#[test]
fn fresh_json_has_exactly_the_keys_of_init_auth_creds() {
    let creds = AuthCreds::fresh_with(&mut scripted(script())).expect("generates");
    let value = creds.to_value().expect("serialises");
    let keys: BTreeSet<&str> =
        value.as_object().expect("object").keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "noiseKey",
        "pairingEphemeralKeyPair",
        "signedIdentityKey",
        "signedPreKey",
        "registrationId",
        "advSecretKey",
        "processedHistoryMessages",
        "nextPreKeyId",
        "firstUnuploadedPreKeyId",
        "accountSyncCounter",
        "accountSettings",
        "registered",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(value["accountSettings"], json!({"unarchiveChats": false}));
    assert_eq!(value["signedPreKey"]["keyId"], json!(1));
    assert_eq!(value["noiseKey"]["public"]["type"], json!("Buffer"));
    assert!(value["advSecretKey"].is_string());
    assert_eq!(AuthCreds::from_value(value).expect("reads back"), creds);
}

#[test]
fn os_random_creds_sign_and_verify_and_differ() {
    let one = AuthCreds::fresh().expect("generates");
    let two = AuthCreds::fresh().expect("generates");
    assert_ne!(one.noise_key, two.noise_key);
    for creds in [&one, &two] {
        assert!(creds.signed_pre_key.verify(creds.signed_identity_key.public.as_slice()));
        assert!((1..=16380).contains(&creds.registration_id));
    }
    // a pre-key signed by another identity does not verify
    assert!(!one.signed_pre_key.verify(two.signed_identity_key.public.as_slice()));
    // signing arbitrary messages round-trips through the key pair API
    let signature = one
        .signed_identity_key
        .sign_with(b"payload", &mut os_random)
        .expect("random")
        .expect("32-byte key");
    let public = one.signed_identity_key.public_array().expect("32 bytes");
    assert!(curve::verify(&public, b"payload", &signature));
}

#[test]
fn a_failing_random_source_is_an_error_not_weak_keys() {
    let err = AuthCreds::fresh_with(&mut scripted(vec![0; 40])).expect_err("runs out");
    assert!(matches!(err, Error::Random(_)), "{err}");
}

#[test]
fn malformed_key_material_does_not_verify_or_sign() {
    let mut creds = AuthCreds::fresh_with(&mut scripted(script())).expect("generates");
    let identity = creds.signed_identity_key.public.clone();
    creds.signed_pre_key.signature = Buffer::from(vec![0; 10]);
    assert!(!creds.signed_pre_key.verify(identity.as_slice()));
    assert!(!creds.signed_pre_key.verify(&[1, 2, 3]));
    let short = KeyPair { private: Buffer::from(vec![1; 5]), public: Buffer::from(vec![1; 32]) };
    assert_eq!(short.sign_with(b"m", &mut os_random).expect("random"), None);
}
