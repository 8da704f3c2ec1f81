//! The pipeline's settings, with their defaults and validation.

use palisade_schema::Duration;
use serde::{Deserialize, Serialize};

use crate::PipelineError;

/// The longest span any setting may name (100 years), so millisecond arithmetic never overflows.
const MAX_SECS: u64 = 100 * 365 * 86_400;

/// Pipeline settings. Every field has a default, so a settings file names only what it changes;
/// unknown fields are rejected.
///
/// ```
/// use palisade_pipeline::PipelineConfig;
/// let c: PipelineConfig = serde_json::from_str(r#"{"allowed_lateness_secs": 60}"#).unwrap();
/// assert_eq!(c.allowed_lateness_secs, 60);
/// assert_eq!(c.memory_budget_mb, 1024);
/// assert!(serde_json::from_str::<PipelineConfig>(r#"{"lateness": 60}"#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// How far (seconds of event time) a source's events may arrive out of order and still be
    /// processed in order: the reorder buffer holds events until the watermark (the newest time
    /// seen per source minus this) passes them. Default 300 (five minutes).
    pub allowed_lateness_secs: u64,
    /// An event more than this many seconds ahead of the newest time seen so far (over all
    /// sources) is held: buffered, counted in `held_future`, but it does not move the watermark
    /// on its own, so one forged timestamp cannot close every window. Must be above 0.
    /// Default 86 400 (a day).
    pub max_future_step_secs: u64,
    /// One budget, in MiB, for profiles, detector state, the reorder buffer, recent findings and
    /// the duplicate set. Past it the least-recently-seen identities are evicted, untrusted ones
    /// first. Must be above 0. Default 1024.
    pub memory_budget_mb: u64,
    /// How long (seconds of event time behind the watermark) a `(source, event id)` pair is
    /// remembered to drop duplicates. Default 3600 (an hour).
    pub dedup_window_secs: u64,
    /// How many recent findings per identity detectors see in their context (the newest are
    /// kept). Default 16.
    pub recent_findings_per_identity: usize,
    /// How long (seconds of event time) a finding stays in its identity's recent list.
    /// Default 604 800 (seven days).
    pub recent_findings_horizon_secs: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            allowed_lateness_secs: 300,
            max_future_step_secs: 86_400,
            memory_budget_mb: 1024,
            dedup_window_secs: 3600,
            recent_findings_per_identity: 16,
            recent_findings_horizon_secs: 7 * 86_400,
        }
    }
}

impl PipelineConfig {
    /// Checks every value is in range.
    ///
    /// ```
    /// use palisade_pipeline::PipelineConfig;
    /// assert!(PipelineConfig::default().validate().is_ok());
    /// let zero = PipelineConfig { memory_budget_mb: 0, ..PipelineConfig::default() };
    /// assert!(zero.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), PipelineError> {
        if self.memory_budget_mb == 0 {
            return Err(PipelineError::Config(
                "memory_budget_mb must be above 0".into(),
            ));
        }
        if self.memory_budget_mb > 1 << 30 {
            return Err(PipelineError::Config(format!(
                "memory_budget_mb {} is more than 1 PiB",
                self.memory_budget_mb
            )));
        }
        if self.max_future_step_secs == 0 {
            return Err(PipelineError::Config(
                "max_future_step_secs must be above 0".into(),
            ));
        }
        for (name, v) in [
            ("allowed_lateness_secs", self.allowed_lateness_secs),
            ("max_future_step_secs", self.max_future_step_secs),
            ("dedup_window_secs", self.dedup_window_secs),
            (
                "recent_findings_horizon_secs",
                self.recent_findings_horizon_secs,
            ),
        ] {
            if v > MAX_SECS {
                return Err(PipelineError::Config(format!(
                    "{name} {v} is more than 100 years"
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn budget_bytes(&self) -> usize {
        usize::try_from(self.memory_budget_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

/// Seconds as an event-time span; callers have validated the range.
pub(crate) fn span(secs: u64) -> Duration {
    Duration::from_secs(i64::try_from(secs.min(MAX_SECS)).unwrap_or(i64::MAX))
}
