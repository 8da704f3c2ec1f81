//! `palisade scan` as a library call: vendor log files in; findings, incidents, decisions and a
//! summary out, as JSON Lines in one defined order.
//!
//! All inputs form one stream in the total order `(event time, source, event id)`, whatever the
//! order of the files or of the records inside them, so the output is byte-identical for any
//! permutation of the inputs.
//!
//! ```
//! use palisade::scan::{scan, write_jsonl, Input, ScanOptions};
//! use palisade::pipeline::Pipeline;
//!
//! let line = r#"{"class_uid":3002,"activity_id":1,"status_id":1,"time":1723564700000,
//!   "metadata":{"uid":"e-1","version":"1.3.0","product":{"name":"Okta","vendor_name":"Okta"}},
//!   "user":{"name":"alice@example.com"},"src_endpoint":{"ip":"81.2.69.142"}}"#.replace('\n', "");
//! let inputs = vec![Input::bytes("demo.ocsf.jsonl", line.into_bytes())];
//! let mut pipeline = Pipeline::builder().build().unwrap();
//! let report = scan(&inputs, &mut pipeline, &ScanOptions::default(), &mut |_| {}).unwrap();
//! assert_eq!(report.summary.events_read, 1);
//! let mut out = Vec::new();
//! write_jsonl(&report, false, &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().ends_with("\n"));
//! ```

mod records;
mod spill;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use palisade_core::{Decision, Finding, Incident};
use palisade_ingest::{FileReport, Ingest, IngestError, IngestOptions, Location};
use palisade_pipeline::{Output, Pipeline, PipelineError};
use palisade_schema::{Event, IdentityKey, Source};

pub use records::{
    BadRecordExample, BadRecords, DecisionRecord, FindingRecord, IncidentRecord, Summary,
    SCHEMA_VERSION,
};

/// One input: a file on disk, or bytes already in memory (the built-in demo data).
#[derive(Clone, Debug)]
pub enum Input {
    /// A file (`.gz` is read transparently).
    Path(PathBuf),
    /// In-memory bytes with a name to report errors against.
    Bytes {
        /// The name used in error locations.
        name: PathBuf,
        /// The content.
        bytes: Vec<u8>,
    },
}

impl Input {
    /// An in-memory input.
    pub fn bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        Input::Bytes {
            name: name.into(),
            bytes,
        }
    }

    /// The name errors are reported against.
    pub fn name(&self) -> &Path {
        match self {
            Input::Path(p) => p,
            Input::Bytes { name, .. } => name,
        }
    }
}

/// How a scan reads its inputs.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Force one adapter by name (`okta`, `entra`, ...) instead of detecting the format.
    pub source: Option<String>,
    /// Stop at the first bad record instead of counting and skipping it.
    pub strict: bool,
    /// Largest record accepted, in bytes (default 1 MiB).
    pub max_record_bytes: usize,
    /// How many bad records the summary lists (default 10).
    pub bad_record_examples: usize,
    /// How bare usernames join the organisation's other identities.
    pub identities: IdentityJoin,
    /// Bytes of events held in memory for the batch (default 256 MiB). Past it they are sorted
    /// and written to a temporary file, and the files are merged back in order when the pipeline
    /// runs: an input of any size scans in bounded memory, with the same output.
    pub hold_bytes: usize,
    /// Where those files go (default: the system's temporary directory). They are removed when
    /// the scan ends.
    pub spill_dir: Option<PathBuf>,
}

/// Joins a source's bare usernames (Duo logs `jdoe`) to the organisation's identities.
///
/// Aliases apply to every source. The organisation domain is appended only to bare usernames
/// from `domain_sources` (default: Duo), because other sources' bare names are not mail logins:
/// an AWS IAM user `admin` or a root ARN is not `admin@contoso.com`.
///
/// ```
/// use palisade::scan::IdentityJoin;
/// use palisade::schema::{IdentityKey, Source};
/// let mut join = IdentityJoin { default_domain: Some("contoso.com".into()), ..Default::default() };
/// join.aliases.insert(IdentityKey::new("jd"), IdentityKey::new("john.doe@contoso.com"));
/// assert_eq!(join.resolve(Source::Duo, &IdentityKey::new("JD")).unwrap().as_str(), "john.doe@contoso.com");
/// assert_eq!(join.resolve(Source::Duo, &IdentityKey::new("amy")).unwrap().as_str(), "amy@contoso.com");
/// assert!(join.resolve(Source::Duo, &IdentityKey::new("amy@contoso.com")).is_none());
/// assert!(join.resolve(Source::CloudTrail, &IdentityKey::new("admin")).is_none());
/// ```
#[derive(Clone, Debug)]
pub struct IdentityJoin {
    /// Explicit aliases, applied first, whatever the source.
    pub aliases: BTreeMap<IdentityKey, IdentityKey>,
    /// Appended to usernames without `@` that have no alias.
    pub default_domain: Option<String>,
    /// The sources whose bare usernames take `default_domain` (default: Duo only).
    pub domain_sources: Vec<Source>,
}

impl Default for IdentityJoin {
    fn default() -> Self {
        IdentityJoin {
            aliases: BTreeMap::new(),
            default_domain: None,
            domain_sources: vec![Source::Duo],
        }
    }
}

impl IdentityJoin {
    /// The identity `key`, read from `source`, stands for, when it differs from `key`.
    pub fn resolve(&self, source: Source, key: &IdentityKey) -> Option<IdentityKey> {
        if let Some(to) = self.aliases.get(key) {
            return Some(to.clone());
        }
        match &self.default_domain {
            Some(domain)
                if !key.is_empty()
                    && !key.as_str().contains('@')
                    && self.domain_sources.contains(&source) =>
            {
                Some(IdentityKey::new(&format!("{}@{domain}", key.as_str())))
            }
            _ => None,
        }
    }

    fn apply(&self, event: &mut Event) {
        if self.aliases.is_empty() && self.default_domain.is_none() {
            return;
        }
        let source = event.source;
        for who in [event.actor.as_mut(), event.subject.as_mut()]
            .into_iter()
            .flatten()
        {
            if let Some(to) = self.resolve(source, &who.key) {
                who.key = to;
            }
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            source: None,
            strict: false,
            max_record_bytes: 1 << 20,
            bad_record_examples: 10,
            identities: IdentityJoin::default(),
            hold_bytes: 256 << 20,
            spill_dir: None,
        }
    }
}

/// Progress, reported once per input file.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// A file is about to be read.
    Reading(&'a Path),
    /// All files are read; the pipeline runs over this many events.
    Detecting(u64),
}

/// Why a scan could not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// An input cannot be read at all, or `--source` names no adapter.
    #[error(transparent)]
    Input(IngestError),
    /// `strict` was set and a record was bad.
    #[error("stopped at the first bad record (strict): {0}")]
    Strict(IngestError),
    /// The pipeline refused its configuration or state.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// Output could not be written.
    #[error("cannot write output: {0}")]
    Write(#[from] io::Error),
    /// Events past [`ScanOptions::hold_bytes`] could not be written to, or read back from,
    /// their temporary files.
    #[error("cannot hold events in temporary files: {0}")]
    Spill(io::Error),
}

/// Everything a scan produced: every emission in order, and the summary.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Every finding, incident and decision revision, in emission order.
    pub output: Output,
    /// The summary record.
    pub summary: Summary,
}

impl ScanReport {
    /// Each finding at its latest revision, ordered by first evidence time, detector and id.
    pub fn latest_findings(&self) -> Vec<&Finding> {
        let mut latest: BTreeMap<&str, &Finding> = BTreeMap::new();
        for f in &self.output.findings {
            latest.insert(f.id.as_str(), f);
        }
        let mut v: Vec<&Finding> = latest.into_values().collect();
        v.sort_by(|a, b| {
            (a.first_seen, &a.detector, &a.id).cmp(&(b.first_seen, &b.detector, &b.id))
        });
        v
    }

    /// Each incident at its latest revision, ordered by first evidence time and id.
    pub fn latest_incidents(&self) -> Vec<&Incident> {
        let mut latest: BTreeMap<&str, &Incident> = BTreeMap::new();
        for i in &self.output.incidents {
            latest.insert(i.id.as_str(), i);
        }
        let mut v: Vec<&Incident> = latest.into_values().collect();
        v.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
        v
    }

    /// Each decision once (the last with its id), in emission order.
    pub fn latest_decisions(&self) -> Vec<&Decision> {
        let mut last_at: BTreeMap<&str, usize> = BTreeMap::new();
        for (n, d) in self.output.decisions.iter().enumerate() {
            last_at.insert(d.id.as_str(), n);
        }
        let mut order: Vec<usize> = last_at.into_values().collect();
        order.sort_unstable();
        order
            .into_iter()
            .map(|n| &self.output.decisions[n])
            .collect()
    }
}

/// Reads every input, runs the pipeline in batch mode over all events in one total order, and
/// returns what it produced.
///
/// Inputs are read in order of their names, so counts and the bad-record list do not depend on
/// the order they were given in.
pub fn scan(
    inputs: &[Input],
    pipeline: &mut Pipeline,
    options: &ScanOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ScanReport, ScanError> {
    let ingest = Ingest::with_options(IngestOptions {
        source: options.source.clone(),
        max_record_bytes: options.max_record_bytes,
    })
    .map_err(ScanError::Input)?;
    let mut sorted: Vec<&Input> = inputs.iter().collect();
    sorted.sort_by(|a, b| a.name().cmp(b.name()));

    let mut summary = Summary::new();
    let mut examples: Vec<BadRecordExample> = Vec::new();
    let dir = options.spill_dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut held = spill::Held::new(options.hold_bytes, dir);
    let mut spill_failed: Option<io::Error> = None;
    let mut unsupported = FileReport::default();
    for input in sorted {
        progress(Progress::Reading(input.name()));
        let mut first_problem: Option<IngestError> = None;
        let mut on_event = |mut e: Event| {
            options.identities.apply(&mut e);
            if spill_failed.is_none() {
                if let Err(err) = held.push(e) {
                    spill_failed = Some(err);
                }
            }
        };
        let mut on_problem = |p: IngestError| {
            if let Some(ex) = example_of(&p) {
                if examples.len() < options.bad_record_examples {
                    examples.push(ex);
                }
            }
            if first_problem.is_none() {
                first_problem = Some(p);
            }
        };
        let report = match input {
            Input::Path(path) => ingest
                .read_path(path, &mut on_event, &mut on_problem)
                .map_err(ScanError::Input)?,
            Input::Bytes { name, bytes } => {
                ingest.read_from(name, bytes.as_slice(), &mut on_event, &mut on_problem)
            }
        };
        if let Some(err) = spill_failed.take() {
            return Err(ScanError::Spill(err));
        }
        if options.strict {
            if let Some(p) = first_problem {
                return Err(ScanError::Strict(p));
            }
        }
        summary.files += 1;
        summary.records_read += report.records_read;
        // A cut file's last record is lost too: it is counted, and listed, as a bad record.
        summary.bad_records.count += report.bad_records + u64::from(report.truncated);
        summary.coords_dropped += report.coords_dropped;
        summary.truncated_files += u64::from(report.truncated);
        // Bounded however many files name however many types.
        unsupported.add(&report);
    }
    summary.skipped_unsupported = unsupported.skipped_unsupported;
    examples.sort();
    summary.bad_records.first = examples;
    summary.events_read = held.len();

    progress(Progress::Detecting(summary.events_read));
    let mut output = Output::default();
    let mut failed = None;
    let events = held.into_sorted(&mut failed).map_err(ScanError::Spill)?;
    pipeline.run_sorted(events, &mut output);
    if let Some(err) = failed {
        return Err(ScanError::Spill(err));
    }

    let mut report = ScanReport { output, summary };
    fill_from_pipeline(&mut report, pipeline);
    Ok(report)
}

fn example_of(problem: &IngestError) -> Option<BadRecordExample> {
    let (file, location, reason) = match problem {
        IngestError::BadRecord {
            file,
            location,
            reason,
        } => (file, location, reason.to_string()),
        IngestError::Truncated {
            file,
            location,
            detail,
        } => (file, location, format!("input truncated: {detail}")),
        _ => return None,
    };
    let (line, index) = match *location {
        Location::Line(line) => (line, None),
        Location::Index { index, line } => (line, Some(index)),
    };
    Some(BadRecordExample {
        file: file.display().to_string(),
        line,
        index,
        reason,
    })
}

fn fill_from_pipeline(report: &mut ScanReport, pipeline: &Pipeline) {
    let stats = pipeline.stats();
    let s = &mut report.summary;
    s.events_by_source = stats.by_source.clone();
    s.events_by_activity = stats.by_activity.clone();
    s.late_events = stats.late_events;
    s.held_future = stats.held_future;
    s.duplicates = stats.duplicates;
    s.evicted = stats.evicted;
    let mut by_detector = BTreeMap::new();
    let mut by_severity = BTreeMap::new();
    let findings = report.latest_findings();
    for f in &findings {
        *by_detector.entry(f.detector.to_string()).or_insert(0) += 1;
        *by_severity
            .entry(f.severity.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let incidents = report.latest_incidents().len() as u64;
    let decisions = report.latest_decisions().len() as u64;
    let s = &mut report.summary;
    s.findings_by_detector = by_detector;
    s.findings_by_severity = by_severity;
    s.incidents = incidents;
    s.decisions = decisions;
}

/// Writes the report as JSON Lines: findings, then incidents, then decisions, then the summary.
///
/// By default each finding and incident id appears once, at its latest revision; with `updates`
/// every revision is written in the order it happened.
pub fn write_jsonl(report: &ScanReport, updates: bool, w: &mut dyn Write) -> io::Result<()> {
    let mut line = |value: &dyn erased::Record| -> io::Result<()> {
        value.write_to(w)?;
        w.write_all(b"\n")
    };
    if updates {
        for f in &report.output.findings {
            line(&FindingRecord::from(f))?;
        }
        for i in &report.output.incidents {
            line(&IncidentRecord::from(i))?;
        }
        for d in &report.output.decisions {
            line(&DecisionRecord::from(d))?;
        }
    } else {
        for f in report.latest_findings() {
            line(&FindingRecord::from(f))?;
        }
        for i in report.latest_incidents() {
            line(&IncidentRecord::from(i))?;
        }
        for d in report.latest_decisions() {
            line(&DecisionRecord::from(d))?;
        }
    }
    line(&report.summary)?;
    w.flush()
}

/// Object-safe serialization of one record, so `write_jsonl` can treat all kinds alike.
mod erased {
    use std::io::{self, Write};

    pub(super) trait Record {
        fn write_to(&self, w: &mut dyn Write) -> io::Result<()>;
    }

    impl<T: serde::Serialize> Record for T {
        fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
            serde_json::to_writer(w, self).map_err(io::Error::from)
        }
    }
}
