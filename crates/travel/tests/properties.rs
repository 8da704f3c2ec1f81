//! Property tests: speed is symmetric, finite and non-negative for any two valid points and
//! times; it agrees with the haversine distance for known city pairs; no input panics the
//! detector; and on in-order streams the detector flags exactly the moves a plain model of the
//! rule flags, however its state is kept, expired and reused.
#![allow(clippy::unwrap_used)]

use palisade_core::{Context, Detector};
use palisade_geo::{Location, LocationSource, Precision};
use palisade_schema::*;
use palisade_travel::{speed_kmh, ImpossibleTravel, Movement};
use proptest::prelude::*;

fn point() -> impl Strategy<Value = GeoPoint> {
    (
        -90.0f64..=90.0,
        -180.0f64..=180.0,
        proptest::option::of(0.0f32..2_000.0),
    )
        .prop_map(|(a, b, r)| GeoPoint::new(a, b, r).unwrap())
}

proptest! {
    #[test]
    fn speed_is_symmetric_finite_and_non_negative(a in point(), b in point(), ms in any::<i64>()) {
        let dt = Duration::from_millis(ms);
        let v = speed_kmh(&a, &b, dt).unwrap();
        prop_assert!(v.is_finite() && v >= 0.0);
        let back = speed_kmh(&b, &a, dt).unwrap();
        let reverse_time = speed_kmh(&a, &b, Duration::from_millis(ms.saturating_neg())).unwrap();
        prop_assert!((v - back).abs() <= 1e-9 * v.max(1.0));
        prop_assert!((v - reverse_time).abs() <= 1e-9 * v.max(1.0) + 1e-9);
    }

    #[test]
    fn any_coordinates_never_panic_the_detector(
        lat in any::<f64>(), lon in any::<f64>(), acc in any::<f32>(), mins in -10_000i64..10_000,
    ) {
        let mut d = ImpossibleTravel::default();
        let mut out = Vec::new();
        let t = Timestamp::parse_rfc3339("2024-03-20T09:00:00Z").unwrap();
        for (i, (la, lo)) in [(-33.87, 151.21), (lat, lon)].into_iter().enumerate() {
            let e = Event::new(t + Duration::from_mins(mins * i as i64), format!("e{i}"), Source::Entra,
                Activity::SignIn(SignIn::success(SignInStage::Primary)))
                .with_actor(Identity::new("a@x.com"))
                .with_origin(Origin {
                    ip: Some(std::net::IpAddr::from([203, 0, 113, i as u8])),
                    geo: Some(GeoPoint { lat: la, lon: lo, accuracy_km: Some(acc) }),
                    ..Origin::default()
                });
            d.observe(&e, &Context::empty(), &mut out);
        }
        for f in &out {
            prop_assert!(!f.summary.contains("NaN") && !f.summary.contains("inf"));
        }
    }
}

#[test]
fn agrees_with_published_great_circle_distances() {
    // (from, to, published distance in km)
    let pairs = [
        ((-33.8688, 151.2093), (50.1109, 8.6821), 16_500.0), // Sydney – Frankfurt
        ((51.5074, -0.1278), (40.7128, -74.0060), 5_570.0),  // London – New York
        ((-33.8688, 151.2093), (37.7749, -122.4194), 11_950.0), // Sydney – San Francisco
        ((1.3521, 103.8198), (35.6762, 139.6503), 5_320.0),  // Singapore – Tokyo
    ];
    for ((a, b), (c, d), want) in pairs {
        let x = Location::new(a, b, 0.0, Precision::City, LocationSource::Event).unwrap();
        let y = Location::new(c, d, 0.0, Precision::City, LocationSource::Event).unwrap();
        let m = Movement::between(&x, &y, Duration::from_hours(10), Duration::from_secs(60));
        assert!(
            (m.distance_km - want).abs() / want < 0.005,
            "{} vs {want}",
            m.distance_km
        );
        assert!((m.speed_kmh - m.distance_km / 10.0).abs() < 1e-6);
    }
}

/// Places for the model test, none on an egress list: (address, lat, lon, accuracy km). The
/// first two share a point (two addresses in one city).
const PLACES: [(&str, f64, f64, f32); 8] = [
    ("192.0.2.1", -33.8688, 151.2093, 20.0),
    ("192.0.2.2", -33.8688, 151.2093, 20.0),
    ("192.0.2.3", -37.8136, 144.9631, 50.0),
    ("198.51.100.4", 50.1109, 8.6821, 10.0),
    ("198.51.100.5", 51.5074, -0.1278, 100.0),
    ("203.0.113.6", 40.7128, -74.0060, 20.0),
    ("203.0.113.7", 1.3521, 103.8198, 300.0),
    ("2001:db8::8", 48.8566, 2.3522, 20.0),
];

/// The rule in its plainest form, for one identity: the last successful sign-in (its event id,
/// time and place index), never forgotten.
#[derive(Clone, Copy)]
struct Last {
    id: usize,
    time: Timestamp,
    place: usize,
}

fn location(place: usize) -> Location {
    let (_, lat, lon, acc) = PLACES[place];
    Location::new(lat, lon, acc, Precision::City, LocationSource::Event).unwrap()
}

/// The (earlier, later) event ids of every move the rule flags, in order: never from an address
/// to itself or between two addresses at one point. Each place has its own address.
fn model(steps: &[(usize, usize, i64)]) -> Vec<(usize, usize)> {
    let mut last: Vec<Option<Last>> = vec![None; 40];
    let mut t = Timestamp::parse_rfc3339("2024-03-20T09:00:00Z").unwrap();
    let mut flagged = Vec::new();
    for (id, &(who, place, minutes)) in steps.iter().enumerate() {
        t = t + Duration::from_mins(minutes);
        let cur = Last { id, time: t, place };
        if let Some(prev) = last[who] {
            let (a, b) = (location(prev.place), location(place));
            let m = Movement::between(&a, &b, t.since(prev.time), Duration::from_secs(60));
            let same_address = prev.place == place;
            let same_point =
                (PLACES[prev.place].1, PLACES[prev.place].2) == (PLACES[place].1, PLACES[place].2);
            if !same_address && !same_point && m.effective_km >= 300.0 && m.speed_kmh > 800.0 {
                flagged.push((prev.id, id));
            }
        }
        last[who] = Some(cur);
    }
    flagged
}

proptest! {
    #[test]
    fn in_order_streams_flag_exactly_the_moves_the_rule_flags(
        steps in proptest::collection::vec(
            (0..40usize, 0..PLACES.len(), prop_oneof![0..240i64, 0..6000i64]),
            1..200,
        )
    ) {
        let mut d = ImpossibleTravel::default();
        let mut out = Vec::new();
        let mut t = Timestamp::parse_rfc3339("2024-03-20T09:00:00Z").unwrap();
        for (id, &(who, place, minutes)) in steps.iter().enumerate() {
            t = t + Duration::from_mins(minutes);
            let (ip, lat, lon, acc) = PLACES[place];
            let e = Event::new(t, format!("{id}"), Source::Okta,
                Activity::SignIn(SignIn::success(SignInStage::Primary)))
                .with_actor(Identity::new(&format!("u{who}@x.com")))
                .with_origin(Origin {
                    ip: ip.parse().ok(),
                    geo: GeoPoint::new(lat, lon, Some(acc)),
                    ..Origin::default()
                });
            // State past the horizon is dropped on the way, as the pipeline's watermark moves.
            d.advance(t, &mut out);
            d.observe(&e, &Context::empty(), &mut out);
        }
        let said: Vec<(usize, usize)> = out
            .iter()
            .map(|f| {
                let ids = &f.evidence.event_ids;
                (ids[0].parse().unwrap(), ids[1].parse().unwrap())
            })
            .collect();
        prop_assert_eq!(said, model(&steps));
    }
}
