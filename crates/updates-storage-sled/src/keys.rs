//! Key and value encoding: fixed-width big-endian integers, so sled's
//! byte order is numeric order (channels iterate by id).
//!
//! Signed ids are stored with the sign bit flipped, so negative ids sort
//! before positive ones. Values have exact lengths; anything else decodes
//! to [`StorageError::Corrupt`], never to "absent" or a default.

use updates_core::{State, StorageError};

/// The account key: 8 bytes.
pub(crate) fn account(user_id: i64) -> [u8; 8] {
    ((user_id as u64) ^ (1 << 63)).to_be_bytes()
}

/// An account's channel key: 16 bytes (account, then channel).
pub(crate) fn channel(user_id: i64, channel_id: i64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&account(user_id));
    key[8..].copy_from_slice(&account(channel_id));
    key
}

/// The channel id of a 16-byte channel key.
pub(crate) fn channel_id(key: &[u8]) -> Result<i64, StorageError> {
    let bytes: [u8; 8] = key
        .get(8..16)
        .filter(|_| key.len() == 16)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt(format!("channel key of {} bytes, expected 16", key.len())))?;
    Ok((u64::from_be_bytes(bytes) ^ (1 << 63)) as i64)
}

/// A state value: pts, qts, date, seq as 4 big-endian bytes each.
pub(crate) fn encode_state(s: State) -> [u8; 16] {
    let mut v = [0u8; 16];
    for (i, x) in [s.pts, s.qts, s.date, s.seq].into_iter().enumerate() {
        v[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    v
}

pub(crate) fn decode_state(v: &[u8]) -> Result<State, StorageError> {
    let field = |i: usize| -> Result<i32, StorageError> {
        v.get(i * 4..i * 4 + 4)
            .filter(|_| v.len() == 16)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
            .ok_or_else(|| corrupt(format!("state value of {} bytes, expected 16", v.len())))
    };
    Ok(State { pts: field(0)?, qts: field(1)?, date: field(2)?, seq: field(3)? })
}

pub(crate) fn decode_pts(v: &[u8]) -> Result<i32, StorageError> {
    <[u8; 4]>::try_from(v)
        .map(i32::from_be_bytes)
        .map_err(|_| corrupt(format!("channel pts value of {} bytes, expected 4", v.len())))
}

pub(crate) fn decode_hash(v: &[u8]) -> Result<i64, StorageError> {
    <[u8; 8]>::try_from(v)
        .map(i64::from_be_bytes)
        .map_err(|_| corrupt(format!("access hash value of {} bytes, expected 8", v.len())))
}

pub(crate) fn corrupt(what: String) -> StorageError {
    StorageError::Corrupt { what }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_including_negative_ids() {
        let ids = [i64::MIN, -1_000_000_000_000, -1, 0, 1, 255, 256, 1 << 40, i64::MAX];
        let keys: Vec<[u8; 16]> = ids.iter().map(|&c| channel(7, c)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "byte order differs from id order");
        for (&id, key) in ids.iter().zip(&keys) {
            assert_eq!(channel_id(key).expect("decode"), id);
        }
        assert!(account(-1) < account(0) && account(0) < account(1));
    }

    #[test]
    fn values_round_trip_and_bad_lengths_are_corrupt() {
        let s = State { pts: i32::MIN, qts: -1, date: 0, seq: i32::MAX };
        assert_eq!(decode_state(&encode_state(s)).expect("decode"), s);
        assert!(matches!(decode_state(&[0; 15]), Err(StorageError::Corrupt { .. })));
        assert!(matches!(decode_state(&[0; 17]), Err(StorageError::Corrupt { .. })));
        assert!(matches!(decode_pts(&[0; 3]), Err(StorageError::Corrupt { .. })));
        assert!(matches!(decode_hash(&[0; 9]), Err(StorageError::Corrupt { .. })));
        assert!(matches!(channel_id(&[0; 15]), Err(StorageError::Corrupt { .. })));
        assert_eq!(decode_pts(&(-5i32).to_be_bytes()).expect("decode"), -5);
    }
}
