//! Plumbing every sign-in detector shares: expiry queues, versioned snapshots, finding updates.

use std::collections::BTreeSet;

use palisade_core::{Error, Finding, FindingStatus};
use palisade_schema::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Deadlines in event time, earliest first, so `advance` touches only what is due.
///
/// Each keyed state remembers its own deadline; moving it is a remove plus an insert, and ties
/// break on the key, so the order never depends on hashing.
#[derive(Debug, Clone)]
pub(crate) struct Expiry<K: Ord + Clone> {
    queue: BTreeSet<(Timestamp, K)>,
}

impl<K: Ord + Clone> Default for Expiry<K> {
    fn default() -> Self {
        Expiry {
            queue: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Clone> Expiry<K> {
    /// Moves `key`'s deadline from `old` (if any) to `new`.
    pub(crate) fn set(&mut self, key: &K, old: Option<Timestamp>, new: Timestamp) {
        if let Some(old) = old {
            if old == new {
                return;
            }
            self.queue.remove(&(old, key.clone()));
        }
        self.queue.insert((new, key.clone()));
    }

    /// Removes `key`'s deadline.
    pub(crate) fn remove(&mut self, key: &K, at: Timestamp) {
        self.queue.remove(&(at, key.clone()));
    }

    /// The earliest key whose deadline is at or before `now`, removed from the queue.
    pub(crate) fn pop_due(&mut self, now: Timestamp) -> Option<K> {
        let first = self.queue.first()?;
        if first.0 > now {
            return None;
        }
        self.queue.pop_first().map(|(_, k)| k)
    }

    /// The key with the earliest deadline, removed (for evictions when a cap is reached).
    pub(crate) fn pop_earliest(&mut self) -> Option<K> {
        self.queue.pop_first().map(|(_, k)| k)
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[derive(Serialize)]
struct Header<'a, T> {
    detector: &'a str,
    version: u32,
    state: &'a T,
}

#[derive(Deserialize)]
struct Peek {
    detector: String,
    version: u32,
}

#[derive(Deserialize)]
struct Body<T> {
    state: T,
}

/// Writes a detector's state as versioned JSON tagged with the detector's name.
pub(crate) fn encode<T: Serialize>(
    detector: &str,
    version: u32,
    state: &T,
) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(&Header {
        detector,
        version,
        state,
    })
    .map_err(|e| Error::Snapshot {
        component: detector.to_owned(),
        reason: e.to_string(),
    })
}

/// Reads state written by [`encode`]: other detectors' or other versions' bytes, and damaged
/// ones, are errors (never a silently empty state).
pub(crate) fn decode<T: DeserializeOwned>(
    detector: &str,
    version: u32,
    bytes: &[u8],
) -> Result<T, Error> {
    if bytes.is_empty() {
        return Err(Error::CorruptSnapshot(format!(
            "{detector}: empty snapshot"
        )));
    }
    let peek: Peek = serde_json::from_slice(bytes)
        .map_err(|e| Error::CorruptSnapshot(format!("{detector}: {e}")))?;
    if peek.detector != detector {
        return Err(Error::CorruptSnapshot(format!(
            "snapshot of detector {:?}, restoring into {detector:?}",
            peek.detector
        )));
    }
    if peek.version != version {
        return Err(Error::SnapshotVersion {
            found: peek.version,
            expected: version,
        });
    }
    let body: Body<T> = serde_json::from_slice(bytes)
        .map_err(|e| Error::CorruptSnapshot(format!("{detector}: {e}")))?;
    Ok(body.state)
}

/// The same finding, one revision on, with `status` (a detector's re-emission).
pub(crate) fn revise(f: &mut Finding, status: FindingStatus) -> Finding {
    f.revision += 1;
    f.status = status;
    f.clone()
}

/// Whether `n` is a power of two: open findings are re-emitted as their evidence doubles, so a
/// burst of ten thousand events costs a handful of revisions, not ten thousand.
pub(crate) fn doubling(n: u64) -> bool {
    n.is_power_of_two()
}

/// Approximate heap bytes of a finding.
pub(crate) fn finding_bytes(f: &Finding) -> usize {
    size_of::<Finding>()
        + f.summary.capacity()
        + f.evidence
            .event_ids
            .iter()
            .map(|s| s.capacity() + 24)
            .sum::<usize>()
        + f.identities
            .iter()
            .map(|i| i.as_str().len() + 24)
            .sum::<usize>()
        + f.entities.ips.capacity() * 17
        + f.entities
            .countries
            .iter()
            .map(|s| s.capacity() + 24)
            .sum::<usize>()
        + f.entities
            .devices
            .iter()
            .map(|s| s.capacity() + 24)
            .sum::<usize>()
}

/// Serde for deadlines as plain milliseconds: a deadline is an event time plus a window, so it
/// may lie past the plausible-time bound that [`Timestamp`]'s own serde enforces.
pub(crate) mod millis {
    use palisade_schema::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.as_millis())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(d).map(Timestamp::from_millis_unchecked)
    }
}
