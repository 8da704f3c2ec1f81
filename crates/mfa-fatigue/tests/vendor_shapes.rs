//! Logs in, findings out: generated populations (benign people and attack stories together) are
//! written in each identity provider's own log shape by the testkit's writers, read back through
//! `palisade-ingest`'s adapters, and run through one detector with one configuration. Every
//! labelled user must come out as the story says, over 20 seeds, in every vendor shape that
//! carries prompts (Okta, Entra ID, Duo, Google Workspace).
//!
//! What each shape can express, as the writers (and the vendors) log it:
//! - Okta logs every push sent, its denial or fraud report, and the MFA step's outcome: all
//!   six stories are visible.
//! - Entra ID logs sign-ins, not pushes: a refused or timed-out push is the 500121 step, a
//!   fraud report its own status. A push nobody answered and no sign-in step followed leaves
//!   no record, so "ignored prompts, then approval" is invisible (only the approval is logged).
//! - Duo logs one authentication record per answered or timed-out push, so the same story is
//!   invisible there too.
//! - Google Workspace logs each push as a `login_challenge` (`google_prompt`) that passed or
//!   failed: it never says "denied" or "reported as fraud", and logs nothing for a push left
//!   without a step. Bursts of failed challenges are caught (a failed push challenge counts as
//!   refused); a lone fraud report is one failed challenge, below any threshold; ignored
//!   prompts are invisible.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use palisade_core::{stable_hash, Context, Detector, Finding, Severity};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::{
    Activity, Duration, Event, FailureReason, IdentityKey, MfaDevice, MfaPrompt, Outcome,
    PromptResult, SignIn, SignInStage, Source, Timestamp,
};
use palisade_testkit::population::{sort_events, Archetype};
use palisade_testkit::shapes::{export, read_back};
use palisade_testkit::{generate, AttackKind, PopulationConfig, Scenario};

/// Twenty seeds by default; `PALISADE_SEEDS=0..2000` sweeps more.
fn seeds() -> std::ops::Range<u64> {
    palisade_testkit::seeds(0..20)
}

const STORIES: [AttackKind; 4] = [
    AttackKind::PushBombing,
    AttackKind::PushBurstNoApproval,
    AttackKind::IgnoredPromptsThenApproval,
    AttackKind::FraudReport,
];

/// What must come out for one user: `None` for no finding at all, else the range the finding's
/// last severity must fall in (and exactly one finding).
type Expect = Option<(Severity, Severity)>;

const NOTHING: Expect = None;
const CRITICAL: Expect = Some((Severity::Critical, Severity::Critical));
const HIGH: Expect = Some((Severity::High, Severity::High));
/// A burst with no approval: medium, or high when large, long or from an unfamiliar origin.
const BURST: Expect = Some((Severity::Medium, Severity::High));

fn expect(idp: Source, kind: AttackKind) -> Expect {
    match (kind, idp) {
        (AttackKind::PushBombing, _) => CRITICAL,
        (AttackKind::PushBurstNoApproval, _) => BURST,
        (AttackKind::IgnoredPromptsThenApproval, Source::Okta) => CRITICAL,
        // No record of a push nobody answered (see the module comment).
        (AttackKind::IgnoredPromptsThenApproval, _) => NOTHING,
        (AttackKind::FraudReport, Source::GoogleWorkspace) => NOTHING,
        (AttackKind::FraudReport, _) => HIGH,
        (k, _) => panic!("no expectation for {k:?}"),
    }
}

/// Adds a burst of four denied pushes from the attacker's origin that straddles a ten-minute
/// clock boundary (two prompts before it, two after, 4.5 minutes in all) for a benign push
/// user who is quiet for hours around it. Rule engines with tumbling windows see two and two;
/// a sliding window sees four, a medium burst. The events are copies of the scenario's own
/// push-burst events (so every writer knows their shape) with new ids, times and transaction
/// ids. Returns the user.
fn add_straddling_burst(s: &mut Scenario, seed: u64) -> IdentityKey {
    let label = s
        .labels
        .iter()
        .find(|l| l.kind == AttackKind::PushBurstNoApproval)
        .expect("a push burst story")
        .clone();
    let by_id: BTreeMap<&str, &Event> = s.events.iter().map(|e| (e.id.as_str(), e)).collect();
    let story: Vec<&Event> = label
        .evidence
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).copied())
        .collect();
    let sent = story
        .iter()
        .find(|e| matches!(&e.activity, Activity::MfaPrompt(p) if p.result == PromptResult::Sent))
        .expect("a push sent")
        .to_owned()
        .clone();
    let answer = story
        .iter()
        .find(|e| matches!(&e.activity, Activity::MfaPrompt(p) if p.result != PromptResult::Sent))
        .expect("a push answer")
        .to_owned()
        .clone();
    let step = story
        .iter()
        .find(|e| matches!(&e.activity, Activity::SignIn(si) if si.stage == SignInStage::Mfa))
        .expect("an MFA step")
        .to_owned()
        .clone();

    // A benign push user with a phone on record, not part of any story.
    let phone_of = |who: &IdentityKey| -> Option<MfaDevice> {
        s.events_of(who).find_map(|e| e.mfa_device.clone())
    };
    let candidates: Vec<(IdentityKey, MfaDevice)> = s
        .personas
        .iter()
        .filter(|p| p.push_mfa && p.archetype == Archetype::OfficeWorker)
        .filter(|p| !s.is_attacked(&p.identity))
        .filter_map(|p| Some((p.identity.clone(), phone_of(&p.identity)?)))
        .collect();
    assert!(!candidates.is_empty(), "seed {seed}: no benign push user");
    let (who, phone) = candidates[seed as usize % candidates.len()].clone();

    // A ten-minute boundary in the last days with none of the user's events within 3 hours.
    let (first, last) = s.span().unwrap();
    let times: Vec<i64> = s.events_of(&who).map(|e| e.time.as_millis()).collect();
    let quiet = |t: i64| times.iter().all(|&u| (u - t).abs() > 3 * 3_600_000);
    let ten = 600_000;
    let mut edge = (last.as_millis() - 86_400_000).div_euclid(ten) * ten;
    while !quiet(edge) {
        edge -= ten;
        assert!(edge > first.as_millis(), "seed {seed}: no quiet time");
    }

    // The user as their own events name them (login, vendor user id).
    let actor = s.events_of(&who).find_map(|e| e.actor.clone());
    assert!(actor.is_some());
    let new_id = |n: u64, part: &str| {
        let h = stable_hash(&[&seed.to_string(), &n.to_string(), part, "straddle"]);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xfff,
            0x8000 | (h.rotate_left(17) & 0x3fff),
            h.rotate_left(29) & 0xffff_ffff_ffff
        )
    };
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let txn = |n: u64| -> String {
        let mut h = stable_hash(&[&seed.to_string(), &n.to_string(), "straddle-txn"]);
        (0..27)
            .map(|i| {
                if i % 10 == 9 {
                    h = h.rotate_left(23).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                }
                let c = BASE62[(h % 62) as usize] as char;
                h /= 62;
                c
            })
            .collect()
    };
    let mut added = Vec::new();
    for (n, offset_s) in [-150i64, -60, 30, 120].into_iter().enumerate() {
        let n = n as u64;
        let t = Timestamp::from_millis_unchecked(edge + offset_s * 1000);
        let corr = Some(txn(n));
        let mut e = sent.clone();
        e.time = t;
        e.id = new_id(n, "sent");
        e.actor = actor.clone();
        e.correlation_id = corr.clone();
        added.push(e);

        let mut a = answer.clone();
        a.time = t + Duration::from_secs(8);
        a.id = new_id(n, "answer");
        a.actor = actor.clone();
        a.correlation_id = corr.clone();
        if let Activity::MfaPrompt(MfaPrompt { result, .. }) = &mut a.activity {
            *result = PromptResult::Denied;
        }
        a.mfa_device = Some(phone.clone());
        added.push(a);

        let mut st = step.clone();
        st.time = t + Duration::from_secs(9);
        st.id = new_id(n, "step");
        st.actor = actor.clone();
        st.correlation_id = corr;
        if let Activity::SignIn(SignIn { outcome, .. }) = &mut st.activity {
            *outcome = Outcome::Failure {
                reason: FailureReason::MfaDenied,
            };
        }
        added.push(st);
    }
    s.events.extend(added);
    sort_events(&mut s.events);
    who
}

/// Writes the scenario as the tenant's logs (`idp` for sign-ins and prompts, Microsoft 365 for
/// mail), reads every file back through the ingest adapters, and returns the events in the
/// pipeline's order.
fn logs_round_trip(s: &Scenario, idp: Source) -> Vec<Event> {
    let exported = export(s, idp, Source::M365);
    let mut events = Vec::new();
    for (name, text) in &exported.files {
        events.extend(read_back(name, text).unwrap_or_else(|p| panic!("{name}: {p:?}")));
    }
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    events
}

/// Drives the detector the way the pipeline does, with a one-minute allowed lateness.
fn detect(events: &[Event]) -> Vec<Finding> {
    let mut d = MfaFatigue::default();
    let mut out = Vec::new();
    for e in events {
        d.advance(e.time - Duration::from_mins(1), &mut out);
        d.observe(e, &Context::empty(), &mut out);
    }
    if let Some(last) = events.last() {
        d.advance(last.time + Duration::from_days(1), &mut out);
    }
    out
}

/// Each identity's findings, at their last revision.
fn last_revisions(findings: &[Finding]) -> BTreeMap<IdentityKey, Vec<Finding>> {
    let mut latest: BTreeMap<String, Finding> = BTreeMap::new();
    for f in findings {
        latest.insert(f.id.to_string(), f.clone());
    }
    let mut by_user: BTreeMap<IdentityKey, Vec<Finding>> = BTreeMap::new();
    for f in latest.into_values() {
        by_user
            .entry(f.identity.clone().expect("about one identity"))
            .or_default()
            .push(f);
    }
    by_user
}

fn check(idp: Source) {
    let (mut caught, mut missed_push_users) = (0, 0);
    for seed in seeds() {
        let cfg = PopulationConfig {
            idp,
            ..PopulationConfig::small(seed)
        };
        let mut s = generate(&cfg, &STORIES);
        assert_eq!(
            s.labels.len(),
            STORIES.len(),
            "seed {seed}: every story placed"
        );
        let straddler = add_straddling_burst(&mut s, seed);

        let events = logs_round_trip(&s, idp);
        assert!(
            events.iter().any(|e| e.source == idp),
            "seed {seed}: nothing read back from {idp}"
        );
        let findings = detect(&events);
        let mut found = last_revisions(&findings);

        let mut want: Vec<(IdentityKey, &str, Expect)> = s
            .labels
            .iter()
            .map(|l| (l.primary.clone(), l.kind.as_str(), expect(idp, l.kind)))
            .collect();
        want.push((straddler, "straddles_window_edge", BURST));
        for p in s.benign(Archetype::MissedPush) {
            // Misses one or two pushes, then approves: nothing.
            want.push((p.identity.clone(), "missed_push (benign)", NOTHING));
            missed_push_users += 1;
        }
        for (who, story, expected) in want {
            let got = found.remove(&who).unwrap_or_default();
            let ctx = || {
                format!(
                    "{idp}, seed {seed}, {story}, {}: {:#?}",
                    who.as_str(),
                    got.iter()
                        .map(|f| (f.severity, f.summary.as_str()))
                        .collect::<Vec<_>>()
                )
            };
            match expected {
                None => assert!(got.is_empty(), "expected nothing: {}", ctx()),
                Some((lo, hi)) => {
                    assert_eq!(got.len(), 1, "expected one finding: {}", ctx());
                    let sev = got[0].severity;
                    assert!(lo <= sev && sev <= hi, "expected {lo}..={hi}: {}", ctx());
                    caught += 1;
                }
            }
        }
        // Everyone else is benign and stays quiet.
        assert!(
            found.is_empty(),
            "{idp}, seed {seed}: findings about benign users: {:#?}",
            found
                .values()
                .flatten()
                .map(|f| (
                    f.identity.as_ref().map(IdentityKey::as_str),
                    f.severity,
                    f.summary.as_str()
                ))
                .collect::<Vec<_>>()
        );
    }
    assert!(caught >= 2 * seeds().count(), "{idp}: only {caught} caught");
    assert!(
        missed_push_users >= seeds().count(),
        "{idp}: too few benign missed pushes"
    );
}

#[test]
fn okta_system_log() {
    check(Source::Okta);
}

#[test]
fn entra_sign_in_logs() {
    check(Source::Entra);
}

#[test]
fn duo_authentication_log() {
    check(Source::Duo);
}

#[test]
fn google_workspace_login_audit() {
    check(Source::GoogleWorkspace);
}
