//! Palisade's pipeline: runs detectors over events in event-time order, and routes their
//! findings to a correlator and its incidents to a responder.
//!
//! ```text
//! push / run_batch ──► dedup ──► enrichers ──► reorder buffer ──► detectors ──► profiles.learn
//!                                                (watermark)          │
//!                                                                     ▼
//!                                     Output.findings ◄── recent lists, correlator ──► responder
//! ```
//!
//! # Batch and streaming
//!
//! - **Batch** ([`Pipeline::run_batch`]): the whole input is sorted into one total order by
//!   `(event time, source, event id)` and processed, so the output is identical for any order
//!   of the input. The watermark trails the input by one distinct time.
//! - **Streaming** ([`Pipeline::push`]): events wait in a reorder buffer until the
//!   **watermark** passes them, then go to the detectors in the same total order. The
//!   watermark is the minimum over sources seen of (newest time seen from that source − the
//!   allowed lateness), so input shuffled within the lateness gives the same results as sorted
//!   input. An event older than the watermark (or than an event already processed) is still
//!   processed at once, with `Context::late` set, and counted. [`Pipeline::advance_to`] is the
//!   heartbeat that moves the watermark during quiet periods, and [`Pipeline::finish`] drains
//!   the buffer at the end of input.
//!
//! Whenever the watermark moves forward, every detector's and the correlator's `advance` is
//! called (after the events it passed were released), so windows close on event time only:
//! nothing here reads the wall clock.
//!
//! # The plausible-time guard
//!
//! An event more than `max_future_step_secs` ahead of the newest time seen so far (over all
//! sources; the very first event is accepted) is *held*: it waits in the buffer but does not
//! move its source's clock, so one forged timestamp cannot close every window. It is released
//! when the watermark reaches it, or at [`Pipeline::finish`]. Events outside 1990..2100 are
//! dropped and counted (adapters already reject them).
//!
//! # Duplicates
//!
//! The same `(source, event id)` seen again is dropped and counted. Pairs are remembered for
//! `dedup_window_secs` of event time behind the watermark (and within a share of the budget).
//!
//! # The memory budget
//!
//! One budget covers profiles, detector state, the reorder buffer, recent findings, the
//! duplicate set and the pipeline's own per-identity table. Every 1024 events the pipeline
//! sums them; over budget it evicts the least-recently-seen identities, untrusted (still
//! learning) ones first, calling `forget` on the profile store and every detector, until it is
//! back under 90% of the budget. Evictions are counted in [`PipelineStats::evicted`]. The
//! reorder buffer is capped at a quarter of the budget: past that its oldest events are
//! released early.
//!
//! # Snapshots
//!
//! [`Pipeline::snapshot`] captures the whole pipeline, including buffered events and every
//! stage's own state; restoring it into a pipeline built the same way and continuing gives the
//! same findings as never stopping. See [`snapshot`] for the file format.
//!
//! # Example
//!
//! ```
//! use palisade_core::{Context, Detector, Finding, Severity};
//! use palisade_pipeline::{Output, Pipeline, PipelineConfig};
//! use palisade_schema::*;
//!
//! /// Flags the third failed sign-in of an identity (a toy: real detectors use windows).
//! #[derive(Default)]
//! struct ThirdFailure(std::collections::BTreeMap<IdentityKey, u32>);
//! impl Detector for ThirdFailure {
//!     fn name(&self) -> &'static str { "third_failure" }
//!     fn observe(&mut self, e: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
//!         let Some(who) = e.identity() else { return };
//!         if !e.activity.is_failed_sign_in() { return }
//!         let n = self.0.entry(who.clone()).or_default();
//!         *n += 1;
//!         if *n == 3 {
//!             out.push(Finding::new(self.name(), Some(who.clone()), &e.id, e.time)
//!                 .with_severity(Severity::Medium)
//!                 .with_summary(format!("third failed sign-in (late: {})", ctx.late)));
//!         }
//!     }
//!     fn forget(&mut self, who: &IdentityKey) { self.0.remove(who); }
//! }
//!
//! let config = PipelineConfig { allowed_lateness_secs: 60, ..PipelineConfig::default() };
//! let mut pipeline = Pipeline::builder().detector(ThirdFailure::default()).config(config).build()?;
//! let t0 = Timestamp::parse_rfc3339("2024-06-01T08:00:00Z")?;
//! let failure = |secs: i64, id: &str| {
//!     Event::new(t0 + Duration::from_secs(secs), id, Source::Entra,
//!         Activity::SignIn(SignIn::failure(SignInStage::Primary, FailureReason::BadPassword)))
//!         .with_actor(Identity::new("carol@x.com"))
//! };
//!
//! let mut out = Output::default();
//! // Out of order by 20 seconds, well within the lateness: processed in time order anyway.
//! for (secs, id) in [(20, "b"), (0, "a"), (40, "c"), (40, "c")] {
//!     pipeline.push(failure(secs, id), &mut out);
//! }
//! assert_eq!(pipeline.stats().duplicates, 1);
//! assert!(out.findings.is_empty(), "nothing released before the watermark passes");
//! pipeline.finish(&mut out);
//! assert_eq!(out.findings.len(), 1);
//! assert_eq!(out.findings[0].evidence.first(), Some("c"));
//! assert_eq!(pipeline.stats().late_events, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod config;
mod error;
mod output;
mod pipeline;
pub mod snapshot;
mod track;

pub use config::PipelineConfig;
pub use error::PipelineError;
pub use output::{Output, PipelineStats};
pub use pipeline::{batch_cmp, Pipeline, PipelineBuilder};
