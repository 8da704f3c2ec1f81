//! The detector's bounded memory: each identity's last located sign-in and the place pairs it
//! has moved between, the tenant-wide pair memory, and their snapshot form.

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_geo::{LearnedSnapshot, Location, Spot};
use palisade_schema::{Duration, IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use rustc_hash::FxBuildHasher as FxBuild;

/// Event ids longer than this are not kept as evidence of a later finding (state stays small).
pub(crate) const MAX_KEPT_ID: usize = 62;

/// Ids up to this long (UUIDs and GUIDs, with or without braces) are kept inline.
const INLINE_ID: usize = 38;

/// `EventId::len` of an id kept in [`Slab`]'s side table (39 to [`MAX_KEPT_ID`] bytes).
const LONG_ID: u8 = u8::MAX;

/// An event id kept for the evidence of a later finding: inline up to 38 bytes (vendor ids are
/// GUIDs and UUIDs, 36 bytes), so refreshing it on every sign-in only writes (it never reads
/// what was there, nor allocates); ids up to [`MAX_KEPT_ID`] bytes go to the slab's side table;
/// longer ids are not kept (empty).
#[derive(Clone, Copy)]
pub(crate) struct EventId {
    len: u8,
    bytes: [u8; INLINE_ID],
}

impl Default for EventId {
    fn default() -> Self {
        EventId {
            len: 0,
            bytes: [0; INLINE_ID],
        }
    }
}

impl std::fmt::Debug for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventId").field("len", &self.len).finish()
    }
}

/// Copies `src` (at most [`INLINE_ID`] bytes) to the start of `dst` in a few fixed-size,
/// possibly overlapping moves rather than a call to a variable-length copy: this runs for
/// nearly every sign-in.
#[inline]
fn copy_short(dst: &mut [u8; INLINE_ID], src: &[u8]) {
    let n = src.len().min(INLINE_ID);
    let src = &src[..n];
    if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        if n > 32 {
            dst[16..32].copy_from_slice(&src[16..32]);
        }
        dst[n - 16..n].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// Slots per chunk of the [`Slab`].
const CHUNK: usize = 1024;

/// The identities' cold records, in chunks so growing never moves (or re-touches) the records
/// already held; freed slots are reused.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    chunks: Vec<Vec<Cold>>,
    free: Vec<u32>,
    /// Event ids too long to keep inline, by slot (read when `EventId::len` says so).
    long_ids: HashMap<u32, Box<str>, FxBuild>,
}

impl Slab {
    pub(crate) fn get(&self, slot: u32) -> Option<&Cold> {
        let slot = slot as usize;
        self.chunks.get(slot / CHUNK)?.get(slot % CHUNK)
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut Cold> {
        let slot = slot as usize;
        self.chunks.get_mut(slot / CHUNK)?.get_mut(slot % CHUNK)
    }

    /// Stores a record; returns its slot.
    pub(crate) fn insert(&mut self, record: Cold) -> u32 {
        if let Some(slot) = self.free.pop() {
            if let Some(c) = self.get_mut(slot) {
                *c = record;
                return slot;
            }
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let n = self.chunks.len() - 1;
        let last = &mut self.chunks[n];
        last.push(record);
        (n * CHUNK + last.len() - 1) as u32
    }

    /// Frees a slot.
    pub(crate) fn release(&mut self, slot: u32) {
        if let Some(c) = self.get_mut(slot) {
            *c = Cold::default();
            self.free.push(slot);
            self.long_ids.remove(&slot);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.free.clear();
        self.long_ids.clear();
    }

    /// Sets the event id kept in `slot` (writes only, for ids that fit inline).
    #[inline]
    pub(crate) fn set_event_id(&mut self, slot: u32, id: &str) {
        let len = if id.len() <= INLINE_ID {
            id.len() as u8
        } else if id.len() <= MAX_KEPT_ID {
            self.long_ids.insert(slot, id.into());
            LONG_ID
        } else {
            0
        };
        if let Some(c) = self.get_mut(slot) {
            if id.len() <= INLINE_ID {
                copy_short(&mut c.event_id.bytes, id.as_bytes());
            }
            c.event_id.len = len;
        }
    }

    /// A sign-in from the same address as last time: writes (never reads) what it changes.
    #[inline]
    pub(crate) fn refresh(
        &mut self,
        slot: u32,
        time: Timestamp,
        id: &str,
        session: u64,
        device: u64,
    ) {
        self.set_event_id(slot, id);
        if let Some(c) = self.get_mut(slot) {
            c.time = time;
            c.session = session;
            c.device = device;
        }
    }

    /// The event id kept in `slot` (empty when none).
    pub(crate) fn event_id(&self, slot: u32) -> &str {
        let Some(c) = self.get(slot) else { return "" };
        match c.event_id.len {
            LONG_ID => self.long_ids.get(&slot).map_or("", |s| s),
            // Always a whole `&str` copied in `set_event_id`, so this never fails.
            n => std::str::from_utf8(&c.event_id.bytes[..usize::from(n)]).unwrap_or(""),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Cold> {
        self.chunks.iter().flatten()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<Cold>()
            + self.chunks.capacity() * 24
            + self.free.capacity() * 4
            + self.long_ids.capacity() * (std::mem::size_of::<(u32, Box<str>)>() + 1)
            + self.long_ids.values().map(|s| s.len()).sum::<usize>()
            + self.iter().map(Cold::heap_bytes).sum::<usize>()
    }
}

/// What the detector reads for every sign-in of an identity, kept inline in the identity map
/// (32 bytes, so the map stays small enough to stay in cache): the last located sign-in's time
/// and address, and where the rest of the identity's state is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hot {
    /// Time of the last located successful sign-in (meaningful when `has_last`).
    pub(crate) time: Timestamp,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) has_last: bool,
    /// Index of the identity's [`Cold`] record.
    pub(crate) slot: u32,
}

/// The rest of an identity's state, read when the address changed or a finding is made.
///
/// Laid out in whole cache lines: what a sign-in from the same address writes (time, event
/// id, session, device) is the first line, so that path touches one line and reads nothing.
#[derive(Clone, Debug, Default)]
#[repr(C, align(64))]
pub(crate) struct Cold {
    /// A copy of `Hot::time`, so expiry looks at the identity map only when something expires.
    pub(crate) time: Timestamp,
    /// Stable hashes of the session and device ids (0: none).
    pub(crate) session: u64,
    pub(crate) device: u64,
    /// The last located sign-in's event id (with `Hot::time` and `Hot::ip`), when
    /// `Hot::has_last`; read through [`Slab::event_id`].
    pub(crate) event_id: EventId,
    pub(crate) interactive: bool,
    /// The identity's fingerprint (its key in the identity map).
    pub(crate) print: u128,
    pub(crate) spot: Option<Spot>,
    /// The egress list the address matched (index into the detector's registry).
    pub(crate) egress: Option<u32>,
    pub(crate) key: Option<IdentityKey>,
    /// Place pairs (unordered pair key) this identity made impossible moves between: when
    /// first and when last.
    pub(crate) pairs: Vec<(u64, Timestamp, Timestamp)>,
    /// When the identity's entry in the expiry queue is due (`None`: no live entry).
    pub(crate) queued: Option<Timestamp>,
}

/// Hours of event time per bucket of the [`Expiry`] queue.
const BUCKET_MS: i64 = 3_600_000;

/// When identities' state next needs looking at, in buckets of an hour of event time: (due,
/// slot) entries, looked at once the whole bucket is past. Pushing is amortised O(1) for the
/// usual in-order times, and an identity is looked at within an hour of when it fell due
/// (looking never changes a finding, only what memory is held).
#[derive(Debug, Default)]
pub(crate) struct Expiry {
    buckets: std::collections::BTreeMap<i64, Vec<(Timestamp, u32)>>,
}

impl Expiry {
    pub(crate) fn push(&mut self, due: Timestamp, slot: u32) {
        let b = due.as_millis().div_euclid(BUCKET_MS);
        self.buckets.entry(b).or_default().push((due, slot));
    }

    /// Takes every entry of the buckets entirely before `now` (all of them due), earliest
    /// bucket first, into `into`.
    pub(crate) fn take_due(&mut self, now: Timestamp, into: &mut Vec<(Timestamp, u32)>) {
        // Entries of bucket `b` are due before `(b + 1) * BUCKET_MS`.
        let limit = now.as_millis().div_euclid(BUCKET_MS);
        while let Some(e) = self.buckets.first_entry() {
            if *e.key() >= limit {
                break;
            }
            into.extend(e.remove());
        }
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(Timestamp, u32)>();
        self.buckets
            .values()
            .map(|v| v.capacity() * entry + 48)
            .sum::<usize>()
    }
}

impl Cold {
    /// Whether the identity made this move at least `settle` ago, and recently enough to count.
    /// The settling time keeps an attacker's own back-and-forth within one session from making
    /// itself familiar.
    pub(crate) fn knows_pair(
        &self,
        pair: u64,
        now: Timestamp,
        settle: Duration,
        memory: Duration,
    ) -> bool {
        self.pairs.iter().any(|(p, first, last)| {
            *p == pair && now.since(*first) >= settle && now.since(*last) <= memory
        })
    }

    /// Remembers a pair, replacing the oldest entry when `cap` are held. Expired entries are
    /// the oldest, so whether a sweep dropped them first never changes what is remembered.
    pub(crate) fn remember_pair(
        &mut self,
        pair: u64,
        now: Timestamp,
        memory: Duration,
        cap: usize,
    ) {
        if cap == 0 {
            return;
        }
        if let Some(e) = self.pairs.iter_mut().find(|(p, _, _)| *p == pair) {
            // An expired memory starts over, exactly as if a sweep had already dropped it.
            if now.since(e.2) > memory {
                e.1 = now;
            }
            e.2 = e.2.max(now);
            return;
        }
        if self.pairs.len() < cap {
            self.pairs.push((pair, now, now));
            return;
        }
        if let Some(oldest) = self.pairs.iter_mut().min_by_key(|(p, _, last)| (*last, *p)) {
            *oldest = (pair, now, now);
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.key.as_ref().map_or(0, |k| k.as_str().len())
            + self.pairs.capacity() * std::mem::size_of::<(u64, Timestamp, Timestamp)>()
    }
}

/// One identity's last located successful sign-in, as snapshots write it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct LastSignIn {
    pub(crate) time: Timestamp,
    /// Empty when the id was too long to keep.
    pub(crate) event_id: String,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) location: Location,
    pub(crate) session: u64,
    pub(crate) device: u64,
    pub(crate) egress: Option<u32>,
    pub(crate) interactive: bool,
}

/// What the detector keeps per identity, as snapshots write it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct IdentityState {
    pub(crate) key: IdentityKey,
    pub(crate) last: Option<LastSignIn>,
    pub(crate) pairs: Vec<(u64, Timestamp, Timestamp)>,
}

/// One place pair in the tenant-wide memory: which identities (hashed) made the move, and when
/// last.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TenantPair {
    pub(crate) identities: Vec<u64>,
    pub(crate) last: Timestamp,
}

/// The tenant-wide pair memory: bounded, evicting the least recently used quarter (ties by key)
/// when full, so it is deterministic and independent of sweeps.
#[derive(Clone, Debug, Default)]
pub(crate) struct TenantPairs {
    pub(crate) pairs: HashMap<u64, TenantPair, FxBuild>,
}

impl TenantPairs {
    /// How many identities other than `who` made this move within `memory` of `now`.
    pub(crate) fn others(&self, pair: u64, who: u64, now: Timestamp, memory: Duration) -> usize {
        match self.pairs.get(&pair) {
            Some(p) if now.since(p.last) <= memory => {
                p.identities.iter().filter(|i| **i != who).count()
            }
            _ => 0,
        }
    }

    /// Records that `who` made the move; keeps at most `keep` identities per pair (enough to
    /// answer "at least N others") and at most `cap` pairs.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record(
        &mut self,
        pair: u64,
        who: u64,
        now: Timestamp,
        memory: Duration,
        keep: usize,
        cap: usize,
    ) {
        if cap == 0 {
            return;
        }
        if !self.pairs.contains_key(&pair) && self.pairs.len() >= cap {
            let mut by_age: Vec<(Timestamp, u64)> =
                self.pairs.iter().map(|(k, v)| (v.last, *k)).collect();
            by_age.sort_unstable();
            for (_, k) in by_age.into_iter().take((cap / 4).max(1)) {
                self.pairs.remove(&k);
            }
        }
        let p = self.pairs.entry(pair).or_default();
        if now.since(p.last) > memory {
            p.identities.clear();
        }
        p.last = p.last.max(now);
        if !p.identities.contains(&who) {
            if p.identities.len() >= keep.max(1) {
                p.identities.remove(0);
            }
            p.identities.push(who);
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.pairs.capacity() * (std::mem::size_of::<(u64, TenantPair)>() + 8)
            + self
                .pairs
                .values()
                .map(|p| p.identities.capacity() * 8)
                .sum::<usize>()
    }
}

/// Format version of [`Snapshot`].
pub(crate) const SNAPSHOT_VERSION: u32 = 1;

/// Everything the detector's findings depend on, in a deterministic order.
#[derive(Serialize, Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) version: u32,
    pub(crate) identities: Vec<IdentityState>,
    pub(crate) tenant: Vec<(u64, TenantPair)>,
    pub(crate) learned: LearnedSnapshot,
    pub(crate) last_sweep: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_small() {
        eprintln!(
            "hot {} entry {} cold {} spot {}",
            std::mem::size_of::<Hot>(),
            std::mem::size_of::<(u128, Hot)>(),
            std::mem::size_of::<Cold>(),
            std::mem::size_of::<Spot>()
        );
        assert!(std::mem::size_of::<(u128, Hot)>() <= 48);
        assert_eq!(std::mem::size_of::<Cold>(), 192);
        assert_eq!(std::mem::offset_of!(Cold, interactive), 63);
    }

    #[test]
    fn event_ids_of_every_length_read_back() {
        let mut slab = Slab::default();
        let slot = slab.insert(Cold::default());
        for n in 0..=MAX_KEPT_ID {
            let id: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            slab.set_event_id(slot, &id);
            assert_eq!(slab.event_id(slot), id);
        }
        // Multi-byte characters are copied whole.
        slab.set_event_id(slot, "évènement-ü");
        assert_eq!(slab.event_id(slot), "évènement-ü");
        slab.set_event_id(slot, &"z".repeat(MAX_KEPT_ID + 1));
        assert_eq!(slab.event_id(slot), "");
    }
}
