//! Palisade's test kit (unpublished): everything detectors' tests need and nothing they should
//! each rewrite.
//!
//! - [`rng`]: a seeded, dependency-free generator, so scenarios are reproducible forever;
//! - [`population`]: a realistic tenant population over N days (office workers, travellers,
//!   VPN users, mobile users, laptop refreshes, missed pushes, ordinary inbox rules) with attack
//!   stories injected into chosen identities, and ground-truth [`Label`]s;
//! - [`shapes`]: writers that render events in vendor shapes as JSON Lines (OCSF first);
//! - [`assert`]: assertions and a scorer over findings;
//! - [`seeds`](seeds()): each population test's seed range, widened from the environment
//!   (`PALISADE_SEEDS=0..2000`) for a sweep over seeds nobody tuned on;
//! - [`conformance`]: the one suite every detector must pass (determinism, no output before its
//!   evidence, idempotent `advance`, snapshot/restore mid-stream, no panic on odd events,
//!   revisions that count up by one).
//!
//! ```
//! use palisade_testkit::{generate, AttackKind, PopulationConfig};
//! let scenario = generate(&PopulationConfig::small(1), &[AttackKind::ReferenceCase]);
//! assert!(scenario.events.len() > 1000);
//! assert_eq!(scenario.labels[0].kind, AttackKind::ReferenceCase);
//! ```

#![forbid(unsafe_code)]

pub mod assert;
pub mod conformance;
pub mod population;
pub mod rng;
mod seeds;
pub mod shapes;

pub use assert::{assert_fires, assert_quiet, latest_revisions, Score};
pub use conformance::Conformance;
pub use population::{generate, Archetype, AttackKind, Label, Persona, PopulationConfig, Scenario};
pub use rng::Rng;
pub use seeds::{seeds, SEEDS_VAR};
