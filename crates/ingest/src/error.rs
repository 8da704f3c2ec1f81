//! The ingest crate's one error type, and where in a file a record sits.

use std::fmt;
use std::path::PathBuf;

/// Where a record sits in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// 1-based line number (JSON Lines, CSV).
    Line(u64),
    /// 0-based index of an element in a JSON array, with the 1-based line it starts on.
    Index {
        /// Element index.
        index: u64,
        /// Line the element starts on.
        line: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Index { index, line } => write!(f, "line {line} (array index {index})"),
        }
    }
}

/// Why one record was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadRecordReason {
    /// Not valid JSON (or not the expected JSON type).
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A field the adapter cannot do without is missing.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// The event time is missing, unparseable or implausible.
    #[error("bad event time: {0}")]
    BadTime(String),
    /// A field has a value of the wrong kind.
    #[error("bad value in `{field}`: {detail}")]
    BadValue {
        /// The vendor's field name.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The record is larger than the configured maximum.
    #[error("record of {bytes} bytes exceeds the maximum of {max} bytes")]
    TooLarge {
        /// The record's size.
        bytes: u64,
        /// The maximum.
        max: u64,
    },
    /// No adapter recognizes the record's shape.
    #[error("no adapter recognizes this record")]
    UnknownFormat,
}

/// An ingest error: a file that cannot be read, or one bad record in it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The file cannot be opened or read at all.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// One record is malformed; it was skipped and reading went on.
    #[error("{}:{location}: {reason}", file.display())]
    BadRecord {
        /// The file.
        file: PathBuf,
        /// Where in it.
        location: Location,
        /// Why.
        reason: BadRecordReason,
    },
    /// The input ends inside a record (cut gzip, unclosed array); events before the break were kept.
    #[error("{}:{location}: input truncated: {detail}", file.display())]
    Truncated {
        /// The file.
        file: PathBuf,
        /// Where the break is.
        location: Location,
        /// What broke.
        detail: String,
    },
    /// `--source` named no known adapter.
    #[error("unknown source {0:?}")]
    UnknownSource(String),
}
