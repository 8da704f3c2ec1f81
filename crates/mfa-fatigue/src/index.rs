//! The two lookup structures behind the detector: identity to track, and the expiry queue.
//!
//! Both are built for the hot path (one lookup per event, one queue entry per prompt) and
//! never decide output order: callers sort what they take out.

use std::collections::{BTreeMap, VecDeque};
use std::hash::Hasher;

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;

use crate::state::{Text, Track};

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

/// Every identity's track. The tracks lie in one vector of slots, and a small hash index (16
/// bytes an identity, so it stays in cache) leads to them. A track stays in its slot until it
/// is cleared (so a place found once stays valid while tracks come and go around it), and a
/// new track takes the slot cleared last, memory that is still in cache: prompts are mostly
/// answered within seconds, so tracks come and go at about the event rate. Two identities with
/// the same hash are told apart by their keys, so they are never merged.
#[derive(Default)]
pub(crate) struct Tracks {
    index: HashTable<Place>,
    slots: Vec<Track>,
    /// Cleared slots, the last cleared at the end. A cleared slot holds an empty key (no
    /// identity is empty).
    free: Vec<u32>,
}

impl Tracks {
    /// Where `key`'s track lies.
    pub(crate) fn find(&self, key: &str, hash: u64) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(spread(hash), |p| {
                p.hash == hash
                    && slots
                        .get(p.at as usize)
                        .is_some_and(|t| t.key.as_bytes() == key.as_bytes())
            })
            .map(|p| p.at as usize)
    }

    pub(crate) fn get(&self, key: &str, hash: u64) -> Option<&Track> {
        self.find(key, hash).and_then(|at| self.slots.get(at))
    }

    /// Where `key`'s track lies; with `create`, a new track is made for an identity without
    /// one (one probe of the index either way).
    pub(crate) fn find_or_add(&mut self, key: &str, hash: u64, create: bool) -> Option<usize> {
        let Tracks { index, slots, free } = self;
        let entry = index.entry(
            spread(hash),
            |p| {
                p.hash == hash
                    && slots
                        .get(p.at as usize)
                        .is_some_and(|t| t.key.as_bytes() == key.as_bytes())
            },
            |p| spread(p.hash),
        );
        match entry {
            Entry::Occupied(o) => Some(o.get().at as usize),
            Entry::Vacant(v) if create => {
                let at = match free.pop() {
                    Some(at) => {
                        let slot = slots.get_mut(at as usize)?;
                        slot.key = Text::new(key);
                        slot.hash = hash;
                        at
                    }
                    None => {
                        let at = u32::try_from(slots.len()).ok()?;
                        slots.push(Track::new(key, hash));
                        at
                    }
                };
                v.insert(Place { hash, at });
                Some(at as usize)
            }
            Entry::Vacant(_) => None,
        }
    }

    pub(crate) fn at(&self, at: usize) -> Option<&Track> {
        self.slots.get(at).filter(|t| !t.key.is_empty())
    }

    pub(crate) fn at_mut(&mut self, at: usize) -> Option<&mut Track> {
        self.slots.get_mut(at).filter(|t| !t.key.is_empty())
    }

    /// Where the track with `hash` that satisfies `is` (an expiry entry's generation) lies.
    pub(crate) fn find_by(&self, hash: u64, is: impl Fn(&Track) -> bool) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(spread(hash), |p| {
                p.hash == hash && slots.get(p.at as usize).is_some_and(&is)
            })
            .map(|p| p.at as usize)
    }

    /// Takes out the track at `at`, leaving its slot free (no other track moves).
    pub(crate) fn remove_at(&mut self, at: usize) -> Option<Track> {
        let slot = self.slots.get_mut(at).filter(|t| !t.key.is_empty())?;
        let track = std::mem::replace(slot, Track::new("", 0));
        let pos = at as u32;
        if let Ok(e) = self.index.find_entry(spread(track.hash), |p| p.at == pos) {
            e.remove();
        }
        self.free.push(pos);
        Some(track)
    }

    pub(crate) fn remove(&mut self, key: &str, hash: u64) -> Option<Track> {
        let at = self.find(key, hash)?;
        self.remove_at(at)
    }

    /// Gives memory back once mostly empty (after a spray of identities has aged out, say): at
    /// most an eighth of the slots in use, the tracks are packed together and the index and
    /// slots shrink to twice what they hold. Shrinking only that late keeps the cost
    /// amortized. Tracks move, so places found before are void: call it between events.
    pub(crate) fn shrink_if_sparse(&mut self) {
        let (len, cap) = (self.index.len(), self.slots.capacity());
        if !(cap > 64 && len < cap / 8 || len == 0 && cap > 0) {
            return;
        }
        self.slots.retain(|t| !t.key.is_empty());
        self.free = Vec::new();
        if self.slots.is_empty() {
            self.slots = Vec::new();
            self.index = HashTable::new();
            return;
        }
        self.slots.shrink_to(len * 2);
        self.index = HashTable::with_capacity(len * 2);
        for (at, t) in self.slots.iter().enumerate() {
            let place = Place {
                hash: t.hash,
                at: at as u32,
            };
            self.index
                .insert_unique(spread(t.hash), place, |p| spread(p.hash));
        }
    }

    /// Adds a track whose identity has none.
    pub(crate) fn insert(&mut self, track: Track) {
        let Ok(at) = u32::try_from(self.slots.len()) else {
            return;
        };
        let hash = track.hash;
        self.index
            .insert_unique(spread(hash), Place { hash, at }, |p| spread(p.hash));
        self.slots.push(track);
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Track> {
        self.slots.iter().filter(|t| !t.key.is_empty())
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Bytes of the index and of the slots not holding a track (the tracks count their own
    /// size in `Track::bytes`).
    pub(crate) fn bytes(&self) -> usize {
        let buckets = if self.index.capacity() == 0 {
            0
        } else {
            (self.index.capacity() * 8 / 7).next_power_of_two()
        };
        buckets * (std::mem::size_of::<Place>() + 1)
            + (self.slots.capacity() - self.index.len()) * std::mem::size_of::<Track>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }
}

/// One queue entry: (due ms, identity hash, generation).
pub(crate) type Due = (i64, u64, u32);

/// How many one-second buckets the ring holds at most: due times this far ahead of the
/// oldest second not yet taken wait in an ordered map instead. Two hours and a quarter cover
/// the default settings (nothing is due more than an hour and five minutes ahead).
const RING_SECONDS: usize = 1 << 13;

/// Expiry queue: a ring of one-second buckets (a calendar queue). Appending is O(1) into the
/// bucket of its second, and taking what is due empties the oldest buckets in order: prompts
/// of one second come due in a few different later seconds (a sent prompt when it goes
/// unanswered, a refusal when it leaves the window), so no bucket is ever searched for. Stale
/// entries (an older generation) are skipped by the caller.
#[derive(Default)]
pub(crate) struct ExpiryQueue {
    /// The second of `ring[0]`: every second before it has been taken.
    base: i64,
    /// `ring[i]` holds the entries due in second `base + i`.
    ring: VecDeque<Vec<Due>>,
    /// Entries due before `base` (pushed after their second was taken: an event older than
    /// the time already advanced to).
    overdue: Vec<Due>,
    /// Entries due `RING_SECONDS` or more after `base`, by second.
    later: BTreeMap<i64, Vec<Due>>,
    len: usize,
}

impl ExpiryQueue {
    pub(crate) fn push(&mut self, entry: Due) {
        if self.len == 0 {
            // Empty (and so released): the ring starts at this entry's second.
            self.base = entry.0.div_euclid(1000);
        }
        self.len += 1;
        self.place(entry);
    }

    /// Puts an entry where its second belongs (`len` already counts it).
    fn place(&mut self, entry: Due) {
        let sec = entry.0.div_euclid(1000);
        let ahead = sec.checked_sub(self.base).map(usize::try_from);
        match ahead {
            Some(Err(_)) => self.overdue.push(entry),
            Some(Ok(i)) if i < RING_SECONDS => {
                if self.ring.len() <= i {
                    self.ring.resize_with(i + 1, Vec::new);
                }
                if let Some(bucket) = self.ring.get_mut(i) {
                    bucket.push(entry);
                }
            }
            _ => self.later.entry(sec).or_default().push(entry),
        }
    }

    /// Moves every entry due at or before `now` into `into`.
    pub(crate) fn take_due(&mut self, now: i64, into: &mut Vec<Due>) {
        let now_sec = now.div_euclid(1000);
        self.len -= take_ready(&mut self.overdue, now, into);
        // Whole seconds before `now`'s.
        while self.base < now_sec {
            let Some(mut bucket) = self.ring.pop_front() else {
                self.base = now_sec;
                break;
            };
            self.len -= bucket.len();
            into.append(&mut bucket);
            self.base += 1;
        }
        // Entries of the ordered map that the ring now reaches.
        let reach = self.base.saturating_add(RING_SECONDS as i64);
        while let Some(entry) = self.later.first_entry() {
            if *entry.key() >= reach {
                break;
            }
            for e in entry.remove() {
                self.place(e);
            }
        }
        self.len -= take_ready(&mut self.overdue, now, into);
        if self.base == now_sec {
            if let Some(bucket) = self.ring.front_mut() {
                self.len -= take_ready(bucket, now, into);
            }
        }
        self.release_if_empty();
    }

    /// Gives every allocation back once nothing is queued (an idle detector holds nothing).
    fn release_if_empty(&mut self) {
        if self.len == 0 {
            *self = ExpiryQueue {
                base: self.base,
                ..ExpiryQueue::default()
            };
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Keeps only the entries `live` accepts (dropping stale ones ahead of their time).
    pub(crate) fn retain(&mut self, mut live: impl FnMut(&Due) -> bool) {
        // Buckets give back their room too: a pass happens only once most entries are stale.
        let mut keep = |bucket: &mut Vec<Due>| {
            bucket.retain(&mut live);
            bucket.shrink_to_fit();
        };
        keep(&mut self.overdue);
        self.ring.iter_mut().for_each(&mut keep);
        self.later.retain(|_, bucket| {
            keep(bucket);
            !bucket.is_empty()
        });
        self.len = self.overdue.len()
            + self.ring.iter().map(Vec::len).sum::<usize>()
            + self.later.values().map(Vec::len).sum::<usize>();
        self.release_if_empty();
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        let bucket = std::mem::size_of::<Vec<Due>>();
        let room = |b: &Vec<Due>| bucket + b.capacity() * std::mem::size_of::<Due>();
        self.ring.iter().map(room).sum::<usize>()
            + self.later.values().map(|b| room(b) + 16).sum::<usize>()
            + self.overdue.capacity() * std::mem::size_of::<Due>()
    }
}

/// Moves the entries of `bucket` due at or before `now` into `into`; how many.
fn take_ready(bucket: &mut Vec<Due>, now: i64, into: &mut Vec<Due>) -> usize {
    let before = bucket.len();
    bucket.retain(|e| {
        let ready = e.0 <= now;
        if ready {
            into.push(*e);
        }
        !ready
    });
    before - bucket.len()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever the order of additions and removals, with hashes made to collide and with
        /// slots freed, reused and packed, every identity present is found at a place holding
        /// its own track, and no other is.
        #[test]
        fn tracks_agree_with_a_plain_set(ops in proptest::collection::vec((0u8..40, 0u8..160), 0..400)) {
            let mut tracks = Tracks::default();
            let mut model = BTreeSet::new();
            // Three hashes for 160 identities: most lookups meet colliding neighbours.
            let hash = |i: u8| u64::from(i % 3);
            let keys: Vec<String> = (0u8..160).map(|i| format!("user{i}@example.com")).collect();
            let key = |i: u8| keys[usize::from(i)].as_str();
            for (op, i) in ops {
                match op {
                    0..=19 => {
                        let at = tracks.find_or_add(key(i), hash(i), true);
                        prop_assert!(at.is_some());
                        model.insert(i);
                    }
                    20..=29 => {
                        let removed = tracks.remove(key(i), hash(i));
                        prop_assert_eq!(removed.is_some(), model.remove(&i));
                    }
                    30..=38 => {
                        let found = tracks.find_or_add(key(i), hash(i), false);
                        prop_assert_eq!(found.is_some(), model.contains(&i));
                    }
                    _ => {
                        // Most identities leave at once, so that packing has work to do.
                        for j in 0u8..160 {
                            if j % 16 != i % 16 && model.remove(&j) {
                                prop_assert!(tracks.remove(key(j), hash(j)).is_some());
                            }
                        }
                        tracks.shrink_if_sparse();
                    }
                }
                prop_assert_eq!(tracks.len(), model.len());
                prop_assert_eq!(tracks.iter().count(), model.len());
                for j in 0u8..160 {
                    let got = tracks.get(key(j), hash(j)).map(|t| t.key.as_str().into_owned());
                    prop_assert_eq!(got, model.contains(&j).then(|| key(j).to_owned()));
                }
            }
        }

        /// Every entry pushed comes out exactly once, and only once it is due: pushes and takes
        /// interleave, due times reach past the ring (into the ordered map) and behind what was
        /// already taken (overdue), time may stand still or jump, and stale entries are dropped
        /// ahead of time. A plain list of what is waiting is the model.
        #[test]
        fn queue_gives_each_entry_once_when_due(
            ops in proptest::collection::vec((0u8..4, -20_000_000i64..30_000_000), 0..300),
        ) {
            let mut q = ExpiryQueue::default();
            let mut waiting: Vec<Due> = Vec::new();
            let mut now = 0i64;
            for (n, (op, x)) in ops.into_iter().enumerate() {
                match op {
                    0 | 1 => {
                        // Due around `now`: behind it, soon, or hours ahead.
                        let e = (now.saturating_add(x / if op == 0 { 1000 } else { 1 }), n as u64, 0);
                        q.push(e);
                        waiting.push(e);
                    }
                    2 => {
                        now = now.saturating_add(x.rem_euclid(10_000_000) / if x % 3 == 0 { 1 } else { 1000 });
                        let mut out = Vec::new();
                        q.take_due(now, &mut out);
                        let mut expected: Vec<Due> = waiting.iter().copied().filter(|e| e.0 <= now).collect();
                        waiting.retain(|e| e.0 > now);
                        out.sort_unstable();
                        expected.sort_unstable();
                        prop_assert_eq!(out, expected);
                    }
                    _ => {
                        // Drop the entries of odd identities.
                        q.retain(|e| e.1 % 2 == 0);
                        waiting.retain(|e| e.1 % 2 == 0);
                    }
                }
                prop_assert_eq!(q.len(), waiting.len());
            }
            let mut out = Vec::new();
            q.take_due(i64::MAX, &mut out);
            prop_assert_eq!(out.len(), waiting.len());
            prop_assert_eq!(q.len(), 0);
            prop_assert_eq!(q.bytes(), 0, "an empty queue holds nothing");
        }
    }
}
