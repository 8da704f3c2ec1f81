//! The detector's bounded memory: each identity's last located sign-in and the place pairs it
//! has moved between, the tenant-wide pair memory, and their snapshot form.

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_geo::{LearnedSnapshot, Location};
use palisade_schema::{Duration, IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use rustc_hash::FxBuildHasher as FxBuild;

/// Event ids longer than this are not kept as evidence of a later finding (state stays small).
pub(crate) const MAX_KEPT_ID: usize = 62;

/// An event id kept inline (vendor ids are GUIDs and UUIDs, 36 bytes), so refreshing it on
/// every sign-in touches no other memory. Longer ids are not kept (empty).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShortId {
    len: u8,
    bytes: [u8; MAX_KEPT_ID],
}

impl ShortId {
    pub(crate) fn new(id: &str) -> Self {
        let mut s = ShortId {
            len: 0,
            bytes: [0; MAX_KEPT_ID],
        };
        s.set(id);
        s
    }

    pub(crate) fn set(&mut self, id: &str) {
        if id.len() <= MAX_KEPT_ID {
            self.bytes[..id.len()].copy_from_slice(id.as_bytes());
            self.len = id.len() as u8;
        } else {
            self.len = 0;
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Always a whole `&str` copied in `set`, so this never fails.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for ShortId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl Serialize for ShortId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShortId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(ShortId::new(&s))
    }
}

/// One identity's last located successful sign-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct LastSignIn {
    pub(crate) time: Timestamp,
    /// Empty when the id was too long to keep.
    pub(crate) event_id: ShortId,
    pub(crate) ip: Option<IpAddr>,
    /// Boxed: the names are cold, while the fields above are read on every sign-in.
    pub(crate) location: Box<Location>,
    /// Stable hashes of the session and device ids (0: none).
    pub(crate) session: u64,
    pub(crate) device: u64,
    /// The egress list the address matched (index into the detector's registry).
    pub(crate) egress: Option<u32>,
    pub(crate) interactive: bool,
}

/// What the detector keeps per identity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct IdentityState {
    pub(crate) key: IdentityKey,
    /// Inline, so the same-address check reads only the map's bucket.
    pub(crate) last: Option<LastSignIn>,
    /// Place pairs (unordered pair key) this identity made impossible moves between: when
    /// first and when last.
    pub(crate) pairs: Vec<(u64, Timestamp, Timestamp)>,
}

impl IdentityState {
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
        let last = self.last.as_ref().map_or(0, |l| {
            std::mem::size_of::<Location>()
                + [
                    &l.location.country,
                    &l.location.region,
                    &l.location.city,
                    &l.location.as_org,
                ]
                .iter()
                .map(|s| s.as_ref().map_or(0, String::capacity))
                .sum::<usize>()
        });
        self.key.as_str().len()
            + last
            + self.pairs.capacity() * std::mem::size_of::<(u64, Timestamp, Timestamp)>()
    }
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
