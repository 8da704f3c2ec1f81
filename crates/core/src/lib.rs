//! Palisade's core: the traits every stage implements and the values they exchange.
//!
//! ```text
//! Event ──► Enricher ──► Detector ──► Finding ──► Correlator ──► Incident ──► Responder ──► Decision
//!                           ▲
//!                      ProfileView (the identity's baseline, read-only)
//! ```
//!
//! Data flows one way; each stage is a trait here so an integrator can replace any of them and
//! keep the rest. This crate depends only on `palisade-schema`, `serde` and `thiserror`.

#![forbid(unsafe_code)]

mod context;
mod decision;
mod detector;
mod enricher;
mod error;
mod finding;
mod fingerprint;
mod frames;
mod id;
mod incident;
mod profile;
mod severity;

pub use context::Context;
pub use decision::{Action, Decision, DecisionMode, Responder};
pub use detector::Detector;
pub use enricher::Enricher;
pub use error::Error;
pub use finding::{
    BaselineMaturity, Entities, Evidence, Finding, FindingRef, FindingStatus, MAX_EVIDENCE_IDS,
};
pub use fingerprint::fingerprint;
pub use frames::{decode_frames, encode_frames};
pub use id::{stable_hash, DecisionId, FindingId, IncidentId};
pub use incident::{Correlator, Incident};
pub use profile::{mfa_value, Dimension, Familiarity, NoProfiles, ProfileStore, ProfileView};
pub use severity::{Severity, Technique};
