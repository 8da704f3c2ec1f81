//! Palisade: detect account takeover after the password, and even MFA, have been beaten.
//!
//! This facade re-exports the workspace's crates behind features, so an integrator takes only
//! what it needs:
//!
//! | module            | crate               | feature    |
//! |-------------------|---------------------|------------|
//! | [`schema`]        | `palisade-schema`   | always     |
//! | [`core`]          | `palisade-core`     | always     |
//! | `ingest`          | `palisade-ingest`   | `ingest` (and one feature per vendor: `okta`, `entra`, `m365`, `gws`, `duo`, `cloudtrail`, `ocsf`) |
//! | `pipeline`        | `palisade-pipeline` | `pipeline` |
//! | `scan`            | (this crate)        | `scan`: the `palisade scan` job as a library call |
//! | `baseline`        | `palisade-baseline` | `baseline`: what is normal for each identity |
//! | `signin`          | `palisade-signin`   | `signin`: unfamiliar sign-in, failures then success, password spray |
//! | `mailbox`         | `palisade-mailbox`  | `mailbox`: suspicious inbox rules and forwarding |
//! | `mfa_fatigue`     | `palisade-mfa-fatigue` | `mfa-fatigue`: push bombing, approval after a burst, fraud reports |
//! | `travel`, `geo`   | `palisade-travel`, `palisade-geo` | `travel`: impossible travel, geolocation, egress lists |
//!
//! The `palisade` command-line tool is this package's binary, behind the default `cli` feature.
//!
//! ```
//! use palisade::core::{Detector, Context, Finding, Severity};
//! use palisade::schema::Event;
//!
//! /// An integrator's own detector plugs into the same trait as the built-in ones.
//! struct EveryFailure;
//! impl Detector for EveryFailure {
//!     fn name(&self) -> &'static str { "every_failure" }
//!     fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
//!         if e.activity.is_failed_sign_in() {
//!             out.push(Finding::new(self.name(), e.identity().cloned(), &e.id, e.time)
//!                 .with_severity(Severity::Low));
//!         }
//!     }
//! }
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "baseline")]
pub use palisade_baseline as baseline;
pub use palisade_core as core;
#[cfg(feature = "travel")]
pub use palisade_geo as geo;
#[cfg(feature = "ingest")]
pub use palisade_ingest as ingest;
#[cfg(feature = "mailbox")]
pub use palisade_mailbox as mailbox;
#[cfg(feature = "mfa-fatigue")]
pub use palisade_mfa_fatigue as mfa_fatigue;
#[cfg(feature = "pipeline")]
pub use palisade_pipeline as pipeline;
pub use palisade_schema as schema;
#[cfg(feature = "signin")]
pub use palisade_signin as signin;
#[cfg(feature = "travel")]
pub use palisade_travel as travel;

#[cfg(feature = "scan")]
pub mod scan;

/// The README's embedding example, compiled and run as a doctest.
#[cfg(all(doctest, feature = "pipeline"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
