//! Hand-built cases for each rule of the detector.
#![allow(clippy::unwrap_used)]

#[path = "../../geo/tests/support/mmdb_writer.rs"]
mod mmdb_writer;

use std::sync::Arc;

use palisade_core::{Context, Detector, Dimension, Familiarity, Finding, ProfileView, Severity};
use palisade_geo::{EgressKind, EgressList, EgressRegistry, MmdbResolver};
use palisade_schema::*;
use palisade_travel::{ImpossibleTravel, TravelConfig};

const T0: &str = "2024-03-20T09:00:00Z";

#[derive(Clone, Copy)]
struct At {
    lat: f64,
    lon: f64,
    acc: f32,
    city: &'static str,
    cc: &'static str,
}
const SYDNEY: At = At {
    lat: -33.8688,
    lon: 151.2093,
    acc: 20.0,
    city: "Sydney",
    cc: "AU",
};
const FRANKFURT: At = At {
    lat: 50.1109,
    lon: 8.6821,
    acc: 20.0,
    city: "Frankfurt",
    cc: "DE",
};
const MELBOURNE: At = At {
    lat: -37.8136,
    lon: 144.9631,
    acc: 20.0,
    city: "Melbourne",
    cc: "AU",
};
const PARIS: At = At {
    lat: 48.8566,
    lon: 2.3522,
    acc: 20.0,
    city: "Paris",
    cc: "FR",
};
const PERTH: At = At {
    lat: -31.9523,
    lon: 115.8613,
    acc: 20.0,
    city: "Perth",
    cc: "AU",
};
const CANBERRA: At = At {
    lat: -35.2809,
    lon: 149.1300,
    acc: 20.0,
    city: "Canberra",
    cc: "AU",
};

fn t(mins: i64) -> Timestamp {
    Timestamp::parse_rfc3339(T0).unwrap() + Duration::from_mins(mins)
}

fn sign_in(who: &str, id: &str, mins: i64, ip: &str, at: &At) -> Event {
    Event::new(
        t(mins),
        id,
        Source::Okta,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    )
    .with_actor(Identity::new(who))
    .with_origin(Origin {
        ip: Some(ip.parse().unwrap()),
        geo: GeoPoint::new(at.lat, at.lon, Some(at.acc)),
        city: Some(at.city.into()),
        country: Some(at.cc.into()),
        ..Origin::default()
    })
}

fn run_with(d: &mut ImpossibleTravel, events: &[Event], ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        d.advance(e.time, &mut out);
        d.observe(e, ctx, &mut out);
    }
    out
}

fn run(events: &[Event]) -> Vec<Finding> {
    run_with(&mut ImpossibleTravel::default(), events, &Context::empty())
}

#[test]
fn the_same_ip_is_never_travel() {
    let mut b = sign_in("a@x.com", "e2", 30, "1.129.0.1", &FRANKFURT);
    b.origin.asn = Some(1221);
    let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), b]);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn sydney_then_frankfurt_two_hours_later_is_flagged() {
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 125, "79.215.3.4", &FRANKFURT),
    ]);
    assert_eq!(out.len(), 1);
    let f = &out[0];
    assert_eq!(
        f.summary,
        "Sydney, AU → Frankfurt, DE: 16,500 km in 2 h 05 min = 7,890 km/h"
    );
    assert_eq!(
        (f.severity, f.first_seen, f.last_seen),
        (Severity::Medium, t(0), t(125))
    );
    assert_eq!(f.entities.ips.len(), 2);
    assert_eq!(f.entities.countries, ["AU", "DE"]);
    assert!(f.confidence > 0.8);
}

#[test]
fn short_or_slow_moves_are_not_flagged() {
    // Sydney → Canberra (~250 km) in 10 minutes: under the minimum distance.
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 10, "1.130.0.1", &CANBERRA),
    ]);
    assert!(out.is_empty());
    // Sydney → Melbourne (~714 km) in 95 minutes by plane: 430 km/h after the radii.
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 95, "1.130.0.1", &MELBOURNE),
    ]);
    assert!(out.is_empty());
    // The same move in 20 minutes is impossible.
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 20, "1.130.0.1", &MELBOURNE),
    ]);
    assert_eq!(out.len(), 1);
}

#[test]
fn accuracy_radii_absorb_coarse_geolocation() {
    // Sydney → Melbourne in 20 minutes, but both ends geolocated only to within 400 km.
    let coarse = |a: &At| At { acc: 400.0, ..*a };
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &coarse(&SYDNEY)),
        sign_in("a@x.com", "e2", 20, "1.130.0.1", &coarse(&MELBOURNE)),
    ]);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn zero_elapsed_time_gives_a_finite_speed() {
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 0, "79.215.3.4", &FRANKFURT),
    ]);
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .summary
            .ends_with("in 0 s (timed as 1 min) = 987,000 km/h"),
        "{}",
        out[0].summary
    );
}

#[test]
fn ip_family_flips_and_carrier_hops_in_one_session_are_not_travel() {
    // The carrier's IPv6 geolocates to Sydney, its IPv4 to Melbourne, within one session.
    let mut a = sign_in("a@x.com", "e1", 0, "49.180.1.2", &MELBOURNE);
    let mut b = sign_in("a@x.com", "e2", 5, "2001:8003::1", &SYDNEY);
    for e in [&mut a, &mut b] {
        e.origin.session_id = Some("sess-1".into());
    }
    assert!(run(&[a.clone(), b.clone()]).is_empty());
    // A hop between two of the carrier's gateways on one device (same ASN).
    let mut c = sign_in("a@x.com", "e3", 5, "49.181.9.9", &SYDNEY);
    a.origin.device_id = Some("phone-1".into());
    c.origin.device_id = Some("phone-1".into());
    a.origin.asn = Some(4804);
    c.origin.asn = Some(4804);
    a.origin.session_id = None;
    assert!(run(&[a.clone(), c.clone()]).is_empty());
    // Without a shared session or device it is an impossible move.
    c.origin.device_id = Some("laptop-9".into());
    assert_eq!(run(&[a, c]).len(), 1);
}

/// Google's login audit names no session or device: a dual-stack line whose IPv6 block locates
/// far from its IPv4 address is still one client when the family flips on the same network in
/// the same country. Another network, or the same flip into another country, is judged.
#[test]
fn a_family_flip_on_one_network_is_not_travel_where_the_source_names_no_session() {
    let mut a = sign_in("a@x.com", "e1", 0, "1.129.0.1", &PERTH);
    let mut b = sign_in("a@x.com", "e2", 20, "2001:8003::1", &SYDNEY);
    for e in [&mut a, &mut b] {
        e.source = Source::GoogleWorkspace;
        e.origin.asn = Some(1221);
    }
    assert!(run(&[a.clone(), b.clone()]).is_empty());
    // The same family at both ends: a move.
    let mut c = b.clone();
    c.origin.ip = "1.130.9.9".parse().ok();
    assert_eq!(run(&[a.clone(), c]).len(), 1);
    // Another network: a move.
    let mut d = b.clone();
    d.origin.asn = Some(7545);
    assert_eq!(run(&[a.clone(), d]).len(), 1);
    // A session named at one end (and not the other) is a source that names sessions: judged.
    let mut e = b.clone();
    e.origin.session_id = Some("sess-9".into());
    assert_eq!(run(&[a.clone(), e]).len(), 1);
    // Into another country: judged.
    let mut f = b;
    f.origin.geo = GeoPoint::new(FRANKFURT.lat, FRANKFURT.lon, Some(FRANKFURT.acc));
    f.origin.city = Some("Frankfurt".into());
    f.origin.country = Some("DE".into());
    assert_eq!(run(&[a, f]).len(), 1);
}

#[test]
fn a_replayed_session_far_away_is_high() {
    let mut a = sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY);
    let mut b = sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT);
    a.origin.session_id = Some("sess-1".into());
    b.origin.session_id = Some("sess-1".into());
    let out = run(&[a.clone(), b.clone()]);
    assert_eq!(out[0].severity, Severity::High);
    assert!(out[0].summary.contains("the same session id at both ends"));
    // Over IPv6 at one end, or on the same network: a flip or a carrier hop is in one
    // country, so into another it is still a replay.
    b.origin.ip = "2a01:598:48bf::1".parse().ok();
    let out = run(&[a.clone(), b.clone()]);
    assert_eq!(out.len(), 1, "an address family flip into another country");
    assert_eq!(out[0].severity, Severity::High);
    b.origin.ip = "79.215.3.4".parse().ok();
    a.origin.session_id = None;
    b.origin.session_id = None;
    for e in [&mut a, &mut b] {
        e.origin.device_id = Some("laptop-1".into());
        e.origin.asn = Some(13335);
    }
    assert_eq!(
        run(&[a, b]).len(),
        1,
        "one device on one network, in two countries"
    );
}

#[test]
fn null_island_is_no_location() {
    // Vendors write (0, 0) for an unknown location: the sign-in is not located, not a jump to
    // the Gulf of Guinea.
    let mut zero = sign_in("a@x.com", "e2", 180, "1.129.0.2", &SYDNEY);
    zero.origin.geo = GeoPoint::new(0.0, 0.0, None);
    zero.origin.city = None;
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        zero.clone(),
    ]);
    assert!(out.is_empty(), "{out:?}");
    // Nor does it teach the address a place (a failed sign-in teaches addresses too): a later
    // IP-only record from it stays unlocated.
    let mut failed = zero.clone();
    failed.activity = Activity::SignIn(SignIn::failure(
        SignInStage::Primary,
        FailureReason::BadPassword,
    ));
    let mut later = zero;
    (later.id, later.time, later.origin.geo) = ("e3".into(), t(200), None);
    later.origin.country = None;
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        failed,
        later,
    ]);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn egress_lists_report_low_and_name_the_list() {
    // Apple iCloud Private Relay (built-in list).
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 60, "172.224.226.5", &FRANKFURT),
    ]);
    assert_eq!(out[0].severity, Severity::Low);
    assert!(
        out[0]
            .summary
            .contains("egress list \"apple-icloud-private-relay\" (private_relay)"),
        "{}",
        out[0].summary
    );
    // Starlink by ASN.
    let mut b = sign_in("a@x.com", "e2", 60, "98.97.0.1", &FRANKFURT);
    b.origin.asn = Some(14593);
    let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), b]);
    assert!(out[0].summary.contains("\"starlink\" (satellite)"));
    // A user-supplied corporate list, loaded from a file.
    let dir = std::env::temp_dir().join(format!("palisade-travel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("corp.txt");
    std::fs::write(
        &file,
        "[corp-fra]\nkind = corporate\nsource = it wiki\n79.215.3.0/24\nbogus\n",
    )
    .unwrap();
    let cfg = TravelConfig {
        egress_lists: vec![file.clone()],
        ..TravelConfig::default()
    };
    let mut d = ImpossibleTravel::new(cfg).unwrap();
    assert_eq!(d.problems().len(), 1);
    assert!(d.problems()[0]
        .to_string()
        .ends_with("corp.txt:5: not an IP address: \"bogus\""));
    let out = run_with(
        &mut d,
        &[
            sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
            sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT),
        ],
        &Context::empty(),
    );
    assert!(
        out[0].summary.contains("\"corp-fra\" (corporate)"),
        "{}",
        out[0].summary
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let missing = TravelConfig {
        egress_lists: vec!["/nonexistent/list.txt".into()],
        ..TravelConfig::default()
    };
    assert!(ImpossibleTravel::new(missing).is_err());
}

#[test]
fn hosting_lowers_background_sign_ins_but_not_interactive_ones() {
    let mut b = sign_in("a@x.com", "e2", 60, "3.91.0.10", &FRANKFURT);
    b.origin.asn = Some(16509);
    b.sign_in_kind = Some(SignInKind::Interactive);
    let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), b.clone()]);
    assert_eq!(out[0].severity, Severity::Medium);
    assert!(
        out[0].summary.contains("on hosting network list \"aws\""),
        "{}",
        out[0].summary
    );
    b.sign_in_kind = Some(SignInKind::NonInteractive);
    let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), b.clone()]);
    assert_eq!(out[0].severity, Severity::Low);
    // Service principals do not travel.
    b.sign_in_kind = Some(SignInKind::ServicePrincipal);
    assert!(run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), b]).is_empty());
}

#[test]
fn a_mobile_carrier_address_is_located_to_its_country_only() {
    // Broadband in Melbourne, then ten minutes later the phone on a carrier whose addresses
    // geolocate to its gateway in Sydney, about 710 km away.
    let home = sign_in("a@x.com", "e1", 0, "110.174.9.20", &MELBOURNE);
    let mut phone = sign_in("a@x.com", "e2", 10, "49.180.77.3", &SYDNEY);
    phone.origin.asn = Some(4804);
    phone.origin.device_id = Some("phone-1".into());
    let out = run(&[home.clone(), phone.clone()]);
    assert_eq!(out.len(), 1, "unlisted, the gateway reads as a jump");
    assert_eq!(out[0].severity, Severity::Medium);

    let mut carriers = EgressRegistry::builtin();
    carriers
        .add(EgressList::new("au-carriers", EgressKind::Mobile, "it wiki").with_asn(4804))
        .unwrap();
    let listed = || ImpossibleTravel::default().with_egress(carriers.clone());
    let mut back = home.clone();
    (back.id, back.time) = ("e3".into(), t(25));
    let out = run_with(
        &mut listed(),
        &[home.clone(), phone.clone(), back],
        &Context::empty(),
    );
    assert!(
        out.is_empty(),
        "listed, the carrier locates only AU: {out:?}"
    );

    // A phone abroad is still abroad: the carrier's address placed in Frankfurt two hours on.
    let mut abroad = sign_in("a@x.com", "e4", 130, "49.180.80.1", &FRANKFURT);
    abroad.origin.asn = Some(4804);
    let out = run_with(&mut listed(), &[home.clone(), abroad], &Context::empty());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Medium, "not lowered");
    assert!(
        out[0].summary.contains(
            "the Frankfurt, DE end is on mobile network list \"au-carriers\", located to its \
             country only (1,000 km)"
        ),
        "{}",
        out[0].summary
    );

    // Across a border the wider circle counts: Frankfurt, then ten minutes later a listed
    // carrier's address placed in Paris (about 480 km) is inside the 1,000 km circle; with a
    // 100 km radius it is a jump.
    let fra = sign_in("a@x.com", "f1", 0, "79.215.3.4", &FRANKFURT);
    let mut paris = sign_in("a@x.com", "f2", 10, "49.180.90.1", &PARIS);
    paris.origin.asn = Some(4804);
    let out = run_with(
        &mut listed(),
        &[fra.clone(), paris.clone()],
        &Context::empty(),
    );
    assert!(out.is_empty(), "{out:?}");
    let cfg = TravelConfig {
        mobile_radius_km: 100.0,
        ..TravelConfig::default()
    };
    let mut narrow = ImpossibleTravel::new(cfg)
        .unwrap()
        .with_egress(carriers.clone());
    assert_eq!(
        run_with(&mut narrow, &[fra, paris], &Context::empty()).len(),
        1
    );
    // Within the carrier's country the address says nothing of where the phone is, however
    // far its gateway: Sydney, then Perth (3,300 km) 40 minutes later on the listed carrier.
    let mut perth = sign_in("a@x.com", "p2", 40, "49.180.91.1", &PERTH);
    perth.origin.asn = Some(4804);
    let sydney = sign_in("a@x.com", "p1", 0, "1.129.0.1", &SYDNEY);
    assert!(run_with(&mut listed(), &[sydney, perth], &Context::empty()).is_empty());
    let bad = TravelConfig {
        mobile_radius_km: f64::NAN,
        ..TravelConfig::default()
    };
    assert!(ImpossibleTravel::new(bad).is_err());
}

#[test]
fn the_last_sign_in_from_an_address_decides_whether_it_was_interactive() {
    // A background client signs in from a cloud address, then the person, interactively, from
    // the same address; an hour later, a sign-in from Sydney. The move starts at an interactive
    // sign-in, so the hosting list does not lower it.
    let mut background = sign_in("a@x.com", "e1", 0, "3.91.0.10", &FRANKFURT);
    background.origin.asn = Some(16509);
    background.sign_in_kind = Some(SignInKind::NonInteractive);
    let mut person = background.clone();
    person.id = "e2".into();
    person.time = t(30);
    person.sign_in_kind = Some(SignInKind::Interactive);
    let sydney = sign_in("a@x.com", "e3", 90, "1.129.0.1", &SYDNEY);
    let out = run(&[background.clone(), person.clone(), sydney.clone()]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Medium, "{}", out[0].summary);
    assert_eq!(out[0].evidence.event_ids, ["e2", "e3"]);
    // The other way round, the move starts at a background sign-in: lowered.
    (person.time, background.time) = (t(0), t(30));
    let out = run(&[person, background, sydney]);
    assert_eq!(out[0].severity, Severity::Low, "{}", out[0].summary);
}

#[test]
fn moves_repeated_on_another_day_and_shared_moves_are_low() {
    let day = 24 * 60;
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT),
        // Back the same hour: still the same story, still medium.
        sign_in("a@x.com", "e3", 90, "1.129.0.1", &SYDNEY),
        // The same move a day later: this identity does that.
        sign_in("a@x.com", "e4", day + 30, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e5", day + 90, "79.215.3.4", &FRANKFURT),
    ]);
    let sev: Vec<Severity> = out.iter().map(|f| f.severity).collect();
    assert_eq!(sev, [Severity::Medium, Severity::Medium, Severity::Low]);
    assert!(out[2].summary.contains("on an earlier day"));

    // One attacker moving four accounts between the same places once each: every move is
    // medium; a campaign never makes itself look like a shared egress.
    let moves = |who: &str, m: i64, n: usize| {
        vec![
            sign_in(
                who,
                &format!("{who}-{m}-1"),
                m,
                &format!("1.129.0.{n}"),
                &SYDNEY,
            ),
            sign_in(
                who,
                &format!("{who}-{m}-2"),
                m + 60,
                "79.215.3.4",
                &FRANKFURT,
            ),
        ]
    };
    let campaign: Vec<Event> = ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]
        .iter()
        .enumerate()
        .flat_map(|(i, who)| moves(who, i as i64 * 200, i))
        .collect();
    let out = run(&campaign);
    assert_eq!(out.len(), 4);
    assert!(
        out.iter().all(|f| f.severity == Severity::Medium),
        "{out:?}"
    );

    // Three identities making the move as a habit (on two days each): a fourth's first such
    // move is low, three others do it.
    let mut habit = Vec::new();
    for d in 0..2 {
        for (i, who) in ["a@x.com", "b@x.com", "c@x.com"].iter().enumerate() {
            habit.extend(moves(who, d * day + i as i64 * 200, i));
        }
    }
    habit.extend(moves("d@x.com", 2 * day, 3));
    let out = run(&habit);
    let last = out.last().unwrap();
    assert_eq!(last.identity.as_ref().unwrap().as_str(), "d@x.com");
    assert_eq!(last.severity, Severity::Low, "{}", last.summary);
    assert!(
        last.summary.contains("3 other identities of the tenant"),
        "{}",
        last.summary
    );

    // The habit is a route, not a pair of cities: the same people through a VPN that exits in
    // Frankfurt (AS9009) make it familiar; an intruder on a Frankfurt ISP (AS3320) between the
    // same cities inherits nothing, for their victims or for the habitual identities themselves.
    let via = |mut e: Event, asn: u32, ip: Option<&str>| {
        e.origin.asn = Some(asn);
        if let Some(ip) = ip {
            e.origin.ip = ip.parse().ok();
        }
        e
    };
    let route = |who: &str, m: i64, n: usize, away_asn: u32, away_ip: Option<&str>| {
        let mut pair = moves(who, m, n).into_iter();
        let home = via(pair.next().unwrap(), 1221, None);
        let away = via(pair.next().unwrap(), away_asn, away_ip);
        [home, away]
    };
    let mut routes = Vec::new();
    for d in 0..2 {
        for (i, who) in ["a@x.com", "b@x.com", "c@x.com"].iter().enumerate() {
            routes.extend(route(who, d * day + i as i64 * 200, i, 9009, None));
        }
    }
    routes.extend(route("d@x.com", 2 * day, 3, 3320, Some("79.200.1.1")));
    routes.extend(route("a@x.com", 2 * day + 300, 0, 3320, Some("79.200.1.2")));
    let out = run(&routes);
    let intruders: Vec<&Finding> = out.iter().rev().take(2).collect();
    for f in intruders {
        assert!(f.evidence.event_ids.iter().any(|id| id.ends_with("-2")));
        assert_eq!(f.severity, Severity::Medium, "{}", f.summary);
    }
}

struct Profile {
    asns: &'static [u32],
    countries: &'static [&'static str],
    devices: &'static [&'static str],
}
impl ProfileView for Profile {
    fn sign_ins(&self) -> u64 {
        200
    }
    fn days(&self) -> u32 {
        60
    }
    fn trusted(&self) -> bool {
        true
    }
    fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity> {
        let known = match dim {
            Dimension::Asn => self.asns.iter().any(|a| a.to_string() == value),
            Dimension::Country => self.countries.contains(&value),
            Dimension::Device => self.devices.contains(&value),
            _ => false,
        };
        known.then(|| Familiarity {
            weight: 40.0,
            share: 0.5,
            first_seen: t(-1000),
            last_seen: t(-10),
        })
    }
    fn top_values(&self, _dim: Dimension) -> Vec<(String, f64)> {
        Vec::new()
    }
}

const SINGAPORE: At = At {
    lat: 1.3521,
    lon: 103.8198,
    acc: 20.0,
    city: "Singapore",
    cc: "SG",
};
const LOS_ANGELES: At = At {
    lat: 34.0522,
    lon: -118.2437,
    acc: 20.0,
    city: "Los Angeles",
    cc: "US",
};

#[test]
fn a_vpn_in_between_hides_no_move_from_where_the_person_was() {
    // Home in Sydney; an hour later through the security gateway's Singapore exit; two hours
    // after that a home ISP in Los Angeles. The gateway says nothing of where the person was:
    // the last move is judged from Sydney, three hours for 12,000 km.
    let mut gateways = EgressRegistry::builtin();
    gateways
        .add(
            EgressList::new("sase", EgressKind::Sase, "it wiki")
                .with_cidr("203.0.113.0/24".parse().unwrap()),
        )
        .unwrap();
    let detector = || ImpossibleTravel::default().with_egress(gateways.clone());
    let home = sign_in("a@x.com", "e1", 0, "110.174.9.20", &SYDNEY);
    let gateway = sign_in("a@x.com", "e2", 60, "203.0.113.7", &SINGAPORE);
    let la = sign_in("a@x.com", "e3", 180, "76.32.1.9", &LOS_ANGELES);
    let events = [home.clone(), gateway.clone(), la];
    let out = run_with(&mut detector(), &events, &Context::empty());
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        out[0].severity,
        Severity::Low,
        "into the gateway: {}",
        out[0].summary
    );
    let f = &out[1];
    assert_eq!(f.severity, Severity::Medium, "{}", f.summary);
    assert!(
        f.summary.starts_with("Sydney, AU → Los Angeles, US: 12,"),
        "{}",
        f.summary
    );
    assert!(
        f.summary.contains(
            "between them, a sign-in from Singapore, SG came through list \"sase\", whose \
             address does not say where the person was"
        ),
        "{}",
        f.summary
    );
    assert!(!f.summary.contains("reported low"), "{}", f.summary);
    assert_eq!(f.evidence.event_ids, ["e1", "e2", "e3"]);
    assert_eq!(f.first_seen, home.time);

    // Cut anywhere, a snapshot keeps where the person was.
    for cut in 1..events.len() {
        let mut first = detector();
        let mut said = run_with(&mut first, &events[..cut], &Context::empty());
        let mut second = detector();
        second.restore(&first.snapshot().unwrap()).unwrap();
        said.extend(run_with(&mut second, &events[cut..], &Context::empty()));
        assert_eq!(said, out, "cut at {cut}");
    }

    // Back home an hour after the gateway: impossible only from the gateway's exit, so low.
    let back = sign_in("a@x.com", "e3", 120, "110.174.9.99", &SYDNEY);
    let out = run_with(
        &mut detector(),
        &[home.clone(), gateway.clone(), back],
        &Context::empty(),
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[1].severity, Severity::Low);
    assert!(
        out[1].summary.starts_with("Singapore, SG → Sydney, AU"),
        "{}",
        out[1].summary
    );
    assert!(
        out[1].summary.contains("egress list \"sase\" (sase)"),
        "{}",
        out[1].summary
    );

    // A rented server (Vultr, built-in hosting list) three hours after Sydney: its list lowers
    // nothing for an interactive sign-in, so it too is judged from Sydney.
    let mut server = sign_in("a@x.com", "e3", 180, "45.32.1.9", &LOS_ANGELES);
    server.origin.asn = Some(20473);
    let out = run_with(&mut detector(), &[home, gateway, server], &Context::empty());
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[1].severity, Severity::Medium, "{}", out[1].summary);
    assert!(
        out[1].summary.starts_with("Sydney, AU → Los Angeles, US"),
        "{}",
        out[1].summary
    );
    assert!(
        out[1].summary.contains("hosting network list \"vultr\""),
        "{}",
        out[1].summary
    );
}

#[test]
fn a_roaming_phone_then_a_known_laptop_is_low() {
    // Home in Singapore on the laptop; nine hours later, landed in Sydney, the phone roams and
    // its carrier routes it home (the address says Singapore); five and a half hours on, the
    // laptop at a Sydney hotel. From the carrier's address that is 960 km/h; from home,
    // fourteen and a half hours before, a flight.
    let mut carriers = EgressRegistry::builtin();
    carriers
        .add(EgressList::new("sg-carriers", EgressKind::Mobile, "it wiki").with_asn(4773))
        .unwrap();
    let mut home = sign_in("a@x.com", "e1", 0, "116.86.4.20", &SINGAPORE);
    home.origin.device_id = Some("laptop-1".into());
    let mut phone = sign_in("a@x.com", "e2", 9 * 60, "111.65.189.228", &SINGAPORE);
    phone.origin.asn = Some(4773);
    phone.origin.device_id = Some("phone-1".into());
    let mut hotel = sign_in("a@x.com", "e3", 14 * 60 + 30, "124.170.220.181", &SYDNEY);
    hotel.origin.device_id = Some("laptop-1".into());
    let profile = Profile {
        asns: &[],
        countries: &["SG"],
        devices: &["laptop-1", "phone-1"],
    };
    let ctx = Context {
        profile: Some(&profile),
        ..Context::empty()
    };
    let listed = || ImpossibleTravel::default().with_egress(carriers.clone());
    let out = run_with(
        &mut listed(),
        &[home.clone(), phone.clone(), hotel.clone()],
        &ctx,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::Low, "{}", out[0].summary);
    assert!(
        out[0].summary.contains(
            "reported low: the sign-in in hand is from a client this identity uses, and \
             possible from Singapore, SG, its last sign-in from an address that locates the \
             person (a roaming phone's carrier address is at home)"
        ),
        "{}",
        out[0].summary
    );
    // A client the identity never used is judged as any move: a new country, high.
    let mut stranger = hotel.clone();
    stranger.origin.device_id = Some("attacker-box".into());
    let out = run_with(
        &mut listed(),
        &[home.clone(), phone.clone(), stranger],
        &ctx,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::High, "{}", out[0].summary);
    // And so is the known laptop when even home is too far: Los Angeles two hours on.
    let mut la = sign_in("a@x.com", "e3", 11 * 60, "76.32.1.9", &LOS_ANGELES);
    la.origin.device_id = Some("laptop-1".into());
    let out = run_with(&mut listed(), &[home, phone, la], &ctx);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::High, "{}", out[0].summary);
    assert!(
        out[0]
            .summary
            .starts_with("Singapore, SG → Los Angeles, US"),
        "{}",
        out[0].summary
    );

    // The other way round: the laptop at the Sydney hotel, then minutes later the phone, whose
    // carrier routes it home to Singapore. The phone is the identity's: low. A phone it never
    // used is judged as any move.
    let mut laptop = sign_in("a@x.com", "e1", 0, "124.170.220.181", &SYDNEY);
    laptop.origin.device_id = Some("laptop-1".into());
    let mut roaming = sign_in("a@x.com", "e2", 3, "111.65.189.228", &SINGAPORE);
    roaming.origin.asn = Some(4773);
    roaming.origin.device_id = Some("phone-1".into());
    let out = run_with(&mut listed(), &[laptop.clone(), roaming.clone()], &ctx);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::Low, "{}", out[0].summary);
    assert!(
        out[0].summary.contains(
            "reported low: the Singapore, SG end is a phone this identity uses, on a mobile \
             network list (a roaming phone's carrier address is at home)"
        ),
        "{}",
        out[0].summary
    );
    roaming.origin.device_id = Some("another-phone".into());
    let out = run_with(&mut listed(), &[laptop, roaming], &ctx);
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].severity >= Severity::Medium, "{}", out[0].summary);
}

const JOHANNESBURG: At = At {
    lat: -26.2041,
    lon: 28.0473,
    acc: 20.0,
    city: "Johannesburg",
    cc: "ZA",
};

/// An intruder on a rented server in Johannesburg (Vultr, on the built-in hosting list) comes
/// back to the account every day while its owner keeps working in Sydney. After a day the
/// profile holds the intruder's network as usual (it learns every sign-in); the network of the
/// high finding stays unusual for `alert_memory_hours`. From a home ISP the same moves are a
/// traveller's as much as an intruder's, and settle as before.
#[test]
fn an_intruders_network_does_not_become_usual_by_coming_back() {
    let home = |id: &str, mins: i64| {
        let mut e = sign_in("a@x.com", id, mins, "1.129.0.1", &SYDNEY);
        e.origin.asn = Some(1221);
        e
    };
    let away = |id: &str, mins: i64, (ip, asn): (&str, u32)| {
        let mut e = sign_in("a@x.com", id, mins, ip, &JOHANNESBURG);
        e.origin.asn = Some(asn);
        e
    };
    let vultr = ("45.32.1.9", 20473);
    static FIRST: Profile = Profile {
        asns: &[1221],
        countries: &["AU"],
        devices: &[],
    };
    // What the profile says a day later: both networks and countries usual.
    static LEARNED: Profile = Profile {
        asns: &[1221, 20473, 3741],
        countries: &["AU", "ZA"],
        devices: &[],
    };
    let run = |config: TravelConfig, network: (&str, u32)| {
        let mut d = ImpossibleTravel::new(config).unwrap();
        let mut out = Vec::new();
        let with = |p: &'static Profile| Context {
            profile: Some(p),
            ..Context::empty()
        };
        d.observe(&home("h0", 0), &with(&FIRST), &mut out);
        d.observe(&away("x0", 30, network), &with(&FIRST), &mut out);
        // The rest in a detector restored from a snapshot: the alert survives it.
        let bytes = d.snapshot().unwrap();
        let mut d = ImpossibleTravel::new(d.config().clone()).unwrap();
        d.restore(&bytes).unwrap();
        for k in 1..4 {
            let day = k * 24 * 60;
            d.advance(t(day), &mut out);
            d.observe(&home(&format!("h{k}"), day), &with(&LEARNED), &mut out);
            d.observe(
                &away(&format!("x{k}"), day + 45, network),
                &with(&LEARNED),
                &mut out,
            );
        }
        out
    };
    let said = run(TravelConfig::default(), vultr);
    // Each day's first move, home to Johannesburg (home the next day is a day's flight on).
    assert_eq!(said.len(), 4, "{said:?}");
    assert_eq!(said[0].severity, Severity::High, "{}", said[0].summary);
    for f in &said[1..] {
        assert_eq!(f.severity, Severity::Medium, "{}", f.summary);
        assert!(!f.summary.contains("reported low"), "{}", f.summary);
    }
    assert!(
        said[1].summary.contains(
            "; AS20473 is the network of a high alert on this identity 24 h 15 min earlier)"
        ),
        "{}",
        said[1].summary
    );
    // Without the memory the intruder's comings and goings read as a habit.
    let plain = run(
        TravelConfig {
            alert_memory_hours: 0,
            ..TravelConfig::default()
        },
        vultr,
    );
    assert!(
        plain[1..].iter().all(|f| f.severity == Severity::Low),
        "{plain:?}"
    );
    let home_isp = run(TravelConfig::default(), ("105.224.1.9", 3741));
    assert_eq!(home_isp[0].severity, Severity::High);
    assert!(
        home_isp[1..].iter().all(|f| f.severity == Severity::Low),
        "{home_isp:?}"
    );
}

#[test]
fn the_profile_raises_new_countries_and_lowers_usual_networks() {
    let mut a = sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY);
    let mut b = sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT);
    a.origin.asn = Some(1221);
    b.origin.asn = Some(3320);
    let au_only = Profile {
        asns: &[1221],
        countries: &["AU"],
        devices: &[],
    };
    let ctx = Context {
        profile: Some(&au_only),
        ..Context::empty()
    };
    let out = run_with(
        &mut ImpossibleTravel::default(),
        &[a.clone(), b.clone()],
        &ctx,
    );
    assert_eq!(out[0].severity, Severity::High);
    assert_eq!(out[0].baseline.unwrap().sign_ins, 200);
    let both = Profile {
        asns: &[1221, 3320],
        countries: &["AU", "DE"],
        devices: &[],
    };
    let ctx = Context {
        profile: Some(&both),
        ..Context::empty()
    };
    let out = run_with(&mut ImpossibleTravel::default(), &[a, b], &ctx);
    assert_eq!(out[0].severity, Severity::Low);
    assert!(out[0]
        .summary
        .contains("both networks are usual for this identity"));
}

#[test]
fn ip_only_events_resolve_through_learned_addresses_and_mmdb() {
    // A failed Okta sign-in with coordinates teaches where 79.215.3.4 is; the M365 record that
    // follows has only the address.
    let mut taught = sign_in("someone@x.com", "f1", 50, "79.215.3.4", &FRANKFURT);
    taught.activity = Activity::SignIn(SignIn::failure(
        SignInStage::Primary,
        FailureReason::BadPassword,
    ));
    let m365 = Event::new(
        t(70),
        "m1",
        Source::M365,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    )
    .with_actor(Identity::new("a@x.com"))
    .with_origin(Origin {
        ip: Some("79.215.3.4".parse().unwrap()),
        ..Origin::default()
    });
    let out = run(&[
        sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY),
        taught,
        m365.clone(),
    ]);
    assert_eq!(out.len(), 1);
    assert!(
        out[0].summary.starts_with("Sydney, AU → Frankfurt, DE"),
        "{}",
        out[0].summary
    );

    // An mmdb database (built in the test) locates addresses nobody taught.
    let mut db = MmdbResolver::new();
    db.add_bytes(mmdb_writer::test_city_db(), "city").unwrap();
    db.add_bytes(mmdb_writer::test_asn_db(), "asn").unwrap();
    let mut d = ImpossibleTravel::default().with_database(Arc::new(db));
    let bare = |id: &str, mins: i64, ip: &str| {
        Event::new(t(mins), id, Source::M365, Activity::SessionStart)
            .with_actor(Identity::new("b@x.com"))
            .with_origin(Origin {
                ip: Some(ip.parse().unwrap()),
                ..Origin::default()
            })
    };
    let out = run_with(
        &mut d,
        &[
            bare("x1", 0, "81.2.69.142"),
            bare("x2", 120, "2001:db8:100::7"),
        ],
        &Context::empty(),
    );
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .summary
            .starts_with("London, GB → Sydney, AU: 17,000 km in 2 h 00 min"),
        "{}",
        out[0].summary
    );
    assert_eq!(out[0].entities.asns, [7545, 20712]);
}

#[test]
fn an_address_in_daily_use_stays_learned() {
    // Someone signs in from the Frankfurt office every day for two weeks, always from the same
    // address as their last sign-in. The address is in use the whole time, so an IP-only
    // record from it two weeks on is still located, past the 7 days a learned address lasts
    // unseen.
    let office = "79.215.3.4";
    let mut events: Vec<Event> = (0..14)
        .map(|day| {
            sign_in(
                "de@x.com",
                &format!("d{day}"),
                day * 1440,
                office,
                &FRANKFURT,
            )
        })
        .collect();
    events.push(sign_in("a@x.com", "e1", 14 * 1440, "1.129.0.1", &SYDNEY));
    events.push(
        Event::new(
            t(14 * 1440 + 120),
            "m1",
            Source::M365,
            Activity::SignIn(SignIn::success(SignInStage::Primary)),
        )
        .with_actor(Identity::new("a@x.com"))
        .with_origin(Origin {
            ip: Some(office.parse().unwrap()),
            ..Origin::default()
        }),
    );
    let out = run(&events);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert!(
        out[0].summary.starts_with("Sydney, AU → Frankfurt, DE"),
        "{}",
        out[0].summary
    );
}

#[test]
fn out_of_range_coordinates_never_panic_or_mislead() {
    let mut bad = sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT);
    bad.origin.geo = Some(GeoPoint {
        lat: 500.0,
        lon: f64::NAN,
        accuracy_km: Some(-3.0),
    });
    let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &SYDNEY), bad]);
    assert!(out.is_empty());
}

#[test]
fn the_same_address_reported_late_is_never_travel() {
    // The address geolocates differently in the two records; reported in time order the
    // same-address rule keeps it quiet, and so it must when the older one arrives late.
    let sydney = sign_in("a@x.com", "e1", 0, "79.215.3.4", &SYDNEY);
    let frankfurt = sign_in("a@x.com", "e2", 60, "79.215.3.4", &FRANKFURT);
    assert!(run(&[sydney.clone(), frankfurt.clone()]).is_empty());
    let mut d = ImpossibleTravel::default();
    let mut out = Vec::new();
    d.observe(&frankfurt, &Context::empty(), &mut out);
    d.observe(&sydney, &Context::empty(), &mut out);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_sign_in_reported_late_is_judged_against_the_newer_one() {
    // The Frankfurt sign-in happened an hour before the Sydney one, but its log lagged.
    let out = run(&[
        sign_in("a@x.com", "e1", 60, "1.129.0.1", &SYDNEY),
        sign_in("a@x.com", "e0", 0, "79.215.3.4", &FRANKFURT),
        // The newer sign-in stays on record: Sydney again is no move, and a plausible late
        // one (Canberra, five hours earlier) is not flagged.
        sign_in("a@x.com", "e2", 90, "1.129.0.2", &SYDNEY),
        sign_in("a@x.com", "e3", -240, "1.129.0.9", &CANBERRA),
    ]);
    assert_eq!(out.len(), 1, "{out:?}");
    let f = &out[0];
    assert_eq!(f.severity, Severity::Medium);
    // In time order, whatever the order of arrival.
    assert_eq!(f.evidence.event_ids, ["e0", "e1"]);
    assert_eq!((f.first_seen, f.last_seen), (t(0), t(60)));
    assert!(
        f.summary
            .starts_with("Frankfurt, DE → Sydney, AU: 16,500 km in 1 h"),
        "{}",
        f.summary
    );
    assert!(
        f.summary
            .contains("the Frankfurt, DE sign-in was reported after the later one"),
        "{}",
        f.summary
    );
    // The same finding as when the logs arrive in order, but for that note.
    let in_order = run(&[
        sign_in("a@x.com", "e0", 0, "79.215.3.4", &FRANKFURT),
        sign_in("a@x.com", "e1", 60, "1.129.0.1", &SYDNEY),
    ]);
    assert_eq!(in_order.len(), 1);
    assert_eq!(in_order[0].id, f.id);
    assert_eq!(in_order[0].evidence.event_ids, f.evidence.event_ids);
    assert_eq!(
        f.summary.replace(
            " (the Frankfurt, DE sign-in was reported after the later one)",
            ""
        ),
        in_order[0].summary
    );
}

#[test]
fn state_is_bounded_swept_forgotten_and_restorable() {
    let mut d = ImpossibleTravel::default();
    let mut out = Vec::new();
    for i in 0..5_000 {
        let e = sign_in(
            &format!("u{i}@x.com"),
            &format!("e{i}"),
            0,
            "1.129.0.1",
            &SYDNEY,
        );
        d.observe(&e, &Context::empty(), &mut out);
    }
    assert_eq!(d.tracked_identities(), 5_000);
    let bytes = d.state_bytes();
    assert!(bytes > 5_000 * 100 && bytes < 5_000 * 1_000, "{bytes}");
    d.forget(&IdentityKey::new("u0@x.com"));
    assert_eq!(d.tracked_identities(), 4_999);

    let snap = d.snapshot().unwrap();
    let mut e = ImpossibleTravel::default();
    e.restore(&snap).unwrap();
    assert_eq!(e.snapshot().unwrap(), snap);
    assert!(e.restore(b"{not json").is_err());
    let mut wrong = String::from_utf8(snap.clone()).unwrap();
    wrong = wrong.replacen("\"version\":1", "\"version\":9", 1);
    assert!(matches!(
        e.restore(wrong.as_bytes()),
        Err(palisade_core::Error::SnapshotVersion { found: 9, .. })
    ));

    // Two days on, nobody's last sign-in can be part of an impossible move any more.
    d.advance(t(2 * 24 * 60), &mut out);
    assert_eq!(d.tracked_identities(), 0);
    assert!(out.is_empty());
}

/// Seconds an elapsed time in a summary's words stands for ("45 s", "5 min 56 s", "2 h 05 min").
fn words_to_secs(words: &str) -> f64 {
    let mut secs = 0.0;
    let mut n = 0.0;
    for w in words.split_whitespace() {
        match w {
            "h" => secs += n * 3600.0,
            "min" => secs += n * 60.0,
            "s" => secs += n,
            _ => n = w.parse().unwrap(),
        }
    }
    secs
}

fn plain(n: &str) -> f64 {
    n.replace(',', "").parse().unwrap()
}

#[test]
fn a_summarys_distance_time_and_speed_add_up() {
    // Coarse locations (wide radii) and short or odd elapsed times are where a summary could
    // write one distance and time and compute its speed from others.
    // About 1,050 km west of Sydney, where rounding to the nearest 100 km was 5% off.
    const INLAND: At = At {
        lat: -33.8688,
        lon: 139.85,
        acc: 20.0,
        city: "Inland",
        cc: "AU",
    };
    let mut checked = 0;
    for (acc, to) in [20.0, 400.0, 1_000.0]
        .into_iter()
        .flat_map(|acc| [(acc, FRANKFURT), (acc, INLAND)])
    {
        for secs in [0, 20, 356, 629, 2_678, 7_471] {
            let at = |p: &At| At { acc, ..*p };
            let mut b = sign_in("a@x.com", "e2", 0, "79.215.3.4", &at(&to));
            b.time = t(0) + Duration::from_secs(secs);
            let out = run(&[sign_in("a@x.com", "e1", 0, "1.129.0.1", &at(&SYDNEY)), b]);
            if out.is_empty() {
                // Too near for its radii, or possible in the time: nothing to add up.
                continue;
            }
            checked += 1;
            let s = &out[0].summary;
            let (_, rest) = s.split_once(": ").unwrap();
            let (distance, rest) = rest.split_once(" km").unwrap();
            let (distance, rest) = match rest.strip_prefix(" (at least ") {
                Some(r) => r.split_once(" km allowing for location accuracy)").unwrap(),
                None => (distance, rest),
            };
            let (time, speed) = rest
                .strip_prefix(" in ")
                .unwrap()
                .split_once(" = ")
                .unwrap();
            let time = match time.split_once(" (timed as ") {
                Some((_, timed)) => timed.trim_end_matches(')'),
                None => time,
            };
            let speed = plain(speed.trim_end_matches(" km/h"));
            let worked_out = plain(distance) / (words_to_secs(time) / 3600.0);
            // Rounding: distances and speeds to three figures, radii under 1% of the
            // distance unsaid, times from an hour up to the nearest minute.
            assert!(
                (worked_out - speed).abs() <= 0.025 * speed,
                "{s}: words give {worked_out:.0} km/h"
            );
        }
    }
    // Every move to Frankfurt is flagged, and the nearer place's at its finest radii.
    assert!(checked >= 20, "only {checked} summaries checked");
}
