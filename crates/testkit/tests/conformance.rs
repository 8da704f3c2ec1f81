//! The conformance suite passes a well-behaved toy detector and catches every kind of broken one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use palisade_core::{Context, Detector, Error, Finding, FindingStatus, Severity, Technique};
use palisade_schema::{Activity, Duration, Event, Timestamp};
use palisade_testkit::conformance::{Case, Check, Conformance};
use palisade_testkit::population::{generate, Archetype, AttackKind, PopulationConfig, Scenario};

/// Toy detector: two or more failed sign-ins (any stage) within an hour, then a success.
/// One finding per run of failures: re-emitted with `revision + 1` when more successes follow,
/// closed when the hour runs out.
#[derive(Default)]
struct FailedThenSuccess {
    /// Per identity: recent failures (time, event id) and the open finding, if any.
    state: BTreeMap<String, Track>,
    /// Whether snapshots carry the state (a broken variant forgets it).
    snapshots: bool,
    /// No state expires before this time (ms); derived, so not snapshotted (0 = scan now).
    due: i64,
}

#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct Track {
    failures: Vec<(i64, String)>,
    open: Option<String>,
}

const WINDOW: Duration = Duration::from_hours(1);

impl FailedThenSuccess {
    fn new() -> Self {
        FailedThenSuccess {
            state: BTreeMap::new(),
            snapshots: true,
            due: 0,
        }
    }
}

// The open finding is kept serialized so snapshots stay simple.
fn load(json: &str) -> Finding {
    serde_json::from_str(json).expect("own finding")
}

impl Detector for FailedThenSuccess {
    fn name(&self) -> &'static str {
        "failed_then_success"
    }

    fn observe(&mut self, e: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(who) = e.identity() else { return };
        let track = self.state.entry(who.as_str().to_owned()).or_default();
        let cutoff = (e.time - WINDOW).as_millis();
        track.failures.retain(|(t, _)| *t >= cutoff);
        self.due = self.due.min(e.time.as_millis() + WINDOW.as_millis());
        if e.activity.is_failed_sign_in() {
            track.failures.push((e.time.as_millis(), e.id.clone()));
            track.failures.truncate(50);
        } else if e.activity.is_successful_sign_in() && track.failures.len() >= 2 {
            let f = match track.open.as_deref().map(load) {
                Some(prev) => {
                    let mut f = prev.next_revision();
                    f.last_seen = e.time;
                    f.evidence.push(e.id.clone());
                    f
                }
                None => {
                    let mut f = Finding::new(
                        "failed_then_success",
                        Some(who.clone()),
                        &track.failures[0].1,
                        e.time,
                    )
                    .with_severity(Severity::Medium)
                    .with_technique(Technique::ValidCloudAccounts)
                    .with_summary(format!(
                        "{} failed sign-ins then a success",
                        track.failures.len()
                    ));
                    f.first_seen = Timestamp::from_millis_unchecked(track.failures[0].0);
                    for (_, id) in &track.failures[1..] {
                        f.evidence.push(id.clone());
                    }
                    f.evidence.push(e.id.clone());
                    f.entities.add_origin_of(e);
                    f
                }
            };
            track.open = Some(serde_json::to_string(&f).unwrap());
            out.push(f);
        }
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        if now.as_millis() < self.due {
            return;
        }
        for track in self.state.values_mut() {
            let Some(json) = &track.open else { continue };
            let f = load(json);
            if f.last_seen + WINDOW <= now {
                let mut closed = f.next_revision();
                closed.status = FindingStatus::Closed;
                out.push(closed);
                track.open = None;
            }
        }
        let cutoff = (now - WINDOW).as_millis();
        self.state.retain(|_, t| {
            t.failures.retain(|(at, _)| *at >= cutoff);
            !t.failures.is_empty() || t.open.is_some()
        });
        self.due = self
            .state
            .values()
            .flat_map(|t| {
                let open = t
                    .open
                    .as_deref()
                    .map(|j| (load(j).last_seen + WINDOW).as_millis());
                t.failures
                    .iter()
                    .map(|(at, _)| at + WINDOW.as_millis())
                    .chain(open)
            })
            .min()
            .unwrap_or(i64::MAX);
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        if !self.snapshots {
            return Ok(Vec::new());
        }
        serde_json::to_vec(&self.state).map_err(|e| Error::Snapshot {
            component: self.name().into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if !self.snapshots || bytes.is_empty() {
            return Ok(());
        }
        self.state =
            serde_json::from_slice(bytes).map_err(|e| Error::CorruptSnapshot(e.to_string()))?;
        Ok(())
    }
}

fn scenario() -> Scenario {
    generate(&PopulationConfig::small(21), &[AttackKind::ReferenceCase])
}

fn quiet_identity(s: &Scenario) -> palisade_schema::IdentityKey {
    s.benign(Archetype::Traveller)
        .next()
        .expect("a traveller")
        .identity
        .clone()
}

fn suite<D: Detector>(make: impl Fn() -> D + 'static) -> Conformance<D> {
    let s = scenario();
    let victim = s.labels[0].primary.clone();
    let quiet = quiet_identity(&s);
    Conformance::new(make)
        .must_fire(&s, victim, Severity::Medium)
        .must_stay_quiet(&s, quiet, Severity::Low)
}

fn checks(v: &[palisade_testkit::conformance::Violation]) -> Vec<Check> {
    let mut c: Vec<Check> = v.iter().map(|x| x.check).collect();
    c.sort();
    c.dedup();
    c
}

#[test]
fn toy_detector_passes() {
    suite(FailedThenSuccess::new).run();
}

#[test]
fn toy_detector_passes_with_a_profile_store() {
    suite(FailedThenSuccess::new)
        .profiles(|| Box::new(palisade_core::NoProfiles))
        .run();
}

#[test]
#[should_panic(expected = "register at least one must_fire and one must_stay_quiet")]
fn a_suite_needs_both_kinds_of_case() {
    let s = scenario();
    Conformance::new(FailedThenSuccess::new)
        .must_fire(&s, s.labels[0].primary.clone(), Severity::Medium)
        .run();
}

#[test]
fn missing_finding_and_loud_quiet_case_are_reported() {
    let s = scenario();
    let quiet = quiet_identity(&s);
    let v = Conformance::new(FailedThenSuccess::new)
        .must_fire(&s, quiet.clone(), Severity::Medium)
        .must_stay_quiet(&s, s.labels[0].primary.clone(), Severity::Medium)
        .without_odd_events()
        .check();
    assert_eq!(
        checks(&v),
        vec![Check::MustFire, Check::MustStayQuiet],
        "{v:#?}"
    );
    assert!(v[0].detail.contains(quiet.as_str()));
}

static INSTANCES: AtomicUsize = AtomicUsize::new(0);

/// Non-deterministic: each instance stamps its own serial number into its summaries.
#[test]
fn nondeterminism_is_caught() {
    let v = suite(|| {
        let serial = INSTANCES.fetch_add(1, Ordering::SeqCst);
        Stamped {
            inner: FailedThenSuccess::new(),
            serial,
        }
    })
    .without_odd_events()
    .check();
    assert!(checks(&v).contains(&Check::Determinism), "{v:#?}");
}

struct Stamped {
    inner: FailedThenSuccess,
    serial: usize,
}

impl Detector for Stamped {
    fn name(&self) -> &'static str {
        "stamped"
    }
    fn observe(&mut self, e: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let start = out.len();
        self.inner.observe(e, ctx, out);
        for f in &mut out[start..] {
            f.summary = format!("run {}", self.serial);
        }
    }
}

/// Claims evidence from the future: last_seen an hour after the event in hand.
struct Clairvoyant;

impl Detector for Clairvoyant {
    fn name(&self) -> &'static str {
        "clairvoyant"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
        if e.activity.is_successful_sign_in() && matches!(e.activity, Activity::SignIn(_)) {
            let mut f = Finding::new("clairvoyant", e.identity().cloned(), &e.id, e.time)
                .with_severity(Severity::High);
            f.last_seen = e.time + Duration::from_hours(1);
            out.push(f);
        }
    }
}

#[test]
fn output_before_evidence_is_caught() {
    let v = suite(|| Clairvoyant).without_odd_events().check();
    assert!(checks(&v).contains(&Check::OutputBeforeEvidence), "{v:#?}");
}

/// Names an event it has not seen as evidence.
struct Prophet;

impl Detector for Prophet {
    fn name(&self) -> &'static str {
        "prophet"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
        if e.activity.is_successful_sign_in() {
            let mut f = Finding::new("prophet", e.identity().cloned(), &e.id, e.time)
                .with_severity(Severity::High);
            f.evidence.push("an-event-from-tomorrow");
            out.push(f);
        }
    }
}

#[test]
fn evidence_not_yet_observed_is_caught() {
    let v = suite(|| Prophet).without_odd_events().check();
    let before: Vec<_> = v
        .iter()
        .filter(|x| x.check == Check::OutputBeforeEvidence)
        .collect();
    assert!(
        before
            .iter()
            .any(|x| x.detail.contains("an-event-from-tomorrow")),
        "{v:#?}"
    );
}

/// Emits a fresh finding on every `advance`, even a repeated one.
#[derive(Default)]
struct Chatty {
    n: u32,
    last: Option<Timestamp>,
}

impl Detector for Chatty {
    fn name(&self) -> &'static str {
        "chatty"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, _: &mut Vec<Finding>) {
        self.last = Some(e.time);
    }
    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        self.n += 1;
        if let Some(t) = self.last.filter(|t| *t <= now) {
            out.push(Finding::new("chatty", None, &format!("tick-{}", self.n), t));
        }
    }
}

#[test]
fn repeated_advance_output_is_caught() {
    let v = suite(Chatty::default).without_odd_events().check();
    assert!(checks(&v).contains(&Check::AdvanceNotIdempotent), "{v:#?}");
}

#[test]
fn forgetting_state_across_snapshots_is_caught() {
    let v = suite(|| FailedThenSuccess {
        state: BTreeMap::new(),
        snapshots: false,
        due: 0,
    })
    .without_odd_events()
    .check();
    assert_eq!(checks(&v), vec![Check::SnapshotRestore], "{v:#?}");
}

/// Re-emits every finding at revision 1 and again after closing it.
struct Stuck(FailedThenSuccess);

impl Detector for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn observe(&mut self, e: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let start = out.len();
        self.0.observe(e, ctx, out);
        for f in &mut out[start..] {
            f.revision = 1;
        }
    }
}

#[test]
fn revisions_that_do_not_count_up_are_caught() {
    let v = suite(|| Stuck(FailedThenSuccess::new()))
        .without_odd_events()
        .check();
    assert!(checks(&v).contains(&Check::Revisions), "{v:#?}");
}

/// Panics on identities that are not plain ASCII.
struct Fragile;

impl Detector for Fragile {
    fn name(&self) -> &'static str {
        "fragile"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
        if let Some(k) = e.identity() {
            assert!(k.as_str().is_ascii(), "cannot handle {k}");
            if e.activity.is_successful_sign_in() && k.as_str().contains("ngata") {
                out.push(
                    Finding::new("fragile", Some(k.clone()), &e.id, e.time)
                        .with_severity(Severity::High),
                );
            }
        }
    }
}

#[test]
fn panics_on_odd_events_are_caught_and_reported() {
    let v = Conformance::new(|| Fragile)
        .must_fire(Case::new("none", vec![]), "nobody@x", Severity::Info)
        .must_stay_quiet(Case::new("none either", vec![]), "nobody@x", Severity::Info)
        .check();
    let panics: Vec<_> = v.iter().filter(|x| x.check == Check::Panic).collect();
    assert_eq!(panics.len(), 1, "{v:#?}");
    assert_eq!(panics[0].case, "odd events");
    assert!(
        panics[0].detail.contains("cannot handle"),
        "{}",
        panics[0].detail
    );
}

#[test]
#[should_panic(expected = "detector failed the conformance suite")]
fn run_panics_on_a_broken_detector() {
    suite(|| Clairvoyant).without_odd_events().run();
}
