//! The store of every identity's profile: the [`ProfileStore`] the pipeline owns.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use palisade_core::{Error, ProfileStore, ProfileView};
use palisade_schema::{
    Activity, Event, FailureReason, IdentityKey, Outcome, SignInStage, Timestamp,
};

use crate::keys::{self, Observation, Observations};
use crate::pending::{same_session, HeldObservation, Pending, Waiting};
use crate::profile::{secs, Entry, Profile, Shared, Tenant};
use crate::{snapshot, BaselineConfig};

/// The store's fingerprint of an identity key, as two words (the first is the index hash).
/// The seed is secret and per store, so a collision cannot be aimed.
fn fingerprint(seed: [u64; 2], s: &str) -> [u64; 2] {
    let print = palisade_core::fingerprint(seed, s);
    [print as u64, (print >> 64) as u64]
}

/// Every identity's baseline, learned from successful sign-ins only: a failed sign-in never
/// creates a profile.
///
/// One store serves one tenant: its prior ("how many identities in the organisation sign in
/// from this country") is tenant-wide.
///
/// ```
/// use palisade_baseline::{BaselineConfig, BaselineStore};
/// use palisade_core::{ProfileStore, ProfileView};
/// use palisade_schema::*;
///
/// let mut store = BaselineStore::new(BaselineConfig::default()).unwrap();
/// let t0 = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
/// for day in 0..12 {
///     let t = t0 + Duration::from_days(day);
///     let mut e = Event::new(t, format!("e{day}"), Source::Entra,
///         Activity::SignIn(SignIn::success(SignInStage::Primary)))
///         .with_actor(Identity::new("ana@contoso.com"));
///     e.origin.country = Some("AU".into());
///     store.learn(&e);
/// }
/// // A failure teaches nothing.
/// let fail = Event::new(t0, "f1", Source::Okta,
///     Activity::SignIn(SignIn::failure(SignInStage::Primary, FailureReason::BadPassword)))
///     .with_actor(Identity::new("bob@contoso.com"));
/// store.learn(&fail);
/// assert!(store.view(&IdentityKey::new("bob@contoso.com")).is_none());
///
/// let ana = store.view(&IdentityKey::new("ana@contoso.com")).unwrap();
/// assert_eq!((ana.sign_ins(), ana.days(), ana.trusted()), (12, 11, true));
///
/// // Snapshots round-trip; damaged bytes are an error, never an empty store.
/// let bytes = store.snapshot().unwrap();
/// let mut copy = BaselineStore::default();
/// copy.restore(&bytes).unwrap();
/// assert_eq!(copy.len(), 1);
/// assert!(copy.restore(&bytes[..bytes.len() - 1]).is_err());
/// assert_eq!(copy.len(), 1);
/// ```
#[derive(Debug)]
pub struct BaselineStore {
    pub(crate) shared: Arc<Shared>,
    /// Every profile, densely, mostly in creation order (a forgotten profile's place is taken
    /// by the last one; `Profile::seq` keeps the order snapshots write).
    profiles: Vec<Profile>,
    /// Positions in `profiles`, hashed by fingerprint: four bytes a slot, so the table a probe
    /// touches is small, and the profile it leads to holds the fingerprint to compare.
    index: HashTable<u32>,
    /// Every identity key, back to back; `garbage` bytes of it belong to forgotten identities.
    ids: String,
    garbage: usize,
    /// The fingerprint's secret starting state.
    seed: [u64; 2],
    next_seq: u64,
    /// Heap bytes of the entries, kept up to date so `state_bytes` is O(1).
    pub(crate) heap: usize,
    /// Password-stage successes waiting for their MFA step.
    pub(crate) pending: Pending,
}

/// Appends `id` to the arena; returns where it starts.
fn push_id(ids: &mut String, id: &str) -> usize {
    let at = ids.len();
    ids.push_str(id);
    at
}

/// A stable hash of the event's session id (0: none).
fn session_of(event: &Event) -> u64 {
    match event.origin.session_id.as_deref() {
        Some(s) if !s.is_empty() => palisade_core::stable_hash(&[s]).max(1),
        _ => 0,
    }
}

/// The position of the profile with fingerprint `print`, if any.
fn find(index: &HashTable<u32>, profiles: &[Profile], print: [u64; 2]) -> Option<usize> {
    index
        .find(print[0], |&i| {
            profiles.get(i as usize).is_some_and(|p| p.print == print)
        })
        .map(|&i| i as usize)
}

impl Default for BaselineStore {
    fn default() -> Self {
        Self::build(BaselineConfig::default(), Tenant::default())
    }
}

impl BaselineStore {
    /// An empty store with these settings; they are validated first.
    pub fn new(config: BaselineConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self::build(config, Tenant::default()))
    }

    pub(crate) fn build(config: BaselineConfig, tenant: Tenant) -> Self {
        let random = DefaultHashBuilder::default();
        BaselineStore {
            shared: Arc::new(Shared::new(config, tenant)),
            profiles: Vec::new(),
            index: HashTable::new(),
            ids: String::new(),
            garbage: 0,
            seed: [random.hash_one(1u64), random.hash_one(2u64)],
            next_seq: 0,
            heap: 0,
            pending: Pending::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &BaselineConfig {
        &self.shared.config
    }

    /// Number of identities with a profile.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether no identity has a profile.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// The profile of a normalized identity key, if one exists.
    pub fn profile(&self, identity: &str) -> Option<&Profile> {
        let print = fingerprint(self.seed, identity);
        find(&self.index, &self.profiles, print).and_then(|i| self.profiles.get(i))
    }

    /// Identities with a profile, in the order their profiles were created.
    pub fn identities(&self) -> impl Iterator<Item = &str> + '_ {
        self.profiles_in_order().into_iter().map(|p| self.id_of(p))
    }

    /// Every profile, in creation order: the dense order itself unless a forgotten profile's
    /// place was taken by a later one.
    pub(crate) fn profiles_in_order(&self) -> Vec<&Profile> {
        let mut all: Vec<&Profile> = self.profiles.iter().collect();
        if !all.windows(2).all(|w| w[0].seq < w[1].seq) {
            all.sort_unstable_by_key(|p| p.seq);
        }
        all
    }

    /// The identity key of a profile of this store.
    pub(crate) fn id_of(&self, p: &Profile) -> &str {
        self.ids
            .get(p.at..p.at + p.id_len as usize)
            .unwrap_or_default()
    }

    /// Room for `n` more identities, so a restore never rehashes or regrows.
    pub(crate) fn reserve(&mut self, n: usize) {
        let profiles = &self.profiles;
        self.index
            .reserve(n, |&i| profiles.get(i as usize).map_or(0, |p| p.print[0]));
        self.profiles.reserve_exact(n);
    }

    /// Bytes of identity keys held.
    pub(crate) fn id_bytes(&self) -> usize {
        self.ids.len() - self.garbage
    }

    /// Gives back the key arena's spare capacity (after a restore).
    pub(crate) fn shrink_ids(&mut self) {
        self.ids.shrink_to_fit();
    }

    /// Adds a profile for an identity that must not have one yet (one probe of the index);
    /// gives the identity back if it is already present.
    pub(crate) fn insert_new(&mut self, id: &str, mut profile: Profile) -> Result<(), ()> {
        let print = fingerprint(self.seed, id);
        let Ok(pos) = u32::try_from(self.profiles.len()) else {
            return Err(());
        };
        let profiles = &self.profiles;
        match self.index.entry(
            print[0],
            |&i| profiles.get(i as usize).is_some_and(|p| p.print == print),
            |&i| profiles.get(i as usize).map_or(0, |p| p.print[0]),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => Err(()),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(pos);
                self.heap += profile.entries.capacity() * size_of::<Entry>();
                profile.print = print;
                profile.at = push_id(&mut self.ids, id);
                profile.id_len = id.len() as u32;
                profile.seq = self.next_seq;
                self.next_seq += 1;
                self.profiles.push(profile);
                Ok(())
            }
        }
    }

    /// Learns what waited unanswered past its deadline (or beyond the cap) by event time
    /// `now`: a device that remembers its MFA asks for no second step. (An attacker who stops
    /// after the password is learned too; telling the two apart needs more than the sign-in.)
    /// `now` is the time in hand, not the latest ever seen, so one record dated decades ahead
    /// cannot end every later wait at once.
    fn settle(&mut self, now: u32) {
        if self.pending.len() == 0 {
            return;
        }
        let cap = self.shared.config.max_waiting;
        while let Some((print, w)) = self.pending.pop_due(now, cap) {
            if let Some(pos) = find(&self.index, &self.profiles, print) {
                self.learn_waiting(pos, &w);
            }
        }
    }

    /// Takes the sign-in waiting for `print` if an MFA step of `session` (its stable hash)
    /// answers it.
    fn answered(&mut self, print: &[u64; 2], session: u64) -> Option<Waiting> {
        if self.pending.get(print)?.answered_by(session) {
            self.pending.take(print)
        } else {
            None
        }
    }

    /// The position of the identity's profile, made (empty) if it has none.
    fn find_or_create(&mut self, id: &str, print: [u64; 2], t: u32) -> Option<usize> {
        let BaselineStore {
            shared,
            profiles,
            index,
            ids,
            next_seq,
            ..
        } = self;
        match index.entry(
            print[0],
            |&i| profiles.get(i as usize).is_some_and(|p| p.print == print),
            |&i| profiles.get(i as usize).map_or(0, |p| p.print[0]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get() as usize),
            hashbrown::hash_table::Entry::Vacant(v) => {
                // Four billion identities: past what one store is for; learn nothing more.
                let pos = u32::try_from(profiles.len()).ok()?;
                v.insert(pos);
                shared.tenant_mut().identities += 1;
                let mut p = Profile::new(Arc::clone(shared), t);
                p.print = print;
                p.at = push_id(ids, id);
                p.id_len = id.len() as u32;
                p.seq = *next_seq;
                *next_seq += 1;
                profiles.push(p);
                Some(pos as usize)
            }
        }
    }

    /// A password-stage success: learned now, or held for its MFA step when its source logs
    /// that stage as a record of its own, or the identity is known to take a step.
    fn learn_or_hold(
        &mut self,
        pos: usize,
        print: [u64; 2],
        (t, session): (u32, u64),
        event: &Event,
        obs: &[Observation<'_>],
    ) {
        let wait = self.shared.config.mfa_step_wait_secs;
        let Some(p) = self.profiles.get(pos) else {
            return;
        };
        // From a source that logs the password stage first, a step may follow even for an
        // identity never seen taking one (its own device remembers MFA; an attacker's is
        // asked). Elsewhere a step is logged with its sign-in, not after it.
        let may_step = p.last_mfa != 0 || event.source.logs_password_stage_first();
        if !may_step || wait == 0 {
            self.learn_at(pos, (t, session), obs);
            return;
        }
        // An MFA step of the same session just before (vendors that log the sign-in after its
        // steps, as Google Workspace and Okta Identity Engine may) was this sign-in, and was
        // learned as it: the two records are one sign-in, counted once.
        let confirmed =
            p.last_mfa <= t && t - p.last_mfa <= wait && same_session(p.last_mfa_session, session);
        if confirmed {
            return;
        }
        // A newer password-stage success replaces one still unanswered: an unanswered prompt
        // is no confirmation, and the newer attempt carries the same question.
        let held = Waiting::new(t, t.saturating_add(wait), p.seq, session, obs);
        let _replaced = self.pending.hold(print, held);
        self.settle(t);
    }

    fn learn_waiting(&mut self, pos: usize, w: &Waiting) {
        let obs = Observations::of(w.obs.iter().map(HeldObservation::borrow));
        self.learn_at(pos, (w.t, w.session), obs.as_slice());
    }

    /// Teaches the profile at `pos` one sign-in at `t` of `session` (its stable hash, 0 for
    /// none).
    fn learn_at(&mut self, pos: usize, at: (u32, u64), obs: &[Observation<'_>]) {
        let Some(profile) = self.profiles.get_mut(pos) else {
            return;
        };
        let mut tenant = self.shared.tenant_mut();
        let before = profile.entries.capacity();
        profile.learn(&self.shared, at, obs, &mut tenant);
        let after = profile.entries.capacity();
        if after != before {
            self.heap = (self.heap + after * size_of::<Entry>())
                .saturating_sub(before * size_of::<Entry>());
        }
    }

    /// Rewrites the key arena without the forgotten identities' keys.
    fn compact_ids(&mut self) {
        let mut fresh = String::with_capacity(self.ids.len() - self.garbage);
        for p in &mut self.profiles {
            let id = self
                .ids
                .get(p.at..p.at + p.id_len as usize)
                .unwrap_or_default();
            p.at = push_id(&mut fresh, id);
        }
        self.ids = fresh;
        self.garbage = 0;
    }
}

impl ProfileStore for BaselineStore {
    fn view(&self, identity: &IdentityKey) -> Option<&dyn ProfileView> {
        self.profile(identity.as_str())
            .map(|p| p as &dyn ProfileView)
    }

    fn advance(&mut self, now: Timestamp) {
        self.settle(secs(now));
    }

    fn learn(&mut self, event: &Event) {
        let Activity::SignIn(sign_in) = &event.activity else {
            return;
        };
        let t = secs(event.time);
        self.settle(t);
        let Some(identity) = event.identity() else {
            return;
        };
        let print = fingerprint(self.seed, identity.as_str());
        let Outcome::Failure { reason } = &sign_in.outcome else {
            let Some(pos) = self.find_or_create(identity.as_str(), print, t) else {
                return;
            };
            let obs = keys::observations(event);
            let session = session_of(event);
            match sign_in.stage {
                SignInStage::Primary if sign_in.mfa_satisfied.is_none() => {
                    self.learn_or_hold(pos, print, (t, session), event, obs.as_slice());
                }
                SignInStage::Mfa => {
                    if let Some(p) = self.profiles.get_mut(pos) {
                        if t >= p.last_mfa {
                            p.last_mfa = t;
                            p.last_mfa_session = session;
                        }
                    }
                    // The step confirms the password-stage success of its session waiting for
                    // it: the two records are one sign-in, learned where the sign-in came from.
                    match self.answered(&print, session) {
                        Some(w) => self.learn_waiting(pos, &w),
                        None => self.learn_at(pos, (t, session), obs.as_slice()),
                    }
                }
                _ => self.learn_at(pos, (t, session), obs.as_slice()),
            }
            return;
        };
        // A failed MFA step discards the password-stage success of its session waiting for it.
        // "MFA required" is an interruption on the way to the step, not its answer. Only a
        // passed step marks the identity as one that takes MFA steps: a vendor that logs whole
        // sign-ins (Entra) has failed steps but never a passed one.
        if sign_in.stage == SignInStage::Mfa && *reason != FailureReason::MfaRequired {
            self.answered(&print, session_of(event));
        }
    }

    fn forget(&mut self, identity: &IdentityKey) {
        let id = identity.as_str();
        let print = fingerprint(self.seed, id);
        let profiles = &self.profiles;
        let Ok(entry) = self.index.find_entry(print[0], |&i| {
            profiles.get(i as usize).is_some_and(|p| p.print == print)
        }) else {
            return;
        };
        let (pos, _) = entry.remove();
        let pos = pos as usize;
        self.pending.take(&print);
        let removed = self.profiles.swap_remove(pos);
        // The last profile moved into the freed place: point its slot there.
        if let Some(moved) = self.profiles.get(pos) {
            let from = self.profiles.len() as u32;
            if let Some(slot) = self.index.find_mut(moved.print[0], |&i| i == from) {
                *slot = pos as u32;
            }
        }
        {
            let mut tenant = self.shared.tenant_mut();
            removed.release(&mut tenant);
            tenant.identities = tenant.identities.saturating_sub(1);
        }
        self.heap = self
            .heap
            .saturating_sub(removed.entries.capacity() * size_of::<Entry>());
        self.garbage += removed.id_len as usize;
        if self.garbage > 4096 && self.garbage > self.ids.len() / 2 {
            self.compact_ids();
        }
    }

    fn state_bytes(&self) -> usize {
        // The table's buckets: a power of two at most 7/8 full, one control byte each.
        let buckets = (self.index.capacity() * 8 / 7).next_power_of_two();
        let index = buckets * (size_of::<u32>() + 1);
        index
            + self.profiles.capacity() * size_of::<Profile>()
            + self.ids.capacity()
            + self.heap
            + self.pending.heap_bytes()
            + self.shared.tenant().heap_bytes()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(snapshot::encode(self))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        // Decoded into a fresh store first, so a refused snapshot leaves this one untouched.
        *self = snapshot::decode(bytes, self.shared.config.clone())?;
        Ok(())
    }
}
