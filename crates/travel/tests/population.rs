//! Benign and attack users in one generated population, with one configuration, over 20 seeds
//! (`PALISADE_SEEDS` sweeps more): business trips by plane, VPN users and mobile users stay
//! below medium; the reference case (AU → US → DE) and a Sydney → Frankfurt sign-in two hours
//! apart are flagged.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use palisade_core::{Context, Detector, Finding, Severity};
use palisade_geo::{EgressKind, EgressList, EgressRegistry};
use palisade_testkit::{
    assert_fires, assert_quiet, generate, Archetype, AttackKind, PopulationConfig, Scenario, Score,
};
use palisade_travel::{ImpossibleTravel, NAME};

/// The one configuration: defaults, the built-in egress lists, plus the tenant's own corporate
/// egress (what an administrator would list for their VPN).
fn registry(s: &Scenario) -> Arc<EgressRegistry> {
    let mut reg = EgressRegistry::builtin();
    for e in &s.egress {
        let list = EgressList::new(
            e.name.clone(),
            EgressKind::Corporate,
            "tenant configuration",
        )
        .with_cidr(e.cidr.parse().unwrap());
        reg.add(list).unwrap();
    }
    Arc::new(reg)
}

fn run(s: &Scenario) -> Vec<Finding> {
    let mut d = ImpossibleTravel::default().with_egress(registry(s));
    let mut out = Vec::new();
    let mut now = None;
    for e in &s.events {
        if now.is_none_or(|t| e.time > t) {
            d.advance(e.time, &mut out);
            now = Some(e.time);
        }
        d.observe(e, &Context::empty(), &mut out);
    }
    out
}

#[test]
fn one_configuration_over_the_seeds() {
    let mut flagged = 0;
    let mut lowered = 0;
    let seeds = palisade_testkit::seeds(1..21);
    for seed in seeds.clone() {
        let cfg = PopulationConfig {
            users: 60,
            ..PopulationConfig::new(seed)
        };
        let s = generate(
            &cfg,
            &[AttackKind::ReferenceCase, AttackKind::ImpossibleTravel],
        );
        let findings = run(&s);
        for l in &s.labels {
            assert_fires(&findings, l.primary.clone(), NAME, Severity::Medium);
            flagged += 1;
        }
        for archetype in Archetype::ALL {
            for p in s.benign(archetype) {
                assert_quiet(&findings, p.identity.clone(), Severity::Medium);
            }
        }
        let score = Score::of(
            &s,
            &[AttackKind::ReferenceCase, AttackKind::ImpossibleTravel],
            &findings,
            Severity::Medium,
        );
        score.assert_perfect(Severity::Medium);
        lowered += findings
            .iter()
            .filter(|f| f.severity == Severity::Low)
            .count();
        // The benign archetypes that trip naive detectors are present and exercised.
        assert!(s.benign(Archetype::Traveller).count() >= 1);
        assert!(s.benign(Archetype::VpnUser).count() >= 1);
        assert!(s.benign(Archetype::MobileUser).count() >= 1);
    }
    // Two stories a seed, each flagged.
    assert_eq!(flagged, 2 * seeds.count());
    // VPN users' jumps to their far egress are reported, at low, naming the list.
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
