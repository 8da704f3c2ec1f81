//! The identity baseline as detectors see it: read-only, as it was before the event in hand.
//!
//! `palisade-baseline` implements these traits; detectors depend only on them, never on the
//! baseline crate, so an integrator can bring their own profile store.

use std::borrow::Cow;

use palisade_schema::{Activity, Event, IdentityKey, Timestamp};
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
    /// Whether the sign-in satisfied MFA, where the vendor says (CloudTrail `MFAUsed`, Entra's
    /// authentication requirement, OCSF `is_mfa`): `satisfied` or `not_satisfied`.
    Mfa,
}

/// The value of [`Dimension::Mfa`] for a sign-in that did, or did not, satisfy MFA.
///
/// ```
/// assert_eq!(palisade_core::mfa_value(true), "satisfied");
/// assert_eq!(palisade_core::mfa_value(false), "not_satisfied");
/// ```
pub fn mfa_value(satisfied: bool) -> &'static str {
    if satisfied {
        "satisfied"
    } else {
        "not_satisfied"
    }
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
    /// Successful sign-ins learned from (a store may count the records of one session as one
    /// sign-in, as `palisade-baseline` does).
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
    /// How the profile names `value` of `dim` when it learns a coarser form than the raw value
    /// (a user agent as its browser and OS family, "Firefox on Windows"), for findings to name
    /// what was compared. Defaults to `None`: the value is shown as given.
    fn value_label(&self, _dim: Dimension, _value: &str) -> Option<String> {
        None
    }
    /// The tenant-wide share of `value` in `dim`, 0 to 1: the prior that makes a country common
    /// in the organisation less surprising for a new identity. Defaults to "unknown" (0).
    fn tenant_share(&self, _dim: Dimension, _value: &str) -> f64 {
        0.0
    }

    /// How familiar `event`'s own value is in each of `dims`, with its tenant-wide share, in one
    /// call: `familiar[i]` and `shares[i]` answer for `dims[i]` exactly as
    /// [`familiarity`](Self::familiarity) and [`tenant_share`](Self::tenant_share) would for the
    /// event's value in that dimension as text (`None` and 0 when the event has no value there;
    /// slots past the shortest of the three slices are left alone).
    ///
    /// An event's value in a dimension is its origin's country, city name (never a geo cell),
    /// ASN (decimal), IP address (its prefix is the profile's business), device id, raw user
    /// agent, the UTC hour of the week (decimal), and a sign-in's application.
    ///
    /// The default asks [`familiarity`](Self::familiarity) and
    /// [`tenant_share`](Self::tenant_share) once per dimension; a store that can read the event
    /// directly (no text to build and parse again per dimension, one pass over the profile)
    /// overrides it, and must give the same answers.
    ///
    /// ```
    /// use palisade_core::{Dimension, Familiarity, ProfileView};
    /// use palisade_schema::*;
    /// struct OnlyAu;
    /// impl ProfileView for OnlyAu {
    ///     fn sign_ins(&self) -> u64 { 10 }
    ///     fn days(&self) -> u32 { 14 }
    ///     fn trusted(&self) -> bool { true }
    ///     fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity> {
    ///         let t = Timestamp::from_millis_unchecked(0);
    ///         (dim == Dimension::Country && value == "AU")
    ///             .then_some(Familiarity { weight: 10.0, share: 1.0, first_seen: t, last_seen: t })
    ///     }
    ///     fn top_values(&self, _dim: Dimension) -> Vec<(String, f64)> { vec![] }
    /// }
    /// let mut e = Event::new(Timestamp::from_millis_unchecked(0), "e1", Source::Okta,
    ///     Activity::SignIn(SignIn::success(SignInStage::Primary)));
    /// e.origin.country = Some("AU".into());
    /// e.origin.asn = Some(7545);
    /// let dims = [Dimension::Country, Dimension::Asn, Dimension::Device];
    /// let (mut familiar, mut shares) = ([None; 3], [0.0; 3]);
    /// OnlyAu.event_familiarity(&e, &dims, &mut familiar, &mut shares);
    /// assert_eq!(familiar[0].map(|f| f.share), Some(1.0));
    /// assert!(familiar[1].is_none() && familiar[2].is_none());
    /// ```
    fn event_familiarity(
        &self,
        event: &Event,
        dims: &[Dimension],
        familiar: &mut [Option<Familiarity>],
        shares: &mut [f64],
    ) {
        for ((dim, f), s) in dims.iter().zip(familiar).zip(shares) {
            match event_value(event, *dim) {
                Some(v) => {
                    *f = self.familiarity(*dim, &v);
                    *s = self.tenant_share(*dim, &v);
                }
                None => {
                    *f = None;
                    *s = 0.0;
                }
            }
        }
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

/// The event's value in `dim` as text, as [`ProfileView::event_familiarity`] describes it.
fn event_value(event: &Event, dim: Dimension) -> Option<Cow<'_, str>> {
    let o = &event.origin;
    fn text(v: &Option<String>) -> Option<Cow<'_, str>> {
        v.as_deref().map(Cow::Borrowed)
    }
    match dim {
        Dimension::Country => text(&o.country),
        Dimension::City => text(&o.city),
        Dimension::Asn => o.asn.map(|a| Cow::Owned(a.to_string())),
        Dimension::Prefix => o.ip.map(|ip| Cow::Owned(ip.to_string())),
        Dimension::Device => text(&o.device_id),
        Dimension::UserAgent => {
            text(&o.user_agent).or_else(|| o.client.as_deref().map(|c| Cow::Owned(c.describe())))
        }
        Dimension::HourOfWeek => Some(Cow::Owned(event.time.hour_of_week().to_string())),
        Dimension::App => match &event.activity {
            Activity::SignIn(s) => s.app.as_deref().map(Cow::Borrowed),
            _ => None,
        },
        Dimension::Mfa => match &event.activity {
            Activity::SignIn(s) => s.mfa_satisfied.map(|m| Cow::Borrowed(mfa_value(m))),
            _ => None,
        },
    }
}

/// The store of all identities' profiles, owned by the pipeline.
///
/// The pipeline shows detectors `view(identity)` first, and calls `learn(event)` only after
/// every detector has observed the event.
pub trait ProfileStore: Send {
    /// The profile of `identity`, if one exists.
    fn view(&self, identity: &IdentityKey) -> Option<&dyn ProfileView>;
    /// Event time has reached `now`; called before the profile for an event at `now` is read.
    /// A store that holds learning back (a password-stage success waiting for its MFA step)
    /// learns here what the passing time has decided.
    fn advance(&mut self, _now: Timestamp) {}
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
