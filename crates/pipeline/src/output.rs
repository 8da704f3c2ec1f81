//! What a pipeline hands back: the caller-owned [`Output`] buffer and the running [`PipelineStats`].

use std::collections::BTreeMap;

use palisade_core::{Decision, Finding, Incident};
use serde::{Deserialize, Serialize};

/// The caller-owned buffer the pipeline appends to; it never clears or reorders it.
///
/// ```
/// use palisade_pipeline::Output;
/// let mut out = Output::default();
/// assert!(out.is_empty());
/// out.clear();
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Every finding emitted, every revision, in emission order.
    pub findings: Vec<Finding>,
    /// Every incident revision the correlator emitted.
    pub incidents: Vec<Incident>,
    /// Every decision the responder made.
    pub decisions: Vec<Decision>,
}

impl Output {
    /// Empties all three lists, keeping their capacity.
    pub fn clear(&mut self) {
        self.findings.clear();
        self.incidents.clear();
        self.decisions.clear();
    }

    /// Whether all three lists are empty.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.incidents.is_empty() && self.decisions.is_empty()
    }
}

/// Counters over everything pushed so far (kept across snapshots).
///
/// ```
/// use palisade_pipeline::PipelineStats;
/// let s = PipelineStats::default();
/// assert_eq!(serde_json::to_value(&s).unwrap()["events_in"], 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineStats {
    /// Events handed to the pipeline (pushed or in a batch).
    pub events_in: u64,
    /// Events shown to the detectors.
    pub events_processed: u64,
    /// Events that arrived after the watermark (or an already processed later event) had passed
    /// their time; they were still processed, marked late.
    pub late_events: u64,
    /// Events too far ahead of the newest time seen, held so they could not move the watermark.
    pub held_future: u64,
    /// Events dropped as repeats of an already seen `(source, event id)`.
    pub duplicates: u64,
    /// Identities whose state was evicted to stay within the memory budget.
    pub evicted: u64,
    /// Events with a time outside 1990..2100, dropped (adapters already reject them as bad
    /// records; this counts events an embedder built itself).
    pub implausible_time: u64,
    /// Processed events per source (`Source::as_str`).
    pub by_source: BTreeMap<String, u64>,
    /// Processed events per activity kind (`Activity::kind_name`).
    pub by_activity: BTreeMap<String, u64>,
}

impl PipelineStats {
    pub(crate) fn count_processed(&mut self, source: &str, activity: &str) {
        self.events_processed += 1;
        bump(&mut self.by_source, source);
        bump(&mut self.by_activity, activity);
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    // Look up by &str first so the common case allocates nothing.
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}
