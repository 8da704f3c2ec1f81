//! The testkit's conformance suite, run against each sign-in detector with real baselines.
#![allow(clippy::unwrap_used)]

use palisade_baseline::BaselineStore;
use palisade_core::{Detector, ProfileStore, Severity};
use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
use palisade_testkit::{generate, Archetype, AttackKind, Conformance, PopulationConfig, Scenario};

fn store() -> Box<dyn ProfileStore> {
    Box::new(BaselineStore::default())
}

fn scenario(seed: u64, attack: AttackKind) -> Scenario {
    generate(&PopulationConfig::small(seed), &[attack])
}

/// Registers the attack's victim as must-fire and one benign person of each named archetype as
/// must-stay-quiet (below medium), then runs the whole suite.
fn suite<D: Detector + 'static>(make: impl Fn() -> D + 'static, attack: AttackKind, seeds: &[u64]) {
    let mut c = Conformance::new(make).profiles(store);
    for &seed in seeds {
        let s = scenario(seed, attack);
        let victim = s.labels[0].primary.clone();
        c = c.must_fire(s.clone(), victim, Severity::Medium);
        for a in [
            Archetype::Traveller,
            Archetype::VpnUser,
            Archetype::MobileUser,
            Archetype::LaptopRefresh,
        ] {
            let quiet = s
                .benign(a)
                .find(|p| !s.is_attacked(&p.identity))
                .unwrap()
                .identity
                .clone();
            c = c.must_stay_quiet(s.clone(), quiet, Severity::Medium);
        }
    }
    c.run();
}

#[test]
fn unfamiliar_signin_conforms() {
    suite(
        UnfamiliarSignIn::default,
        AttackKind::ReferenceCase,
        &[1, 2],
    );
}

#[test]
fn failed_then_success_conforms() {
    suite(
        FailedThenSuccess::default,
        AttackKind::ReferenceCase,
        &[1, 2],
    );
}

#[test]
fn password_spray_conforms() {
    suite(PasswordSpray::default, AttackKind::PasswordSpray, &[1, 2]);
}
