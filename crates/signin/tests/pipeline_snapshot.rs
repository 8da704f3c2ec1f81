//! Whole-pipeline snapshot property with real baselines and the sign-in detectors: running
//! events A then B gives the same findings as running A, snapshotting, restoring into a new
//! pipeline and running B — with the cut inside open windows (a password spray in progress, the
//! reference case between its failures and its success).
#![allow(clippy::unwrap_used)]

use palisade_baseline::BaselineStore;
use palisade_core::Finding;
use palisade_pipeline::{Output, Pipeline};
use palisade_schema::Event;
use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
use palisade_testkit::{generate, AttackKind, PopulationConfig};
use proptest::prelude::*;

fn pipeline() -> Pipeline {
    Pipeline::builder()
        .detector(UnfamiliarSignIn::default())
        .detector(FailedThenSuccess::default())
        .detector(PasswordSpray::default())
        .profiles(BaselineStore::default())
        .build()
        .unwrap()
}

fn push_all(p: &mut Pipeline, events: &[Event], out: &mut Output) {
    for e in events {
        p.push(e.clone(), out);
    }
}

fn straight(events: &[Event]) -> Vec<Finding> {
    let mut p = pipeline();
    let mut out = Output::default();
    push_all(&mut p, events, &mut out);
    p.finish(&mut out);
    out.findings
}

fn cut_at(events: &[Event], cut: usize) -> Vec<Finding> {
    let mut first = pipeline();
    let mut out = Output::default();
    push_all(&mut first, &events[..cut], &mut out);
    let bytes = first.snapshot().unwrap();
    drop(first);
    let mut second = pipeline();
    second.restore(&bytes).unwrap();
    push_all(&mut second, &events[cut..], &mut out);
    second.finish(&mut out);
    out.findings
}

fn population(seed: u64) -> (Vec<Event>, Vec<usize>) {
    let cfg = PopulationConfig {
        users: 24,
        days: 18,
        ..PopulationConfig::small(seed)
    };
    let s = generate(
        &cfg,
        &[AttackKind::PasswordSpray, AttackKind::ReferenceCase],
    );
    let mut events = s.events.clone();
    palisade_testkit::population::sort_events(&mut events);
    // Cuts in the middle of each story: inside the spray, between the reference case's failures
    // and its success.
    let inside: Vec<usize> = s
        .labels
        .iter()
        .flat_map(|l| {
            let ids: Vec<usize> = l
                .evidence
                .iter()
                .filter_map(|id| events.iter().position(|e| &e.id == id))
                .collect();
            let mid = ids.get(ids.len() / 2).copied();
            let second = ids.get(1).copied();
            mid.into_iter().chain(second)
        })
        .collect();
    (events, inside)
}

#[test]
fn cut_inside_a_spray_and_the_reference_case() {
    let (events, inside) = population(7);
    assert!(inside.len() >= 3);
    let expected = straight(&events);
    assert!(
        expected.iter().any(|f| f.detector == "password_spray"),
        "the spray is detected"
    );
    for cut in inside {
        assert_eq!(cut_at(&events, cut), expected, "cut at event {cut}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn cut_anywhere_in_a_generated_tenant(seed in 0u64..1000, cut in any::<prop::sample::Index>()) {
        let (events, inside) = population(seed);
        let expected = straight(&events);
        let cut = cut.index(events.len() + 1);
        prop_assert_eq!(&cut_at(&events, cut), &expected);
        prop_assert_eq!(&cut_at(&events, inside[0]), &expected);
    }
}
