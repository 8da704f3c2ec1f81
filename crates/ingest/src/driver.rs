//! The ingest driver: reads a file's records, picks an adapter per record, and reports events,
//! problems and counts.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use palisade_schema::Event;
use serde::Serialize;

use crate::reader::{ReadItem, RecordReader, DEFAULT_MAX_RECORD_BYTES};
use crate::{
    adapter_by_name, adapters, recognize_other_log, Adapter, BadRecordReason, IngestError, Notes,
    Parsed,
};

/// Settings of an [`Ingest`] run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestOptions {
    /// Force one adapter (`--source NAME`) instead of detecting per record.
    pub source: Option<String>,
    /// Records larger than this many bytes are bad records (default 1 MiB).
    pub max_record_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            source: None,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// What reading one file came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// Records split out of the file, good or bad.
    pub records_read: u64,
    /// Events produced.
    pub events: u64,
    /// Records of types no detector needs, by the vendor's type name: [`MAX_UNSUPPORTED_KINDS`]
    /// names of at most [`MAX_KIND_BYTES`] bytes, and records of any further type counted
    /// together under [`OTHER_KINDS`], so input cannot grow this without bound.
    pub skipped_unsupported: BTreeMap<String, u64>,
    /// Records rejected (each also reported through `on_problem`).
    pub bad_records: u64,
    /// Coordinates dropped from otherwise good events.
    pub coords_dropped: u64,
    /// Whether the file ended inside a record (also reported through `on_problem`).
    pub truncated: bool,
}

/// Distinct unsupported record types [`FileReport::skipped_unsupported`] names.
pub const MAX_UNSUPPORTED_KINDS: usize = 256;

/// The longest type name [`FileReport::skipped_unsupported`] keeps; longer ones are cut.
pub const MAX_KIND_BYTES: usize = 64;

/// Where [`FileReport::skipped_unsupported`] counts record types past the first
/// [`MAX_UNSUPPORTED_KINDS`].
pub const OTHER_KINDS: &str = "(other types)";

impl FileReport {
    /// Counts `n` records of an unsupported type, within the bounds on names.
    ///
    /// ```
    /// use palisade_ingest::{FileReport, MAX_UNSUPPORTED_KINDS, OTHER_KINDS};
    /// let mut r = FileReport::default();
    /// for i in 0..MAX_UNSUPPORTED_KINDS + 10 {
    ///     r.count_unsupported(&format!("okta event {i}"), 1);
    /// }
    /// r.count_unsupported("okta event 0", 1);
    /// assert_eq!(r.skipped_unsupported.len(), MAX_UNSUPPORTED_KINDS + 1);
    /// assert_eq!(r.skipped_unsupported[OTHER_KINDS], 10);
    /// assert_eq!(r.skipped_unsupported["okta event 0"], 2);
    /// r.count_unsupported(&"x".repeat(10_000), 1);
    /// assert!(r.skipped_unsupported.keys().all(|k| k.len() <= 64));
    /// ```
    pub fn count_unsupported(&mut self, kind: &str, n: u64) {
        let mut end = kind.len().min(MAX_KIND_BYTES);
        while !kind.is_char_boundary(end) {
            end -= 1;
        }
        let kind = &kind[..end];
        let kinds = &mut self.skipped_unsupported;
        if let Some(count) = kinds.get_mut(kind) {
            *count += n;
        } else if kinds.len() < MAX_UNSUPPORTED_KINDS {
            kinds.insert(kind.to_owned(), n);
        } else {
            *kinds.entry(OTHER_KINDS.to_owned()).or_default() += n;
        }
    }

    /// Adds another file's counts to this one (for a run's totals).
    ///
    /// ```
    /// use palisade_ingest::FileReport;
    /// let mut total = FileReport::default();
    /// total.add(&FileReport { records_read: 2, events: 1, bad_records: 1, ..Default::default() });
    /// total.add(&FileReport { records_read: 3, events: 3, truncated: true, ..Default::default() });
    /// assert_eq!((total.records_read, total.events, total.bad_records), (5, 4, 1));
    /// assert!(total.truncated);
    /// ```
    pub fn add(&mut self, other: &FileReport) {
        self.records_read += other.records_read;
        self.events += other.events;
        for (kind, n) in &other.skipped_unsupported {
            self.count_unsupported(kind, *n);
        }
        self.bad_records += other.bad_records;
        self.coords_dropped += other.coords_dropped;
        self.truncated |= other.truncated;
    }
}

/// Reads vendor log files into events.
///
/// Detection: with a forced source every record goes to that adapter; otherwise each record goes
/// to the adapter that took the previous record if its sniff still matches, else to the first
/// adapter in [`adapters`] order whose sniff matches, so one file (or one mixed JSON Lines file)
/// may hold several vendors' records.
///
/// ```
/// use palisade_ingest::{Ingest, IngestOptions};
/// let ingest = Ingest::with_options(IngestOptions { source: Some("ocsf".into()), ..Default::default() })?;
/// let mut problems = Vec::new();
/// let report = ingest.read_from("inline.json".as_ref(), &b"not json\n"[..], |_| {}, |p| problems.push(p));
/// assert_eq!(report.bad_records, 1);
/// assert!(problems[0].to_string().starts_with("inline.json:line 1:"));
/// # Ok::<(), palisade_ingest::IngestError>(())
/// ```
pub struct Ingest {
    forced: Option<Box<dyn Adapter>>,
    adapters: Vec<Box<dyn Adapter>>,
    max_record_bytes: usize,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("forced", &self.forced.as_ref().map(|a| a.name()))
            .field(
                "adapters",
                &self.adapters.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .field("max_record_bytes", &self.max_record_bytes)
            .finish()
    }
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest::new()
    }
}

impl Ingest {
    /// Auto-detection over every enabled adapter, default record size limit.
    pub fn new() -> Self {
        Ingest {
            forced: None,
            adapters: adapters(),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }

    /// With options; fails with [`IngestError::UnknownSource`] for an unknown forced source.
    pub fn with_options(options: IngestOptions) -> Result<Self, IngestError> {
        let forced = options.source.as_deref().map(adapter_by_name).transpose()?;
        Ok(Ingest {
            forced,
            adapters: adapters(),
            max_record_bytes: options.max_record_bytes,
        })
    }

    /// Reads one file (gzip detected by magic bytes). Events go to `on_event`; bad records and a
    /// truncation go to `on_problem` and reading goes on. `Err` only when the file cannot be
    /// opened.
    pub fn read_path(
        &self,
        path: &Path,
        on_event: impl FnMut(Event),
        on_problem: impl FnMut(IngestError),
    ) -> Result<FileReport, IngestError> {
        let reader = RecordReader::open(path).map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(self.read_records(path, reader, on_event, on_problem))
    }

    /// Reads from any byte source; `name` is the file name used in problems.
    pub fn read_from(
        &self,
        name: &Path,
        src: impl Read,
        on_event: impl FnMut(Event),
        on_problem: impl FnMut(IngestError),
    ) -> FileReport {
        self.read_records(name, RecordReader::new(src), on_event, on_problem)
    }

    fn read_records(
        &self,
        name: &Path,
        reader: RecordReader<'_>,
        mut on_event: impl FnMut(Event),
        mut on_problem: impl FnMut(IngestError),
    ) -> FileReport {
        let mut reader = reader.with_max_record_bytes(self.max_record_bytes);
        let mut report = FileReport::default();
        let mut notes = Notes::default();
        let mut out = Vec::new();
        let mut last: Option<usize> = None;
        let file = || PathBuf::from(name);
        while let Some(item) = reader.next_item() {
            match item {
                ReadItem::Record(record) => {
                    report.records_read += 1;
                    let adapter = match &self.forced {
                        Some(a) => Some(a.as_ref()),
                        None => {
                            let sticky = last.filter(|&i| self.adapters[i].sniff(record.bytes));
                            let pick = sticky.or_else(|| {
                                self.adapters.iter().position(|a| a.sniff(record.bytes))
                            });
                            if pick.is_some() {
                                last = pick;
                            }
                            pick.map(|i| self.adapters[i].as_ref())
                        }
                    };
                    out.clear();
                    let result = match adapter {
                        Some(a) => a.parse(record.bytes, &mut out, &mut notes),
                        None => match recognize_other_log(record.bytes) {
                            Some(kind) => Ok(Parsed::Unsupported(kind)),
                            None => Err(BadRecordReason::UnknownFormat),
                        },
                    };
                    match result {
                        Ok(Parsed::Events) => {
                            report.events += out.len() as u64;
                            out.drain(..).for_each(&mut on_event);
                        }
                        Ok(Parsed::Unsupported(kind)) => report.count_unsupported(&kind, 1),
                        Err(reason) => {
                            report.bad_records += 1;
                            on_problem(IngestError::BadRecord {
                                file: file(),
                                location: record.location,
                                reason,
                            });
                        }
                    }
                }
                ReadItem::Bad { location, reason } => {
                    report.records_read += 1;
                    report.bad_records += 1;
                    on_problem(IngestError::BadRecord {
                        file: file(),
                        location,
                        reason,
                    });
                }
                ReadItem::Truncated { location, detail } => {
                    report.truncated = true;
                    on_problem(IngestError::Truncated {
                        file: file(),
                        location,
                        detail,
                    });
                }
            }
        }
        report.coords_dropped = notes.coords_dropped;
        report
    }
}
