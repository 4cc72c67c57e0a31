//! Curve25519 key pairs and libsignal's XEdDSA signatures, built on
//! `curve25519-dalek` and `sha2`.
//!
//! This is the signature scheme Signal (and so Baileys through
//! libsignal-node) uses for signed pre-keys: the Montgomery private key
//! signs directly, the Edwards public key's sign bit travels in the top bit
//! of the signature's last byte, and verification rebuilds the Edwards key
//! from the Montgomery u-coordinate. It does not do key agreement or any
//! other Signal protocol step.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::{Scalar, clamp_integer};
use sha2::{Digest, Sha512};

/// The byte Signal prefixes to a serialised Curve25519 public key.
pub const DJB_TYPE: u8 = 0x05;

/// Clamps a private key as X25519 and libsignal-node do.
pub fn clamp(private: [u8; 32]) -> [u8; 32] {
    clamp_integer(private)
}

/// The X25519 public key (Montgomery u-coordinate) of a private key.
pub fn public_key(private: &[u8; 32]) -> [u8; 32] {
    MontgomeryPoint::mul_base_clamped(*private).to_bytes()
}

/// `0x05 ‖ public`: the form Signal signs and sends.
pub fn prefixed(public: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = DJB_TYPE;
    out[1..].copy_from_slice(public);
    out
}

fn sha512_scalar(parts: &[&[u8]]) -> Scalar {
    let mut hash = Sha512::new();
    for part in parts {
        hash.update(part);
    }
    let digest: [u8; 64] = hash.finalize().into();
    Scalar::from_bytes_mod_order_wide(&digest)
}

/// Signs `message` with an X25519 private key (XEdDSA as libsignal does
/// it). `random` must be 64 fresh random bytes; the same inputs give the
/// same signature.
///
/// ```
/// use auth_persistence::curve;
///
/// let private = curve::clamp([7; 32]);
/// let public = curve::public_key(&private);
/// let signature = curve::sign(&private, b"hello", &[9; 64]);
/// assert!(curve::verify(&public, b"hello", &signature));
/// assert!(!curve::verify(&public, b"hullo", &signature));
/// ```
pub fn sign(private: &[u8; 32], message: &[u8], random: &[u8; 64]) -> [u8; 64] {
    let key = clamp(*private);
    let a = Scalar::from_bytes_mod_order(key);
    let cap_a = EdwardsPoint::mul_base(&a).compress();
    let sign_bit = cap_a.as_bytes()[31] & 0x80;
    let mut prefix = [0xFFu8; 32];
    prefix[0] = 0xFE;
    let r = sha512_scalar(&[&prefix, &key, message, random]);
    let cap_r = EdwardsPoint::mul_base(&r).compress();
    let h = sha512_scalar(&[cap_r.as_bytes(), cap_a.as_bytes(), message]);
    let s = h * a + r;
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(cap_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    signature[63] &= 0x7F;
    signature[63] |= sign_bit;
    signature
}

/// Verifies an XEdDSA signature by the X25519 public key `public` (the
/// 32-byte u-coordinate, without the 0x05 prefix).
pub fn verify(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let sign_bit = (signature[63] & 0x80) >> 7;
    let Some(cap_a_point) = MontgomeryPoint(*public).to_edwards(sign_bit) else {
        return false;
    };
    let cap_a = cap_a_point.compress();
    let mut cap_r = [0u8; 32];
    cap_r.copy_from_slice(&signature[..32]);
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    s[31] &= 0x7F;
    // s must be reduced (< 2^253), as libsignal requires
    if s[31] & 0xE0 != 0 {
        return false;
    }
    let h = sha512_scalar(&[&cap_r, cap_a.as_bytes(), message]);
    let check = EdwardsPoint::vartime_double_scalar_mul_basepoint(
        &h,
        &-cap_a_point,
        &Scalar::from_bytes_mod_order(s),
    );
    check.compress() == CompressedEdwardsY(cap_r)
}

#[cfg(test)]
mod tests;
