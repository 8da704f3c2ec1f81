//! Networks that earned a high `unfamiliar_signin` finding on an identity, kept for
//! `follow_up_hours`: a later sign-in of that identity from the same network is at least
//! medium however often it returns. The profile learns every sign-in it is shown, so without
//! this an intruder who comes back a few times makes their network look familiar within a day.

use palisade_schema::{IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use crate::held::{Held, Kept};
use crate::state;

/// The network of a high finding, and when that finding saw it last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Alerted {
    pub(crate) asn: u32,
    #[serde(with = "state::millis")]
    pub(crate) seen: Timestamp,
    #[serde(with = "state::millis")]
    pub(crate) until: Timestamp,
}

impl Kept for Alerted {
    fn until(&self) -> Timestamp {
        self.until
    }
    fn bytes(&self) -> usize {
        64
    }
}

/// The alerted networks, at most one per identity (the latest).
pub(crate) type AlertedNetworks = Held<Alerted>;

impl AlertedNetworks {
    /// The alert on `key`'s network `asn` still in force at `now`, if there is one.
    pub(crate) fn of(
        &self,
        key: &IdentityKey,
        asn: Option<u32>,
        now: Timestamp,
    ) -> Option<&Alerted> {
        self.get(key)
            .filter(|a| Some(a.asn) == asn && a.seen <= now && now <= a.until)
    }
}
