//! The detector's bounded memory besides the identity table: when identities' state falls due,
//! the tenant-wide pair memory, and the snapshot form of all of it.

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_geo::{LearnedSnapshot, Location};
use palisade_schema::{Duration, IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use rustc_hash::FxBuildHasher as FxBuild;

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
    /// The last sign-in from an address on no list, while later ones came through listed
    /// networks (absent from snapshots written before anchors were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) anchor: Option<LastSignIn>,
    /// The network of the last high finding and when (absent before alerts were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) alert: Option<(u32, Timestamp)>,
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
