//! Compact locations for hot paths: a [`Spot`] is a [`Location`] in 40 bytes whose place and
//! network names are shared ([`PlaceNames`], interned), so keeping or copying one never
//! allocates.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use rustc_hash::FxBuildHasher as FxBuild;

use crate::{distance_km, Location, LocationSource, Precision};

/// Longest place or organisation name kept: vendors' strings are untrusted input (the same bound
/// as [`Location`]'s).
const MAX_NAME: usize = 128;

/// A name as [`Location`] keeps it: trimmed, empty dropped, capped at 128 bytes on a character
/// boundary.
fn norm(s: Option<&str>) -> Option<&str> {
    let s = s?;
    if is_normal(s) {
        return Some(s);
    }
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut end = s.len().min(MAX_NAME);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(&s[..end])
}

/// Whether `norm` leaves `s` as it is, decided from its ends and length alone (the common
/// case: a vendor's plain names): non-empty, at most 128 bytes, and ASCII non-whitespace at
/// both ends (an ASCII last byte is a whole character).
fn is_normal(s: &str) -> bool {
    let plain = |b: u8| b.is_ascii() && !char::from(b).is_whitespace();
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) => s.len() <= MAX_NAME && plain(a) && plain(z),
        _ => false,
    }
}

/// The names of a place and its network, shared by every [`Spot`] at that place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceNames {
    country: Option<Box<str>>,
    region: Option<Box<str>>,
    city: Option<Box<str>>,
    as_org: Option<Box<str>>,
}

impl PlaceNames {
    /// Country: ISO 3166-1 alpha-2 where known, else the vendor's name.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// Region or state.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// City.
    pub fn city(&self) -> Option<&str> {
        self.city.as_deref()
    }

    /// Autonomous system organisation.
    pub fn as_org(&self) -> Option<&str> {
        self.as_org.as_deref()
    }

    fn is(&self, parts: [Option<&str>; 4]) -> bool {
        self.country() == parts[0]
            && self.region() == parts[1]
            && self.city() == parts[2]
            && self.as_org() == parts[3]
    }

    fn heap_bytes(&self) -> usize {
        [&self.country, &self.region, &self.city, &self.as_org]
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.len()))
            .sum()
    }
}

/// A bounded interning table of [`PlaceNames`]: the same names give the same shared value, so
/// locating an event at a known place allocates nothing. Names no one holds any more are
/// dropped when the table has doubled since it was last pruned.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameTable {
    map: HashMap<u64, Arc<PlaceNames>, FxBuild>,
    prune_at: usize,
}

impl NameTable {
    /// The shared names for these (normalized here, as [`Location::with_place`] does).
    pub(crate) fn intern(
        &mut self,
        country: Option<&str>,
        region: Option<&str>,
        city: Option<&str>,
        as_org: Option<&str>,
    ) -> Arc<PlaceNames> {
        self.intern_near(None, country, region, city, as_org)
    }

    /// [`NameTable::intern`], reusing `near` without a lookup when the names are its names (a
    /// sign-in from the same place as the last one).
    pub(crate) fn intern_near(
        &mut self,
        near: Option<&Arc<PlaceNames>>,
        country: Option<&str>,
        region: Option<&str>,
        city: Option<&str>,
        as_org: Option<&str>,
    ) -> Arc<PlaceNames> {
        // The same names as `near` holds are already normal: checked without normalizing.
        if let Some(near) = near.filter(|n| n.is([country, region, city, as_org])) {
            return Arc::clone(near);
        }
        let parts = [norm(country), norm(region), norm(city), norm(as_org)];
        if let Some(near) = near.filter(|n| n.is(parts)) {
            return Arc::clone(near);
        }
        let key = FxBuild.hash_one(parts);
        let owned = || {
            Arc::new(PlaceNames {
                country: parts[0].map(Box::from),
                region: parts[1].map(Box::from),
                city: parts[2].map(Box::from),
                as_org: parts[3].map(Box::from),
            })
        };
        if let Some(found) = self.map.get(&key) {
            return if found.is(parts) {
                Arc::clone(found)
            } else {
                // A hash collision: correct, just not shared.
                owned()
            };
        }
        if self.map.len() >= self.prune_at {
            self.map.retain(|_, n| Arc::strong_count(n) > 1);
            self.prune_at = (self.map.len() * 2).max(256);
        }
        let names = owned();
        self.map.insert(key, Arc::clone(&names));
        names
    }

    pub(crate) fn location_names(&mut self, l: &Location) -> Arc<PlaceNames> {
        self.intern(
            l.country.as_deref(),
            l.region.as_deref(),
            l.city.as_deref(),
            l.as_org.as_deref(),
        )
    }

    pub(crate) fn state_bytes(&self) -> usize {
        self.map.capacity() * (std::mem::size_of::<(u64, Arc<PlaceNames>)>() + 1)
            + self
                .map
                .values()
                .map(|n| std::mem::size_of::<PlaceNames>() + 16 + n.heap_bytes())
                .sum::<usize>()
    }
}

/// A [`Location`] in 40 bytes: the checked point, its accuracy radius, precision, source and
/// ASN, with the names shared ([`PlaceNames`]). Cloning one never allocates. Made by
/// [`Geolocator::locate_spot`](crate::Geolocator::locate_spot) or
/// [`Geolocator::spot`](crate::Geolocator::spot); turned back with [`Spot::to_location`].
///
/// ```
/// use palisade_geo::{Geolocator, Location, LocationSource, Precision};
/// let mut geo = Geolocator::new();
/// let sydney = Location::new(-33.87, 151.21, 20.0, Precision::City, LocationSource::Event)
///     .unwrap()
///     .with_place(Some("AU"), None, Some(" Sydney "));
/// let spot = geo.spot(&sydney);
/// assert_eq!((spot.label(), spot.city()), ("Sydney, AU".to_owned(), Some("Sydney")));
/// assert_eq!(spot.to_location(), sydney);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Spot {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) accuracy_km: f32,
    /// How precise the place is.
    pub precision: Precision,
    /// Which resolution step produced it.
    pub source: LocationSource,
    /// Autonomous system number of the network, when known.
    pub asn: Option<u32>,
    pub(crate) names: Arc<PlaceNames>,
}

impl Spot {
    /// A spot from a checked point (see [`Location::new`]; `None` when it is invalid).
    pub(crate) fn new(
        lat: f64,
        lon: f64,
        accuracy_km: f32,
        precision: Precision,
        source: LocationSource,
        asn: Option<u32>,
        names: Arc<PlaceNames>,
    ) -> Option<Self> {
        // `Location::new` is the one place points are checked.
        Location::new(lat, lon, accuracy_km, precision, source)?;
        Some(Spot {
            lat,
            lon,
            accuracy_km,
            precision,
            source,
            asn,
            names,
        })
    }

    /// Latitude in degrees, -90..=90.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees, -180..=180.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Accuracy radius in kilometres.
    pub fn accuracy_km(&self) -> f32 {
        self.accuracy_km
    }

    /// The shared names.
    pub fn names(&self) -> &PlaceNames {
        &self.names
    }

    /// Country: ISO 3166-1 alpha-2 where known, else the vendor's name.
    pub fn country(&self) -> Option<&str> {
        self.names.country()
    }

    /// Region or state.
    pub fn region(&self) -> Option<&str> {
        self.names.region()
    }

    /// City.
    pub fn city(&self) -> Option<&str> {
        self.names.city()
    }

    /// Whether both name the very same point with the same radius and precision.
    pub fn same_point(&self, other: &Spot) -> bool {
        self.lat == other.lat
            && self.lon == other.lon
            && self.accuracy_km == other.accuracy_km
            && self.precision == other.precision
    }

    pub(crate) fn same_point_as(&self, other: &Location) -> bool {
        self.lat == other.lat()
            && self.lon == other.lon()
            && self.accuracy_km == other.accuracy_km()
            && self.precision == other.precision
    }

    /// Great-circle distance to `other` in kilometres (ignoring accuracy radii).
    pub fn distance_km(&self, other: &Spot) -> f64 {
        if self.lat == other.lat && self.lon == other.lon {
            return 0.0;
        }
        distance_km(self.lat, self.lon, other.lat, other.lon).unwrap_or(0.0)
    }

    /// The same spot marked as coming from another resolution step.
    pub fn with_source(mut self, source: LocationSource) -> Self {
        self.source = source;
        self
    }

    /// A short human label, as [`Location::label`].
    pub fn label(&self) -> String {
        let mut out = String::new();
        self.push_label(&mut out);
        out
    }

    /// [`Spot::label`], appended to `out` (a finding's summary is written in one buffer).
    ///
    /// ```
    /// use palisade_geo::{Geolocator, Location, LocationSource, Precision};
    /// let mut geo = Geolocator::new();
    /// let berlin = Location::new(52.52, 13.40, 20.0, Precision::City, LocationSource::Event)
    ///     .unwrap()
    ///     .with_place(Some("DE"), None, Some("Berlin"));
    /// let mut text = String::from("from ");
    /// geo.spot(&berlin).push_label(&mut text);
    /// assert_eq!(text, "from Berlin, DE");
    /// ```
    pub fn push_label(&self, out: &mut String) {
        let n = &self.names;
        let (first, country) = match (n.city(), n.region(), n.country()) {
            (Some(c), _, cc) => (c, cc),
            (None, Some(r), cc) => (r, cc),
            (None, None, Some(cc)) => (cc, None),
            (None, None, None) => {
                use std::fmt::Write;
                let _ = write!(out, "{:.2}, {:.2}", self.lat, self.lon);
                return;
            }
        };
        out.push_str(first);
        if let Some(cc) = country {
            out.push_str(", ");
            out.push_str(cc);
        }
    }

    /// The full [`Location`] (allocates its names).
    pub fn to_location(&self) -> Location {
        let n = &self.names;
        // A spot's point was checked when it was made.
        Location {
            lat: self.lat,
            lon: self.lon,
            accuracy_km: self.accuracy_km,
            precision: self.precision,
            source: self.source,
            country: n.country().map(str::to_owned),
            region: n.region().map(str::to_owned),
            city: n.city().map(str::to_owned),
            asn: self.asn,
            as_org: n.as_org().map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_skip_normalizing_without_changing_it() {
        let long = "x".repeat(MAX_NAME + 1);
        let samples = [
            "Sydney",
            " Sydney",
            "Sydney\t",
            "Sydney\u{b}",
            "\u{a0}Sydney",
            "São Paulo",
            "Zürich",
            "Zürich ",
            "a",
            "",
            " ",
            long.as_str(),
            &long[..MAX_NAME],
        ];
        // The rule spelled out the slow way, with no shortcut.
        let slow = |s: &str| -> Option<String> {
            let s = s.trim();
            let cut = (0..=s.len().min(MAX_NAME))
                .rev()
                .find(|&i| s.is_char_boundary(i))
                .unwrap_or(0);
            (!s.is_empty()).then(|| s[..cut].to_owned())
        };
        for s in samples {
            assert_eq!(norm(Some(s)).map(str::to_owned), slow(s), "{s:?}");
            if is_normal(s) {
                assert_eq!(
                    slow(s).as_deref(),
                    Some(s),
                    "the shortcut only takes names kept whole"
                );
            }
        }
        assert!(!is_normal("Sydney\u{b}") && !is_normal("") && !is_normal(&long));
    }

    #[test]
    fn names_equal_to_the_last_place_are_shared() {
        let mut t = NameTable::default();
        let a = t.intern(Some("AU"), None, Some(" Sydney "), None);
        let b = t.intern_near(Some(&a), Some("AU"), None, Some("Sydney"), None);
        let c = t.intern_near(Some(&a), Some("AU"), None, Some("Sydney "), None);
        assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&a, &c));
        let d = t.intern_near(Some(&a), Some("AU"), None, Some("Melbourne"), None);
        assert_eq!(d.city(), Some("Melbourne"));
    }
}
