//! The `mfa_fatigue` detector: prompts paired into bursts, bursts graded by the ladder.

use palisade_core::{
    stable_hash, Context, Detector, Dimension, Error, Finding, FindingStatus, ProfileView,
    Severity, Technique,
};
use palisade_schema::{
    Activity, Duration, Event, Factor, FailureReason, IdentityKey, MfaPrompt, Outcome,
    PromptResult, RiskLevel, SignIn, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::index::{identity_hash, ExpiryQueue, Tracks};
use crate::state::{
    Burst, Prompt, PromptState, Text, Track, CLAIMED, FRAUD_COUNTED, SEEN_PROMPT, SEEN_SIGN_IN,
    UNFAMILIAR,
};
use crate::{BurstFacts, MfaFatigueConfig};

/// The detector's stable name, used in findings and policy files.
pub const NAME: &str = "mfa_fatigue";

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Detects MFA fatigue (push bombing, MITRE ATT&CK T1621) on normalized events from any vendor.
///
/// Per identity it pairs every report of an MFA prompt (sent, denied, timed out, reported as
/// fraud, approved; as an `MfaPrompt` or as a failed or successful MFA `SignIn`) into one
/// prompt, counts the prompts refused or left unanswered in a sliding window, and raises one
/// finding per burst, graded by [`MfaFatigueConfig::ladder`]. The finding is re-emitted with
/// `revision + 1` as the burst grows or escalates, and a last time with `status: closed` when the
/// window has moved past it.
///
/// # Pairing
///
/// - A sent prompt waits for its answer. An answer (denial, timeout, fraud report, approval)
///   takes the newest unanswered prompt sent less than `answer_within` before it with the same
///   correlation id, else the newest pending prompt whose correlation id does not contradict it
///   (missing on either side). A vendor that shares one transaction id across several pushes is
///   handled: each answer takes the newest prompt of that transaction.
/// - A refusal that finds no waiting prompt is a second report of an already answered one when a
///   refused prompt with a compatible correlation id got its answer less than `pair_within` ago
///   through the other kind of event (`MfaPrompt` vs `SignIn`); otherwise it is a new prompt.
/// - A newer prompt makes older pending ones unanswered; `answer_within` does the same for the
///   last one, when event time (an event of that identity, or [`Detector::advance`]) passes it.
///
/// # Example: the Uber-style attack
///
/// ```
/// use palisade_core::{Context, Detector, Severity, FindingStatus};
/// use palisade_mfa_fatigue::MfaFatigue;
/// use palisade_schema::*;
///
/// let t0 = Timestamp::parse_rfc3339("2022-09-15T23:08:00Z").unwrap();
/// let push = |i: i64, result| {
///     let mut e = Event::new(t0 + Duration::from_secs(40 * i), format!("duo-{i}"), Source::Duo,
///         Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result }))
///         .with_actor(Identity::new("contractor@uber.example"));
///     e.origin.ip = Some("203.0.113.7".parse().unwrap());
///     e.origin.country = Some("US".into());
///     e
/// };
/// let mut d = MfaFatigue::default();
/// let mut out = Vec::new();
/// for i in 0..9 {
///     d.observe(&push(i, PromptResult::Denied), &Context::empty(), &mut out);
/// }
/// d.observe(&push(9, PromptResult::Approved), &Context::empty(), &mut out);
/// let last = out.last().unwrap();
/// assert_eq!(last.severity, Severity::Critical);
/// assert!(out.iter().all(|f| f.id == last.id)); // one finding, many revisions
/// assert!(last.summary.starts_with("9 push prompts denied or unanswered in 5 min from 203.0.113.7 (US), then approved at 23:14"));
///
/// out.clear();
/// d.advance(t0 + Duration::from_hours(1), &mut out);
/// assert_eq!(out[0].status, FindingStatus::Closed);
/// ```
pub struct MfaFatigue {
    config: MfaFatigueConfig,
    tracks: Tracks,
    /// Expiry queue: (due ms, identity hash, generation); stale entries are skipped when taken.
    queue: ExpiryQueue,
    next_gen: u32,
    bytes: usize,
}

impl Default for MfaFatigue {
    fn default() -> Self {
        MfaFatigue::build(MfaFatigueConfig::default())
    }
}

impl std::fmt::Debug for MfaFatigue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaFatigue")
            .field("config", &self.config)
            .field("identities", &self.tracks.len())
            .field("queued", &self.queue.len())
            .field("state_bytes", &self.bytes)
            .finish()
    }
}

/// What an event means for the detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Send,
    Refusal(PromptState),
    Approval,
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    version: u32,
    tracks: Vec<&'a Track>,
}

/// The snapshot body (its `version` is checked first, through [`VersionProbe`]).
#[derive(Deserialize)]
struct SnapshotIn {
    tracks: Vec<Track>,
}

#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

impl MfaFatigue {
    /// A detector with `config`, checked.
    ///
    /// ```
    /// use palisade_mfa_fatigue::{MfaFatigue, MfaFatigueConfig};
    /// assert!(MfaFatigue::new(MfaFatigueConfig::default()).is_ok());
    /// assert!(MfaFatigue::new(MfaFatigueConfig { high_at: 0, ..Default::default() }).is_err());
    /// ```
    pub fn new(config: MfaFatigueConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(MfaFatigue::build(config))
    }

    fn build(config: MfaFatigueConfig) -> Self {
        MfaFatigue {
            config,
            tracks: Tracks::default(),
            queue: ExpiryQueue::default(),
            next_gen: 0,
            bytes: 0,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &MfaFatigueConfig {
        &self.config
    }

    /// How many identities have state.
    pub fn tracked_identities(&self) -> usize {
        self.tracks.len()
    }

    /// Prompts of `identity` refused, reported or left unanswered whose send time lies in
    /// `(at - span, at]`, as the detector knows them after the events it has seen (a prompt still
    /// waiting at `at - answer_within` or earlier counts as unanswered). Only prompts still kept
    /// are counted (at most `max_prompts`, none older than the longest window).
    ///
    /// ```
    /// use palisade_core::{Context, Detector};
    /// use palisade_mfa_fatigue::MfaFatigue;
    /// use palisade_schema::*;
    /// let t = Timestamp::parse_rfc3339("2024-03-01T10:00:00Z").unwrap();
    /// let sent = Event::new(t, "p1", Source::Okta,
    ///     Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: PromptResult::Sent }))
    ///     .with_actor(Identity::new("bob@x.com"));
    /// let mut d = MfaFatigue::default();
    /// d.observe(&sent, &Context::empty(), &mut Vec::new());
    /// let bob = IdentityKey::new("bob@x.com");
    /// assert_eq!(d.window_count(&bob, t, Duration::from_mins(10)), 0); // still waiting
    /// assert_eq!(d.window_count(&bob, t + Duration::from_mins(5), Duration::from_mins(10)), 1);
    /// ```
    pub fn window_count(&self, identity: &IdentityKey, at: Timestamp, span: Duration) -> usize {
        let hash = identity_hash(identity.as_str());
        let Some(track) = self.tracks.get(identity.as_str(), hash) else {
            return 0;
        };
        let at = at.as_millis();
        let from = at.saturating_sub(span.as_millis());
        let aw = self.config.answer_within.as_millis();
        track
            .prompts
            .iter()
            .filter(|p| p.time > from && p.time <= at)
            .filter(|p| {
                p.state.counts()
                    || (p.state == PromptState::Pending && p.time.saturating_add(aw) <= at)
            })
            .count()
    }

    fn classify(&self, event: &Event) -> Option<(Signal, u8)> {
        let counted = |f| self.config.factors.contains(&f);
        match &event.activity {
            Activity::MfaPrompt(MfaPrompt { factor, result }) => {
                let signal = match result {
                    PromptResult::Sent if counted(*factor) => Signal::Send,
                    PromptResult::Denied if counted(*factor) => {
                        Signal::Refusal(PromptState::Denied)
                    }
                    PromptResult::TimedOut if counted(*factor) => {
                        Signal::Refusal(PromptState::TimedOut)
                    }
                    PromptResult::FraudReported => Signal::Refusal(PromptState::Fraud),
                    PromptResult::Approved => Signal::Approval,
                    _ => return None,
                };
                Some((signal, SEEN_PROMPT))
            }
            Activity::SignIn(SignIn {
                stage,
                outcome,
                factor,
                mfa_satisfied,
                ..
            }) => {
                let signal = match outcome {
                    Outcome::Failure { reason } => {
                        let factor_ok = !matches!(factor, Some(f) if !counted(*f));
                        match reason {
                            FailureReason::MfaDenied if factor_ok => {
                                Signal::Refusal(PromptState::Denied)
                            }
                            FailureReason::MfaTimeout if factor_ok => {
                                Signal::Refusal(PromptState::TimedOut)
                            }
                            FailureReason::MfaFraudReported => Signal::Refusal(PromptState::Fraud),
                            // A push challenge that failed was refused or left unanswered: there
                            // is no code to mistype. Google Workspace logs push denials and
                            // timeouts only this way (`login_challenge`, `google_prompt`,
                            // `Challenge Failed`).
                            FailureReason::MfaFailed
                                if *factor == Some(Factor::Push) && counted(Factor::Push) =>
                            {
                                Signal::Refusal(PromptState::Denied)
                            }
                            _ => return None,
                        }
                    }
                    Outcome::Success
                        if *stage == palisade_schema::SignInStage::Mfa
                            || *mfa_satisfied == Some(true) =>
                    {
                        Signal::Approval
                    }
                    Outcome::Success => return None,
                };
                Some((signal, SEEN_SIGN_IN))
            }
            _ => None,
        }
    }

    /// Queues `track`'s next due time, unless an entry due no later is already queued.
    fn schedule(
        cfg: &MfaFatigueConfig,
        queue: &mut ExpiryQueue,
        next_gen: &mut u32,
        track: &mut Track,
    ) {
        let Some(due) = due_time(cfg, track) else {
            return;
        };
        if due < track.queued {
            *next_gen = next_gen.wrapping_add(1);
            track.gen = *next_gen;
            track.queued = due;
            queue.push((due, track.hash, track.gen));
        }
    }

    /// Recomputes the track's bytes and (re)schedules it; `false` when it holds nothing and
    /// should be dropped.
    fn settle(
        cfg: &MfaFatigueConfig,
        queue: &mut ExpiryQueue,
        next_gen: &mut u32,
        bytes: &mut usize,
        track: &mut Track,
    ) -> bool {
        let before = track.bytes as usize;
        if track.prompts.is_empty() && track.burst.is_none() {
            *bytes = bytes.saturating_sub(before);
            return false;
        }
        if track.prompts.capacity() > 4 * track.prompts.len().max(2) {
            track.prompts.shrink_to_fit();
        }
        let now = track.estimate_bytes();
        track.bytes = u32::try_from(now).unwrap_or(u32::MAX);
        *bytes = bytes.saturating_sub(before) + now;
        Self::schedule(cfg, queue, next_gen, track);
        true
    }
}

impl MfaFatigue {
    /// Drops stale expiry entries ahead of their time once they far outnumber the tracks (a
    /// flood of identities that come and go), so the queue stays proportional to what is
    /// tracked. Each pass removes at least three entries in four, so the cost is amortized.
    fn drop_stale(queue: &mut ExpiryQueue, tracks: &Tracks) {
        if queue.len() > 4 * tracks.len() + 1024 {
            queue.retain(|&(_, hash, gen)| tracks.find_by(hash, |t| t.gen == gen).is_some());
        }
    }

    /// Drops an eighth of the tracks, closing their open bursts, so that a flood of identities
    /// cannot grow state without bound. The ones dropped hold the least evidence (fewest
    /// prompts kept or in a burst), and among those the ones quiet the longest (ties by
    /// identity): a flood of one-prompt identities never pushes out one being bombed.
    fn evict_quietest(
        config: &MfaFatigueConfig,
        tracks: &mut Tracks,
        bytes: &mut usize,
        out: &mut Vec<Finding>,
    ) {
        let mut order: Vec<(usize, i64, Text)> = tracks
            .iter()
            .map(|t| (evidence(t), last_activity(t), t.key.clone()))
            .collect();
        let n = (config.max_identities / 8).clamp(1, order.len().max(1));
        if n < order.len() {
            order.select_nth_unstable(n);
            order.truncate(n);
        }
        order.sort_unstable();
        for (_, _, key) in order {
            let key = key.as_str();
            let Some(mut track) = tracks.remove(&key, identity_hash(&key)) else {
                continue;
            };
            *bytes = bytes.saturating_sub(track.bytes as usize);
            if let Some(mut b) = track.burst.take() {
                b.finding.status = FindingStatus::Closed;
                Rules { config }.publish(&track, &mut b, out);
            }
        }
    }
}

/// How much a track holds that a burst is made of.
fn evidence(track: &Track) -> usize {
    let burst = track.burst.as_ref().map_or(0, |b| b.prompts as usize);
    track.prompts.len() + burst
}

/// The latest time anything happened on a track (ms).
fn last_activity(track: &Track) -> i64 {
    let prompts = track.prompts.iter().map(|p| p.time.max(p.resolved_at));
    let burst = track
        .burst
        .as_ref()
        .map(|b| b.last.max(b.approved_at.unwrap_or(b.last)));
    prompts.chain(burst).max().unwrap_or(i64::MIN)
}

/// When the track next needs attention: a pending prompt times out, the burst may close, or
/// every prompt has aged out.
fn due_time(cfg: &MfaFatigueConfig, track: &Track) -> Option<i64> {
    let aw = cfg.answer_within.as_millis();
    let mut due = track
        .prompts
        .last()
        .map(|p| p.time.saturating_add(cfg.horizon_ms()));
    let mut take = |t: i64| due = Some(due.map_or(t, |d: i64| d.min(t)));
    if let Some(e) = earliest_expiry(track, aw) {
        take(e.0);
    }
    if let Some(b) = &track.burst {
        take(close_time(cfg, b, track));
    }
    due
}

fn earliest_expiry(track: &Track, aw: i64) -> Option<(i64, usize)> {
    let mut best: Option<(i64, usize)> = None;
    for (i, p) in track.prompts.iter().enumerate() {
        if p.state == PromptState::Pending {
            let e = p.time.saturating_add(aw);
            if !matches!(best, Some((b, _)) if b <= e) {
                best = Some((e, i));
            }
        }
    }
    best
}

/// How long a burst stays open after its last prompt: `window`, or for a slow burst twice its
/// pace (at most twice the slow window's pace, 24 minutes by default), so the approval an
/// attacker prompting every quarter of an hour finally gets still belongs to the burst.
fn tail(cfg: &MfaFatigueConfig, b: &Burst) -> i64 {
    let window = cfg.window.as_millis();
    let Some(gaps) = i64::from(b.prompts).checked_sub(1).filter(|g| *g > 0) else {
        return window;
    };
    let pace = b.last.saturating_sub(b.first) / gaps;
    let slowest = cfg.slow_window.as_millis() / i64::from(cfg.slow_at.max(1));
    window.max(pace.min(slowest).saturating_mul(2))
}

/// A burst closes [`tail`] after its last prompt, but not while a prompt sent before then
/// still waits for its answer (it may yet join).
fn close_time(cfg: &MfaFatigueConfig, b: &Burst, track: &Track) -> i64 {
    let c = b.last.saturating_add(tail(cfg, b));
    let aw = cfg.answer_within.as_millis();
    track
        .prompts
        .iter()
        .filter(|p| p.state == PromptState::Pending && p.time < c)
        .map(|p| p.time.saturating_add(aw))
        .fold(c, i64::max)
}

fn corr_hash(event: &Event) -> u64 {
    match &event.correlation_id {
        Some(c) if !c.is_empty() => stable_hash(&[c]).max(1),
        _ => 0,
    }
}

fn compatible(a: u64, b: u64) -> bool {
    a == 0 || b == 0 || a == b
}

/// Whether the event's origin is one the identity does not know, or one the vendor itself
/// flags. With a trusted profile a new country or network is unfamiliar; without one only the
/// vendor's own signals (or a requester in another country than the answering phone) count.
fn unfamiliar(event: &Event, profile: Option<&dyn ProfileView>) -> bool {
    let o = &event.origin;
    if let Some(p) = profile.filter(|p| p.trusted()) {
        let new_country = o
            .country
            .as_deref()
            .is_some_and(|c| p.is_new(Dimension::Country, c));
        let new_asn = o
            .asn
            .is_some_and(|a| p.is_new(Dimension::Asn, &a.to_string()));
        if new_country || new_asn {
            return true;
        }
    }
    let s = &event.vendor_signals;
    let risky = s.risk_level.is_some_and(|r| r >= RiskLevel::Medium);
    // Okta's behaviour names, as its System Log writes them.
    let new_place = s.behaviors.iter().any(|b| {
        matches!(
            b.as_str(),
            "New Geo-Location" | "New Country" | "New State" | "Velocity"
        )
    });
    let phone_elsewhere = match (
        &o.country,
        event.mfa_device.as_ref().and_then(|d| d.country.as_ref()),
    ) {
        (Some(a), Some(b)) => !a.eq_ignore_ascii_case(b),
        _ => false,
    };
    s.says_anonymous() || risky || new_place || phone_elsewhere
}

/// Starts loading what pairing reads (the correlation id) and, with `prompt`, what a new
/// prompt copies and [`unfamiliar`] reads (event id, origin, vendor signals), so that those
/// cache misses overlap the identity lookup instead of following it one after another. The
/// event is about 900 bytes over many cache lines, and its strings live elsewhere.
fn start_loading(event: &Event, prompt: bool) {
    use std::hint::black_box;
    let corr = event.correlation_id.as_deref().map(str::as_bytes);
    black_box(corr.and_then(<[u8]>::first).copied());
    if prompt {
        let (o, s) = (&event.origin, &event.vendor_signals);
        black_box(event.id.as_bytes().first().copied());
        black_box((o.asn, o.ip.is_some(), o.country.is_some()));
        black_box((s.risk_level, s.behaviors.len(), s.anonymous_proxy));
        black_box(event.mfa_device.is_some());
    }
}

fn human_span(ms: i64) -> String {
    let s = (ms.max(0) + 500) / 1000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", (s + 30) / 60)
    } else {
        let m = (s + 30) / 60;
        format!("{} h {} min", m / 60, m % 60)
    }
}

/// The rules that move one track forward, borrowed from the detector's settings so that a track
/// can be worked on in place, where it lives.
struct Rules<'a> {
    config: &'a MfaFatigueConfig,
}

fn clock(ms: i64) -> String {
    let text = Timestamp::from_millis_unchecked(ms).to_string();
    text.get(11..16).map_or(text.clone(), str::to_owned)
}

impl Rules<'_> {
    /// Brings one track up to event time `now`: pending prompts time out and bursts close, in
    /// time order (a timeout before a close at the same instant, since it may join the burst).
    fn catch_up(&self, track: &mut Track, now: i64, out: &mut Vec<Finding>) {
        let aw = self.config.answer_within.as_millis();
        loop {
            let expiry = earliest_expiry(track, aw);
            let close = track
                .burst
                .as_ref()
                .map(|b| close_time(self.config, b, track));
            match (expiry, close) {
                (Some((e, i)), c) if e <= now && !matches!(c, Some(c) if c < e) => {
                    if let Some(p) = track.prompts.get_mut(i) {
                        p.state = PromptState::Unanswered;
                    }
                    self.on_counting(track, i, e, out);
                }
                (_, Some(c)) if c <= now => {
                    if let Some(mut b) = track.burst.take() {
                        b.finding.status = FindingStatus::Closed;
                        self.publish(track, &mut b, out);
                    }
                }
                _ => break,
            }
        }
        let cutoff = now.saturating_sub(self.config.horizon_ms());
        let old = track
            .prompts
            .iter()
            .take_while(|p| p.time <= cutoff && p.state != PromptState::Pending)
            .count();
        if old > 0 {
            track.prompts.drain(..old);
        }
    }

    /// Prompt `i` has just started to count (refused, reported or unanswered) or been reported
    /// as fraud, at time `at`: it joins the open burst, or may open one.
    fn on_counting(&self, track: &mut Track, i: usize, at: i64, out: &mut Vec<Finding>) {
        let cfg = &self.config;
        if let Some(mut b) = track.burst.take() {
            let changed = track.prompts.get_mut(i).is_some_and(|p| join(&mut b, p));
            if changed {
                self.publish(track, &mut b, out);
            }
            track.burst = Some(b);
            return;
        }
        let Some(p) = track.prompts.get(i) else {
            return;
        };
        if p.flags & CLAIMED != 0 {
            // Already part of a burst that closed: never a second finding for it.
            return;
        }
        let fraud = p.state == PromptState::Fraud;
        let in_window = |span: Duration| {
            let from = at.saturating_sub(span.as_millis());
            move |q: &&Prompt| {
                q.flags & CLAIMED == 0 && q.state.counts() && q.time >= from && q.time <= at
            }
        };
        let (mut short, mut strange) = (0u32, false);
        for q in track.prompts.iter().filter(in_window(cfg.window)) {
            short += 1;
            strange |= q.flags & UNFAMILIAR != 0;
        }
        let threshold = if strange {
            cfg.unfamiliar_medium_at
        } else {
            cfg.medium_at
        };
        let open_short = short >= threshold;
        let open_slow = track
            .prompts
            .iter()
            .filter(in_window(cfg.slow_window))
            .count() as u32
            >= cfg.slow_at;
        if !(open_short || open_slow || fraud) {
            return;
        }
        let span = if open_slow && !open_short {
            cfg.slow_window
        } else {
            cfg.window
        };
        let from = at.saturating_sub(span.as_millis());
        let member = |j: usize, q: &Prompt| {
            j == i || (q.flags & CLAIMED == 0 && q.state.counts() && q.time >= from && q.time <= at)
        };
        let Some(first) = track
            .prompts
            .iter()
            .enumerate()
            .find(|(j, q)| member(*j, q))
        else {
            return;
        };
        let (_, first) = first;
        let at_first = Timestamp::from_millis_unchecked(first.time);
        let key = IdentityKey::new(&track.key.as_str());
        let finding = Finding::new(NAME, Some(key), &first.event_id.as_str(), at_first)
            .with_technique(Technique::MfaRequestGeneration);
        let mut b = Box::new(Burst {
            finding,
            first: first.time,
            last: first.time,
            prompts: 0,
            fraud_reports: 0,
            unfamiliar: false,
            approved_at: None,
        });
        for (j, q) in track.prompts.iter_mut().enumerate() {
            if member(j, q) {
                join(&mut b, q);
            }
        }
        self.publish(track, &mut b, out);
        track.burst = Some(b);
    }

    /// Grades the burst, writes its finding and emits it (as the next revision after the first).
    fn publish(&self, track: &Track, b: &mut Burst, out: &mut Vec<Finding>) {
        let facts = BurstFacts {
            prompts: b.prompts,
            span: Duration::from_millis(b.last.saturating_sub(b.first)),
            fraud_reports: b.fraud_reports,
            unfamiliar: b.unfamiliar,
            approved: b.approved_at.is_some(),
        };
        let severity = self.config.ladder(&facts);
        let confidence = match severity {
            Severity::Critical => 0.95,
            Severity::High if b.fraud_reports > 0 => 0.9,
            Severity::High => 0.8,
            _ => 0.6,
        };
        let summary = self.summary(b, &facts);
        let f = &mut b.finding;
        if f.summary.is_empty() {
            // First emission: revision 1 as built.
        } else {
            *f = f.next_revision();
        }
        f.severity = severity;
        f.confidence = confidence;
        f.first_seen = Timestamp::from_millis_unchecked(b.first);
        f.last_seen = Timestamp::from_millis_unchecked(b.last.max(b.approved_at.unwrap_or(b.last)));
        f.baseline = track.maturity;
        f.summary = summary;
        out.push(f.clone());
    }

    fn summary(&self, b: &Burst, facts: &BurstFacts) -> String {
        let e = &b.finding.entities;
        let mut from = String::new();
        match e.ips.as_slice() {
            [] => {}
            [ip] => from.push_str(&format!(" from {ip}")),
            ips => from.push_str(&format!(" from {} IPs", ips.len())),
        }
        if !e.countries.is_empty() {
            let list = e.countries.join(", ");
            if from.is_empty() {
                from.push_str(&format!(" from {list}"));
            } else {
                from.push_str(&format!(" ({list})"));
            }
        }
        let noun = if b.prompts == 1 {
            "push prompt"
        } else {
            "push prompts"
        };
        let mut s = format!(
            "{} {noun} denied or unanswered in {}{from}",
            b.prompts,
            human_span(facts.span.as_millis())
        );
        if b.fraud_reports > 0 {
            s.push_str(&format!(
                ", {} reported as fraud by the user",
                b.fraud_reports
            ));
        }
        if b.unfamiliar {
            s.push_str(", from an origin this identity does not use");
        }
        match b.approved_at {
            Some(t) => s.push_str(&format!(
                ", then approved at {}: account probably taken over",
                clock(t)
            )),
            None if b.fraud_reports > 0 => s.push_str(
                ": the user saw prompts they did not ask for; the password is probably known",
            ),
            None => s.push_str(
                ": someone holding the password is probably prompting until the user approves",
            ),
        }
        s
    }

    fn apply(
        &self,
        track: &mut Track,
        event: &Event,
        signal: Signal,
        kind: u8,
        strange: bool,
        out: &mut Vec<Finding>,
    ) {
        let t = event.time.as_millis();
        let corr = corr_hash(event);
        let aw = self.config.answer_within.as_millis();
        match signal {
            Signal::Send => {
                // A newer prompt means the user was not answering the older ones.
                for i in 0..track.prompts.len() {
                    let pending = track
                        .prompts
                        .get(i)
                        .is_some_and(|p| p.state == PromptState::Pending && p.time <= t);
                    if pending {
                        if let Some(p) = track.prompts.get_mut(i) {
                            p.state = PromptState::Unanswered;
                        }
                        self.on_counting(track, i, t, out);
                    }
                }
                let p = new_prompt(event, t, corr, PromptState::Pending, 0, strange);
                insert_sorted(track, p);
            }
            Signal::Refusal(_) | Signal::Approval => {
                let state = match signal {
                    Signal::Refusal(s) => s,
                    _ => PromptState::Approved,
                };
                if let Some(i) = waiting_prompt(track, t, corr, aw) {
                    let Some(p) = track.prompts.get_mut(i) else {
                        return;
                    };
                    let was_counting = p.state.counts();
                    p.state = state;
                    p.resolved_at = t;
                    p.flags |= kind | if strange { UNFAMILIAR } else { 0 };
                    // (An approved prompt is dropped: its origin would never be read.)
                    if state != PromptState::Approved && p.ip.is_none() && event.origin.ip.is_some()
                    {
                        set_origin(p, event);
                    }
                    let newly = state.counts() && !was_counting;
                    if newly || state == PromptState::Fraud {
                        self.on_counting(track, i, t, out);
                    }
                } else if state != PromptState::Approved {
                    if let Some(i) = duplicate_report(track, t, corr, kind, self.config) {
                        let fraud_now = state == PromptState::Fraud;
                        if let Some(p) = track.prompts.get_mut(i) {
                            p.flags |= kind;
                            if fraud_now {
                                p.state = PromptState::Fraud;
                            }
                        }
                        if fraud_now {
                            self.on_counting(track, i, t, out);
                        }
                    } else {
                        let p = new_prompt(event, t, corr, state, kind, strange);
                        let i = insert_sorted(track, p);
                        self.on_counting(track, i, t, out);
                    }
                }
                if state == PromptState::Approved {
                    if let Some(mut b) = track.burst.take() {
                        if b.approved_at.is_none() && !from_elsewhere(&b, event) {
                            b.approved_at = Some(t);
                            b.finding.evidence.push(event.id.as_str());
                            b.finding.entities.add_origin_of(event);
                            self.publish(track, &mut b, out);
                        }
                        track.burst = Some(b);
                    }
                }
            }
        }
    }
}

/// Whether an approval plainly comes from somewhere other than the burst: another address, in
/// an autonomous system or country none of the burst's prompts came from. That is the user
/// signing in for themselves (after reporting the attacker's push, say), not the attacker
/// getting through; an approval with no address, or a burst with none, is taken as the
/// burst's.
fn from_elsewhere(b: &Burst, event: &Event) -> bool {
    let (o, seen) = (&event.origin, &b.finding.entities);
    let Some(ip) = o.ip else { return false };
    if seen.ips.is_empty() || seen.ips.contains(&ip) {
        return false;
    }
    let same_network = o.asn.is_some_and(|a| seen.asns.contains(&a))
        && o.country
            .as_ref()
            .is_some_and(|c| seen.countries.contains(c));
    !same_network
}

/// The prompt an answer at `t` belongs to, if one still waits for it.
fn waiting_prompt(track: &Track, t: i64, corr: u64, aw: i64) -> Option<usize> {
    let open = |p: &Prompt| {
        matches!(p.state, PromptState::Pending | PromptState::Unanswered)
            && p.time <= t
            && p.time > t.saturating_sub(aw)
            && p.flags & (SEEN_PROMPT | SEEN_SIGN_IN) == 0
    };
    let newest = |f: &dyn Fn(&Prompt) -> bool| {
        track
            .prompts
            .iter()
            .enumerate()
            .rev()
            .find(|(_, p)| f(p))
            .map(|(i, _)| i)
    };
    if corr != 0 {
        if let Some(i) = newest(&|p| open(p) && p.corr == corr) {
            return Some(i);
        }
    }
    newest(&|p| open(p) && p.state == PromptState::Pending && compatible(p.corr, corr))
}

/// The already answered prompt that a refusal at `t` reports a second time, if any.
fn duplicate_report(
    track: &Track,
    t: i64,
    corr: u64,
    kind: u8,
    cfg: &MfaFatigueConfig,
) -> Option<usize> {
    let from = t.saturating_sub(cfg.pair_within.as_millis());
    let candidate = |p: &Prompt| {
        p.state.answered_no()
            && p.flags & kind == 0
            && p.resolved_at > from
            && p.resolved_at <= t
            && compatible(p.corr, corr)
    };
    let exact = track
        .prompts
        .iter()
        .position(|p| candidate(p) && corr != 0 && p.corr == corr);
    exact.or_else(|| track.prompts.iter().position(candidate))
}

/// Adds a prompt to a burst (or updates what it says); whether the burst changed.
fn join(b: &mut Burst, p: &mut Prompt) -> bool {
    let mut changed = false;
    if p.flags & CLAIMED == 0 {
        changed = true;
        if b.prompts > 0 {
            b.finding.evidence.push(p.event_id.as_str().into_owned());
        }
        p.flags |= CLAIMED;
        b.prompts += 1;
        b.first = b.first.min(p.time);
        b.last = b.last.max(p.time);
        if let Some(ip) = p.ip {
            b.finding.entities.add_ip(ip);
        }
        if let Some(a) = p.asn {
            b.finding.entities.add_asn(a);
        }
        if let Some(c) = &p.country {
            b.finding.entities.add_country(c);
        }
    }
    if p.flags & UNFAMILIAR != 0 && !b.unfamiliar {
        b.unfamiliar = true;
        changed = true;
    }
    if p.state == PromptState::Fraud && p.flags & FRAUD_COUNTED == 0 {
        p.flags |= FRAUD_COUNTED;
        b.fraud_reports += 1;
        changed = true;
    }
    changed
}

fn set_origin(p: &mut Prompt, event: &Event) {
    p.ip = event.origin.ip;
    p.asn = event.origin.asn;
    p.country = event.origin.country.as_deref().map(Box::from);
}

fn new_prompt(
    event: &Event,
    t: i64,
    corr: u64,
    state: PromptState,
    kind: u8,
    strange: bool,
) -> Prompt {
    let mut p = Prompt {
        time: t,
        resolved_at: t,
        corr,
        state,
        flags: kind | if strange { UNFAMILIAR } else { 0 },
        event_id: Text::new(&event.id),
        ip: None,
        asn: None,
        country: None,
    };
    set_origin(&mut p, event);
    p
}

/// Inserts in time order (after prompts at the same time: events arrive in total order).
fn insert_sorted(track: &mut Track, p: Prompt) -> usize {
    // Most identities hold one or two prompts: grow exactly while small (the default first
    // allocation of four would be most of an identity's memory).
    if track.prompts.len() == track.prompts.capacity() && track.prompts.len() < 8 {
        track.prompts.reserve_exact(1);
    }
    let at = track
        .prompts
        .iter()
        .rposition(|q| q.time <= p.time)
        .map_or(0, |i| i + 1);
    if at == track.prompts.len() {
        track.prompts.push(p);
    } else {
        track.prompts.insert(at, p);
    }
    at
}

impl Detector for MfaFatigue {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(key) = event.identity() else { return };
        let Some((signal, kind)) = self.classify(event) else {
            return;
        };
        start_loading(event, signal != Signal::Approval);
        let key = key.as_str();
        let hash = identity_hash(key);
        let MfaFatigue {
            config,
            tracks,
            queue,
            next_gen,
            bytes,
        } = self;
        let create = signal != Signal::Approval;
        if create && tracks.len() >= config.max_identities && tracks.find(key, hash).is_none() {
            Self::evict_quietest(config, tracks, bytes, out);
        }
        // Nothing to pair with and no burst to end: an approval alone keeps no state.
        let Some(at) = tracks.find_or_add(key, hash, create) else {
            return;
        };
        let Some(track) = tracks.at_mut(at) else {
            return;
        };
        let rules = Rules { config };
        let t = event.time.as_millis();
        rules.catch_up(track, t, out);
        if let Some(p) = ctx.profile {
            track.maturity = Some(p.maturity());
        }
        // Only prompts that may count keep the flag: an approved prompt is dropped below, so
        // approvals skip reading the event's origin and vendor signals.
        let strange = signal != Signal::Approval && unfamiliar(event, ctx.profile);
        rules.apply(track, event, signal, kind, strange, out);
        if signal == Signal::Approval {
            // An approved prompt is answered for good: it never counts, pairs or closes again.
            track.prompts.retain(|p| p.state != PromptState::Approved);
        }
        let excess = track.prompts.len().saturating_sub(config.max_prompts);
        if excess > 0 {
            track.prompts.drain(..excess);
        }
        if !Self::settle(config, queue, next_gen, bytes, track) {
            tracks.remove_at(at);
            tracks.shrink_if_sparse();
        }
        Self::drop_stale(queue, tracks);
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        let now = now.as_millis();
        let mut taken = Vec::new();
        self.queue.take_due(now, &mut taken);
        let MfaFatigue {
            config,
            tracks,
            queue,
            next_gen,
            bytes,
        } = self;
        // Live entries only, with where their track lies: a track's entry is live while its
        // generation is the one it last queued. Tracks keep their places until
        // `shrink_if_sparse`, so the places stay valid through the loop below.
        let mut due: Vec<(i64, usize)> = Vec::with_capacity(taken.len());
        for (t, hash, gen) in taken {
            let live = tracks.find_by(hash, |tr| tr.gen == gen);
            if let Some(at) = live {
                if let Some(track) = tracks.at_mut(at) {
                    track.queued = i64::MAX;
                    due.push((t, at));
                }
            }
        }
        // Hashes and places are internal: order by time, then identity.
        let key = |at: usize| tracks.at(at).map(|t| t.key.as_bytes());
        due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a.1).cmp(&key(b.1))));
        for (_, at) in due {
            let Some(track) = tracks.at_mut(at) else {
                continue;
            };
            Rules { config }.catch_up(track, now, out);
            if !Self::settle(config, queue, next_gen, bytes, track) {
                tracks.remove_at(at);
            }
        }
        tracks.shrink_if_sparse();
    }

    fn forget(&mut self, identity: &IdentityKey) {
        let identity = identity.as_str();
        if let Some(track) = self.tracks.remove(identity, identity_hash(identity)) {
            self.bytes = self.bytes.saturating_sub(track.bytes as usize);
            self.tracks.shrink_if_sparse();
        }
    }

    fn state_bytes(&self) -> usize {
        self.bytes + self.queue.bytes() + self.tracks.bytes()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let mut tracks: Vec<&Track> = self.tracks.iter().collect();
        tracks.sort_by(|a, b| a.key.cmp(&b.key));
        serde_json::to_vec(&SnapshotOut {
            version: SNAPSHOT_VERSION,
            tracks,
        })
        .map_err(|e| Error::Snapshot {
            component: NAME.to_owned(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let probe: VersionProbe = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptSnapshot(format!("{NAME}: {e}")))?;
        if probe.version != SNAPSHOT_VERSION {
            return Err(Error::SnapshotVersion {
                found: probe.version,
                expected: SNAPSHOT_VERSION,
            });
        }
        let snap: SnapshotIn = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptSnapshot(format!("{NAME}: {e}")))?;
        let mut fresh = MfaFatigue::build(self.config.clone());
        for mut track in snap.tracks {
            // Snapshots are data: normalize the key as any identity is.
            let key = IdentityKey::new(&track.key.as_str());
            track.key = Text::new(key.as_str());
            let hash = identity_hash(key.as_str());
            if key.is_empty() || fresh.tracks.get(key.as_str(), hash).is_some() {
                return Err(Error::CorruptSnapshot(format!(
                    "{NAME}: identity {:?} is empty or appears twice",
                    track.key.as_str()
                )));
            }
            track.prompts.sort_by_key(|p| p.time);
            track.prompts.retain(|p| p.state != PromptState::Approved);
            let excess = track.prompts.len().saturating_sub(fresh.config.max_prompts);
            if excess > 0 {
                track.prompts.drain(..excess);
            }
            track.gen = 0;
            track.queued = i64::MAX;
            track.bytes = 0;
            track.hash = hash;
            let MfaFatigue {
                config,
                tracks,
                queue,
                next_gen,
                bytes,
            } = &mut fresh;
            if Self::settle(config, queue, next_gen, bytes, &mut track) {
                tracks.insert(track);
            }
        }
        *self = fresh;
        Ok(())
    }
}
