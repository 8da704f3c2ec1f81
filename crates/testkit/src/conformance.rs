//! The one conformance suite every detector must pass, as rustls runs one suite against every
//! crypto provider.
//!
//! A [`Conformance`] registers at least one must-fire and one must-stay-quiet case, then
//! [`Conformance::run`] drives fresh detector instances the way the pipeline does — for each
//! event in `(time, source, id)` order: `advance(event.time)` whenever time moves forward, then
//! `observe` with a [`Context`] holding the identity's profile as it was *before* the event (when
//! a profile-store factory was given) and the identity's recent findings, then `learn` — and
//! finally `advance` to a day past the last event. It checks:
//!
//! - (a) every must-fire case yields a finding about its identity at or above its severity, and
//!   every must-stay-quiet case none at or above its threshold (latest revisions);
//! - (b) determinism: two fresh runs emit identical findings in identical order;
//! - (c) no output before its evidence: a finding emitted at event time `t` has
//!   `first_seen <= last_seen <= t`, and every evidence id belongs to an event already observed;
//! - (d) `advance(now)` called a second time with the same `now` emits nothing;
//! - (e) snapshot at several cut points (quarters of the stream, just after the first finding, in
//!   the middle of each labelled story), restore into a fresh instance and continue: the
//!   findings are identical to an uncut run;
//! - (f) no panic, on the registered cases and on generated [`odd_events`] (missing actors,
//!   empty, huge and unicode strings, identical timestamps, extreme but plausible times, every
//!   activity variant, thousands of identities);
//! - (g) for every finding id, revisions start at 1 and rise by exactly 1 in emission order, and
//!   nothing is emitted for an id after its `closed` revision.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use palisade_core::{
    Context, Detector, Finding, FindingRef, FindingStatus, ProfileStore, Severity,
};
use palisade_schema::{
    AccountChange, Activity, ClientSoftware, Duration, Event, Factor, FailureReason, FileAccess,
    FileAccessKind, GeoPoint, Identity, IdentityKey, MailItemsAccessed, MailboxForwarding,
    MailboxRule, MfaDevice, MfaPrompt, Origin, PromptResult, RiskLevel, RuleAction, RuleChange,
    RuleConditions, SignIn, SignInKind, SignInStage, Source, Timestamp,
};

use crate::assert::{concerns, describe, latest_revisions};
use crate::population::{sort_events, Label, Scenario};

/// A stream of events to drive a detector with, and any labels that locate stories in it.
///
/// ```
/// use palisade_testkit::conformance::Case;
/// use palisade_testkit::{generate, AttackKind, PopulationConfig};
/// let case: Case = generate(&PopulationConfig::small(1), &[AttackKind::FraudReport]).into();
/// assert!(!case.events.is_empty() && case.labels.len() == 1);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Shown in failure messages.
    pub name: String,
    /// Events; sorted into `(time, source, id)` order when the case is built.
    pub events: Vec<Event>,
    /// Stories in the stream; the snapshot check cuts inside each.
    pub labels: Vec<Label>,
}

impl Case {
    /// A named case from hand-built events.
    pub fn new(name: impl Into<String>, mut events: Vec<Event>) -> Self {
        sort_events(&mut events);
        Case {
            name: name.into(),
            events,
            labels: Vec::new(),
        }
    }
}

impl From<Scenario> for Case {
    fn from(s: Scenario) -> Self {
        let mut events = s.events;
        sort_events(&mut events);
        Case {
            name: s.name,
            events,
            labels: s.labels,
        }
    }
}

impl From<&Scenario> for Case {
    fn from(s: &Scenario) -> Self {
        Case::from(s.clone())
    }
}

impl From<Vec<Event>> for Case {
    fn from(events: Vec<Event>) -> Self {
        Case::new(format!("{} hand-built events", events.len()), events)
    }
}

/// Which rule a violation broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The suite was set up without a must-fire or a must-stay-quiet case.
    Registration,
    /// (a) A must-fire case produced no finding at the required severity.
    MustFire,
    /// (a) A must-stay-quiet case produced a finding at or above its threshold.
    MustStayQuiet,
    /// (b) Two fresh runs disagreed.
    Determinism,
    /// (c) A finding came before its evidence or named events never observed.
    OutputBeforeEvidence,
    /// (d) A repeated `advance(now)` emitted findings.
    AdvanceNotIdempotent,
    /// (e) Snapshot, restore and continue changed the findings, or failed.
    SnapshotRestore,
    /// (f) The detector panicked.
    Panic,
    /// (g) Revisions did not count up by one, or a closed finding changed.
    Revisions,
}

/// One broken rule, with where and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub check: Check,
    /// The case it broke on.
    pub case: String,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:?}] {}: {}", self.check, self.case, self.detail)
    }
}

struct Expectation {
    case: usize,
    identity: IdentityKey,
    severity: Severity,
}

type StoreFactory = Box<dyn Fn() -> Box<dyn ProfileStore>>;

/// The conformance suite for one detector type.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::*;
/// use palisade_testkit::conformance::{Case, Conformance};
///
/// /// Flags every sign-in the vendor says came through Tor.
/// struct TorSignIn;
/// impl Detector for TorSignIn {
///     fn name(&self) -> &'static str { "tor_sign_in" }
///     fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
///         if e.activity.is_successful_sign_in() && e.vendor_signals.tor == Some(true) {
///             out.push(Finding::new("tor_sign_in", e.identity().cloned(), &e.id, e.time)
///                 .with_severity(Severity::High));
///         }
///     }
/// }
///
/// let t = Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap();
/// let sign_in = |id: &str, tor: bool| {
///     let mut e = Event::new(t, id, Source::Okta,
///         Activity::SignIn(SignIn::success(SignInStage::Primary)))
///         .with_actor(Identity::new("alice@contoso.com"));
///     e.vendor_signals.tor = Some(tor);
///     e
/// };
/// Conformance::new(|| TorSignIn)
///     .must_fire(Case::new("tor", vec![sign_in("e1", true)]), "alice@contoso.com", Severity::High)
///     .must_stay_quiet(Case::new("plain", vec![sign_in("e2", false)]), "alice@contoso.com", Severity::Low)
///     .run();
/// ```
pub struct Conformance<D> {
    make: Box<dyn Fn() -> D>,
    profiles: Option<StoreFactory>,
    cases: Vec<Case>,
    must_fire: Vec<Expectation>,
    must_stay_quiet: Vec<Expectation>,
    odd_events: bool,
}

impl<D: Detector> Conformance<D> {
    /// A suite for detectors made by `make` (called once per run: every run starts fresh).
    pub fn new(make: impl Fn() -> D + 'static) -> Self {
        Conformance {
            make: Box::new(make),
            profiles: None,
            cases: Vec::new(),
            must_fire: Vec::new(),
            must_stay_quiet: Vec::new(),
            odd_events: true,
        }
    }

    /// Gives each run a fresh profile store from `make`, so detectors see a `ProfileView`.
    pub fn profiles(mut self, make: impl Fn() -> Box<dyn ProfileStore> + 'static) -> Self {
        self.profiles = Some(Box::new(make));
        self
    }

    /// Skips the generated odd-events stream (for detectors whose own tests cover it
    /// separately). It runs by default.
    pub fn without_odd_events(mut self) -> Self {
        self.odd_events = false;
        self
    }

    fn case_index(&mut self, case: Case) -> usize {
        if let Some(i) = self.cases.iter().position(|c| *c == case) {
            return i;
        }
        self.cases.push(case);
        self.cases.len() - 1
    }

    /// Requires a finding about `identity` at `min` severity or above after running `case`.
    pub fn must_fire(
        mut self,
        case: impl Into<Case>,
        identity: impl Into<IdentityKey>,
        min: Severity,
    ) -> Self {
        let case = self.case_index(case.into());
        self.must_fire.push(Expectation {
            case,
            identity: identity.into(),
            severity: min,
        });
        self
    }

    /// Requires no finding about `identity` at `below` or above after running `case`.
    pub fn must_stay_quiet(
        mut self,
        case: impl Into<Case>,
        identity: impl Into<IdentityKey>,
        below: Severity,
    ) -> Self {
        let case = self.case_index(case.into());
        self.must_stay_quiet.push(Expectation {
            case,
            identity: identity.into(),
            severity: below,
        });
        self
    }

    /// Runs every check and returns the violations (empty when the detector conforms).
    pub fn check(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        if self.must_fire.is_empty() || self.must_stay_quiet.is_empty() {
            v.push(Violation {
                check: Check::Registration,
                case: "-".into(),
                detail: "register at least one must_fire and one must_stay_quiet case".into(),
            });
            return v;
        }
        for (i, case) in self.cases.iter().enumerate() {
            let Some(base) = self.check_case(case, &mut v) else {
                continue;
            };
            let latest = latest_revisions(&base);
            for e in self.must_fire.iter().filter(|e| e.case == i) {
                let hit = latest
                    .iter()
                    .any(|f| concerns(f, &e.identity) && f.severity >= e.severity);
                if !hit {
                    v.push(Violation {
                        check: Check::MustFire,
                        case: case.name.clone(),
                        detail: format!(
                            "no finding about {} at {} or above; its findings:{}",
                            e.identity,
                            e.severity,
                            listing(latest.iter().filter(|f| concerns(f, &e.identity)))
                        ),
                    });
                }
            }
            for e in self.must_stay_quiet.iter().filter(|e| e.case == i) {
                let loud: Vec<&Finding> = latest
                    .iter()
                    .filter(|f| concerns(f, &e.identity) && f.severity >= e.severity)
                    .collect();
                if !loud.is_empty() {
                    v.push(Violation {
                        check: Check::MustStayQuiet,
                        case: case.name.clone(),
                        detail: format!(
                            "{} finding(s) about {} at {} or above:{}",
                            loud.len(),
                            e.identity,
                            e.severity,
                            listing(loud.into_iter())
                        ),
                    });
                }
            }
        }
        if self.odd_events {
            let odd = Case::new("odd events", odd_events());
            self.check_case(&odd, &mut v);
        }
        v
    }

    /// Runs every check; panics with every violation listed if any rule is broken.
    #[track_caller]
    pub fn run(self) {
        let v = self.check();
        if !v.is_empty() {
            let mut msg = format!(
                "detector failed the conformance suite ({} violations):\n",
                v.len()
            );
            for x in &v {
                msg.push_str(&format!("- {x}\n"));
            }
            panic!("{msg}");
        }
    }

    /// Checks (b)–(g) on one case; returns the baseline findings unless the detector panicked.
    fn check_case(&self, case: &Case, v: &mut Vec<Violation>) -> Option<Vec<Finding>> {
        let mut push = |check: Check, detail: String| {
            v.push(Violation {
                check,
                case: case.name.clone(),
                detail,
            });
        };
        let base = match self.run_once(case, None) {
            Ok(r) => r,
            Err(msg) => {
                push(Check::Panic, format!("panicked: {msg}"));
                return None;
            }
        };
        for (check, detail) in &base.violations {
            push(*check, detail.clone());
        }
        revisions(&base.findings, &mut push);

        match self.run_once(case, None) {
            Ok(again) if again.findings != base.findings => {
                push(
                    Check::Determinism,
                    first_difference(&base.findings, &again.findings),
                );
            }
            Ok(_) => {}
            Err(msg) => push(Check::Panic, format!("panicked on the second run: {msg}")),
        }

        for cut in cut_points(case, &base) {
            match self.run_once(case, Some(cut)) {
                Ok(r) => {
                    if let Some(err) = r.snapshot_error {
                        push(
                            Check::SnapshotRestore,
                            format!("cut after event {cut}: {err}"),
                        );
                    } else if r.findings != base.findings {
                        push(
                            Check::SnapshotRestore,
                            format!(
                                "cut after event {cut} of {}: {}",
                                case.events.len(),
                                first_difference(&base.findings, &r.findings)
                            ),
                        );
                    }
                }
                Err(msg) => push(
                    Check::Panic,
                    format!("panicked when cut after event {cut}: {msg}"),
                ),
            }
        }
        Some(base.findings)
    }

    /// One run over a case; with `cut`, snapshot after that many events and continue in a fresh
    /// instance restored from it.
    fn run_once(&self, case: &Case, cut: Option<usize>) -> Result<RunOutput, String> {
        catch_unwind(AssertUnwindSafe(|| {
            let mut h = Harness {
                det: (self.make)(),
                store: self.profiles.as_ref().map(|f| f()),
                recent: BTreeMap::new(),
                seen: BTreeSet::new(),
                observed: 0,
                now: None,
                out: RunOutput::default(),
            };
            for (i, e) in case.events.iter().enumerate() {
                if cut == Some(i) {
                    h.swap(&self.make);
                }
                h.step(e);
            }
            if cut == Some(case.events.len()) {
                h.swap(&self.make);
            }
            if let Some(last) = case.events.last() {
                h.advance(last.time + Duration::from_days(1));
            }
            h.out
        }))
        .map_err(|p| panic_message(p.as_ref()))
    }
}

#[derive(Default)]
struct RunOutput {
    findings: Vec<Finding>,
    /// How many events had been observed when `observe` first emitted a finding.
    first_finding_at_event: Option<usize>,
    violations: Vec<(Check, String)>,
    snapshot_error: Option<String>,
}

struct Harness<D> {
    det: D,
    store: Option<Box<dyn ProfileStore>>,
    recent: BTreeMap<IdentityKey, Vec<FindingRef>>,
    seen: BTreeSet<String>,
    observed: usize,
    now: Option<Timestamp>,
    out: RunOutput,
}

/// How many recent findings per identity the context holds, and for how long.
const RECENT_CAP: usize = 64;
const RECENT_FOR: Duration = Duration::from_days(7);

impl<D: Detector> Harness<D> {
    fn swap(&mut self, make: &dyn Fn() -> D) {
        let bytes = match self.det.snapshot() {
            Ok(b) => b,
            Err(e) => {
                self.out.snapshot_error = Some(format!("snapshot failed: {e}"));
                return;
            }
        };
        let mut fresh = make();
        match fresh.restore(&bytes) {
            Ok(()) => self.det = fresh,
            Err(e) => self.out.snapshot_error = Some(format!("restore failed: {e}")),
        }
    }

    fn step(&mut self, e: &Event) {
        if self.now.is_none_or(|n| e.time > n) {
            self.advance(e.time);
        }
        self.seen.insert(e.id.clone());
        self.observed += 1;
        let mut buf = Vec::new();
        {
            let identity = e.identity();
            let profile = match (&self.store, identity) {
                (Some(s), Some(k)) => s.view(k),
                _ => None,
            };
            let recent = identity
                .and_then(|k| self.recent.get(k))
                .map_or(&[][..], Vec::as_slice);
            let ctx = Context {
                profile,
                recent,
                late: false,
                watermark: self.now,
            };
            self.det.observe(e, &ctx, &mut buf);
        }
        if !buf.is_empty() && self.out.first_finding_at_event.is_none() {
            self.out.first_finding_at_event = Some(self.observed);
        }
        self.accept(
            buf,
            e.time,
            &format!("observing event {} at {}", e.id, e.time),
        );
        if let Some(s) = &mut self.store {
            s.learn(e);
        }
    }

    fn advance(&mut self, now: Timestamp) {
        let mut buf = Vec::new();
        self.det.advance(now, &mut buf);
        self.accept(buf, now, &format!("advance({now})"));
        let mut again = Vec::new();
        self.det.advance(now, &mut again);
        if !again.is_empty() {
            self.out.violations.push((
                Check::AdvanceNotIdempotent,
                format!(
                    "a second advance({now}) emitted {} finding(s):{}",
                    again.len(),
                    listing(again.iter())
                ),
            ));
        }
        self.accept(again, now, &format!("second advance({now})"));
        self.now = Some(now);
    }

    fn accept(&mut self, buf: Vec<Finding>, t: Timestamp, during: &str) {
        for f in buf {
            if f.last_seen > t || f.first_seen > f.last_seen {
                self.out.violations.push((
                    Check::OutputBeforeEvidence,
                    format!(
                        "while {during}: finding spans {}..{} (must end at or before {t}): {}",
                        f.first_seen,
                        f.last_seen,
                        describe(&f)
                    ),
                ));
            }
            if let Some(missing) = f
                .evidence
                .event_ids
                .iter()
                .find(|id| !self.seen.contains(*id))
            {
                self.out.violations.push((
                    Check::OutputBeforeEvidence,
                    format!(
                        "while {during}: evidence {missing:?} was not observed yet: {}",
                        describe(&f)
                    ),
                ));
            }
            self.remember(&f, t);
            self.out.findings.push(f);
        }
    }

    fn remember(&mut self, f: &Finding, now: Timestamp) {
        let mut who: Vec<&IdentityKey> = f.identity.iter().collect();
        who.extend(f.identities.iter());
        for k in who {
            let list = self.recent.entry(k.clone()).or_default();
            list.retain(|r| r.id != f.id && r.last_seen + RECENT_FOR >= now);
            list.push(f.as_ref());
            if list.len() > RECENT_CAP {
                list.remove(0);
            }
        }
    }
}

fn listing<'a>(findings: impl Iterator<Item = &'a Finding>) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str("\n    ");
        s.push_str(&describe(f));
    }
    if s.is_empty() {
        s.push_str(" none");
    }
    s
}

fn first_difference(a: &[Finding], b: &[Finding]) -> String {
    let i = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |f: Option<&Finding>| f.map_or("(nothing)".to_owned(), describe);
    format!(
        "{} vs {} findings; first difference at #{i}:\n    expected {}\n    got      {}",
        a.len(),
        b.len(),
        show(a.get(i)),
        show(b.get(i))
    )
}

fn revisions(findings: &[Finding], push: &mut impl FnMut(Check, String)) {
    let mut last: BTreeMap<&str, (u32, FindingStatus)> = BTreeMap::new();
    for f in findings {
        let expected = match last.get(f.id.as_str()) {
            None => 1,
            Some((_, FindingStatus::Closed)) => {
                push(
                    Check::Revisions,
                    format!("emitted after it was closed: {}", describe(f)),
                );
                continue;
            }
            Some((r, _)) => r + 1,
        };
        if f.revision != expected {
            push(
                Check::Revisions,
                format!(
                    "revision {} where {expected} was due: {}",
                    f.revision,
                    describe(f)
                ),
            );
        }
        last.insert(f.id.as_str(), (f.revision, f.status));
    }
}

/// Where to cut for the snapshot check: quarters of the stream, the end (before the final
/// `advance`), just after the first finding, and the middle of every labelled story.
fn cut_points(case: &Case, base: &RunOutput) -> Vec<usize> {
    let n = case.events.len();
    let mut cuts = BTreeSet::new();
    for q in 1..4 {
        cuts.insert(n * q / 4);
    }
    cuts.insert(n);
    if let Some(i) = base.first_finding_at_event {
        cuts.insert(i.min(n));
    }
    for l in &case.labels {
        let mid = &l.evidence[l.evidence.len() / 2..];
        if let Some(id) = mid.first() {
            if let Some(i) = case.events.iter().position(|e| &e.id == id) {
                cuts.insert(i + 1);
            }
        }
    }
    cuts.into_iter().filter(|&c| c > 0).take(10).collect()
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// Events built to break careless detectors, in `(time, source, id)` order: missing and empty
/// actors, look-alike, invisible and right-to-left identities, 200 KB strings, coordinates at the
/// poles and the antimeridian, identical timestamps and duplicate ids, the earliest and latest
/// plausible times, every activity variant, and thousands of identities failing from one IP.
///
/// ```
/// let events = palisade_testkit::conformance::odd_events();
/// assert!(events.len() > 3000);
/// assert!(events.iter().any(|e| e.actor.is_none()));
/// ```
pub fn odd_events() -> Vec<Event> {
    let t = Timestamp::from_millis_unchecked(1_717_200_000_000); // 2024-06-01T00:00:00Z
    let mut events = Vec::new();
    let mut n = 0u32;
    let mut next_id = || {
        n += 1;
        format!("odd-{n:06}")
    };
    // Odd-sized strings are moderate in the bulk of the stream; the truly huge ones (100 KB)
    // appear in a small section of their own, so the stream stays a few megabytes.
    let huge = "\u{fdfd}A\u{0}".repeat(700);
    let giant = "A".repeat(100_000);
    let weird_names = [
        "",
        "   ",
        "\u{430}lice@contoso.com",
        "\u{30e6}\u{30fc}\u{30b6}\u{30fc}@\u{4f8b}\u{3048}.jp",
        "user\u{200b}@contoso.com",
        "\u{1f600}@contoso.com",
        "\u{202e}moc.osotnoc@eci\u{43b}a",
        "a\u{301}\u{302}\u{303}\u{304}@x",
        "no-at-sign",
        "@",
        "trailing@",
    ];

    let mut every: Vec<Activity> = Vec::new();
    let reasons = [
        FailureReason::BadPassword,
        FailureReason::UnknownUser,
        FailureReason::MfaRequired,
        FailureReason::MfaDenied,
        FailureReason::MfaTimeout,
        FailureReason::MfaFraudReported,
        FailureReason::MfaFailed,
        FailureReason::Locked,
        FailureReason::PolicyBlocked,
        FailureReason::Other(String::new()),
        FailureReason::Other(huge.clone()),
    ];
    for stage in [SignInStage::Primary, SignInStage::Mfa, SignInStage::Sso] {
        every.push(Activity::SignIn(SignIn::success(stage)));
        for r in &reasons {
            let mut s = SignIn::failure(stage, r.clone());
            s.app = Some(String::new());
            s.mfa_satisfied = Some(false);
            every.push(Activity::SignIn(s));
        }
    }
    let factors = [
        Factor::Push,
        Factor::Sms,
        Factor::Voice,
        Factor::Totp,
        Factor::WebAuthn,
        Factor::Email,
        Factor::Other,
    ];
    let results = [
        PromptResult::Sent,
        PromptResult::Approved,
        PromptResult::Denied,
        PromptResult::TimedOut,
        PromptResult::FraudReported,
        PromptResult::Failed,
    ];
    for factor in factors {
        for result in results {
            every.push(Activity::MfaPrompt(MfaPrompt { factor, result }));
        }
    }
    every.push(Activity::SessionStart);
    every.push(Activity::SessionRevoke);
    for change in [RuleChange::Create, RuleChange::Modify, RuleChange::Delete] {
        for name in [
            None,
            Some(String::new()),
            Some(".".into()),
            Some(huge.clone()),
        ] {
            every.push(Activity::MailboxRule(MailboxRule {
                change,
                mailbox: Some(String::new()),
                name,
                conditions: RuleConditions {
                    from: vec![String::new(), "\u{202e}x@y".into()],
                    subject_contains: vec![huge.clone()],
                    body_contains: vec!["\u{0}".into()],
                    sent_to: vec!["@".into()],
                    unknown: true,
                },
                actions: vec![
                    RuleAction::MoveToFolder(String::new()),
                    RuleAction::CopyToFolder("RSS Feeds".into()),
                    RuleAction::MarkAsRead,
                    RuleAction::Delete,
                    RuleAction::PermanentDelete,
                    RuleAction::ForwardTo(String::new()),
                    RuleAction::ForwardAsAttachmentTo("x@".into()),
                    RuleAction::RedirectTo("\u{ff0e}@\u{3002}".into()),
                    RuleAction::StopProcessingRules,
                ],
            }));
        }
        every.push(Activity::MailboxRule(MailboxRule {
            change,
            ..MailboxRule::default()
        }));
    }
    for forward_to in [
        None,
        Some(String::new()),
        Some("x@evil.example".into()),
        Some(huge.clone()),
    ] {
        every.push(Activity::MailboxForwarding(MailboxForwarding {
            mailbox: None,
            forward_to,
            keep_copy: Some(false),
        }));
    }
    every.push(Activity::MailItemsAccessed(MailItemsAccessed {
        mailbox: None,
        count: Some(u64::MAX),
        folders: vec![String::new(); 3],
    }));
    every.push(Activity::MailItemsAccessed(MailItemsAccessed::default()));
    for how in [
        FileAccessKind::Accessed,
        FileAccessKind::Previewed,
        FileAccessKind::Downloaded,
    ] {
        every.push(Activity::FileAccess(FileAccess { how, object: None }));
        every.push(Activity::FileAccess(FileAccess {
            how,
            object: Some(huge.clone()),
        }));
    }
    for c in [
        AccountChange::MfaFactorEnrolled { factor: None },
        AccountChange::MfaFactorEnrolled {
            factor: Some(Factor::Push),
        },
        AccountChange::MfaFactorRemoved {
            factor: Some(Factor::WebAuthn),
        },
        AccountChange::MfaFactorsReset,
        AccountChange::PasswordChanged,
        AccountChange::PasswordReset,
        AccountChange::RoleGranted {
            role: Some(String::new()),
        },
        AccountChange::RoleGranted { role: None },
    ] {
        every.push(Activity::AccountChange(c));
    }
    every.push(Activity::Other {
        name: String::new(),
    });
    every.push(Activity::Other { name: huge.clone() });

    let origins = odd_origins(&huge);
    let giant_origin = Origin {
        city: Some(giant.clone()),
        user_agent: Some(giant.clone()),
        session_id: Some(giant.clone()),
        device_id: Some(giant.clone()),
        ..origins[1].clone()
    };
    let sources = [
        Source::Okta,
        Source::Entra,
        Source::M365,
        Source::GoogleWorkspace,
        Source::Duo,
        Source::CloudTrail,
        Source::Ocsf,
        Source::Custom,
    ];
    let kinds = [
        None,
        Some(SignInKind::Interactive),
        Some(SignInKind::NonInteractive),
        Some(SignInKind::ServicePrincipal),
    ];

    // Every activity, for every odd identity (and none), at identical timestamps.
    for (i, activity) in every.iter().enumerate() {
        for (j, name) in weird_names.iter().enumerate() {
            let mut e = Event::new(
                t,
                next_id(),
                sources[(i + j) % sources.len()],
                activity.clone(),
            );
            e.actor = (j % 4 != 3).then(|| Identity::new(name));
            if j % 5 == 1 {
                e.subject = Some(Identity::new("victim@contoso.com").with_vendor_id(""));
            }
            e.origin = origins[(i + j) % origins.len()].clone();
            e.correlation_id = match j % 3 {
                0 => None,
                1 => Some(String::new()),
                _ => Some("same-correlation".into()),
            };
            e.sign_in_kind = kinds[(i + j) % kinds.len()];
            if j % 2 == 0 {
                e.mfa_device = Some(MfaDevice {
                    id: Some(String::new()),
                    name: Some("\u{202e}".into()),
                    ip: Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                    geo: GeoPoint::new(-90.0, -180.0, Some(0.0)),
                    country: Some("ZZ".into()),
                });
                e.vendor_signals.tor = Some(true);
                e.vendor_signals.anonymous_proxy = Some(true);
                e.vendor_signals.risk_level = Some(RiskLevel::High);
                e.vendor_signals.behaviors = vec![String::new(); 2];
            }
            e.tenant = Some(String::new());
            events.push(e);
        }
    }
    // A few events made of 100 KB strings.
    for activity in every.iter().step_by(9) {
        let mut e = Event::new(t, next_id(), Source::M365, activity.clone())
            .with_actor(Identity::new(&giant))
            .with_origin(giant_origin.clone());
        e.correlation_id = Some(giant.clone());
        events.push(e);
    }
    // Duplicate ids: the pipeline drops duplicates, but a detector must not depend on it.
    for _ in 0..3 {
        let e = Event::new(
            t,
            "odd-duplicate",
            Source::Okta,
            Activity::MfaPrompt(MfaPrompt {
                factor: Factor::Push,
                result: PromptResult::Denied,
            }),
        )
        .with_actor(Identity::new("dup@contoso.com"));
        events.push(e);
    }
    // A flood of prompts for one identity within one second.
    for i in 0..500 {
        let result = results[i % results.len()];
        let mut e = Event::new(
            t + Duration::from_millis(1_000 + i as i64 * 2),
            next_id(),
            Source::Duo,
            Activity::MfaPrompt(MfaPrompt {
                factor: Factor::Push,
                result,
            }),
        )
        .with_actor(Identity::new("flooded@contoso.com"));
        e.correlation_id = Some(format!("c{}", i / 2));
        events.push(e);
    }
    // Thousands of identities failing from one IP, and hundreds succeeding from it.
    let ip = IpAddr::V4(Ipv4Addr::new(185, 220, 101, 1));
    for i in 0..3_000i64 {
        let activity = if i % 6 == 0 {
            Activity::SignIn(SignIn::success(SignInStage::Primary))
        } else {
            Activity::SignIn(SignIn::failure(
                SignInStage::Primary,
                FailureReason::BadPassword,
            ))
        };
        let e = Event::new(
            t + Duration::from_secs(10 + i / 10),
            next_id(),
            Source::Entra,
            activity,
        )
        .with_actor(Identity::new(&format!("user{i}@contoso.com")))
        .with_origin(Origin {
            ip: Some(ip),
            asn: Some(0),
            ..Origin::default()
        });
        events.push(e);
    }
    // One identity signing in daily for 90 days from alternating ends of the Earth.
    for d in 0..90i64 {
        let o = &origins[(d as usize) % 3];
        let e = Event::new(
            t + Duration::from_days(d) + Duration::from_hours(1),
            next_id(),
            Source::Okta,
            Activity::SignIn(SignIn::success(SignInStage::Primary)),
        )
        .with_actor(Identity::new("longlived@contoso.com"))
        .with_origin(o.clone());
        events.push(e);
    }
    // The earliest and the latest plausible times.
    for (at, who) in [
        (Timestamp::MIN_PLAUSIBLE, "early@contoso.com"),
        (
            Timestamp::MAX_PLAUSIBLE - Duration::from_hours(1),
            "late@contoso.com",
        ),
    ] {
        for activity in every.iter().take(20) {
            let e = Event::new(at, next_id(), Source::Okta, activity.clone())
                .with_actor(Identity::new(who))
                .with_origin(origins[0].clone());
            events.push(e);
        }
    }
    sort_events(&mut events);
    events
}

fn odd_origins(huge: &str) -> Vec<Origin> {
    vec![
        Origin {
            ip: Some(IpAddr::V4(Ipv4Addr::new(1, 129, 7, 9))),
            geo: GeoPoint::new(90.0, 180.0, Some(0.0)),
            country: Some("AU".into()),
            city: Some("Sydney".into()),
            asn: Some(u32::MAX),
            ..Origin::default()
        },
        Origin {
            ip: Some(IpAddr::V6(Ipv6Addr::new(0x2a01, 0x598, 0, 0, 0, 0, 0, 1))),
            geo: GeoPoint::new(-90.0, -180.0, Some(20_000.0)),
            country: Some(String::new()),
            city: Some(huge.to_owned()),
            region: Some("\u{202e}".into()),
            asn: Some(0),
            as_org: Some(String::new()),
            user_agent: Some(huge.to_owned()),
            client: ClientSoftware::new(Some(huge), Some("\u{202e}")),
            device_id: Some(String::new()),
            session_id: Some(huge.to_owned()),
        },
        Origin {
            ip: Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            geo: GeoPoint::new(0.0, 0.0, None),
            country: Some("\u{1f1e6}\u{1f1fa}".into()),
            user_agent: Some(String::new()),
            ..Origin::default()
        },
        Origin {
            ip: Some(IpAddr::V4(Ipv4Addr::BROADCAST)),
            geo: GeoPoint::new(-33.8688, 179.9999, Some(f32::MAX)),
            ..Origin::default()
        },
        Origin::default(),
    ]
}
