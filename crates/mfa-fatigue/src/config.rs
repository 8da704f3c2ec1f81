//! The detector's settings, their defaults, and the severity ladder they drive.

use palisade_core::{Error, Severity};
use palisade_schema::{Duration, Factor};
use serde::{Deserialize, Serialize};

/// Settings of the MFA fatigue detector. Every field has a documented default; a partial JSON or
/// TOML table keeps the defaults for what it leaves out. Durations are written with a unit (`"10m"`).
///
/// # Why these defaults
///
/// Public detection content sets the floor, and each rule below catches at least what it catches:
///
/// | rule | fires on | Palisade with the defaults |
/// |------|----------|----------------------------|
/// | Elastic, Okta push bombing | 5 denied pushes, then a success, within 10 min | medium at the 4th, critical at the success |
/// | Splunk, Entra MFA denials | more than 9 denials in 10 min | high at the 10th |
/// | Sentinel, MFA fatigue | more than 10 denials plus a success in 5 min | critical at the success |
/// | Okta Workflows template | 5 rejections in an hour | medium at the 5th (the `slow_*` window) |
///
/// - `window` is 10 minutes, the longest short window any of them uses, so a burst that one of
///   them sees in 5 or 10 minutes fits in ours. It slides (a burst that straddles a clock
///   boundary is still one burst) and it is also how long a burst stays open after its last
///   prompt: an approval within 10 minutes of the last refused prompt is "an approval that
///   follows the burst" (Elastic's and Sentinel's success clause).
/// - `medium_at` is 4: one or two missed notifications are ordinary (people leave phones in
///   another room), three in ten minutes still happen to a user fumbling with a new phone, four
///   do not. It sits below Elastic's 5 so that its shape is caught one prompt early; Elastic moved
///   from 3 to 5 to cut noise, and 4 plus the origin rule below keeps the noise down while
///   catching attacks from unfamiliar places at 3.
/// - `unfamiliar_medium_at` is 3: prompts requested from a country or network the identity's
///   trusted profile has never seen (or, without a trusted profile, flagged by the vendor as an
///   anonymizing proxy, Tor, risky, a new geo-location, or asked from another country than the
///   phone that answered) need less evidence, and their severity is raised one step.
/// - `high_at` is 10, Splunk's "more than 9"; a burst lasting `long_burst` (30 minutes) is high
///   too, because an attacker who keeps prompting for half an hour is persistent, not unlucky.
/// - `slow_window` and `slow_at` (60 minutes, 5) are Okta Workflows' "5 rejections in an
///   hour", for attackers who prompt slowly to stay under short-window rules.
/// - `answer_within` is 5 minutes, the longest push lifetime among the vendors we read (Okta
///   Verify); a prompt sent and not answered by then counts as unanswered. Most vendors never log
///   an ignored push, which is why rules that count only denials miss attackers who wait for
///   the user to tap "approve" on the tenth notification. A newer prompt also makes older
///   pending ones unanswered: the user was not answering them.
/// - `pair_within` is 2 minutes: when a vendor reports one prompt twice (an `MfaPrompt` denial
///   and a failed MFA sign-in), reports with compatible correlation ids that close in time are
///   one prompt.
/// - A fraud report is high at once; an approval (or a successful MFA sign-in) that follows a
///   burst is critical whatever else is true.
///
/// ```
/// use palisade_mfa_fatigue::MfaFatigueConfig;
/// use palisade_schema::Duration;
/// let c = MfaFatigueConfig::default();
/// assert_eq!(c.window, Duration::from_mins(10));
/// assert_eq!((c.medium_at, c.unfamiliar_medium_at, c.high_at), (4, 3, 10));
/// let partial: MfaFatigueConfig = serde_json::from_str(r#"{"high_at": 8}"#).unwrap();
/// assert_eq!(partial.high_at, 8);
/// assert_eq!(partial.medium_at, 4);
/// assert!(partial.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MfaFatigueConfig {
    /// The sliding window over refused prompts; also how long a burst stays open after its last
    /// prompt. Default 10 minutes.
    pub window: Duration,
    /// Refused or unanswered prompts within `window` that open a medium burst. Default 4.
    pub medium_at: u32,
    /// The same threshold when a prompt in the window comes from an origin the identity does not
    /// know; the burst's severity is then raised one step. Default 3.
    pub unfamiliar_medium_at: u32,
    /// Prompts in a burst that make it high. Default 10.
    pub high_at: u32,
    /// A burst lasting this long (first to last prompt) is high. Default 30 minutes.
    pub long_burst: Duration,
    /// The slow window, for attackers who prompt slowly. Default 60 minutes.
    pub slow_window: Duration,
    /// Refused or unanswered prompts within `slow_window` that open a medium burst. Default 5.
    pub slow_at: u32,
    /// A prompt sent and not answered within this counts as unanswered. Default 5 minutes.
    pub answer_within: Duration,
    /// Two reports of one prompt (a denial and a failed MFA sign-in) are paired when this close.
    /// Default 2 minutes.
    pub pair_within: Duration,
    /// The factors whose unanswered or refused prompts count: the ones an attacker can make
    /// someone's phone ring with. Default push, voice and other (vendors' unnamed factors).
    /// A denied or timed-out MFA sign-in with no factor named always counts, and so does a
    /// failed push MFA sign-in (how Google Workspace logs a push denied or unanswered); fraud
    /// reports count for any factor; approvals of any factor end a burst as critical.
    pub factors: Vec<Factor>,
    /// At most this many prompts are kept per identity (the oldest are dropped). Default 64.
    pub max_prompts: usize,
    /// At most this many identities are tracked at once. Default 200 000 (under 100 MB): far
    /// more than prompt each other within an hour in any tenant, so only a flood reaches it.
    /// Reaching it drops the eighth of identities quiet the longest, closing their open bursts.
    pub max_identities: usize,
}

impl Default for MfaFatigueConfig {
    fn default() -> Self {
        MfaFatigueConfig {
            window: Duration::from_mins(10),
            medium_at: 4,
            unfamiliar_medium_at: 3,
            high_at: 10,
            long_burst: Duration::from_mins(30),
            slow_window: Duration::from_mins(60),
            slow_at: 5,
            answer_within: Duration::from_mins(5),
            pair_within: Duration::from_mins(2),
            factors: vec![Factor::Push, Factor::Voice, Factor::Other],
            max_prompts: 64,
            max_identities: 200_000,
        }
    }
}

/// What the severity ladder looks at in a burst.
///
/// ```
/// use palisade_mfa_fatigue::{BurstFacts, MfaFatigueConfig};
/// use palisade_core::Severity;
/// use palisade_schema::Duration;
/// let c = MfaFatigueConfig::default();
/// let mut b = BurstFacts { prompts: 5, span: Duration::from_mins(4), ..BurstFacts::default() };
/// assert_eq!(c.ladder(&b), Severity::Medium);
/// b.unfamiliar = true;
/// assert_eq!(c.ladder(&b), Severity::High);
/// b.approved = true;
/// assert_eq!(c.ladder(&b), Severity::Critical);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BurstFacts {
    /// Refused, unanswered or reported prompts in the burst.
    pub prompts: u32,
    /// From its first prompt to its last.
    pub span: Duration,
    /// Prompts the user reported as fraud.
    pub fraud_reports: u32,
    /// Whether any prompt came from an origin the identity does not know.
    pub unfamiliar: bool,
    /// Whether an approval or a successful MFA sign-in followed.
    pub approved: bool,
}

impl MfaFatigueConfig {
    /// Checks that thresholds are positive and windows make sense.
    ///
    /// ```
    /// use palisade_mfa_fatigue::MfaFatigueConfig;
    /// let bad = MfaFatigueConfig { medium_at: 0, ..MfaFatigueConfig::default() };
    /// assert!(bad.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let positive = [
            ("window", self.window),
            ("long_burst", self.long_burst),
            ("slow_window", self.slow_window),
            ("answer_within", self.answer_within),
            ("pair_within", self.pair_within),
        ];
        for (name, d) in positive {
            if d.as_millis() <= 0 || d > Duration::from_days(7) {
                return Err(Error::Config(format!(
                    "mfa_fatigue.{name} must lie between 1 ms and 7 days, got {} ms",
                    d.as_millis()
                )));
            }
        }
        let counts = [
            ("medium_at", self.medium_at),
            ("unfamiliar_medium_at", self.unfamiliar_medium_at),
            ("high_at", self.high_at),
            ("slow_at", self.slow_at),
        ];
        for (name, n) in counts {
            if n == 0 {
                return Err(Error::Config(format!(
                    "mfa_fatigue.{name} must be at least 1"
                )));
            }
        }
        if self.max_prompts < 2 || self.max_prompts > 4096 {
            return Err(Error::Config(format!(
                "mfa_fatigue.max_prompts must lie between 2 and 4096, got {}",
                self.max_prompts
            )));
        }
        if self.max_identities < 8 {
            return Err(Error::Config(format!(
                "mfa_fatigue.max_identities must be at least 8, got {}",
                self.max_identities
            )));
        }
        Ok(())
    }

    /// The severity of a burst with these facts.
    ///
    /// An approval after a burst is critical; a fraud report, `high_at` prompts or a burst lasting
    /// `long_burst` is high; anything else that opened a burst is medium. An unfamiliar origin
    /// raises medium to high (it never makes a burst critical on its own: critical means the
    /// account is probably taken over, which takes an approval).
    pub fn ladder(&self, facts: &BurstFacts) -> Severity {
        if facts.approved {
            return Severity::Critical;
        }
        let large = facts.prompts >= self.high_at || facts.span >= self.long_burst;
        let base = if facts.fraud_reports > 0 || large {
            Severity::High
        } else {
            Severity::Medium
        };
        if facts.unfamiliar {
            base.bump().min(Severity::High)
        } else {
            base
        }
    }

    /// How long prompts are kept: long enough for both windows and for pairing answers.
    pub(crate) fn horizon_ms(&self) -> i64 {
        let pairing = self
            .answer_within
            .as_millis()
            .saturating_add(self.pair_within.as_millis());
        self.window
            .as_millis()
            .max(self.slow_window.as_millis())
            .max(pairing)
    }
}
