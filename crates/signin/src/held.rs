//! State kept per identity for a while after a finding closes (at most one item each, the
//! latest), dropped when its time is up or the cap is reached, earliest deadline first.

use std::collections::BTreeMap;

use palisade_schema::{IdentityKey, Timestamp};
use rustc_hash::FxHashMap;

use crate::state::Expiry;

/// What [`Held`] keeps: when it stops being kept, and what it costs.
pub(crate) trait Kept {
    fn until(&self) -> Timestamp;
    fn bytes(&self) -> usize;
}

/// Items kept per identity, with their deadlines in order.
#[derive(Debug)]
pub(crate) struct Held<T> {
    /// Keyed by a fast hash; snapshots sort, so no output depends on hash order.
    held: FxHashMap<IdentityKey, T>,
    expiry: Expiry<IdentityKey>,
    bytes: usize,
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Held {
            held: FxHashMap::default(),
            expiry: Expiry::default(),
            bytes: 0,
        }
    }
}

impl<T: Kept> Held<T> {
    pub(crate) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub(crate) fn get(&self, key: &IdentityKey) -> Option<&T> {
        self.held.get(key)
    }

    /// Holds `item` for `key` (replacing an older one); past `cap` the one due first is
    /// dropped.
    pub(crate) fn hold(&mut self, key: &IdentityKey, item: T, cap: usize) {
        self.remove(key);
        while self.held.len() >= cap.max(1) {
            let Some(oldest) = self.expiry.pop_earliest() else {
                break;
            };
            self.remove(&oldest);
        }
        self.bytes += item.bytes() + key.as_str().len();
        self.expiry.set(key, None, item.until());
        self.held.insert(key.clone(), item);
    }

    /// Drops every item whose time ended by `now`.
    pub(crate) fn expire(&mut self, now: Timestamp) {
        while let Some(key) = self.expiry.pop_due(now) {
            self.remove(&key);
        }
    }

    /// Removes `key`'s item, its deadline (if still queued) and its bytes.
    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<T> {
        let item = self.held.remove(key)?;
        self.expiry.remove(key, item.until());
        self.bytes = self.bytes.saturating_sub(item.bytes() + key.as_str().len());
        Some(item)
    }

    pub(crate) fn state_bytes(&self) -> usize {
        self.bytes + self.expiry.len() * 48
    }

    pub(crate) fn sorted(&self) -> BTreeMap<&IdentityKey, &T> {
        self.held.iter().collect()
    }

    pub(crate) fn restored(held: BTreeMap<IdentityKey, T>) -> Self {
        let mut s = Held::default();
        for (k, v) in held {
            s.bytes += v.bytes() + k.as_str().len();
            s.expiry.set(&k, None, v.until());
            s.held.insert(k, v);
        }
        s
    }
}
