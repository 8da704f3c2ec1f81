//! The two lookup structures behind the detector: identity to track, and the expiry queue.
//!
//! Both are built for the hot path (one lookup per event, one queue entry per prompt) and
//! never decide output order: callers sort what they take out.

use std::collections::BTreeMap;
use std::hash::Hasher;

use hashbrown::hash_table::{Entry, OccupiedEntry};
use hashbrown::HashTable;

use crate::state::Track;

/// Spreads an identity hash for the table (hashbrown takes its control tag from the top bits).
fn spread(hash: u64) -> u64 {
    let z = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z ^ (z >> 32)
}

/// The index hash of an identity: rustc-hash's word-at-a-time FxHasher (FNV's byte-at-a-time
/// loop was a visible share of the hot path). Internal: never persisted, never in output.
pub(crate) fn identity_hash(key: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

/// Every identity's track, stored in the hash table itself so that finding an identity's state
/// costs one probe and no further hop. Two identities with the same hash are told apart by
/// their keys, so they are never merged.
#[derive(Default)]
pub(crate) struct Tracks {
    table: HashTable<Track>,
}

impl Tracks {
    pub(crate) fn get(&self, key: &str, hash: u64) -> Option<&Track> {
        self.table.find(spread(hash), |t| {
            t.hash == hash && t.key.as_bytes() == key.as_bytes()
        })
    }

    /// The slot for `key`, found or ready to fill.
    pub(crate) fn entry(&mut self, key: &str, hash: u64) -> Entry<'_, Track> {
        self.table.entry(
            spread(hash),
            |t| t.hash == hash && t.key.as_bytes() == key.as_bytes(),
            |t| spread(t.hash),
        )
    }

    /// The track with `hash` that satisfies `is` (an expiry entry's generation).
    pub(crate) fn find_mut(
        &mut self,
        hash: u64,
        is: impl Fn(&Track) -> bool,
    ) -> Option<&mut Track> {
        self.table
            .find_mut(spread(hash), |t| t.hash == hash && is(t))
    }

    pub(crate) fn find_entry_bytes(
        &mut self,
        key: &[u8],
        hash: u64,
    ) -> Option<OccupiedEntry<'_, Track>> {
        self.table
            .find_entry(spread(hash), |t| t.hash == hash && t.key.as_bytes() == key)
            .ok()
    }

    pub(crate) fn remove(&mut self, key: &str, hash: u64) -> Option<Track> {
        let track = self
            .find_entry_bytes(key.as_bytes(), hash)
            .map(|e| e.remove().0);
        self.shrink_if_sparse();
        track
    }

    /// Gives memory back once the table is mostly empty (after a spray of identities has aged
    /// out, say): at most an eighth full, it shrinks to twice what it holds. Shrinking only
    /// that late keeps the cost amortized.
    pub(crate) fn shrink_if_sparse(&mut self) {
        let (len, cap) = (self.table.len(), self.table.capacity());
        if cap > 64 && len < cap / 8 {
            self.table.shrink_to(len * 2, |t| spread(t.hash));
        } else if len == 0 && cap > 0 {
            self.table = HashTable::new();
        }
    }

    /// Adds a track whose identity has none.
    pub(crate) fn insert(&mut self, track: Track) {
        self.table
            .insert_unique(spread(track.hash), track, |t| spread(t.hash));
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Track> {
        self.table.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Bytes of the table's empty buckets and control bytes (the tracks in it count their own
    /// size in `Track::bytes`).
    pub(crate) fn bytes(&self) -> usize {
        let buckets = if self.table.capacity() == 0 {
            0
        } else {
            (self.table.capacity() * 8 / 7).next_power_of_two()
        };
        (buckets - self.table.len()) * std::mem::size_of::<Track>() + buckets
    }
}

/// One queue entry: (due ms, identity hash, generation).
pub(crate) type Due = (i64, u64, u64);

/// Expiry queue in one-second buckets: appending is O(1) into the bucket's vector (due times
/// mostly arrive in time order, so entries land in the newest buckets), and taking what is due
/// walks the oldest buckets in order. Stale entries (an older generation) are skipped by the
/// caller.
#[derive(Default)]
pub(crate) struct ExpiryQueue {
    buckets: BTreeMap<i64, Vec<Due>>,
    len: usize,
}

impl ExpiryQueue {
    pub(crate) fn push(&mut self, entry: Due) {
        self.buckets
            .entry(entry.0.div_euclid(1000))
            .or_default()
            .push(entry);
        self.len += 1;
    }

    /// Moves every entry due at or before `now` into `into`.
    pub(crate) fn take_due(&mut self, now: i64, into: &mut Vec<Due>) {
        let now_sec = now.div_euclid(1000);
        while let Some((&sec, _)) = self.buckets.first_key_value() {
            if sec > now_sec {
                break;
            }
            let Some(bucket) = self.buckets.remove(&sec) else {
                break;
            };
            self.len -= bucket.len();
            if sec == now_sec {
                let (ready, later): (Vec<Due>, Vec<Due>) =
                    bucket.into_iter().partition(|e| e.0 <= now);
                into.extend(ready);
                if !later.is_empty() {
                    self.len += later.len();
                    self.buckets.insert(sec, later);
                }
                break;
            }
            into.extend(bucket);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.len * std::mem::size_of::<Due>() + self.buckets.len() * 64
    }
}
