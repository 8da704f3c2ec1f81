//! The normalized event every adapter produces and every stage reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Activity, Identity, IdentityKey, MfaDevice, Origin, Timestamp, VendorSignals};

/// Which vendor log an event was read from.
///
/// Sources order deterministically (by declaration), which is part of the total event order
/// `(time, source, id)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// Okta System Log.
    Okta,
    /// Microsoft Entra ID sign-in logs.
    Entra,
    /// Microsoft 365 unified audit log.
    M365,
    /// Google Workspace Admin SDK Reports.
    GoogleWorkspace,
    /// Cisco Duo Admin API authentication log.
    Duo,
    /// AWS CloudTrail console sign-ins.
    CloudTrail,
    /// OCSF JSON (any producer).
    Ocsf,
    /// Events an embedder built itself.
    Custom,
}

impl Source {
    /// The snake_case name used in output and on the command line.
    ///
    /// ```
    /// assert_eq!(palisade_schema::Source::GoogleWorkspace.as_str(), "google_workspace");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Okta => "okta",
            Source::Entra => "entra",
            Source::M365 => "m365",
            Source::GoogleWorkspace => "google_workspace",
            Source::Duo => "duo",
            Source::CloudTrail => "cloudtrail",
            Source::Ocsf => "ocsf",
            Source::Custom => "custom",
        }
    }

    /// Whether this source may log a sign-in once the password is verified, before its MFA
    /// step, as a record of its own: Okta does (`user.session.start`), and OCSF or an
    /// embedder's own events may carry such records. Entra, Google Workspace, Microsoft 365, Duo
    /// and CloudTrail log whole sign-ins. Such a password-stage success is not yet the person
    /// in.
    ///
    /// ```
    /// use palisade_schema::Source;
    /// assert!(Source::Okta.logs_password_stage_first());
    /// assert!(!Source::Entra.logs_password_stage_first());
    /// ```
    pub fn logs_password_stage_first(self) -> bool {
        matches!(self, Source::Okta | Source::Ocsf | Source::Custom)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed a sign-in, as the vendor classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignInKind {
    /// A person at a prompt.
    Interactive,
    /// A client acting on a person's behalf with a token (refreshes, background sync).
    NonInteractive,
    /// An application identity.
    ServicePrincipal,
}

/// One normalized event.
///
/// ```
/// use palisade_schema::*;
/// let e = Event::new(
///     Timestamp::parse_rfc3339("2024-05-01T09:00:00Z").unwrap(),
///     "evt-1",
///     Source::Okta,
///     Activity::SignIn(SignIn::success(SignInStage::Primary)),
/// )
/// .with_actor(Identity::new("Alice@Contoso.com"));
/// assert_eq!(e.identity().unwrap().as_str(), "alice@contoso.com");
/// let json = serde_json::to_string(&e).unwrap();
/// assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened, from the vendor's own event-time field.
    pub time: Timestamp,
    /// The vendor's event id (Okta `uuid`, Entra `id`, M365 `Id`, Duo `txid`, ...).
    pub id: String,
    /// Which log it came from.
    pub source: Source,
    /// The tenant or organisation, when the vendor names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Identity>,
    /// The account acted on, when different from the actor (an admin resetting a user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Identity>,
    /// The requesting client.
    #[serde(default, skip_serializing_if = "is_default")]
    pub origin: Origin,
    /// The device that answered an MFA prompt, kept apart from `origin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_device: Option<MfaDevice>,
    /// Ties a prompt to its answer: the records of one sign-in flow share it (Okta
    /// `authenticationContext.externalSessionId`, Entra `correlationId`, Duo `txid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Interactive, non-interactive or service principal, when the vendor says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_kind: Option<SignInKind>,
    /// What the vendor already judged.
    #[serde(default, skip_serializing_if = "VendorSignals::is_empty")]
    pub vendor_signals: VendorSignals,
    /// What happened.
    pub activity: Activity,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    v == &T::default()
}

impl Event {
    /// A minimal event; fill the rest with the `with_*` methods or field assignment.
    pub fn new(time: Timestamp, id: impl Into<String>, source: Source, activity: Activity) -> Self {
        Event {
            time,
            id: id.into(),
            source,
            tenant: None,
            actor: None,
            subject: None,
            origin: Origin::default(),
            mfa_device: None,
            correlation_id: None,
            sign_in_kind: None,
            vendor_signals: VendorSignals::default(),
            activity,
        }
    }

    /// The same event with an actor.
    pub fn with_actor(mut self, actor: Identity) -> Self {
        self.actor = Some(actor);
        self
    }

    /// The same event with an origin.
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// The identity whose account this event is about: the subject when there is one, else the
    /// actor. Per-identity state (profiles, windows) is keyed on it.
    pub fn identity(&self) -> Option<&IdentityKey> {
        self.subject
            .as_ref()
            .or(self.actor.as_ref())
            .map(|i| &i.key)
            .filter(|k| !k.is_empty())
    }

    /// The key of Palisade's single total event order: `(time, source, id)`.
    pub fn order_key(&self) -> (Timestamp, Source, &str) {
        (self.time, self.source, &self.id)
    }
}
