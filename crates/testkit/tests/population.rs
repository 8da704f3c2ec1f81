//! The generated population: reproducible, sorted, labelled, realistic where detectors care.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use palisade_schema::{Activity, Event, IdentityKey, PromptResult, SignInStage};
use palisade_testkit::population::places::{carrier_gateway, city, distance_km, CITIES};
use palisade_testkit::population::{generate, Archetype, AttackKind, PopulationConfig};

#[test]
fn same_seed_same_scenario_and_different_seeds_differ() {
    let cfg = PopulationConfig::small(42);
    let a = generate(&cfg, &AttackKind::ALL);
    let b = generate(&cfg, &AttackKind::ALL);
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let c = generate(&PopulationConfig::small(43), &AttackKind::ALL);
    assert_ne!(a.events, c.events);
    assert_ne!(a.labels, c.labels);
}

#[test]
fn events_sorted_ids_unique_and_labels_point_at_real_events() {
    for seed in 0..5 {
        let s = generate(&PopulationConfig::small(seed), &AttackKind::ALL);
        assert!(s
            .events
            .windows(2)
            .all(|w| w[0].order_key() <= w[1].order_key()));
        let ids: BTreeSet<&str> = s.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), s.events.len(), "event ids must be unique");
        assert_eq!(s.labels.len(), AttackKind::ALL.len());
        for l in &s.labels {
            assert!(!l.evidence.is_empty(), "{:?}", l.kind);
            for id in &l.evidence {
                assert!(
                    ids.contains(id.as_str()),
                    "{:?} evidence {id} missing",
                    l.kind
                );
            }
            assert!(l.start <= l.end);
            assert!(l.involves(&l.primary));
            assert!(l.identities.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

#[test]
fn large_population_has_every_archetype() {
    let s = generate(&PopulationConfig::new(5), &AttackKind::ALL);
    for a in Archetype::ALL {
        assert!(s.personas.iter().any(|p| p.archetype == a), "{a:?} missing");
    }
    assert_eq!(s.personas.len(), 200);
    let per_user = s.events.len() as f64 / 200.0;
    assert!(
        (40.0..400.0).contains(&per_user),
        "{per_user} events per user"
    );
}

fn by_identity(events: &[Event]) -> BTreeMap<IdentityKey, Vec<&Event>> {
    let mut m: BTreeMap<IdentityKey, Vec<&Event>> = BTreeMap::new();
    for e in events {
        if let Some(k) = e.identity() {
            m.entry(k.clone()).or_default().push(e);
        }
    }
    m
}

fn speed_kmh(a: &Event, b: &Event) -> Option<f64> {
    let (ga, gb) = (a.origin.geo?, b.origin.geo?);
    let ca = palisade_testkit::population::places::City {
        lat: ga.lat,
        lon: ga.lon,
        ..CITIES[0]
    };
    let cb = palisade_testkit::population::places::City {
        lat: gb.lat,
        lon: gb.lon,
        ..CITIES[0]
    };
    let d = distance_km(&ca, &cb);
    let h = b.time.since(a.time).as_hours_f64();
    (d > 500.0).then(|| if h <= 0.0 { f64::INFINITY } else { d / h })
}

#[test]
fn travellers_fly_at_plausible_speeds_and_visit_other_countries() {
    for seed in 0..10 {
        let s = generate(&PopulationConfig::small(seed), &[]);
        let events = by_identity(&s.events);
        for p in s.benign(Archetype::Traveller) {
            let signins: Vec<&&Event> = events[&p.identity]
                .iter()
                .filter(|e| e.activity.is_successful_sign_in())
                .collect();
            let countries: BTreeSet<_> = signins
                .iter()
                .filter_map(|e| e.origin.country.clone())
                .collect();
            assert!(
                countries.len() >= 2,
                "seed {seed}: traveller never left {countries:?}"
            );
            for w in signins.windows(2) {
                if let Some(v) = speed_kmh(w[0], w[1]) {
                    assert!(
                        v < 800.0,
                        "seed {seed}: {} moved at {v:.0} km/h",
                        p.identity
                    );
                }
            }
        }
    }
}

#[test]
fn benign_prompts_never_burst_and_attacks_do() {
    let s = generate(&PopulationConfig::small(3), &[AttackKind::PushBombing]);
    let events = by_identity(&s.events);
    let victim = &s.labels[0].primary;
    for (who, evs) in &events {
        let refused: Vec<_> = evs
            .iter()
            .filter(|e| {
                matches!(&e.activity, Activity::MfaPrompt(p) if p.result.is_unanswered_or_refused())
            })
            .collect();
        let max_in_10_min = refused
            .iter()
            .map(|a| {
                refused
                    .iter()
                    .filter(|b| b.time >= a.time && b.time.since(a.time).as_millis() <= 600_000)
                    .count()
            })
            .max()
            .unwrap_or(0);
        if who == victim {
            assert!(
                max_in_10_min >= 5,
                "the burst must be dense: {max_in_10_min}"
            );
        } else {
            assert!(
                max_in_10_min <= 2,
                "{who} has {max_in_10_min} refused prompts in 10 min"
            );
        }
    }
}

#[test]
fn prompts_pair_with_answers_by_correlation_id() {
    let s = generate(
        &PopulationConfig::small(8),
        &[AttackKind::IgnoredPromptsThenApproval],
    );
    let mut by_corr: BTreeMap<&str, Vec<PromptResult>> = BTreeMap::new();
    for e in &s.events {
        if let Activity::MfaPrompt(p) = &e.activity {
            by_corr
                .entry(e.correlation_id.as_deref().unwrap())
                .or_default()
                .push(p.result);
        }
    }
    let mut ignored = 0;
    for results in by_corr.values() {
        assert_eq!(results[0], PromptResult::Sent);
        assert!(results.len() <= 2);
        if results.len() == 1 {
            ignored += 1;
        }
    }
    assert!(ignored >= 5, "the story's ignored prompts have no answer");
}

#[test]
fn reference_case_follows_the_write_up() {
    for seed in 0..10 {
        let s = generate(&PopulationConfig::small(seed), &[AttackKind::ReferenceCase]);
        let l = &s.labels[0];
        let persona = s.persona(&l.primary).unwrap();
        assert_eq!(persona.home_country, "AU");
        let ev: Vec<&Event> = s
            .events
            .iter()
            .filter(|e| l.evidence.contains(&e.id))
            .collect();
        let mfa_failures = ev
            .iter()
            .filter(|e| {
                matches!(&e.activity, Activity::SignIn(si)
                    if si.stage == SignInStage::Mfa && !si.outcome.is_success())
            })
            .count();
        assert_eq!(mfa_failures, 2);
        let countries: Vec<_> = ev
            .iter()
            .filter(|e| e.activity.is_successful_sign_in())
            .filter_map(|e| e.origin.country.as_deref())
            .collect();
        assert!(
            countries.contains(&"US") && countries.contains(&"DE"),
            "{countries:?}"
        );
        let rule = ev
            .iter()
            .find_map(|e| match &e.activity {
                Activity::MailboxRule(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(rule.name.as_deref(), Some("."));
        assert!(ev
            .iter()
            .any(|e| matches!(e.activity, Activity::FileAccess(_))));
        let span = l.end.since(l.start).as_hours_f64();
        assert!((40.0..60.0).contains(&span), "{span}");
    }
}

#[test]
fn impossible_travel_is_sydney_then_frankfurt_two_hours_later() {
    let s = generate(&PopulationConfig::small(4), &[AttackKind::ImpossibleTravel]);
    let l = &s.labels[0];
    let ok: Vec<&Event> = s
        .events
        .iter()
        .filter(|e| l.evidence.contains(&e.id) && e.activity.is_successful_sign_in())
        .collect();
    assert_eq!(ok[0].origin.city.as_deref(), Some("Sydney"));
    assert_eq!(ok[1].origin.city.as_deref(), Some("Frankfurt"));
    let h = ok[1].time.since(ok[0].time).as_hours_f64();
    assert!((1.8..2.4).contains(&h), "{h}");
}

#[test]
fn spray_fails_across_many_identities_from_one_ip() {
    let s = generate(&PopulationConfig::new(2), &[AttackKind::PasswordSpray]);
    let l = &s.labels[0];
    let ev: Vec<&Event> = s
        .events
        .iter()
        .filter(|e| l.evidence.contains(&e.id))
        .collect();
    let ips: BTreeSet<_> = ev.iter().map(|e| e.origin.ip).collect();
    assert_eq!(ips.len(), 1);
    let failed: BTreeSet<_> = ev
        .iter()
        .filter(|e| e.activity.is_failed_sign_in())
        .filter_map(|e| e.identity().cloned())
        .collect();
    assert!(failed.len() >= 30, "{}", failed.len());
    assert!(ev
        .iter()
        .any(|e| e.activity.is_successful_sign_in() && e.identity() == Some(&l.primary)));
    assert!(l.identities.len() >= 30);
}

#[test]
fn vpn_users_exit_a_listed_egress_and_mobile_users_switch_asn() {
    let s = generate(&PopulationConfig::new(9), &[]);
    let events = by_identity(&s.events);
    let egress_ips: BTreeSet<_> = s.egress.iter().map(|e| e.ip).collect();
    for p in s.benign(Archetype::VpnUser) {
        let n = events[&p.identity]
            .iter()
            .filter(|e| e.origin.ip.is_some_and(|ip| egress_ips.contains(&ip)))
            .count();
        assert!(n > 10, "{} rarely used the egress", p.identity);
    }
    for p in s.benign(Archetype::MobileUser) {
        let asns: BTreeSet<_> = events[&p.identity]
            .iter()
            .filter_map(|e| e.origin.asn)
            .collect();
        let cities: BTreeSet<_> = events[&p.identity]
            .iter()
            .filter_map(|e| e.origin.city.clone())
            .collect();
        assert!(asns.len() >= 2, "{asns:?}");
        // The home city, and the carrier's gateway city when that is another one.
        let gateway = CITIES[carrier_gateway(city(&p.home_city))].name;
        let expected: BTreeSet<String> = [p.home_city.clone(), gateway.to_owned()].into();
        assert_eq!(cities, expected, "{}", p.identity);
    }
    for p in s.benign(Archetype::LaptopRefresh) {
        let devices: BTreeSet<_> = events[&p.identity]
            .iter()
            .filter_map(|e| e.origin.device_id.clone())
            .collect();
        assert_eq!(devices.len(), 2, "{devices:?}");
    }
}

#[test]
fn sign_ins_follow_local_working_hours() {
    let s = generate(&PopulationConfig::new(12), &[]);
    let mut weekday = 0usize;
    let mut weekend = 0usize;
    for p in s.benign(Archetype::OfficeWorker) {
        let offset = CITIES
            .iter()
            .find(|c| c.name == p.home_city)
            .unwrap()
            .utc_offset_min;
        for e in s.events_of(&p.identity) {
            if let Activity::SignIn(si) = &e.activity {
                if si.stage != SignInStage::Primary || !si.outcome.is_success() {
                    continue;
                }
                let local = e.time.as_millis() + i64::from(offset) * 60_000;
                let hour = local.rem_euclid(86_400_000) / 3_600_000;
                let day = (local.div_euclid(86_400_000) + 3).rem_euclid(7);
                assert!(
                    (7..23).contains(&hour),
                    "{} signed in at {hour}h local",
                    p.identity
                );
                if day >= 5 {
                    weekend += 1;
                } else {
                    weekday += 1;
                }
            }
        }
    }
    assert!(
        weekday > 10 * weekend,
        "weekends must be quiet: {weekday} vs {weekend}"
    );
}

#[test]
fn tiny_and_degenerate_configs_do_not_panic() {
    for (users, days) in [(1, 1), (2, 2), (3, 5), (0, 0)] {
        let cfg = PopulationConfig {
            users,
            days,
            ..PopulationConfig::small(1)
        };
        let s = generate(&cfg, &AttackKind::ALL);
        assert!(s
            .events
            .windows(2)
            .all(|w| w[0].order_key() <= w[1].order_key()));
    }
}
