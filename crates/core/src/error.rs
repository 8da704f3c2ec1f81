//! The core crate's one error type, shared by every stage trait.

/// An error from a stage: most often a snapshot that cannot be restored.
///
/// ```
/// use palisade_core::Error;
/// let e = Error::SnapshotVersion { found: 9, expected: 1 };
/// assert_eq!(e.to_string(), "snapshot format version 9, this build reads version 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A snapshot was written by another format version.
    #[error("snapshot format version {found}, this build reads version {expected}")]
    SnapshotVersion {
        /// The version in the snapshot.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A snapshot's bytes are damaged or not a snapshot at all.
    #[error("corrupt snapshot: {0}")]
    CorruptSnapshot(String),
    /// A component could not serialize its state.
    #[error("cannot snapshot {component}: {reason}")]
    Snapshot {
        /// Which component.
        component: String,
        /// Why.
        reason: String,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
}
