//! The geolocation crate's one error type.

/// An error loading a geolocation database or an egress list.
///
/// ```
/// use palisade_geo::GeoError;
/// let e = GeoError::Parse { file: "corp.txt".into(), line: 7, reason: "bad CIDR".into() };
/// assert_eq!(e.to_string(), "corp.txt:7: bad CIDR");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A geolocation database is not a readable MaxMind DB file.
    #[error("{path}: not a readable MaxMind DB: {reason}")]
    Database {
        /// The file (or `<memory>`).
        path: String,
        /// What the reader said.
        reason: String,
    },
    /// A line of an egress list could not be understood (the rest of the file still loads).
    #[error("{file}:{line}: {reason}")]
    Parse {
        /// The file (or the name given to text loaded from memory).
        file: String,
        /// The 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
}
