//! Ordinary life: working-hours sign-ins in each person's own time zone, and the archetypes'
//! habits (trips, VPN egress, carrier switching, laptop refresh, missed pushes, inbox rules).

use palisade_schema::{
    Duration, FailureReason, FileAccessKind, MailboxRule, Origin, PromptResult, RuleAction,
    RuleChange, RuleConditions, Timestamp,
};

use super::flows::{Flow, APPS, FILES};
use super::people::{near, network_origin, Device, Person};
use super::places::{door_to_door_hours, Isp, CITIES, DESTINATIONS};
use super::{Archetype, Gen};
use crate::rng::Rng;

/// A business trip by plane.
struct Trip {
    dest: usize,
    depart: Timestamp,
    arrive: Timestamp,
    depart_back: Timestamp,
    arrive_back: Timestamp,
    hotel_isp: Isp,
    hotel_third: u8,
    hotel_geo: Option<palisade_schema::GeoPoint>,
}

/// Where a person is at a moment.
#[derive(Clone, Copy, PartialEq)]
enum Whereabouts {
    Home,
    /// At the airport, in the air or in a taxi: no sign-ins.
    Transit,
    Away(usize),
}

/// Where a flow comes from.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Office,
    Home,
    Carrier,
    Egress,
    Hotel(usize),
}

fn whereabouts(trips: &[Trip], t: Timestamp) -> Whereabouts {
    let before = Duration::from_mins(90);
    let after = Duration::from_mins(60);
    for (i, trip) in trips.iter().enumerate() {
        if (t >= trip.depart - before && t < trip.arrive + after)
            || (t >= trip.depart_back - before && t < trip.arrive_back + after)
        {
            return Whereabouts::Transit;
        }
        if t >= trip.arrive + after && t < trip.depart_back - before {
            return Whereabouts::Away(i);
        }
    }
    Whereabouts::Home
}

fn plan_trips(gen: &Gen<'_>, p: &Person, rng: &mut Rng) -> Vec<Trip> {
    let days = i64::from(gen.cfg.days);
    let home = p.city();
    let mut trips = Vec::new();
    let mut cursor = 2;
    for _ in 0..2 {
        let depart_day = cursor + rng.range_i64(0, 4);
        let len = rng.range_i64(3, 7);
        if depart_day + len + 2 >= days {
            break;
        }
        let choices: Vec<usize> = DESTINATIONS
            .iter()
            .map(|d| super::places::city(d))
            .filter(|&c| CITIES[c].country != home.country)
            .collect();
        let Some(&dest) = rng.choose(&choices) else {
            break;
        };
        let dc = &CITIES[dest];
        let hours = door_to_door_hours(home, dc);
        let trip_ms = (hours * 3_600_000.0) as i64;
        let depart = gen.local(depart_day, 8.0 + rng.f64() * 11.0, home.utc_offset_min);
        let arrive = depart + Duration::from_millis(trip_ms);
        let mut depart_back =
            gen.local(depart_day + len, 9.0 + rng.f64() * 10.0, dc.utc_offset_min);
        if depart_back < arrive + Duration::from_hours(36) {
            depart_back = arrive + Duration::from_hours(36);
        }
        let arrive_back = depart_back + Duration::from_millis(trip_ms);
        let hotel_isp = dc.broadband[rng.below(dc.broadband.len())];
        trips.push(Trip {
            dest,
            depart,
            arrive,
            depart_back,
            arrive_back,
            hotel_isp,
            hotel_third: rng.range(0, 256) as u8,
            hotel_geo: near(rng, dc, 0.1, hotel_isp.accuracy_km),
        });
        cursor = (arrive_back.as_millis() - gen.day0).div_euclid(86_400_000) + 4;
    }
    trips
}

/// Generates one person's ordinary life over the whole period.
pub(crate) fn live(gen: &mut Gen<'_>, p: &Person, people: &[Person], rng: &mut Rng) {
    let days = i64::from(gen.cfg.days.max(1));
    let trips = if p.archetype == Archetype::Traveller {
        plan_trips(gen, p, rng)
    } else {
        Vec::new()
    };
    let (start, end) = (gen.start(), gen.end());
    let mut flows: Vec<(Timestamp, Place, bool)> = Vec::new();

    for day in 0..days {
        // Which time zone the day is lived in: wherever the person is at local noon.
        let home_noon = gen.local(day, 12.0, p.city().utc_offset_min);
        let (offset, away) = match whereabouts(&trips, home_noon) {
            Whereabouts::Away(i) => (CITIES[trips[i].dest].utc_offset_min, Some(i)),
            _ => (p.city().utc_offset_min, None),
        };
        let weekend = gen.weekday(day) >= 5;
        let mut times: Vec<(f64, bool)> = Vec::new(); // (local hour, at home in the evening)
        if weekend {
            if rng.chance(0.15) {
                times.push((10.0 + rng.f64() * 11.0, true));
            }
        } else {
            times.push((rng.normal(8.75, 0.45).clamp(7.0, 10.5), false));
            if rng.chance(0.45) {
                times.push((12.5 + rng.f64() * 2.0, false));
            }
            if rng.chance(0.25) {
                times.push((15.0 + rng.f64() * 2.5, false));
            }
            if rng.chance(0.2) {
                times.push((19.0 + rng.f64() * 3.5, true));
            }
        }
        let wfh = rng.chance(0.25);
        for (hour, evening) in times {
            let at = gen.local(day, hour, offset);
            let place = match (away, whereabouts(&trips, at)) {
                (_, Whereabouts::Transit) => continue,
                (_, Whereabouts::Away(i)) => Place::Hotel(i),
                (Some(_), Whereabouts::Home) => continue,
                (None, Whereabouts::Home) if evening || wfh => Place::Home,
                (None, Whereabouts::Home) => Place::Office,
            };
            flows.push((at, place, false));
        }
    }
    // Travel days: a sign-in before leaving for the airport and one soon after landing.
    for (i, trip) in trips.iter().enumerate() {
        let h = |rng: &mut Rng, lo: f64, hi: f64| {
            Duration::from_millis(((lo + rng.f64() * (hi - lo)) * 3_600_000.0) as i64)
        };
        flows.push((trip.depart - h(rng, 2.5, 5.0), Place::Home, false));
        flows.push((trip.arrive + h(rng, 1.5, 3.0), Place::Hotel(i), true));
        flows.push((trip.depart_back - h(rng, 2.5, 5.0), Place::Hotel(i), false));
        flows.push((trip.arrive_back + h(rng, 1.5, 3.0), Place::Home, false));
    }
    flows.sort_by_key(|f| f.0);

    let refresh_day = p.new_laptop.as_ref().map(|(d, _)| *d);
    let mut refreshed_seen = false;
    for (at, place, force) in flows {
        if at < start || at > end - Duration::from_hours(2) {
            continue;
        }
        let day = (at.as_millis() - gen.day0).div_euclid(86_400_000);
        let mut place = place;
        let mut force_mfa = force;
        if refresh_day.is_some_and(|d| day >= d) && !refreshed_seen {
            refreshed_seen = true;
            force_mfa = true;
        }
        // Archetype habits that change where a flow comes from.
        match p.archetype {
            Archetype::VpnUser
                if matches!(place, Place::Office | Place::Home) && rng.chance(0.75) =>
            {
                place = Place::Egress;
            }
            Archetype::MobileUser
                if matches!(place, Place::Office | Place::Home) && rng.chance(0.45) =>
            {
                place = Place::Carrier;
            }
            _ => {}
        }
        let laptop = p.laptop_on(day).clone();
        let device = if place == Place::Carrier {
            p.phone.clone()
        } else {
            laptop
        };
        let t_end = flow(gen, p, rng, at, place, &trips, &device, force_mfa);
        if p.archetype == Archetype::MobileUser && place != Place::Carrier && rng.chance(0.3) {
            // A hop to the phone on the carrier, minutes later (its address may locate to the
            // carrier's gateway city).
            let later = t_end + Duration::from_mins(5 + rng.range_i64(0, 36));
            let phone = p.phone.clone();
            flow(gen, p, rng, later, Place::Carrier, &trips, &phone, false);
        }
    }

    // VPN users keep mail rules too, made through the egress minutes after signing in there: a
    // move between home and the egress is reported low, and must not make an ordinary rule
    // look like an intruder's.
    if p.archetype == Archetype::InboxRules
        || (p.archetype == Archetype::VpnUser && rng.chance(0.5))
    {
        inbox_rules(gen, p, people, rng);
    }
}

/// One ordinary sign-in flow; returns the time of its last event.
#[allow(clippy::too_many_arguments)]
fn flow(
    gen: &mut Gen<'_>,
    p: &Person,
    rng: &mut Rng,
    at: Timestamp,
    place: Place,
    trips: &[Trip],
    device: &Device,
    force_mfa: bool,
) -> Timestamp {
    let session = gen.session();
    let origin: Origin = match place {
        Place::Office => p.office_origin(rng, device, session),
        Place::Home => p.home_origin(device, session),
        Place::Carrier => p.carrier_origin(rng, device, session),
        Place::Egress => {
            let home = p.home_origin(device, session.clone());
            p.egress_origin(device, session).unwrap_or(home)
        }
        Place::Hotel(i) => {
            let t = &trips[i];
            let c = &CITIES[t.dest];
            let ip = super::people::v4(t.hotel_isp.v4, t.hotel_third, 20 + rng.range(0, 200) as u8);
            network_origin(c, &t.hotel_isp, ip, t.hotel_geo, device, session)
        }
    };
    let app = APPS[rng.below(APPS.len())];
    let end = gen.end();
    let mut f = Flow::new(gen, &p.identity, origin, at).app(app);
    if rng.chance(0.02) {
        // A mistyped password, corrected a little later.
        f.primary(Some(FailureReason::BadPassword));
        f.wait(20 + rng.range_i64(0, 70));
    }
    f.primary(None);
    if p.push {
        if force_mfa || rng.chance(0.35) {
            f.wait(2 + rng.range_i64(0, 10));
            if p.archetype == Archetype::MissedPush && rng.chance(0.35) {
                for _ in 0..1 + rng.below(2) {
                    f.push(PromptResult::TimedOut, 60, &p.authenticator);
                    f.wait(30 + rng.range_i64(0, 150));
                }
            }
            f.push(
                PromptResult::Approved,
                5 + rng.range_i64(0, 35),
                &p.authenticator,
            );
        }
    } else if force_mfa || rng.chance(0.3) {
        f.wait(15 + rng.range_i64(0, 30));
        f.totp();
    }
    f.wait(1).session_start();
    if rng.chance(0.5) {
        f.open_apps(rng);
    }
    if rng.chance(0.25) {
        f.wait(120 + rng.range_i64(0, 2900));
        if f.t < end {
            let file = FILES[rng.below(FILES.len())];
            f.file(FileAccessKind::Accessed, file);
        }
    }
    f.t
}

/// Two or three ordinary rules on working days: a newsletter folder, ticket mail marked read and
/// filed, and an internal forward to an assistant. A VPN user signs in through the egress first.
fn inbox_rules(gen: &mut Gen<'_>, p: &Person, people: &[Person], rng: &mut Rng) {
    let days = i64::from(gen.cfg.days.max(1));
    let domain = gen.cfg.domain.clone();
    let assistant = people
        .iter()
        .filter(|o| o.index != p.index && o.home == p.home)
        .map(|o| o.identity.key.as_str().to_owned())
        .next()
        .unwrap_or_else(|| format!("assistant@{domain}"));
    let newsletter = [
        "news@e.economist.com",
        "newsletter@smh.com.au",
        "digest@medium.com",
    ][rng.below(3)]
    .to_owned();
    let rules = vec![
        MailboxRule {
            change: RuleChange::Create,
            mailbox: None,
            name: Some("Newsletters".into()),
            conditions: RuleConditions {
                from: vec![newsletter],
                ..RuleConditions::default()
            },
            actions: vec![RuleAction::MoveToFolder("Newsletters".into())],
        },
        MailboxRule {
            change: RuleChange::Create,
            mailbox: None,
            name: Some("Service desk tickets".into()),
            conditions: RuleConditions {
                from: vec![format!("servicedesk@{domain}")],
                ..RuleConditions::default()
            },
            actions: vec![
                RuleAction::MarkAsRead,
                RuleAction::MoveToFolder("Tickets".into()),
            ],
        },
        MailboxRule {
            change: RuleChange::Create,
            mailbox: None,
            name: Some("Meeting requests to assistant".into()),
            conditions: RuleConditions {
                subject_contains: vec!["meeting".into(), "calendar".into()],
                ..RuleConditions::default()
            },
            actions: vec![RuleAction::ForwardTo(assistant)],
        },
    ];
    let count = 2 + rng.below(2);
    for (n, rule) in rules.into_iter().take(count).enumerate() {
        // Spread over the period, on a working day, in office hours.
        let mut day = (days * (n as i64 + 1)) / (count as i64 + 1);
        while gen.weekday(day) >= 5 && day + 1 < days {
            day += 1;
        }
        let at = gen.local(day, 10.0 + rng.f64() * 6.0, p.city().utc_offset_min);
        let device = p.laptop_on(day).clone();
        let origin = if p.archetype == Archetype::VpnUser {
            let before = at - Duration::from_mins(5 + rng.range_i64(0, 25));
            flow(gen, p, rng, before, Place::Egress, &[], &device, false);
            let session = gen.session();
            let home = p.home_origin(&device, session.clone());
            p.egress_origin(&device, session).unwrap_or(home)
        } else {
            let session = gen.session();
            p.office_origin(rng, &device, session)
        };
        // The mail service logs the client address only.
        let origin = Origin {
            ip: origin.ip,
            ..Origin::default()
        };
        Flow::new(gen, &p.identity, origin, at).rule(rule);
    }
}
