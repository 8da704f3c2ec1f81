//! The testkit's conformance suite: determinism, no output before evidence, idempotent advance,
//! snapshot/restore mid-stream, no panic on odd events, revisions; with must-fire and
//! must-stay-quiet cases from generated populations.
#![allow(clippy::unwrap_used)]

use palisade_core::Severity;
use palisade_testkit::{generate, Archetype, AttackKind, Conformance, PopulationConfig};
use palisade_travel::ImpossibleTravel;

#[test]
fn impossible_travel_conforms() {
    let attacks = generate(
        &PopulationConfig::small(4),
        &[AttackKind::ImpossibleTravel, AttackKind::ReferenceCase],
    );
    let benign = generate(&PopulationConfig::small(8), &[]);
    let mut suite = Conformance::new(ImpossibleTravel::default);
    for l in &attacks.labels {
        suite = suite.must_fire(&attacks, l.primary.clone(), Severity::Medium);
    }
    let mut quiet = 0;
    for a in [
        Archetype::Traveller,
        Archetype::VpnUser,
        Archetype::MobileUser,
    ] {
        for p in benign.benign(a) {
            suite = suite.must_stay_quiet(&benign, p.identity.clone(), Severity::Medium);
            quiet += 1;
        }
    }
    assert!(quiet >= 3);
    suite.run();
}
