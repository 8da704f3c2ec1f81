//! The pipeline with the baseline store and every built-in detector at their defaults (shared
//! by the targets that drive a whole pipeline, not a target itself).

use palisade_baseline::BaselineStore;
use palisade_mailbox::MailboxRules;
use palisade_mfa_fatigue::MfaFatigue;
use palisade_pipeline::{Pipeline, PipelineConfig};
use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
use palisade_travel::ImpossibleTravel;

/// Every built-in stage, with `config`.
pub fn pipeline(config: PipelineConfig) -> Pipeline {
    Pipeline::builder()
        .config(config)
        .profiles(BaselineStore::default())
        .detector(UnfamiliarSignIn::default())
        .detector(FailedThenSuccess::default())
        .detector(PasswordSpray::default())
        .detector(MfaFatigue::default())
        .detector(ImpossibleTravel::default())
        .detector(MailboxRules::default())
        .build()
        .expect("default configuration builds")
}
