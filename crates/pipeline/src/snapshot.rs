//! The snapshot file format: magic bytes, a format version, a CRC-32 of the payload, the payload.
//!
//! ```text
//! "PLSDPIPE" | u32 LE format version | u32 LE crc32(payload) | payload
//! payload = encode_frames([pipeline state (JSON), detectors (frames, in order), profiles,
//!                          correlator, responder])
//! ```
//!
//! A snapshot of another version is refused ([`palisade_core::Error::SnapshotVersion`]); wrong
//! magic, a bad checksum or truncation is [`palisade_core::Error::CorruptSnapshot`]. Nothing is
//! ever silently read as an empty state.

use palisade_core::{Error, FindingRef};
use palisade_schema::{Event, IdentityKey, Source};
use serde::{Deserialize, Serialize};

use crate::PipelineStats;

/// The first eight bytes of every pipeline snapshot.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"PLSDPIPE";
/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

const HEADER: usize = 16;

/// Wraps a payload in the header.
pub(crate) fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&SNAPSHOT_MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Checks the header and returns the payload.
pub(crate) fn open(bytes: &[u8]) -> Result<&[u8], Error> {
    if bytes.len() < HEADER {
        return Err(Error::CorruptSnapshot(format!(
            "{} bytes is too short for a pipeline snapshot header",
            bytes.len()
        )));
    }
    if bytes[..8] != SNAPSHOT_MAGIC {
        return Err(Error::CorruptSnapshot(
            "not a pipeline snapshot (bad magic bytes)".into(),
        ));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version != SNAPSHOT_VERSION {
        return Err(Error::SnapshotVersion {
            found: version,
            expected: SNAPSHOT_VERSION,
        });
    }
    let payload = &bytes[HEADER..];
    let crc = crc32fast::hash(payload);
    if crc != word(12) {
        return Err(Error::CorruptSnapshot(format!(
            "checksum mismatch (stored {:08x}, computed {crc:08x}): truncated or damaged",
            word(12)
        )));
    }
    Ok(payload)
}

/// The pipeline's own state, as JSON inside the payload. Times are epoch milliseconds so that
/// any instant round-trips (the RFC 3339 form refuses implausible times).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedState {
    pub(crate) detectors: Vec<String>,
    pub(crate) correlator: bool,
    pub(crate) responder: bool,
    pub(crate) source_max: Vec<(Source, i64)>,
    pub(crate) newest: Option<i64>,
    pub(crate) watermark: Option<i64>,
    pub(crate) last_released: Option<i64>,
    pub(crate) buffer: Vec<Event>,
    pub(crate) dedup: Vec<(i64, Source, String)>,
    pub(crate) identities: Vec<SavedIdentity>,
    pub(crate) stats: PipelineStats,
    pub(crate) since_budget_check: u32,
}

/// One identity's tracked state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedIdentity {
    pub(crate) id: IdentityKey,
    pub(crate) last_seen: i64,
    pub(crate) recent: Vec<FindingRef>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let sealed = seal(b"hello");
        assert_eq!(open(&sealed).unwrap(), b"hello");
        let mut flipped = sealed.clone();
        flipped[HEADER] ^= 1;
        assert!(matches!(open(&flipped), Err(Error::CorruptSnapshot(_))));
        assert!(matches!(
            open(&sealed[..sealed.len() - 1]),
            Err(Error::CorruptSnapshot(_))
        ));
        assert!(matches!(open(&sealed[..5]), Err(Error::CorruptSnapshot(_))));
        let mut v2 = sealed;
        v2[8] = 2;
        assert_eq!(
            open(&v2),
            Err(Error::SnapshotVersion {
                found: 2,
                expected: 1
            })
        );
    }
}
