//! Closed `unfamiliar_signin` findings about a device the identity had never used, kept for a
//! while in case that device turns up again from the identity's own place and network: then it
//! is the identity's new machine (a laptop refresh first used on a new network), and the
//! finding is revised down with the reason. An intruder's device does not sign in from the
//! victim's home network.

use std::collections::BTreeMap;

use palisade_core::Finding;
use palisade_schema::{IdentityKey, Timestamp};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::state::{self, Expiry};

/// A closed finding about a new device, waiting to be vouched for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Suspect {
    /// The finding at its latest revision.
    pub(crate) finding: Finding,
    /// The device the finding named.
    pub(crate) device: String,
    /// When it stops waiting.
    #[serde(with = "state::millis")]
    pub(crate) until: Timestamp,
}

impl Suspect {
    fn bytes(&self) -> usize {
        state::finding_bytes(&self.finding) + self.device.capacity() + 64
    }
}

/// The suspects, at most one per identity (the latest), with their deadlines in order.
#[derive(Debug, Default)]
pub(crate) struct Suspects {
    /// Keyed by a fast hash; snapshots sort, so no output depends on hash order.
    held: FxHashMap<IdentityKey, Suspect>,
    expiry: Expiry<IdentityKey>,
    bytes: usize,
}

impl Suspects {
    pub(crate) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Holds `s` for `key` (replacing an older one); past `cap` the one due first is dropped.
    pub(crate) fn hold(&mut self, key: &IdentityKey, s: Suspect, cap: usize) {
        self.remove(key);
        while self.held.len() >= cap.max(1) {
            let Some(oldest) = self.expiry.pop_earliest() else {
                break;
            };
            self.remove(&oldest);
        }
        self.bytes += s.bytes() + key.as_str().len();
        self.expiry.set(key, None, s.until);
        self.held.insert(key.clone(), s);
    }

    /// Takes `key`'s suspect if it names `device`.
    pub(crate) fn take(&mut self, key: &IdentityKey, device: &str) -> Option<Suspect> {
        if self.held.get(key)?.device != device {
            return None;
        }
        self.remove(key)
    }

    /// Drops every suspect whose wait ended by `now`.
    pub(crate) fn expire(&mut self, now: Timestamp) {
        while let Some(key) = self.expiry.pop_due(now) {
            self.remove(&key);
        }
    }

    /// Removes `key`'s suspect, its deadline (if still queued) and its bytes.
    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<Suspect> {
        let s = self.held.remove(key)?;
        self.expiry.remove(key, s.until);
        self.bytes = self.bytes.saturating_sub(s.bytes() + key.as_str().len());
        Some(s)
    }

    pub(crate) fn state_bytes(&self) -> usize {
        self.bytes + self.expiry.len() * 48
    }

    pub(crate) fn sorted(&self) -> BTreeMap<&IdentityKey, &Suspect> {
        self.held.iter().collect()
    }

    pub(crate) fn restored(held: BTreeMap<IdentityKey, Suspect>) -> Self {
        let mut s = Suspects::default();
        for (k, v) in held {
            s.bytes += v.bytes() + k.as_str().len();
            s.expiry.set(&k, None, v.until);
            s.held.insert(k, v);
        }
        s
    }
}
