//! The detector set the command-line tool runs, built from the configuration.

use std::io::Write;
use std::sync::Arc;

use palisade::baseline::BaselineStore;
use palisade::geo::{EgressRegistry, GeoEnricher, GeoError, MmdbResolver};
use palisade::mailbox::MailboxRules;
use palisade::mfa_fatigue::MfaFatigue;
use palisade::pipeline::{Pipeline, PipelineError};
use palisade::signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
use palisade::travel::{ImpossibleTravel, TravelConfig, TravelError};

use super::config::Config;

/// Why the detector set could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Core(#[from] palisade::core::Error),
    #[error(transparent)]
    Travel(#[from] TravelError),
    #[error("[geo] mmdb: {0}")]
    Geo(#[from] GeoError),
}

/// A pipeline with every enabled built-in detector, configured from `config`. Problems that do
/// not stop the run (a bad line in an egress list) are written to `warnings`. The egress lists
/// (`[detectors.impossible_travel] egress_lists`) serve the sign-in detector too.
///
/// The organisation's domains (`[organisation] domains`) are shared with every detector that
/// judges "inside or outside the organisation" unless its own settings name domains. GeoIP
/// databases (`[geo] mmdb`, and the travel detector's own `mmdb`) locate every event first.
pub(crate) fn pipeline(config: &Config, warnings: &mut dyn Write) -> Result<Pipeline, BuildError> {
    let mut builder = Pipeline::builder()
        .config(config.pipeline.clone())
        .profiles(BaselineStore::new(config.baseline.clone())?);
    let d = &config.detectors;
    // One set of databases locates every event, before anything reads it; the travel detector
    // then finds its events located and needs no lookups of its own.
    let mut databases = config.geo.mmdb.clone();
    for path in &d.impossible_travel.settings.mmdb {
        if !databases.contains(path) {
            databases.push(path.clone());
        }
    }
    if !databases.is_empty() {
        // The radii a database answer without its own takes are the travel detector's settings,
        // checked here too in case that detector is off.
        let travel = &d.impossible_travel.settings;
        travel.validate().map_err(TravelError::Config)?;
        let mut db = MmdbResolver::new().with_defaults(travel.accuracy);
        for path in &databases {
            db.add_file(path)?;
        }
        builder = builder.enricher(GeoEnricher::new(db));
    }
    // One set of egress lists (named in the travel detector's settings) for every detector
    // that asks what kind of network an address is on, loaded once.
    let travel = &d.impossible_travel.settings;
    let mut egress = if travel.builtin_egress {
        EgressRegistry::builtin()
    } else {
        EgressRegistry::new()
    };
    for path in &travel.egress_lists {
        for problem in egress.add_file(path).map_err(TravelError::from)? {
            let _ = writeln!(warnings, "palisade: warning: {problem}");
        }
    }
    let egress = Arc::new(egress);
    if d.unfamiliar_signin.enabled {
        let unfamiliar = UnfamiliarSignIn::new(d.unfamiliar_signin.settings.clone())?;
        builder = builder.detector(unfamiliar.with_egress(Arc::clone(&egress)));
    }
    if d.failed_then_success.enabled {
        builder = builder.detector(FailedThenSuccess::new(
            d.failed_then_success.settings.clone(),
        )?);
    }
    if d.password_spray.enabled {
        builder = builder.detector(PasswordSpray::new(d.password_spray.settings.clone())?);
    }
    if d.mfa_fatigue.enabled {
        builder = builder.detector(MfaFatigue::new(d.mfa_fatigue.settings.clone())?);
    }
    if d.impossible_travel.enabled {
        // Its databases and lists are the shared ones above.
        let travel = ImpossibleTravel::new(TravelConfig {
            mmdb: Vec::new(),
            egress_lists: Vec::new(),
            builtin_egress: false,
            ..travel.clone()
        })?;
        builder = builder.detector(travel.with_egress(egress));
    }
    if d.mailbox_rules.enabled {
        let mut settings = d.mailbox_rules.settings.clone();
        if settings.org_domains.is_empty() {
            settings.org_domains = config.organisation.domains.clone();
        }
        builder = builder.detector(MailboxRules::new(settings)?);
    }
    Ok(builder.build()?)
}
