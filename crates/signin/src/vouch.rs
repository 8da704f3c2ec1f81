//! Closed `unfamiliar_signin` findings about a device the identity had never used, kept for a
//! while in case that device turns up again from the identity's own place and network: then it
//! is the identity's new machine (a laptop refresh first used on a new network), and the
//! finding is revised down with the reason. An intruder's device does not sign in from the
//! victim's home network.

use palisade_core::Finding;
use palisade_schema::{IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use crate::held::{Held, Kept};
use crate::state;

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

impl Kept for Suspect {
    fn until(&self) -> Timestamp {
        self.until
    }
    fn bytes(&self) -> usize {
        state::finding_bytes(&self.finding) + self.device.capacity() + 64
    }
}

/// The suspects, at most one per identity (the latest).
pub(crate) type Suspects = Held<Suspect>;

impl Suspects {
    /// Takes `key`'s suspect if it names `device`.
    pub(crate) fn take(&mut self, key: &IdentityKey, device: &str) -> Option<Suspect> {
        if self.get(key)?.device != device {
            return None;
        }
        self.remove(key)
    }
}
