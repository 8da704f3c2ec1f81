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

/// Whether the rule flags the move between two sign-ins, in time order: never from an address
/// to itself or between two addresses at one point. Each place has its own address.
fn rule_flags(prev: &Last, cur: &Last) -> bool {
    let (a, b) = (location(prev.place), location(cur.place));
    let m = Movement::between(&a, &b, cur.time.since(prev.time), Duration::from_secs(60));
    let same_address = prev.place == cur.place;
    let same_point =
        (PLACES[prev.place].1, PLACES[prev.place].2) == (PLACES[cur.place].1, PLACES[cur.place].2);
    !same_address && !same_point && m.effective_km >= 300.0 && m.speed_kmh > 800.0
}

/// Each step's sign-in: (id, identity, place, time), times from the steps' gaps.
fn sign_ins(steps: &[(usize, usize, i64)]) -> Vec<(Last, usize)> {
    let mut t = Timestamp::parse_rfc3339("2024-03-20T09:00:00Z").unwrap();
    steps
        .iter()
        .enumerate()
        .map(|(id, &(who, place, minutes))| {
            t = t + Duration::from_mins(minutes);
            (Last { id, time: t, place }, who)
        })
        .collect()
}

fn event_of(s: &Last, who: usize) -> Event {
    let (ip, lat, lon, acc) = PLACES[s.place];
    Event::new(
        s.time,
        format!("{}", s.id),
        Source::Okta,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    )
    .with_actor(Identity::new(&format!("u{who}@x.com")))
    .with_origin(Origin {
        ip: ip.parse().ok(),
        geo: GeoPoint::new(lat, lon, Some(acc)),
        ..Origin::default()
    })
}

/// The (earlier, later) event ids of every move the rule flags, in the order the sign-ins
/// arrive: each is judged against the newest one of its identity so far (as the later end when
/// it is older, i.e. reported late), and only a newer one replaces it.
fn model(arrivals: &[(Last, usize)]) -> Vec<(usize, usize)> {
    let mut newest: Vec<Option<Last>> = vec![None; 40];
    let mut flagged = Vec::new();
    for &(cur, who) in arrivals {
        match newest[who] {
            Some(prev) if cur.time < prev.time => {
                if rule_flags(&cur, &prev) {
                    flagged.push((cur.id, prev.id));
                }
            }
            Some(prev) => {
                if rule_flags(&prev, &cur) {
                    flagged.push((prev.id, cur.id));
                }
                newest[who] = Some(cur);
            }
            None => newest[who] = Some(cur),
        }
    }
    flagged
}

/// Every finding's (earlier, later) event ids.
fn said(out: &[palisade_core::Finding]) -> Vec<(usize, usize)> {
    out.iter()
        .map(|f| {
            let ids = &f.evidence.event_ids;
            (ids[0].parse().unwrap(), ids[1].parse().unwrap())
        })
        .collect()
}

fn steps() -> impl Strategy<Value = Vec<(usize, usize, i64)>> {
    proptest::collection::vec(
        (
            0..40usize,
            0..PLACES.len(),
            prop_oneof![0..240i64, 0..6000i64],
        ),
        1..200,
    )
}

proptest! {
    #[test]
    fn in_order_streams_flag_exactly_the_moves_the_rule_flags(steps in steps()) {
        let arrivals = sign_ins(&steps);
        let mut d = ImpossibleTravel::default();
        let mut out = Vec::new();
        for (s, who) in &arrivals {
            // State past the horizon is dropped on the way, as the pipeline's watermark moves.
            d.advance(s.time, &mut out);
            d.observe(&event_of(s, *who), &Context::empty(), &mut out);
        }
        prop_assert_eq!(said(&out), model(&arrivals));
    }

    #[test]
    fn sign_ins_reported_late_are_judged_against_the_newest(
        steps in steps(),
        delays in proptest::collection::vec(prop_oneof![3 => Just(0usize), 1 => 1..12usize], 200),
    ) {
        // Each sign-in arrives up to eleven places after its turn (a lagging source).
        let mut arrivals = sign_ins(&steps);
        arrivals.sort_by_key(|(s, _)| (s.id + delays[s.id], s.id));
        let mut d = ImpossibleTravel::default();
        let mut out = Vec::new();
        for (s, who) in &arrivals {
            d.observe(&event_of(s, *who), &Context::empty(), &mut out);
        }
        let said = said(&out);
        prop_assert_eq!(&said, &model(&arrivals));
        // Whatever the order of arrival, every finding names its sign-ins in time order.
        let time = |id: usize| arrivals.iter().find(|(s, _)| s.id == id).map(|(s, _)| s.time);
        prop_assert!(said.iter().all(|(a, b)| time(*a) <= time(*b)));
    }
}
