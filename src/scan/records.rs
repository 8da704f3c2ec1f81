//! The JSON Lines records `palisade scan` writes, one struct per `"type"`: the output contract of
//! DESIGN.md, kept apart from the core types so the wire format changes only on purpose.

use std::collections::BTreeMap;

use palisade_core::{
    Action, BaselineMaturity, Decision, DecisionMode, Entities, Finding, FindingStatus, Incident,
    Severity,
};
use palisade_schema::{IdentityKey, Timestamp};
use serde::Serialize;

/// The version of the record format, written in every summary.
pub const SCHEMA_VERSION: u32 = 1;

/// Confidence and scores are written with three decimals, so output does not carry f32 noise.
fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// A `"type": "finding"` record.
#[derive(Debug, Serialize)]
pub struct FindingRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    revision: u32,
    status: FindingStatus,
    detector: &'a str,
    identity: Option<&'a IdentityKey>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    identities: &'a [IdentityKey],
    severity: Severity,
    confidence: f64,
    technique: &'a str,
    first_seen: Timestamp,
    last_seen: Timestamp,
    evidence: &'a [String],
    evidence_total: u64,
    entities: &'a Entities,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineMaturity>,
    summary: &'a str,
}

impl<'a> From<&'a Finding> for FindingRecord<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingRecord {
            kind: "finding",
            id: f.id.as_str(),
            revision: f.revision,
            status: f.status,
            detector: &f.detector,
            identity: f.identity.as_ref(),
            identities: &f.identities,
            severity: f.severity,
            confidence: round3(f64::from(f.confidence)),
            technique: f.technique.id(),
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            evidence: &f.evidence.event_ids,
            evidence_total: f.evidence.total,
            entities: &f.entities,
            baseline: f.baseline,
            summary: &f.summary,
        }
    }
}

/// A `"type": "incident"` record.
#[derive(Debug, Serialize)]
pub struct IncidentRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    revision: u32,
    identities: &'a [IdentityKey],
    findings: Vec<&'a str>,
    severity: Severity,
    score: f64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    summary: &'a str,
}

impl<'a> From<&'a Incident> for IncidentRecord<'a> {
    fn from(i: &'a Incident) -> Self {
        IncidentRecord {
            kind: "incident",
            id: i.id.as_str(),
            revision: i.revision,
            identities: &i.identities,
            findings: i.findings.iter().map(|f| f.as_str()).collect(),
            severity: i.severity,
            score: round3(i.score),
            first_seen: i.first_seen,
            last_seen: i.last_seen,
            summary: &i.summary,
        }
    }
}

/// A `"type": "decision"` record.
#[derive(Debug, Serialize)]
pub struct DecisionRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    incident: &'a str,
    identities: &'a [IdentityKey],
    actions: &'a [Action],
    mode: DecisionMode,
    reasons: &'a [String],
}

impl<'a> From<&'a Decision> for DecisionRecord<'a> {
    fn from(d: &'a Decision) -> Self {
        DecisionRecord {
            kind: "decision",
            id: d.id.as_str(),
            incident: d.incident.as_str(),
            identities: &d.identities,
            actions: &d.actions,
            mode: d.mode,
            reasons: &d.reasons,
        }
    }
}

/// One bad record, as the summary lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BadRecordExample {
    /// The file, as given on the command line.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 0-based array index, for records inside a JSON array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Why it was rejected.
    pub reason: String,
}

/// Bad records: how many, and the first few ordered by file path and line.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BadRecords {
    /// How many in all: malformed records, and the record each truncated file ends inside.
    pub count: u64,
    /// The first few, by file path then line.
    pub first: Vec<BadRecordExample>,
}

/// The closing `"type": "summary"` record: what was read, what was dropped, what was found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    #[serde(rename = "type")]
    kind: SummaryTag,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Input files read.
    pub files: u64,
    /// Records read (lines, array elements, CSV rows).
    pub records_read: u64,
    /// Events produced by the adapters.
    pub events_read: u64,
    /// Events per source.
    pub events_by_source: BTreeMap<String, u64>,
    /// Events per activity kind.
    pub events_by_activity: BTreeMap<String, u64>,
    /// Records of types no detector needs, by vendor event type.
    pub skipped_unsupported: BTreeMap<String, u64>,
    /// Malformed records.
    pub bad_records: BadRecords,
    /// Files that ended inside a record (cut gzip, unclosed array); that record is also a bad
    /// record.
    pub truncated_files: u64,
    /// Events processed after the watermark had passed them.
    pub late_events: u64,
    /// Events far ahead of the newest time seen, held back from moving the clock.
    pub held_future: u64,
    /// Out-of-range coordinates dropped from otherwise good events.
    pub coords_dropped: u64,
    /// Duplicate events (same source and vendor id) dropped.
    pub duplicates: u64,
    /// Identities whose state was evicted by the memory budget.
    pub evicted: u64,
    /// Findings (distinct ids) per detector.
    pub findings_by_detector: BTreeMap<String, u64>,
    /// Findings (distinct ids, latest revision) per severity.
    pub findings_by_severity: BTreeMap<String, u64>,
    /// Incidents (distinct ids).
    pub incidents: u64,
    /// Decisions.
    pub decisions: u64,
}

/// Serializes as the constant `"summary"`.
#[derive(Clone, Copy, Debug, Default)]
struct SummaryTag;

impl Serialize for SummaryTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("summary")
    }
}

impl Summary {
    /// An empty summary at the current schema version.
    pub fn new() -> Self {
        Summary {
            schema_version: SCHEMA_VERSION,
            ..Summary::default()
        }
    }
}
