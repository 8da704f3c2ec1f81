//! Password spray against a plain model of its rule: on random streams of failures and
//! successes from a few addresses, the detector emits exactly the findings and revisions the
//! model says, in the same order, however its sources are kept, expired and closed.
//!
//! The rule, per source (an IPv4 address, or an IPv6 /64: the last two addresses share one): a
//! spray runs while its failures are at most the window apart; it is reported once enough
//! distinct identities failed and enough of the identities seen at the source failed from it
//! without then signing in,
//! again each time the failing identities double, at high from the start when an identity
//! already signed in from the source during the spray, again (high) when an identity then signs
//! in from it, and closed when it goes quiet for the window.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use palisade_core::{Context, Detector, Finding, FindingStatus, Severity};
use palisade_schema::*;
use palisade_signin::{PasswordSpray, PasswordSprayConfig};
use proptest::prelude::*;

const ADDRESSES: [&str; 5] = [
    "198.51.100.1",
    "198.51.100.2",
    "203.0.113.3",
    "2001:db8::4",
    "2001:db8::5:6",
];

/// The source an address belongs to: its own, or for the second IPv6 address the first's /64.
fn source(address: usize) -> usize {
    address.min(3)
}

/// How sources tie-break when they close at the same time: by address, IPv6 by its /64.
fn source_order(source: usize) -> std::net::IpAddr {
    match source {
        3 => "2001:db8::".parse().unwrap(),
        a => ADDRESSES[a].parse().unwrap(),
    }
}
const WINDOW_MINUTES: i64 = 20;
const MIN_IDENTITIES: usize = 3;
const MIN_FAILURE_RATIO: f64 = 0.8;

/// One generated record: from which address, by whom, what, and minutes after the previous.
#[derive(Clone, Copy, Debug)]
struct Step {
    address: usize,
    who: usize,
    /// 0 bad password, 1 unknown user, 2 locked, 3 success, 4 a denied MFA prompt (not a
    /// spray failure, and not a success either).
    what: u8,
    minutes: i64,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0..ADDRESSES.len(),
        0..12usize,
        0..5u8,
        prop_oneof![4 => 0..8i64, 1 => 0..60i64],
    )
        .prop_map(|(address, who, what, minutes)| Step {
            address,
            who,
            what,
            minutes,
        })
}

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2024-03-01T02:00:00Z").unwrap()
}

fn events(steps: &[Step]) -> Vec<Event> {
    let mut t = start();
    steps
        .iter()
        .enumerate()
        .map(|(n, s)| {
            t = t + Duration::from_mins(s.minutes);
            let outcome = match s.what {
                0 => SignIn::failure(SignInStage::Primary, FailureReason::BadPassword),
                1 => SignIn::failure(SignInStage::Primary, FailureReason::UnknownUser),
                2 => SignIn::failure(SignInStage::Primary, FailureReason::Locked),
                3 => SignIn::success(SignInStage::Primary),
                _ => SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied),
            };
            let mut e = Event::new(t, format!("e{n}"), Source::Entra, Activity::SignIn(outcome))
                .with_actor(Identity::new(&format!("user{}@contoso.com", s.who)));
            e.origin.ip = ADDRESSES[s.address].parse().ok();
            e
        })
        .collect()
}

/// What a finding says that the model predicts: its first evidence id, revision, status and
/// severity.
type Said = (String, u32, FindingStatus, Severity);

fn said(f: &Finding) -> Said {
    (
        f.evidence.first().unwrap_or_default().to_owned(),
        f.revision,
        f.status,
        f.severity,
    )
}

/// One address's spray in the model.
struct Spray {
    first_id: String,
    last: Timestamp,
    identities: BTreeSet<usize>,
    /// Identities that signed in from the source during the spray.
    succeeded: BTreeSet<usize>,
    compromised: BTreeSet<usize>,
    /// The finding's revision and severity once reported.
    reported: Option<(u32, Severity)>,
    next_report: usize,
}

/// The closing revision of a spray that was reported.
fn close(s: &Spray, out: &mut Vec<Said>) {
    if let Some((revision, severity)) = s.reported {
        out.push((
            s.first_id.clone(),
            revision + 1,
            FindingStatus::Closed,
            severity,
        ));
    }
}

/// Closes the sprays quiet for the window by `now`, earliest deadline first (ties by address
/// order), as advancing the detector to `now` does.
fn close_quiet(sprays: &mut [Option<Spray>], now: Timestamp, out: &mut Vec<Said>) {
    let window = Duration::from_mins(WINDOW_MINUTES);
    let mut due: Vec<(Timestamp, std::net::IpAddr, usize)> = sprays
        .iter()
        .enumerate()
        .filter_map(|(a, sp)| sp.as_ref().map(|sp| (sp.last + window, a)))
        .filter(|(deadline, _)| *deadline <= now)
        .map(|(d, a)| (d, source_order(a), a))
        .collect();
    due.sort();
    for (_, _, a) in due {
        if let Some(sp) = sprays[a].take() {
            close(&sp, out);
        }
    }
}

fn model(steps: &[Step]) -> Vec<Said> {
    let window = Duration::from_mins(WINDOW_MINUTES);
    let mut sprays: Vec<Option<Spray>> = (0..4).map(|_| None).collect();
    let mut out = Vec::new();
    let mut t = start();
    let mut prev: Option<Timestamp> = None;
    for (n, s) in steps.iter().enumerate() {
        t = t + Duration::from_mins(s.minutes);
        // The harness advances to the previous time before each later one.
        if let Some(p) = prev.filter(|p| t > *p) {
            close_quiet(&mut sprays, p, &mut out);
        }
        prev = Some(t);
        let id = format!("e{n}");
        let a = source(s.address);
        match s.what {
            0..=2 => {
                if sprays[a]
                    .as_ref()
                    .is_some_and(|sp| t.since(sp.last) > window)
                {
                    if let Some(sp) = sprays[a].take() {
                        close(&sp, &mut out);
                    }
                }
                let sp = sprays[a].get_or_insert_with(|| Spray {
                    first_id: id.clone(),
                    last: t,
                    identities: BTreeSet::new(),
                    succeeded: BTreeSet::new(),
                    compromised: BTreeSet::new(),
                    reported: None,
                    next_report: MIN_IDENTITIES,
                });
                sp.last = sp.last.max(t);
                sp.identities.insert(s.who);
                let distinct = sp.identities.len();
                let seen = sp.identities.union(&sp.succeeded).count();
                let failing = sp.identities.difference(&sp.succeeded).count() as f64 / seen as f64;
                let report = distinct >= sp.next_report
                    && failing >= MIN_FAILURE_RATIO
                    && distinct >= MIN_IDENTITIES;
                if report {
                    sp.next_report = distinct * 2;
                    let (revision, severity) = match sp.reported {
                        Some((r, sev)) => (r + 1, sev),
                        None if sp.succeeded.is_empty() => (1, Severity::Medium),
                        None => {
                            sp.compromised = sp.succeeded.clone();
                            (1, Severity::High)
                        }
                    };
                    sp.reported = Some((revision, severity));
                    out.push((sp.first_id.clone(), revision, FindingStatus::Open, severity));
                }
            }
            3 => {
                let Some(sp) = sprays[a].as_mut() else {
                    continue;
                };
                if t.since(sp.last) > window {
                    continue;
                }
                sp.succeeded.insert(s.who);
                let Some((revision, _)) = sp.reported else {
                    continue;
                };
                if sp.compromised.insert(s.who) {
                    sp.reported = Some((revision + 1, Severity::High));
                    out.push((
                        sp.first_id.clone(),
                        revision + 1,
                        FindingStatus::Open,
                        Severity::High,
                    ));
                }
            }
            _ => {}
        }
    }
    // The harness's final advance, well past every window.
    close_quiet(&mut sprays, t + Duration::from_days(1), &mut out);
    out
}

fn detector_says(events: &[Event]) -> Vec<Said> {
    let mut d = PasswordSpray::new(PasswordSprayConfig {
        window_minutes: WINDOW_MINUTES,
        min_identities: MIN_IDENTITIES,
        min_failure_ratio: MIN_FAILURE_RATIO,
        ..PasswordSprayConfig::default()
    })
    .unwrap();
    let mut out = Vec::new();
    let mut prev: Option<Timestamp> = None;
    for e in events {
        // As the pipeline's batch mode does: the watermark trails by one distinct time.
        if let Some(p) = prev.filter(|p| e.time > *p) {
            d.advance(p, &mut out);
        }
        prev = Some(e.time);
        d.observe(e, &Context::empty(), &mut out);
    }
    if let Some(p) = prev {
        d.advance(p + Duration::from_days(1), &mut out);
    }
    out.iter().map(said).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_detector_says_what_the_rule_says(steps in proptest::collection::vec(step(), 1..150)) {
        let events = events(&steps);
        prop_assert_eq!(detector_says(&events), model(&steps));
    }
}

#[test]
fn the_model_is_not_trivial() {
    // Three identities fail from one address, then one of them gets in, then it goes quiet.
    let steps: Vec<Step> = [(0, 0), (1, 0), (2, 0), (1, 3)]
        .iter()
        .map(|&(who, what)| Step {
            address: 0,
            who,
            what,
            minutes: 1,
        })
        .collect();
    let expected = vec![
        ("e0".to_owned(), 1, FindingStatus::Open, Severity::Medium),
        ("e0".to_owned(), 2, FindingStatus::Open, Severity::High),
        ("e0".to_owned(), 3, FindingStatus::Closed, Severity::High),
    ];
    assert_eq!(model(&steps), expected);
    assert_eq!(detector_says(&events(&steps)), expected);
}
