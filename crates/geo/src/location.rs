//! A resolved location: a point with an accuracy radius, how precise it is, where it came from,
//! and the great-circle arithmetic on such points.

use palisade_schema::GeoPoint;
use serde::{Deserialize, Serialize};

/// The Earth's mean radius in kilometres (IUGG mean radius R1), used by [`distance_km`].
pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// Half the Earth's circumference: no two points are farther apart than this along the surface.
pub const MAX_DISTANCE_KM: f64 = std::f64::consts::PI * EARTH_RADIUS_KM;

/// Great-circle distance in kilometres between two points given in degrees (haversine).
///
/// Never panics and never returns NaN for finite input: out-of-range latitudes and longitudes are
/// clamped and wrapped first, and the result is always within `0..=MAX_DISTANCE_KM`. Non-finite
/// input gives `None`.
///
/// ```
/// use palisade_geo::distance_km;
/// // London (51.5074, -0.1278) to New York (40.7128, -74.0060): about 5,570 km.
/// let d = distance_km(51.5074, -0.1278, 40.7128, -74.0060).unwrap();
/// assert!((d - 5_570.0).abs() < 15.0, "{d}");
/// assert_eq!(distance_km(f64::NAN, 0.0, 0.0, 0.0), None);
/// ```
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> Option<f64> {
    if !(lat1.is_finite() && lon1.is_finite() && lat2.is_finite() && lon2.is_finite()) {
        return None;
    }
    let (p1, p2) = (
        lat1.clamp(-90.0, 90.0).to_radians(),
        lat2.clamp(-90.0, 90.0).to_radians(),
    );
    let dp = p2 - p1;
    // Longitudes wrap, so the difference is taken modulo a full turn.
    let dl = (lon2 - lon1).rem_euclid(360.0).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    // Rounding can push `h` a hair outside 0..=1, where asin would be NaN.
    let d = 2.0 * EARTH_RADIUS_KM * h.clamp(0.0, 1.0).sqrt().asin();
    Some(d.clamp(0.0, MAX_DISTANCE_KM))
}

/// How precisely a location is known.
///
/// Each level has a default accuracy radius ([`AccuracyDefaults`]) used when the source gives
/// none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// A city (or finer): the vendor or database named a city.
    City,
    /// A region or state, no city.
    Region,
    /// Only a country.
    Country,
}

/// Where a location came from, in the order the resolution tries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSource {
    /// Coordinates the event itself supplied (Okta `client.geographicalContext`, Entra
    /// `location.geoCoordinates`).
    Event,
    /// A lookup in a geolocation database (an `.mmdb` file, or any other [`GeoResolver`]).
    ///
    /// [`GeoResolver`]: crate::GeoResolver
    Database,
    /// What an earlier identity-provider event taught about the same address.
    Learned,
}

/// Default accuracy radii in kilometres per [`Precision`], for locations whose source gives no
/// radius of its own.
///
/// The defaults reflect how far IP geolocation is typically off at each level:
/// - `city_km` = **50**: MaxMind reports accuracy radii of 5–200 km for city-level entries; the
///   middle of that range, and the radius MaxMind's own test data gives most city entries;
/// - `region_km` = **200**: the size of a typical state or region around its centre;
/// - `country_km` = **1,000**: a country's centroid is rarely closer than this to where people
///   in large countries actually are (and MaxMind uses 1,000 km for country-only entries).
///
/// ```
/// use palisade_geo::{AccuracyDefaults, Precision};
/// let d = AccuracyDefaults::default();
/// assert_eq!(d.radius_km(Precision::City), 50.0);
/// assert_eq!(d.radius_km(Precision::Country), 1_000.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccuracyDefaults {
    /// Radius for city-level locations. Default 50 km.
    pub city_km: f32,
    /// Radius for region-level locations. Default 200 km.
    pub region_km: f32,
    /// Radius for country-level locations. Default 1,000 km.
    pub country_km: f32,
}

impl Default for AccuracyDefaults {
    fn default() -> Self {
        AccuracyDefaults {
            city_km: 50.0,
            region_km: 200.0,
            country_km: 1_000.0,
        }
    }
}

impl AccuracyDefaults {
    /// The default radius for a precision level (never negative or NaN).
    pub fn radius_km(&self, precision: Precision) -> f32 {
        let r = match precision {
            Precision::City => self.city_km,
            Precision::Region => self.region_km,
            Precision::Country => self.country_km,
        };
        if r.is_finite() && r >= 0.0 {
            r
        } else {
            0.0
        }
    }
}

/// Where a sign-in came from: a checked point with its accuracy radius and what is known about
/// the place and network.
///
/// Built with [`Location::new`], which refuses out-of-range or non-finite coordinates and
/// radii, so every `Location` is safe for distance arithmetic.
///
/// ```
/// use palisade_geo::{Location, LocationSource, Precision};
/// let sydney = Location::new(-33.8688, 151.2093, 20.0, Precision::City, LocationSource::Event)
///     .unwrap()
///     .with_place(Some("AU"), Some("New South Wales"), Some("Sydney"));
/// let frankfurt = Location::new(50.1109, 8.6821, 50.0, Precision::City, LocationSource::Database)
///     .unwrap()
///     .with_place(Some("DE"), None, Some("Frankfurt"));
/// let d = sydney.distance_km(&frankfurt);
/// assert!((16_400.0..16_600.0).contains(&d), "{d}");
/// assert_eq!(sydney.label(), "Sydney, AU");
/// assert!(Location::new(95.0, 0.0, 1.0, Precision::City, LocationSource::Event).is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    pub(crate) accuracy_km: f32,
    /// How precise the place is.
    pub precision: Precision,
    /// Which resolution step produced it.
    pub source: LocationSource,
    /// Country: ISO 3166-1 alpha-2 where known, else the vendor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region or state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Autonomous system number of the network, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// Autonomous system organisation, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
}

/// Longest place or organisation name kept: vendors' strings are untrusted input.
const MAX_NAME: usize = 128;

fn bounded(s: Option<&str>) -> Option<String> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    let mut end = s.len().min(MAX_NAME);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_owned())
}

fn set_bounded(slot: &mut Option<String>, value: Option<&str>) {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match (slot.as_mut(), value) {
        (_, None) => *slot = None,
        (Some(s), Some(v)) => {
            if s != v || s.len() > MAX_NAME {
                let mut end = v.len().min(MAX_NAME);
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                s.clear();
                s.push_str(&v[..end]);
            }
        }
        (None, Some(_)) => *slot = bounded(value),
    }
}

impl Location {
    /// A checked location; `None` when a coordinate is out of range or not finite, or the radius
    /// is negative or not finite.
    pub fn new(
        lat: f64,
        lon: f64,
        accuracy_km: f32,
        precision: Precision,
        source: LocationSource,
    ) -> Option<Self> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && accuracy_km.is_finite()
            && accuracy_km >= 0.0;
        ok.then_some(Location {
            lat,
            lon,
            accuracy_km,
            precision,
            source,
            country: None,
            region: None,
            city: None,
            asn: None,
            as_org: None,
        })
    }

    /// The same location with its place names (each trimmed and capped at 128 bytes; empty
    /// names are dropped).
    pub fn with_place(
        mut self,
        country: Option<&str>,
        region: Option<&str>,
        city: Option<&str>,
    ) -> Self {
        self.country = bounded(country);
        self.region = bounded(region);
        self.city = bounded(city);
        self
    }

    /// The same location with its network.
    pub fn with_network(mut self, asn: Option<u32>, as_org: Option<&str>) -> Self {
        self.asn = asn;
        self.as_org = bounded(as_org);
        self
    }

    /// Overwrites this location with a checked point, reusing its name buffers (no allocation
    /// when they are large enough): for hot paths that locate one event after another. Returns
    /// `false`, leaving `self` unchanged, when the point is invalid (as [`Location::new`]).
    ///
    /// ```
    /// use palisade_geo::{Location, LocationSource, Precision};
    /// let mut l = Location::new(0.0, 0.0, 1.0, Precision::City, LocationSource::Event).unwrap();
    /// assert!(l.assign(48.0, 11.0, 20.0, Precision::City, LocationSource::Event));
    /// assert!(!l.assign(f64::NAN, 11.0, 20.0, Precision::City, LocationSource::Event));
    /// assert_eq!(l.lat(), 48.0);
    /// ```
    pub fn assign(
        &mut self,
        lat: f64,
        lon: f64,
        accuracy_km: f32,
        precision: Precision,
        source: LocationSource,
    ) -> bool {
        let Some(checked) = Location::new(lat, lon, accuracy_km, precision, source) else {
            return false;
        };
        self.lat = checked.lat;
        self.lon = checked.lon;
        self.accuracy_km = checked.accuracy_km;
        self.precision = precision;
        self.source = source;
        true
    }

    /// Sets the place names in place, reusing buffers (same rules as [`Location::with_place`]).
    pub fn set_place(&mut self, country: Option<&str>, region: Option<&str>, city: Option<&str>) {
        set_bounded(&mut self.country, country);
        set_bounded(&mut self.region, region);
        set_bounded(&mut self.city, city);
    }

    /// Sets the network in place, reusing the organisation's buffer.
    pub fn set_network(&mut self, asn: Option<u32>, as_org: Option<&str>) {
        self.asn = asn;
        set_bounded(&mut self.as_org, as_org);
    }

    /// Latitude in degrees, -90..=90.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees, -180..=180.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Accuracy radius in kilometres (vendor-supplied, or the default for its precision).
    pub fn accuracy_km(&self) -> f32 {
        self.accuracy_km
    }

    /// The point as the schema's [`GeoPoint`].
    pub fn point(&self) -> GeoPoint {
        GeoPoint {
            lat: self.lat,
            lon: self.lon,
            accuracy_km: Some(self.accuracy_km),
        }
    }

    /// Great-circle distance to `other` in kilometres (ignoring accuracy radii).
    pub fn distance_km(&self, other: &Location) -> f64 {
        distance_km(self.lat, self.lon, other.lat, other.lon).unwrap_or(0.0)
    }

    /// A short human label: "Sydney, AU", "New South Wales, AU", "AU", or the coordinates.
    pub fn label(&self) -> String {
        match (&self.city, &self.region, &self.country) {
            (Some(c), _, Some(cc)) => format!("{c}, {cc}"),
            (Some(c), _, None) => c.clone(),
            (None, Some(r), Some(cc)) => format!("{r}, {cc}"),
            (None, None, Some(cc)) => cc.clone(),
            (None, Some(r), None) => r.clone(),
            (None, None, None) => format!("{:.2}, {:.2}", self.lat, self.lon),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn antipodes_are_half_the_circumference() {
        let d = distance_km(0.0, 0.0, 0.0, 180.0).unwrap();
        assert!((d - MAX_DISTANCE_KM).abs() < 1e-6);
        assert_eq!(distance_km(10.0, 20.0, 10.0, 20.0), Some(0.0));
    }

    #[test]
    fn out_of_range_input_is_clamped_not_nan() {
        let d = distance_km(1e9, -1e9, -1e9, 1e9).unwrap();
        assert!(d.is_finite() && (0.0..=MAX_DISTANCE_KM).contains(&d));
    }

    #[test]
    fn names_are_bounded_at_char_boundaries() {
        let long = "é".repeat(200);
        let l = Location::new(0.0, 0.0, 1.0, Precision::City, LocationSource::Event)
            .unwrap()
            .with_place(Some(&long), Some("  "), None);
        assert!(l.country.as_ref().unwrap().len() <= MAX_NAME);
        assert_eq!(l.region, None);
    }

    #[test]
    fn negative_default_radius_reads_as_zero() {
        let d = AccuracyDefaults {
            city_km: -5.0,
            region_km: f32::NAN,
            country_km: 1.0,
        };
        assert_eq!(d.radius_km(Precision::City), 0.0);
        assert_eq!(d.radius_km(Precision::Region), 0.0);
    }
}
