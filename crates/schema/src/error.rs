//! The schema crate's one error type.

/// Why a value could not become part of an event.
///
/// ```
/// use palisade_schema::{SchemaError, Timestamp};
/// let err = Timestamp::from_millis(0).unwrap_err();
/// assert!(matches!(err, SchemaError::ImplausibleTime(0)));
/// assert!(err.to_string().contains("1990"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The time is outside 1990..2100, so it is treated as forged or broken.
    #[error("implausible event time {0} ms since epoch (must lie between 1990 and 2100)")]
    ImplausibleTime(i64),
    /// The time could not be parsed.
    #[error("unparseable time {0:?}")]
    BadTime(String),
    /// A span of time could not be parsed.
    #[error("unparseable duration {0:?} (expected e.g. \"10m\", \"90s\", \"36h\", \"14d\")")]
    BadDuration(String),
}
