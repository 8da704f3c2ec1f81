//! Sign-in detectors that read identity baselines: unfamiliar sign-in properties, failed attempts
//! followed by a success from an unfamiliar origin, and password spraying.
//!
//! | detector                 | fires on                                                      | technique  |
//! |--------------------------|---------------------------------------------------------------|------------|
//! | [`UnfamiliarSignIn`]     | a success whose country, network, device, browser … are new   | T1078.004  |
//! | [`FailedThenSuccess`]    | failed password/MFA attempts, then success from a new origin  | T1078.004  |
//! | [`PasswordSpray`]        | one IP (IPv6: /64) or network failing against many identities | T1110.003  |
//!
//! The detectors see profiles only through `palisade_core::ProfileView` (`Context::profile`,
//! the identity's baseline as it was before the event), so any profile store works; Palisade's
//! own is `palisade-baseline`. Every finding that used a profile says how mature it was
//! (`Finding::baseline`: sign-ins, days, trusted).
//!
//! Each detector is deterministic (ids are hashes of detector, key and first evidence id; state
//! lives in fast hash maps whose order never reaches the output: deadlines are kept in ordered
//! queues and snapshots are sorted), bails out early on events it does not care about, re-emits
//! a growing finding with a higher revision, closes it in `advance` when its window ends
//! (expiry queues, not scans; a finding never joins an event past its window, even when
//! `advance` lags), keeps bounded state, and snapshots as versioned JSON.
//!
//! ```
//! use palisade_core::Detector;
//! use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
//! let detectors: Vec<Box<dyn Detector>> = vec![
//!     Box::new(UnfamiliarSignIn::default()),
//!     Box::new(FailedThenSuccess::default()),
//!     Box::new(PasswordSpray::default()),
//! ];
//! let names: Vec<_> = detectors.iter().map(|d| d.name()).collect();
//! assert_eq!(names, ["unfamiliar_signin", "failed_then_success", "password_spray"]);
//! ```

#![forbid(unsafe_code)]

mod alerted;
mod assess;
mod failed_then_success;
mod held;
mod network;
mod spray;
mod state;
mod unfamiliar;
mod verdict;
mod vouch;

pub use assess::NoveltyWeights;
pub use failed_then_success::{FailedThenSuccess, FailedThenSuccessConfig};
pub use spray::{PasswordSpray, PasswordSprayConfig};
pub use unfamiliar::{UnfamiliarConfig, UnfamiliarSignIn};
