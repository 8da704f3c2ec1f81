//! Properties of the great-circle arithmetic and of the egress index.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};

use palisade_geo::*;
use proptest::prelude::*;

/// Published great-circle distances between city centres (km).
/// (latitude, longitude) in degrees.
type Point = (f64, f64);

const PAIRS: &[(Point, Point, f64)] = &[
    // Sydney – Frankfurt ≈ 16,500 km.
    ((-33.8688, 151.2093), (50.1109, 8.6821), 16_500.0),
    // London – New York ≈ 5,570 km.
    ((51.5074, -0.1278), (40.7128, -74.0060), 5_570.0),
    // Sydney – Melbourne ≈ 714 km.
    ((-33.8688, 151.2093), (-37.8136, 144.9631), 714.0),
    // Tokyo – Los Angeles ≈ 8,815 km (across the antimeridian).
    ((35.6762, 139.6503), (34.0522, -118.2437), 8_815.0),
];

#[test]
fn known_city_pairs_within_half_a_percent() {
    for &((a, b), (c, d), want) in PAIRS {
        let got = distance_km(a, b, c, d).unwrap();
        assert!((got - want).abs() / want < 0.005, "{got} vs {want}");
    }
}

proptest! {
    #[test]
    fn distance_is_symmetric_finite_and_bounded(
        a in -90.0f64..=90.0, b in -180.0f64..=180.0, c in -90.0f64..=90.0, d in -180.0f64..=180.0,
    ) {
        let x = distance_km(a, b, c, d).unwrap();
        let y = distance_km(c, d, a, b).unwrap();
        prop_assert!(x.is_finite() && (0.0..=MAX_DISTANCE_KM).contains(&x));
        prop_assert!((x - y).abs() < 1e-6);
    }

    #[test]
    fn any_coordinates_never_panic(a in any::<f64>(), b in any::<f64>(), c in any::<f64>(), d in any::<f64>()) {
        if let Some(x) = distance_km(a, b, c, d) {
            prop_assert!(x.is_finite() && x >= 0.0);
        }
        let _ = Location::new(a, b, c as f32, Precision::City, LocationSource::Event);
    }

    #[test]
    fn egress_lookup_agrees_with_a_linear_scan(
        nets in proptest::collection::vec((any::<u32>(), 8u8..=32), 1..40),
        probes in proptest::collection::vec(any::<u32>(), 1..40),
    ) {
        // Each network in its own list, loaded in order; nested and duplicate networks happen.
        let mut reg = EgressRegistry::new();
        let mut cidrs = Vec::new();
        for (i, (a, len)) in nets.iter().enumerate() {
            let c = Cidr::new(IpAddr::V4(Ipv4Addr::from(*a)), *len).unwrap();
            cidrs.push(c);
            reg.add(EgressList::new(format!("l{i}"), EgressKind::Vpn, "test").with_cidr(c)).unwrap();
        }
        // Probe inside each network too, not only at random.
        let inside = cidrs.iter().map(|c| match c.addr() { IpAddr::V4(a) => u32::from(a) | 1, _ => 0 });
        for p in probes.into_iter().chain(inside) {
            let ip = IpAddr::V4(Ipv4Addr::from(p));
            // The expected answer: the longest containing prefix, the first-loaded on ties.
            let want = cidrs
                .iter()
                .enumerate()
                .filter(|(_, c)| c.contains(ip))
                .max_by(|(i, a), (j, b)| a.prefix_len().cmp(&b.prefix_len()).then(j.cmp(i)))
                .map(|(i, _)| format!("l{i}"));
            let got = reg.lookup(Some(ip), None).map(|m| m.list.name.clone());
            prop_assert_eq!(got, want);
        }
    }
}
