//! Per-identity sign-in baselines: what is normal for each identity, so detectors can say
//! "this sign-in is not like this person's sign-ins" and how much history that judgement rests on.
//!
//! [`BaselineStore`] implements `palisade_core::ProfileStore`; each identity's [`Profile`]
//! implements `palisade_core::ProfileView`. Detectors read profiles only through those core
//! traits, so they never depend on this crate.
//!
//! What a profile learns, from successful sign-ins only (a failed sign-in never creates one):
//!
//! | dimension      | value                                   | stored as                  |
//! |----------------|-----------------------------------------|----------------------------|
//! | country        | vendor's country (ISO code or name)     | hash + tenant-wide label   |
//! | city           | city, else a 1° geo cell `cell:lat,lon` | hash + tenant-wide label   |
//! | ASN            | autonomous system number                | the number                 |
//! | prefix         | /24 (IPv4) or /48 (IPv6)                | the prefix bits            |
//! | device         | vendor device id                        | 64-bit hash                |
//! | user agent     | browser + OS family ([`UaFamily`])      | family code                |
//! | hour of week   | 0 = Monday 00h UTC … 167                | the number                 |
//! | application    | app signed into                         | hash + tenant-wide label   |
//!
//! A password-stage success waits for its MFA step when the identity has passed one before and
//! the vendor does not say MFA was satisfied (Okta logs `user.session.start` once the password
//! is verified, before MFA): an MFA success of the same session confirms it (the two records
//! count as one sign-in; so do a step and the session start logged just after it, as Okta
//! Identity Engine and Google Workspace order them), an MFA failure discards it, and one left unanswered is learned after
//! [`BaselineConfig::mfa_step_wait_secs`] (a remembered device asks for no MFA step). So an
//! attacker who holds the password but is refused at MFA never teaches the victim's profile
//! their origin. The pipeline calls
//! `ProfileStore::advance` before each event, so what the wait decided is in the profile the
//! event's detectors read.
//!
//! One visit counts once: records of the same session within
//! [`BaselineConfig::session_window_secs`] (Okta's session start and an SSO record per app,
//! Entra's record per token) teach each value once and count as one sign-in, so an intruder's
//! single visit cannot make their network look usual by opening many applications.
//!
//! Each value keeps a decayed weight (half-life in event time), first and last sighting; each
//! dimension keeps its top K values ([`DimensionCaps`]), so a profile's size is capped: at most 36
//! values of 24 bytes with the defaults, about 0.7 KiB per identity all told in the 1M-identity
//! bench.
//!
//! The hot path is one small hash probe per event: profiles live densely in one vector, the
//! index holds only their 4-byte positions and a profile holds a 128-bit fingerprint of its
//! identity (so the probe never reads the key arena), identity keys live in one arena, text
//! values are keyed with a fixed word-at-a-time hash that folds case without allocating, and
//! user-agent families come from a per-thread cache. Detectors ask about a whole sign-in at once
//! (`ProfileView::event_familiarity`), answered in one pass over the profile with keys taken
//! straight from the event.
//! Snapshots are one pre-sized little-endian buffer with a version and CRC-32, or the same bytes
//! streamed to and from a file a chunk at a time ([`BaselineStore::snapshot_to`],
//! [`BaselineStore::restore_from`]).
//!
//! A profile is trusted after a learning period ([`BaselineConfig`]), and a tenant-wide prior
//! counts how many identities hold each value, so a country common in the organisation is less
//! surprising for a new or sparse identity. The prior spans every identity the store sees: a
//! feed that mixes organisations (an MSSP's) runs one store per organisation, so that one
//! customer's usual countries never vouch for another's sign-ins.
//!
//! ```
//! use palisade_baseline::BaselineStore;
//! use palisade_core::{Dimension, ProfileStore, ProfileView};
//! use palisade_schema::*;
//!
//! let mut store = BaselineStore::default();
//! let t0 = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
//! for day in 0..20 {
//!     let mut e = Event::new(t0 + Duration::from_days(day), format!("e{day}"), Source::Entra,
//!         Activity::SignIn(SignIn::success(SignInStage::Primary)))
//!         .with_actor(Identity::new("ana@contoso.com"));
//!     e.origin.country = Some("AU".into());
//!     e.origin.asn = Some(7545);
//!     e.origin.ip = Some("110.174.9.20".parse().unwrap());
//!     e.origin.user_agent = Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36".into());
//!     store.learn(&e);
//! }
//! let ana = store.view(&IdentityKey::new("ana@contoso.com")).unwrap();
//! assert!(ana.trusted());
//! assert!(ana.is_new(Dimension::Country, "US"));
//! assert!(!ana.is_new(Dimension::Prefix, "110.174.9.99"));
//! // A newer Chrome on the same OS is the same family.
//! assert!(!ana.is_new(Dimension::UserAgent, "Mozilla/5.0 (Windows NT 10.0) Chrome/121.0"));
//! assert!(ana.is_new(Dimension::UserAgent, "python-requests/2.31"));
//! assert_eq!(ana.maturity().sign_ins, 20);
//! ```

#![forbid(unsafe_code)]

mod config;
mod keys;
mod pending;
mod profile;
mod snapshot;
mod store;
mod stream;
mod ua;

pub use config::{BaselineConfig, DimensionCaps};
pub use keys::{geo_cell, IpPrefix};
pub use profile::Profile;
pub use snapshot::SNAPSHOT_VERSION;
pub use store::BaselineStore;
pub use stream::SnapshotIoError;
pub use ua::{Browser, Os, UaFamily};
