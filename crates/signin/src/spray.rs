//! `password_spray`: one source IP (or network) failing sign-ins across many identities.

use std::fmt;
use std::net::IpAddr;

use palisade_core::{
    stable_hash, Context, Detector, Error, Evidence, Finding, FindingStatus, Severity, Technique,
    MAX_EVIDENCE_IDS,
};
use palisade_schema::{Activity, Duration, Event, FailureReason, IdentityKey, Outcome, Timestamp};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::state::{self, Expiry};

const NAME: &str = "password_spray";
const VERSION: u32 = 1;

/// Settings of [`PasswordSpray`].
///
/// ```
/// use palisade_signin::PasswordSprayConfig;
/// let c: PasswordSprayConfig = serde_json::from_str(r#"{"min_identities": 5}"#).unwrap();
/// assert_eq!(c.min_identities, 5);
/// assert_eq!(c.asn_min_identities, 30);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSprayConfig {
    /// A spray continues while failures from its source are at most this many minutes apart
    /// (default 60); when it goes quiet that long, the finding closes.
    pub window_minutes: i64,
    /// Distinct identities failing from one IP that make a spray (default 10).
    pub min_identities: usize,
    /// Distinct identities failing from one autonomous system that make a spray (default 30);
    /// 0 turns network-level tracking off.
    pub asn_min_identities: usize,
    /// Share of the source's sign-ins (since its first failure) that must have failed (default
    /// 0.8), so a busy corporate egress with a few typos is not a spray.
    pub min_failure_ratio: f64,
    /// Sources tracked at most (default 20 000); past it the one quiet for longest is dropped,
    /// so a spray from millions of addresses cannot exhaust memory.
    pub max_sources: usize,
    /// Distinct identities counted per source at most (default 256); past it failures are still
    /// counted and the summary says "at least".
    pub max_identities_per_source: usize,
}

impl Default for PasswordSprayConfig {
    fn default() -> Self {
        PasswordSprayConfig {
            window_minutes: 60,
            min_identities: 10,
            asn_min_identities: 30,
            min_failure_ratio: 0.8,
            max_sources: 20_000,
            max_identities_per_source: 256,
        }
    }
}

impl PasswordSprayConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if self.window_minutes <= 0
            || self.min_identities < 2
            || self.max_sources == 0
            || self.max_identities_per_source < self.min_identities.max(self.asn_min_identities)
        {
            return Err(Error::Config(
                "password_spray needs window_minutes > 0, min_identities >= 2, max_sources > 0 \
                 and max_identities_per_source >= both thresholds"
                    .into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_failure_ratio) {
            return Err(Error::Config("min_failure_ratio must lie in 0..=1".into()));
        }
        Ok(())
    }
}

/// Where a spray comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SourceKey {
    Ip(IpAddr),
    Asn(u32),
}

impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::Ip(ip) => write!(f, "ip:{ip}"),
            SourceKey::Asn(a) => write!(f, "asn:{a}"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Source {
    first: Timestamp,
    last: Timestamp,
    failures: u64,
    successes: u64,
    /// Hashes of the distinct identities that failed, sorted, at most the per-source cap.
    hashed: Vec<u64>,
    saturated: bool,
    /// The first identities that failed, sorted, for the finding.
    listed: Vec<IdentityKey>,
    evidence: Evidence,
    asn: Option<u32>,
    finding: Option<Finding>,
    next_report: usize,
    compromised: Vec<IdentityKey>,
}

impl Source {
    fn deadline(&self, window: Duration) -> Timestamp {
        self.last + window
    }

    fn bytes(&self) -> usize {
        200 + self.hashed.capacity() * 8
            + self
                .listed
                .iter()
                .map(|k| k.as_str().len() + 24)
                .sum::<usize>()
            + self
                .evidence
                .event_ids
                .iter()
                .map(|s| s.len() + 24)
                .sum::<usize>()
            + self.finding.as_ref().map_or(0, state::finding_bytes)
    }
}

fn counts_as_spray_failure(event: &Event) -> bool {
    matches!(
        &event.activity,
        Activity::SignIn(s) if matches!(
            &s.outcome,
            Outcome::Failure {
                reason: FailureReason::BadPassword | FailureReason::UnknownUser | FailureReason::Locked
            }
        )
    )
}

/// Flags one source IP — or one autonomous system — failing sign-ins across many identities,
/// the shape of password spraying (T1110.003). The finding is keyed on the source, names no
/// single identity and lists the identities sprayed; it is escalated (a new revision, higher
/// severity) when one of them then signs in successfully from the same source.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::*;
/// use palisade_signin::PasswordSpray;
///
/// let t0 = Timestamp::parse_rfc3339("2024-03-01T02:00:00Z").unwrap();
/// let ev = |i: i64, who: String, ok: bool| {
///     let act = if ok { SignIn::success(SignInStage::Primary) }
///               else { SignIn::failure(SignInStage::Primary, FailureReason::BadPassword) };
///     let mut e = Event::new(t0 + Duration::from_secs(i * 30), format!("e{i}"), Source::Entra,
///         Activity::SignIn(act)).with_actor(Identity::new(&who));
///     e.origin.ip = Some("198.51.100.7".parse().unwrap());
///     e
/// };
/// let mut det = PasswordSpray::default();
/// let mut out = Vec::new();
/// for i in 0..12 {
///     det.observe(&ev(i, format!("user{i}@contoso.com"), false), &Context::empty(), &mut out);
/// }
/// assert_eq!(out.len(), 1);
/// assert_eq!(out[0].identity, None);
/// assert_eq!(out[0].identities.len(), 10);
/// assert_eq!(out[0].severity, Severity::Medium);
/// // One sprayed identity then gets in from the same address.
/// det.observe(&ev(13, "user3@contoso.com".into(), true), &Context::empty(), &mut out);
/// let last = out.last().unwrap();
/// assert_eq!((last.revision, last.severity), (2, Severity::High));
/// assert!(last.summary.contains("user3@contoso.com then signed in"));
/// det.advance(t0 + Duration::from_hours(2), &mut out);
/// assert_eq!(out.last().unwrap().status, FindingStatus::Closed);
/// ```
#[derive(Debug, Default)]
pub struct PasswordSpray {
    config: PasswordSprayConfig,
    /// Keyed by a fast hash; snapshots sort, so no output depends on hash order.
    sources: FxHashMap<SourceKey, Source>,
    expiry: Expiry<SourceKey>,
    bytes: usize,
}

impl PasswordSpray {
    /// A detector with these settings (validated).
    pub fn new(config: PasswordSprayConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(PasswordSpray {
            config,
            ..Self::default()
        })
    }

    /// The settings.
    pub fn config(&self) -> &PasswordSprayConfig {
        &self.config
    }

    /// Sources currently tracked.
    pub fn tracked_sources(&self) -> usize {
        self.sources.len()
    }

    fn window(&self) -> Duration {
        Duration::from_mins(self.config.window_minutes)
    }

    fn threshold(&self, key: &SourceKey) -> usize {
        match key {
            SourceKey::Ip(_) => self.config.min_identities,
            SourceKey::Asn(_) => self.config.asn_min_identities,
        }
    }

    fn keys(&self, event: &Event) -> impl Iterator<Item = SourceKey> {
        let ip = event.origin.ip.map(SourceKey::Ip);
        let asn = event
            .origin
            .asn
            .filter(|_| self.config.asn_min_identities > 0)
            .map(SourceKey::Asn);
        ip.into_iter().chain(asn)
    }

    fn drop_source(&mut self, key: &SourceKey, out: &mut Vec<Finding>) {
        if let Some(mut s) = self.sources.remove(key) {
            self.bytes = self.bytes.saturating_sub(s.bytes());
            if let Some(f) = &mut s.finding {
                out.push(state::revise(f, FindingStatus::Closed));
            }
        }
    }

    fn on_failure(&mut self, event: &Event, key: SourceKey, out: &mut Vec<Finding>) {
        let window = self.window();
        // A source that went quiet for a whole window without `advance` being called ends here.
        if self
            .sources
            .get(&key)
            .is_some_and(|s| event.time.since(s.last) > window)
        {
            let old = self.sources.get(&key).map(|s| s.deadline(window));
            if let Some(d) = old {
                self.expiry.remove(&key, d);
            }
            self.drop_source(&key, out);
        }
        if !self.sources.contains_key(&key) {
            if self.sources.len() >= self.config.max_sources {
                if let Some(oldest) = self.expiry.pop_earliest() {
                    self.drop_source(&oldest, out);
                }
            }
            let s = Source {
                first: event.time,
                last: event.time,
                failures: 0,
                successes: 0,
                hashed: Vec::new(),
                saturated: false,
                listed: Vec::new(),
                evidence: Evidence::default(),
                asn: event.origin.asn,
                finding: None,
                next_report: self.threshold(&key),
                compromised: Vec::new(),
            };
            self.bytes += s.bytes();
            self.expiry.set(&key, None, s.deadline(window));
            self.sources.insert(key.clone(), s);
        }
        let cap = self.config.max_identities_per_source;
        let threshold = self.threshold(&key);
        let ratio = self.config.min_failure_ratio;
        let Some(s) = self.sources.get_mut(&key) else {
            return;
        };
        let before = s.bytes();
        let old_deadline = s.deadline(window);
        s.last = s.last.max(event.time);
        s.failures += 1;
        s.evidence.push(event.id.clone());
        if let Some(who) = event.identity() {
            let h = stable_hash(&[who.as_str()]);
            if let Err(at) = s.hashed.binary_search(&h) {
                if s.hashed.len() < cap {
                    s.hashed.insert(at, h);
                } else {
                    s.saturated = true;
                }
            }
            if let Err(at) = s.listed.binary_search(who) {
                if s.listed.len() < MAX_EVIDENCE_IDS {
                    s.listed.insert(at, who.clone());
                }
            }
        }
        let distinct = s.hashed.len();
        let failing = s.failures as f64 / (s.failures + s.successes) as f64;
        let report = distinct >= s.next_report && failing >= ratio && distinct >= threshold;
        if s.finding.is_none() && !report {
            // Nothing to say yet: most sources fail once or twice and never become a spray.
        } else if s.finding.is_some() {
            let text = summary(&key, s);
            let Some(f) = &mut s.finding else { return };
            f.evidence = s.evidence.clone();
            f.last_seen = s.last;
            f.identities = s.listed.clone();
            f.entities.add_origin_of(event);
            f.summary = text;
            if report {
                s.next_report = distinct.saturating_mul(2);
                out.push(state::revise(f, FindingStatus::Open));
            }
        } else {
            let text = summary(&key, s);
            let first_id = s.evidence.first().unwrap_or(&event.id).to_owned();
            let mut f = Finding::new_keyed(NAME, &key.to_string(), None, &first_id, s.first)
                .with_severity(Severity::Medium)
                .with_technique(Technique::PasswordSpraying)
                .with_confidence(0.7);
            f.evidence = s.evidence.clone();
            f.last_seen = s.last;
            f.identities = s.listed.clone();
            match &key {
                SourceKey::Ip(ip) => f.entities.add_ip(*ip),
                SourceKey::Asn(a) => f.entities.add_asn(*a),
            }
            if let Some(a) = s.asn {
                f.entities.add_asn(a);
            }
            f.summary = text;
            s.next_report = distinct.saturating_mul(2);
            out.push(f.clone());
            s.finding = Some(f);
        }
        let (after, new_deadline) = (s.bytes(), s.deadline(window));
        self.bytes = (self.bytes + after).saturating_sub(before);
        self.expiry.set(&key, Some(old_deadline), new_deadline);
    }

    fn on_success(&mut self, event: &Event, key: SourceKey, out: &mut Vec<Finding>) {
        let window = self.window();
        let Some(s) = self.sources.get_mut(&key) else {
            return;
        };
        if event.time.since(s.last) > window {
            return;
        }
        s.successes += 1;
        let Some(who) = event.identity() else { return };
        if s.finding.is_none() {
            return;
        }
        let sprayed = s
            .hashed
            .binary_search(&stable_hash(&[who.as_str()]))
            .is_ok();
        let Err(at) = s.compromised.binary_search(who) else {
            return;
        };
        if !sprayed {
            return;
        }
        if s.compromised.len() < MAX_EVIDENCE_IDS {
            s.compromised.insert(at, who.clone());
        }
        s.evidence.push(event.id.clone());
        let text = summary(&key, s);
        if let Some(f) = &mut s.finding {
            f.evidence = s.evidence.clone();
            f.last_seen = f.last_seen.max(event.time);
            f.severity = f.severity.max(Severity::High);
            f.confidence = 0.9;
            f.summary = text;
            out.push(state::revise(f, FindingStatus::Open));
        }
    }
}

fn summary(key: &SourceKey, s: &Source) -> String {
    let from = match key {
        SourceKey::Ip(ip) => match s.asn {
            Some(a) => format!("{ip} (AS{a})"),
            None => ip.to_string(),
        },
        SourceKey::Asn(a) => format!("network AS{a}"),
    };
    let at_least = if s.saturated { "at least " } else { "" };
    let mins = s.last.since(s.first).as_millis() / 60_000;
    let mut text = format!(
        "password spray from {from}: {} failed sign-ins against {at_least}{} identities in {mins} minutes",
        s.failures,
        s.hashed.len()
    );
    if !s.compromised.is_empty() {
        let names: Vec<&str> = s
            .compromised
            .iter()
            .take(3)
            .map(IdentityKey::as_str)
            .collect();
        let more = s.compromised.len().saturating_sub(3);
        text.push_str(&format!("; {}", names.join(", ")));
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text.push_str(" then signed in successfully from it");
    }
    text
}

impl Detector for PasswordSpray {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if counts_as_spray_failure(event) {
            for key in self.keys(event) {
                self.on_failure(event, key, out);
            }
        } else if !self.sources.is_empty() && event.activity.is_successful_sign_in() {
            for key in self.keys(event) {
                self.on_success(event, key, out);
            }
        }
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        while let Some(key) = self.expiry.pop_due(now) {
            self.drop_source(&key, out);
        }
    }

    fn forget(&mut self, identity: &IdentityKey) {
        // Spray state is keyed on sources, not identities; dropping a name from the lists would
        // change findings about other identities, so only the listed name is removed.
        for s in self.sources.values_mut() {
            if let Ok(at) = s.listed.binary_search(identity) {
                s.listed.remove(at);
            }
            if let Ok(at) = s.compromised.binary_search(identity) {
                s.compromised.remove(at);
            }
        }
    }

    fn state_bytes(&self) -> usize {
        self.bytes + self.expiry.len() * 64
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let mut sources: Vec<(&SourceKey, &Source)> = self.sources.iter().collect();
        sources.sort_unstable_by(|a, b| a.0.cmp(b.0));
        state::encode(NAME, VERSION, &sources)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let sources: Vec<(SourceKey, Source)> = state::decode(NAME, VERSION, bytes)?;
        let window = self.window();
        self.expiry.clear();
        self.bytes = 0;
        let mut map = FxHashMap::default();
        for (k, s) in sources {
            self.expiry.set(&k, None, s.deadline(window));
            self.bytes += s.bytes();
            map.insert(k, s);
        }
        self.sources = map;
        Ok(())
    }
}
