//! The baseline's settings, with documented defaults and validation.

use palisade_core::{Dimension, Error};
use serde::{Deserialize, Serialize};

/// How many values each dimension of a profile keeps (its top K by decayed weight).
///
/// When a dimension is full, a new value replaces the lowest-weight one, so a profile's size is
/// capped whatever an identity does. With the defaults a realistic profile takes about 700 bytes
/// and one with every dimension at its cap about 1 KiB.
///
/// ```
/// use palisade_baseline::DimensionCaps;
/// use palisade_core::Dimension;
/// let caps = DimensionCaps::default();
/// assert_eq!(caps.get(Dimension::Country), 5);
/// assert_eq!(caps.total(), 38);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DimensionCaps {
    /// Countries (default 5: home, a second home, and the cloud regions, corporate egress or
    /// frequent destinations an identity keeps returning to; fewer would evict a routine
    /// country and call it new again).
    pub country: u8,
    /// Cities or geo cells (default 4).
    pub city: u8,
    /// Autonomous systems (default 5).
    pub asn: u8,
    /// IP prefixes, /24 for IPv4 and /48 for IPv6 (default 4).
    pub prefix: u8,
    /// Device ids (default 3).
    pub device: u8,
    /// User-agent families (default 3).
    pub user_agent: u8,
    /// Hours of the week (default 8).
    pub hour_of_week: u8,
    /// Applications (default 4).
    pub app: u8,
    /// Whether sign-ins satisfied MFA (default 2: both answers; at least 2).
    pub mfa: u8,
}

impl Default for DimensionCaps {
    fn default() -> Self {
        DimensionCaps {
            country: 5,
            city: 4,
            asn: 5,
            prefix: 4,
            device: 3,
            user_agent: 3,
            hour_of_week: 8,
            app: 4,
            mfa: 2,
        }
    }
}

impl DimensionCaps {
    /// The cap of `dim` (0 for dimensions this build does not learn).
    pub fn get(&self, dim: Dimension) -> usize {
        match dim {
            Dimension::Country => self.country,
            Dimension::City => self.city,
            Dimension::Asn => self.asn,
            Dimension::Prefix => self.prefix,
            Dimension::Device => self.device,
            Dimension::UserAgent => self.user_agent,
            Dimension::HourOfWeek => self.hour_of_week,
            Dimension::App => self.app,
            Dimension::Mfa => self.mfa,
            _ => 0,
        }
        .into()
    }

    /// The most values a profile can hold across all dimensions.
    pub fn total(&self) -> usize {
        crate::keys::DIMENSIONS.iter().map(|d| self.get(*d)).sum()
    }
}

/// Settings of a [`BaselineStore`](crate::BaselineStore). Every field has a documented default;
/// `BaselineConfig::default()` is what the defaults below describe.
///
/// The learning-period defaults follow the vendors' published behaviour: Microsoft Entra ID
/// Protection's atypical-travel detection learns for the earlier of 14 days or 10 sign-ins, its
/// unfamiliar-sign-in-properties detection for at least 5 days; Okta's behaviour detection compares
/// a sign-in with the last 10 to 20 sign-ins; Defender for Cloud Apps learns for 7 days. Palisade
/// trusts a profile after the earlier of [`learning_days`](Self::learning_days) (14) or
/// [`learning_sign_ins`](Self::learning_sign_ins) (10), never before
/// [`min_learning_days`](Self::min_learning_days) (5).
///
/// ```
/// use palisade_baseline::BaselineConfig;
/// let c: BaselineConfig = serde_json::from_str(r#"{"half_life_days": 14.0}"#).unwrap();
/// assert_eq!(c.half_life_days, 14.0);
/// assert_eq!(c.learning_sign_ins, 10);
/// assert!(c.validate().is_ok());
/// let bad = BaselineConfig { half_life_days: 0.0, ..BaselineConfig::default() };
/// assert!(bad.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineConfig {
    /// Half-life of a value's weight, in days of event time (default 30): a value not seen for
    /// 30 days counts half as much as one seen today.
    pub half_life_days: f64,
    /// A value whose decayed weight falls below this is forgotten (default 0.05, about 130 days
    /// after a single sighting at the default half-life).
    pub min_weight: f32,
    /// Days of history after which a profile is trusted (default 14, Entra's atypical travel).
    pub learning_days: u32,
    /// Sign-ins after which a profile is trusted (default 10, Entra's atypical travel), if it
    /// also spans [`min_learning_days`](Self::min_learning_days).
    pub learning_sign_ins: u32,
    /// A profile is never trusted with fewer days of history than this (default 5, Entra's
    /// unfamiliar sign-in properties).
    pub min_learning_days: u32,
    /// Values kept per dimension.
    pub caps: DimensionCaps,
    /// Distinct values per dimension the tenant-wide prior tracks (default 4096); past it the
    /// rarest value is dropped, so the prior is bounded too.
    pub tenant_values_cap: usize,
    /// The tenant prior says nothing (share 0) until this many identities have profiles
    /// (default 20): with a handful of identities every value looks common.
    pub prior_min_identities: usize,
    /// Distinct country, city and application names remembered for display (default 65 536).
    /// Past it, new names are still learned (as hashes) but not listed by `top_values`.
    pub label_cap: usize,
    /// Seconds a password-stage success waits for its MFA step before it is decided (default
    /// 600): always from sources that log the sign-in once the password is verified (Okta's
    /// `user.session.start`; `Source::logs_password_stage_first`), from others for identities
    /// seen passing an MFA step. An MFA success of the same session in this time confirms it,
    /// an MFA failure discards it, and one left unanswered is learned when the wait ends (a
    /// remembered device asks for no MFA step). So an attacker who has the password but fails
    /// MFA never teaches the profile their origin, even the profile of a user whose own device
    /// never asks; one who stops before the prompt still does. 0 learns every success at once.
    pub mfa_step_wait_secs: u32,
    /// Most sign-ins waiting for their MFA step at once (default 65 536); past it the oldest
    /// is learned early, so the wait is bounded in memory too.
    pub max_waiting: usize,
    /// Seconds for which sign-ins of one session count as one visit (default 43 200, 12 hours):
    /// a sign-in of the same session id as the last one learned, within this time of the
    /// first, adds weight only to values the visit has not taught yet and does not count as
    /// another sign-in. Okta logs a session start and an SSO record per app, Entra a record
    /// per token, so without this one intruder's visit would teach their network several
    /// times over and make it look usual. A session that lasts longer counts once per window,
    /// so a long-lived session still matures its profile. 0 counts every record.
    pub session_window_secs: u32,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            half_life_days: 30.0,
            min_weight: 0.05,
            learning_days: 14,
            learning_sign_ins: 10,
            min_learning_days: 5,
            caps: DimensionCaps::default(),
            tenant_values_cap: 4096,
            prior_min_identities: 20,
            label_cap: 65_536,
            mfa_step_wait_secs: 600,
            max_waiting: 65_536,
            session_window_secs: 43_200,
        }
    }
}

impl BaselineConfig {
    /// Checks ranges: a positive finite half-life, a minimum weight in (0, 1), caps of at least 1
    /// and a floor no longer than the learning period.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.half_life_days.is_finite() && self.half_life_days > 0.0) {
            return Err(Error::Config(format!(
                "half_life_days must be a positive number of days, got {}",
                self.half_life_days
            )));
        }
        if !(self.min_weight > 0.0 && self.min_weight < 1.0) {
            return Err(Error::Config(format!(
                "min_weight must lie strictly between 0 and 1, got {}",
                self.min_weight
            )));
        }
        if self.min_learning_days > self.learning_days {
            return Err(Error::Config(format!(
                "min_learning_days ({}) exceeds learning_days ({})",
                self.min_learning_days, self.learning_days
            )));
        }
        for dim in crate::keys::DIMENSIONS {
            // MFA has two answers: with one kept, an identity that mixes them would flip
            // between them and read as new each time.
            let least = if dim == Dimension::Mfa { 2 } else { 1 };
            if self.caps.get(dim) < least {
                return Err(Error::Config(format!(
                    "the cap of dimension {dim:?} must be at least {least}"
                )));
            }
        }
        if self.tenant_values_cap == 0 {
            return Err(Error::Config("tenant_values_cap must be at least 1".into()));
        }
        Ok(())
    }

    /// The half-life in seconds.
    pub(crate) fn half_life_secs(&self) -> f64 {
        self.half_life_days * 86_400.0
    }
}
