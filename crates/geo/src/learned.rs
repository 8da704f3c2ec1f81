//! What identity-provider events taught about IP addresses: a bounded cache from address to the
//! location a vendor reported for it, for sources that log only the address (the Microsoft 365
//! audit log has `ClientIP` and nothing else).

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_schema::{Duration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{Location, LocationSource};
use rustc_hash::FxBuildHasher as FxBuild;

fn same_point(a: &Location, b: &Location) -> bool {
    a.lat() == b.lat()
        && a.lon() == b.lon()
        && a.accuracy_km() == b.accuracy_km()
        && a.precision == b.precision
}

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
    entries: HashMap<IpAddr, (Location, Timestamp), FxBuild>,
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
        }
    }

    /// Remembers that `ip` was at `location` at time `at`.
    pub fn learn(&mut self, ip: IpAddr, location: &Location, at: Timestamp) {
        if let Some((loc, seen)) = self.entries.get_mut(&ip) {
            if at >= *seen {
                *seen = at;
                // Names follow the coordinates; comparing those alone keeps the common case (the
                // same address, the same place) free of string work.
                if !same_point(loc, location) || loc.asn != location.asn {
                    loc.clone_from(location);
                }
            }
            return;
        }
        if self.entries.len() >= self.capacity {
            self.evict(at);
        }
        self.entries.insert(ip, (location.clone(), at));
    }

    fn evict(&mut self, now: Timestamp) {
        // Down to half the capacity at once, so eviction runs once per `capacity / 2` new
        // addresses; a linear-time selection (not a sort) finds what goes.
        let target = self.capacity / 2;
        let cutoff = now - self.max_age;
        self.entries.retain(|_, (_, seen)| *seen >= cutoff);
        let excess = self.entries.len().saturating_sub(target);
        if excess == 0 {
            return;
        }
        let mut by_age: Vec<(Timestamp, IpAddr)> = self
            .entries
            .iter()
            .map(|(ip, (_, seen))| (*seen, *ip))
            .collect();
        by_age.select_nth_unstable(excess - 1);
        for (_, ip) in &by_age[..excess] {
            self.entries.remove(ip);
        }
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
        let (loc, seen) = self.entries.get(&ip)?;
        if at.since(*seen) > self.max_age {
            return None;
        }
        let mut loc = loc.clone();
        loc.source = LocationSource::Learned;
        Some(loc)
    }

    /// How many addresses are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing has been learned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn state_bytes(&self) -> usize {
        let names: usize = self
            .entries
            .values()
            .map(|(l, _)| {
                [&l.country, &l.region, &l.city, &l.as_org]
                    .iter()
                    .map(|s| s.as_ref().map_or(0, String::capacity))
                    .sum::<usize>()
            })
            .sum();
        self.entries.capacity()
            * (std::mem::size_of::<IpAddr>() + std::mem::size_of::<(Location, Timestamp)>() + 8)
            + names
    }

    /// The cache's contents as a serializable value, in address order (for snapshots).
    pub fn to_snapshot(&self) -> LearnedSnapshot {
        let mut entries: Vec<Learned> = self
            .entries
            .iter()
            .map(|(ip, (location, seen))| Learned {
                ip: *ip,
                location: location.clone(),
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
    fn snapshot_round_trips() {
        let mut c = LearnedLocations::default();
        c.learn("2001:db8::1".parse().unwrap(), &loc(3.0), t(0));
        c.learn("192.0.2.9".parse().unwrap(), &loc(4.0), t(1));
        let mut d = LearnedLocations::default();
        d.restore(c.to_snapshot());
        assert_eq!(d.to_snapshot(), c.to_snapshot());
    }
}
