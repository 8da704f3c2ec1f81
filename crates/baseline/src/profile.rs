//! One identity's profile: capped, decaying value counts per dimension, and the tenant-wide
//! state (priors, display names) every profile reads through a shared handle.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hashbrown::HashMap;
use palisade_core::{Dimension, Familiarity, ProfileView};
use palisade_schema::{Event, Timestamp};

use crate::keys::{self, Observation, DIMENSIONS};
use crate::BaselineConfig;

/// One learned value: 24 bytes, so a full default profile stays under 1 KiB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: u64,
    /// Decayed count as of the profile's `decayed_at`.
    pub(crate) weight: f32,
    /// First and last sighting, seconds since the Unix epoch (u32 reaches 2106, past the
    /// plausible-time bound of 2100).
    pub(crate) first: u32,
    pub(crate) last: u32,
    pub(crate) dim: u8,
}

/// Tenant-wide state: how many identities hold each value (the prior) and display names.
#[derive(Debug, Default)]
pub(crate) struct Tenant {
    pub(crate) labels: HashMap<u64, Box<str>>,
    /// Per dimension: value key → number of profiles holding it.
    pub(crate) priors: [HashMap<u64, u32>; DIMENSIONS.len()],
    /// Profiles in the store.
    pub(crate) identities: usize,
    /// Insert attempts refused since the last sweep of a full prior (rate-limits sweeps).
    pub(crate) refused: u64,
    pub(crate) label_bytes: usize,
}

/// Whether the tenant prior tracks a dimension: device ids are personal, so a device common in
/// the tenant means nothing; and whether a sign-in satisfied MFA is the identity's habit.
pub(crate) fn tracks_prior(dim: u8) -> bool {
    !matches!(
        DIMENSIONS.get(usize::from(dim)),
        Some(Dimension::Device | Dimension::Mfa)
    )
}

impl Tenant {
    pub(crate) fn add(&mut self, dim: u8, key: u64, cap: usize) {
        if !tracks_prior(dim) {
            return;
        }
        let Some(map) = self.priors.get_mut(usize::from(dim)) else {
            return;
        };
        if let Some(c) = map.get_mut(&key) {
            *c = c.saturating_add(1);
            return;
        }
        if map.len() >= cap {
            // Sweep the values held by a single identity, at most once per `cap` refusals, so a
            // prior full of common values does not cost a scan on every new value.
            self.refused += 1;
            if self.refused < cap as u64 {
                return;
            }
            self.refused = 0;
            map.retain(|_, c| *c > 1);
            if map.len() >= cap {
                return;
            }
        }
        map.insert(key, 1);
    }

    pub(crate) fn remove(&mut self, dim: u8, key: u64) {
        let Some(map) = self.priors.get_mut(usize::from(dim)) else {
            return;
        };
        if let Some(c) = map.get_mut(&key) {
            *c -= 1;
            if *c == 0 {
                map.remove(&key);
            }
        }
    }

    pub(crate) fn label(&mut self, key: u64, label: &str, cap: usize) {
        if self.labels.len() < cap && !self.labels.contains_key(&key) {
            self.label_bytes += label.len();
            self.labels.insert(key, label.into());
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let labels = self.labels.capacity() * (8 + 16 + 1) + self.label_bytes;
        let priors: usize = self.priors.iter().map(|m| m.capacity() * (8 + 4 + 1)).sum();
        labels + priors
    }
}

/// What every profile of one store shares: the settings and the tenant-wide state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: BaselineConfig,
    /// Each dimension's cap, by storage index.
    pub(crate) caps: [usize; DIMENSIONS.len()],
    /// `-1 / half-life` in seconds: a weight decays by `exp2(dt * decay_rate)`.
    decay_rate: f64,
    tenant: RwLock<Tenant>,
}

impl Shared {
    pub(crate) fn new(config: BaselineConfig, tenant: Tenant) -> Self {
        Shared {
            caps: DIMENSIONS.map(|d| config.caps.get(d)),
            decay_rate: -1.0 / config.half_life_secs(),
            config,
            tenant: RwLock::new(tenant),
        }
    }

    /// The factor a weight keeps over `dt` seconds.
    pub(crate) fn decay(&self, dt: u32) -> f32 {
        (f64::from(dt) * self.decay_rate).exp2() as f32
    }
    // A poisoned lock only means another thread panicked mid-update of plain counters; the
    // counters are still usable, so poisoning is ignored rather than turned into a panic.
    pub(crate) fn tenant(&self) -> RwLockReadGuard<'_, Tenant> {
        self.tenant.read().unwrap_or_else(PoisonError::into_inner)
    }
    pub(crate) fn tenant_mut(&self) -> RwLockWriteGuard<'_, Tenant> {
        self.tenant.write().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn secs(t: Timestamp) -> u32 {
    u32::try_from(t.as_millis().div_euclid(1000).max(0)).unwrap_or(u32::MAX)
}

fn time_of(secs: u32) -> Timestamp {
    Timestamp::from_millis_unchecked(i64::from(secs) * 1000)
}

/// One identity's baseline, learned from its successful sign-ins.
///
/// Read it through [`ProfileView`]: weights are as of the last sign-in learned (decay is applied
/// when the next one arrives), and shares are within one dimension.
///
/// ```
/// use palisade_baseline::BaselineStore;
/// use palisade_core::{Dimension, ProfileStore, ProfileView};
/// use palisade_schema::*;
///
/// let mut store = BaselineStore::default();
/// let t = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
/// let mut e = Event::new(t, "e1", Source::Entra, Activity::SignIn(SignIn::success(SignInStage::Primary)))
///     .with_actor(Identity::new("ana@contoso.com"));
/// e.origin.country = Some("AU".into());
/// e.origin.asn = Some(7545);
/// store.learn(&e);
/// let p = store.profile("ana@contoso.com").unwrap();
/// assert_eq!(p.sign_ins(), 1);
/// assert!(!p.trusted());
/// assert_eq!(p.familiarity(Dimension::Country, "au").unwrap().share, 1.0);
/// assert!(p.is_new(Dimension::Asn, "AS7922"));
/// assert_eq!(p.top_values(Dimension::Country), vec![("AU".to_string(), 1.0)]);
/// ```
#[derive(Debug)]
pub struct Profile {
    pub(crate) entries: Vec<Entry>,
    pub(crate) shared: Arc<Shared>,
    /// The store's fingerprint of the identity key: what a lookup compares.
    pub(crate) print: [u64; 2],
    /// Where the identity key lies in the store's arena of keys.
    pub(crate) at: usize,
    pub(crate) id_len: u32,
    pub(crate) sign_ins: u32,
    pub(crate) first: u32,
    pub(crate) last: u32,
    pub(crate) decayed_at: u32,
    /// When this identity last took an MFA step (seconds; 0 for never): its password-stage
    /// successes then wait for their MFA step before they are learned.
    pub(crate) last_mfa: u32,
    /// The session of that step (a stable hash; 0 when the vendor named none): a step confirms
    /// only a sign-in of its own session, so the victim approving their own push minutes
    /// before does not vouch for an attacker's sign-in.
    pub(crate) last_mfa_session: u64,
    /// The session of the last sign-in learned (a stable hash; 0 when the vendor named none)
    /// and when its current window began: see [`BaselineConfig::session_window_secs`].
    pub(crate) session: u64,
    pub(crate) session_since: u32,
    /// Creation order, so snapshots are written in an order that depends only on the events.
    pub(crate) seq: u64,
}

impl Profile {
    pub(crate) fn new(shared: Arc<Shared>, at: u32) -> Self {
        Profile {
            entries: Vec::new(),
            shared,
            print: [0; 2],
            at: 0,
            id_len: 0,
            sign_ins: 0,
            first: at,
            last: at,
            decayed_at: at,
            last_mfa: 0,
            last_mfa_session: 0,
            session: 0,
            session_since: 0,
            seq: 0,
        }
    }

    /// How many values `dim` currently holds (at most its cap).
    pub fn value_count(&self, dim: Dimension) -> usize {
        keys::dim_index(dim).map_or(0, |d| self.entries.iter().filter(|e| e.dim == d).count())
    }

    /// How many values the whole profile holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the profile holds no values (every one decayed away).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// First successful sign-in learned.
    pub fn first_seen(&self) -> Timestamp {
        time_of(self.first)
    }

    /// Last successful sign-in learned.
    pub fn last_seen(&self) -> Timestamp {
        time_of(self.last)
    }

    /// Multiplies every weight by the decay since `decayed_at`, forgetting values that fall
    /// below the minimum weight.
    fn decay_to(&mut self, shared: &Shared, t: u32, tenant: &mut Tenant) {
        if t <= self.decayed_at {
            return;
        }
        let factor = shared.decay(t - self.decayed_at);
        self.decayed_at = t;
        let min = shared.config.min_weight;
        let mut weak = false;
        for e in &mut self.entries {
            e.weight *= factor;
            weak |= e.weight < min;
        }
        if weak {
            self.entries.retain(|e| {
                let keep = e.weight >= min;
                if !keep {
                    tenant.remove(e.dim, e.key);
                }
                keep
            });
        }
    }

    /// Learns one successful sign-in at `t` (seconds) of `session` (a stable hash, 0 for none)
    /// with its properties.
    ///
    /// A sign-in of the same session as the last one, within the session window, is the same
    /// visit seen again (Okta logs a session start and then one SSO record per app; Entra one
    /// record per token): it adds weight only to values that visit has not yet taught, and is
    /// not counted as another sign-in. Otherwise one visit of an intruder's would teach its
    /// network as often as it opened an app, and make it look usual.
    pub(crate) fn learn(
        &mut self,
        shared: &Shared,
        (t, session): (u32, u64),
        obs: &[Observation<'_>],
        tenant: &mut Tenant,
    ) {
        self.decay_to(shared, t, tenant);
        let config = &shared.config;
        let window = config.session_window_secs;
        let same_visit =
            session != 0 && session == self.session && t.abs_diff(self.session_since) < window;
        // Values last seen since the visit began were taught by it already. (A record of the
        // visit that arrives late moves its start back.)
        let taught_since = if same_visit {
            self.session_since = self.session_since.min(t);
            self.session_since
        } else {
            self.session = session;
            self.session_since = t;
            u32::MAX
        };
        // A late event counts as if it had decayed from its own time to the profile's clock.
        let w = if t >= self.decayed_at {
            1.0
        } else {
            shared.decay(self.decayed_at - t)
        };
        for o in obs {
            // Most sign-ins repeat known values: a tight search first.
            if let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| e.key == o.key && e.dim == o.dim)
            {
                if e.last < taught_since {
                    e.weight += w;
                }
                e.first = e.first.min(t);
                e.last = e.last.max(t);
                continue;
            }
            // A new value: how full its dimension is and which of its values is weakest.
            let mut held = 0;
            let mut weakest: Option<(usize, f32)> = None;
            for (i, e) in self.entries.iter().enumerate() {
                if e.dim != o.dim {
                    continue;
                }
                held += 1;
                if weakest.is_none_or(|(_, w)| e.weight < w) {
                    weakest = Some((i, e.weight));
                }
            }
            if w < config.min_weight {
                continue;
            }
            let cap = shared.caps[usize::from(o.dim)];
            let fresh = Entry {
                key: o.key,
                weight: w,
                first: t,
                last: t,
                dim: o.dim,
            };
            if held < cap {
                // Grow four values at a time rather than doubling: a profile stops at a few
                // dozen values, and doubling would leave a third of its memory unused.
                if self.entries.len() == self.entries.capacity() {
                    self.entries.reserve_exact(4);
                }
                self.entries.push(fresh);
            } else if let Some((j, _)) = weakest {
                // Full: the newest value replaces the weakest, so the profile follows the
                // identity's present habits within a fixed size.
                tenant.remove(o.dim, self.entries[j].key);
                self.entries[j] = fresh;
            } else {
                continue;
            }
            tenant.add(o.dim, o.key, config.tenant_values_cap);
            if let Some(label) = o.label.text() {
                tenant.label(o.key, &label, config.label_cap);
            }
        }
        if !same_visit {
            self.sign_ins = self.sign_ins.saturating_add(1);
        }
        self.first = self.first.min(t);
        self.last = self.last.max(t);
    }

    fn dim_total(&self, dim: u8) -> f32 {
        self.entries
            .iter()
            .filter(|e| e.dim == dim)
            .map(|e| e.weight)
            .sum()
    }

    /// How familiar the value with `key` is in the dimension at `d`.
    fn familiarity_by_key(&self, d: u8, key: u64) -> Option<Familiarity> {
        // One pass: the value and its dimension's total weight.
        let mut total = 0.0f32;
        let mut found = None;
        for e in self.entries.iter().filter(|e| e.dim == d) {
            total += e.weight;
            if e.key == key {
                found = Some(e);
            }
        }
        found.map(|e| familiarity_of(e, total))
    }

    /// Removes this profile's contribution from the tenant prior (before it is dropped).
    pub(crate) fn release(&self, tenant: &mut Tenant) {
        for e in &self.entries {
            tenant.remove(e.dim, e.key);
        }
    }
}

impl ProfileView for Profile {
    fn sign_ins(&self) -> u64 {
        u64::from(self.sign_ins)
    }

    fn days(&self) -> u32 {
        (self.last / 86_400).saturating_sub(self.first / 86_400)
    }

    fn trusted(&self) -> bool {
        let c = &self.shared.config;
        let days = self.days();
        days >= c.min_learning_days
            && (days >= c.learning_days || self.sign_ins >= c.learning_sign_ins)
    }

    fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity> {
        let d = keys::dim_index(dim)?;
        let key = keys::value_key(d, value)?;
        self.familiarity_by_key(d, key)
    }

    fn event_familiarity(
        &self,
        event: &Event,
        dims: &[Dimension],
        familiar: &mut [Option<Familiarity>],
        shares: &mut [f64],
    ) {
        const N: usize = DIMENSIONS.len();
        let n = dims.len().min(familiar.len()).min(shares.len());
        // The event's keys, straight from the event exactly as `value_key` keys their text:
        // `None` when the event has no value, or one that cannot be a value of the dimension.
        let key_of = |dim: Dimension| {
            let d = keys::dim_index(dim)?;
            keys::event_key(event, d).flatten().map(|key| (d, key))
        };
        if n > N {
            // More questions than dimensions (some repeated): one at a time.
            let tenant = self.shared.tenant();
            for k in 0..n {
                (familiar[k], shares[k]) = match key_of(dims[k]) {
                    Some((d, key)) => (
                        self.familiarity_by_key(d, key),
                        share_by_key(&tenant, &self.shared.config, d, key),
                    ),
                    None => (None, 0.0),
                };
            }
            return;
        }
        let mut asked: [Option<(u8, u64)>; N] = [None; N];
        let mut want: [Option<u64>; N] = [None; N];
        for (slot, dim) in asked.iter_mut().zip(&dims[..n]) {
            *slot = key_of(*dim);
            if let Some((d, key)) = *slot {
                want[usize::from(d)] = Some(key);
            }
        }
        // One pass over the profile: every dimension's total, and the entries asked about (the
        // last match wins, as in `familiarity`).
        let mut totals = [0.0f32; N];
        let mut found: [Option<&Entry>; N] = [None; N];
        for e in &self.entries {
            let d = usize::from(e.dim);
            if let (Some(t), Some(w)) = (totals.get_mut(d), want.get(d)) {
                *t += e.weight;
                if *w == Some(e.key) {
                    found[d] = Some(e);
                }
            }
        }
        let tenant = self.shared.tenant();
        for k in 0..n {
            (familiar[k], shares[k]) = match asked[k] {
                Some((d, key)) => {
                    let d_at = usize::from(d);
                    (
                        found[d_at].map(|e| familiarity_of(e, totals[d_at])),
                        share_by_key(&tenant, &self.shared.config, d, key),
                    )
                }
                None => (None, 0.0),
            };
        }
    }

    fn value_label(&self, dim: Dimension, value: &str) -> Option<String> {
        // Only the user-agent dimension keeps a family rather than the value itself.
        if dim != Dimension::UserAgent {
            return None;
        }
        let d = keys::dim_index(dim)?;
        keys::key_text(d, keys::value_key(d, value)?)
    }

    fn top_values(&self, dim: Dimension) -> Vec<(String, f64)> {
        let Some(d) = keys::dim_index(dim) else {
            return Vec::new();
        };
        let total = self.dim_total(d);
        if total <= 0.0 {
            return Vec::new();
        }
        let named = keys::is_named(d);
        let tenant = named.then(|| self.shared.tenant());
        let mut out: Vec<(String, f64)> = self
            .entries
            .iter()
            .filter(|e| e.dim == d)
            .filter_map(|e| {
                let text = match &tenant {
                    Some(t) => t.labels.get(&e.key).map(|l| l.to_string()),
                    None => keys::key_text(d, e.key),
                }?;
                Some((text, f64::from(e.weight / total)))
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    fn tenant_share(&self, dim: Dimension, value: &str) -> f64 {
        let Some(d) = keys::dim_index(dim) else {
            return 0.0;
        };
        let Some(key) = keys::value_key(d, value) else {
            return 0.0;
        };
        share_by_key(&self.shared.tenant(), &self.shared.config, d, key)
    }
}

/// The familiarity of one entry whose dimension weighs `total` in all.
fn familiarity_of(e: &Entry, total: f32) -> Familiarity {
    Familiarity {
        weight: f64::from(e.weight),
        share: if total > 0.0 {
            f64::from(e.weight / total)
        } else {
            0.0
        },
        first_seen: time_of(e.first),
        last_seen: time_of(e.last),
    }
}

/// The tenant-wide share of the value with `key` in the dimension at `d`.
fn share_by_key(tenant: &Tenant, config: &BaselineConfig, d: u8, key: u64) -> f64 {
    if tenant.identities < config.prior_min_identities || tenant.identities == 0 {
        return 0.0;
    }
    let held = tenant
        .priors
        .get(usize::from(d))
        .and_then(|m| m.get(&key))
        .copied();
    (f64::from(held.unwrap_or(0)) / tenant.identities as f64).min(1.0)
}
