//! Seeded populations of benign and attacked users, in every vendor shape that carries prompts,
//! through one detector with one configuration.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use palisade_core::{Context, Detector, Finding, FindingStatus, ProfileView, Severity};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Vendor {
    Okta,
    Entra,
    Duo,
    Google,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Story {
    Benign,
    MissesTwoThenApproves,
    PushBombingThenApproval,
    BurstNoApproval,
    IgnoredThenApproval,
    FraudReport,
    StraddlesWindowEdge,
}

/// How one vendor reports one prompt's fate, in its shape: `answer` is `None` for silence.
fn report(
    out: &mut Vec<Event>,
    vendor: Vendor,
    user: &str,
    secs: i64,
    tag: &str,
    answer: Option<PromptResult>,
    attacker: bool,
) {
    let (ip, country, asn) = if attacker {
        ("203.0.113.7", "US", 64500)
    } else {
        ("192.0.2.10", "AU", 1221)
    };
    let tx = format!("{user}-{tag}");
    let mk = |e: Event| corr(from(e, ip, country, asn), &tx);
    let push = |secs: i64, id: String, r: PromptResult, source: Source| {
        let mut e = prompt(user, secs, &id, r);
        e.source = source;
        mk(e)
    };
    let sign_in = |secs: i64, id: String, r: Option<FailureReason>, source: Source| {
        let mut e = mfa_sign_in(user, secs, &id, r);
        e.source = source;
        mk(e)
    };
    let fail = |r: PromptResult| match r {
        PromptResult::Denied => Some(FailureReason::MfaDenied),
        PromptResult::TimedOut => Some(FailureReason::MfaTimeout),
        PromptResult::FraudReported => Some(FailureReason::MfaFraudReported),
        _ => None,
    };
    match vendor {
        // Okta: the push is logged when sent; a denial or fraud report and the MFA step outcome
        // follow with the same transaction id; an ignored push leaves no answer at all.
        Vendor::Okta => {
            out.push(push(
                secs,
                format!("{tx}-send"),
                PromptResult::Sent,
                Source::Okta,
            ));
            if let Some(r) = answer {
                let later = secs + 8;
                if r != PromptResult::TimedOut {
                    out.push(push(later, format!("{tx}-ans"), r, Source::Okta));
                }
                out.push(sign_in(later, format!("{tx}-step"), fail(r), Source::Okta));
            }
        }
        // Entra: the prompt's fate and the sign-in that carries it, one correlation id.
        Vendor::Entra => {
            let r = answer.unwrap_or(PromptResult::TimedOut);
            out.push(push(secs + 20, format!("{tx}-auth"), r, Source::Entra));
            out.push(sign_in(
                secs + 20,
                format!("{tx}-si"),
                fail(r),
                Source::Entra,
            ));
        }
        // Duo: one authentication log entry per push, with its outcome.
        Vendor::Duo => {
            let r = answer.unwrap_or(PromptResult::TimedOut);
            out.push(push(secs + 30, format!("{tx}-duo"), r, Source::Duo));
        }
        // Google Workspace: a 2-step challenge, then its outcome as a sign-in.
        Vendor::Google => {
            out.push(push(
                secs,
                format!("{tx}-ch"),
                PromptResult::Sent,
                Source::GoogleWorkspace,
            ));
            if let Some(r) = answer {
                out.push(sign_in(
                    secs + 15,
                    format!("{tx}-li"),
                    fail(r),
                    Source::GoogleWorkspace,
                ));
            }
        }
    }
}

struct Population {
    events: Vec<Event>,
    stories: BTreeMap<String, Story>,
}

fn population(seed: u64) -> Population {
    let mut rng = Rng(seed);
    let vendors = [Vendor::Okta, Vendor::Entra, Vendor::Duo, Vendor::Google];
    let attacks = [
        Story::PushBombingThenApproval,
        Story::BurstNoApproval,
        Story::IgnoredThenApproval,
        Story::FraudReport,
        Story::StraddlesWindowEdge,
    ];
    let mut events = Vec::new();
    let mut stories = BTreeMap::new();
    for u in 0..60 {
        let user = format!("user{u}@corp.example");
        let vendor = vendors[rng.below(4) as usize];
        let story = match u % 12 {
            0..=4 => Story::Benign,
            5 | 6 => Story::MissesTwoThenApproves,
            k => attacks[(k - 7 + rng.below(5) as usize) % 5],
        };
        stories.insert(user.clone(), story);
        // Benign days: a handful of sign-ins, each prompt approved within seconds.
        let day_start = rng.below(3600) as i64;
        for s in 0..(2 + rng.below(4) as i64) {
            let at = day_start + s * (3 * 3600) + rng.below(600) as i64;
            report(
                &mut events,
                vendor,
                &user,
                at,
                &format!("ok{s}"),
                Some(PromptResult::Approved),
                false,
            );
        }
        let start = 20 * 3600 + rng.below(3600) as i64;
        let gap = 20 + rng.below(40) as i64;
        match story {
            Story::Benign => {}
            Story::MissesTwoThenApproves => {
                for k in 0..2 {
                    report(
                        &mut events,
                        vendor,
                        &user,
                        start + k * 120,
                        &format!("miss{k}"),
                        None,
                        false,
                    );
                }
                report(
                    &mut events,
                    vendor,
                    &user,
                    start + 240,
                    "yes",
                    Some(PromptResult::Approved),
                    false,
                );
            }
            Story::PushBombingThenApproval | Story::BurstNoApproval => {
                let n = 6 + rng.below(8) as i64;
                for k in 0..n {
                    let r = if rng.below(3) == 0 {
                        None
                    } else {
                        Some(PromptResult::Denied)
                    };
                    report(
                        &mut events,
                        vendor,
                        &user,
                        start + k * gap,
                        &format!("b{k}"),
                        r,
                        true,
                    );
                }
                if story == Story::PushBombingThenApproval {
                    report(
                        &mut events,
                        vendor,
                        &user,
                        start + n * gap,
                        "win",
                        Some(PromptResult::Approved),
                        true,
                    );
                }
            }
            Story::IgnoredThenApproval => {
                let n = 5 + rng.below(6) as i64;
                for k in 0..n {
                    report(
                        &mut events,
                        vendor,
                        &user,
                        start + k * gap,
                        &format!("i{k}"),
                        None,
                        true,
                    );
                }
                report(
                    &mut events,
                    vendor,
                    &user,
                    start + n * gap,
                    "win",
                    Some(PromptResult::Approved),
                    true,
                );
            }
            Story::FraudReport => {
                report(
                    &mut events,
                    vendor,
                    &user,
                    start,
                    "f",
                    Some(PromptResult::FraudReported),
                    true,
                );
            }
            Story::StraddlesWindowEdge => {
                // Two refusals just before a 10-minute boundary, two just after.
                let edge = (start / 600 + 1) * 600;
                for (k, off) in [-100i64, -40, 30, 90].iter().enumerate() {
                    report(
                        &mut events,
                        vendor,
                        &user,
                        edge + off,
                        &format!("s{k}"),
                        Some(PromptResult::Denied),
                        true,
                    );
                }
            }
        }
    }
    sort(&mut events);
    Population { events, stories }
}

fn expected(story: Story) -> Option<&'static [Severity]> {
    use Severity::*;
    match story {
        Story::Benign | Story::MissesTwoThenApproves => None,
        Story::PushBombingThenApproval | Story::IgnoredThenApproval => Some(&[Critical]),
        Story::BurstNoApproval | Story::StraddlesWindowEdge => Some(&[Medium, High]),
        Story::FraudReport => Some(&[High]),
    }
}

#[test]
fn populations_over_many_seeds() {
    let home = Known {
        countries: vec!["AU"],
        asns: vec![1221],
    };
    for seed in palisade_testkit::seeds(0..24) {
        let pop = population(seed);
        let mut d = MfaFatigue::default();
        let mut out: Vec<Finding> = Vec::new();
        for e in &pop.events {
            // Every user's profile knows their usual place, so a quiet benign day stays quiet
            // and attacks from elsewhere rise a step.
            let ctx = Context {
                profile: Some(&home as &dyn ProfileView),
                ..Context::empty()
            };
            d.advance(
                Timestamp::from_millis_unchecked(e.time.as_millis() - 60_000),
                &mut out,
            );
            d.observe(e, &ctx, &mut out);
        }
        d.advance(at(3 * 86_400), &mut out);
        let mut by_user: BTreeMap<String, BTreeMap<String, Finding>> = BTreeMap::new();
        for f in &out {
            let user = f.identity.as_ref().unwrap().to_string();
            by_user
                .entry(user)
                .or_default()
                .insert(f.id.to_string(), f.clone());
        }
        for (user, story) in &pop.stories {
            let found = by_user.get(user);
            match expected(*story) {
                None => assert!(
                    found.is_none(),
                    "seed {seed}: {user} ({story:?}) flagged: {found:?}"
                ),
                Some(allowed) => {
                    let found =
                        found.unwrap_or_else(|| panic!("seed {seed}: {user} ({story:?}) missed"));
                    assert_eq!(
                        found.len(),
                        1,
                        "seed {seed}: {user} ({story:?}): one burst, one finding"
                    );
                    let f = found.values().next().unwrap();
                    assert_eq!(f.status, FindingStatus::Closed);
                    // Attacks come from an origin the profile does not know: medium rises to high.
                    let sev = f.severity;
                    assert!(
                        allowed.contains(&sev),
                        "seed {seed}: {user} ({story:?}) got {sev}: {}",
                        f.summary
                    );
                    assert!(f
                        .entities
                        .ips
                        .iter()
                        .any(|ip| ip.to_string() == "203.0.113.7"));
                    assert!(!f.summary.is_empty());
                }
            }
        }
        assert_eq!(d.tracked_identities(), 0, "seed {seed}: everything expires");
    }
}

#[test]
fn without_profiles_the_same_population_still_catches_every_attack() {
    for seed in 100..120u64 {
        let pop = population(seed);
        let mut d = MfaFatigue::default();
        let mut out: Vec<Finding> = Vec::new();
        for e in &pop.events {
            d.observe(e, &Context::empty(), &mut out);
        }
        d.advance(at(3 * 86_400), &mut out);
        let flagged: BTreeMap<String, Severity> = out
            .iter()
            .map(|f| (f.identity.as_ref().unwrap().to_string(), f.severity))
            .collect();
        for (user, story) in &pop.stories {
            let sev = flagged.get(user);
            match story {
                Story::Benign | Story::MissesTwoThenApproves => {
                    assert!(sev.is_none(), "seed {seed}: {user} ({story:?})")
                }
                Story::PushBombingThenApproval | Story::IgnoredThenApproval => {
                    assert_eq!(
                        sev,
                        Some(&Severity::Critical),
                        "seed {seed}: {user} ({story:?})"
                    )
                }
                _ => assert!(
                    sev.is_some_and(|s| *s >= Severity::Medium),
                    "seed {seed}: {user} ({story:?})"
                ),
            }
        }
    }
}
