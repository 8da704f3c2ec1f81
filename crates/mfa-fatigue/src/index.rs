//! The two lookup structures behind the detector: identity to slot, and the expiry queue.
//!
//! Both are built for the hot path (one lookup per event, one queue entry per prompt) and
//! never decide output order: callers sort what they take out.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes keys that are already hashes: one multiply-xorshift to spread FNV's bits.
#[derive(Default, Clone, Copy)]
pub(crate) struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        let z = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = z ^ (z >> 32);
    }
}

/// Identity to slot. Keyed by a fast 64-bit hash of the identity so a lookup touches no
/// string but the one it verifies against; two identities with the same hash (never seen in
/// practice, but possible) fall back to an exact map, so they are never merged. The hash is
/// internal (never persisted, never in output): tracks are re-indexed on restore.
#[derive(Default)]
pub(crate) struct IdentityIndex {
    by_hash: HashMap<u64, u32, BuildHasherDefault<Spread>>,
    exact: HashMap<Box<str>, u32>,
}

/// The index hash of an identity: rustc-hash's word-at-a-time FxHasher (FNV's byte-at-a-time
/// loop was a visible share of the hot path).
pub(crate) fn identity_hash(key: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(key.as_bytes());
    h.finish()
}

impl IdentityIndex {
    /// The slot of `key`; `key_of` tells which identity a slot holds.
    pub(crate) fn get<'a>(
        &self,
        key: &str,
        hash: u64,
        key_of: impl Fn(u32) -> Option<&'a [u8]>,
    ) -> Option<u32> {
        if let Some(&s) = self.by_hash.get(&hash) {
            if key_of(s) == Some(key.as_bytes()) {
                return Some(s);
            }
        }
        if self.exact.is_empty() {
            None
        } else {
            self.exact.get(key).copied()
        }
    }

    /// Records that `key` lives in `slot` (the key must not be present yet).
    pub(crate) fn insert(&mut self, key: &str, hash: u64, slot: u32) {
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.exact.insert(Box::from(key), slot);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(slot);
            }
        }
    }

    /// Forgets that the identity `key()` (asked for only when needed) lives in `slot`.
    pub(crate) fn remove<'k>(
        &mut self,
        key: impl FnOnce() -> std::borrow::Cow<'k, str>,
        hash: u64,
        slot: u32,
    ) {
        if let std::collections::hash_map::Entry::Occupied(o) = self.by_hash.entry(hash) {
            if *o.get() == slot {
                o.remove();
                return;
            }
        }
        if !self.exact.is_empty() {
            self.exact.remove(key().as_ref());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_hash.len() + self.exact.len()
    }

    /// Approximate bytes held by the tables themselves.
    pub(crate) fn bytes(&self) -> usize {
        self.by_hash.capacity() * 13 + self.exact.capacity() * 33
    }
}

/// One queue entry: (due ms, slot, generation).
pub(crate) type Due = (i64, u32, u64);

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
