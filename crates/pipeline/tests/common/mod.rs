//! Test stages shared by the pipeline's integration tests: a windowed detector, a profile
//! store, a correlator and a responder, all stateful and snapshot-able, plus event builders.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use palisade_core::*;
use palisade_schema::*;
use serde::{Deserialize, Serialize};

/// 2024-01-01T00:00:00Z.
pub const T0_MS: i64 = 1_704_067_200_000;

pub fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0_MS + secs * 1000).unwrap()
}

pub fn failure(secs: i64, id: &str, who: &str, source: Source) -> Event {
    Event::new(
        at(secs),
        id,
        source,
        Activity::SignIn(SignIn::failure(
            SignInStage::Primary,
            FailureReason::BadPassword,
        )),
    )
    .with_actor(Identity::new(who))
}

pub fn success(secs: i64, id: &str, who: &str, source: Source) -> Event {
    Event::new(
        at(secs),
        id,
        source,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    )
    .with_actor(Identity::new(who))
}

pub const WINDOW_MS: i64 = 600_000;

#[derive(Default, Serialize, Deserialize)]
struct Window {
    times: VecDeque<Timestamp>,
    open: Option<Finding>,
}

/// "N failed sign-ins within 10 minutes for one identity": one finding per burst, re-emitted
/// as it grows, closed once 10 minutes pass without a failure (on observe or on advance).
/// The summary records the context it saw (late flag, recent findings, profile sign-ins).
#[derive(Serialize, Deserialize)]
pub struct FailureBurst {
    pub threshold: usize,
    windows: BTreeMap<IdentityKey, Window>,
}

impl FailureBurst {
    pub fn new(threshold: usize) -> Self {
        FailureBurst {
            threshold,
            windows: BTreeMap::new(),
        }
    }
}

impl Detector for FailureBurst {
    fn name(&self) -> &'static str {
        "failure_burst"
    }

    fn observe(&mut self, e: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(who) = e.identity() else { return };
        if !e.activity.is_failed_sign_in() {
            return;
        }
        let w = self.windows.entry(who.clone()).or_default();
        let cutoff = e.time - Duration::from_millis(WINDOW_MS);
        if let Some(f) = &w.open {
            if f.last_seen < cutoff {
                let mut c = f.next_revision();
                c.status = FindingStatus::Closed;
                out.push(c);
                w.open = None;
            }
        }
        while w.times.front().is_some_and(|t| *t < cutoff) {
            w.times.pop_front();
        }
        w.times.push_back(e.time);
        if w.times.len() < self.threshold {
            return;
        }
        let note = format!(
            "late={} recent={} profile={:?}",
            ctx.late,
            ctx.recent.len(),
            ctx.profile.map(|p| p.sign_ins())
        );
        let f = match &w.open {
            Some(f) => {
                let mut g = f.next_revision();
                g.last_seen = e.time;
                g.evidence.push(e.id.clone());
                g.summary = note;
                g
            }
            None => Finding::new("failure_burst", Some(who.clone()), &e.id, e.time)
                .with_severity(Severity::Medium)
                .with_technique(Technique::PasswordSpraying)
                .with_summary(note),
        };
        w.open = Some(f.clone());
        out.push(f);
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        let cutoff = now - Duration::from_millis(WINDOW_MS);
        self.windows.retain(|_, w| {
            if let Some(f) = &w.open {
                if f.last_seen < cutoff {
                    let mut c = f.next_revision();
                    c.status = FindingStatus::Closed;
                    out.push(c);
                    w.open = None;
                }
            }
            w.open.is_some() || w.times.back().is_some_and(|t| *t >= cutoff)
        });
    }

    fn forget(&mut self, identity: &IdentityKey) {
        self.windows.remove(identity);
    }

    fn state_bytes(&self) -> usize {
        self.windows
            .iter()
            .map(|(k, w)| 96 + k.as_str().len() + w.times.len() * 8)
            .sum()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(&self.windows).map_err(|e| Error::Snapshot {
            component: "failure_burst".into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.windows =
            serde_json::from_slice(bytes).map_err(|e| Error::CorruptSnapshot(e.to_string()))?;
        Ok(())
    }
}

/// Counts successful sign-ins; trusted at `trust_after` of them.
#[derive(Serialize, Deserialize)]
pub struct CountingProfiles {
    pub trust_after: u64,
    counts: BTreeMap<IdentityKey, Count>,
}

#[derive(Serialize, Deserialize)]
struct Count {
    n: u64,
    trusted: bool,
}

impl ProfileView for Count {
    fn sign_ins(&self) -> u64 {
        self.n
    }
    fn days(&self) -> u32 {
        0
    }
    fn trusted(&self) -> bool {
        self.trusted
    }
    fn familiarity(&self, _: Dimension, _: &str) -> Option<Familiarity> {
        None
    }
    fn top_values(&self, _: Dimension) -> Vec<(String, f64)> {
        Vec::new()
    }
}

impl CountingProfiles {
    pub fn new(trust_after: u64) -> Self {
        CountingProfiles {
            trust_after,
            counts: BTreeMap::new(),
        }
    }
}

impl ProfileStore for CountingProfiles {
    fn view(&self, identity: &IdentityKey) -> Option<&dyn ProfileView> {
        self.counts.get(identity).map(|c| c as &dyn ProfileView)
    }
    fn learn(&mut self, event: &Event) {
        if let (true, Some(who)) = (event.activity.is_successful_sign_in(), event.identity()) {
            let c = self.counts.entry(who.clone()).or_insert(Count {
                n: 0,
                trusted: false,
            });
            c.n += 1;
            c.trusted = c.n >= self.trust_after;
        }
    }
    fn forget(&mut self, identity: &IdentityKey) {
        self.counts.remove(identity);
    }
    fn state_bytes(&self) -> usize {
        self.counts.keys().map(|k| 64 + k.as_str().len()).sum()
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(&self.counts).map_err(|e| Error::Snapshot {
            component: "profiles".into(),
            reason: e.to_string(),
        })
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.counts =
            serde_json::from_slice(bytes).map_err(|e| Error::CorruptSnapshot(e.to_string()))?;
        Ok(())
    }
}

/// One incident per identity, growing with every finding id it has not seen.
#[derive(Default, Serialize, Deserialize)]
pub struct PerIdentity {
    open: BTreeMap<String, Incident>,
}

impl Correlator for PerIdentity {
    fn correlate(&mut self, f: &Finding, out: &mut Vec<Incident>) {
        let key = f
            .identity
            .as_ref()
            .map_or("", IdentityKey::as_str)
            .to_owned();
        match self.open.get_mut(&key) {
            Some(inc) => {
                if !inc.findings.contains(&f.id) {
                    inc.findings.push(f.id.clone());
                    inc.revision += 1;
                    inc.last_seen = f.last_seen;
                    out.push(inc.clone());
                }
            }
            None => {
                let inc = Incident::open_with(f);
                out.push(inc.clone());
                self.open.insert(key, inc);
            }
        }
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(&self.open).map_err(|e| Error::Snapshot {
            component: "correlator".into(),
            reason: e.to_string(),
        })
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.open =
            serde_json::from_slice(bytes).map_err(|e| Error::CorruptSnapshot(e.to_string()))?;
        Ok(())
    }
}

/// A decision per incident revision, numbered (state to snapshot).
#[derive(Default)]
pub struct Numbering {
    n: u64,
}

impl Responder for Numbering {
    fn decide(&mut self, inc: &Incident, out: &mut Vec<Decision>) {
        self.n += 1;
        out.push(Decision {
            id: DecisionId::derive(&[inc.id.as_str(), &inc.revision.to_string()]),
            incident: inc.id.clone(),
            identities: inc.identities.clone(),
            actions: vec![Action::Notify("soc".into())],
            mode: DecisionMode::DryRun,
            reasons: vec![format!("decision #{}", self.n)],
        });
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(self.n.to_le_bytes().to_vec())
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let b: [u8; 8] = bytes
            .try_into()
            .map_err(|_| Error::CorruptSnapshot("counter".into()))?;
        self.n = u64::from_le_bytes(b);
        Ok(())
    }
}

/// What a probe detector saw for each event: id, late flag, watermark, recent count, profile.
pub type Seen = Arc<Mutex<Vec<(String, bool, Option<Timestamp>, usize, Option<u64>)>>>;

/// Records the context of every event it observes, and every advance and forget.
pub struct Probe {
    pub seen: Seen,
    pub advances: Arc<Mutex<Vec<Timestamp>>>,
    pub forgotten: Arc<Mutex<Vec<IdentityKey>>>,
}

impl Probe {
    pub fn new() -> Self {
        Probe {
            seen: Arc::default(),
            advances: Arc::default(),
            forgotten: Arc::default(),
        }
    }
    pub fn clone_handles(&self) -> (Seen, Arc<Mutex<Vec<Timestamp>>>) {
        (self.seen.clone(), self.advances.clone())
    }
    pub fn ids(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.0.clone())
            .collect()
    }
}

impl Detector for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn observe(&mut self, e: &Event, ctx: &Context<'_>, _out: &mut Vec<Finding>) {
        self.seen.lock().unwrap().push((
            e.id.clone(),
            ctx.late,
            ctx.watermark,
            ctx.recent.len(),
            ctx.profile.map(|p| p.sign_ins()),
        ));
    }
    fn advance(&mut self, now: Timestamp, _out: &mut Vec<Finding>) {
        self.advances.lock().unwrap().push(now);
    }
    fn forget(&mut self, identity: &IdentityKey) {
        self.forgotten.lock().unwrap().push(identity.clone());
    }
}

/// Latest revision of each finding id.
pub fn latest(findings: &[Finding]) -> BTreeMap<FindingId, Finding> {
    let mut m = BTreeMap::new();
    for f in findings {
        let keep = m
            .get(&f.id)
            .is_none_or(|g: &Finding| f.revision > g.revision);
        if keep {
            m.insert(f.id.clone(), f.clone());
        }
    }
    m
}
