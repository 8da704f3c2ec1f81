//! What identity-provider events taught about IP addresses: a bounded cache from address to the
//! location a vendor reported for it, for sources that log only the address (the Microsoft 365
//! audit log has `ClientIP` and nothing else).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;

use palisade_schema::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::spot::NameTable;
use crate::{Location, LocationSource, Spot};
use rustc_hash::FxBuildHasher as FxBuild;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Learned {
    ip: IpAddr,
    location: Location,
    seen: Timestamp,
}

/// A bounded cache of IP address → location, learned from events that carried both.
///
/// - Bounded: at most `capacity` addresses. When full, addresses whose entry is older than
///   `max_age` go first, then the least recently seen, down to half the capacity (ties broken
///   by address), so eviction is deterministic and amortised.
/// - Aged: an entry last seen more than `max_age` before the lookup time is not used (addresses
///   get reassigned).
/// - Newest wins: an older event never overwrites what a newer one taught.
/// - Compact: entries are [`Spot`]s whose names are shared, so learning an address at a known
///   place allocates nothing.
///
/// ```
/// use palisade_geo::{LearnedLocations, Location, LocationSource, Precision};
/// use palisade_schema::{Duration, Timestamp};
/// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
/// let ip = "203.0.113.7".parse().unwrap();
/// let sydney = Location::new(-33.87, 151.21, 20.0, Precision::City, LocationSource::Event).unwrap();
/// let mut learned = LearnedLocations::new(1_000, Duration::from_days(7));
/// learned.learn(ip, &sydney, t);
/// let found = learned.lookup(ip, t + Duration::from_hours(3)).unwrap();
/// assert_eq!(found.source, LocationSource::Learned);
/// assert_eq!(found.lat(), sydney.lat());
/// assert!(learned.lookup(ip, t + Duration::from_days(8)).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct LearnedLocations {
    capacity: usize,
    max_age: Duration,
    entries: HashMap<IpAddr, (Spot, Timestamp), FxBuild>,
    names: NameTable,
}

impl Default for LearnedLocations {
    /// 16,384 addresses, each usable for 7 days after it was last seen.
    fn default() -> Self {
        LearnedLocations::new(16_384, Duration::from_days(7))
    }
}

impl LearnedLocations {
    /// An empty cache holding at most `capacity` addresses (at least 1), each usable for
    /// `max_age` after it was last seen.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        LearnedLocations {
            capacity: capacity.max(1),
            max_age,
            entries: HashMap::default(),
            names: NameTable::default(),
        }
    }

    /// Remembers that `ip` was at `location` at time `at`.
    pub fn learn(&mut self, ip: IpAddr, location: &Location, at: Timestamp) {
        // Names follow the coordinates; comparing those alone keeps the common case (the same
        // address, the same place) free of string work.
        self.learn_at(
            ip,
            at,
            |names| Some(spot_of(location, names.location_names(location))),
            |loc| loc.same_point_as(location) && loc.asn == location.asn,
        );
    }

    /// [`LearnedLocations::learn`] for a [`Spot`] (shares its names; never allocates once the
    /// table has grown).
    pub fn learn_spot(&mut self, ip: IpAddr, spot: &Spot, at: Timestamp) {
        self.learn_at(
            ip,
            at,
            |_| Some(spot.clone()),
            |loc| loc.same_point(spot) && loc.asn == spot.asn,
        );
    }

    /// [`LearnedLocations::refresh`], else [`LearnedLocations::learn_spot`] with the spot
    /// `make` gives (made only when needed), in one probe of the table: for events that only
    /// teach (a prompt, a failed sign-in).
    pub(crate) fn learn_point(
        &mut self,
        ip: IpAddr,
        lat: f64,
        lon: f64,
        at: Timestamp,
        make: impl FnOnce(&mut NameTable) -> Option<Spot>,
    ) {
        self.learn_at(ip, at, make, |loc| loc.lat() == lat && loc.lon() == lon);
    }

    /// Learns the spot `make` gives for `ip` at `at`, in one probe; when the address is known
    /// where `known` says, only marks it seen (without making a spot).
    fn learn_at(
        &mut self,
        ip: IpAddr,
        at: Timestamp,
        make: impl FnOnce(&mut NameTable) -> Option<Spot>,
        known: impl FnOnce(&Spot) -> bool,
    ) {
        let full = self.entries.len() >= self.capacity;
        let spot = match self.entries.entry(ip) {
            Entry::Occupied(mut o) => {
                let (loc, seen) = o.get_mut();
                // An older report never overrides a newer one: nothing to make.
                if at < *seen {
                    return;
                }
                if known(loc) {
                    *seen = at;
                    return;
                }
                if let Some(spot) = make(&mut self.names) {
                    *seen = at;
                    if !loc.same_point(&spot) || loc.asn != spot.asn {
                        *loc = spot;
                    }
                }
                return;
            }
            Entry::Vacant(v) => {
                let Some(spot) = make(&mut self.names) else {
                    return;
                };
                if !full {
                    v.insert((spot, at));
                    return;
                }
                spot
            }
        };
        self.insert(ip, spot, at);
    }

    fn insert(&mut self, ip: IpAddr, spot: Spot, at: Timestamp) {
        if self.entries.len() >= self.capacity {
            self.evict(at);
        }
        self.entries.insert(ip, (spot, at));
    }

    /// The shared names table (the [`Geolocator`](crate::Geolocator) interns through it).
    pub(crate) fn names_mut(&mut self) -> &mut NameTable {
        &mut self.names
    }

    fn evict(&mut self, now: Timestamp) {
        // Down to half the capacity at once, so eviction runs once per `capacity / 2` new
        // addresses. One pass gathers the times of the entries still usable, a linear-time
        // selection (not a sort) finds the cutoff time, and one more pass drops the expired and
        // the older (ties at the cutoff broken by address).
        let target = self.capacity / 2;
        let cutoff = now - self.max_age;
        let mut times: Vec<Timestamp> = self
            .entries
            .values()
            .map(|(_, seen)| *seen)
            .filter(|seen| *seen >= cutoff)
            .collect();
        let excess = times.len().saturating_sub(target);
        if excess == 0 {
            self.entries.retain(|_, (_, seen)| *seen >= cutoff);
            return;
        }
        let (older, at, newer) = times.select_nth_unstable(excess - 1);
        let at = *at;
        // Everything seen before `at` goes, and the `from_tie` lowest addresses seen at `at`.
        let from_tie = excess - older.iter().filter(|t| **t < at).count();
        let tied = 1 + older
            .iter()
            .chain(newer.iter())
            .filter(|t| **t == at)
            .count();
        let mut keep_above: Option<IpAddr> = None;
        if from_tie < tied {
            let mut ips: Vec<IpAddr> = self
                .entries
                .iter()
                .filter(|(_, (_, seen))| *seen == at)
                .map(|(ip, _)| *ip)
                .collect();
            let (_, nth, _) = ips.select_nth_unstable(from_tie - 1);
            keep_above = Some(*nth);
        }
        self.entries.retain(|ip, (_, seen)| {
            *seen >= cutoff && (*seen > at || (*seen == at && keep_above.is_some_and(|l| *ip > l)))
        });
    }

    /// Marks `ip` as seen at `at` if it is already known at exactly (`lat`, `lon`); returns
    /// whether it was (then there is nothing new to learn).
    pub fn refresh(&mut self, ip: IpAddr, lat: f64, lon: f64, at: Timestamp) -> bool {
        match self.entries.get_mut(&ip) {
            Some((loc, seen)) if loc.lat() == lat && loc.lon() == lon => {
                if at > *seen {
                    *seen = at;
                }
                true
            }
            _ => false,
        }
    }

    /// The location learned for `ip`, if seen within `max_age` of `at`; marked
    /// [`LocationSource::Learned`].
    pub fn lookup(&self, ip: IpAddr, at: Timestamp) -> Option<Location> {
        self.lookup_spot(ip, at).map(|s| s.to_location())
    }

    /// [`LearnedLocations::lookup`] as a [`Spot`] (no allocation).
    pub fn lookup_spot(&self, ip: IpAddr, at: Timestamp) -> Option<Spot> {
        let (loc, seen) = self.entries.get(&ip)?;
        if at.since(*seen) > self.max_age {
            return None;
        }
        Some(loc.clone().with_source(LocationSource::Learned))
    }

    /// How many addresses are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing has been learned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate heap bytes held (the shared names counted once).
    pub fn state_bytes(&self) -> usize {
        self.entries.capacity()
            * (std::mem::size_of::<IpAddr>() + std::mem::size_of::<(Spot, Timestamp)>() + 1)
            + self.names.state_bytes()
    }

    /// The cache's contents as a serializable value, in address order (for snapshots).
    pub fn to_snapshot(&self) -> LearnedSnapshot {
        let mut entries: Vec<Learned> = self
            .entries
            .iter()
            .map(|(ip, (spot, seen))| Learned {
                ip: *ip,
                location: spot.to_location(),
                seen: *seen,
            })
            .collect();
        entries.sort_by_key(|e| e.ip);
        LearnedSnapshot { entries }
    }

    /// Replaces the contents with a snapshot's (keeping this cache's capacity and age limit;
    /// entries beyond the capacity are evicted as usual).
    pub fn restore(&mut self, snapshot: LearnedSnapshot) {
        self.entries.clear();
        for e in snapshot.entries {
            self.learn(e.ip, &e.location, e.seen);
        }
    }
}

fn spot_of(l: &Location, names: std::sync::Arc<crate::PlaceNames>) -> Spot {
    Spot {
        lat: l.lat,
        lon: l.lon,
        accuracy_km: l.accuracy_km,
        precision: l.precision,
        source: l.source,
        asn: l.asn,
        names,
    }
}

/// The serializable contents of a [`LearnedLocations`] cache.
///
/// ```
/// use palisade_geo::LearnedLocations;
/// let snap = LearnedLocations::default().to_snapshot();
/// let json = serde_json::to_string(&snap).unwrap();
/// let mut again = LearnedLocations::default();
/// again.restore(serde_json::from_str(&json).unwrap());
/// assert!(again.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnedSnapshot {
    entries: Vec<Learned>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Precision;

    fn loc(lat: f64) -> Location {
        Location::new(lat, 0.0, 10.0, Precision::City, LocationSource::Event).unwrap()
    }

    fn t(h: i64) -> Timestamp {
        Timestamp::from_millis_unchecked(1_700_000_000_000 + h * 3_600_000)
    }

    #[test]
    fn older_events_never_overwrite_newer() {
        let mut c = LearnedLocations::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        c.learn(ip, &loc(10.0), t(5));
        c.learn(ip, &loc(20.0), t(1));
        assert_eq!(c.lookup(ip, t(6)).unwrap().lat(), 10.0);
    }

    #[test]
    fn capacity_is_bounded_and_eviction_drops_the_oldest() {
        let mut c = LearnedLocations::new(8, Duration::from_days(30));
        for i in 0..100u8 {
            c.learn(IpAddr::from([192, 0, 2, i]), &loc(1.0), t(i64::from(i)));
            assert!(c.len() <= 8);
        }
        assert!(c.lookup(IpAddr::from([192, 0, 2, 99]), t(100)).is_some());
        assert!(c.lookup(IpAddr::from([192, 0, 2, 0]), t(100)).is_none());
    }

    #[test]
    fn eviction_drops_the_least_recently_seen_and_breaks_ties_by_address() {
        let mut c = LearnedLocations::new(6, Duration::from_days(30));
        let ip = |i: u8| IpAddr::from([192, 0, 2, i]);
        for i in [5, 1, 4, 2, 3] {
            c.learn(ip(i), &loc(1.0), t(1));
        }
        c.learn(ip(9), &loc(1.0), t(0));
        // Full: the next new address evicts down to 3, the oldest first, then the lowest.
        c.learn(ip(7), &loc(1.0), t(2));
        let kept: Vec<u8> = (0..=9)
            .filter(|i| c.lookup(ip(*i), t(2)).is_some())
            .collect();
        assert_eq!(kept, [3, 4, 5, 7]);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut c = LearnedLocations::default();
        c.learn("2001:db8::1".parse().unwrap(), &loc(3.0), t(0));
        c.learn("192.0.2.9".parse().unwrap(), &loc(4.0), t(1));
        let mut d = LearnedLocations::default();
        d.restore(c.to_snapshot());
        assert_eq!(d.to_snapshot(), c.to_snapshot());
    }
}
