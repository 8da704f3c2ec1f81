//! The detector set the command-line tool runs, built from the configuration.

use palisade::mailbox::MailboxRules;
use palisade::mfa_fatigue::MfaFatigue;
use palisade::pipeline::{Pipeline, PipelineError};

use super::config::Config;

/// A pipeline with every enabled built-in detector, configured from `config`.
///
/// The organisation's domains (`[organisation] domains`) are shared with every detector that
/// judges "inside or outside the organisation" unless its own settings name domains.
pub(crate) fn pipeline(config: &Config) -> Result<Pipeline, PipelineError> {
    let mut builder = Pipeline::builder().config(config.pipeline.clone());
    let d = &config.detectors;
    if d.mfa_fatigue.enabled {
        builder = builder.detector(MfaFatigue::new(d.mfa_fatigue.settings.clone())?);
    }
    if d.mailbox_rules.enabled {
        let mut settings = d.mailbox_rules.settings.clone();
        if settings.org_domains.is_empty() {
            settings.org_domains = config.organisation.domains.clone();
        }
        builder = builder.detector(MailboxRules::new(settings)?);
    }
    builder.build()
}
