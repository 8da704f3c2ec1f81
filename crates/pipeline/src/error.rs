//! The pipeline's error type.

use std::path::PathBuf;

/// Why building, snapshotting or restoring a pipeline failed.
///
/// ```
/// use palisade_pipeline::{Pipeline, PipelineConfig, PipelineError};
/// let bad = PipelineConfig { memory_budget_mb: 0, ..PipelineConfig::default() };
/// assert!(matches!(Pipeline::builder().config(bad).build(), Err(PipelineError::Config(_))));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Reading or writing a snapshot file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A stage failed, or a snapshot is corrupt or of another format version.
    #[error(transparent)]
    Core(#[from] palisade_core::Error),
    /// A setting is out of range.
    #[error("invalid pipeline configuration: {0}")]
    Config(String),
    /// A snapshot was taken from a pipeline built with other detectors.
    #[error("snapshot does not fit this pipeline: {0}")]
    Mismatch(String),
}
