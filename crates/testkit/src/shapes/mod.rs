//! Writers that render scenario events in vendor shapes as JSON Lines text, so the same
//! generated population can be fed through every ingest adapter.
//!
//! Each vendor is one sibling file implementing [`Shape`]: [`Ocsf`], [`Okta`] (System Log),
//! [`Entra`] (Microsoft Graph `signIn`), [`M365`] (unified audit log), [`Duo`] (Admin API v2
//! authentication log) and [`GoogleWorkspace`] (Admin SDK Reports activities). A writer returns
//! `false` for an event its vendor has no way to express (Okta has no inbox rules, Microsoft 365
//! no push prompts), and [`render`] counts those as skipped. Some vendors log one record where
//! Palisade has two events (Okta's `user.authentication.auth_via_mfa` is both the MFA step and
//! the push approval; a Duo authentication record is both the step and the prompt's answer):
//! the event the record carries is counted as [`Rendered::carried`], not as skipped, and the
//! adapter derives it back when reading the record.
//!
//! [`export`] renders a whole scenario the way a real tenant exports it: identity-provider events
//! into the IdP's log, mailbox and file events into the mail service's log.
//!
//! ```
//! use palisade_testkit::{generate, AttackKind, PopulationConfig};
//! use palisade_testkit::shapes::{render, Ocsf};
//! let s = generate(&PopulationConfig { users: 5, days: 3, ..PopulationConfig::small(1) }, &[]);
//! let out = render(&Ocsf, &s.events);
//! assert_eq!(out.text.lines().count(), out.written);
//! assert!(out.written > 0);
//! ```

mod duo;
mod entra;
mod gws;
mod m365;
mod ocsf;
mod okta;

pub use duo::Duo;
pub use entra::Entra;
pub use gws::GoogleWorkspace;
pub use m365::M365;
pub use ocsf::{Ocsf, OCSF_VERSION};
pub use okta::Okta;

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::stable_hash;
use palisade_schema::{Activity, Event, Identity, RiskLevel, SignInStage, Source, Timestamp};
use serde_json::Value;

use crate::population::Scenario;

/// One vendor's log shape.
pub trait Shape {
    /// The vendor shape's name, e.g. `"ocsf"`.
    fn name(&self) -> &'static str;
    /// Appends `event` as one JSON object and a newline to `out`; returns `false` (writing
    /// nothing) when the vendor has no record for the event on its own.
    fn write(&self, event: &Event, out: &mut String) -> bool;
    /// Whether an event that [`Shape::write`] does not write is nevertheless carried by another
    /// record of this shape (Okta's MFA step record carries the push approval). The default says
    /// no.
    fn carries(&self, event: &Event) -> bool {
        let _ = event;
        false
    }
    /// Renders an ordered event sequence into `out`. The default writes each event on its own;
    /// shapes whose records depend on neighbouring events (Entra's MFA-required interrupt, the
    /// phone that answered a Duo push) override it.
    fn render_into(&self, events: &[Event], out: &mut Rendered) {
        for e in events {
            let wrote = self.write(e, &mut out.text);
            out.count(e, wrote, !wrote && self.carries(e));
        }
    }
}

/// What [`render`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// JSON Lines text, one record per written event, in event order.
    pub text: String,
    /// How many events were written as records of their own.
    pub written: usize,
    /// Ids of the events the shape cannot express.
    pub skipped: Vec<String>,
    /// Ids of the events not written on their own because another record carries them.
    pub carried: Vec<String>,
}

impl Rendered {
    /// Counts one event: written, carried by another record, or skipped.
    pub fn count(&mut self, event: &Event, written: bool, carried: bool) {
        if written {
            self.written += 1;
        } else if carried {
            self.carried.push(event.id.clone());
        } else {
            self.skipped.push(event.id.clone());
        }
    }
}

/// Reads vendor-shaped text back through `palisade-ingest`'s format detection, as `palisade scan`
/// would: the events, or every problem (bad record or truncation) as text. The end-to-end tests'
/// "logs in" step.
///
/// ```
/// use palisade_testkit::shapes::read_back;
/// assert!(read_back("empty.jsonl", "").unwrap().is_empty());
/// assert_eq!(read_back("bad.jsonl", "{nope\n").unwrap_err().len(), 1);
/// ```
pub fn read_back(name: &str, text: &str) -> Result<Vec<Event>, Vec<String>> {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    palisade_ingest::Ingest::new().read_from(
        name.as_ref(),
        text.as_bytes(),
        |e| events.push(e),
        |p| problems.push(p.to_string()),
    );
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(problems)
    }
}

/// Renders `events` in `shape` as JSON Lines.
pub fn render(shape: &dyn Shape, events: &[Event]) -> Rendered {
    let mut r = Rendered::default();
    shape.render_into(events, &mut r);
    r
}

/// The writer of a source's log shape; `None` for sources without one (CloudTrail, custom).
///
/// ```
/// use palisade_schema::Source;
/// assert_eq!(palisade_testkit::shapes::shape_for(Source::Duo).unwrap().name(), "duo");
/// assert!(palisade_testkit::shapes::shape_for(Source::CloudTrail).is_none());
/// ```
pub fn shape_for(source: Source) -> Option<Box<dyn Shape>> {
    Some(match source {
        Source::Okta => Box::new(Okta),
        Source::Entra => Box::new(Entra),
        Source::M365 => Box::new(M365),
        Source::GoogleWorkspace => Box::new(GoogleWorkspace),
        Source::Duo => Box::new(Duo),
        Source::Ocsf => Box::new(Ocsf),
        _ => return None,
    })
}

/// Every shape writer, with the source it renders.
///
/// ```
/// let names: Vec<&str> = palisade_testkit::shapes::all_shapes().iter().map(|(_, s)| s.name()).collect();
/// assert_eq!(names, ["okta", "entra", "m365", "gws", "duo", "ocsf"]);
/// ```
pub fn all_shapes() -> Vec<(Source, Box<dyn Shape>)> {
    [
        Source::Okta,
        Source::Entra,
        Source::M365,
        Source::GoogleWorkspace,
        Source::Duo,
        Source::Ocsf,
    ]
    .into_iter()
    .filter_map(|s| shape_for(s).map(|shape| (s, shape)))
    .collect()
}

/// Whether an activity belongs in the mail service's log (mailbox rules, forwarding, mail and
/// file access) rather than the identity provider's.
pub fn is_mail_activity(activity: &Activity) -> bool {
    matches!(
        activity,
        Activity::MailboxRule(_)
            | Activity::MailboxForwarding(_)
            | Activity::MailItemsAccessed(_)
            | Activity::FileAccess(_)
    )
}

/// A scenario rendered into a tenant's log files by [`export`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Export {
    /// `(file name, JSON Lines)`: `<shape>.jsonl`, the identity provider's first, then the mail
    /// service's (one file when both are the same source).
    pub files: Vec<(String, String)>,
    /// How many records were written.
    pub written: usize,
    /// Ids of the events carried by another record (see [`Rendered::carried`]).
    pub carried: Vec<String>,
    /// Ids of the events neither log can express, in event order.
    pub skipped: Vec<String>,
}

/// Renders `scenario` the way a tenant exports it: identity-provider events (sign-ins, prompts,
/// sessions, account changes) in `idp`'s shape, mailbox and file events in `mail`'s. Events
/// neither shape can express are listed in [`Export::skipped`]. Pass the scenario's own
/// `PopulationConfig::idp` and `mail` to get the files the generator had in mind.
///
/// ```
/// use palisade_schema::Source;
/// use palisade_testkit::{generate, AttackKind, PopulationConfig};
/// use palisade_testkit::shapes::export;
/// let cfg = PopulationConfig { users: 6, days: 4, ..PopulationConfig::small(3) };
/// let s = generate(&cfg, &[AttackKind::ForwardToExternal]);
/// let out = export(&s, Source::Okta, Source::M365);
/// assert_eq!(out.files[0].0, "okta.jsonl");
/// assert_eq!(out.files[1].0, "m365.jsonl");
/// assert!(out.files[1].1.contains("\"Operation\""));
/// assert_eq!(out.written + out.carried.len() + out.skipped.len(), s.events.len());
/// ```
pub fn export(scenario: &Scenario, idp: Source, mail: Source) -> Export {
    let mut parts: BTreeMap<u8, (Source, Vec<Event>)> = BTreeMap::new();
    parts.insert(0, (idp, Vec::new()));
    if mail != idp {
        parts.insert(1, (mail, Vec::new()));
    }
    for e in &scenario.events {
        let slot = if is_mail_activity(&e.activity) && mail != idp {
            1
        } else {
            0
        };
        if let Some((_, events)) = parts.get_mut(&slot) {
            events.push(e.clone());
        }
    }
    let mut out = Export::default();
    let mut skipped = Vec::new();
    for (source, events) in parts.into_values() {
        match shape_for(source) {
            Some(shape) => {
                let r = render(shape.as_ref(), &events);
                out.written += r.written;
                out.carried.extend(r.carried);
                skipped.extend(r.skipped);
                out.files.push((format!("{}.jsonl", shape.name()), r.text));
            }
            None => skipped.extend(events.iter().map(|e| e.id.clone())),
        }
    }
    // Report in the scenario's event order, whichever file an event was meant for.
    let order: BTreeMap<&str, usize> = scenario
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    skipped.sort_by_key(|id| order.get(id.as_str()).copied().unwrap_or(usize::MAX));
    out.skipped = skipped;
    out
}

/// The English country name vendors such as Okta and Duo write for an ISO 3166 alpha-2 code
/// (for the countries the population generator uses); `None` for other codes.
///
/// ```
/// assert_eq!(palisade_testkit::shapes::country_name("AU"), Some("Australia"));
/// ```
pub fn country_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "AU" => "Australia",
        "BR" => "Brazil",
        "CA" => "Canada",
        "DE" => "Germany",
        "FR" => "France",
        "GB" => "United Kingdom",
        "IN" => "India",
        "JP" => "Japan",
        "NG" => "Nigeria",
        "NL" => "Netherlands",
        "NZ" => "New Zealand",
        "SG" => "Singapore",
        "US" => "United States",
        _ => return None,
    })
}

/// A country as a vendor that writes names would: the name when known, else as given.
pub(crate) fn country_text(code: &str) -> &str {
    country_name(code).unwrap_or(code)
}

/// A vendor risk level as Entra writes it (`none` when there is none); Okta upper-cases it.
pub(crate) fn risk_level_text(level: Option<RiskLevel>) -> &'static str {
    match level {
        Some(RiskLevel::Low) => "low",
        Some(RiskLevel::Medium) => "medium",
        Some(RiskLevel::High) => "high",
        _ => "none",
    }
}

/// The sessions that go on to an MFA step: where a vendor that logs whole sign-ins (Entra,
/// Google) writes the password stage differently.
pub(crate) fn challenged_sessions(events: &[Event]) -> BTreeSet<&str> {
    events
        .iter()
        .filter(|e| matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Mfa))
        .filter_map(|e| e.origin.session_id.as_deref())
        .collect()
}

/// Appends `v` and a newline.
pub(crate) fn push_line(out: &mut String, v: &Value) -> bool {
    match serde_json::to_string(v) {
        Ok(s) => {
            out.push_str(&s);
            out.push('\n');
            true
        }
        Err(_) => false,
    }
}

/// A GUID-shaped id that is a pure function of `parts` (vendors' object ids we have no value
/// for: tenant, user and application ids, correlation GUIDs).
pub(crate) fn guid(parts: &[&str]) -> String {
    let a = stable_hash(parts);
    let b = stable_hash(&[&format!("{a:016x}"), "guid"]);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// A token of `len` characters from `alphabet`, a pure function of `parts`.
pub(crate) fn token(parts: &[&str], alphabet: &[u8], len: usize) -> String {
    let mut h = stable_hash(parts);
    let mut s = String::with_capacity(len);
    for i in 0..len {
        if i % 8 == 0 && i > 0 {
            h = stable_hash(&[&format!("{h:016x}")]);
        }
        let n = alphabet.len().max(1) as u64;
        s.push(char::from(alphabet[(h % n) as usize]));
        h /= n;
    }
    s
}

pub(crate) const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The login a record names: the actor's.
pub(crate) fn login(e: &Event) -> Option<&str> {
    e.actor
        .as_ref()
        .map(|a| a.key.as_str())
        .filter(|k| !k.is_empty())
}

/// The account an event is about, when it is not the actor.
pub(crate) fn other_subject(e: &Event) -> Option<&Identity> {
    let s = e.subject.as_ref()?;
    match &e.actor {
        Some(a) if a.key == s.key => None,
        _ => Some(s),
    }
}

/// The organisation name a tenant domain starts with (`contoso` of `contoso.com.au`).
pub(crate) fn org_name(e: &Event) -> String {
    let domain = e
        .tenant
        .as_deref()
        .or_else(|| e.actor.as_ref().and_then(|a| a.key.domain()))
        .unwrap_or("contoso.com");
    domain.split('.').next().unwrap_or("contoso").to_owned()
}

/// `2024-03-04T09:15:02` (UTC, no offset, whole seconds), as Microsoft 365 writes times.
pub(crate) fn seconds_utc(t: Timestamp) -> String {
    let s = t.to_string();
    s.get(..19).unwrap_or(&s).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_stable_and_distinct() {
        assert_eq!(guid(&["a"]), guid(&["a"]));
        assert_ne!(guid(&["a"]), guid(&["b"]));
        assert_eq!(guid(&["a"]).len(), 36);
        assert_eq!(token(&["x"], BASE62, 20).len(), 20);
    }
}
