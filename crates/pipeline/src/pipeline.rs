//! The [`Pipeline`] and its [`PipelineBuilder`]: event-time ordering, the watermark, routing of
//! findings to the correlator and responder, the memory budget, and whole-pipeline snapshots.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use palisade_core::{
    decode_frames, encode_frames, Context, Correlator, Detector, Enricher, Error, FindingRef,
    NoProfiles, ProfileStore, Responder,
};
use palisade_schema::{Duration, Event, IdentityKey, Source, Timestamp};

use crate::config::span;
use crate::snapshot::{open, seal, SavedIdentity, SavedState};
use crate::track::{DedupSet, IdentityTable, ReorderBuffer};
use crate::{Output, PipelineConfig, PipelineError, PipelineStats};

/// The memory budget is checked once per this many processed events: often enough to stay
/// close to the budget, rarely enough that summing every stage's `state_bytes` costs nothing.
const BUDGET_CHECK_EVERY: u32 = 1024;

/// Rough cost of one remembered `(source, id)` pair, to turn the dedup share of the budget
/// into an entry cap.
const DEDUP_COST_ESTIMATE: usize = 128;

/// Assembles a [`Pipeline`]: enrichers and detectors (each run in the order added), a profile
/// store, an optional correlator and responder, and settings.
///
/// ```
/// use palisade_pipeline::{Pipeline, PipelineConfig};
/// let p = Pipeline::builder()
///     .config(PipelineConfig { allowed_lateness_secs: 60, ..PipelineConfig::default() })
///     .build()
///     .unwrap();
/// assert!(p.watermark().is_none());
/// ```
pub struct PipelineBuilder {
    enrichers: Vec<Box<dyn Enricher>>,
    detectors: Vec<Box<dyn Detector>>,
    profiles: Box<dyn ProfileStore>,
    correlator: Option<Box<dyn Correlator>>,
    responder: Option<Box<dyn Responder>>,
    config: PipelineConfig,
}

impl std::fmt::Debug for PipelineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineBuilder")
            .field("enrichers", &self.enrichers.len())
            .field(
                "detectors",
                &self.detectors.iter().map(|d| d.name()).collect::<Vec<_>>(),
            )
            .field("correlator", &self.correlator.is_some())
            .field("responder", &self.responder.is_some())
            .field("config", &self.config)
            .finish()
    }
}

impl PipelineBuilder {
    /// Adds an enricher; enrichers run in the order added, on each event as it arrives (once it
    /// is known not to be a duplicate), before ordering, profiles and detectors read it.
    pub fn enricher(mut self, e: impl Enricher + 'static) -> Self {
        self.enrichers.push(Box::new(e));
        self
    }

    /// Adds a detector; detectors run in the order added.
    pub fn detector(mut self, d: impl Detector + 'static) -> Self {
        self.detectors.push(Box::new(d));
        self
    }

    /// Sets the profile store (default [`NoProfiles`]: every identity unknown).
    pub fn profiles(mut self, p: impl ProfileStore + 'static) -> Self {
        self.profiles = Box::new(p);
        self
    }

    /// Sets the correlator (default none: no incidents).
    pub fn correlator(mut self, c: impl Correlator + 'static) -> Self {
        self.correlator = Some(Box::new(c));
        self
    }

    /// Sets the responder (default none: no decisions). It sees the correlator's incidents.
    pub fn responder(mut self, r: impl Responder + 'static) -> Self {
        self.responder = Some(Box::new(r));
        self
    }

    /// Sets the settings (default [`PipelineConfig::default`]).
    pub fn config(mut self, c: PipelineConfig) -> Self {
        self.config = c;
        self
    }

    /// Validates the settings and builds the pipeline.
    pub fn build(self) -> Result<Pipeline, PipelineError> {
        self.config.validate()?;
        let budget = self.config.budget_bytes();
        let dedup_cap = (budget / 8 / DEDUP_COST_ESTIMATE).max(64);
        Ok(Pipeline {
            lateness: span(self.config.allowed_lateness_secs),
            step: span(self.config.max_future_step_secs),
            dedup_window: span(self.config.dedup_window_secs),
            horizon: span(self.config.recent_findings_horizon_secs),
            budget,
            enrichers: self.enrichers,
            detectors: self.detectors,
            profiles: self.profiles,
            correlator: self.correlator,
            responder: self.responder,
            config: self.config,
            source_max: BTreeMap::new(),
            newest: None,
            watermark: None,
            last_released: None,
            buffer: ReorderBuffer::default(),
            dedup: DedupSet::new(dedup_cap),
            identities: IdentityTable::default(),
            stats: PipelineStats::default(),
            since_budget_check: 0,
        })
    }
}

/// Runs detectors over events in event-time order and routes what they find onwards.
///
/// See the [crate documentation](crate) for batch versus streaming, the watermark, the
/// plausible-time guard and the memory budget.
///
/// ```
/// use palisade_core::{Context, Detector, Finding};
/// use palisade_pipeline::{Output, Pipeline};
/// use palisade_schema::*;
///
/// struct EverySignIn;
/// impl Detector for EverySignIn {
///     fn name(&self) -> &'static str { "every_sign_in" }
///     fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
///         if e.activity.is_successful_sign_in() {
///             out.push(Finding::new(self.name(), e.identity().cloned(), &e.id, e.time));
///         }
///     }
/// }
///
/// let mut p = Pipeline::builder().detector(EverySignIn).build().unwrap();
/// let t = Timestamp::parse_rfc3339("2024-03-01T12:00:00Z").unwrap();
/// let e = Event::new(t, "e1", Source::Okta, Activity::SignIn(SignIn::success(SignInStage::Primary)))
///     .with_actor(Identity::new("bob@x.com"));
/// let mut out = Output::default();
/// p.push(e, &mut out);
/// assert!(out.findings.is_empty(), "held in the reorder buffer for the allowed lateness");
/// p.finish(&mut out);
/// assert_eq!(out.findings.len(), 1);
/// assert_eq!(p.watermark(), Some(t));
/// ```
pub struct Pipeline {
    enrichers: Vec<Box<dyn Enricher>>,
    detectors: Vec<Box<dyn Detector>>,
    profiles: Box<dyn ProfileStore>,
    correlator: Option<Box<dyn Correlator>>,
    responder: Option<Box<dyn Responder>>,
    config: PipelineConfig,
    lateness: Duration,
    step: Duration,
    dedup_window: Duration,
    horizon: Duration,
    budget: usize,
    /// Newest non-held time per source: the watermark is the minimum of these minus lateness.
    source_max: BTreeMap<Source, Timestamp>,
    /// Newest non-held time over all sources: the reference of the plausible-time guard.
    newest: Option<Timestamp>,
    watermark: Option<Timestamp>,
    /// Time of the newest event processed in order; anything older is late.
    last_released: Option<Timestamp>,
    buffer: ReorderBuffer,
    dedup: DedupSet,
    identities: IdentityTable,
    stats: PipelineStats,
    since_budget_check: u32,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("detectors", &self.detector_names())
            .field("watermark", &self.watermark)
            .field("buffered", &self.buffer.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn plausible(t: Timestamp) -> bool {
    (Timestamp::MIN_PLAUSIBLE..Timestamp::MAX_PLAUSIBLE).contains(&t)
}

impl Pipeline {
    /// A builder with no detectors, no profiles, no correlator, no responder, default settings.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder {
            enrichers: Vec::new(),
            detectors: Vec::new(),
            profiles: Box::new(NoProfiles),
            correlator: None,
            responder: None,
            config: PipelineConfig::default(),
        }
    }

    /// Streaming: one event into the reorder buffer. Events are released to the detectors in
    /// the total order `(time, source, id)` once the watermark passes them; an event older
    /// than what was already released (or than the watermark) is processed at once, marked
    /// late. Duplicates and implausible times are dropped and counted.
    pub fn push(&mut self, mut event: Event, out: &mut Output) {
        self.stats.events_in += 1;
        if !self.admit(&event) {
            return;
        }
        self.enrich(&mut event);
        if self.is_late(event.time) {
            // A late event never registers its source: a source that joins hours behind the
            // others must not hold everyone's watermark back.
            self.stats.late_events += 1;
            self.process(&event, true, out);
            return;
        }
        self.note_time(event.source, event.time);
        self.buffer.push(event);
        self.settle(out);
        self.bound_buffer(out);
    }

    /// Heartbeat: forces the watermark forward to `now` (never back), releasing buffered
    /// events up to `now` and advancing detectors and correlator, so windows close during
    /// quiet periods. `now` also counts as the newest time seen for the plausible-time guard.
    pub fn advance_to(&mut self, now: Timestamp, out: &mut Output) {
        if self.newest.is_none_or_before(now) {
            self.newest = Some(now);
        }
        let old = self.watermark;
        if Some(now) > old {
            self.watermark = Some(now);
        }
        self.release_ready(out);
        if self.watermark > old {
            self.advance_all(now, out);
        }
    }

    /// End of input: releases everything buffered (held events too) in order, then advances
    /// every stage to the last event time.
    pub fn finish(&mut self, out: &mut Output) {
        self.release_all(out);
        if let Some(last) = self.last_released {
            if Some(last) > self.watermark {
                self.watermark = Some(last);
                self.advance_all(last, out);
            }
        }
    }

    /// Batch: sorts `events` into the total order `(time, source, id)` and processes them,
    /// then [`finish`](Pipeline::finish)es. Output is identical for any permutation of the
    /// input. The watermark trails the input by one distinct time (every event up to it has
    /// been processed), and the plausible-time guard does not apply: the whole input is known,
    /// so a far-future record is simply processed last. Anything still buffered from earlier
    /// pushes is released first.
    pub fn run_batch(&mut self, mut events: Vec<Event>, out: &mut Output) {
        // Ordered as the events came (before enrichment), as `run_sorted`'s callers order them.
        let order = batch_order(&events);
        self.release_all(out);
        for i in order {
            self.batch_step(&mut events[i], out);
        }
        self.finish(out);
    }

    /// Batch, for input already in [`batch_cmp`] order and too large to hold at once (the
    /// `scan` command sorts runs of it on disk and merges them into this): processes the
    /// events as they come, exactly as [`run_batch`](Pipeline::run_batch) would the same
    /// events, then finishes. An event out of order is processed late, as in streaming.
    ///
    /// ```
    /// use palisade_pipeline::{batch_cmp, Output, Pipeline};
    /// use palisade_schema::*;
    /// let at = |s: i64| Timestamp::from_millis_unchecked(1_709_542_800_000 + s * 1000);
    /// let mut events: Vec<Event> = (0..4).rev()
    ///     .map(|i| Event::new(at(i), format!("e{i}"), Source::Okta, Activity::SessionStart))
    ///     .collect();
    /// events.sort_by(batch_cmp);
    /// let mut p = Pipeline::builder().build().unwrap();
    /// let mut out = Output::default();
    /// p.run_sorted(events, &mut out);
    /// assert_eq!((p.stats().events_processed, p.stats().late_events), (4, 0));
    /// ```
    pub fn run_sorted(&mut self, events: impl IntoIterator<Item = Event>, out: &mut Output) {
        self.release_all(out);
        for mut e in events {
            self.batch_step(&mut e, out);
        }
        self.finish(out);
    }

    /// Releases whatever earlier pushes left in the reorder buffer.
    fn release_all(&mut self, out: &mut Output) {
        while let Some(e) = self.buffer.pop() {
            self.process(&e, false, out);
        }
    }

    /// One event of a batch, in batch order: admitted, enriched, processed.
    fn batch_step(&mut self, e: &mut Event, out: &mut Output) {
        self.stats.events_in += 1;
        if !self.admit(e) {
            return;
        }
        self.enrich(e);
        let e = &*e;
        if self.is_late(e.time) {
            self.stats.late_events += 1;
            self.process(e, true, out);
            return;
        }
        if let Some(last) = self.last_released {
            if e.time > last && Some(last) > self.watermark {
                self.watermark = Some(last);
                self.advance_all(last, out);
            }
        }
        if self.newest.is_none_or_before(e.time) {
            self.newest = Some(e.time);
        }
        self.raise_source(e.source, e.time);
        self.process(e, false, out);
    }

    /// The watermark: every event at or before it has been (or, arriving now, will be as late)
    /// processed. `None` before the first event.
    pub fn watermark(&self) -> Option<Timestamp> {
        self.watermark
    }

    /// Counters so far.
    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// The settings the pipeline was built with.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// How many events wait in the reorder buffer.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// How many identities the pipeline tracks (for eviction and recent findings).
    pub fn tracked_identities(&self) -> usize {
        self.identities.len()
    }

    /// The estimate the memory budget is checked against: profiles, detectors, the reorder
    /// buffer, the duplicate set and the identity table, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.profiles.state_bytes()
            + self
                .detectors
                .iter()
                .map(|d| d.state_bytes())
                .sum::<usize>()
            + self.own_bytes()
    }

    fn own_bytes(&self) -> usize {
        self.buffer.bytes() + self.dedup.bytes() + self.identities.bytes()
    }

    fn detector_names(&self) -> Vec<String> {
        self.detectors.iter().map(|d| d.name().to_owned()).collect()
    }

    /// Drops (and counts) implausible times and duplicates; true when the event goes on.
    fn admit(&mut self, e: &Event) -> bool {
        if !plausible(e.time) {
            self.stats.implausible_time += 1;
            return false;
        }
        if self.dedup.seen_before(e.source, &e.id, e.time) {
            self.stats.duplicates += 1;
            return false;
        }
        true
    }

    fn is_late(&self, t: Timestamp) -> bool {
        self.last_released.is_some_and(|l| t < l) || self.watermark.is_some_and(|w| t < w)
    }

    /// The plausible-time guard, then the per-source clock.
    fn note_time(&mut self, source: Source, t: Timestamp) {
        if self.newest.is_some_and(|n| t > n + self.step) {
            self.stats.held_future += 1;
            return;
        }
        if self.newest.is_none_or_before(t) {
            self.newest = Some(t);
        }
        self.raise_source(source, t);
    }

    fn raise_source(&mut self, source: Source, t: Timestamp) {
        let m = self.source_max.entry(source).or_insert(t);
        if t > *m {
            *m = t;
        }
    }

    fn enrich(&mut self, event: &mut Event) {
        for e in &mut self.enrichers {
            e.enrich(event);
        }
    }

    /// Recomputes the watermark, releases what it passed, and advances if it moved.
    fn settle(&mut self, out: &mut Output) {
        let computed = self.source_max.values().min().map(|m| *m - self.lateness);
        let old = self.watermark;
        if computed > old {
            self.watermark = computed;
        }
        self.release_ready(out);
        if let Some(w) = self.watermark {
            if Some(w) > old {
                self.advance_all(w, out);
            }
        }
    }

    fn release_ready(&mut self, out: &mut Output) {
        let Some(w) = self.watermark else { return };
        while self.buffer.peek_time().is_some_and(|t| t <= w) {
            let Some(e) = self.buffer.pop() else { break };
            self.process(&e, false, out);
        }
    }

    /// Keeps the reorder buffer within a quarter of the budget: when one source stalls while
    /// others flood, the oldest buffered events are released early rather than held forever.
    fn bound_buffer(&mut self, out: &mut Output) {
        let cap = self.budget / 4;
        while self.buffer.bytes() > cap {
            let Some(e) = self.buffer.pop() else { break };
            self.process(&e, false, out);
        }
    }

    /// One event through every detector, then the profile store, then routing.
    fn process(&mut self, e: &Event, late: bool, out: &mut Output) {
        self.stats
            .count_processed(e.source.as_str(), e.activity.kind_name());
        if !late && self.last_released.is_none_or_before(e.time) {
            self.last_released = Some(e.time);
        }
        let cutoff = e.time - self.horizon;
        let start = out.findings.len();
        self.profiles.advance(e.time);
        {
            let identity = e.identity();
            let recent: &[FindingRef] = match identity {
                Some(id) => self
                    .identities
                    .touch(id, e.time, cutoff)
                    .map_or(&[], |t| &t.recent),
                None => &[],
            };
            let ctx = Context {
                profile: identity.and_then(|id| self.profiles.view(id)),
                recent,
                late,
                watermark: self.watermark,
            };
            for d in &mut self.detectors {
                d.observe(e, &ctx, &mut out.findings);
            }
        }
        self.profiles.learn(e);
        self.route(start, cutoff, out);
        self.since_budget_check += 1;
        if self.since_budget_check >= BUDGET_CHECK_EVERY {
            self.since_budget_check = 0;
            self.enforce_budget();
        }
    }

    /// Findings from `start` on: into recent lists, to the correlator, its incidents to the
    /// responder.
    fn route(&mut self, start: usize, cutoff: Timestamp, out: &mut Output) {
        let per_identity = self.config.recent_findings_per_identity;
        for f in &out.findings[start..] {
            self.identities.record(f, cutoff, per_identity);
            if let Some(c) = &mut self.correlator {
                let first = out.incidents.len();
                c.correlate(f, &mut out.incidents);
                if let Some(r) = &mut self.responder {
                    for inc in &out.incidents[first..] {
                        r.decide(inc, &mut out.decisions);
                    }
                }
            }
        }
    }

    fn advance_all(&mut self, now: Timestamp, out: &mut Output) {
        let start = out.findings.len();
        for d in &mut self.detectors {
            d.advance(now, &mut out.findings);
        }
        self.route(start, now - self.horizon, out);
        if let Some(c) = &mut self.correlator {
            let first = out.incidents.len();
            c.advance(now, &mut out.incidents);
            if let Some(r) = &mut self.responder {
                for inc in &out.incidents[first..] {
                    r.decide(inc, &mut out.decisions);
                }
            }
        }
        self.dedup.expire(now - self.dedup_window);
    }

    /// Over budget: evicts least-recently-seen identities, untrusted first, down to 90% of
    /// the budget (the margin keeps eviction from running on every check).
    fn enforce_budget(&mut self) {
        let mut total = self.memory_bytes();
        if total <= self.budget {
            return;
        }
        let target = self.budget - self.budget / 10;
        let profiles = &self.profiles;
        let mut order: Vec<(bool, Timestamp, IdentityKey)> = self
            .identities
            .map
            .iter()
            .map(|(k, t)| {
                (
                    profiles.view(k).is_some_and(|p| p.trusted()),
                    t.last_seen,
                    k.clone(),
                )
            })
            .collect();
        // Keys are unique, so an unstable sort is still deterministic.
        order.sort_unstable();
        let mut victims = order.into_iter();
        while total > target {
            let shared = self.buffer.bytes() + self.dedup.bytes();
            let per = (total.saturating_sub(shared) / self.identities.len().max(1)).max(1);
            let want = ((total - target) / per).max(1);
            let mut evicted = 0;
            for (_, _, k) in victims.by_ref().take(want) {
                self.evict(&k);
                evicted += 1;
            }
            if evicted == 0 {
                break;
            }
            total = self.memory_bytes();
        }
    }

    fn evict(&mut self, id: &IdentityKey) {
        self.identities.remove(id);
        self.profiles.forget(id);
        for d in &mut self.detectors {
            d.forget(id);
        }
        self.stats.evicted += 1;
    }

    /// The whole pipeline's state as bytes (see [`crate::snapshot`] for the format): clocks,
    /// buffered events, the duplicate set, tracked identities and recent findings, counters,
    /// and every stage's own snapshot.
    pub fn snapshot(&self) -> Result<Vec<u8>, PipelineError> {
        let mut identities: Vec<SavedIdentity> = self
            .identities
            .map
            .iter()
            .map(|(k, t)| SavedIdentity {
                id: k.clone(),
                last_seen: t.last_seen.as_millis(),
                recent: t.recent.clone(),
            })
            .collect();
        identities.sort_by(|a, b| a.id.cmp(&b.id));
        let state = SavedState {
            detectors: self.detector_names(),
            correlator: self.correlator.is_some(),
            responder: self.responder.is_some(),
            source_max: self
                .source_max
                .iter()
                .map(|(s, t)| (*s, t.as_millis()))
                .collect(),
            newest: self.newest.map(Timestamp::as_millis),
            watermark: self.watermark.map(Timestamp::as_millis),
            last_released: self.last_released.map(Timestamp::as_millis),
            buffer: self.buffer.sorted().into_iter().cloned().collect(),
            dedup: self.dedup.entries(),
            identities,
            stats: self.stats.clone(),
            since_budget_check: self.since_budget_check,
        };
        let state = serde_json::to_vec(&state).map_err(|e| Error::Snapshot {
            component: "pipeline".into(),
            reason: e.to_string(),
        })?;
        let parts = self
            .detectors
            .iter()
            .map(|d| d.snapshot())
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let detectors = encode_frames(&refs);
        let profiles = self.profiles.snapshot()?;
        let correlator = self
            .correlator
            .as_ref()
            .map_or(Ok(Vec::new()), |c| c.snapshot())?;
        let responder = self
            .responder
            .as_ref()
            .map_or(Ok(Vec::new()), |r| r.snapshot())?;
        let payload = encode_frames(&[&state, &detectors, &profiles, &correlator, &responder]);
        Ok(seal(&payload))
    }

    /// Restores a [`snapshot`](Pipeline::snapshot) into this pipeline, which must have been
    /// built with the same detectors (by name, in order) and the same stages. Everything is
    /// checked before any stage is touched; if a stage itself then refuses its part, the
    /// pipeline is left partly restored and should be rebuilt.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), PipelineError> {
        let payload = open(bytes)?;
        let frames = decode_frames(payload)?;
        let [state, detectors, profiles, correlator, responder] = frames[..] else {
            return Err(Error::CorruptSnapshot(format!(
                "pipeline snapshot holds {} parts, expected 5",
                frames.len()
            ))
            .into());
        };
        let state: SavedState = serde_json::from_slice(state)
            .map_err(|e| Error::CorruptSnapshot(format!("pipeline state: {e}")))?;
        let names = self.detector_names();
        if state.detectors != names {
            return Err(PipelineError::Mismatch(format!(
                "snapshot has detectors [{}], this pipeline [{}]",
                state.detectors.join(", "),
                names.join(", ")
            )));
        }
        if state.correlator != self.correlator.is_some()
            || state.responder != self.responder.is_some()
        {
            return Err(PipelineError::Mismatch(format!(
                "snapshot has correlator: {}, responder: {}; this pipeline {}, {}",
                state.correlator,
                state.responder,
                self.correlator.is_some(),
                self.responder.is_some()
            )));
        }
        let detector_frames = decode_frames(detectors)?;
        if detector_frames.len() != self.detectors.len() {
            return Err(Error::CorruptSnapshot(format!(
                "snapshot holds {} detector states for {} detectors",
                detector_frames.len(),
                self.detectors.len()
            ))
            .into());
        }
        for (d, f) in self.detectors.iter_mut().zip(detector_frames) {
            d.restore(f)?;
        }
        self.profiles.restore(profiles)?;
        if let Some(c) = &mut self.correlator {
            c.restore(correlator)?;
        }
        if let Some(r) = &mut self.responder {
            r.restore(responder)?;
        }

        let ts = Timestamp::from_millis_unchecked;
        self.source_max = state
            .source_max
            .into_iter()
            .map(|(s, t)| (s, ts(t)))
            .collect();
        self.newest = state.newest.map(ts);
        self.watermark = state.watermark.map(ts);
        self.last_released = state.last_released.map(ts);
        self.buffer = ReorderBuffer::default();
        for e in state.buffer {
            self.buffer.push(e);
        }
        let budget = self.budget;
        self.dedup = DedupSet::new((budget / 8 / DEDUP_COST_ESTIMATE).max(64));
        for (t, source, id) in state.dedup {
            self.dedup.seen_before(source, &id, ts(t));
        }
        self.identities = IdentityTable::default();
        for i in state.identities {
            self.identities.insert(i.id, ts(i.last_seen), i.recent);
        }
        self.stats = state.stats;
        self.since_budget_check = state.since_budget_check;
        Ok(())
    }

    /// Writes a snapshot to `path` atomically: a temporary file in the same directory is
    /// written and synced, renamed over `path`, and the directory synced, so a crash leaves
    /// either the old snapshot or the new one, never a torn file.
    pub fn save_snapshot(&self, path: &Path) -> Result<(), PipelineError> {
        let bytes = self.snapshot()?;
        write_atomic(path, &bytes)
    }

    /// Reads a snapshot written by [`save_snapshot`](Pipeline::save_snapshot) and restores it.
    pub fn load_snapshot(&mut self, path: &Path) -> Result<(), PipelineError> {
        let bytes = fs::read(path).map_err(|source| PipelineError::Io {
            path: path.into(),
            source,
        })?;
        self.restore(&bytes)
    }
}

/// The order batches are processed in: event time, source, event id, then (for records that
/// share all three) their content, so equal keys never depend on input order.
///
/// ```
/// use palisade_pipeline::batch_cmp;
/// use palisade_schema::*;
/// use std::cmp::Ordering::Less;
/// let t = Timestamp::from_millis_unchecked(1_709_542_800_000);
/// let z = Event::new(t, "z", Source::Okta, Activity::SessionStart);
/// let later = Event::new(t + Duration::from_secs(1), "a", Source::Okta, Activity::SessionStart);
/// let a = Event::new(t, "a", Source::Okta, Activity::SessionStart);
/// assert_eq!(batch_cmp(&z, &later), Less, "time first");
/// assert_eq!(batch_cmp(&a, &z), Less, "then (after the source) the id");
/// ```
pub fn batch_cmp(a: &Event, b: &Event) -> std::cmp::Ordering {
    (a.time, a.source)
        .cmp(&(b.time, b.source))
        .then_with(|| same_key_cmp(a, b))
}

/// Two events of the same time and source: by id, then by content.
fn same_key_cmp(a: &Event, b: &Event) -> std::cmp::Ordering {
    a.id.cmp(&b.id).then_with(|| {
        let ja = serde_json::to_vec(a).unwrap_or_default();
        let jb = serde_json::to_vec(b).unwrap_or_default();
        ja.cmp(&jb)
    })
}

/// The indices of `events` in the total order `(time, source, id)`.
///
/// Sorts small keys rather than moving large events; runs sharing a time and source are then
/// ordered by id, and by content when even the ids are equal (so which of two differing
/// records with one id is kept, the first, does not depend on the input order).
fn batch_order(events: &[Event]) -> Vec<usize> {
    let mut keys: Vec<(Timestamp, Source, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.time, e.source, i))
        .collect();
    keys.sort_unstable();
    let mut order: Vec<usize> = keys.iter().map(|k| k.2).collect();
    let mut start = 0;
    while start < keys.len() {
        let mut end = start + 1;
        while end < keys.len() && (keys[end].0, keys[end].1) == (keys[start].0, keys[start].1) {
            end += 1;
        }
        if end - start > 1 {
            order[start..end].sort_by(|&a, &b| same_key_cmp(&events[a], &events[b]));
        }
        start = end;
    }
    order
}

/// `Option<Timestamp>` helpers for "unset, or earlier than".
trait OptionTime {
    fn is_none_or_before(&self, t: Timestamp) -> bool;
}
impl OptionTime for Option<Timestamp> {
    fn is_none_or_before(&self, t: Timestamp) -> bool {
        self.is_none_or(|x| x < t)
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PipelineError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PipelineError::Io { path: p, source }
    };
    let Some(name) = path.file_name() else {
        return Err(PipelineError::Io {
            path: path.into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
        });
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_file(&tmp);
        return Err(err(path)(e));
    }
    sync_dir(dir).map_err(err(dir))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Directories cannot be opened for syncing here; the rename is as durable as it gets.
    Ok(())
}
