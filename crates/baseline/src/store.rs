//! The store of every identity's profile: the [`ProfileStore`] the pipeline owns.

use std::cell::Cell;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use palisade_core::{Error, ProfileStore, ProfileView};
use palisade_schema::{Event, IdentityKey};

use crate::keys::{self, Observation};
use crate::profile::{secs, Entry, Profile, Shared, Tenant};
use crate::{snapshot, BaselineConfig};

/// One identity and its profile. Profiles live in a vector in creation order, so snapshots are
/// written in an order that depends only on the events, never on hashing.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) id: Box<str>,
    pub(crate) profile: Profile,
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
    pub(crate) slots: Vec<Slot>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Heap bytes of the entries and identity keys, kept up to date so `state_bytes` is O(1).
    pub(crate) heap: usize,
    /// The slot found last: the pipeline asks `view(identity)` and then `learn(event)` for the
    /// same identity, and the second lookup then costs one comparison instead of a probe.
    last: Cell<usize>,
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
        BaselineStore {
            shared: Arc::new(Shared::new(config, tenant)),
            slots: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            heap: 0,
            last: Cell::new(usize::MAX),
        }
    }

    /// The settings.
    pub fn config(&self) -> &BaselineConfig {
        &self.shared.config
    }

    /// Number of identities with a profile.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no identity has a profile.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The profile of a normalized identity key, if one exists.
    pub fn profile(&self, identity: &str) -> Option<&Profile> {
        self.find(identity).map(|i| &self.slots[i].profile)
    }

    /// Identities with a profile, in the order their profiles were created.
    pub fn identities(&self) -> impl Iterator<Item = &str> + '_ {
        self.slots.iter().map(|s| &*s.id)
    }

    pub(crate) fn find(&self, identity: &str) -> Option<usize> {
        let last = self.last.get();
        if self.slots.get(last).is_some_and(|s| &*s.id == identity) {
            return Some(last);
        }
        let h = self.hasher.hash_one(identity);
        let slots = &self.slots;
        let found = self
            .index
            .find(h, |&i| &*slots[i as usize].id == identity)
            .map(|&i| i as usize);
        if let Some(i) = found {
            self.last.set(i);
        }
        found
    }

    pub(crate) fn insert_slot(&mut self, slot: Slot) -> usize {
        let i = self.slots.len();
        let h = self.hasher.hash_one(&*slot.id);
        self.heap += slot.id.len() + slot.profile.entries.capacity() * size_of::<Entry>();
        self.slots.push(slot);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index
            .insert_unique(h, i as u32, |&j| hasher.hash_one(&*slots[j as usize].id));
        i
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
        let mut obs: Vec<Observation<'_>> = Vec::with_capacity(8);
        keys::observations(event, &mut obs);
        let t = secs(event.time);
        let i = match self.find(identity.as_str()) {
            Some(i) => i,
            None => {
                self.shared.tenant_mut().identities += 1;
                let profile = Profile::new(Arc::clone(&self.shared), t);
                self.insert_slot(Slot {
                    id: identity.as_str().into(),
                    profile,
                })
            }
        };
        let shared = Arc::clone(&self.shared);
        let mut tenant = shared.tenant_mut();
        let profile = &mut self.slots[i].profile;
        let before = profile.entries.capacity();
        profile.learn(t, &obs, &mut tenant);
        let after = profile.entries.capacity();
        self.heap =
            (self.heap + after * size_of::<Entry>()).saturating_sub(before * size_of::<Entry>());
    }

    fn forget(&mut self, identity: &IdentityKey) {
        let Some(i) = self.find(identity.as_str()) else {
            return;
        };
        let h = self.hasher.hash_one(identity.as_str());
        if let Ok(entry) = self.index.find_entry(h, |&j| j as usize == i) {
            entry.remove();
        }
        let removed = self.slots.swap_remove(i);
        {
            let mut tenant = self.shared.tenant_mut();
            removed.profile.release(&mut tenant);
            tenant.identities = tenant.identities.saturating_sub(1);
        }
        self.heap = self.heap.saturating_sub(
            removed.id.len() + removed.profile.entries.capacity() * size_of::<Entry>(),
        );
        if i < self.slots.len() {
            // The last slot moved into `i`: point its index entry there.
            let moved = self.slots.len() as u32;
            let h = self.hasher.hash_one(&*self.slots[i].id);
            if let Some(v) = self.index.find_mut(h, |&j| j == moved) {
                *v = i as u32;
            }
        }
    }

    fn state_bytes(&self) -> usize {
        let slots = self.slots.capacity() * size_of::<Slot>();
        let index = self.index.capacity() * (size_of::<u32>() + 1);
        slots + index + self.heap + self.shared.tenant().heap_bytes()
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
