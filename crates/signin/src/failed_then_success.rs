//! `failed_then_success`: failed password or MFA attempts followed by a success from an origin
//! the identity does not know.

use std::collections::BTreeMap;
use std::net::IpAddr;

use palisade_core::{
    Context, Detector, Dimension, Error, Evidence, Finding, FindingStatus, ProfileView, Severity,
    Technique,
};
use palisade_schema::{
    Activity, Duration, Event, Factor, FailureReason, IdentityKey, PromptResult, SignInStage,
    Timestamp,
};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::assess::{assess, describe_history, describe_novelty, Assessment, NoveltyWeights};
use crate::state::{self, Expiry};

const NAME: &str = "failed_then_success";
const VERSION: u32 = 1;
const MAX_FAILURE_IPS: usize = 8;

/// Settings of [`FailedThenSuccess`].
///
/// ```
/// use palisade_signin::FailedThenSuccessConfig;
/// let c = FailedThenSuccessConfig::default();
/// assert_eq!((c.min_failures, c.window_minutes), (2, 60));
/// assert!(c.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailedThenSuccessConfig {
    /// Failed attempts (bad password or failed MFA) needed before the success (default 2).
    pub min_failures: u32,
    /// The success must follow the last failure within this many minutes (default 60); failures
    /// older than that are forgotten.
    pub window_minutes: i64,
    /// How unfamiliar the origin must be: the country and network part of the novelty score
    /// (default 1.0: a new network, or a rare country, is enough; a rare network alone is not).
    pub min_origin_score: f64,
    /// A prompt the user refused (denied, or reported as fraud) is remembered this many hours
    /// with its origin (default 168, a week; 0 forgets at once). A success from the same
    /// network within it is the attacker coming back, one refusal is enough, and it is judged
    /// against the origin as it was when refused.
    pub refusal_memory_hours: i64,
    /// How properties are weighed (shared with `unfamiliar_signin`).
    pub weights: NoveltyWeights,
    /// Identities tracked at most (default 100 000); past it the one with the oldest deadline is
    /// dropped (and its finding closed).
    pub max_identities: usize,
}

impl Default for FailedThenSuccessConfig {
    fn default() -> Self {
        FailedThenSuccessConfig {
            min_failures: 2,
            window_minutes: 60,
            min_origin_score: 1.0,
            refusal_memory_hours: 168,
            weights: NoveltyWeights::default(),
            max_identities: 100_000,
        }
    }
}

impl FailedThenSuccessConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), Error> {
        self.weights.validate().map_err(Error::Config)?;
        if self.min_failures == 0 || self.window_minutes <= 0 || self.max_identities == 0 {
            return Err(Error::Config(
                "failed_then_success needs min_failures, window_minutes and max_identities > 0"
                    .into(),
            ));
        }
        if self.refusal_memory_hours < 0 {
            return Err(Error::Config(
                "failed_then_success needs refusal_memory_hours >= 0".into(),
            ));
        }
        if !(self.min_origin_score.is_finite() && self.min_origin_score >= 0.0) {
            return Err(Error::Config(
                "min_origin_score must be a finite number >= 0".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Failures {
    first: Timestamp,
    last: Timestamp,
    mfa: u32,
    password: u32,
    evidence: Evidence,
    ips: Vec<IpAddr>,
    /// The last MFA failure counted, while it waits for its twin: vendors report one refused
    /// prompt twice (Okta `deny_push` and the failed `auth_via_mfa` share a transaction id;
    /// Entra's 500121 gives a failed sign-in and a prompt), and that is one attempt. Several
    /// prompts of one transaction are still several attempts, so only a record of the other
    /// kind, close in time, is a twin.
    #[serde(default)]
    unpaired: Option<Attempt>,
    /// How unfamiliar the failures' own origin was when they began (country and ASN surprise),
    /// judged before the attempts' password-stage successes taught the profile that origin.
    #[serde(default)]
    origin_at_failure: Option<OriginScore>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct OriginScore {
    country: Option<String>,
    asn: Option<u32>,
    score: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Attempt {
    correlation: String,
    prompt: bool,
    #[serde(with = "state::millis")]
    at: Timestamp,
}

/// How far apart the two records of one refused prompt may be.
const TWIN_WITHIN: Duration = Duration::from_mins(2);

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Open {
    finding: Finding,
    country: Option<String>,
    asn: Option<u32>,
    #[serde(with = "state::millis")]
    until: Timestamp,
}

/// The last prompt the user refused, and where it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Refusal {
    #[serde(with = "state::millis")]
    at: Timestamp,
    country: Option<String>,
    asn: Option<u32>,
    ip: Option<IpAddr>,
    /// How unfamiliar that origin was when refused (country and ASN surprise).
    score: f64,
    evidence: Evidence,
}

impl Refusal {
    /// Whether `event` comes from the refused network: the same address, or the same
    /// country and ASN.
    fn same_network(&self, event: &Event) -> bool {
        let o = &event.origin;
        (self.ip.is_some() && self.ip == o.ip)
            || (self.asn.is_some() && self.asn == o.asn && self.country == o.country)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Track {
    failures: Option<Failures>,
    open: Option<Open>,
    #[serde(default)]
    refused: Option<Refusal>,
    #[serde(with = "state::millis")]
    deadline: Timestamp,
}

impl Track {
    fn next_deadline(&self, window: Duration, memory: Duration) -> Option<Timestamp> {
        let f = self.failures.as_ref().map(|f| f.last + window);
        let o = self.open.as_ref().map(|o| o.until);
        let r = self.refused.as_ref().map(|r| r.at + memory);
        f.into_iter().chain(o).chain(r).max()
    }
}

/// How surprising an event's country and network are for this profile.
fn origin_score(event: &Event, profile: &dyn ProfileView, weights: &NoveltyWeights) -> f64 {
    origin_part(&assess(event, profile, weights))
}

/// The country and network part of an assessment's score.
fn origin_part(a: &Assessment) -> f64 {
    a.novel
        .iter()
        .filter(|n| matches!(n.dim, Dimension::Country | Dimension::Asn))
        .map(|n| n.surprise)
        .sum()
}

/// The success measured against its profile, when its origin is unfamiliar enough: as it is
/// now, or as it was when the failures before it came from there (`then`, since a refused
/// attempt may have taught the profile nothing, or its password stage may have taught it all).
fn unfamiliar_origin(
    config: &FailedThenSuccessConfig,
    event: &Event,
    p: &dyn ProfileView,
    then: f64,
) -> Option<Assessment> {
    // A profile that has learned no sign-in yet (its first is still waiting for its MFA step)
    // has nothing to be unfamiliar against: a new identity fumbling its first prompt is not
    // a return from somewhere new.
    if p.sign_ins() == 0 {
        return None;
    }
    let a = assess(event, p, &config.weights);
    (origin_part(&a).max(then) >= config.min_origin_score).then_some(a)
}

/// What kind of failure an event is, if it counts.
fn failure_kind(event: &Event) -> Option<bool> {
    match &event.activity {
        Activity::SignIn(s) => match &s.outcome {
            palisade_schema::Outcome::Failure { reason } if reason.is_mfa() => Some(true),
            palisade_schema::Outcome::Failure {
                reason: FailureReason::BadPassword,
            } => Some(false),
            _ => None,
        },
        // A denied, unanswered or reported push (Duo, Okta Verify) is a failed MFA attempt too.
        Activity::MfaPrompt(p) if p.result.is_unanswered_or_refused() => Some(true),
        _ => None,
    }
}

/// Whether a failure is the user refusing the prompt (not merely missing it).
fn is_refusal(event: &Event) -> bool {
    match &event.activity {
        Activity::SignIn(s) => match &s.outcome {
            palisade_schema::Outcome::Failure { reason } => match reason {
                FailureReason::MfaDenied | FailureReason::MfaFraudReported => true,
                // A push challenge that failed, from a vendor that says no more (Google
                // Workspace's `google_prompt` "Challenge Failed"): there is no code to mistype.
                FailureReason::MfaFailed => s.factor == Some(Factor::Push),
                _ => false,
            },
            _ => false,
        },
        Activity::MfaPrompt(p) => {
            matches!(p.result, PromptResult::Denied | PromptResult::FraudReported)
        }
        _ => false,
    }
}

/// Failed attempts followed by a success from an unfamiliar origin: the password (or a push) was
/// got past after some tries, from somewhere this identity does not sign in from.
///
/// The reference case: two failed MFA attempts, then a success from a rare US endpoint for an
/// identity that always signs in from Australia. Failed MFA raises the severity (someone had the
/// password) unless the identity's own client in a country it knows is simply fumbling its
/// prompts; a client that is not the identity's own device or browser family raises it too; a
/// still-learning profile lowers it.
///
/// A prompt the user refused is remembered longer than the window (a week by default) with
/// its network: when a success comes back from that network, one refusal is enough. The
/// attacker who was turned away on Monday and got through on Tuesday is one story.
///
/// ```
/// use palisade_baseline::BaselineStore;
/// use palisade_core::*;
/// use palisade_schema::*;
/// use palisade_signin::FailedThenSuccess;
///
/// let who = IdentityKey::new("ana@contoso.com");
/// let t0 = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
/// let ev = |t: Timestamp, id: &str, act: Activity, country: &str, asn: u32| {
///     let mut e = Event::new(t, id, Source::Okta, act).with_actor(Identity::new("ana@contoso.com"));
///     e.origin.country = Some(country.into());
///     e.origin.asn = Some(asn);
///     e
/// };
/// let mut store = BaselineStore::default();
/// for d in 0..20 {
///     store.learn(&ev(t0 + Duration::from_days(d), &format!("h{d}"),
///         Activity::SignIn(SignIn::success(SignInStage::Primary)), "AU", 7545));
/// }
/// let mut det = FailedThenSuccess::default();
/// let mut out = Vec::new();
/// let t = t0 + Duration::from_days(21);
/// let denied = Activity::SignIn(SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied));
/// for (i, e) in [
///     ev(t, "f1", denied.clone(), "US", 7922),
///     ev(t + Duration::from_mins(2), "f2", denied, "US", 7922),
///     ev(t + Duration::from_mins(4), "ok", Activity::SignIn(SignIn::success(SignInStage::Mfa)), "US", 7922),
/// ].iter().enumerate() {
///     let ctx = Context { profile: store.view(&who), ..Context::empty() };
///     det.observe(e, &ctx, &mut out);
/// }
/// assert_eq!(out.len(), 1);
/// assert!(out[0].severity >= Severity::Medium);
/// assert_eq!(out[0].evidence.event_ids, ["f1", "f2", "ok"]);
/// assert!(out[0].summary.starts_with("2 failed MFA attempts in 4 minutes, then success"));
/// det.advance(t + Duration::from_hours(3), &mut out);
/// assert_eq!(out[1].status, FindingStatus::Closed);
/// ```
#[derive(Debug, Default)]
pub struct FailedThenSuccess {
    config: FailedThenSuccessConfig,
    /// Keyed by a fast hash; snapshots sort, so no output depends on hash order.
    tracks: FxHashMap<IdentityKey, Track>,
    expiry: Expiry<IdentityKey>,
}

impl FailedThenSuccess {
    /// A detector with these settings (validated).
    pub fn new(config: FailedThenSuccessConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(FailedThenSuccess {
            config,
            ..Self::default()
        })
    }

    /// The settings.
    pub fn config(&self) -> &FailedThenSuccessConfig {
        &self.config
    }

    fn window(&self) -> Duration {
        Duration::from_mins(self.config.window_minutes)
    }

    fn memory(&self) -> Duration {
        Duration::from_hours(self.config.refusal_memory_hours)
    }

    /// Re-queues `key` at its next deadline, or drops it when nothing is left.
    fn settle(&mut self, key: &IdentityKey) {
        let (window, memory) = (self.window(), self.memory());
        let Some(track) = self.tracks.get_mut(key) else {
            return;
        };
        match track.next_deadline(window, memory) {
            Some(d) => {
                let old = track.deadline;
                track.deadline = d;
                self.expiry.set(key, Some(old), d);
            }
            None => {
                self.expiry.remove(key, track.deadline);
                self.tracks.remove(key);
            }
        }
    }

    fn track(&mut self, key: &IdentityKey, now: Timestamp, out: &mut Vec<Finding>) -> &mut Track {
        if !self.tracks.contains_key(key) {
            if self.tracks.len() >= self.config.max_identities {
                if let Some(oldest) = self.expiry.pop_earliest() {
                    if let Some(mut t) = self.tracks.remove(&oldest) {
                        if let Some(o) = &mut t.open {
                            out.push(state::revise(&mut o.finding, FindingStatus::Closed));
                        }
                    }
                }
            }
            self.expiry.set(key, None, now);
            self.tracks.insert(
                key.clone(),
                Track {
                    deadline: now,
                    ..Track::default()
                },
            );
        }
        match self.tracks.entry(key.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Track::default()),
        }
    }

    fn on_failure(
        &mut self,
        event: &Event,
        key: &IdentityKey,
        mfa: bool,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        let window = self.window();
        let at_failure = ctx
            .profile
            .map(|p| origin_score(event, p, &self.config.weights));
        let remember = self.config.refusal_memory_hours > 0 && is_refusal(event);
        let track = self.track(key, event.time, out);
        if remember {
            let r = match &mut track.refused {
                Some(r) if r.same_network(event) => r,
                slot => slot.insert(Refusal {
                    at: event.time,
                    country: event.origin.country.clone(),
                    asn: event.origin.asn,
                    ip: event.origin.ip,
                    score: 0.0,
                    evidence: Evidence::default(),
                }),
            };
            r.at = r.at.max(event.time);
            r.score = r.score.max(at_failure.unwrap_or(0.0));
            r.evidence.push(event.id.clone());
        }
        let f = match &mut track.failures {
            Some(f) if event.time.since(f.last) <= window => f,
            slot => slot.insert(Failures {
                first: event.time,
                last: event.time,
                mfa: 0,
                password: 0,
                evidence: Evidence::default(),
                ips: Vec::new(),
                unpaired: None,
                origin_at_failure: None,
            }),
        };
        f.last = f.last.max(event.time);
        f.evidence.push(event.id.clone());
        if let Some(score) = at_failure {
            if f.origin_at_failure.as_ref().is_none_or(|o| score > o.score) {
                f.origin_at_failure = Some(OriginScore {
                    country: event.origin.country.clone(),
                    asn: event.origin.asn,
                    score,
                });
            }
        }
        let prompt = matches!(event.activity, Activity::MfaPrompt(_));
        let twin = mfa
            && f.unpaired.as_ref().is_some_and(|a| {
                Some(a.correlation.as_str()) == event.correlation_id.as_deref()
                    && a.prompt != prompt
                    && event.time.since(a.at) <= TWIN_WITHIN
            });
        if twin {
            // Already counted with its twin; the evidence keeps both records.
            f.unpaired = None;
        } else if mfa {
            f.mfa += 1;
            f.unpaired = event.correlation_id.as_ref().map(|c| Attempt {
                correlation: c.clone(),
                prompt,
                at: event.time,
            });
        } else {
            f.password += 1;
        }
        if let Some(ip) = event.origin.ip {
            if f.ips.len() < MAX_FAILURE_IPS && !f.ips.contains(&ip) {
                f.ips.push(ip);
            }
        }
        self.settle(key);
    }

    fn on_success(
        &mut self,
        event: &Event,
        key: &IdentityKey,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        if self.tracks.is_empty() {
            return;
        }
        let (window, memory) = (self.window(), self.memory());
        let config = &self.config;
        let Some(track) = self.tracks.get_mut(key) else {
            return;
        };
        // A further success from the same origin joins the open finding while it is open (in
        // batch mode `advance` may not have closed it yet).
        if let Some(open) = &mut track.open {
            if event.time <= open.until
                && open.country == event.origin.country
                && open.asn == event.origin.asn
            {
                let f = &mut open.finding;
                f.evidence.push(event.id.clone());
                f.last_seen = f.last_seen.max(event.time);
                open.until = open.until.max(event.time + window);
                if state::doubling(f.evidence.total) {
                    out.push(state::revise(f, FindingStatus::Open));
                }
                self.settle(key);
                return;
            }
        }
        // Once MFA has failed, the password is known: a password-stage success on the next try
        // (Okta's `user.session.start` before the push) may fire, but does not end the run of
        // failed attempts, so the MFA failures of several tries add up.
        let password_stage =
            matches!(&event.activity, Activity::SignIn(s) if s.stage == SignInStage::Primary);
        let keep = password_stage && track.failures.as_ref().is_some_and(|f| f.mfa > 0);
        let failures = if keep {
            track.failures.clone()
        } else {
            track.failures.take()
        };
        let Some(p) = ctx.profile else {
            self.settle(key);
            return;
        };
        let after_failures = failures.and_then(|f| {
            let recent = event.time.since(f.last) <= window && event.time >= f.first;
            (recent && f.mfa + f.password >= config.min_failures)
                .then(|| after_failures(config, &f, event, key, p))
                .flatten()
        });
        // The same network back after its prompt was refused, and this time through: a
        // password-stage success the vendor logs before its MFA step (Okta's
        // `user.session.start`) is the attacker retrying, not yet in.
        let finding = after_failures.or_else(|| {
            let r = track.refused.as_ref()?;
            let waiting = matches!(&event.activity,
                Activity::SignIn(s) if s.stage == SignInStage::Primary
                    && s.mfa_satisfied.is_none()
                    && event.source.logs_password_stage_first());
            if waiting {
                return None;
            }
            let back = event.time >= r.at && event.time.since(r.at) <= memory;
            (back && r.same_network(event))
                .then(|| after_refusal(config, r, event, key, p))
                .flatten()
        });
        if let Some(f) = finding {
            track.failures = None;
            track.refused = None;
            if let Some(mut old) = track.open.take() {
                out.push(state::revise(&mut old.finding, FindingStatus::Closed));
            }
            out.push(f.clone());
            track.open = Some(Open {
                finding: f,
                country: event.origin.country.clone(),
                asn: event.origin.asn,
                until: event.time + window,
            });
        }
        self.settle(key);
    }
}

/// The finding for a success after `failures`, if its origin is unfamiliar enough.
fn after_failures(
    config: &FailedThenSuccessConfig,
    failures: &Failures,
    event: &Event,
    key: &IdentityKey,
    p: &dyn ProfileView,
) -> Option<Finding> {
    // The attempts came from here too: judge the origin as it was when they began.
    let then = failures
        .origin_at_failure
        .as_ref()
        .filter(|o| o.country == event.origin.country && o.asn == event.origin.asn)
        .map_or(0.0, |o| o.score);
    let a = unfamiliar_origin(config, event, p, then)?;
    let mut sev = Severity::Low;
    // The identity's own client in a country it knows is the user fumbling their prompts on a
    // new network, however many prompts failed. Where the source names no client (Google
    // Workspace), a country the profile knows is as far as it can tell.
    // The identity's own device (its id, not a browser family an intruder can copy) is the
    // user anywhere: a traveller whose prompts time out on a roaming phone.
    let own_client = a.anchor >= 0.5 || !a.client_named;
    let own = (own_client && !a.is_unfamiliar(Dimension::Country)) || a.own_device;
    if failures.mfa > 0 && !own {
        sev = sev.bump();
    }
    let what = match (failures.mfa, failures.password) {
        (0, n) => format!("{n} failed password attempt{}", plural(n)),
        (n, 0) => format!("{n} failed MFA attempt{}", plural(n)),
        (m, n) => format!("{n} failed password and {m} failed MFA attempts"),
    };
    let span = event.time.since(failures.first).as_millis() / 60_000;
    let cause = Cause {
        what: format!("{what} in {span} minute{}", plural(span as u32)),
        evidence: &failures.evidence,
        since: failures.first,
        confidence: if failures.mfa > 0 { 0.8 } else { 0.6 },
    };
    let mut f = finding(sev, &a, p, event, key, cause);
    for ip in &failures.ips {
        f.entities.add_ip(*ip);
    }
    Some(f)
}

/// The finding for a success from the network of refusal `r`, if that origin is unfamiliar
/// enough (as it was when refused: the refused sign-in taught the profile nothing).
fn after_refusal(
    config: &FailedThenSuccessConfig,
    r: &Refusal,
    event: &Event,
    key: &IdentityKey,
    p: &dyn ProfileView,
) -> Option<Finding> {
    let a = unfamiliar_origin(config, event, p, r.score)?;
    let hours = event.time.since(r.at).as_millis() / 3_600_000;
    let ago = if hours == 0 {
        "within the hour".to_owned()
    } else {
        format!("{hours} hour{} later", plural(hours as u32))
    };
    let cause = Cause {
        what: format!("a refused MFA prompt from this network, back {ago}"),
        evidence: &r.evidence,
        since: r.at,
        confidence: 0.8,
    };
    let mut f = finding(Severity::Low, &a, p, event, key, cause);
    if let Some(ip) = r.ip {
        f.entities.add_ip(ip);
    }
    Some(f)
}

/// What went before the success: the failures' words, records and start.
struct Cause<'a> {
    what: String,
    evidence: &'a Evidence,
    since: Timestamp,
    confidence: f32,
}

/// A finding of `base` severity about the success `event` after `cause`, raised by a client
/// that is not the identity's own (more so in an unfamiliar country) and lowered for a
/// still-learning profile.
fn finding(
    base: Severity,
    a: &Assessment,
    p: &dyn ProfileView,
    event: &Event,
    key: &IdentityKey,
    cause: Cause<'_>,
) -> Finding {
    let mut sev = base;
    // A client that is not the identity's own raises the severity, and more so abroad; a client
    // the source does not name is unknown, not unfamiliar: only abroad raises it.
    let unseen = !a.client_named;
    let strange_client = a.anchor < 0.5 && !unseen;
    if strange_client {
        sev = sev.bump();
    }
    if (strange_client || unseen) && a.is_unfamiliar(Dimension::Country) {
        sev = sev.bump();
    }
    if !p.trusted() {
        sev = sev.lower();
    }
    let sev = sev.clamp(Severity::Low, Severity::High);
    let summary = format!(
        "{}, then success: {}; {}",
        cause.what,
        describe_novelty(a, event),
        describe_history(p)
    );
    let first_id = cause.evidence.first().unwrap_or(&event.id).to_owned();
    let mut f = Finding::new(NAME, Some(key.clone()), &first_id, cause.since)
        .with_severity(sev)
        .with_technique(Technique::ValidCloudAccounts)
        .with_confidence(cause.confidence)
        .with_summary(summary);
    f.evidence = cause.evidence.clone();
    f.evidence.push(event.id.clone());
    f.last_seen = event.time;
    f.entities.add_origin_of(event);
    f.baseline = Some(p.maturity());
    f
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Detector for FailedThenSuccess {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(key) = event.identity() else { return };
        if let Some(mfa) = failure_kind(event) {
            self.on_failure(event, key, mfa, ctx, out);
        } else if event.activity.is_successful_sign_in() {
            self.on_success(event, key, ctx, out);
        }
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        let (window, memory) = (self.window(), self.memory());
        while let Some(key) = self.expiry.pop_due(now) {
            let Some(track) = self.tracks.get_mut(&key) else {
                continue;
            };
            if track
                .failures
                .as_ref()
                .is_some_and(|f| f.last + window <= now)
            {
                track.failures = None;
            }
            if track.open.as_ref().is_some_and(|o| o.until <= now) {
                if let Some(mut o) = track.open.take() {
                    out.push(state::revise(&mut o.finding, FindingStatus::Closed));
                }
            }
            if track.refused.as_ref().is_some_and(|r| r.at + memory <= now) {
                track.refused = None;
            }
            match track.next_deadline(window, memory) {
                Some(d) => {
                    track.deadline = d;
                    self.expiry.set(&key, None, d);
                }
                None => {
                    self.tracks.remove(&key);
                }
            }
        }
    }

    fn forget(&mut self, identity: &IdentityKey) {
        if let Some(t) = self.tracks.remove(identity) {
            self.expiry.remove(identity, t.deadline);
        }
    }

    fn state_bytes(&self) -> usize {
        // An estimate per tracked identity (key, a few failure ids, perhaps one open finding):
        // exact accounting would cost a walk over every track on each call.
        self.tracks.len() * 640 + self.expiry.len() * 48
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let sorted: BTreeMap<&IdentityKey, &Track> = self.tracks.iter().collect();
        state::encode(NAME, VERSION, &sorted)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let tracks: BTreeMap<IdentityKey, Track> = state::decode(NAME, VERSION, bytes)?;
        self.expiry.clear();
        for (k, t) in &tracks {
            self.expiry.set(k, None, t.deadline);
        }
        self.tracks = tracks.into_iter().collect();
        Ok(())
    }
}
