//! Each identity's state, in a table built for the common sign-in: the one from the same address
//! as last time, which changes nothing but what the record keeps of the last sign-in besides
//! its place.
//!
//! The table is a compact index (four bytes a slot, so it mostly stays in a core's cache) over
//! fixed records in chunks. A record's first cache line holds everything that sign-in reads and
//! most of what it writes, and the event id it keeps is in the next line of the same 128-byte
//! pair, so that sign-in costs one trip to memory. The map this replaced (fingerprint to a
//! 32-byte entry, which pointed to a separate record) cost two: the bench ran about 5% faster.
//! A third layout, 32-byte entries by slot between index and record, measured no better.

use std::collections::HashMap;
use std::net::IpAddr;

use hashbrown::HashTable;
use palisade_geo::Spot;
use palisade_schema::{Duration, IdentityKey, Timestamp};
use rustc_hash::FxBuildHasher as FxBuild;

/// Event ids longer than this are not kept as evidence of a later finding (state stays small).
pub(crate) const MAX_KEPT_ID: usize = 62;

/// Ids up to this long (UUIDs and GUIDs, with or without braces) are kept inline.
const INLINE_ID: usize = 38;

/// `EventId::len` of an id kept in the table's side map (39 to [`MAX_KEPT_ID`] bytes).
const LONG_ID: u8 = u8::MAX;

/// `Record::egress` when the address matched no egress list.
const NO_EGRESS: u32 = u32::MAX;

/// Records per chunk: growing adds a chunk and never moves (or re-touches) the records held.
const CHUNK: usize = 1024;

/// An event id kept for the evidence of a later finding: inline up to 38 bytes (vendor ids are
/// GUIDs and UUIDs, 36 bytes), so refreshing it on every sign-in only writes (it never reads
/// what was there, nor allocates); ids up to [`MAX_KEPT_ID`] bytes go to the table's side map;
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

/// One identity's state, in four cache lines (128-byte aligned, so the first two are one pair
/// that memory delivers together):
/// 1. what every sign-in reads (fingerprint, last time and address) and the rest of the last
///    sign-in that fits;
/// 2. the last sign-in's event id, which every sign-in writes, and the expiry bookkeeping;
/// 3. and 4. the last sign-in's place, read when the address changed; the identity's key and
///    the place pairs it moved between.
#[derive(Clone, Debug)]
#[repr(C, align(128))]
pub(crate) struct Record {
    /// The identity's fingerprint (its key in the index).
    pub(crate) print: u128,
    /// Time of the last located successful sign-in (meaningful when `has_last`).
    pub(crate) time: Timestamp,
    /// Stable hashes of the last sign-in's session and device ids (0: none).
    pub(crate) session: u64,
    pub(crate) device: u64,
    pub(crate) ip: Option<IpAddr>,
    /// Whether the record holds a last sign-in (`spot` is then set too: this is its copy on
    /// the first line).
    pub(crate) has_last: bool,
    pub(crate) interactive: bool,
    /// The egress list the last address matched (index into the detector's registry), or
    /// [`NO_EGRESS`]; read through [`Record::egress`].
    egress: u32,
    /// The last sign-in's event id; read through [`Identities::event_id`].
    pub(crate) event_id: EventId,
    /// When the identity's entry in the expiry queue is due (`None`: no live entry).
    pub(crate) queued: Option<Timestamp>,
    pub(crate) spot: Option<Spot>,
    pub(crate) key: Option<IdentityKey>,
    /// Place pairs (unordered pair key) this identity made impossible moves between: when
    /// first and when last.
    pub(crate) pairs: Vec<(u64, Timestamp, Timestamp)>,
    /// While the last sign-in came through a network whose address does not say where the
    /// person is (one on an egress or mobile list), the last one before it that did.
    pub(crate) anchor: Option<Box<Anchor>>,
    /// The network of this identity's last high finding, and when: see
    /// `TravelConfig::alert_memory_hours`.
    pub(crate) alert: Option<(u32, Timestamp)>,
}

/// An identity's last sign-in from an address on no egress or mobile list: where the person
/// last demonstrably was, kept while later sign-ins come through VPNs, proxies or carriers, so
/// a move is also judged from there.
#[derive(Clone, Debug)]
pub(crate) struct Anchor {
    pub(crate) time: Timestamp,
    pub(crate) spot: Spot,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) session: u64,
    pub(crate) device: u64,
    pub(crate) interactive: bool,
    /// Empty when not kept.
    pub(crate) event_id: String,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            print: 0,
            time: Timestamp::default(),
            session: 0,
            device: 0,
            ip: None,
            has_last: false,
            interactive: false,
            egress: NO_EGRESS,
            event_id: EventId::default(),
            queued: None,
            spot: None,
            key: None,
            pairs: Vec::new(),
            anchor: None,
            alert: None,
        }
    }
}

impl Record {
    /// A new identity's record, without a last sign-in.
    pub(crate) fn new(print: u128, key: IdentityKey) -> Self {
        Record {
            print,
            key: Some(key),
            ..Record::default()
        }
    }

    /// The egress list the last address matched.
    pub(crate) fn egress(&self) -> Option<u32> {
        (self.egress != NO_EGRESS).then_some(self.egress)
    }

    /// Sets the last sign-in's place and what is kept with it (not its event id).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn set_last(
        &mut self,
        time: Timestamp,
        ip: Option<IpAddr>,
        spot: Spot,
        (session, device): (u64, u64),
        egress: Option<u32>,
        interactive: bool,
    ) {
        self.time = time;
        self.ip = ip;
        self.has_last = true;
        self.session = session;
        self.device = device;
        // Registries never hold `u32::MAX` lists.
        self.egress = egress.unwrap_or(NO_EGRESS);
        self.interactive = interactive;
        self.spot = Some(spot);
    }

    /// Drops the last sign-in and the anchor before it (keeps the pairs and the key).
    pub(crate) fn clear_last(&mut self) {
        self.anchor = None;
        self.has_last = false;
        self.ip = None;
        self.spot = None;
        self.egress = NO_EGRESS;
        self.event_id = EventId::default();
    }

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

    fn heap_bytes(&self) -> usize {
        self.key.as_ref().map_or(0, |k| k.as_str().len())
            + self.pairs.capacity() * std::mem::size_of::<(u64, Timestamp, Timestamp)>()
            + self
                .anchor
                .as_ref()
                .map_or(0, |a| std::mem::size_of::<Anchor>() + a.event_id.capacity())
    }
}

/// What [`Identities::refresh_same_address`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SameAddress {
    /// Not the last sign-in's address (or older than it, or no last sign-in): nothing changed.
    No,
    /// The same address: the record now holds this sign-in. `first_of_day` when the last one
    /// was on an earlier UTC day.
    Refreshed { first_of_day: bool },
}

/// The UTC day of a time, as a number.
fn day_of(t: Timestamp) -> i64 {
    t.as_millis().div_euclid(86_400_000)
}

/// Every tracked identity's [`Record`], found by fingerprint.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    /// Slots of the records, hashed by the low half of their fingerprint.
    index: HashTable<u32>,
    chunks: Vec<Vec<Record>>,
    free: Vec<u32>,
    /// Event ids too long to keep inline, by slot (read when `EventId::len` says so).
    long_ids: HashMap<u32, Box<str>, FxBuild>,
}

/// The index's hash of a fingerprint (already well mixed).
fn hash_of(print: u128) -> u64 {
    print as u64
}

impl Identities {
    /// How many identities are tracked.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of the identity with this fingerprint.
    #[inline]
    pub(crate) fn find(&self, print: u128) -> Option<u32> {
        let chunks = &self.chunks;
        self.index
            .find(hash_of(print), |&s| {
                record_in(chunks, s).is_some_and(|r| r.print == print)
            })
            .copied()
    }

    #[inline]
    pub(crate) fn get(&self, slot: u32) -> Option<&Record> {
        record_in(&self.chunks, slot)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut Record> {
        let slot = slot as usize;
        self.chunks.get_mut(slot / CHUNK)?.get_mut(slot % CHUNK)
    }

    /// Stores the record of an identity, replacing the record of the same fingerprint if there
    /// is one; returns its slot.
    pub(crate) fn insert(&mut self, record: Record) -> u32 {
        let print = record.print;
        if let Some(old) = self.find(print) {
            self.release(old);
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(r) = self.get_mut(slot) {
                    *r = record;
                }
                slot
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                let n = self.chunks.len() - 1;
                let last = &mut self.chunks[n];
                last.push(record);
                (n * CHUNK + last.len() - 1) as u32
            }
        };
        let chunks = &self.chunks;
        self.index.insert_unique(hash_of(print), slot, |&s| {
            record_in(chunks, s).map_or(0, |r| hash_of(r.print))
        });
        slot
    }

    /// Forgets the identity in `slot`.
    pub(crate) fn release(&mut self, slot: u32) {
        let Some(print) = self.get(slot).map(|r| r.print) else {
            return;
        };
        if let Ok(e) = self.index.find_entry(hash_of(print), |&s| s == slot) {
            e.remove();
            if let Some(r) = self.get_mut(slot) {
                *r = Record::default();
            }
            self.free.push(slot);
            self.long_ids.remove(&slot);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.chunks.clear();
        self.free.clear();
        self.long_ids.clear();
    }

    /// The slots of every tracked identity (in no particular order).
    pub(crate) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.index.iter().copied()
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
        if let Some(r) = self.get_mut(slot) {
            if id.len() <= INLINE_ID {
                copy_short(&mut r.event_id.bytes, id.as_bytes());
            }
            r.event_id.len = len;
        }
    }

    /// A sign-in from the same address as the last one, and not older: refreshes the record
    /// (time, session, device, whether interactive, event id) and says so, and whether it is
    /// the first of its UTC day; otherwise changes nothing.
    /// Reads the record's first line only.
    #[inline]
    pub(crate) fn refresh_same_address(
        &mut self,
        slot: u32,
        ip: IpAddr,
        (time, id): (Timestamp, &str),
        (session, device): (u64, u64),
        interactive: bool,
    ) -> SameAddress {
        let Some(r) = self.get_mut(slot) else {
            return SameAddress::No;
        };
        if !(r.has_last && r.ip == Some(ip) && time >= r.time) {
            return SameAddress::No;
        }
        let first_of_day = day_of(time) != day_of(r.time);
        r.time = time;
        r.session = session;
        r.device = device;
        r.interactive = interactive;
        self.set_event_id(slot, id);
        SameAddress::Refreshed { first_of_day }
    }

    /// The event id kept in `slot` (empty when none).
    pub(crate) fn event_id(&self, slot: u32) -> &str {
        let Some(r) = self.get(slot) else { return "" };
        match r.event_id.len {
            LONG_ID => self.long_ids.get(&slot).map_or("", |s| s),
            // Always a whole `&str` copied in `set_event_id`, so this never fails.
            n => std::str::from_utf8(&r.event_id.bytes[..usize::from(n)]).unwrap_or(""),
        }
    }

    /// Memory held, in bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.index.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.chunks.len() * CHUNK * std::mem::size_of::<Record>()
            + self.chunks.capacity() * 24
            + self.free.capacity() * 4
            + self.long_ids.capacity() * (std::mem::size_of::<(u32, Box<str>)>() + 1)
            + self.long_ids.values().map(|s| s.len()).sum::<usize>()
            + self
                .slots()
                .filter_map(|s| self.get(s))
                .map(Record::heap_bytes)
                .sum::<usize>()
    }
}

fn record_in(chunks: &[Vec<Record>], slot: u32) -> Option<&Record> {
    let slot = slot as usize;
    chunks.get(slot / CHUNK)?.get(slot % CHUNK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_same_address_sign_in_touches_is_one_line_pair() {
        assert_eq!(std::mem::size_of::<Record>(), 256);
        assert_eq!(std::mem::align_of::<Record>(), 128);
        assert!(std::mem::offset_of!(Record, egress) + 4 <= 64);
        assert_eq!(std::mem::offset_of!(Record, event_id), 64);
        assert!(std::mem::offset_of!(Record, queued) + 16 <= 128);
    }

    #[test]
    fn event_ids_of_every_length_read_back() {
        let mut table = Identities::default();
        let slot = table.insert(Record::new(7, IdentityKey::new("a@x")));
        for n in 0..=MAX_KEPT_ID {
            let id: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            table.set_event_id(slot, &id);
            assert_eq!(table.event_id(slot), id);
        }
        // Multi-byte characters are copied whole.
        table.set_event_id(slot, "évènement-ü");
        assert_eq!(table.event_id(slot), "évènement-ü");
        table.set_event_id(slot, &"z".repeat(MAX_KEPT_ID + 1));
        assert_eq!(table.event_id(slot), "");
    }

    #[test]
    fn records_are_found_replaced_and_released() {
        let mut table = Identities::default();
        // Fingerprints sharing their low half (the index's hash) are still told apart.
        let (a, b) = (1u128 << 64 | 5, 2u128 << 64 | 5);
        let sa = table.insert(Record::new(a, IdentityKey::new("a@x")));
        let sb = table.insert(Record::new(b, IdentityKey::new("b@x")));
        assert_ne!(sa, sb);
        assert_eq!(
            (table.find(a), table.find(b), table.len()),
            (Some(sa), Some(sb), 2)
        );
        // The same fingerprint again replaces the record.
        let sa2 = table.insert(Record::new(a, IdentityKey::new("a2@x")));
        assert_eq!(table.len(), 2);
        assert_eq!(table.find(a), Some(sa2));
        assert_eq!(
            table
                .get(sa2)
                .and_then(|r| r.key.as_ref())
                .map(IdentityKey::as_str),
            Some("a2@x")
        );
        table.release(sb);
        assert_eq!((table.find(b), table.len()), (None, 1));
        // A freed slot is reused, and many identities grow the table across chunks.
        for i in 0..3 * CHUNK as u128 {
            let p = (i + 100) * 0x9e37_79b9_7f4a_7c15;
            let s = table.insert(Record::new(p, IdentityKey::new("n@x")));
            assert_eq!(table.find(p), Some(s));
        }
        assert_eq!(table.len(), 1 + 3 * CHUNK);
        assert_eq!(table.slots().count(), table.len());
    }

    #[test]
    fn only_the_same_address_and_a_newer_time_refresh() {
        let mut table = Identities::default();
        let slot = table.insert(Record::new(9, IdentityKey::new("a@x")));
        let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let t = Timestamp::from_millis_unchecked(1_000_000);
        // No last sign-in yet.
        let no = SameAddress::No;
        assert_eq!(
            table.refresh_same_address(slot, ip, (t, "e1"), (0, 0), true),
            no
        );
        if let Some(r) = table.get_mut(slot) {
            r.has_last = true;
            r.ip = Some(ip);
            r.time = t;
        }
        let later = Timestamp::from_millis_unchecked(2_000_000);
        let same_day = SameAddress::Refreshed {
            first_of_day: false,
        };
        assert_eq!(
            table.refresh_same_address(slot, ip, (later, "e2"), (3, 4), false),
            same_day
        );
        assert_eq!(table.event_id(slot), "e2");
        let r = table
            .get(slot)
            .map(|r| (r.time, r.session, r.device, r.interactive));
        assert_eq!(r, Some((later, 3, 4, false)));
        // Older, or another address: untouched.
        assert_eq!(
            table.refresh_same_address(slot, ip, (t, "e0"), (0, 0), true),
            no
        );
        let other: IpAddr = "192.0.2.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(
            table.refresh_same_address(slot, other, (later, "e3"), (0, 0), true),
            no
        );
        assert_eq!(table.event_id(slot), "e2");
        // The first sign-in of a later UTC day says so.
        let next_day = later + Duration::from_days(1);
        assert_eq!(
            table.refresh_same_address(slot, ip, (next_day, "e4"), (3, 4), true),
            SameAddress::Refreshed { first_of_day: true }
        );
    }
}
