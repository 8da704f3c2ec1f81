//! The store of every identity's profile: the [`ProfileStore`] the pipeline owns.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use palisade_core::{Error, ProfileStore, ProfileView};
use palisade_schema::{Event, IdentityKey};

use crate::keys;
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
///     let mut e = Event::new(t, format!("e{day}"), Source::Okta,
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
}

/// Appends `id` to the arena; returns where it starts.
fn push_id(ids: &mut String, id: &str) -> usize {
    let at = ids.len();
    ids.push_str(id);
    at
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

    fn learn(&mut self, event: &Event) {
        if !event.activity.is_successful_sign_in() {
            return;
        }
        let Some(identity) = event.identity() else {
            return;
        };
        let obs = keys::observations(event);
        let t = secs(event.time);
        let id = identity.as_str();
        let print = fingerprint(self.seed, id);
        let BaselineStore {
            shared,
            profiles,
            index,
            ids,
            next_seq,
            heap,
            ..
        } = self;
        let mut tenant = shared.tenant_mut();
        let pos = match index.entry(
            print[0],
            |&i| profiles.get(i as usize).is_some_and(|p| p.print == print),
            |&i| profiles.get(i as usize).map_or(0, |p| p.print[0]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get() as usize,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let Ok(pos) = u32::try_from(profiles.len()) else {
                    // Four billion identities: past what one store is for; learn nothing more.
                    return;
                };
                v.insert(pos);
                tenant.identities += 1;
                let mut p = Profile::new(Arc::clone(shared), t);
                p.print = print;
                p.at = push_id(ids, id);
                p.id_len = id.len() as u32;
                p.seq = *next_seq;
                *next_seq += 1;
                profiles.push(p);
                pos as usize
            }
        };
        let Some(profile) = profiles.get_mut(pos) else {
            return;
        };
        let before = profile.entries.capacity();
        profile.learn(shared, t, obs.as_slice(), &mut tenant);
        let after = profile.entries.capacity();
        if after != before {
            *heap =
                (*heap + after * size_of::<Entry>()).saturating_sub(before * size_of::<Entry>());
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
