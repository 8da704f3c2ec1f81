//! Generated tenant populations in vendor format: benign users (ordinary inbox rules among them)
//! and attacked users (the reference "." rule, forwarding to an external address) in one
//! population, one detector configuration, 24 seeds.
//!
//! Each scenario is written out as vendor records and read back through palisade-ingest: sign-ins
//! and MFA as OCSF Authentication (the testkit's writer, the OCSF adapter), inbox rules and
//! mailbox forwarding as Microsoft 365 unified audit records (`New-InboxRule`, `Set-Mailbox`,
//! written here in the shape of the real record in `../shared/data`, the M365 adapter). A small
//! stand-in sign-in detector ("unfamiliar_signin": a successful sign-in from a country the
//! identity never used before) supplies the context findings a real pipeline would, so the
//! severity rise after a risky sign-in is exercised too.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::{Context, Detector, Finding, FindingRef, Severity, Technique};
use palisade_ingest::m365::M365;
use palisade_ingest::ocsf::Ocsf as OcsfAdapter;
use palisade_ingest::{Adapter, Notes, Parsed};
use palisade_mailbox::{MailboxRules, MailboxRulesConfig, DETECTOR_NAME};
use palisade_schema::{
    Activity, Event, IdentityKey, MailboxRule, RuleAction, SignInStage, Timestamp,
};
use palisade_testkit::population::sort_events;
use palisade_testkit::shapes::{render, Ocsf};
use palisade_testkit::{generate, Archetype, AttackKind, PopulationConfig, Scenario, Score};
use serde_json::{json, Value};

/// `CreationTime` as the unified audit log writes it: UTC, no offset, whole seconds.
fn creation_time(t: Timestamp) -> String {
    t.to_string().get(..19).unwrap().to_owned()
}

fn parameter(name: &str, value: &str) -> Value {
    json!({ "Name": name, "Value": value })
}

/// The `Parameters` of the `New-InboxRule` call that makes `rule`.
fn rule_parameters(rule: &MailboxRule) -> Vec<Value> {
    let mut p = Vec::new();
    if let Some(name) = &rule.name {
        p.push(parameter("Name", name));
    }
    let c = &rule.conditions;
    for (name, list) in [
        ("From", &c.from),
        ("SubjectContainsWords", &c.subject_contains),
        ("SubjectOrBodyContainsWords", &c.body_contains),
        ("SentTo", &c.sent_to),
    ] {
        if !list.is_empty() {
            p.push(parameter(name, &list.join(";")));
        }
    }
    let mut forwards: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for a in &rule.actions {
        match a {
            RuleAction::MoveToFolder(f) => p.push(parameter("MoveToFolder", f)),
            RuleAction::CopyToFolder(f) => p.push(parameter("CopyToFolder", f)),
            RuleAction::MarkAsRead => p.push(parameter("MarkAsRead", "True")),
            RuleAction::Delete => p.push(parameter("DeleteMessage", "True")),
            RuleAction::StopProcessingRules => p.push(parameter("StopProcessingRules", "True")),
            RuleAction::ForwardTo(t) => forwards.entry("ForwardTo").or_default().push(t),
            RuleAction::ForwardAsAttachmentTo(t) => {
                forwards.entry("ForwardAsAttachmentTo").or_default().push(t)
            }
            RuleAction::RedirectTo(t) => forwards.entry("RedirectTo").or_default().push(t),
            other => panic!("the generator made an action this writer lacks: {other:?}"),
        }
    }
    for (name, targets) in forwards {
        p.push(parameter(name, &targets.join(";")));
    }
    p
}

/// A mailbox event as the Exchange admin audit record that reports it.
fn m365_record(e: &Event) -> Option<String> {
    let who = e.actor.as_ref().unwrap().key.as_str();
    let (operation, object, parameters) = match &e.activity {
        Activity::MailboxRule(rule) => (
            "New-InboxRule",
            format!("{who}\\{}", rule.name.as_deref().unwrap_or("")),
            rule_parameters(rule),
        ),
        Activity::MailboxForwarding(f) => {
            let mut p = vec![parameter("Identity", who)];
            if let Some(to) = &f.forward_to {
                p.push(parameter("ForwardingSmtpAddress", &format!("smtp:{to}")));
            }
            if let Some(keep) = f.keep_copy {
                p.push(parameter(
                    "DeliverToMailboxAndForward",
                    if keep { "True" } else { "False" },
                ));
            }
            ("Set-Mailbox", who.to_owned(), p)
        }
        _ => return None,
    };
    let record = json!({
        "CreationTime": creation_time(e.time),
        "Id": e.id,
        "Operation": operation,
        "OrganizationId": "4f6b1c2e-8d3a-4b5f-9e7c-2a1d0c3b4e5f",
        "RecordType": 1,
        "ResultStatus": "True",
        "UserKey": format!("NT AUTHORITY\\SYSTEM ({who})"),
        "UserType": 2,
        "Version": 1,
        "Workload": "Exchange",
        "ClientIP": e.origin.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        "ObjectId": object,
        "UserId": who,
        "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "",
        "ExternalAccess": false,
        "OrganizationName": "contoso.onmicrosoft.com",
        "OriginatingServer": "SY4PR01MB6540 (15.20.7409.000)",
        "Parameters": parameters,
        "SessionId": e.origin.session_id.clone().unwrap_or_default(),
    });
    Some(record.to_string())
}

fn parse_lines(adapter: &dyn Adapter, text: &str, out: &mut Vec<Event>) {
    for (n, line) in text.lines().enumerate() {
        let parsed = adapter.parse(line.as_bytes(), out, &mut Notes::default());
        assert!(
            matches!(parsed, Ok(Parsed::Events)),
            "line {n}: {parsed:?}\n{line}"
        );
    }
}

/// The scenario written as vendor records and read back.
fn through_vendor_formats(s: &Scenario) -> (Vec<Event>, usize) {
    let mut events = Vec::new();
    let auth = render(&Ocsf, &s.events);
    parse_lines(&OcsfAdapter, &auth.text, &mut events);
    let mut mail = String::new();
    let mut mailbox_events = 0;
    for e in &s.events {
        if let Some(r) = m365_record(e) {
            mail.push_str(&r);
            mail.push('\n');
            mailbox_events += 1;
        }
    }
    parse_lines(&M365, &mail, &mut events);
    sort_events(&mut events);
    (events, mailbox_events)
}

/// Stand-in for the sign-in detectors: a successful sign-in from a country the identity has not
/// signed in from before, once it has a history of five visits (a visit's single sign-ons into
/// more apps are not visits of their own), unless half the tenant signs in from that country
/// (a VPN user's first sign-in from home without the VPN).
#[derive(Default)]
struct NewCountry {
    seen: BTreeMap<IdentityKey, (u32, BTreeSet<String>)>,
    tenant: BTreeMap<String, BTreeSet<IdentityKey>>,
}

impl Detector for NewCountry {
    fn name(&self) -> &'static str {
        "unfamiliar_signin"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(who), Some(country)) = (e.identity(), e.origin.country.as_ref()) else {
            return;
        };
        let sso = matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Sso);
        if !e.activity.is_successful_sign_in() || sso {
            return;
        }
        let identities = self.seen.len().max(1);
        let common = self
            .tenant
            .get(country)
            .is_some_and(|users| users.len() * 2 >= identities);
        self.tenant
            .entry(country.clone())
            .or_default()
            .insert(who.clone());
        let (count, countries) = self.seen.entry(who.clone()).or_default();
        if *count >= 5 && !countries.contains(country) && !common {
            out.push(
                Finding::new("unfamiliar_signin", Some(who.clone()), &e.id, e.time)
                    .with_severity(Severity::Medium)
                    .with_technique(Technique::ValidCloudAccounts),
            );
        }
        *count += 1;
        countries.insert(country.clone());
    }
}

/// Runs the stand-in and the mailbox detector the way the pipeline does: each identity's recent
/// findings (from both) in the context. Returns the mailbox detector's findings.
fn run(events: &[Event], mailbox: &mut MailboxRules) -> Vec<Finding> {
    let mut signin = NewCountry::default();
    let mut recent: BTreeMap<IdentityKey, Vec<FindingRef>> = BTreeMap::new();
    let mut found = Vec::new();
    for e in events {
        let mut out = Vec::new();
        {
            let refs = e
                .identity()
                .and_then(|k| recent.get(k))
                .map_or(&[][..], Vec::as_slice);
            let ctx = Context {
                recent: refs,
                ..Context::empty()
            };
            signin.observe(e, &ctx, &mut out);
            mailbox.observe(e, &ctx, &mut out);
        }
        for f in out {
            if let Some(k) = &f.identity {
                recent.entry(k.clone()).or_default().push(f.as_ref());
            }
            if f.detector == DETECTOR_NAME {
                found.push(f);
            }
        }
    }
    found
}

#[test]
fn attacks_are_caught_and_ordinary_rules_stay_below_medium_across_seeds() {
    // One configuration for every seed: the defaults, with domains learned from the identities.
    let config = MailboxRulesConfig::default();
    let attacks = [
        AttackKind::ReferenceCase,
        AttackKind::ForwardToExternal,
        AttackKind::ForwardToExternal,
        AttackKind::PushBombing,
    ];
    let (mut benign_rules, mut critical, mut stories) = (0, 0, 0);
    let seeds = palisade_testkit::seeds(1..25);
    for seed in seeds.clone() {
        let population = PopulationConfig {
            inbox_rules_share: 0.2,
            ..PopulationConfig::small(seed)
        };
        let scenario = generate(&population, &attacks);
        let (events, mailbox_events) = through_vendor_formats(&scenario);
        assert!(
            mailbox_events >= 3,
            "seed {seed}: too few mailbox events to mean anything"
        );

        let mut detector = MailboxRules::new(config.clone()).unwrap();
        let found = run(&events, &mut detector);
        assert_eq!(
            detector.learned_domains(),
            [population.domain.as_str()],
            "seed {seed}"
        );

        // Every story found at high or above; nothing about anyone else at medium or above.
        let kinds = [AttackKind::ReferenceCase, AttackKind::ForwardToExternal];
        let score = Score::of(&scenario, &kinds, &found, Severity::High);
        score.assert_perfect(Severity::Medium);

        for label in scenario.labels.iter().filter(|l| kinds.contains(&l.kind)) {
            stories += 1;
            let f = found
                .iter()
                .find(|f| f.identity.as_ref() == Some(&label.primary))
                .unwrap_or_else(|| panic!("seed {seed}: no finding for {}", label.summary));
            assert!(
                label.evidence.contains(&f.evidence.event_ids[0]),
                "seed {seed}"
            );
            critical += usize::from(f.severity == Severity::Critical);
            match label.kind {
                AttackKind::ReferenceCase => {
                    assert_eq!(f.technique, Technique::EmailHidingRules);
                    let folder = if f.summary.contains("RSS Feeds") {
                        "RSS Feeds"
                    } else {
                        "Archive"
                    };
                    let Activity::MailboxRule(rule) = &events
                        .iter()
                        .find(|e| e.id == f.evidence.event_ids[0])
                        .unwrap()
                        .activity
                    else {
                        panic!("seed {seed}: the evidence is not a rule")
                    };
                    let colleague = &rule.conditions.from[0];
                    assert!(
                        f.summary.starts_with(&format!(
                            "rule '.' marks mail from {colleague} as read and moves it to {folder} ("
                        )),
                        "seed {seed}: {}",
                        f.summary
                    );
                }
                _ => {
                    assert_eq!(f.technique, Technique::EmailForwardingRule, "seed {seed}");
                    let external = f
                        .entities
                        .mailboxes
                        .iter()
                        .find(|m| !m.ends_with(&population.domain))
                        .unwrap_or_else(|| panic!("seed {seed}: no external mailbox entity"));
                    assert!(
                        f.summary.contains(external.as_str()),
                        "seed {seed}: {}",
                        f.summary
                    );
                    assert!(
                        f.summary.contains("outside the organisation"),
                        "{}",
                        f.summary
                    );
                }
            }
            // Each attack came within the hour after a sign-in from a new country.
            assert!(
                f.summary
                    .contains("after a risky sign-in (unfamiliar_signin"),
                "seed {seed}: {}",
                f.summary
            );
        }

        // The benign rule writers were exercised: their rules were judged and stayed quiet.
        for p in scenario.benign(Archetype::InboxRules) {
            let theirs = events
                .iter()
                .filter(|e| e.identity() == Some(&p.identity))
                .filter(|e| matches!(e.activity, Activity::MailboxRule(_)))
                .count();
            benign_rules += theirs;
            assert!(
                !found
                    .iter()
                    .any(|f| f.identity.as_ref() == Some(&p.identity)
                        && f.severity >= Severity::Medium),
                "seed {seed}: benign rules of {} judged medium or above",
                p.identity
            );
        }
    }
    let n = seeds.count();
    assert!(
        benign_rules >= 2 * n,
        "only {benign_rules} benign rules over {n} seeds"
    );
    assert_eq!(stories, n * 3);
    // Every story followed a risky sign-in, so every one was raised to critical.
    assert_eq!(critical, stories);
}

#[test]
fn without_sign_in_context_the_rules_alone_are_high() {
    let scenario = generate(
        &PopulationConfig::small(5),
        &[AttackKind::ReferenceCase, AttackKind::ForwardToExternal],
    );
    let (events, _) = through_vendor_formats(&scenario);
    let mut detector = MailboxRules::default();
    let mut found = Vec::new();
    for e in &events {
        detector.observe(e, &Context::empty(), &mut found);
    }
    for label in &scenario.labels {
        let f = found
            .iter()
            .find(|f| f.identity.as_ref() == Some(&label.primary))
            .unwrap();
        assert!(f.severity >= Severity::High, "{}", f.summary);
        assert!(!f.summary.contains("risky sign-in"));
    }
}
