//! The detector set the command-line tool runs, built from the configuration.

use palisade::pipeline::{Pipeline, PipelineError};

use super::config::Config;

/// A pipeline with every built-in detector, configured from `config`.
pub(crate) fn pipeline(config: &Config) -> Result<Pipeline, PipelineError> {
    let builder = Pipeline::builder().config(config.pipeline.clone());
    builder.build()
}
