//! The `mailbox_rules` detector: inbox rule and forwarding changes judged one by one, raised when
//! a risky sign-in of the same identity came shortly before.

use std::collections::BTreeMap;

use palisade_core::{
    Context, Detector, Error, Finding, FindingRef, FindingStatus, Severity, Technique,
};
use palisade_schema::{Activity, Duration, Event, IdentityKey, RuleChange, Timestamp};
use serde::{Deserialize, Serialize};

use crate::assess::{judge_forwarding, judge_rule, severity_of, Judgement, Keywords, Lens};
use crate::domains::{address_domain, OrgDomains, Tally};
use crate::{HidingFolders, MailboxRulesConfig};

/// The detector's stable name, used in findings and policy files.
pub const DETECTOR_NAME: &str = "mailbox_rules";

/// Snapshot format version.
const SNAPSHOT_VERSION: u32 = 1;

/// Detects inbox rules that hide mail (T1564.008) and rules or mailbox settings that forward mail
/// outside the organisation (T1114.003), in Microsoft 365 and Google Workspace alike.
///
/// Each rule change is judged on its own (name, actions, conditions; see the crate documentation
/// for the points), and its severity rises one step when the same identity had a risky sign-in
/// finding shortly before. One finding per rule change, closed at once: a rule does not grow.
///
/// ```
/// use palisade_core::{Context, Detector, Severity, Technique};
/// use palisade_mailbox::{MailboxRules, MailboxRulesConfig};
/// use palisade_schema::*;
///
/// let cfg = MailboxRulesConfig { org_domains: vec!["contoso.com".into()], ..Default::default() };
/// let mut detector = MailboxRules::new(cfg).unwrap();
/// let rule = MailboxRule {
///     name: Some(".".into()),
///     conditions: RuleConditions { from: vec!["bob@contoso.com".into()], ..Default::default() },
///     actions: vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())],
///     ..Default::default()
/// };
/// let event = Event::new(
///     Timestamp::parse_rfc3339("2024-03-04T10:00:00Z").unwrap(),
///     "rule-1",
///     Source::M365,
///     Activity::MailboxRule(rule),
/// )
/// .with_actor(Identity::new("alice@contoso.com"));
/// let mut out = Vec::new();
/// detector.observe(&event, &Context::empty(), &mut out);
/// assert_eq!(out[0].severity, Severity::High);
/// assert_eq!(out[0].technique, Technique::EmailHidingRules);
/// assert!(out[0]
///     .summary
///     .starts_with("rule '.' marks mail from bob@contoso.com as read and moves it to RSS Feeds"));
/// ```
#[derive(Clone, Debug)]
pub struct MailboxRules {
    config: MailboxRulesConfig,
    folders: HidingFolders,
    filing: HidingFolders,
    keywords: Keywords,
    domains: OrgDomains,
    lookback: Duration,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    domains: BTreeMap<String, Tally>,
    ignored: u64,
}

impl MailboxRules {
    /// A detector with `config`, checked by [`MailboxRulesConfig::validate`].
    pub fn new(config: MailboxRulesConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(MailboxRules::build(config))
    }

    fn build(config: MailboxRulesConfig) -> Self {
        MailboxRules {
            folders: HidingFolders::new(&config.hiding_folders),
            filing: HidingFolders::new(&config.filing_folders),
            keywords: Keywords::new(&config.keywords),
            domains: OrgDomains::new(
                &config.org_domains,
                &config.public_mail_domains,
                config.learn_domains,
                config.learn_min_identities,
                config.max_learned_domains,
            ),
            lookback: Duration::from_mins(i64::from(config.risky_sign_in_lookback_minutes)),
            config,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MailboxRulesConfig {
        &self.config
    }

    /// The domains learned so far from the identities seen, sorted (configured ones not included).
    ///
    /// ```
    /// use palisade_core::{Context, Detector};
    /// use palisade_mailbox::MailboxRules;
    /// use palisade_schema::*;
    /// let mut d = MailboxRules::default();
    /// for (i, who) in ["a@contoso.com", "b@contoso.com"].into_iter().enumerate() {
    ///     let e = Event::new(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap(), i.to_string(),
    ///         Source::Entra, Activity::SessionStart).with_actor(Identity::new(who));
    ///     d.observe(&e, &Context::empty(), &mut Vec::new());
    /// }
    /// assert_eq!(d.learned_domains(), ["contoso.com"]);
    /// ```
    pub fn learned_domains(&self) -> Vec<String> {
        self.domains.learned().map(str::to_owned).collect()
    }

    /// How many domains were not tracked because the learned-domain table was full.
    pub fn domains_ignored(&self) -> u64 {
        self.domains.ignored
    }

    /// The most recent risky sign-in finding within the lookback before `t`, if any.
    fn risky_sign_in<'r>(&self, recent: &'r [FindingRef], t: Timestamp) -> Option<&'r FindingRef> {
        let earliest = t - self.lookback;
        recent
            .iter()
            .filter(|f| f.detector != DETECTOR_NAME && f.first_seen <= t && f.last_seen >= earliest)
            .filter(|f| {
                let named = self
                    .config
                    .risky_sign_in_detectors
                    .iter()
                    .any(|d| *d == f.detector);
                let technique = matches!(
                    f.technique,
                    Technique::ValidCloudAccounts | Technique::MfaRequestGeneration
                );
                let floor = self.config.risky_sign_in_min_severity;
                (named && f.severity >= floor)
                    || (technique && f.severity >= floor.max(Severity::Medium))
            })
            // Latest first; ties broken by severity then id so the choice never depends on order.
            .max_by(|a, b| {
                (a.last_seen, a.severity, b.id.as_str()).cmp(&(
                    b.last_seen,
                    b.severity,
                    a.id.as_str(),
                ))
            })
    }

    fn emit(
        &self,
        event: &Event,
        ctx: &Context<'_>,
        actor: Option<&IdentityKey>,
        j: Judgement,
        out: &mut Vec<Finding>,
    ) {
        let mut severity = severity_of(j.score);
        let mut reasons = j.reasons;
        let risky = self.risky_sign_in(ctx.recent, event.time);
        if let Some(f) = risky {
            severity = severity.bump();
            let minutes = event.time.since(f.last_seen).as_millis().max(0) / 60_000;
            reasons.push(format!(
                "{minutes} minutes after a risky sign-in ({}, {})",
                f.detector, f.severity
            ));
        }
        if severity < self.config.min_severity || severity == Severity::Info {
            return;
        }
        if let Some(actor) = actor.filter(|a| **a != IdentityKey::new(&j.owner)) {
            reasons.push(if j.names_owner {
                format!("set by {actor}")
            } else {
                format!("in {}'s mailbox, set by {actor}", j.owner)
            });
        }
        let summary = if reasons.is_empty() {
            j.sentence
        } else {
            format!("{} ({})", j.sentence, reasons.join("; "))
        };
        let confidence =
            0.5 + 0.05 * j.score.min(9) as f32 + if risky.is_some() { 0.05 } else { 0.0 };
        let mut f = Finding::new(
            DETECTOR_NAME,
            event.identity().cloned(),
            &event.id,
            event.time,
        )
        .with_severity(severity)
        .with_technique(j.technique)
        .with_confidence(confidence)
        .with_summary(summary);
        // A rule change is one event: nothing can make this finding grow.
        f.status = FindingStatus::Closed;
        for m in &j.mailboxes {
            f.entities.add_mailbox(m);
        }
        f.entities.add_origin_of(event);
        out.push(f);
    }
}

impl Default for MailboxRules {
    /// The detector with [`MailboxRulesConfig::default`].
    fn default() -> Self {
        MailboxRules::build(MailboxRulesConfig::default())
    }
}

impl Detector for MailboxRules {
    fn name(&self) -> &'static str {
        DETECTOR_NAME
    }

    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for who in event.actor.iter().chain(event.subject.iter()) {
            self.domains.observe(who.key.as_str());
        }
        let owner_of = |mailbox: Option<&String>| -> Option<String> {
            mailbox
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .or_else(|| event.identity().map(|k| k.as_str().to_owned()))
        };
        // Exchange may name the mailbox by display name; then the identity's domain stands in.
        let domain_of = |owner: &str| {
            address_domain(owner)
                .or_else(|| event.identity().and_then(|k| address_domain(k.as_str())))
        };
        let lens = Lens {
            org: &self.domains,
            folders: &self.folders,
            filing: &self.filing,
            keywords: &self.keywords,
        };
        let judgement = match &event.activity {
            // Removing a rule hides nothing; it is the attacker's clean-up at worst.
            Activity::MailboxRule(rule) if rule.change != RuleChange::Delete => {
                owner_of(rule.mailbox.as_ref())
                    .map(|owner| judge_rule(rule, &owner, domain_of(&owner).as_deref(), &lens))
            }
            Activity::MailboxForwarding(fwd) => owner_of(fwd.mailbox.as_ref()).and_then(|owner| {
                judge_forwarding(fwd, &owner, domain_of(&owner).as_deref(), &lens)
            }),
            _ => None,
        };
        if let Some(j) = judgement {
            let actor = event.actor.as_ref().map(|a| &a.key);
            self.emit(event, ctx, actor, j, out);
        }
    }

    fn forget(&mut self, identity: &IdentityKey) {
        self.domains.forget(identity.as_str());
    }

    fn state_bytes(&self) -> usize {
        self.domains.state_bytes()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let s = Snapshot {
            version: SNAPSHOT_VERSION,
            domains: self.domains.tallies.clone(),
            ignored: self.domains.ignored,
        };
        serde_json::to_vec(&s).map_err(|e| Error::Snapshot {
            component: DETECTOR_NAME.into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.is_empty() {
            // The default snapshot of a detector that held nothing.
            self.domains
                .restore(BTreeMap::new(), 0)
                .map_err(Error::CorruptSnapshot)?;
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptSnapshot(format!("{DETECTOR_NAME}: {e}")))?;
        if v.version != SNAPSHOT_VERSION {
            return Err(Error::SnapshotVersion {
                found: v.version,
                expected: SNAPSHOT_VERSION,
            });
        }
        let s: Snapshot = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptSnapshot(format!("{DETECTOR_NAME}: {e}")))?;
        self.domains
            .restore(s.domains, s.ignored)
            .map_err(|e| Error::CorruptSnapshot(format!("{DETECTOR_NAME}: {e}")))
    }
}
