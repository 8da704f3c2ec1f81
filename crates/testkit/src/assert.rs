//! Assertions over findings (always judged at each finding's latest revision) and a scorer that
//! compares findings with a scenario's ground-truth labels.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use palisade_core::{Finding, Severity};
use palisade_schema::{Duration, IdentityKey};

use crate::population::{AttackKind, Label, Scenario};

/// The latest revision of every finding id (the highest revision; the later emission on a tie),
/// in order of each id's first emission.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::{IdentityKey, Timestamp};
/// use palisade_testkit::latest_revisions;
/// let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
/// let f = Finding::new("x", Some(IdentityKey::new("a@b.c")), "e1", t);
/// let g = f.next_revision().with_severity(Severity::High);
/// let latest = latest_revisions(&[f, g]);
/// assert_eq!(latest.len(), 1);
/// assert_eq!((latest[0].revision, latest[0].severity), (2, Severity::High));
/// ```
pub fn latest_revisions(findings: &[Finding]) -> Vec<Finding> {
    let mut order: Vec<&str> = Vec::new();
    let mut latest: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in findings {
        match latest.get(f.id.as_str()) {
            None => {
                order.push(f.id.as_str());
                latest.insert(f.id.as_str(), f);
            }
            Some(prev) if f.revision >= prev.revision => {
                latest.insert(f.id.as_str(), f);
            }
            Some(_) => {}
        }
    }
    order
        .iter()
        .filter_map(|id| latest.get(id).map(|f| (*f).clone()))
        .collect()
}

/// Whether a finding is about `identity` (its identity, or one of its identities).
pub fn concerns(f: &Finding, identity: &IdentityKey) -> bool {
    f.identity.as_ref() == Some(identity) || f.identities.iter().any(|i| i == identity)
}

/// One line describing a finding, for failure messages.
pub fn describe(f: &Finding) -> String {
    let who = match &f.identity {
        Some(i) => i.as_str().to_owned(),
        None => format!("{} identities", f.identities.len()),
    };
    format!(
        "{} r{} [{}] {} {} {}..{} evidence={} \"{}\"",
        f.id,
        f.revision,
        f.detector,
        f.severity,
        who,
        f.first_seen,
        f.last_seen,
        f.evidence.total,
        f.summary
    )
}

fn listing(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "  (no findings)\n".to_owned();
    }
    let mut s = String::new();
    for f in findings {
        let _ = writeln!(s, "  {}", describe(f));
    }
    s
}

/// Panics unless `detector` has a finding about `identity` at `min_severity` or above (judged at
/// latest revisions). The message lists the identity's findings.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::{IdentityKey, Timestamp};
/// use palisade_testkit::assert_fires;
/// let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
/// let f = Finding::new("mfa_fatigue", Some(IdentityKey::new("a@b.c")), "e1", t)
///     .with_severity(Severity::Critical);
/// assert_fires(&[f], "a@b.c", "mfa_fatigue", Severity::High);
/// ```
#[track_caller]
pub fn assert_fires(
    findings: &[Finding],
    identity: impl Into<IdentityKey>,
    detector: &str,
    min_severity: Severity,
) {
    let identity = identity.into();
    let latest = latest_revisions(findings);
    let hit = latest
        .iter()
        .any(|f| f.detector == detector && concerns(f, &identity) && f.severity >= min_severity);
    if !hit {
        let mine: Vec<Finding> = latest
            .into_iter()
            .filter(|f| concerns(f, &identity))
            .collect();
        panic!(
            "expected a `{detector}` finding about {identity} at {min_severity} or above; \
             its findings are:\n{}",
            listing(&mine)
        );
    }
}

/// Panics if any finding about `identity` (latest revisions, any detector) is at `below` or
/// above. The message lists the offending findings.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::{IdentityKey, Timestamp};
/// use palisade_testkit::assert_quiet;
/// let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
/// let f = Finding::new("travel", Some(IdentityKey::new("a@b.c")), "e1", t)
///     .with_severity(Severity::Low);
/// assert_quiet(&[f], "a@b.c", Severity::Medium);
/// ```
#[track_caller]
pub fn assert_quiet(findings: &[Finding], identity: impl Into<IdentityKey>, below: Severity) {
    let identity = identity.into();
    let loud: Vec<Finding> = latest_revisions(findings)
        .into_iter()
        .filter(|f| concerns(f, &identity) && f.severity >= below)
        .collect();
    if !loud.is_empty() {
        panic!(
            "expected no finding about {identity} at {below} or above, got {}:\n{}",
            loud.len(),
            listing(&loud)
        );
    }
}

/// How long after a story's last evidence a finding still counts as being about it.
const LABEL_SLACK: Duration = Duration::from_days(1);

/// Whether a finding is about a labelled story: it concerns one of the story's identities and
/// either shares evidence with it or overlaps its time range (plus a day).
pub fn matches_label(f: &Finding, label: &Label) -> bool {
    if !label.identities.iter().any(|i| concerns(f, i)) {
        return false;
    }
    let shares = f
        .evidence
        .event_ids
        .iter()
        .any(|id| label.evidence.contains(id));
    let overlaps = f.first_seen <= label.end + LABEL_SLACK && f.last_seen >= label.start;
    shares || overlaps
}

/// Findings scored against a scenario's labels.
///
/// ```
/// use palisade_core::*;
/// use palisade_testkit::{generate, AttackKind, PopulationConfig, Score};
/// let s = generate(&PopulationConfig::small(1), &[AttackKind::FraudReport]);
/// let l = &s.labels[0];
/// let hit = Finding::new("mfa_fatigue", Some(l.primary.clone()), &l.evidence[0], l.start)
///     .with_severity(Severity::High);
/// let score = Score::of(&s, &[], &[hit], Severity::Medium);
/// assert_eq!((score.true_positives.len(), score.false_negatives.len()), (1, 0));
/// assert!(score.false_positives_at_or_above(Severity::Low).is_empty());
/// score.assert_perfect(Severity::Medium);
/// ```
#[derive(Clone, Debug)]
pub struct Score {
    /// Labels found by at least one finding at the minimum severity, with those findings.
    pub true_positives: Vec<(Label, Vec<Finding>)>,
    /// Labels no finding at the minimum severity matched.
    pub false_negatives: Vec<Label>,
    /// Every finding at its latest revision.
    pub findings: Vec<Finding>,
    /// Every label of the scenario (all kinds), for false-positive matching.
    labels: Vec<Label>,
    min: Severity,
}

impl Score {
    /// Scores `findings` against the labels of `kinds` (every kind when empty) at `min` severity.
    /// A finding about any label (of any kind) is never a false positive.
    pub fn of(
        scenario: &Scenario,
        kinds: &[AttackKind],
        findings: &[Finding],
        min: Severity,
    ) -> Score {
        let latest = latest_revisions(findings);
        let mut true_positives = Vec::new();
        let mut false_negatives = Vec::new();
        for label in scenario
            .labels
            .iter()
            .filter(|l| kinds.is_empty() || kinds.contains(&l.kind))
        {
            let hits: Vec<Finding> = latest
                .iter()
                .filter(|f| f.severity >= min && matches_label(f, label))
                .cloned()
                .collect();
            if hits.is_empty() {
                false_negatives.push(label.clone());
            } else {
                true_positives.push((label.clone(), hits));
            }
        }
        Score {
            true_positives,
            false_negatives,
            findings: latest,
            labels: scenario.labels.clone(),
            min,
        }
    }

    /// Findings at `sev` or above that match no label.
    pub fn false_positives_at_or_above(&self, sev: Severity) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity >= sev && !self.labels.iter().any(|l| matches_label(f, l)))
            .collect()
    }

    /// A readable account: missed stories, and false positives at `fp_severity` or above.
    pub fn report(&self, fp_severity: Severity) -> String {
        let mut s = format!(
            "{} of {} stories detected at {} or above\n",
            self.true_positives.len(),
            self.true_positives.len() + self.false_negatives.len(),
            self.min
        );
        for l in &self.false_negatives {
            let _ = writeln!(
                s,
                "  missed {} on {} ({}..{}): {}",
                l.kind.as_str(),
                l.primary,
                l.start,
                l.end,
                l.summary
            );
            let near: Vec<Finding> = self
                .findings
                .iter()
                .filter(|f| concerns(f, &l.primary))
                .cloned()
                .collect();
            for f in near {
                let _ = writeln!(s, "    its finding: {}", describe(&f));
            }
        }
        let fps = self.false_positives_at_or_above(fp_severity);
        let _ = writeln!(
            s,
            "{} false positives at {} or above",
            fps.len(),
            fp_severity
        );
        for f in fps {
            let _ = writeln!(s, "  {}", describe(f));
        }
        s
    }

    /// Panics (with [`Score::report`]) on any missed story or any false positive at `fp_severity`
    /// or above.
    #[track_caller]
    pub fn assert_perfect(&self, fp_severity: Severity) {
        if !self.false_negatives.is_empty()
            || !self.false_positives_at_or_above(fp_severity).is_empty()
        {
            panic!(
                "detection score is not perfect:\n{}",
                self.report(fp_severity)
            );
        }
    }
}
