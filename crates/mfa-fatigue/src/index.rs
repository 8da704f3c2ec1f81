//! The two lookup structures behind the detector: identity to track, and the expiry queue.
//!
//! Both are built for the hot path (one lookup per event, one queue entry per prompt) and
//! never decide output order: callers sort what they take out.

use std::collections::BTreeMap;
use std::hash::Hasher;

use hashbrown::hash_table::Entry;
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

/// One identity's place in the index: its hash (compared first, so most probes never leave
/// the index) and where its track lies.
#[derive(Clone, Copy)]
struct Place {
    hash: u64,
    at: u32,
}

/// Every identity's track. The tracks lie densely in one vector, and a small hash index
/// (16 bytes an identity, so it stays in cache) leads to them: a new track is appended where
/// the last removed one was taken from, memory that is still in cache, instead of landing on a
/// cold line of a large table (prompts are mostly answered within seconds, so tracks come and
/// go at about the event rate). Two identities with the same hash are told apart by their keys,
/// so they are never merged.
#[derive(Default)]
pub(crate) struct Tracks {
    index: HashTable<Place>,
    all: Vec<Track>,
}

impl Tracks {
    /// Where `key`'s track lies.
    pub(crate) fn find(&self, key: &str, hash: u64) -> Option<usize> {
        let all = &self.all;
        self.index
            .find(spread(hash), |p| {
                p.hash == hash
                    && all
                        .get(p.at as usize)
                        .is_some_and(|t| t.key.as_bytes() == key.as_bytes())
            })
            .map(|p| p.at as usize)
    }

    pub(crate) fn get(&self, key: &str, hash: u64) -> Option<&Track> {
        self.find(key, hash).and_then(|at| self.all.get(at))
    }

    /// Where `key`'s track lies; with `create`, a new track is made for an identity without
    /// one (one probe of the index either way).
    pub(crate) fn find_or_add(&mut self, key: &str, hash: u64, create: bool) -> Option<usize> {
        let Tracks { index, all } = self;
        let entry = index.entry(
            spread(hash),
            |p| {
                p.hash == hash
                    && all
                        .get(p.at as usize)
                        .is_some_and(|t| t.key.as_bytes() == key.as_bytes())
            },
            |p| spread(p.hash),
        );
        match entry {
            Entry::Occupied(o) => Some(o.get().at as usize),
            Entry::Vacant(v) if create => {
                let at = u32::try_from(all.len()).ok()?;
                v.insert(Place { hash, at });
                all.push(Track::new(key, hash));
                Some(at as usize)
            }
            Entry::Vacant(_) => None,
        }
    }

    pub(crate) fn at_mut(&mut self, at: usize) -> Option<&mut Track> {
        self.all.get_mut(at)
    }

    /// Where the track with `hash` that satisfies `is` (an expiry entry's generation) lies.
    pub(crate) fn find_by(&self, hash: u64, is: impl Fn(&Track) -> bool) -> Option<usize> {
        let all = &self.all;
        self.index
            .find(spread(hash), |p| {
                p.hash == hash && all.get(p.at as usize).is_some_and(&is)
            })
            .map(|p| p.at as usize)
    }

    /// Takes out the track at `at`; the last track moves into its place.
    pub(crate) fn remove_at(&mut self, at: usize) -> Option<Track> {
        let hash = self.all.get(at)?.hash;
        let pos = at as u32;
        if let Ok(e) = self.index.find_entry(spread(hash), |p| p.at == pos) {
            e.remove();
        }
        let track = self.all.swap_remove(at);
        if let Some(moved) = self.all.get(at) {
            let from = self.all.len() as u32;
            if let Some(p) = self.index.find_mut(spread(moved.hash), |p| p.at == from) {
                p.at = pos;
            }
        }
        self.shrink_if_sparse();
        Some(track)
    }

    pub(crate) fn remove(&mut self, key: &str, hash: u64) -> Option<Track> {
        let at = self.find(key, hash)?;
        self.remove_at(at)
    }

    /// Gives memory back once mostly empty (after a spray of identities has aged out, say): at
    /// most an eighth full, the index and the tracks shrink to twice what they hold. Shrinking
    /// only that late keeps the cost amortized.
    fn shrink_if_sparse(&mut self) {
        let (len, cap) = (self.index.len(), self.index.capacity());
        if cap > 64 && len < cap / 8 {
            self.index.shrink_to(len * 2, |p| spread(p.hash));
        } else if len == 0 && cap > 0 {
            self.index = HashTable::new();
        }
        let (len, cap) = (self.all.len(), self.all.capacity());
        if cap > 64 && len < cap / 8 {
            self.all.shrink_to(len * 2);
        } else if len == 0 && cap > 0 {
            self.all = Vec::new();
        }
    }

    /// Adds a track whose identity has none.
    pub(crate) fn insert(&mut self, track: Track) {
        let Ok(at) = u32::try_from(self.all.len()) else {
            return;
        };
        let hash = track.hash;
        self.index
            .insert_unique(spread(hash), Place { hash, at }, |p| spread(p.hash));
        self.all.push(track);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Track> {
        self.all.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }

    /// Bytes of the index and of the room reserved for tracks not yet made (the tracks count
    /// their own size in `Track::bytes`).
    pub(crate) fn bytes(&self) -> usize {
        let buckets = if self.index.capacity() == 0 {
            0
        } else {
            (self.index.capacity() * 8 / 7).next_power_of_two()
        };
        buckets * (std::mem::size_of::<Place>() + 1)
            + (self.all.capacity() - self.all.len()) * std::mem::size_of::<Track>()
    }
}

/// One queue entry: (due ms, identity hash, generation).
pub(crate) type Due = (i64, u64, u32);

/// Expiry queue in one-second buckets: appending is O(1) into the bucket's vector (due times
/// mostly arrive in time order, so entries land in the newest buckets), and taking what is due
/// walks the oldest buckets in order. Stale entries (an older generation) are skipped by the
/// caller.
///
/// The bucket last appended to is kept apart from the map: most prompts of one second are due
/// in the same later second (sent, then due when unanswered), so most appends skip the map's
/// search.
#[derive(Default)]
pub(crate) struct ExpiryQueue {
    buckets: BTreeMap<i64, Vec<Due>>,
    /// The second and entries of the bucket last appended to (not in `buckets`).
    open: Option<(i64, Vec<Due>)>,
    len: usize,
}

impl ExpiryQueue {
    pub(crate) fn push(&mut self, entry: Due) {
        let sec = entry.0.div_euclid(1000);
        self.len += 1;
        match &mut self.open {
            Some((s, bucket)) if *s == sec => bucket.push(entry),
            open => {
                if let Some((s, bucket)) = open.take() {
                    self.buckets.entry(s).or_default().extend(bucket);
                }
                let mut bucket = self.buckets.remove(&sec).unwrap_or_default();
                bucket.push(entry);
                *open = Some((sec, bucket));
            }
        }
    }

    /// Moves every entry due at or before `now` into `into`.
    pub(crate) fn take_due(&mut self, now: i64, into: &mut Vec<Due>) {
        let now_sec = now.div_euclid(1000);
        if let Some((s, bucket)) = self.open.take_if(|(s, _)| *s <= now_sec) {
            self.buckets.entry(s).or_default().extend(bucket);
        }
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

    /// Keeps only the entries `live` accepts (dropping stale ones ahead of their time).
    pub(crate) fn retain(&mut self, mut live: impl FnMut(&Due) -> bool) {
        if let Some((_, bucket)) = &mut self.open {
            bucket.retain(&mut live);
        }
        if self.open.as_ref().is_some_and(|(_, b)| b.is_empty()) {
            self.open = None;
        }
        self.buckets.retain(|_, bucket| {
            bucket.retain(&mut live);
            bucket.shrink_to_fit();
            !bucket.is_empty()
        });
        self.len = self.buckets.values().map(Vec::len).sum::<usize>()
            + self.open.as_ref().map_or(0, |(_, b)| b.len());
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        let buckets = self.buckets.len() + usize::from(self.open.is_some());
        self.len * std::mem::size_of::<Due>() + buckets * 64
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever the order of additions and removals, and with hashes made to collide,
        /// every identity present is found at a place holding its own track, and no other is.
        #[test]
        fn tracks_agree_with_a_plain_set(ops in proptest::collection::vec((0u8..3, 0u8..24), 0..300)) {
            let mut tracks = Tracks::default();
            let mut model = BTreeSet::new();
            // Three hashes for 24 identities: most lookups meet a colliding neighbour.
            let hash = |i: u8| u64::from(i % 3);
            for (op, i) in ops {
                let key = format!("user{i}@example.com");
                match op {
                    0 => {
                        let at = tracks.find_or_add(&key, hash(i), true);
                        prop_assert!(at.is_some());
                        model.insert(i);
                    }
                    1 => {
                        let removed = tracks.remove(&key, hash(i));
                        prop_assert_eq!(removed.is_some(), model.remove(&i));
                    }
                    _ => {
                        let found = tracks.find_or_add(&key, hash(i), false);
                        prop_assert_eq!(found.is_some(), model.contains(&i));
                    }
                }
                prop_assert_eq!(tracks.len(), model.len());
                for j in 0u8..24 {
                    let key = format!("user{j}@example.com");
                    let got = tracks.get(&key, hash(j)).map(|t| t.key.as_str().into_owned());
                    prop_assert_eq!(got, model.contains(&j).then_some(key));
                }
            }
        }

        /// Every entry pushed comes out exactly once, and only once it is due.
        #[test]
        fn queue_gives_each_entry_once_when_due(
            dues in proptest::collection::vec(0i64..20_000, 0..200),
            steps in proptest::collection::vec(0i64..3_000, 1..20),
        ) {
            let mut q = ExpiryQueue::default();
            for (n, &t) in dues.iter().enumerate() {
                q.push((t, n as u64, 0));
            }
            let (mut now, mut seen) = (0i64, Vec::new());
            for step in steps.into_iter().chain([20_000]) {
                now += step;
                let mut out = Vec::new();
                q.take_due(now, &mut out);
                prop_assert!(out.iter().all(|e| e.0 <= now));
                seen.extend(out.into_iter().map(|e| e.1));
            }
            seen.sort_unstable();
            let all: Vec<u64> = (0..dues.len() as u64).collect();
            prop_assert_eq!(seen, all);
            prop_assert_eq!(q.len(), 0);
        }
    }
}
