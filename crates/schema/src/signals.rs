//! What the vendor already judged about an event, kept typed so detectors can weigh it.

use serde::{Deserialize, Serialize};

/// A vendor's risk level (Entra `riskLevelDuringSignIn`, `riskLevelAggregated`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RiskLevel {
    /// No risk detected.
    None,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
}

/// Signals the vendor attached to the event. Empty by default; every field is optional.
///
/// ```
/// use palisade_schema::{VendorSignals, RiskLevel};
/// let s = VendorSignals { anonymous_proxy: Some(true), risk_level: Some(RiskLevel::High), ..Default::default() };
/// assert!(s.says_anonymous());
/// assert!(!VendorSignals::default().says_anonymous());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VendorSignals {
    /// The vendor flagged the client as an anonymizing proxy (Okta `securityContext.isProxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_proxy: Option<bool>,
    /// The vendor flagged the client as a Tor exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tor: Option<bool>,
    /// Okta's `client.zone` (a named network zone) or Entra's named network location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_zone: Option<String>,
    /// Entra network location kinds (`trustedNamedLocation`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_locations: Vec<String>,
    /// Okta behaviours that evaluated positive (`New Geo-Location`, `New Device`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub behaviors: Vec<String>,
    /// Risk level during sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
    /// Risk state (`atRisk`, `confirmedCompromised`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<String>,
    /// Risk event types (`unfamiliarFeatures`, `anonymizedIPAddress`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_event_types: Vec<String>,
    /// Reasons a vendor gave for an anomaly (Duo `reason`, adaptive-trust features).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl VendorSignals {
    /// Whether the vendor says the client hides behind a proxy or Tor.
    pub fn says_anonymous(&self) -> bool {
        self.anonymous_proxy == Some(true) || self.tor == Some(true)
    }

    /// Whether nothing was set.
    pub fn is_empty(&self) -> bool {
        self == &VendorSignals::default()
    }
}
