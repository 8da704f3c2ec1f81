//! The store of every identity's profile: the [`ProfileStore`] the pipeline owns.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashTable};
use palisade_core::{Error, ProfileStore, ProfileView};
use palisade_schema::{Event, IdentityKey};

use crate::keys;
use crate::profile::{secs, Entry, Profile, Shared, Tenant};
use crate::{snapshot, BaselineConfig};

/// One identity and its profile, stored in the index itself, so finding an identity's profile
/// costs one probe and no further hop. `seq` numbers profiles in creation order, so snapshots
/// are written in an order that depends only on the events, never on hashing. Identity keys live
/// back to back in one arena string, so a million profiles are not a million key allocations to
/// make on restore and to free on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Where the identity key lies in the store's arena of keys.
    at: usize,
    len: u32,
    pub(crate) seq: u64,
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
    index: HashTable<Slot>,
    /// Every identity key, back to back; `garbage` bytes of it belong to forgotten identities.
    ids: String,
    garbage: usize,
    hasher: DefaultHashBuilder,
    next_seq: u64,
    /// Heap bytes of the entries and identity keys, kept up to date so `state_bytes` is O(1).
    pub(crate) heap: usize,
}

/// The identity key of `slot` in the arena `ids`.
fn id_of<'a>(ids: &'a str, slot: &Slot) -> &'a str {
    ids.get(slot.at..slot.at + slot.len as usize)
        .unwrap_or_default()
}

/// Appends `id` to the arena; returns where it starts.
fn push_id(ids: &mut String, id: &str) -> usize {
    let at = ids.len();
    ids.push_str(id);
    at
}

/// One profile as a snapshot writes it.
pub(crate) struct Row<'a> {
    seq: u64,
    at: usize,
    len: u32,
    /// Sign-ins, first, last, decayed-at.
    pub(crate) counts: [u32; 4],
    pub(crate) entries: &'a [Entry],
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
            index: HashTable::new(),
            ids: String::new(),
            garbage: 0,
            hasher: DefaultHashBuilder::default(),
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
        self.index.len()
    }

    /// Whether no identity has a profile.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The profile of a normalized identity key, if one exists.
    pub fn profile(&self, identity: &str) -> Option<&Profile> {
        let h = self.hasher.hash_one(identity);
        self.index
            .find(h, |s| id_of(&self.ids, s) == identity)
            .map(|s| &s.profile)
    }

    /// Identities with a profile, in the order their profiles were created.
    pub fn identities(&self) -> impl Iterator<Item = &str> + '_ {
        self.slots_in_order()
            .into_iter()
            .map(|s| id_of(&self.ids, s))
    }

    /// Every slot, in creation order.
    pub(crate) fn slots_in_order(&self) -> Vec<&Slot> {
        // Sort (seq, slot) pairs, so comparisons never chase a pointer into the table.
        let mut slots: Vec<(u64, &Slot)> = self.index.iter().map(|s| (s.seq, s)).collect();
        slots.sort_unstable_by_key(|&(seq, _)| seq);
        slots.into_iter().map(|(_, s)| s).collect()
    }

    /// What a snapshot writes of every profile, in creation order. The table is read once, in
    /// its own memory order, and each row is placed by its sequence number, so writing a million
    /// profiles never jumps around the table (the keys arena and the values, allocated in
    /// creation order, are then read nearly in order too).
    pub(crate) fn rows_in_order(&self) -> Vec<Row<'_>> {
        fn row(s: &Slot) -> Row<'_> {
            Row {
                seq: s.seq,
                at: s.at,
                len: s.len,
                counts: [
                    s.profile.sign_ins,
                    s.profile.first,
                    s.profile.last,
                    s.profile.decayed_at,
                ],
                entries: &s.profile.entries,
            }
        }
        let n = self.index.len();
        let dense = usize::try_from(self.next_seq).is_ok_and(|m| m <= n.saturating_mul(2) + 64);
        if !dense {
            let mut rows: Vec<Row<'_>> = self.index.iter().map(row).collect();
            rows.sort_unstable_by_key(|r| r.seq);
            return rows;
        }
        let mut placed: Vec<Option<Row<'_>>> = Vec::new();
        placed.resize_with(self.next_seq as usize, || None);
        for s in self.index.iter() {
            if let Some(p) = placed.get_mut(s.seq as usize) {
                *p = Some(row(s));
            }
        }
        placed.into_iter().flatten().collect()
    }

    /// The identity key of a row.
    pub(crate) fn row_id(&self, row: &Row<'_>) -> &str {
        self.ids
            .get(row.at..row.at + row.len as usize)
            .unwrap_or_default()
    }

    /// Room for `n` more identities, so a restore never rehashes.
    pub(crate) fn reserve(&mut self, n: usize) {
        let (hasher, ids) = (&self.hasher, &self.ids);
        self.index.reserve(n, |s| hasher.hash_one(id_of(ids, s)));
    }

    /// Adds a profile for an identity that must not have one yet (one probe of the index);
    /// gives the identity back if it is already present.
    /// Bytes of identity keys held.
    pub(crate) fn id_bytes(&self) -> usize {
        self.ids.len() - self.garbage
    }

    /// Gives back the key arena's spare capacity (after a restore).
    pub(crate) fn shrink_ids(&mut self) {
        self.ids.shrink_to_fit();
    }

    pub(crate) fn insert_new(&mut self, id: &str, profile: Profile) -> Result<(), ()> {
        let h = self.hasher.hash_one(id);
        let (hasher, ids) = (&self.hasher, &self.ids);
        match self.index.entry(
            h,
            |s| id_of(ids, s) == id,
            |s| hasher.hash_one(id_of(ids, s)),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => Err(()),
            hashbrown::hash_table::Entry::Vacant(v) => {
                self.heap += profile.entries.capacity() * size_of::<Entry>();
                let at = push_id(&mut self.ids, id);
                v.insert(Slot {
                    at,
                    len: id.len() as u32,
                    seq: self.next_seq,
                    profile,
                });
                self.next_seq += 1;
                Ok(())
            }
        }
    }

    /// Rewrites the key arena without the forgotten identities' keys.
    fn compact_ids(&mut self) {
        let mut fresh = String::with_capacity(self.ids.len() - self.garbage);
        for slot in self.index.iter_mut() {
            let at = push_id(&mut fresh, id_of(&self.ids, slot));
            slot.at = at;
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
        let h = self.hasher.hash_one(id);
        let BaselineStore {
            shared,
            index,
            ids,
            hasher,
            next_seq,
            heap,
            ..
        } = self;
        let mut tenant = shared.tenant_mut();
        let slot = match index.entry(
            h,
            |s| id_of(ids, s) == id,
            |s| hasher.hash_one(id_of(ids, s)),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => e.into_mut(),
            hashbrown::hash_table::Entry::Vacant(v) => {
                tenant.identities += 1;
                let seq = *next_seq;
                *next_seq += 1;
                let at = push_id(ids, id);
                v.insert(Slot {
                    at,
                    len: id.len() as u32,
                    seq,
                    profile: Profile::new(Arc::clone(shared), t),
                })
                .into_mut()
            }
        };
        let profile = &mut slot.profile;
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
        let h = self.hasher.hash_one(id);
        let ids = &self.ids;
        let Ok(entry) = self.index.find_entry(h, |s| id_of(ids, s) == id) else {
            return;
        };
        let (removed, _) = entry.remove();
        {
            let mut tenant = self.shared.tenant_mut();
            removed.profile.release(&mut tenant);
            tenant.identities = tenant.identities.saturating_sub(1);
        }
        self.heap = self
            .heap
            .saturating_sub(removed.profile.entries.capacity() * size_of::<Entry>());
        self.garbage += removed.len as usize;
        if self.garbage > 4096 && self.garbage > self.ids.len() / 2 {
            self.compact_ids();
        }
    }

    fn state_bytes(&self) -> usize {
        // The table's buckets: a power of two at most 7/8 full, one control byte each.
        let buckets = (self.index.capacity() * 8 / 7).next_power_of_two();
        let index = buckets * (size_of::<Slot>() + 1);
        index + self.ids.capacity() + self.heap + self.shared.tenant().heap_bytes()
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
