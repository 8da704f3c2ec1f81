//! Palisade's vendor adapters: identity and SaaS logs, in the shapes vendors really export, into
//! normalized [`palisade_schema::Event`]s.
//!
//! # Formats
//!
//! [`RecordReader`] splits any input into records without holding the file in memory:
//! - **JSON Lines**: one record per line; blank lines, CRLF line ends and a UTF-8 BOM are fine;
//!   records are located by [`Location::Line`];
//! - **a top-level JSON array** (Okta `/api/v1/logs`, Graph exports): elements are streamed one by
//!   one and located by [`Location::Index`] (index and the line the element starts on);
//! - **a wrapping object**: Microsoft Graph pages (`{"@odata.context":..,"value":[...]}`), Azure
//!   Monitor and CloudTrail files (`records` / `Records`), Google Reports pages (`items`), Duo Admin
//!   API v2 responses (`response.authlogs`) and v1 responses (`response` as an array): the wrapped
//!   array is streamed the same way;
//! - **pretty-printed objects**: a file holding one (or several) multi-line JSON records;
//! - **Microsoft Purview audit CSV** (a header with an `AuditData` column): each row's `AuditData`
//!   cell is the record, located by the line the row starts on (quoted cells may span lines);
//! - any of these **gzip**-compressed (detected by the magic bytes `1f 8b`, multi-member too).
//!
//! The layout is decided from the start of the input: a first record that ends on its own line
//! means JSON Lines (where a newline always ends a record, so one broken line never swallows the
//! next); a first line that breaks after `{`, `[`, `,` or `:` means pretty JSON.
//!
//! # Detection
//!
//! Each record goes to an [`Adapter`]: the forced one (`--source NAME`, see [`adapter_by_name`]),
//! else the adapter that took the previous record if its [`Adapter::sniff`] still matches, else the
//! first in [`adapters`] order whose sniff matches. Detection is therefore per file and per line,
//! so mixed JSON Lines work.
//!
//! # Errors
//!
//! Nothing stops a run except a file that cannot be opened ([`IngestError::Io`]). A record that is
//! malformed, too large (default 1 MiB, [`IngestOptions::max_record_bytes`]), of no known shape,
//! or with an implausible time is an [`IngestError::BadRecord`] with file, [`Location`] and
//! [`BadRecordReason`]; it is counted and the records around it still come through. An input that
//! ends inside a record (a cut gzip, an unclosed array, an unterminated string) keeps every record
//! before the break and reports [`IngestError::Truncated`]. Records of types no detector needs are
//! counted in [`FileReport::skipped_unsupported`], never errors.
//!
//! # Example
//!
//! ```
//! use palisade_ingest::Ingest;
//! let input = concat!(
//!     r#"{"class_uid":3002,"activity_id":1,"status_id":1,"time":1723564700000,"#,
//!     r#""metadata":{"uid":"a1","version":"1.3.0"},"user":{"email_addr":"alice@example.com"},"#,
//!     r#""src_endpoint":{"ip":"81.2.69.142"}}"#, "\n",
//!     "this line is broken\n",
//!     r#"{"class_uid":4001,"activity_id":1,"time":1723564700000,"metadata":{"version":"1.3.0"}}"#, "\n",
//! );
//! let mut events = Vec::new();
//! let mut problems = Vec::new();
//! let report = Ingest::new().read_from(
//!     "sample.ocsf.jsonl".as_ref(),
//!     input.as_bytes(),
//!     |e| events.push(e),
//!     |p| problems.push(p.to_string()),
//! );
//! assert_eq!(report.records_read, 3);
//! assert_eq!(report.events, 1);
//! assert_eq!(report.bad_records, 1);
//! assert_eq!(report.skipped_unsupported["ocsf class 4001"], 1);
//! assert_eq!(events[0].identity().unwrap().as_str(), "alice@example.com");
//! assert!(problems[0].starts_with("sample.ocsf.jsonl:line 2:"));
//! ```

#![forbid(unsafe_code)]

mod adapter;
mod country;
mod country_names;
mod driver;
mod error;
mod fast_json;
mod fast_time;
mod other_logs;
mod reader;
mod registry;
#[cfg(any(
    feature = "okta",
    feature = "duo",
    feature = "cloudtrail",
    feature = "gws"
))]
#[macro_use]
#[allow(dead_code)] // Each adapter uses a different part of the shared helpers.
mod vendor_json;

#[cfg(feature = "cloudtrail")]
pub mod cloudtrail;
#[cfg(feature = "duo")]
pub mod duo;
#[cfg(feature = "entra")]
pub mod entra;
#[cfg(feature = "gws")]
pub mod gws;
#[cfg(feature = "m365")]
pub mod m365;
#[cfg(feature = "ocsf")]
pub mod ocsf;
#[cfg(feature = "okta")]
pub mod okta;

pub use adapter::{Adapter, Notes, Parsed};
pub use country::country_code;
pub use driver::{
    FileReport, Ingest, IngestOptions, MAX_KIND_BYTES, MAX_UNSUPPORTED_KINDS, OTHER_KINDS,
};
pub use error::{BadRecordReason, IngestError, Location};
pub use other_logs::recognize_other_log;
pub use reader::{Format, RawRecord, ReadItem, RecordReader, DEFAULT_MAX_RECORD_BYTES};
pub use registry::{adapter_by_name, adapters, source_names};
