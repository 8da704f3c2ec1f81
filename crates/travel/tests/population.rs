//! Benign and attack users in one generated population, with one configuration, over 20 seeds
//! (`PALISADE_SEEDS` sweeps more): business trips by plane, VPN users and mobile users stay
//! below medium; the reference case (AU → US → DE) and a Sydney → Frankfurt sign-in two hours
//! apart are flagged. From normalized events, and end to end through vendor shapes: the
//! population generated as an Okta tenant written as System Log JSON, as an Entra tenant
//! written as Microsoft Graph `signIn` JSON (both carry the vendor's geolocation), and as a
//! Google Workspace tenant written as Reports API login activities (addresses only, located
//! through a city database), each read back by its ingest adapter.
#![allow(clippy::unwrap_used)]

#[path = "../../geo/tests/support/mmdb_writer.rs"]
mod mmdb_writer;
#[path = "support/tenant.rs"]
mod tenant;

use palisade_core::{Context, Detector, Finding, Severity};
use palisade_geo::MmdbResolver;
use palisade_schema::{Event, Source};
use palisade_testkit::shapes::{read_back, render, Entra, GoogleWorkspace, Okta, Shape};
use palisade_testkit::{
    assert_fires, assert_quiet, generate, Archetype, AttackKind, PopulationConfig, Scenario, Score,
};
use palisade_travel::{ImpossibleTravel, NAME};
use tenant::registry;

const ATTACKS: [AttackKind; 2] = [AttackKind::ReferenceCase, AttackKind::ImpossibleTravel];

fn run(s: &Scenario) -> Vec<Finding> {
    run_events(
        ImpossibleTravel::default().with_egress(registry(s)),
        &s.events,
    )
}

fn run_events(mut d: ImpossibleTravel, events: &[Event]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut now = None;
    for e in events {
        if now.is_none_or(|t| e.time > t) {
            d.advance(e.time, &mut out);
            now = Some(e.time);
        }
        d.observe(e, &Context::empty(), &mut out);
    }
    out
}

fn population(seed: u64, idp: Source) -> Scenario {
    let cfg = PopulationConfig {
        users: 60,
        idp,
        ..PopulationConfig::new(seed)
    };
    generate(&cfg, &ATTACKS)
}

/// Both stories of the seed flagged at medium or above, no benign person raised to medium, and
/// every benign archetype that trips naive detectors present; returns how many findings were
/// reported low.
fn check(s: &Scenario, findings: &[Finding], shape: &str) -> usize {
    assert_eq!(s.labels.len(), 2, "{shape}: two stories a seed");
    for l in &s.labels {
        assert_fires(findings, l.primary.clone(), NAME, Severity::Medium);
    }
    for archetype in Archetype::ALL {
        for p in s.benign(archetype) {
            assert_quiet(findings, p.identity.clone(), Severity::Medium);
        }
    }
    Score::of(s, &ATTACKS, findings, Severity::Medium).assert_perfect(Severity::Medium);
    assert!(s.benign(Archetype::Traveller).count() >= 1);
    assert!(s.benign(Archetype::VpnUser).count() >= 1);
    assert!(s.benign(Archetype::MobileUser).count() >= 1);
    findings
        .iter()
        .filter(|f| f.severity == Severity::Low)
        .count()
}

#[test]
fn one_configuration_over_the_seeds() {
    let mut lowered = 0;
    for seed in palisade_testkit::seeds(1..21) {
        let s = population(seed, Source::Okta);
        lowered += check(&s, &run(&s), "normalized");
    }
    // VPN users' jumps to their far egress are reported, at low, naming the list.
    assert!(lowered > 0);
}

/// `events` written in `shape` and read back by the ingest adapter (logs in).
fn through_shape(shape: &dyn Shape, events: &[Event]) -> Vec<Event> {
    let rendered = render(shape, events);
    let name = format!("generated.{}.jsonl", shape.name());
    let back = read_back(&name, &rendered.text)
        .unwrap_or_else(|p| panic!("{} read back with problems: {p:?}", shape.name()));
    assert!(!back.is_empty(), "{}: nothing read back", shape.name());
    back
}

fn vendor_seeds(idp: Source, shape: &dyn Shape) {
    let mut lowered = 0;
    for seed in palisade_testkit::seeds(1..21) {
        let s = population(seed, idp);
        let events = through_shape(shape, &s.events);
        assert!(events.iter().any(|e| e.origin.geo.is_some()));
        let d = ImpossibleTravel::default().with_egress(registry(&s));
        lowered += check(&s, &run_events(d, &events), shape.name());
    }
    assert!(lowered > 0, "{}", shape.name());
}

#[test]
fn one_configuration_over_the_seeds_okta() {
    vendor_seeds(Source::Okta, &Okta);
}

#[test]
fn one_configuration_over_the_seeds_entra() {
    vendor_seeds(Source::Entra, &Entra);
}

/// A city database answering for every address the population uses, with the place the
/// generator put it.
fn city_database(s: &Scenario) -> MmdbResolver {
    let mut db = MmdbResolver::new();
    db.add_bytes(
        mmdb_writer::city_db_of(&s.events),
        "generated city database",
    )
    .unwrap();
    db
}

/// Google Workspace logs a login's address and nothing of where it is: the same stories, each
/// address located through a city database.
#[test]
fn one_configuration_over_the_seeds_google_workspace_with_a_city_database() {
    let mut lowered = 0;
    for seed in palisade_testkit::seeds(1..21) {
        let s = population(seed, Source::GoogleWorkspace);
        let events = through_shape(&GoogleWorkspace, &s.events);
        assert!(events.iter().all(|e| e.origin.geo.is_none()));
        let d = ImpossibleTravel::default()
            .with_egress(registry(&s))
            .with_database(city_database(&s));
        lowered += check(&s, &run_events(d, &events), "gws");
    }
    assert!(lowered > 0);
}

#[test]
fn the_sydney_frankfurt_story_reads_in_plain_words() {
    let s = generate(&PopulationConfig::small(3), &[AttackKind::ImpossibleTravel]);
    let findings = run(&s);
    let victim = &s.labels[0].primary;
    let f = findings
        .iter()
        .find(|f| f.identity.as_ref() == Some(victim) && f.severity >= Severity::Medium)
        .unwrap();
    assert!(
        f.summary.starts_with("Sydney, AU → Frankfurt, DE: 16,"),
        "{}",
        f.summary
    );
    assert!(
        f.summary.contains(" km in 1 h 5") || f.summary.contains(" km in 2 h "),
        "{}",
        f.summary
    );
    assert_eq!(f.entities.countries, ["AU", "DE"]);
    assert_eq!(f.entities.ips.len(), 2);
    assert_eq!(f.entities.asns.len(), 2);
    assert_eq!(f.technique.id(), "T1078.004");
    assert_eq!(f.evidence.total, 2);
}

#[test]
fn vpn_users_low_findings_name_the_list() {
    let s = generate(&PopulationConfig::new(5), &[]);
    let findings = run(&s);
    let vpn: Vec<_> = s
        .benign(Archetype::VpnUser)
        .map(|p| p.identity.clone())
        .collect();
    let mine: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.identity.as_ref().is_some_and(|i| vpn.contains(i)))
        .collect();
    assert!(!mine.is_empty());
    for f in mine {
        assert_eq!(f.severity, Severity::Low, "{}", f.summary);
        assert!(f.summary.contains("reported low:"), "{}", f.summary);
    }
    assert!(findings
        .iter()
        .any(|f| f.summary.contains("egress list \"zscaler-")));
}
