//! How bad a finding, incident or decision is, and which ATT&CK technique it is evidence of.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Severity, ordered from `Info` to `Critical`.
///
/// ```
/// use palisade_core::Severity;
/// assert!(Severity::Critical > Severity::High);
/// assert_eq!(Severity::Medium.bump(), Severity::High);
/// assert_eq!(Severity::Critical.bump(), Severity::Critical);
/// assert_eq!(serde_json::to_string(&Severity::Low).unwrap(), "\"low\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording, not worth a look on its own.
    Info,
    /// Unusual but often benign.
    Low,
    /// Worth an analyst's look.
    Medium,
    /// Likely malicious.
    High,
    /// Account probably in an attacker's hands.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// One step up, saturating at `Critical`.
    pub fn bump(self) -> Self {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// One step down, saturating at `Info`.
    pub fn lower(self) -> Self {
        match self {
            Severity::Info | Severity::Low => Severity::Info,
            Severity::Medium => Severity::Low,
            Severity::High => Severity::Medium,
            Severity::Critical => Severity::High,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A MITRE ATT&CK technique, serialized as its id (`"T1621"`).
///
/// ```
/// use palisade_core::Technique;
/// assert_eq!(Technique::MfaRequestGeneration.id(), "T1621");
/// let t: Technique = serde_json::from_str("\"T1564.008\"").unwrap();
/// assert_eq!(t, Technique::EmailHidingRules);
/// let other: Technique = serde_json::from_str("\"T9999\"").unwrap();
/// assert_eq!(other.id(), "T9999");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Technique {
    /// T1621 Multi-Factor Authentication Request Generation.
    MfaRequestGeneration,
    /// T1078.004 Valid Accounts: Cloud Accounts.
    ValidCloudAccounts,
    /// T1564.008 Hide Artifacts: Email Hiding Rules.
    EmailHidingRules,
    /// T1114.003 Email Collection: Email Forwarding Rule.
    EmailForwardingRule,
    /// T1110.003 Brute Force: Password Spraying.
    PasswordSpraying,
    /// T1110.001 Brute Force: Password Guessing.
    PasswordGuessing,
    /// T1098.005 Account Manipulation: Device Registration.
    DeviceRegistration,
    /// T1556.006 Modify Authentication Process: Multi-Factor Authentication.
    ModifyMfa,
    /// T1114.002 Email Collection: Remote Email Collection.
    RemoteEmailCollection,
    /// T1530 Data from Cloud Storage.
    DataFromCloudStorage,
    /// Any other technique id.
    Other(String),
}

impl Technique {
    /// The ATT&CK id.
    pub fn id(&self) -> &str {
        match self {
            Technique::MfaRequestGeneration => "T1621",
            Technique::ValidCloudAccounts => "T1078.004",
            Technique::EmailHidingRules => "T1564.008",
            Technique::EmailForwardingRule => "T1114.003",
            Technique::PasswordSpraying => "T1110.003",
            Technique::PasswordGuessing => "T1110.001",
            Technique::DeviceRegistration => "T1098.005",
            Technique::ModifyMfa => "T1556.006",
            Technique::RemoteEmailCollection => "T1114.002",
            Technique::DataFromCloudStorage => "T1530",
            Technique::Other(id) => id,
        }
    }

    /// The technique with this id.
    pub fn from_id(id: &str) -> Self {
        match id {
            "T1621" => Technique::MfaRequestGeneration,
            "T1078.004" => Technique::ValidCloudAccounts,
            "T1564.008" => Technique::EmailHidingRules,
            "T1114.003" => Technique::EmailForwardingRule,
            "T1110.003" => Technique::PasswordSpraying,
            "T1110.001" => Technique::PasswordGuessing,
            "T1098.005" => Technique::DeviceRegistration,
            "T1556.006" => Technique::ModifyMfa,
            "T1114.002" => Technique::RemoteEmailCollection,
            "T1530" => Technique::DataFromCloudStorage,
            other => Technique::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Technique {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Technique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Technique::from_id(&s))
    }
}
