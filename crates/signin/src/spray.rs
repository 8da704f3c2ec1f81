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
/// 2: sources count the distinct identities that signed in from them, not sign-ins.
const VERSION: u32 = 2;

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
    /// Share of the identities seen at the source (since its first failure) that must have
    /// failed from it and not then signed in (default 0.8), so a busy corporate egress with a
    /// few typos is not a spray. Identities, not sign-ins: one account signing in over and
    /// over from an attacker's address does not hide the spray around it.
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

/// What one kept string costs: its text and its `String`.
fn text_bytes(text: &str) -> usize {
    text.len() + 24
}

/// What one kept (identity, event id) pair costs.
fn pair_bytes(who: &IdentityKey, id: &str) -> usize {
    text_bytes(who.as_str()) + text_bytes(id)
}

/// Where a spray comes from: an IPv4 address, an IPv6 /64 (one host or subscriber holds a
/// whole /64, so rotating through it is one source), or an autonomous system.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SourceKey {
    Ip(IpAddr),
    Asn(u32),
}

impl SourceKey {
    /// The source an address belongs to.
    fn of_ip(ip: IpAddr) -> SourceKey {
        match ip {
            IpAddr::V4(_) => SourceKey::Ip(ip),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !(u128::MAX >> 64);
                SourceKey::Ip(IpAddr::V6(bits.into()))
            }
        }
    }
}

/// The source as findings name it: the address, or the IPv6 network.
struct Shown<'a>(&'a IpAddr);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(ip) => write!(f, "{ip}"),
            IpAddr::V6(ip) => write!(f, "{ip}/64"),
        }
    }
}

impl fmt::Display for SourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceKey::Ip(ip) => write!(f, "ip:{}", Shown(ip)),
            SourceKey::Asn(a) => write!(f, "asn:{a}"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Source {
    first: Timestamp,
    last: Timestamp,
    failures: u64,
    /// Hashes of the distinct identities that failed, sorted, at most the per-source cap.
    hashed: Vec<u64>,
    /// Failures that name no identity, at most the per-source cap: CloudTrail hides a user
    /// name that does not exist, so a spray of guessed names shows as nameless failures. They
    /// may all be one person retrying one wrong name, so together they count as at most half
    /// the identities a spray needs: the rest must be named (and at an office, the successful
    /// sign-ins outweigh typos anyway, `min_failure_ratio`).
    #[serde(default)]
    unnamed: usize,
    saturated: bool,
    /// Hashes of the distinct identities that signed in successfully from the source, sorted,
    /// at most the per-source cap; how many of them never failed from it, and how many did.
    succeeded: Vec<u64>,
    succeeded_only: usize,
    both: usize,
    /// Until the spray is reported: the first identities that signed in from it, with the
    /// sign-in's event id, so a success before the spray was recognised still counts.
    signed_in: Vec<(IdentityKey, String)>,
    /// The first identities that failed, sorted, for the finding.
    listed: Vec<IdentityKey>,
    evidence: Evidence,
    asn: Option<u32>,
    /// For a network: its failing address sources (an IPv4 address, an IPv6 /64) with their
    /// failures, at most [`MAX_ADDRESSES`]. When one address that is itself reported as a
    /// spray makes most of the network's failures, and the identities tried from elsewhere
    /// are too few for a network's spray, the network's spray is that one, already reported.
    #[serde(default)]
    addresses: Vec<(IpAddr, u64)>,
    finding: Option<Finding>,
    next_report: usize,
    compromised: Vec<IdentityKey>,
    /// Bytes of the text held in `signed_in`, `listed`, `evidence` and `compromised`, kept as
    /// they change so the size estimate costs nothing per event (a network source sees every
    /// sign-in of its network).
    #[serde(skip)]
    text: usize,
}

/// Address sources a network source tells apart; the first ones are enough to find one that
/// makes most of its failures.
const MAX_ADDRESSES: usize = 16;

impl Source {
    /// Counts a failure of a network source from the address source `at`.
    fn note_address(&mut self, at: IpAddr) {
        if let Some((_, n)) = self.addresses.iter_mut().find(|(a, _)| *a == at) {
            *n += 1;
        } else if self.addresses.len() < MAX_ADDRESSES {
            self.addresses.push((at, 1));
        }
    }

    /// The address source that makes more than half of a network's failures, if one does.
    fn main_address(&self) -> Option<IpAddr> {
        self.addresses
            .iter()
            .find(|(_, n)| n.saturating_mul(2) > self.failures)
            .map(|(a, _)| *a)
    }

    fn deadline(&self, window: Duration) -> Timestamp {
        self.last + window
    }

    /// The estimate of the source's heap bytes. The finding's lists mirror the source's, so
    /// they count the held text again.
    fn bytes(&self) -> usize {
        200 + (self.hashed.capacity() + self.succeeded.capacity()) * 8
            + self.addresses.capacity() * size_of::<(IpAddr, u64)>()
            + self.text
            + self.finding.as_ref().map_or(0, |f| {
                size_of::<Finding>() + f.summary.capacity() + self.text
            })
    }

    /// Recounts `text` from the lists (after a restore).
    fn recount(&mut self) {
        self.text = self
            .signed_in
            .iter()
            .map(|(k, id)| pair_bytes(k, id))
            .chain(self.listed.iter().map(|k| text_bytes(k.as_str())))
            .chain(self.compromised.iter().map(|k| text_bytes(k.as_str())))
            .chain(self.evidence.event_ids.iter().map(|s| text_bytes(s)))
            .sum();
    }

    /// Adds an event to the evidence (the list keeps the first ids and counts the rest).
    fn add_evidence(&mut self, id: &str) {
        if self.evidence.event_ids.len() < MAX_EVIDENCE_IDS {
            self.text += text_bytes(id);
        }
        self.evidence.push(id);
    }

    /// Brings the finding up to date with the source before it is emitted: between reports
    /// the source only counts, so a long spray costs no copy of its lists per failure.
    fn refresh(&mut self, key: &SourceKey) {
        let text = summary(key, self);
        if let Some(f) = &mut self.finding {
            f.evidence.clone_from(&self.evidence);
            f.identities.clone_from(&self.listed);
            f.last_seen = f.last_seen.max(self.last);
            f.summary = text;
        }
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

/// Flags one source — an IPv4 address, an IPv6 /64, or one autonomous system — failing
/// sign-ins across many identities, the shape of password spraying (T1110.003). The finding is
/// keyed on the source and lists the identities sprayed. It is high (a new revision, or from
/// the start) when an identity signs in successfully from the spraying address during the
/// spray — before or after the spray was recognised, whether or not that identity failed first
/// (a password guessed right first time never fails) — or, for a network, when a sprayed
/// identity does. Until then it names no single identity; from then on it names the first
/// identity that got in, so it joins that account's other findings.
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
/// assert_eq!(last.identity, Some(IdentityKey::new("user3@contoso.com")));
/// assert!(last.summary.contains("user3@contoso.com signed in successfully from it"));
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
        let ip = event.origin.ip.map(SourceKey::of_ip);
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
            s.refresh(key);
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
                hashed: Vec::new(),
                unnamed: 0,
                saturated: false,
                succeeded: Vec::new(),
                succeeded_only: 0,
                both: 0,
                signed_in: Vec::new(),
                listed: Vec::new(),
                evidence: Evidence::default(),
                asn: event.origin.asn,
                addresses: Vec::new(),
                finding: None,
                next_report: self.threshold(&key),
                compromised: Vec::new(),
                text: 0,
            };
            self.bytes += s.bytes();
            self.expiry.set(&key, None, s.deadline(window));
            self.sources.insert(key.clone(), s);
        }
        let cap = self.config.max_identities_per_source;
        let threshold = self.threshold(&key);
        let ratio = self.config.min_failure_ratio;
        // A network whose failures mostly come from one address already reported as a spray
        // (this event counted there first) is that spray, not a second one: unless the
        // identities tried from its other addresses are a network's spray by themselves, so
        // padding a reported address hides nothing either.
        let duplicates_an_address = match &key {
            SourceKey::Asn(_) => self.sources.get(&key).is_some_and(|network| {
                network
                    .main_address()
                    .and_then(|a| self.sources.get(&SourceKey::Ip(a)))
                    .filter(|address| address.finding.is_some())
                    .is_some_and(|address| {
                        let elsewhere = network.hashed.len().saturating_sub(address.hashed.len());
                        elsewhere < threshold
                    })
            }),
            SourceKey::Ip(_) => false,
        };
        let Some(s) = self.sources.get_mut(&key) else {
            return;
        };
        let before = s.bytes();
        let old_deadline = s.deadline(window);
        s.last = s.last.max(event.time);
        s.failures += 1;
        if let (SourceKey::Asn(_), Some(SourceKey::Ip(at))) =
            (&key, event.origin.ip.map(SourceKey::of_ip))
        {
            s.note_address(at);
        }
        s.add_evidence(&event.id);
        if let Some(who) = event.identity() {
            s.note_failed(stable_hash(&[who.as_str()]), cap);
            if let Err(at) = s.listed.binary_search(who) {
                if s.listed.len() < MAX_EVIDENCE_IDS {
                    s.text += text_bytes(who.as_str());
                    s.listed.insert(at, who.clone());
                }
            }
        } else if s.unnamed < cap {
            s.unnamed += 1;
        }
        let distinct = s.hashed.len() + s.unnamed.min(threshold / 2);
        // Identities that failed and then got in count as seen, not as failing: a colleague's
        // typo, then the right password, is what a busy office's address shows all morning.
        let failed_only = distinct.saturating_sub(s.both);
        let seen = distinct.saturating_add(s.succeeded_only).max(1);
        let failing = failed_only as f64 / seen as f64;
        let report = distinct >= s.next_report
            && failing >= ratio
            && distinct >= threshold
            && !duplicates_an_address;
        if s.finding.is_none() && !report {
            // Nothing to say yet: most sources fail once or twice and never become a spray.
        } else if s.finding.is_some() {
            if let Some(f) = &mut s.finding {
                f.entities.add_origin_of(event);
            }
            if report {
                s.next_report = distinct.saturating_mul(2);
                s.refresh(&key);
                if let Some(f) = &mut s.finding {
                    out.push(state::revise(f, FindingStatus::Open));
                }
            }
        } else {
            let first_id = s.evidence.first().unwrap_or(&event.id).to_owned();
            let mut f = Finding::new_keyed(NAME, &key.to_string(), None, &first_id, s.first)
                .with_severity(Severity::Medium)
                .with_technique(Technique::PasswordSpraying)
                .with_confidence(0.7);
            // Identities that got in from the source while the spray was building up, in the
            // order they did: the first is the one the finding names.
            for (who, id) in std::mem::take(&mut s.signed_in) {
                s.text = s.text.saturating_sub(pair_bytes(&who, &id));
                if s.may_be_compromised(&key, stable_hash(&[who.as_str()])) {
                    if f.identity.is_none() {
                        f.identity = Some(who.clone());
                    }
                    // An address's sign-ins went into evidence when they happened.
                    let late = matches!(key, SourceKey::Asn(_)).then_some(id.as_str());
                    s.compromise(who, late);
                }
            }
            if !s.compromised.is_empty() {
                f.severity = Severity::High;
                f.confidence = 0.9;
            }
            let text = summary(&key, s);
            f.evidence = s.evidence.clone();
            f.last_seen = s.last;
            f.identities = s.listed.clone();
            match &key {
                SourceKey::Ip(_) => f.entities.add_origin_of(event),
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
        let cap = self.config.max_identities_per_source;
        let Some(s) = self.sources.get_mut(&key) else {
            return;
        };
        if event.time.since(s.last) > window {
            return;
        }
        let Some(who) = event.identity() else { return };
        let before = s.bytes();
        let h = stable_hash(&[who.as_str()]);
        let added = s.note_succeeded(h, cap);
        if s.finding.is_none() {
            // An identity already counted as signed in was listed then (the list only fills):
            // only a full count set leaves the list to search.
            let unlisted = || match added {
                Some(new) => new,
                None => !s.signed_in.iter().any(|(k, _)| k == who),
            };
            if s.signed_in.len() < MAX_EVIDENCE_IDS && unlisted() {
                // From the spraying address itself the sign-in is evidence now, in event order.
                if matches!(key, SourceKey::Ip(_)) {
                    s.add_evidence(&event.id);
                }
                s.text += pair_bytes(who, &event.id);
                s.signed_in.push((who.clone(), event.id.clone()));
            }
        } else if s.may_be_compromised(&key, h) && s.compromise(who.clone(), Some(&event.id)) {
            s.refresh(&key);
            if let Some(f) = &mut s.finding {
                if f.identity.is_none() {
                    f.identity = Some(who.clone());
                }
                f.last_seen = f.last_seen.max(event.time);
                f.severity = f.severity.max(Severity::High);
                f.confidence = 0.9;
                f.entities.add_origin_of(event);
                out.push(state::revise(f, FindingStatus::Open));
            }
        }
        self.bytes = (self.bytes + s.bytes()).saturating_sub(before);
    }
}

/// Adds `h` to the sorted set unless it holds `cap` values: `Some(true)` when added,
/// `Some(false)` when already there, `None` when full.
fn insert_capped(set: &mut Vec<u64>, h: u64, cap: usize) -> Option<bool> {
    match set.binary_search(&h) {
        Ok(_) => Some(false),
        Err(_) if set.len() >= cap => None,
        Err(at) => {
            set.insert(at, h);
            Some(true)
        }
    }
}

impl Source {
    /// Counts identity `h` as failed from the source. (Counts saturate: a snapshot's are input
    /// too.)
    fn note_failed(&mut self, h: u64, cap: usize) {
        match insert_capped(&mut self.hashed, h, cap) {
            Some(true) if self.succeeded.binary_search(&h).is_ok() => {
                self.succeeded_only = self.succeeded_only.saturating_sub(1);
                self.both = self.both.saturating_add(1);
            }
            None => self.saturated = true,
            _ => {}
        }
    }

    /// Counts identity `h` as signed in from the source: as [`insert_capped`] says.
    fn note_succeeded(&mut self, h: u64, cap: usize) -> Option<bool> {
        let added = insert_capped(&mut self.succeeded, h, cap);
        if added == Some(true) {
            if self.hashed.binary_search(&h).is_ok() {
                self.both = self.both.saturating_add(1);
            } else {
                self.succeeded_only = self.succeeded_only.saturating_add(1);
            }
        }
        added
    }

    /// Whether identity `h` signing in from the source means the spray got in: from the
    /// spraying address itself anyone's sign-in does (an account the attacker guessed right
    /// first time never failed); from a whole network, only a sprayed identity's does, since
    /// the network also carries the organisation's ordinary sign-ins.
    fn may_be_compromised(&self, key: &SourceKey, h: u64) -> bool {
        match key {
            SourceKey::Ip(_) => true,
            SourceKey::Asn(_) => self.hashed.binary_search(&h).is_ok(),
        }
    }

    /// Records that `who` got in, adding its sign-in `id` to the evidence when given; false when
    /// it was already recorded (or the list is full).
    fn compromise(&mut self, who: IdentityKey, id: Option<&str>) -> bool {
        let Err(at) = self.compromised.binary_search(&who) else {
            return false;
        };
        if self.compromised.len() >= MAX_EVIDENCE_IDS {
            return false;
        }
        self.text += text_bytes(who.as_str());
        self.compromised.insert(at, who);
        if let Some(id) = id {
            self.add_evidence(id);
        }
        true
    }
}

fn summary(key: &SourceKey, s: &Source) -> String {
    let from = match key {
        SourceKey::Ip(ip) => match s.asn {
            Some(a) => format!("{} (AS{a})", Shown(ip)),
            None => Shown(ip).to_string(),
        },
        SourceKey::Asn(a) => format!("network AS{a}"),
    };
    let at_least = if s.saturated { "at least " } else { "" };
    let mins = s.last.since(s.first).as_millis() / 60_000;
    let mut text = format!(
        "password spray from {from}: {} failed sign-ins against {at_least}{} identities",
        s.failures,
        s.hashed.len()
    );
    if s.unnamed > 0 {
        text.push_str(&format!(
            " and {} attempts at names the log hides (no such user)",
            s.unnamed
        ));
    }
    text.push_str(&format!(" in {mins} minutes"));
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
        text.push_str(" signed in successfully from it");
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

    // No `forget`: spray state is keyed by source and capped on its own (sources, and names
    // per source), so dropping a name frees little; and the identities a memory budget evicts
    // first, seen once and never trusted, are a spray's victims: taking them out of the
    // source's lists would erase the spray that filled the memory. (Walking every source for
    // each evicted identity also cost an eviction round minutes.)

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
        for (k, mut s) in sources {
            s.recount();
            self.expiry.set(&k, None, s.deadline(window));
            self.bytes += s.bytes();
            map.insert(k, s);
        }
        self.sources = map;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_schema::{Identity, SignIn, SignInStage, Source as Vendor};
    use proptest::prelude::*;

    fn sign_in(step: usize, at: Timestamp, who: u8, from: u8, ok: bool) -> Event {
        let t = at;
        let act = if ok {
            SignIn::success(SignInStage::Primary)
        } else {
            SignIn::failure(SignInStage::Primary, FailureReason::BadPassword)
        };
        let mut e = Event::new(t, format!("e{step}"), Vendor::Entra, Activity::SignIn(act))
            .with_actor(Identity::new(&format!("user{who}@contoso.example")));
        e.origin.ip = Some(IpAddr::from([198, 51, 100, from % 3]));
        e.origin.asn = Some(64_500 + u32::from(from % 2));
        e
    }

    /// CloudTrail hides user names that do not exist: a spray of guessed names from one
    /// address is mostly nameless failures. They count towards the identities a spray needs,
    /// up to half of them (they may all be one person retrying one wrong name), so a spray
    /// with real names among its guesses is found and the user who then gets in is named; one
    /// person's retries, or an office's typos among its sign-ins, are not a spray.
    #[test]
    fn failures_of_hidden_names_count_as_identities_tried() {
        let t0 = Timestamp::from_millis_unchecked(1_709_280_000_000);
        let at = |n: usize| t0 + Duration::from_secs(n as i64 * 20);
        let nameless = |n: usize| {
            let mut e = sign_in(n, at(n), 0, 0, false);
            e.actor = None;
            e
        };
        let named = |n: usize, who: u8, ok: bool| sign_in(n, at(n), who, 0, ok);
        let mut det = PasswordSpray::default();
        let mut out = Vec::new();
        for n in 0..12 {
            det.observe(&nameless(n), &Context::empty(), &mut out);
        }
        for who in 1..=4 {
            det.observe(
                &named(11 + usize::from(who), who, false),
                &Context::empty(),
                &mut out,
            );
        }
        assert!(out.is_empty(), "four names and the hidden ones: {out:?}");
        det.observe(&named(16, 5, false), &Context::empty(), &mut out);
        let f = out.last().expect("five names and at least five hidden");
        assert_eq!(f.identities.len(), 5);
        assert!(
            f.summary.contains(
                "17 failed sign-ins against 5 identities and 12 attempts at names the log hides"
            ),
            "{}",
            f.summary
        );
        det.observe(&named(17, 6, true), &Context::empty(), &mut out);
        let f = out.last().unwrap();
        assert_eq!(f.severity, Severity::High, "{}", f.summary);

        // One person retrying one wrong name from home, again and again.
        let mut det = PasswordSpray::default();
        let mut out = Vec::new();
        for n in 0..30 {
            det.observe(&nameless(n), &Context::empty(), &mut out);
        }
        assert!(out.is_empty(), "{out:?}");

        // An office: twenty people sign in through the morning, half after mistyping their
        // names, and two mistype their passwords.
        let mut det = PasswordSpray::default();
        let mut out = Vec::new();
        for n in 0..20u8 {
            let at = t0 + Duration::from_secs(i64::from(n) * 60);
            if n % 2 == 0 {
                let mut typo = nameless(usize::from(n) + 100);
                typo.time = at;
                det.observe(&typo, &Context::empty(), &mut out);
            }
            if n % 9 == 0 {
                let mut wrong = sign_in(usize::from(n) + 200, at, n, 0, false);
                wrong.time = at + Duration::from_secs(10);
                det.observe(&wrong, &Context::empty(), &mut out);
            }
            let e = sign_in(usize::from(n), at + Duration::from_secs(30), n, 0, true);
            det.observe(&e, &Context::empty(), &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
    }

    proptest! {
        /// The size estimate kept as lists change is the one counted from scratch, through
        /// sprays, successes, reports and sources dropped.
        #[test]
        fn the_kept_size_is_the_counted_size(
            steps in prop::collection::vec((0u8..40, 0u8..6, any::<bool>(), 0u8..30), 1..300)
        ) {
            let mut det = PasswordSpray::default();
            let mut out = Vec::new();
            let mut clock = Timestamp::from_millis_unchecked(1_709_280_000_000);
            for (n, (who, from, ok, advance)) in steps.into_iter().enumerate() {
                clock = clock + Duration::from_secs(20);
                let e = sign_in(n, clock, who, from, ok && who % 4 == 0);
                det.observe(&e, &Context::empty(), &mut out);
                if advance == 0 {
                    // Long enough for every source to go quiet and be dropped.
                    clock = clock + Duration::from_hours(3);
                    det.advance(clock, &mut out);
                }
                let mut sum = 0;
                for s in det.sources.values() {
                    let mut counted = s.clone();
                    counted.recount();
                    prop_assert_eq!(s.text, counted.text);
                    sum += s.bytes();
                }
                prop_assert_eq!(det.bytes, sum);
            }
        }
    }
}
