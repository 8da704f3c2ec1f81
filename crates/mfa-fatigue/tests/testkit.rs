//! The detector through the testkit: the conformance suite every detector must pass, and
//! generated populations (benign archetypes and attack stories together) over many seeds and
//! every identity provider that carries prompts.
#![allow(clippy::unwrap_used)]

use palisade_core::{Context, Detector, Finding, Severity};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::{Duration, Source};
use palisade_testkit::conformance::Conformance;
use palisade_testkit::population::Archetype;
use palisade_testkit::{generate, AttackKind, PopulationConfig, Scenario, Score};

const STORIES: [AttackKind; 4] = [
    AttackKind::PushBombing,
    AttackKind::PushBurstNoApproval,
    AttackKind::IgnoredPromptsThenApproval,
    AttackKind::FraudReport,
];

fn least(kind: AttackKind) -> Severity {
    match kind {
        AttackKind::PushBombing | AttackKind::IgnoredPromptsThenApproval => Severity::Critical,
        AttackKind::FraudReport => Severity::High,
        _ => Severity::Medium,
    }
}

/// Drives the detector the way the pipeline does, with a one-minute allowed lateness.
fn run(s: &Scenario) -> Vec<Finding> {
    let mut d = MfaFatigue::default();
    let mut out = Vec::new();
    for e in &s.events {
        d.advance(e.time - Duration::from_mins(1), &mut out);
        d.observe(e, &Context::empty(), &mut out);
    }
    if let Some(last) = s.events.last() {
        d.advance(last.time + Duration::from_days(1), &mut out);
    }
    out
}

#[test]
fn passes_the_conformance_suite() {
    let mut suite = Conformance::new(MfaFatigue::default);
    for seed in 1..=2 {
        for kind in STORIES {
            let s = generate(&PopulationConfig::small(seed), &[kind]);
            let who = s.labels[0].primary.clone();
            suite = suite.must_fire(&s, who, least(kind));
        }
        let quiet = generate(&PopulationConfig::small(seed + 10), &[]);
        for p in quiet
            .benign(Archetype::MissedPush)
            .chain(quiet.benign(Archetype::OfficeWorker))
        {
            suite = suite.must_stay_quiet(&quiet, p.identity.clone(), Severity::Low);
        }
    }
    suite.run();
}

#[test]
fn generated_populations_over_many_seeds_and_providers() {
    let providers = [
        Source::Okta,
        Source::Entra,
        Source::Duo,
        Source::GoogleWorkspace,
    ];
    for seed in 0..24u64 {
        let idp = providers[seed as usize % providers.len()];
        let cfg = PopulationConfig {
            idp,
            ..PopulationConfig::small(seed)
        };
        let s = generate(&cfg, &STORIES);
        let findings = run(&s);
        for kind in STORIES {
            let score = Score::of(&s, &[kind], &findings, least(kind));
            assert!(
                score.false_negatives.is_empty(),
                "seed {seed}, {idp}, {}:\n{}",
                kind.as_str(),
                score.report(Severity::Low)
            );
        }
        let score = Score::of(&s, &[], &findings, Severity::Medium);
        score.assert_perfect(Severity::Low);
    }
}
