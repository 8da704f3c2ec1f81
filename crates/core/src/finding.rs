//! What a detector reports: a [`Finding`], with its evidence and the entities it names.

use std::borrow::Cow;
use std::net::IpAddr;

use palisade_schema::{Event, IdentityKey, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{FindingId, Severity, Technique};

/// At most this many event ids are kept as evidence; the rest are only counted.
pub const MAX_EVIDENCE_IDS: usize = 100;

/// Whether a finding may still grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// The detector may re-emit it with a higher revision.
    Open,
    /// Its window has ended; it will not change again.
    Closed,
}

/// The events a finding rests on: up to [`MAX_EVIDENCE_IDS`] ids, in the order seen, plus a total.
///
/// ```
/// use palisade_core::Evidence;
/// let mut ev = Evidence::default();
/// for i in 0..150 { ev.push(format!("e{i}")); }
/// assert_eq!(ev.event_ids.len(), 100);
/// assert_eq!(ev.total, 150);
/// assert_eq!(ev.first(), Some("e0"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Event ids, the first [`MAX_EVIDENCE_IDS`] in event order.
    pub event_ids: Vec<String>,
    /// How many events in all.
    pub total: u64,
}

impl Evidence {
    /// Evidence of one event.
    pub fn of(event_id: impl Into<String>) -> Self {
        let mut e = Evidence::default();
        e.push(event_id);
        e
    }

    /// Adds an event id (kept if there is room, always counted).
    pub fn push(&mut self, event_id: impl Into<String>) {
        if self.event_ids.len() < MAX_EVIDENCE_IDS {
            self.event_ids.push(event_id.into());
        }
        self.total += 1;
    }

    /// The first event id.
    pub fn first(&self) -> Option<&str> {
        self.event_ids.first().map(String::as_str)
    }
}

/// The things a finding is about besides identities: where the graph joins findings together.
///
/// Each list is sorted and free of duplicates, so output is stable.
///
/// ```
/// use palisade_core::Entities;
/// let mut e = Entities::default();
/// e.add_ip("10.0.0.2".parse().unwrap());
/// e.add_ip("10.0.0.1".parse().unwrap());
/// e.add_ip("10.0.0.2".parse().unwrap());
/// assert_eq!(e.ips.len(), 2);
/// assert_eq!(e.ips[0].to_string(), "10.0.0.1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// Client IPs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<IpAddr>,
    /// Autonomous systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asns: Vec<u32>,
    /// Countries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Client devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// Mailboxes or addresses (a rule's owner, a forwarding target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<String>,
}

fn insert_sorted<T: Ord>(v: &mut Vec<T>, x: T) {
    if let Err(at) = v.binary_search(&x) {
        // Entity lists are bounded the same way evidence is: a spray cannot grow them forever.
        if v.len() < MAX_EVIDENCE_IDS {
            v.insert(at, x);
        }
    }
}

impl Entities {
    /// Adds an IP.
    pub fn add_ip(&mut self, ip: IpAddr) {
        insert_sorted(&mut self.ips, ip);
    }
    /// Adds an ASN.
    pub fn add_asn(&mut self, asn: u32) {
        insert_sorted(&mut self.asns, asn);
    }
    /// Adds a country.
    pub fn add_country(&mut self, c: &str) {
        insert_sorted(&mut self.countries, c.to_owned());
    }
    /// Adds a device.
    pub fn add_device(&mut self, d: &str) {
        insert_sorted(&mut self.devices, d.to_owned());
    }
    /// Adds a mailbox or address.
    pub fn add_mailbox(&mut self, m: &str) {
        insert_sorted(&mut self.mailboxes, m.to_owned());
    }

    /// Adds what an event's origin names: IP, ASN, country and device.
    pub fn add_origin_of(&mut self, event: &Event) {
        let o = &event.origin;
        if let Some(ip) = o.ip {
            self.add_ip(ip);
        }
        if let Some(asn) = o.asn {
            self.add_asn(asn);
        }
        if let Some(c) = &o.country {
            self.add_country(c);
        }
        if let Some(d) = &o.device_id {
            self.add_device(d);
        }
    }

    /// Whether nothing is named.
    pub fn is_empty(&self) -> bool {
        self.ips.is_empty()
            && self.asns.is_empty()
            && self.countries.is_empty()
            && self.devices.is_empty()
            && self.mailboxes.is_empty()
    }
}

/// How mature the baseline behind a finding was.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineMaturity {
    /// Successful sign-ins the profile had learned from.
    pub sign_ins: u64,
    /// Days between the profile's first and last sign-in.
    pub days: u32,
    /// Whether the profile had finished its learning period.
    pub trusted: bool,
}

/// One detector's conclusion about one identity (or, for a spray, many).
///
/// A detector that learns more about an open finding emits it again with the same `id` and
/// `revision + 1`; downstream keeps the latest revision.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::{IdentityKey, Timestamp};
/// let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
/// let f = Finding::new("mfa_fatigue", Some(IdentityKey::new("alice@x.com")), "evt-1", t)
///     .with_severity(Severity::High)
///     .with_technique(Technique::MfaRequestGeneration)
///     .with_summary("6 push prompts denied in 4 minutes");
/// assert_eq!(f.revision, 1);
/// assert_eq!(f.id, FindingId::derive(&["mfa_fatigue", "alice@x.com", "evt-1"]));
/// let g = f.next_revision();
/// assert_eq!((g.id.clone(), g.revision), (f.id.clone(), 2));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Deterministic id.
    pub id: FindingId,
    /// 1 for the first emission, +1 each time it is re-emitted.
    pub revision: u32,
    /// Open or closed.
    pub status: FindingStatus,
    /// The detector's stable name.
    pub detector: Cow<'static, str>,
    /// The identity it is about; `None` when it is about many (see `identities`).
    pub identity: Option<IdentityKey>,
    /// For findings about many identities (a spray): all of them, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<IdentityKey>,
    /// How bad.
    pub severity: Severity,
    /// How sure, 0 to 1.
    pub confidence: f32,
    /// Which ATT&CK technique it is evidence of.
    pub technique: Technique,
    /// Time of the first evidence.
    pub first_seen: Timestamp,
    /// Time of the last evidence.
    pub last_seen: Timestamp,
    /// The events behind it.
    pub evidence: Evidence,
    /// IPs, ASNs, countries, devices and mailboxes involved.
    pub entities: Entities,
    /// The baseline the detector compared against, when it used one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineMaturity>,
    /// One human sentence that explains it.
    pub summary: String,
}

impl Finding {
    /// A new open finding at revision 1, with its id derived from the detector, the key and the
    /// first evidence id. For findings not about one identity, pass `None` and use
    /// [`Finding::new_keyed`].
    pub fn new(
        detector: &'static str,
        identity: Option<IdentityKey>,
        first_event_id: &str,
        at: Timestamp,
    ) -> Self {
        let key = identity.as_ref().map_or("", IdentityKey::as_str).to_owned();
        Self::new_keyed(detector, &key, identity, first_event_id, at)
    }

    /// A new open finding whose id is keyed on something other than the identity (a spraying IP).
    pub fn new_keyed(
        detector: &'static str,
        key: &str,
        identity: Option<IdentityKey>,
        first_event_id: &str,
        at: Timestamp,
    ) -> Self {
        Finding {
            id: FindingId::derive(&[detector, key, first_event_id]),
            revision: 1,
            status: FindingStatus::Open,
            detector: Cow::Borrowed(detector),
            identity,
            identities: Vec::new(),
            severity: Severity::Info,
            confidence: 0.5,
            technique: Technique::ValidCloudAccounts,
            first_seen: at,
            last_seen: at,
            evidence: Evidence::of(first_event_id),
            entities: Entities::default(),
            baseline: None,
            summary: String::new(),
        }
    }

    /// Sets the severity.
    pub fn with_severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
    /// Sets the confidence (clamped to 0..=1; NaN becomes 0).
    pub fn with_confidence(mut self, c: f32) -> Self {
        self.confidence = if c.is_nan() { 0.0 } else { c.clamp(0.0, 1.0) };
        self
    }
    /// Sets the technique.
    pub fn with_technique(mut self, t: Technique) -> Self {
        self.technique = t;
        self
    }
    /// Sets the summary sentence.
    pub fn with_summary(mut self, s: impl Into<String>) -> Self {
        self.summary = s.into();
        self
    }

    /// A copy with `revision + 1`, for re-emission after the finding changed.
    pub fn next_revision(&self) -> Self {
        let mut f = self.clone();
        f.revision += 1;
        f
    }

    /// A light reference for other detectors' [`Context`](crate::Context).
    pub fn as_ref(&self) -> FindingRef {
        FindingRef {
            id: self.id.clone(),
            detector: self.detector.clone(),
            severity: self.severity,
            technique: self.technique.clone(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
        }
    }
}

/// What other detectors see of a finding: enough to say "unfamiliar sign-in 20 minutes ago".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    /// The finding's id.
    pub id: FindingId,
    /// Which detector raised it.
    pub detector: Cow<'static, str>,
    /// Its severity at its latest revision.
    pub severity: Severity,
    /// Its technique.
    pub technique: Technique,
    /// First evidence time.
    pub first_seen: Timestamp,
    /// Last evidence time.
    pub last_seen: Timestamp,
}
