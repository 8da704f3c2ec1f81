//! What the identity provider itself concluded about a sign-in: Entra's and Okta's risk level,
//! Google's "suspicious login" mark. A baseline sees one tenant; the vendor sees every tenant it
//! serves (leaked credentials, known-bad addresses, token anomalies), so its verdict adds to what
//! the sign-in's own novelty scores.

use palisade_schema::{Event, RiskLevel, Source};

/// Google Workspace's `is_suspicious` login parameter, as the ingest adapter records it among
/// the vendor's reasons.
const GOOGLE_SUSPICIOUS: &str = "is_suspicious";
/// Entra's `riskState` for an account an administrator or Identity Protection confirmed taken.
const CONFIRMED_COMPROMISED: &str = "confirmedCompromised";
/// Entra's `riskState`s for a risk already answered: the user passed the MFA a risk policy
/// asked for (`remediated`), or an administrator dismissed it or confirmed the sign-in safe.
const SETTLED: [&str; 3] = ["remediated", "dismissed", "confirmedSafe"];
/// Reasons named in a summary, at most.
const MAX_REASONS: usize = 3;

/// A vendor's verdict of medium or high risk on one sign-in (lower verdicts are no verdict: the
/// vendors rate a large share of ordinary sign-ins low).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) level: RiskLevel,
    /// The vendor's own reasons (Entra risk event types, Okta risk reasons), as it names them.
    pub(crate) reasons: Vec<String>,
}

impl Verdict {
    /// The vendor's verdict on `event`, if it rated the sign-in medium or high.
    pub(crate) fn of(event: &Event) -> Option<Verdict> {
        let s = &event.vendor_signals;
        let state = s.risk_state.as_deref().unwrap_or_default();
        if SETTLED.iter().any(|r| state.eq_ignore_ascii_case(r)) {
            return None;
        }
        let confirmed = s
            .risk_state
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(CONFIRMED_COMPROMISED));
        let google = s.reasons.iter().any(|r| r == GOOGLE_SUSPICIOUS);
        let level = match s.risk_level {
            _ if confirmed => RiskLevel::High,
            Some(RiskLevel::High) => RiskLevel::High,
            Some(RiskLevel::Medium) => RiskLevel::Medium,
            _ if google => RiskLevel::Medium,
            _ => return None,
        };
        let reasons = s
            .risk_event_types
            .iter()
            .chain(s.reasons.iter().filter(|r| *r != GOOGLE_SUSPICIOUS))
            .filter(|r| !r.is_empty())
            .take(MAX_REASONS)
            .cloned()
            .collect();
        Some(Verdict { level, reasons })
    }

    /// "Entra rates the sign-in high risk (leakedCredentials, anomalousToken)".
    pub(crate) fn describe(&self, source: Source) -> String {
        let vendor = match source {
            Source::Entra => "Entra",
            Source::Okta => "Okta",
            Source::GoogleWorkspace => "Google",
            _ => "the vendor",
        };
        let level = if self.level == RiskLevel::High {
            "high"
        } else {
            "medium"
        };
        let mut s = if source == Source::GoogleWorkspace && self.level == RiskLevel::Medium {
            format!("{vendor} marks the login suspicious")
        } else {
            format!("{vendor} rates the sign-in {level} risk")
        };
        if !self.reasons.is_empty() {
            s.push_str(&format!(" ({})", self.reasons.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_schema::{Activity, SignIn, SignInStage, Timestamp, VendorSignals};

    fn sign_in(source: Source, signals: VendorSignals) -> Event {
        let mut e = Event::new(
            Timestamp::from_millis_unchecked(0),
            "e1",
            source,
            Activity::SignIn(SignIn::success(SignInStage::Primary)),
        );
        e.vendor_signals = signals;
        e
    }

    #[test]
    fn only_medium_and_high_are_verdicts() {
        for (level, want) in [
            (None, None),
            (Some(RiskLevel::None), None),
            (Some(RiskLevel::Low), None),
            (Some(RiskLevel::Medium), Some(RiskLevel::Medium)),
            (Some(RiskLevel::High), Some(RiskLevel::High)),
        ] {
            let s = VendorSignals {
                risk_level: level,
                ..VendorSignals::default()
            };
            let got = Verdict::of(&sign_in(Source::Entra, s)).map(|v| v.level);
            assert_eq!(got, want, "{level:?}");
        }
    }

    #[test]
    fn each_vendor_is_named_in_its_own_words() {
        let entra = VendorSignals {
            risk_level: Some(RiskLevel::High),
            risk_event_types: vec!["leakedCredentials".into(), "anomalousToken".into()],
            ..VendorSignals::default()
        };
        let v = Verdict::of(&sign_in(Source::Entra, entra)).unwrap();
        assert_eq!(
            v.describe(Source::Entra),
            "Entra rates the sign-in high risk (leakedCredentials, anomalousToken)"
        );

        let google = VendorSignals {
            reasons: vec![GOOGLE_SUSPICIOUS.into()],
            ..VendorSignals::default()
        };
        let v = Verdict::of(&sign_in(Source::GoogleWorkspace, google)).unwrap();
        assert_eq!(v.level, RiskLevel::Medium);
        assert_eq!(
            v.describe(Source::GoogleWorkspace),
            "Google marks the login suspicious"
        );

        let okta = VendorSignals {
            risk_level: Some(RiskLevel::Medium),
            reasons: vec!["Anomalous Device".into()],
            ..VendorSignals::default()
        };
        let v = Verdict::of(&sign_in(Source::Okta, okta)).unwrap();
        assert_eq!(
            v.describe(Source::Okta),
            "Okta rates the sign-in medium risk (Anomalous Device)"
        );

        // A risk the user already answered with MFA, or an administrator dismissed, is settled.
        for state in ["remediated", "dismissed", "confirmedSafe"] {
            let settled = VendorSignals {
                risk_level: Some(RiskLevel::Medium),
                risk_state: Some(state.into()),
                ..VendorSignals::default()
            };
            assert_eq!(
                Verdict::of(&sign_in(Source::Entra, settled)),
                None,
                "{state}"
            );
        }
        // A confirmed compromise is high whatever the level says.
        let confirmed = VendorSignals {
            risk_level: Some(RiskLevel::Low),
            risk_state: Some("confirmedCompromised".into()),
            ..VendorSignals::default()
        };
        let v = Verdict::of(&sign_in(Source::Entra, confirmed)).unwrap();
        assert_eq!(v.level, RiskLevel::High);
    }
}
