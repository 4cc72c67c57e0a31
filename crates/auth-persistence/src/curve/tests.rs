//! Known-answer and round-trip tests for the Curve25519 helpers.

use super::*;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().expect("length")
}

#[test]
fn public_key_matches_rfc7748_vectors() {
    // RFC 7748 §6.1
    let alice =
        array::<32>(&hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    let bob = array::<32>(&hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    assert_eq!(
        public_key(&alice).to_vec(),
        hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    );
    assert_eq!(
        public_key(&bob).to_vec(),
        hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    );
}

/// libsignal's own signature test vector: Alice's identity key signs her
/// 0x05-prefixed ephemeral public key.
const LIBSIGNAL_IDENTITY: [u8; 33] = [
    5, 171, 126, 113, 125, 74, 22, 59, 125, 154, 29, 128, 113, 223, 233, 220, 248, 205, 205, 28,
    234, 51, 57, 182, 53, 107, 232, 77, 136, 126, 50, 44, 100,
];
const LIBSIGNAL_MESSAGE: [u8; 33] = [
    5, 237, 206, 157, 156, 65, 92, 167, 140, 183, 37, 46, 114, 194, 196, 165, 84, 211, 235, 41, 72,
    90, 14, 29, 80, 49, 24, 209, 168, 45, 153, 251, 74,
];
const LIBSIGNAL_SIGNATURE: [u8; 64] = [
    93, 232, 140, 169, 168, 155, 74, 17, 93, 167, 145, 9, 198, 124, 156, 116, 100, 163, 228, 24, 2,
    116, 241, 203, 140, 99, 194, 152, 78, 40, 109, 251, 237, 232, 45, 235, 157, 205, 159, 174, 11,
    251, 184, 33, 86, 155, 61, 144, 1, 189, 129, 48, 205, 17, 212, 134, 206, 240, 71, 189, 96, 184,
    110, 136,
];

#[test]
fn verifies_libsignals_known_answer_vector() {
    let public = array::<32>(&LIBSIGNAL_IDENTITY[1..]);
    assert!(verify(&public, &LIBSIGNAL_MESSAGE, &LIBSIGNAL_SIGNATURE));
    // every single-bit flip of the signature or message is rejected
    for byte in 0..64 {
        for bit in 0..8 {
            let mut bad = LIBSIGNAL_SIGNATURE;
            bad[byte] ^= 1 << bit;
            assert!(!verify(&public, &LIBSIGNAL_MESSAGE, &bad), "signature bit {byte}.{bit}");
        }
    }
    for byte in 0..33 {
        let mut bad = LIBSIGNAL_MESSAGE;
        bad[byte] ^= 1;
        assert!(!verify(&public, &bad, &LIBSIGNAL_SIGNATURE), "message byte {byte}");
    }
}

#[test]
fn signing_is_deterministic_for_fixed_randomness_and_verifies() {
    let private = clamp([0x42; 32]);
    let public = public_key(&private);
    let message = prefixed(&public_key(&clamp([0x17; 32])));
    let one = sign(&private, &message, &[1; 64]);
    assert_eq!(one, sign(&private, &message, &[1; 64]));
    let two = sign(&private, &message, &[2; 64]);
    assert_ne!(one, two);
    assert!(verify(&public, &message, &one));
    assert!(verify(&public, &message, &two));
    let other = public_key(&clamp([0x43; 32]));
    assert!(!verify(&other, &message, &one));
}

#[test]
fn both_edwards_sign_bits_round_trip() {
    // keys whose Edwards public key has either sign bit must verify
    let mut seen = [false; 2];
    for seed in 0u8..32 {
        let private = clamp([seed; 32]);
        let signature = sign(&private, b"msg", &[seed; 64]);
        seen[usize::from(signature[63] >> 7)] = true;
        assert!(verify(&public_key(&private), b"msg", &signature), "seed {seed}");
    }
    assert_eq!(seen, [true, true]);
}

#[test]
fn unreduced_s_is_rejected() {
    let private = clamp([3; 32]);
    let mut signature = sign(&private, b"m", &[0; 64]);
    signature[63] |= 0x60;
    assert!(!verify(&public_key(&private), b"m", &signature));
}
