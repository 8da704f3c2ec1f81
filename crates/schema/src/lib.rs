//! Palisade's normalized, OCSF-aligned identity event model.
//!
//! Vendor adapters (`palisade-ingest`) turn Okta, Entra, Microsoft 365, Google Workspace, Duo,
//! CloudTrail and OCSF records into [`Event`]s; every later stage reads only these types.
//!
//! # OCSF alignment
//!
//! Each [`Activity`] corresponds to an OCSF class and activity, so events can be exported to (and
//! read from) OCSF without guessing:
//!
//! | Palisade type                                   | OCSF class (uid)                   | activity_id                                   |
//! |-------------------------------------------------|------------------------------------|-----------------------------------------------|
//! | [`Activity::SignIn`], stage `primary` / `mfa`   | Authentication (3002)              | 1 Logon (`status_id` 1 success, 2 failure)    |
//! | [`Activity::SignIn`], stage `sso`               | Authentication (3002)              | 4 Service Ticket Request                      |
//! | [`Activity::MfaPrompt`]                         | Authentication (3002)              | 99 Other, `is_mfa: true`, `auth_factors`      |
//! | [`Activity::SessionStart`]                      | Authentication (3002)              | 1 Logon                                       |
//! | [`Activity::SessionRevoke`]                     | Authentication (3002)              | 2 Logoff                                      |
//! | [`AccountChange::PasswordChanged`]              | Account Change (3001)              | 3 Password Change                             |
//! | [`AccountChange::PasswordReset`]                | Account Change (3001)              | 4 Password Reset                              |
//! | [`AccountChange::RoleGranted`]                  | Account Change (3001)              | 7 Attach Policy                               |
//! | [`AccountChange::MfaFactorEnrolled`]            | Account Change (3001)              | 10 MFA Factor Enable                          |
//! | [`AccountChange::MfaFactorRemoved`] / `Reset`   | Account Change (3001)              | 11 MFA Factor Disable                         |
//! | [`Activity::MailboxRule`]                       | Email Activity (4009) / API Activity (6003) | 99 Other (no OCSF class for inbox rules) |
//! | [`Activity::MailboxForwarding`]                 | API Activity (6003)                | 3 Update                                      |
//! | [`Activity::MailItemsAccessed`]                 | Email Activity (4009)              | 99 Other                                      |
//! | [`Activity::FileAccess`]                        | File Hosting Activity (6006)       | 2 Read / 14 Preview / 7 Download (uses 2)     |
//! | [`Activity::Other`]                             | any                                | any                                           |
//!
//! Field correspondence: [`Event::actor`] ↔ `actor.user`, [`Event::subject`] ↔ `user`,
//! [`Origin`] ↔ `src_endpoint` (`ip`, `location`, `autonomous_system`) plus
//! `http_request.user_agent` and `device.uid`, [`Event::correlation_id`] ↔ `metadata.correlation_uid`,
//! [`Event::id`] ↔ `metadata.uid`, [`Event::time`] ↔ `time`.
//!
//! # Example
//!
//! ```
//! use palisade_schema::*;
//! let prompt = Event::new(
//!     Timestamp::parse_rfc3339("2022-09-15T23:10:00Z").unwrap(),
//!     "push-1",
//!     Source::Duo,
//!     Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: PromptResult::Denied }),
//! )
//! .with_actor(Identity::new("contractor@uber.example"));
//! assert_eq!(prompt.activity.kind_name(), "mfa_prompt");
//! ```

#![forbid(unsafe_code)]

mod activity;
mod error;
mod event;
mod identity;
mod origin;
mod signals;
mod size;
mod time;

pub use activity::{
    AccountChange, Activity, Factor, FailureReason, FileAccess, FileAccessKind, MailItemsAccessed,
    MailboxForwarding, MailboxRule, MfaPrompt, Outcome, PromptResult, RuleAction, RuleChange,
    RuleConditions, SignIn, SignInStage,
};
pub use error::SchemaError;
pub use event::{Event, SignInKind, Source};
pub use identity::{Identity, IdentityKey};
pub use origin::{ClientSoftware, GeoPoint, MfaDevice, Origin};
pub use signals::{RiskLevel, VendorSignals};
pub use time::{Duration, PlainDuration, Timestamp};
