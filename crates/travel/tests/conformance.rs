//! The testkit's conformance suite: determinism, no output before evidence, idempotent advance,
//! snapshot/restore mid-stream, no panic on odd events, revisions; with must-fire and
//! must-stay-quiet cases from generated populations.
#![allow(clippy::unwrap_used)]

#[path = "support/tenant.rs"]
mod tenant;

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
    // The configuration the population tests use: without the mobile carriers listed, a
    // Melbourne user's phone on a carrier whose gateway geolocates to Sydney half an hour after
    // a sign-in at home is a move of 500 km in 30 minutes, and rightly medium.
    let lists = tenant::registry(&benign);
    let mut suite =
        Conformance::new(move || ImpossibleTravel::default().with_egress(lists.clone()));
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
