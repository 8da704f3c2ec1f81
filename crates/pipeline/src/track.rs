//! The pipeline's own bounded bookkeeping: the reorder buffer, the duplicate set and the
//! per-identity table (last-seen time for eviction, recent findings for detectors' context).

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};

use palisade_core::{stable_hash, Finding, FindingRef};
use palisade_schema::{Event, IdentityKey, Source, Timestamp};

/// Cost of one buffered event: the struct, everything it owns, and its slot and heap key.
pub(crate) fn event_bytes(e: &Event) -> usize {
    std::mem::size_of::<Event>() + e.heap_bytes() + 48
}

/// The reorder buffer: events parked in slots, and a min-heap of small keys pointing at them.
///
/// Events are large, so the heap orders `(time, source, slot)` instead of moving whole events
/// on every sift. Events sharing a time and source come out of the heap together and are put
/// in id order before release, which completes the total order `(time, source, id)`.
#[derive(Debug, Default)]
pub(crate) struct ReorderBuffer {
    heap: BinaryHeap<Reverse<(Timestamp, Source, u32)>>,
    slots: Vec<Option<Event>>,
    free: Vec<u32>,
    /// Slots of the group being released (one time and source), highest id first.
    group: Vec<u32>,
    bytes: usize,
    len: usize,
}

impl ReorderBuffer {
    pub(crate) fn push(&mut self, e: Event) {
        self.bytes += event_bytes(&e);
        self.len += 1;
        let key = (e.time, e.source);
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(e);
                s
            }
            None => {
                self.slots.push(Some(e));
                (self.slots.len() - 1) as u32
            }
        };
        // A newcomer to the group being released joins it in id order.
        if self.group_key() == Some(key) {
            let id = self.id_of(slot);
            let at = self.group.partition_point(|g| self.id_of(*g) > id);
            self.group.insert(at, slot);
        } else {
            self.heap.push(Reverse((key.0, key.1, slot)));
        }
    }

    fn id_of(&self, slot: u32) -> &str {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map_or("", |e| e.id.as_str())
    }

    fn group_key(&self) -> Option<(Timestamp, Source)> {
        let slot = *self.group.last()?;
        self.slots
            .get(slot as usize)?
            .as_ref()
            .map(|e| (e.time, e.source))
    }

    pub(crate) fn peek_time(&self) -> Option<Timestamp> {
        match self.group_key() {
            Some((t, _)) => Some(t),
            None => self.heap.peek().map(|Reverse((t, _, _))| *t),
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.group.is_empty() {
            let Reverse((t, src, slot)) = self.heap.pop()?;
            self.group.push(slot);
            while let Some(Reverse((t2, src2, s2))) = self.heap.peek().copied() {
                if (t2, src2) != (t, src) {
                    break;
                }
                self.heap.pop();
                self.group.push(s2);
            }
            if self.group.len() > 1 {
                let slots = &self.slots;
                let id = |s: &u32| {
                    slots
                        .get(*s as usize)
                        .and_then(Option::as_ref)
                        .map(|e| &e.id)
                };
                self.group.sort_by(|a, b| id(b).cmp(&id(a)));
            }
        }
        let slot = self.group.pop()?;
        let e = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.len -= 1;
        self.bytes = self.bytes.saturating_sub(event_bytes(&e));
        if self.len == 0 {
            // Give back the slot memory a burst left behind.
            self.slots.clear();
            self.free.clear();
        }
        Some(e)
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The buffered events in the total order (for snapshots).
    pub(crate) fn sorted(&self) -> Vec<&Event> {
        let mut v: Vec<&Event> = self.slots.iter().flatten().collect();
        v.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        v
    }
}

#[derive(Debug)]
struct Seen {
    time: Timestamp,
    source: Source,
    id: Box<str>,
}

/// Per-entry cost of the duplicate set besides the id text: map slot, heap slot, box header.
const DEDUP_ENTRY_BYTES: usize = 96;

/// `(source, event id)` pairs seen recently, forgotten by event time (and by count, past a cap).
///
/// Keyed by a 64-bit hash with the id kept beside it: a hash collision with a different id is
/// treated as "not seen" (the event is processed), never as a duplicate, so a crafted collision
/// cannot hide an event.
#[derive(Debug)]
pub(crate) struct DedupSet {
    map: HashMap<u64, Seen>,
    expiry: BinaryHeap<Reverse<(Timestamp, u64)>>,
    id_bytes: usize,
    cap: usize,
}

impl DedupSet {
    pub(crate) fn new(cap: usize) -> Self {
        DedupSet {
            map: HashMap::new(),
            expiry: BinaryHeap::new(),
            id_bytes: 0,
            cap: cap.max(1),
        }
    }

    /// Records the event; true when the pair was already remembered (a duplicate).
    pub(crate) fn seen_before(&mut self, source: Source, id: &str, time: Timestamp) -> bool {
        let h = stable_hash(&[source.as_str(), id]);
        match self.map.entry(h) {
            Entry::Occupied(o) => {
                let s = o.get();
                s.source == source && &*s.id == id
            }
            Entry::Vacant(v) => {
                v.insert(Seen {
                    time,
                    source,
                    id: id.into(),
                });
                self.id_bytes += id.len();
                self.expiry.push(Reverse((time, h)));
                while self.map.len() > self.cap {
                    self.pop_oldest();
                }
                false
            }
        }
    }

    fn pop_oldest(&mut self) {
        if let Some(Reverse((_, h))) = self.expiry.pop() {
            // Every map entry has exactly one heap entry (entries leave the map only here).
            if let Some(s) = self.map.remove(&h) {
                self.id_bytes -= s.id.len();
            }
        }
    }

    /// Forgets pairs whose event time is before `cutoff`.
    pub(crate) fn expire(&mut self, cutoff: Timestamp) {
        while matches!(self.expiry.peek(), Some(Reverse((t, _))) if *t < cutoff) {
            self.pop_oldest();
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.map.len() * DEDUP_ENTRY_BYTES + self.id_bytes
    }

    /// `(time ms, source, id)` in order, for snapshots.
    pub(crate) fn entries(&self) -> Vec<(i64, Source, String)> {
        let mut v: Vec<_> = self
            .map
            .values()
            .map(|s| (s.time.as_millis(), s.source, s.id.to_string()))
            .collect();
        v.sort();
        v
    }
}

/// What the pipeline keeps per identity.
#[derive(Debug)]
pub(crate) struct Tracked {
    /// Latest event (or finding) time seen for it: the eviction order.
    pub(crate) last_seen: Timestamp,
    /// Its recent findings, oldest first.
    pub(crate) recent: Vec<FindingRef>,
}

/// Per-entry cost of the identity table besides key text and recent findings.
const IDENTITY_ENTRY_BYTES: usize = 80;
/// Rough cost of one recent finding reference.
const FINDING_REF_BYTES: usize = std::mem::size_of::<FindingRef>() + 48;

/// Every identity the pipeline tracks. Bounded by the memory budget through eviction.
#[derive(Debug, Default)]
pub(crate) struct IdentityTable {
    pub(crate) map: HashMap<IdentityKey, Tracked>,
    key_bytes: usize,
    refs: usize,
}

impl IdentityTable {
    /// The identity's entry (created if new), with `last_seen` raised to `time` and recent
    /// findings older than `cutoff` dropped.
    pub(crate) fn touch(
        &mut self,
        id: &IdentityKey,
        time: Timestamp,
        cutoff: Timestamp,
    ) -> Option<&mut Tracked> {
        // Look up by reference first: the common case (a known identity) must not clone the key.
        if !self.map.contains_key(id) {
            self.key_bytes += id.as_str().len();
            self.map.insert(
                id.clone(),
                Tracked {
                    last_seen: time,
                    recent: Vec::new(),
                },
            );
        }
        let t = self.map.get_mut(id)?;
        if time > t.last_seen {
            t.last_seen = time;
        }
        if t.recent.first().is_some_and(|r| r.last_seen < cutoff) {
            let before = t.recent.len();
            t.recent.retain(|r| r.last_seen >= cutoff);
            self.refs -= before - t.recent.len();
        }
        Some(t)
    }

    /// Records a finding (any revision) in the recent list of every identity it names: the
    /// entry with the same id is replaced, else it is appended and the oldest beyond
    /// `per_identity` dropped.
    pub(crate) fn record(&mut self, f: &Finding, cutoff: Timestamp, per_identity: usize) {
        if per_identity == 0 || f.last_seen < cutoff {
            return;
        }
        for key in f.identity.iter().chain(f.identities.iter()) {
            let (added, dropped) = {
                let Some(t) = self.touch(key, f.last_seen, cutoff) else {
                    continue;
                };
                if let Some(slot) = t.recent.iter_mut().find(|r| r.id == f.id) {
                    *slot = f.as_ref();
                    (0, 0)
                } else {
                    t.recent.push(f.as_ref());
                    let extra = t.recent.len().saturating_sub(per_identity);
                    t.recent.drain(..extra);
                    (1, extra)
                }
            };
            self.refs = self.refs + added - dropped;
        }
    }

    /// Drops an identity; true when it was tracked.
    pub(crate) fn remove(&mut self, id: &IdentityKey) -> bool {
        match self.map.remove(id) {
            Some(t) => {
                self.key_bytes -= id.as_str().len();
                self.refs -= t.recent.len();
                true
            }
            None => false,
        }
    }

    /// Inserts restored state.
    pub(crate) fn insert(
        &mut self,
        id: IdentityKey,
        last_seen: Timestamp,
        recent: Vec<FindingRef>,
    ) {
        self.remove(&id);
        self.key_bytes += id.as_str().len();
        self.refs += recent.len();
        self.map.insert(id, Tracked { last_seen, recent });
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.map.len() * IDENTITY_ENTRY_BYTES + self.key_bytes + self.refs * FINDING_REF_BYTES
    }
}
