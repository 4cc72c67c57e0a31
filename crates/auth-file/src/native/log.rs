//! The native log's bytes: a header, then checksummed records.
//!
//! ```text
//! header  = "MSGKAUTH" (8 bytes) ‖ version u32 LE ‖ reserved u32 LE (0)
//! record  = length u32 LE ‖ crc32(payload) u32 LE ‖ payload
//! payload = JSON {"creds": <creds>?, "w": [[family, id, value|null], …]}
//! ```
//!
//! One record is one committed batch. A record cut short or failing its
//! checksum *at the end* of the file is an interrupted append and is
//! dropped; damage anywhere before the last record is an error. This
//! module only encodes and decodes bytes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format id at the start of every native log.
pub(crate) const MAGIC: &[u8; 8] = b"MSGKAUTH";
/// The format version this build writes and reads.
pub const NATIVE_FORMAT_VERSION: u32 = 1;
/// Header length in bytes.
pub(crate) const HEADER_LEN: usize = 16;
const FRAME_LEN: usize = 8;

/// One committed batch.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Record {
    /// New credentials, when the batch saved them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) creds: Option<Value>,
    /// Key writes in order: `[family, id, value]`, `null` deletes.
    #[serde(default)]
    pub(crate) w: Vec<(String, String, Option<Value>)>,
}

/// The header bytes of this version.
pub(crate) fn header() -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&NATIVE_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// Appends one framed record to `out`.
pub(crate) fn frame(record: &Record, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let payload = serde_json::to_vec(record)?;
    let len = u32::try_from(payload.len()).map_err(serde::ser::Error::custom)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(())
}

/// Why a log cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Damage {
    /// Not a native log at all.
    Foreign(String),
    /// A newer format version.
    Newer(u32),
    /// Damaged before the last record.
    Corrupt { offset: u64, reason: String },
}

/// The records of a log and the length of its intact prefix (shorter
/// than the input when a torn last record was dropped).
pub(crate) fn read(bytes: &[u8]) -> Result<(Vec<Record>, usize), Damage> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(Damage::Foreign("no msgkit native header".into()));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > NATIVE_FORMAT_VERSION {
        return Err(Damage::Newer(version));
    }
    let mut records = Vec::new();
    let mut pos = HEADER_LEN;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.len() < FRAME_LEN {
            break; // torn frame header at the end
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let Some(payload) = rest.get(FRAME_LEN..FRAME_LEN + len) else {
            break; // torn payload at the end
        };
        let last = FRAME_LEN + len == rest.len();
        if crc32fast::hash(payload) != crc {
            if last {
                break; // the last append was cut short
            }
            return Err(Damage::Corrupt { offset: pos as u64, reason: "checksum mismatch".into() });
        }
        let record = serde_json::from_slice(payload)
            .map_err(|e| Damage::Corrupt { offset: pos as u64, reason: e.to_string() })?;
        records.push(record);
        pos += FRAME_LEN + len;
    }
    Ok((records, pos))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn log_of(records: &[Record]) -> Vec<u8> {
        let mut out = header();
        for record in records {
            frame(record, &mut out).expect("frame");
        }
        out
    }

    fn batch(n: u64) -> Record {
        Record { creds: None, w: vec![("pre-key".into(), n.to_string(), Some(json!({"n": n})))] }
    }

    #[test]
    fn every_cut_of_the_last_record_drops_just_that_record() {
        let whole = log_of(&[batch(1), batch(2)]);
        let first_end = log_of(&[batch(1)]).len();
        for cut in first_end..whole.len() {
            let (records, good) = read(&whole[..cut]).expect("torn tail is not an error");
            assert_eq!((records.len(), good), (1, first_end), "cut at {cut}");
        }
        assert_eq!(read(&whole).expect("whole").0.len(), 2);
    }

    #[test]
    fn damage_before_the_last_record_is_an_error_and_headers_are_checked() {
        let mut whole = log_of(&[batch(1), batch(2)]);
        whole[HEADER_LEN + 12] ^= 0xff;
        assert!(matches!(read(&whole), Err(Damage::Corrupt { offset: 16, .. })));
        let mut last = log_of(&[batch(1), batch(2)]);
        let end = last.len() - 1;
        last[end] ^= 0xff;
        assert_eq!(
            read(&last).expect("torn tail").0.len(),
            1,
            "a damaged last record is a torn append"
        );
        assert!(matches!(read(b"{\"noiseKey\":1}"), Err(Damage::Foreign(_))));
        let mut newer = header();
        newer[8] = 2;
        assert_eq!(read(&newer).map(|_| ()), Err(Damage::Newer(2)));
    }
}
