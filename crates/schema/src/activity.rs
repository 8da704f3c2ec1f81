//! What happened: the kinds of activity Palisade's detectors reason about.

use serde::{Deserialize, Serialize};

/// What an event records. Vendors' records that fit none of these become [`Activity::Other`].
///
/// ```
/// use palisade_schema::{Activity, SignIn, SignInStage, Outcome};
/// let a = Activity::SignIn(SignIn::success(SignInStage::Primary));
/// assert!(a.is_successful_sign_in());
/// assert_eq!(a.kind_name(), "sign_in");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Activity {
    /// An authentication attempt: password, MFA step or single sign-on.
    SignIn(SignIn),
    /// An MFA challenge was sent, or answered.
    MfaPrompt(MfaPrompt),
    /// A session began (Okta `user.session.start`).
    SessionStart,
    /// Sessions were revoked or the user signed out.
    SessionRevoke,
    /// An inbox rule was created, changed or removed.
    MailboxRule(MailboxRule),
    /// Mailbox-level forwarding was set or cleared.
    MailboxForwarding(MailboxForwarding),
    /// Mail items were read or synced.
    MailItemsAccessed(MailItemsAccessed),
    /// A file was opened, previewed or downloaded.
    FileAccess(FileAccess),
    /// Something about the account changed: MFA factors, password, roles.
    AccountChange(AccountChange),
    /// A record that is none of the above, named by the vendor's event type.
    Other {
        /// The vendor's own event type, e.g. `user.lifecycle.create`.
        name: String,
    },
}

impl Activity {
    /// A stable snake_case name for counting (`events_by_activity`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Activity::SignIn(_) => "sign_in",
            Activity::MfaPrompt(_) => "mfa_prompt",
            Activity::SessionStart => "session_start",
            Activity::SessionRevoke => "session_revoke",
            Activity::MailboxRule(_) => "mailbox_rule",
            Activity::MailboxForwarding(_) => "mailbox_forwarding",
            Activity::MailItemsAccessed(_) => "mail_items_accessed",
            Activity::FileAccess(_) => "file_access",
            Activity::AccountChange(_) => "account_change",
            Activity::Other { .. } => "other",
        }
    }

    /// Whether this is a sign-in (any stage) that succeeded.
    pub fn is_successful_sign_in(&self) -> bool {
        matches!(self, Activity::SignIn(s) if s.outcome.is_success())
    }

    /// Whether this is a sign-in (any stage) that failed.
    pub fn is_failed_sign_in(&self) -> bool {
        matches!(self, Activity::SignIn(s) if !s.outcome.is_success())
    }
}

/// An authentication attempt.
///
/// ```
/// use palisade_schema::{SignIn, SignInStage, Outcome, FailureReason};
/// let s = SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied);
/// assert!(!s.outcome.is_success());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    /// Which step of authentication this records.
    pub stage: SignInStage,
    /// Success, or failure with a reason.
    pub outcome: Outcome,
    /// The factor used, when the step is an MFA step or the vendor names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Factor>,
    /// The application signed into (Entra `appDisplayName`, Okta target app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Whether MFA was satisfied in this sign-in, when the vendor says (CloudTrail `MFAUsed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_satisfied: Option<bool>,
}

impl SignIn {
    /// A successful sign-in at `stage`.
    pub fn success(stage: SignInStage) -> Self {
        SignIn {
            stage,
            outcome: Outcome::Success,
            factor: None,
            app: None,
            mfa_satisfied: None,
        }
    }

    /// A failed sign-in at `stage`.
    pub fn failure(stage: SignInStage, reason: FailureReason) -> Self {
        SignIn {
            stage,
            outcome: Outcome::Failure { reason },
            factor: None,
            app: None,
            mfa_satisfied: None,
        }
    }
}

/// The step of authentication a sign-in event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignInStage {
    /// First factor (password) or the sign-in as a whole.
    Primary,
    /// A second-factor step.
    Mfa,
    /// Single sign-on into an application from an existing session.
    Sso,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// The attempt succeeded.
    Success,
    /// The attempt failed.
    Failure {
        /// Why.
        reason: FailureReason,
    },
}

impl Outcome {
    /// Whether the attempt succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success)
    }
}

/// Why a sign-in failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureReason {
    /// Wrong password (Entra 50126, Okta `INVALID_CREDENTIALS`).
    BadPassword,
    /// Unknown user.
    UnknownUser,
    /// MFA was required and not yet done (Entra 50074/50076): an interruption, not an attack signal.
    MfaRequired,
    /// The MFA challenge was denied by the user.
    MfaDenied,
    /// The MFA challenge went unanswered.
    MfaTimeout,
    /// The user reported the MFA challenge as fraud.
    MfaFraudReported,
    /// MFA failed for another reason.
    MfaFailed,
    /// The account is locked or disabled.
    Locked,
    /// Blocked by policy (conditional access, network zone).
    PolicyBlocked,
    /// Any other reason, in the vendor's words.
    Other(String),
}

impl FailureReason {
    /// Whether the failure happened at the MFA step.
    pub fn is_mfa(&self) -> bool {
        matches!(
            self,
            FailureReason::MfaDenied
                | FailureReason::MfaTimeout
                | FailureReason::MfaFraudReported
                | FailureReason::MfaFailed
        )
    }
}

/// An MFA factor type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Factor {
    /// A push notification to an authenticator app.
    Push,
    /// A one-time code by SMS.
    Sms,
    /// A phone call.
    Voice,
    /// A time-based one-time code from an app or token.
    Totp,
    /// A hardware or platform authenticator (FIDO2 / WebAuthn).
    WebAuthn,
    /// An email link or code.
    Email,
    /// Any other factor.
    Other,
}

/// An MFA challenge and what became of it.
///
/// ```
/// use palisade_schema::{MfaPrompt, Factor, PromptResult};
/// let p = MfaPrompt { factor: Factor::Push, result: PromptResult::Denied };
/// assert!(p.result.is_unanswered_or_refused());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaPrompt {
    /// Which factor was challenged.
    pub factor: Factor,
    /// What happened to the challenge.
    pub result: PromptResult,
}

/// What became of an MFA challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PromptResult {
    /// The challenge was sent; its answer is a later event (or never comes).
    Sent,
    /// The user approved.
    Approved,
    /// The user denied.
    Denied,
    /// Nobody answered in time.
    TimedOut,
    /// The user reported the challenge, or the activity behind it, as fraud.
    FraudReported,
    /// It failed for another reason.
    Failed,
}

impl PromptResult {
    /// Denied, timed out or reported: the outcomes a push-bombing burst is made of.
    pub fn is_unanswered_or_refused(self) -> bool {
        matches!(
            self,
            PromptResult::Denied | PromptResult::TimedOut | PromptResult::FraudReported
        )
    }
}

/// An inbox rule change.
///
/// ```
/// use palisade_schema::{MailboxRule, RuleChange, RuleAction};
/// let rule = MailboxRule {
///     change: RuleChange::Create,
///     name: Some(".".into()),
///     actions: vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())],
///     ..MailboxRule::default()
/// };
/// assert!(rule.actions.contains(&RuleAction::MarkAsRead));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRule {
    /// Created, modified, removed, ...
    pub change: RuleChange,
    /// The mailbox the rule belongs to, when it differs from the actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// The rule's name exactly as given (normalization is the detector's job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What mail the rule applies to.
    #[serde(default, skip_serializing_if = "RuleConditions::is_empty")]
    pub conditions: RuleConditions,
    /// What the rule does with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<RuleAction>,
}

/// How an inbox rule changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleChange {
    /// A new rule.
    #[default]
    Create,
    /// An existing rule changed.
    Modify,
    /// A rule was removed.
    Delete,
}

/// The conditions of an inbox rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleConditions {
    /// Sender addresses (`From`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<String>,
    /// Words in the subject.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_contains: Vec<String>,
    /// Words in the subject or body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_contains: Vec<String>,
    /// Recipient addresses (`SentTo`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent_to: Vec<String>,
    /// The rule has conditions the record does not spell out: ones not listed above
    /// (attachments, importance, headers), an Outlook condition in a form not read, or none
    /// at all in a change that lists only what changed (`Set-InboxRule`). Such a rule is not
    /// known to apply to all mail.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unknown: bool,
}

impl RuleConditions {
    /// Whether the rule is known to match all mail.
    ///
    /// ```
    /// use palisade_schema::RuleConditions;
    /// assert!(RuleConditions::default().is_empty());
    /// let changed = RuleConditions { unknown: true, ..RuleConditions::default() };
    /// assert!(!changed.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.names_none() && !self.unknown
    }

    /// Whether none of the conditions above is spelled out (there may still be `unknown`
    /// ones).
    ///
    /// ```
    /// use palisade_schema::RuleConditions;
    /// let changed = RuleConditions { unknown: true, ..RuleConditions::default() };
    /// assert!(changed.names_none());
    /// ```
    pub fn names_none(&self) -> bool {
        self.from.is_empty()
            && self.subject_contains.is_empty()
            && self.body_contains.is_empty()
            && self.sent_to.is_empty()
    }
}

/// One action of an inbox rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", content = "target", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleAction {
    /// Move matching mail to a folder (empty when the record names none: Outlook's
    /// `UpdateInboxRules` gives only the folder's id).
    MoveToFolder(String),
    /// Copy matching mail to a folder (empty when the record names none).
    CopyToFolder(String),
    /// Mark it as read.
    MarkAsRead,
    /// Delete it (to Deleted Items).
    Delete,
    /// Delete it permanently.
    PermanentDelete,
    /// Forward it to an address.
    ForwardTo(String),
    /// Forward it as an attachment to an address.
    ForwardAsAttachmentTo(String),
    /// Redirect it to an address.
    RedirectTo(String),
    /// Stop processing more rules.
    StopProcessingRules,
}

/// A mailbox-level forwarding setting (`Set-Mailbox -ForwardingSmtpAddress`, Gmail auto-forward).
///
/// ```
/// use palisade_schema::MailboxForwarding;
/// let f = MailboxForwarding { forward_to: Some("x@evil.example".into()), keep_copy: Some(false), ..Default::default() };
/// assert!(f.forward_to.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxForwarding {
    /// The mailbox whose forwarding changed, when it differs from the actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// Where mail is now forwarded; `None` when forwarding was cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<String>,
    /// Whether a copy stays in the mailbox (`DeliverToMailboxAndForward`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_copy: Option<bool>,
}

/// Mail items were accessed (M365 `MailItemsAccessed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItemsAccessed {
    /// The mailbox accessed, when it differs from the actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// How many items, when the vendor counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Folders touched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<String>,
}

/// A file was opened, previewed or downloaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAccess {
    /// How.
    pub how: FileAccessKind,
    /// The file's name or path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// How a file was touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileAccessKind {
    /// Opened.
    Accessed,
    /// Previewed in the browser.
    Previewed,
    /// Downloaded.
    Downloaded,
}

/// A change to the account itself.
///
/// ```
/// use palisade_schema::{AccountChange, Factor};
/// let c = AccountChange::MfaFactorEnrolled { factor: Some(Factor::Push) };
/// assert!(c.touches_mfa());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountChange {
    /// An MFA factor was enrolled.
    MfaFactorEnrolled {
        /// Which factor, when known.
        factor: Option<Factor>,
    },
    /// An MFA factor was removed.
    MfaFactorRemoved {
        /// Which factor, when known.
        factor: Option<Factor>,
    },
    /// All factors were reset (usually by an admin or help desk).
    MfaFactorsReset,
    /// The user changed their password.
    PasswordChanged,
    /// The password was reset (by an admin or a recovery flow).
    PasswordReset,
    /// A role or privilege was granted.
    RoleGranted {
        /// The role, when named.
        role: Option<String>,
    },
}

impl AccountChange {
    /// Whether the change concerns MFA factors.
    pub fn touches_mfa(&self) -> bool {
        matches!(
            self,
            AccountChange::MfaFactorEnrolled { .. }
                | AccountChange::MfaFactorRemoved { .. }
                | AccountChange::MfaFactorsReset
        )
    }
}
