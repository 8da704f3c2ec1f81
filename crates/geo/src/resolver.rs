//! Resolution: the [`GeoResolver`] trait for IP lookups, and the [`Geolocator`] that applies
//! Palisade's order — coordinates the event supplies, then a database, then what earlier events
//! taught about the address.

use std::net::IpAddr;
use std::sync::Arc;

use palisade_schema::{Origin, Timestamp};

use crate::spot::NameTable;
use crate::{AccuracyDefaults, LearnedLocations, Location, LocationSource, Precision, Spot};

/// Looks an IP address up in some geolocation source.
///
/// Implementations never panic and return `None` for addresses they do not know (private
/// ranges, unknown networks, a database of the wrong address family). `Box<R>`, `Arc<R>` and
/// `Option<R>` are resolvers too, so one opened database can be shared by many detectors.
///
/// ```
/// use std::net::IpAddr;
/// use palisade_geo::{GeoResolver, Location, LocationSource, Precision};
///
/// /// Knows one office network.
/// struct Office;
/// impl GeoResolver for Office {
///     fn resolve(&self, ip: IpAddr) -> Option<Location> {
///         let office: IpAddr = "198.51.100.10".parse().unwrap();
///         (ip == office).then(|| {
///             Location::new(-33.87, 151.21, 5.0, Precision::City, LocationSource::Database)
///                 .unwrap()
///                 .with_place(Some("AU"), None, Some("Sydney"))
///         })
///     }
/// }
/// assert_eq!(Office.resolve("198.51.100.10".parse().unwrap()).unwrap().label(), "Sydney, AU");
/// assert!(Office.resolve("192.0.2.1".parse().unwrap()).is_none());
/// ```
pub trait GeoResolver: Send + Sync {
    /// The location of `ip`, if this source knows it, with its autonomous system when the
    /// source knows that too (callers holding an answer do not ask [`GeoResolver::network`]).
    fn resolve(&self, ip: IpAddr) -> Option<Location>;

    /// The autonomous system of `ip`, if this source knows it (an ASN database knows networks
    /// without knowing places). Defaults to the ASN of [`GeoResolver::resolve`]'s answer.
    fn network(&self, ip: IpAddr) -> Option<Network> {
        let l = self.resolve(ip)?;
        Some(Network {
            asn: l.asn?,
            org: l.as_org,
        })
    }
}

/// An autonomous system: its number and, when known, its organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// Autonomous system number.
    pub asn: u32,
    /// Autonomous system organisation.
    pub org: Option<String>,
}

impl<R: GeoResolver + ?Sized> GeoResolver for Box<R> {
    fn resolve(&self, ip: IpAddr) -> Option<Location> {
        (**self).resolve(ip)
    }
    fn network(&self, ip: IpAddr) -> Option<Network> {
        (**self).network(ip)
    }
}

impl<R: GeoResolver + ?Sized> GeoResolver for Arc<R> {
    fn resolve(&self, ip: IpAddr) -> Option<Location> {
        (**self).resolve(ip)
    }
    fn network(&self, ip: IpAddr) -> Option<Network> {
        (**self).network(ip)
    }
}

impl<R: GeoResolver> GeoResolver for Option<R> {
    fn resolve(&self, ip: IpAddr) -> Option<Location> {
        self.as_ref()?.resolve(ip)
    }
    fn network(&self, ip: IpAddr) -> Option<Network> {
        self.as_ref()?.network(ip)
    }
}

/// The precision an origin's names imply.
fn precision_of(origin: &Origin) -> Precision {
    if origin.city.is_some() {
        Precision::City
    } else if origin.region.is_some() {
        Precision::Region
    } else if origin.country.is_some() {
        Precision::Country
    } else {
        // Bare coordinates come from the vendor's own IP geolocation, at city level.
        Precision::City
    }
}

/// A resolver that knows nothing: the default when no database is configured.
///
/// ```
/// use palisade_geo::{GeoResolver, NoResolver};
/// assert!(NoResolver.resolve("81.2.69.142".parse().unwrap()).is_none());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoResolver;

impl GeoResolver for NoResolver {
    fn resolve(&self, _ip: IpAddr) -> Option<Location> {
        None
    }
}

/// Locates an event's origin in Palisade's resolution order, learning as it goes:
///
/// 1. **The event's own coordinates** (Okta `client.geographicalContext.geolocation`, Entra
///    `location.geoCoordinates`) win. The vendor's accuracy radius is kept; without one, the
///    default for the precision the event names (city, region or country) applies. Such an event
///    also teaches the learned cache where its IP address is.
/// 2. **A database** (any [`GeoResolver`], typically an [`MmdbResolver`] over GeoLite2 or DB-IP
///    Lite files), by the event's IP address.
/// 3. **What earlier identity-provider events taught** about the same address
///    ([`LearnedLocations`]): the Microsoft 365 audit log carries only `ClientIP`, and the
///    sign-in that preceded it usually carried coordinates for the same address.
///
/// The event's own ASN and organisation, when it gives them, override whatever a lookup found.
///
/// [`MmdbResolver`]: crate::MmdbResolver
///
/// ```
/// use palisade_geo::{Geolocator, LocationSource};
/// use palisade_schema::{GeoPoint, Origin, Timestamp, Duration};
/// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
/// let ip = "203.0.113.7".parse().unwrap();
/// let mut geo = Geolocator::new();
/// // An Entra sign-in with coordinates...
/// let signin = Origin {
///     ip: Some(ip),
///     geo: GeoPoint::new(-33.87, 151.21, None),
///     country: Some("AU".into()),
///     city: Some("Sydney".into()),
///     ..Origin::default()
/// };
/// let here = geo.locate(&signin, t).unwrap();
/// assert_eq!((here.source, here.accuracy_km()), (LocationSource::Event, 50.0));
/// // ...teaches where the address is, for an M365 audit record with only ClientIP.
/// let audit = Origin { ip: Some(ip), ..Origin::default() };
/// let there = geo.locate(&audit, t + Duration::from_mins(20)).unwrap();
/// assert_eq!((there.source, there.label()), (LocationSource::Learned, "Sydney, AU".to_owned()));
/// ```
pub struct Geolocator {
    database: Option<Box<dyn GeoResolver>>,
    learned: LearnedLocations,
    defaults: AccuracyDefaults,
}

impl Default for Geolocator {
    fn default() -> Self {
        Geolocator::new()
    }
}

impl std::fmt::Debug for Geolocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geolocator")
            .field("database", &self.database.is_some())
            .field("learned", &self.learned.len())
            .field("defaults", &self.defaults)
            .finish()
    }
}

impl Geolocator {
    /// No database, a default [`LearnedLocations`] cache and default accuracy radii.
    pub fn new() -> Self {
        Geolocator {
            database: None,
            learned: LearnedLocations::default(),
            defaults: AccuracyDefaults::default(),
        }
    }

    /// The same geolocator looking addresses up in `database` (step 2).
    pub fn with_database(mut self, database: impl GeoResolver + 'static) -> Self {
        self.database = Some(Box::new(database));
        self
    }

    /// The same geolocator with other default radii.
    pub fn with_defaults(mut self, defaults: AccuracyDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// The same geolocator with another learned cache (to change its capacity or age limit).
    pub fn with_learned(mut self, learned: LearnedLocations) -> Self {
        self.learned = learned;
        self
    }

    /// The default accuracy radii in use.
    pub fn defaults(&self) -> &AccuracyDefaults {
        &self.defaults
    }

    /// The learned cache (read).
    pub fn learned(&self) -> &LearnedLocations {
        &self.learned
    }

    /// The learned cache (for snapshots and restores).
    pub fn learned_mut(&mut self) -> &mut LearnedLocations {
        &mut self.learned
    }

    /// Locates `origin` as of event time `at`, learning from it when it carries coordinates.
    pub fn locate(&mut self, origin: &Origin, at: Timestamp) -> Option<Location> {
        if let Some(loc) = self.from_event(origin) {
            if let Some(ip) = origin.ip {
                self.learned.learn(ip, &loc, at);
            }
            return Some(loc);
        }
        let ip = origin.ip?;
        let mut loc = match self.database.as_ref().and_then(|d| d.resolve(ip)) {
            Some(l) => l,
            None => self.learned.lookup(ip, at)?,
        };
        if origin.asn.is_some() {
            loc.asn = origin.asn;
            loc.as_org.clone_from(&origin.as_org);
        }
        Some(loc)
    }

    /// [`Geolocator::locate`] writing into an existing location, reusing its buffers: when the
    /// event supplies coordinates (the common case) nothing is allocated once buffers are warm.
    /// Returns `false`, leaving `out` unspecified, when the origin cannot be located.
    ///
    /// ```
    /// use palisade_geo::{Geolocator, Location, LocationSource, Precision};
    /// use palisade_schema::{GeoPoint, Origin, Timestamp};
    /// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
    /// let mut geo = Geolocator::new();
    /// let mut scratch = Location::new(0.0, 0.0, 0.0, Precision::City, LocationSource::Event).unwrap();
    /// let o = Origin { geo: GeoPoint::new(-33.87, 151.21, Some(20.0)), city: Some("Sydney".into()), ..Origin::default() };
    /// assert!(geo.locate_into(&o, t, &mut scratch));
    /// assert_eq!(scratch.city.as_deref(), Some("Sydney"));
    /// assert!(!geo.locate_into(&Origin::default(), t, &mut scratch));
    /// ```
    pub fn locate_into(&mut self, origin: &Origin, at: Timestamp, out: &mut Location) -> bool {
        if self.event_into(origin, out) {
            if let Some(ip) = origin.ip {
                self.learned.learn(ip, out, at);
            }
            return true;
        }
        match self.locate(origin, at) {
            Some(l) => {
                *out = l;
                true
            }
            None => false,
        }
    }

    fn event_into(&self, origin: &Origin, out: &mut Location) -> bool {
        let Some(g) = origin.point() else {
            return false;
        };
        let precision = precision_of(origin);
        let radius = match g.accuracy_km {
            Some(r) if r.is_finite() && r >= 0.0 => r,
            _ => self.defaults.radius_km(precision),
        };
        if !out.assign(g.lat, g.lon, radius, precision, LocationSource::Event) {
            return false;
        }
        out.set_place(
            origin.country.as_deref(),
            origin.region.as_deref(),
            origin.city.as_deref(),
        );
        out.set_network(origin.asn, origin.as_org.as_deref());
        if out.asn.is_none() {
            if let (Some(ip), Some(db)) = (origin.ip, self.database.as_ref()) {
                if let Some(found) = db.network(ip) {
                    out.set_network(Some(found.asn), found.org.as_deref());
                }
            }
        }
        true
    }

    /// Learns from `origin` without locating it: for events that do not count as sign-ins (a
    /// failed attempt, an MFA prompt) but still say where their address is. Cheap when the
    /// address is already known at the same point.
    ///
    /// ```
    /// use palisade_geo::Geolocator;
    /// use palisade_schema::{GeoPoint, Origin, Timestamp};
    /// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
    /// let mut geo = Geolocator::new();
    /// let o = Origin { ip: Some("192.0.2.1".parse().unwrap()), geo: GeoPoint::new(1.0, 2.0, None), ..Origin::default() };
    /// geo.learn(&o, t);
    /// assert_eq!(geo.learned().len(), 1);
    /// ```
    pub fn learn(&mut self, origin: &Origin, at: Timestamp) {
        let (Some(ip), Some(g)) = (origin.ip, origin.point()) else {
            return;
        };
        let Geolocator {
            database,
            learned,
            defaults,
        } = self;
        learned.learn_point(ip, g.lat, g.lon, at, |names| {
            event_spot(database.as_deref(), defaults, names, origin, None)
        });
    }

    /// [`Geolocator::locate`] as a compact [`Spot`]: when the event supplies coordinates (the
    /// common case) and its place is already known, nothing is allocated.
    ///
    /// ```
    /// use palisade_geo::{Geolocator, LocationSource};
    /// use palisade_schema::{GeoPoint, Origin, Timestamp};
    /// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
    /// let mut geo = Geolocator::new();
    /// let o = Origin {
    ///     ip: Some("192.0.2.1".parse().unwrap()),
    ///     geo: GeoPoint::new(-33.87, 151.21, None),
    ///     city: Some("Sydney".into()),
    ///     ..Origin::default()
    /// };
    /// let spot = geo.locate_spot(&o, t).unwrap();
    /// assert_eq!((spot.source, spot.accuracy_km(), spot.city()), (LocationSource::Event, 50.0, Some("Sydney")));
    /// let bare = Origin { ip: o.ip, ..Origin::default() };
    /// assert_eq!(geo.locate_spot(&bare, t).unwrap().source, LocationSource::Learned);
    /// assert!(geo.locate_spot(&Origin::default(), t).is_none());
    /// ```
    pub fn locate_spot(&mut self, origin: &Origin, at: Timestamp) -> Option<Spot> {
        self.locate_spot_near(origin, at, None)
    }

    /// [`Geolocator::locate_spot`], sharing `near`'s names when the event names the same place
    /// (an identity's last sign-in: most sign-ins come from where the last one did).
    pub fn locate_spot_near(
        &mut self,
        origin: &Origin,
        at: Timestamp,
        near: Option<&Spot>,
    ) -> Option<Spot> {
        if let Some(spot) = self.event_spot(origin, near) {
            if let Some(ip) = origin.ip {
                self.learned.learn_spot(ip, &spot, at);
            }
            return Some(spot);
        }
        let ip = origin.ip?;
        if let Some(l) = self.database.as_ref().and_then(|d| d.resolve(ip)) {
            let (asn, org) = match origin.asn {
                Some(_) => (origin.asn, origin.as_org.as_deref()),
                None => (l.asn, l.as_org.as_deref()),
            };
            let names = self.learned.names_mut().intern(
                l.country.as_deref(),
                l.region.as_deref(),
                l.city.as_deref(),
                org,
            );
            return Spot::new(
                l.lat,
                l.lon,
                l.accuracy_km,
                l.precision,
                l.source,
                asn,
                names,
            );
        }
        let mut spot = self.learned.lookup_spot(ip, at)?;
        if origin.asn.is_some() {
            let n = spot.names();
            let names = self.learned.names_mut().intern(
                n.country(),
                n.region(),
                n.city(),
                origin.as_org.as_deref(),
            );
            spot.asn = origin.asn;
            spot.names = names;
        }
        Some(spot)
    }

    /// A [`Location`] as a [`Spot`], sharing names with every other spot at the same place.
    pub fn spot(&mut self, location: &Location) -> Spot {
        let names = self.learned.names_mut().location_names(location);
        Spot {
            lat: location.lat,
            lon: location.lon,
            accuracy_km: location.accuracy_km,
            precision: location.precision,
            source: location.source,
            asn: location.asn,
            names,
        }
    }

    /// Step 1 as a spot (see [`Geolocator::from_event`]).
    fn event_spot(&mut self, origin: &Origin, near: Option<&Spot>) -> Option<Spot> {
        event_spot(
            self.database.as_deref(),
            &self.defaults,
            self.learned.names_mut(),
            origin,
            near,
        )
    }

    /// Step 1 alone: the location the event itself supplies, if its coordinates are valid.
    ///
    /// ```
    /// use palisade_geo::{Geolocator, Precision};
    /// use palisade_schema::{GeoPoint, Origin};
    /// let geo = Geolocator::new();
    /// let o = Origin { geo: GeoPoint::new(48.0, 11.0, Some(3.0)), country: Some("DE".into()), ..Origin::default() };
    /// let l = geo.from_event(&o).unwrap();
    /// assert_eq!((l.precision, l.accuracy_km()), (Precision::Country, 3.0));
    /// // Coordinates forged past the poles are ignored, never panicked on.
    /// let bad = Origin { geo: Some(GeoPoint { lat: 123.0, lon: 0.0, accuracy_km: None }), ..Origin::default() };
    /// assert!(geo.from_event(&bad).is_none());
    /// // (0, 0) is a zeroed field, not a place.
    /// let zero = Origin { geo: GeoPoint::new(0.0, 0.0, None), country: Some("AU".into()), ..Origin::default() };
    /// assert!(geo.from_event(&zero).is_none());
    /// ```
    pub fn from_event(&self, origin: &Origin) -> Option<Location> {
        let g = origin.point()?;
        let precision = precision_of(origin);
        let radius = match g.accuracy_km {
            Some(r) if r.is_finite() && r >= 0.0 => r,
            _ => self.defaults.radius_km(precision),
        };
        let mut loc = Location::new(g.lat, g.lon, radius, precision, LocationSource::Event)?
            .with_place(
                origin.country.as_deref(),
                origin.region.as_deref(),
                origin.city.as_deref(),
            )
            .with_network(origin.asn, origin.as_org.as_deref());
        if loc.asn.is_none() {
            if let (Some(ip), Some(db)) = (origin.ip, self.database.as_ref()) {
                if let Some(found) = db.network(ip) {
                    loc.asn = Some(found.asn);
                    loc.as_org = found.org;
                }
            }
        }
        Some(loc)
    }
}

/// Step 1 as a spot: the event's own coordinates, with names shared through `names` (and
/// `near`'s when they are its names), and the network from `database` when the event names
/// none.
fn event_spot(
    database: Option<&dyn GeoResolver>,
    defaults: &AccuracyDefaults,
    names: &mut NameTable,
    origin: &Origin,
    near: Option<&Spot>,
) -> Option<Spot> {
    let g = origin.point()?;
    let precision = precision_of(origin);
    let radius = match g.accuracy_km {
        Some(r) if r.is_finite() && r >= 0.0 => r,
        _ => defaults.radius_km(precision),
    };
    // Checked before any name work.
    Location::new(g.lat, g.lon, radius, precision, LocationSource::Event)?;
    let mut asn = origin.asn;
    let found = match (asn, origin.ip, database) {
        (None, Some(ip), Some(db)) => db.network(ip),
        _ => None,
    };
    let org = match &found {
        Some(n) => {
            asn = Some(n.asn);
            n.org.as_deref()
        }
        None => origin.as_org.as_deref(),
    };
    let names = names.intern_near(
        near.map(|n| &n.names),
        origin.country.as_deref(),
        origin.region.as_deref(),
        origin.city.as_deref(),
        org,
    );
    Spot::new(
        g.lat,
        g.lon,
        radius,
        precision,
        LocationSource::Event,
        asn,
        names,
    )
}
