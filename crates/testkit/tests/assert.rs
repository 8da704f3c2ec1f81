//! Finding assertions and the label scorer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::catch_unwind;

use palisade_core::{Finding, Severity};
use palisade_schema::{Duration, IdentityKey};
use palisade_testkit::population::{generate, Archetype, AttackKind, PopulationConfig};
use palisade_testkit::{assert_fires, assert_quiet, latest_revisions, Score};

fn finding(detector: &'static str, who: &str, ev: &str, sev: Severity) -> Finding {
    let t = palisade_schema::Timestamp::parse_rfc3339("2024-03-20T10:00:00Z").unwrap();
    Finding::new(detector, Some(IdentityKey::new(who)), ev, t).with_severity(sev)
}

fn panic_text(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let p = catch_unwind(f).expect_err("should panic");
    p.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn latest_revision_wins_and_order_is_first_emission() {
    let a = finding("x", "a@x", "e1", Severity::Low);
    let b = finding("x", "b@x", "e2", Severity::Low);
    let a2 = a.next_revision().with_severity(Severity::High);
    let latest = latest_revisions(&[a.clone(), b.clone(), a2.clone(), a.clone()]);
    assert_eq!(latest, vec![a2, b]);
}

#[test]
fn fires_and_quiet_judge_the_latest_revision() {
    let a = finding("mfa", "a@x", "e1", Severity::High);
    let lowered = a.next_revision().with_severity(Severity::Low);
    assert_fires(std::slice::from_ref(&a), "a@x", "mfa", Severity::High);
    let msg =
        panic_text(|| assert_fires(&[a.clone(), lowered.clone()], "a@x", "mfa", Severity::High));
    assert!(
        msg.contains("expected a `mfa` finding about a@x at high"),
        "{msg}"
    );
    assert!(
        msg.contains(a.id.as_str()),
        "the message lists the identity's findings: {msg}"
    );
    let msg = panic_text(|| assert_fires(std::slice::from_ref(&a), "a@x", "travel", Severity::Low));
    assert!(msg.contains("travel"), "{msg}");
    assert_quiet(&[a.clone(), lowered], "a@x", Severity::Medium);
    assert_quiet(std::slice::from_ref(&a), "b@x", Severity::Info);
    let msg = panic_text(|| assert_quiet(std::slice::from_ref(&a), "a@x", Severity::Medium));
    assert!(
        msg.contains("got 1") && msg.contains(a.id.as_str()),
        "{msg}"
    );
}

#[test]
fn score_counts_hits_misses_and_false_positives() {
    let s = generate(
        &PopulationConfig::small(4),
        &[AttackKind::PushBombing, AttackKind::ForwardToExternal],
    );
    let bomb = s.labels_of(AttackKind::PushBombing).next().unwrap();
    let traveller = s
        .benign(Archetype::Traveller)
        .next()
        .unwrap()
        .identity
        .clone();
    let mut hit = Finding::new(
        "mfa",
        Some(bomb.primary.clone()),
        &bomb.evidence[3],
        bomb.start,
    );
    hit.severity = Severity::Critical;
    hit.last_seen = bomb.end;
    let mut fp = Finding::new("travel", Some(traveller.clone()), "whatever", bomb.start);
    fp.severity = Severity::Medium;
    // A finding about the victim long after the story is not about the story.
    let mut late = Finding::new(
        "x",
        Some(bomb.primary.clone()),
        "later",
        bomb.end + Duration::from_days(5),
    );
    late.last_seen = late.first_seen;
    late.severity = Severity::High;

    let findings = vec![hit.clone(), fp.clone(), late.clone()];
    let score = Score::of(&s, &[], &findings, Severity::High);
    assert_eq!(score.true_positives.len(), 1);
    assert_eq!(score.true_positives[0].0.kind, AttackKind::PushBombing);
    assert_eq!(score.false_negatives.len(), 1);
    assert_eq!(score.false_negatives[0].kind, AttackKind::ForwardToExternal);
    let fps = score.false_positives_at_or_above(Severity::Medium);
    assert_eq!(fps.len(), 2);
    assert!(score
        .false_positives_at_or_above(Severity::High)
        .iter()
        .all(|f| f.id == late.id));
    let report = score.report(Severity::Medium);
    assert!(report.contains("1 of 2 stories"), "{report}");
    assert!(report.contains("missed forward_to_external"), "{report}");
    assert!(report.contains(traveller.as_str()), "{report}");
    let msg = panic_text(|| score.assert_perfect(Severity::Medium));
    assert!(msg.contains("not perfect"), "{msg}");

    // Restricted to push bombing, the forwarding story is not a miss.
    let only = Score::of(&s, &[AttackKind::PushBombing], &[hit], Severity::High);
    only.assert_perfect(Severity::Medium);
}
