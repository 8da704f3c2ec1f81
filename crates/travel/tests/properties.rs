//! Property tests: speed is symmetric, finite and non-negative for any two valid points and
//! times; it agrees with the haversine distance for known city pairs; no input panics the
//! detector.
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
