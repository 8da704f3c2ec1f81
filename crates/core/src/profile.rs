//! The identity baseline as detectors see it: read-only, as it was before the event in hand.
//!
//! `palisade-baseline` implements these traits; detectors depend only on them, never on the
//! baseline crate, so an integrator can bring their own profile store.

use palisade_schema::{Event, IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{BaselineMaturity, Error};

/// A property of a sign-in that a profile learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dimension {
    /// Country.
    Country,
    /// City or geo cell.
    City,
    /// Autonomous system number (as decimal text).
    Asn,
    /// IP prefix (/24 for IPv4, /48 for IPv6).
    Prefix,
    /// Client device id.
    Device,
    /// User-agent family (browser and OS, not the full version).
    UserAgent,
    /// Hour of the week, 0..=167 (as decimal text).
    HourOfWeek,
    /// Application signed into.
    App,
}

/// How familiar one value is in one dimension of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Familiarity {
    /// Decayed count of sign-ins with this value.
    pub weight: f64,
    /// This value's share of the dimension's total weight, 0 to 1.
    pub share: f64,
    /// When it was first seen.
    pub first_seen: Timestamp,
    /// When it was last seen.
    pub last_seen: Timestamp,
}

/// Read access to one identity's baseline.
///
/// ```
/// use palisade_core::{ProfileView, Dimension, Familiarity};
/// struct AlwaysAu;
/// impl ProfileView for AlwaysAu {
///     fn sign_ins(&self) -> u64 { 212 }
///     fn days(&self) -> u32 { 90 }
///     fn trusted(&self) -> bool { true }
///     fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity> { None }
///     fn top_values(&self, dim: Dimension) -> Vec<(String, f64)> {
///         if dim == Dimension::Country { vec![("AU".into(), 1.0)] } else { vec![] }
///     }
/// }
/// assert!(AlwaysAu.is_new(Dimension::Country, "US"));
/// assert_eq!(AlwaysAu.maturity().sign_ins, 212);
/// ```
pub trait ProfileView {
    /// Successful sign-ins learned from.
    fn sign_ins(&self) -> u64;
    /// Days between the first and the last sign-in learned.
    fn days(&self) -> u32;
    /// Whether the learning period is over.
    fn trusted(&self) -> bool;
    /// How familiar `value` is in `dim`; `None` when never seen (or decayed away).
    fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity>;
    /// The best-known values of `dim` with their shares, most common first (labelled dimensions
    /// only; dimensions stored as hashes return nothing).
    fn top_values(&self, dim: Dimension) -> Vec<(String, f64)>;
    /// The tenant-wide share of `value` in `dim`, 0 to 1: the prior that makes a country common
    /// in the organisation less surprising for a new identity. Defaults to "unknown" (0).
    fn tenant_share(&self, _dim: Dimension, _value: &str) -> f64 {
        0.0
    }

    /// Whether `value` is unknown to this profile in `dim`.
    fn is_new(&self, dim: Dimension, value: &str) -> bool {
        self.familiarity(dim, value).is_none()
    }

    /// Sign-ins, days and trust, for a finding's `baseline` field.
    fn maturity(&self) -> BaselineMaturity {
        BaselineMaturity {
            sign_ins: self.sign_ins(),
            days: self.days(),
            trusted: self.trusted(),
        }
    }
}

/// The store of all identities' profiles, owned by the pipeline.
///
/// The pipeline shows detectors `view(identity)` first, and calls `learn(event)` only after
/// every detector has observed the event.
pub trait ProfileStore: Send {
    /// The profile of `identity`, if one exists.
    fn view(&self, identity: &IdentityKey) -> Option<&dyn ProfileView>;
    /// Learns from one event (the store decides which events count: successful sign-ins).
    fn learn(&mut self, event: &Event);
    /// Drops an identity's profile (memory-budget eviction).
    fn forget(&mut self, _identity: &IdentityKey) {}
    /// Approximate heap bytes held.
    fn state_bytes(&self) -> usize {
        0
    }
    /// Serialized state for whole-pipeline snapshots.
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
    /// Restores state written by [`ProfileStore::snapshot`].
    fn restore(&mut self, _bytes: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

/// A store that learns nothing: every identity is unknown. The default until a baseline is plugged in.
///
/// ```
/// use palisade_core::{NoProfiles, ProfileStore};
/// use palisade_schema::IdentityKey;
/// assert!(NoProfiles.view(&IdentityKey::new("a@b.c")).is_none());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProfiles;

impl ProfileStore for NoProfiles {
    fn view(&self, _identity: &IdentityKey) -> Option<&dyn ProfileView> {
        None
    }
    fn learn(&mut self, _event: &Event) {}
}
