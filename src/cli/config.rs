//! The `--config` TOML file: every setting with its documented default, so a file may set only
//! what it changes (`palisade defaults` prints them all).

use std::collections::BTreeMap;
use std::path::Path;

use palisade::baseline::BaselineConfig;
use palisade::mailbox::MailboxRulesConfig;
use palisade::mfa_fatigue::MfaFatigueConfig;
use palisade::pipeline::PipelineConfig;
use palisade::schema::Source;
use palisade::signin::{FailedThenSuccessConfig, PasswordSprayConfig, UnfamiliarConfig};
use palisade::travel::TravelConfig;
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Reading inputs.
    pub(crate) ingest: IngestSettings,
    /// Event-time ordering, lateness, memory budget.
    pub(crate) pipeline: PipelineConfig,
    /// The organisation's own domains and user aliases.
    pub(crate) organisation: Organisation,
    /// Where addresses are: GeoIP databases every event is located with.
    pub(crate) geo: GeoSettings,
    /// Per-identity baselines: learning period, decay, caps.
    pub(crate) baseline: BaselineConfig,
    /// Each detector's settings.
    pub(crate) detectors: Detectors,
}

/// Each built-in detector's settings; each has `enabled` (default true) and its own defaults.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Detectors {
    /// Successful sign-ins unlike the identity's baseline (`unfamiliar_signin`).
    pub(crate) unfamiliar_signin: Toggle<UnfamiliarConfig>,
    /// Failed attempts, then a success from an unfamiliar origin (`failed_then_success`).
    pub(crate) failed_then_success: Toggle<FailedThenSuccessConfig>,
    /// One source failing across many identities (`password_spray`).
    pub(crate) password_spray: Toggle<PasswordSprayConfig>,
    /// Inbox rules and forwarding that hide mail or send it outside (`mailbox_rules`).
    pub(crate) mailbox_rules: Toggle<MailboxRulesConfig>,
    /// Push bombing, approval after a burst, fraud reports (`mfa_fatigue`).
    pub(crate) mfa_fatigue: Toggle<MfaFatigueConfig>,
    /// Sign-ins faster apart than a plane flies (`impossible_travel`); egress lists and GeoIP
    /// databases are configured here.
    pub(crate) impossible_travel: Toggle<TravelConfig>,
}

/// A detector's settings plus a switch to turn it off.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Toggle<C> {
    /// Whether the detector runs. Default true.
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
    /// The detector's own settings.
    #[serde(flatten)]
    pub(crate) settings: C,
}

fn yes() -> bool {
    true
}

impl<C: Default> Default for Toggle<C> {
    fn default() -> Self {
        Toggle {
            enabled: true,
            settings: C::default(),
        }
    }
}

/// Settings for reading inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct IngestSettings {
    /// Largest record accepted, in bytes; larger ones are bad records. Default 1 MiB.
    pub(crate) max_record_bytes: usize,
    /// How many bad records the summary lists. Default 10.
    pub(crate) bad_record_examples: usize,
    /// Mebibytes of events held in memory before they are sorted and written to temporary
    /// files (merged back in order for detection, with the same output): a scan's memory stays
    /// bounded whatever the size of its input. Default 256 (at least 1).
    pub(crate) hold_mb: usize,
    /// Where those temporary files go. Default: the system's temporary directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) spill_dir: Option<std::path::PathBuf>,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            max_record_bytes: 1 << 20,
            bad_record_examples: 10,
            hold_mb: 256,
            spill_dir: None,
        }
    }
}

/// GeoIP databases for the whole pipeline.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct GeoSettings {
    /// `.mmdb` files (MaxMind GeoLite2/GeoIP2 City and ASN, DB-IP Lite), consulted in order.
    /// An event whose source logged an address without a place (Microsoft 365, CloudTrail,
    /// Google Workspace) or without a network gets them from here before the baselines and
    /// detectors read it, so every detector judges its country and network. Files named in
    /// `[detectors.impossible_travel] mmdb` are used the same way. Default: none.
    pub(crate) mmdb: Vec<std::path::PathBuf>,
}

/// Who the organisation is, for joining identities across sources.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Organisation {
    /// The organisation's mail domains, first one primary. A bare username (Duo logs
    /// `jdoe`) becomes `jdoe@<first domain>` so it joins the same person's Okta and Entra events.
    /// Default: none (bare usernames stay as they are).
    pub(crate) domains: Vec<String>,
    /// Explicit aliases, applied before the domain rule: `"jdoe" = "john.doe@contoso.com"`.
    /// Default: none.
    pub(crate) aliases: BTreeMap<String, String>,
    /// The sources whose bare usernames take the first domain. Default: `["duo"]` (Duo logs
    /// bare usernames; a bare AWS IAM user name is not a mail login).
    pub(crate) bare_username_sources: Vec<Source>,
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            domains: Vec::new(),
            aliases: BTreeMap::new(),
            bare_username_sources: vec![Source::Duo],
        }
    }
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config {path}: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
}

impl Config {
    pub(crate) fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.display().to_string(),
            source: Box::new(source),
        })
    }

    /// Every setting at its default, as TOML.
    pub(crate) fn defaults_toml() -> String {
        toml::to_string_pretty(&Config::default()).unwrap_or_default()
    }
}
