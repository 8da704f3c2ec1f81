//! Findings joined into an attack story: the [`Incident`], and the [`Correlator`] that builds it.

use palisade_schema::{IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{Error, Finding, FindingId, IncidentId, Severity};

/// Findings that belong to one attack, across detectors, days and accounts.
///
/// Like findings, incidents are re-emitted with `revision + 1` as they grow.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::{IdentityKey, Timestamp};
/// let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
/// let f = Finding::new("unfamiliar_signin", Some(IdentityKey::new("a@x.com")), "e1", t)
///     .with_severity(Severity::High);
/// let inc = Incident::open_with(&f);
/// assert_eq!(inc.findings, vec![f.id.clone()]);
/// assert_eq!(inc.identities, vec![IdentityKey::new("a@x.com")]);
/// assert_eq!(inc.severity, Severity::High);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Deterministic id (from the first finding).
    pub id: IncidentId,
    /// 1 at first, +1 each time it grows.
    pub revision: u32,
    /// Every identity involved, sorted.
    pub identities: Vec<IdentityKey>,
    /// Member findings, in the order they joined.
    pub findings: Vec<FindingId>,
    /// The highest member severity (a correlator may raise it for the combination).
    pub severity: Severity,
    /// A score for ranking incidents (higher is worse), 0 to 100.
    pub score: f64,
    /// Earliest member evidence.
    pub first_seen: Timestamp,
    /// Latest member evidence.
    pub last_seen: Timestamp,
    /// The attack story in one or a few sentences.
    pub summary: String,
}

impl Incident {
    /// An incident holding one finding.
    pub fn open_with(f: &Finding) -> Self {
        let mut identities: Vec<IdentityKey> = f.identity.iter().cloned().collect();
        identities.extend(f.identities.iter().cloned());
        identities.sort();
        identities.dedup();
        Incident {
            id: IncidentId::derive(&[f.id.as_str()]),
            revision: 1,
            identities,
            findings: vec![f.id.clone()],
            severity: f.severity,
            score: 0.0,
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            summary: f.summary.clone(),
        }
    }
}

/// Joins findings into incidents. `palisade-graph` implements it.
///
/// ```
/// use palisade_core::*;
/// /// One incident per finding: the simplest correlator.
/// struct EachAlone;
/// impl Correlator for EachAlone {
///     fn correlate(&mut self, f: &Finding, out: &mut Vec<Incident>) {
///         out.push(Incident::open_with(f));
///     }
/// }
/// ```
pub trait Correlator: Send {
    /// One finding (possibly a new revision of one seen before). Emits new or grown incidents.
    fn correlate(&mut self, finding: &Finding, out: &mut Vec<Incident>);
    /// Event time has reached `now`: close incidents, forget expired state.
    fn advance(&mut self, _now: Timestamp, _out: &mut Vec<Incident>) {}
    /// Serialized state for whole-pipeline snapshots.
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
    /// Restores state written by [`Correlator::snapshot`].
    fn restore(&mut self, _bytes: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}
