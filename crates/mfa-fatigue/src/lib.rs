//! Palisade's MFA fatigue detector (push bombing; MITRE ATT&CK T1621, MFA request generation).
//!
//! An attacker who holds a password signs in again and again so that the victim's phone keeps
//! asking "is this you?", until the victim taps "approve" to make it stop. That is how Uber was
//! breached in 2022. [`MfaFatigue`] watches the normalized MFA events of every vendor (Okta push
//! sends, denials and fraud reports; Entra ID and Microsoft 365 denials, timeouts and fraud
//! reports; Duo push outcomes; Google Workspace 2-step challenges; and the failed or successful
//! MFA sign-ins they come with), pairs every report of one prompt into one prompt, and raises one
//! finding per burst of refused or ignored prompts:
//!
//! - a burst of several refused or unanswered prompts in minutes is **medium**;
//! - a larger or longer one, a fraud report, or one from an origin the identity does not know
//!   is **high**;
//! - an approval (or a successful MFA sign-in) that follows a burst is **critical**: the account
//!   is probably in the attacker's hands.
//!
//! The thresholds, and why they are what they are, are on [`MfaFatigueConfig`].
//!
//! ```
//! use palisade_core::{Context, Detector, Severity};
//! use palisade_mfa_fatigue::MfaFatigue;
//! use palisade_schema::*;
//!
//! let t0 = Timestamp::parse_rfc3339("2024-06-01T02:00:00Z").unwrap();
//! let mut d = MfaFatigue::default();
//! let mut out = Vec::new();
//! // Five pushes nobody answers, each superseded by the next, then the last one is approved.
//! for i in 0..6 {
//!     let sent = Event::new(t0 + Duration::from_secs(30 * i), format!("okta-{i}"), Source::Okta,
//!         Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: PromptResult::Sent }))
//!         .with_actor(Identity::new("dana@example.com"));
//!     d.observe(&sent, &Context::empty(), &mut out);
//! }
//! let ok = Event::new(t0 + Duration::from_secs(170), "okta-ok", Source::Okta,
//!     Activity::SignIn(SignIn::success(SignInStage::Mfa)))
//!     .with_actor(Identity::new("dana@example.com"));
//! d.observe(&ok, &Context::empty(), &mut out);
//! assert_eq!(out.last().unwrap().severity, Severity::Critical);
//! ```

#![forbid(unsafe_code)]

mod config;
mod detector;
mod index;
mod state;

pub use config::{BurstFacts, MfaFatigueConfig};
pub use detector::{MfaFatigue, NAME, SNAPSHOT_VERSION};
