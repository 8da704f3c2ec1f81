//! The same-address path is an optimisation: whatever the stream, the detector says exactly
//! what it says when every sign-in takes the slow path (locate, judge, keep).
//!
//! Each address has one place and network here, as the fast path assumes ("the same address is
//! never travel"), and the stream spans under a week, so the learned address cache, which the
//! fast path teaches once a day rather than on every sign-in, never ages an address out.

use palisade_core::{Context, Detector, Finding};
use palisade_schema::*;
use proptest::prelude::*;

use crate::ImpossibleTravel;

/// Addresses with their place: two in Sydney (the same point), a cloud address, an IPv6
/// carrier address in Melbourne, Frankfurt and London.
const PLACES: [(&str, f64, f64, &str, &str, u32); 6] = [
    ("1.129.0.1", -33.8688, 151.2093, "Sydney", "AU", 1221),
    ("1.129.0.2", -33.8688, 151.2093, "Sydney", "AU", 1221),
    ("3.91.0.10", 39.0438, -77.4874, "Ashburn", "US", 16509),
    ("2001:8003::7", -37.8136, 144.9631, "Melbourne", "AU", 1221),
    ("79.215.3.4", 50.1109, 8.6821, "Frankfurt", "DE", 3320),
    ("81.2.69.142", 51.5074, -0.1278, "London", "GB", 2856),
];

/// One generated record: who, from where, how many minutes after the previous one, and what.
#[derive(Clone, Debug)]
struct Step {
    who: usize,
    place: usize,
    minutes: i64,
    /// 0: an Okta sign-in with coordinates; 1: a Microsoft 365 sign-in with the address only;
    /// 2: a failed Okta sign-in; 3: an Okta session start.
    what: u8,
    kind: Option<SignInKind>,
    session: usize,
    device: usize,
}

fn step() -> impl Strategy<Value = Step> {
    let kind = prop_oneof![
        Just(None),
        Just(Some(SignInKind::Interactive)),
        Just(Some(SignInKind::NonInteractive)),
    ];
    (
        0..3usize,
        0..PLACES.len(),
        0..100i64,
        0..4u8,
        kind,
        0..3usize,
        0..3usize,
    )
        .prop_map(|(who, place, minutes, what, kind, session, device)| Step {
            who,
            place,
            minutes,
            what,
            kind,
            session,
            device,
        })
}

fn events(steps: &[Step]) -> Vec<Event> {
    let mut t = Timestamp::parse_rfc3339("2024-03-20T09:00:00Z").unwrap_or_default();
    steps
        .iter()
        .enumerate()
        .map(|(n, s)| {
            t = t + Duration::from_mins(s.minutes);
            let (ip, lat, lon, city, cc, asn) = PLACES[s.place];
            let (source, activity) = match s.what {
                1 => (
                    Source::M365,
                    Activity::SignIn(SignIn::success(SignInStage::Primary)),
                ),
                2 => (
                    Source::Okta,
                    Activity::SignIn(SignIn::failure(
                        SignInStage::Primary,
                        FailureReason::BadPassword,
                    )),
                ),
                3 => (Source::Okta, Activity::SessionStart),
                _ => (
                    Source::Okta,
                    Activity::SignIn(SignIn::success(SignInStage::Primary)),
                ),
            };
            let mut origin = Origin {
                ip: ip.parse().ok(),
                session_id: (s.session > 0).then(|| format!("s{}", s.session)),
                device_id: (s.device > 0).then(|| format!("d{}", s.device)),
                ..Origin::default()
            };
            if source == Source::Okta {
                origin.geo = GeoPoint::new(lat, lon, Some(20.0));
                origin.city = Some(city.into());
                origin.country = Some(cc.into());
                origin.asn = Some(asn);
            }
            let mut e = Event::new(t, format!("e{n}"), source, activity)
                .with_actor(Identity::new(["a@x.com", "b@x.com", "c@x.com"][s.who]))
                .with_origin(origin);
            e.sign_in_kind = s.kind;
            e
        })
        .collect()
}

fn findings(d: &mut ImpossibleTravel, events: &[Event]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        d.advance(e.time, &mut out);
        d.observe(e, &Context::empty(), &mut out);
    }
    if let Some(last) = events.last() {
        d.advance(last.time + Duration::from_days(30), &mut out);
    }
    out
}

proptest! {
    #[test]
    fn the_same_address_path_says_what_the_slow_path_says(
        steps in proptest::collection::vec(step(), 1..80)
    ) {
        let events = events(&steps);
        let fast = findings(&mut ImpossibleTravel::default(), &events);
        let mut reference = ImpossibleTravel::default();
        reference.slow_path_only = true;
        let slow = findings(&mut reference, &events);
        let json = |f: &[Finding]| serde_json::to_string(f).unwrap_or_default();
        prop_assert_eq!(json(&fast), json(&slow));
    }
}

#[test]
fn the_reference_really_takes_the_slow_path() {
    // An address that names another place the second time: the slow path keeps the new place
    // (never a move: the same address), the same-address path keeps the old one. So a third
    // sign-in from that new place, from another address, is a move only on the same-address
    // path. The switch is what the property compares against.
    let mut steps = vec![
        Step {
            who: 0,
            place: 0,
            minutes: 0,
            what: 0,
            kind: None,
            session: 0,
            device: 0,
        };
        3
    ];
    steps[1].minutes = 60;
    steps[2].minutes = 60;
    let mut events = events(&steps);
    events[1].origin.geo = GeoPoint::new(50.1109, 8.6821, Some(20.0));
    events[2].origin.geo = GeoPoint::new(50.1109, 8.6821, Some(20.0));
    events[2].origin.ip = "79.215.3.4".parse().ok();
    let mut reference = ImpossibleTravel::default();
    reference.slow_path_only = true;
    assert!(findings(&mut reference, &events).is_empty());
    assert_eq!(findings(&mut ImpossibleTravel::default(), &events).len(), 1);
}
