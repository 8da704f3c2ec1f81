//! What to do about an incident: the [`Decision`], and the [`Responder`] that makes it.

use std::net::IpAddr;

use palisade_schema::IdentityKey;
use serde::{Deserialize, Serialize};

use crate::{DecisionId, Error, Incident, IncidentId};

/// One response action.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "action", content = "target", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Revoke the identity's sessions and refresh tokens (force logout).
    RevokeSessions(IdentityKey),
    /// Disable the account.
    DisableAccount(IdentityKey),
    /// Require the identity to enrol its MFA factors again.
    RequireMfaReenrolment(IdentityKey),
    /// Block a source IP.
    BlockIp(IpAddr),
    /// Notify a channel (SOC queue, the user, their manager).
    Notify(String),
}

/// Whether a decision's actions run on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionMode {
    /// Carried out without a human.
    Automatic,
    /// Waits for a human to approve.
    NeedsApproval,
    /// Recorded only; nothing is carried out.
    DryRun,
}

/// A response decision for one incident revision, with a reason for every choice.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::IdentityKey;
/// let who = IdentityKey::new("a@x.com");
/// let d = Decision {
///     id: DecisionId::derive(&["i-1", "1"]),
///     incident: IncidentId::derive(&["f-1"]),
///     identities: vec![who.clone()],
///     actions: vec![Action::RevokeSessions(who.clone()), Action::DisableAccount(who)],
///     mode: DecisionMode::Automatic,
///     reasons: vec!["unusual login followed by a new hiding inbox rule".into()],
/// };
/// assert_eq!(serde_json::to_value(&d).unwrap()["mode"], "automatic");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Deterministic id (incident id and revision).
    pub id: DecisionId,
    /// The incident decided on.
    pub incident: IncidentId,
    /// The identities acted on.
    pub identities: Vec<IdentityKey>,
    /// What to do.
    pub actions: Vec<Action>,
    /// Automatic, needs approval, or dry run.
    pub mode: DecisionMode,
    /// Why each choice was made, guardrails included.
    pub reasons: Vec<String>,
}

/// Turns incidents into decisions. `palisade-response` implements it.
pub trait Responder: Send {
    /// One incident (possibly a new revision). Emits zero or more decisions.
    fn decide(&mut self, incident: &Incident, out: &mut Vec<Decision>);
    /// Serialized state (rate-limit counters) for whole-pipeline snapshots.
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
    /// Restores state written by [`Responder::snapshot`].
    fn restore(&mut self, _bytes: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}
