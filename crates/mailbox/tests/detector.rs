//! The `mailbox_rules` detector through its public API: severities, the risky sign-in window,
//! summaries, entities, ids, snapshots and forgetting.

#![allow(clippy::unwrap_used)]

use palisade_core::{
    Context, Detector, Error, Finding, FindingId, FindingRef, FindingStatus, Severity, Technique,
};
use palisade_mailbox::{MailboxRules, MailboxRulesConfig, DETECTOR_NAME};
use palisade_schema::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn contoso() -> MailboxRules {
    MailboxRules::new(MailboxRulesConfig {
        org_domains: vec!["contoso.com".into()],
        ..MailboxRulesConfig::default()
    })
    .unwrap()
}

fn rule_event(id: &str, at: &str, who: &str, rule: MailboxRule) -> Event {
    Event::new(t(at), id, Source::M365, Activity::MailboxRule(rule))
        .with_actor(Identity::new(who))
        .with_origin(Origin {
            ip: Some("203.0.113.7".parse().unwrap()),
            country: Some("NG".into()),
            ..Origin::default()
        })
}

fn reference_rule() -> MailboxRule {
    MailboxRule {
        name: Some(".".into()),
        conditions: RuleConditions {
            from: vec!["bob@contoso.com".into()],
            ..Default::default()
        },
        actions: vec![
            RuleAction::MarkAsRead,
            RuleAction::MoveToFolder("RSS Feeds".into()),
        ],
        ..MailboxRule::default()
    }
}

fn signin_ref(detector: &'static str, sev: Severity, tech: Technique, at: &str) -> FindingRef {
    FindingRef {
        id: FindingId::derive(&[detector, "alice@contoso.com", at]),
        detector: detector.into(),
        severity: sev,
        technique: tech,
        first_seen: t(at),
        last_seen: t(at),
    }
}

fn observe(d: &mut MailboxRules, e: &Event, recent: &[FindingRef]) -> Vec<Finding> {
    let ctx = Context {
        recent,
        ..Context::empty()
    };
    let mut out = Vec::new();
    d.observe(e, &ctx, &mut out);
    out
}

#[test]
fn reference_rule_is_high_with_exact_summary_entities_and_id() {
    let mut d = contoso();
    let e = rule_event(
        "evt-1",
        "2024-03-04T10:00:00Z",
        "Alice@Contoso.com",
        reference_rule(),
    );
    let out = observe(&mut d, &e, &[]);
    assert_eq!(out.len(), 1);
    let f = &out[0];
    assert_eq!(f.detector, DETECTOR_NAME);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.technique, Technique::EmailHidingRules);
    assert_eq!(f.status, FindingStatus::Closed);
    assert_eq!(f.identity.as_ref().unwrap().as_str(), "alice@contoso.com");
    assert_eq!(
        f.id,
        FindingId::derive(&[DETECTOR_NAME, "alice@contoso.com", "evt-1"])
    );
    assert_eq!(f.evidence.event_ids, ["evt-1"]);
    assert_eq!((f.first_seen, f.last_seen), (e.time, e.time));
    assert!(
        f.summary.starts_with(
            "rule '.' marks mail from bob@contoso.com as read and moves it to RSS Feeds ("
        ),
        "{}",
        f.summary
    );
    assert!(
        f.summary.contains("a name of punctuation only"),
        "{}",
        f.summary
    );
    assert_eq!(f.entities.mailboxes, ["alice@contoso.com"]);
    assert_eq!(
        f.entities.ips,
        ["203.0.113.7".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(f.entities.countries, ["NG"]);
}

#[test]
fn look_alike_names_are_judged_like_the_plain_dot() {
    for name in [
        "\u{2024}",
        "\u{3002}",
        "\u{FF0E}",
        ".\u{200B}",
        "\u{A0}.\u{A0}",
        "\u{FE52}",
    ] {
        let mut d = contoso();
        let rule = MailboxRule {
            name: Some(name.into()),
            ..reference_rule()
        };
        let out = observe(
            &mut d,
            &rule_event("e", "2024-03-04T10:00:00Z", "alice@contoso.com", rule),
            &[],
        );
        assert_eq!(out[0].severity, Severity::High, "{name:?}");
    }
    // Without the hiding name the same rule is only medium.
    let mut d = contoso();
    let rule = MailboxRule {
        name: Some("From Bob".into()),
        ..reference_rule()
    };
    let out = observe(
        &mut d,
        &rule_event("e", "2024-03-04T10:00:00Z", "alice@contoso.com", rule),
        &[],
    );
    assert_eq!(out[0].severity, Severity::Medium);
}

#[test]
fn invisible_names_are_spelled_out_in_the_summary() {
    let mut d = contoso();
    let rule = MailboxRule {
        name: Some("\u{200B}".into()),
        ..reference_rule()
    };
    let out = observe(
        &mut d,
        &rule_event("e", "2024-03-04T10:00:00Z", "alice@contoso.com", rule),
        &[],
    );
    assert!(
        out[0].summary.starts_with("rule '\\u{200b}' marks mail"),
        "{}",
        out[0].summary
    );
}

#[test]
fn a_risky_sign_in_inside_the_lookback_raises_severity_one_step() {
    let e = rule_event(
        "evt-1",
        "2024-03-04T10:20:00Z",
        "alice@contoso.com",
        reference_rule(),
    );
    let cases = [
        // (finding, expected severity)
        (
            signin_ref(
                "unfamiliar_signin",
                Severity::Medium,
                Technique::ValidCloudAccounts,
                "2024-03-04T10:00:00Z",
            ),
            Severity::Critical,
        ),
        (
            signin_ref(
                "impossible_travel",
                Severity::High,
                Technique::ValidCloudAccounts,
                "2024-03-04T06:30:00Z",
            ),
            Severity::Critical,
        ),
        (
            signin_ref(
                "someone_elses",
                Severity::Medium,
                Technique::MfaRequestGeneration,
                "2024-03-04T10:00:00Z",
            ),
            Severity::Critical,
        ),
        // What the sign-in detectors themselves judged low (a VPN hop, a profile still
        // learning), too old (lookback 4 h), an unknown detector below medium, later than the
        // rule, or our own.
        (
            signin_ref(
                "impossible_travel",
                Severity::Low,
                Technique::ValidCloudAccounts,
                "2024-03-04T10:00:00Z",
            ),
            Severity::High,
        ),
        (
            signin_ref(
                "unfamiliar_signin",
                Severity::High,
                Technique::ValidCloudAccounts,
                "2024-03-04T06:00:00Z",
            ),
            Severity::High,
        ),
        (
            signin_ref(
                "someone_elses",
                Severity::Low,
                Technique::ValidCloudAccounts,
                "2024-03-04T10:00:00Z",
            ),
            Severity::High,
        ),
        (
            signin_ref(
                "unfamiliar_signin",
                Severity::High,
                Technique::ValidCloudAccounts,
                "2024-03-04T10:30:00Z",
            ),
            Severity::High,
        ),
        (
            signin_ref(
                DETECTOR_NAME,
                Severity::High,
                Technique::ValidCloudAccounts,
                "2024-03-04T10:00:00Z",
            ),
            Severity::High,
        ),
        (
            signin_ref(
                "data_exfil",
                Severity::High,
                Technique::DataFromCloudStorage,
                "2024-03-04T10:00:00Z",
            ),
            Severity::High,
        ),
    ];
    for (signin, expected) in cases {
        let mut d = contoso();
        let out = observe(&mut d, &e, std::slice::from_ref(&signin));
        assert_eq!(out[0].severity, expected, "{signin:?}");
        let mentions = out[0].summary.contains("after a risky sign-in");
        assert_eq!(
            mentions,
            expected == Severity::Critical,
            "{}",
            out[0].summary
        );
    }
    let mut d = contoso();
    let s = signin_ref(
        "unfamiliar_signin",
        Severity::Medium,
        Technique::ValidCloudAccounts,
        "2024-03-04T10:00:00Z",
    );
    let out = observe(&mut d, &e, &[s]);
    assert!(out[0]
        .summary
        .ends_with("20 minutes after a risky sign-in (unfamiliar_signin, medium))"));
}

#[test]
fn the_least_severity_of_a_risky_sign_in_is_a_setting() {
    let e = rule_event(
        "evt-1",
        "2024-03-04T10:20:00Z",
        "alice@contoso.com",
        reference_rule(),
    );
    let low = signin_ref(
        "impossible_travel",
        Severity::Low,
        Technique::ValidCloudAccounts,
        "2024-03-04T10:00:00Z",
    );
    let high = signin_ref(
        "impossible_travel",
        Severity::High,
        Technique::ValidCloudAccounts,
        "2024-03-04T10:00:00Z",
    );
    for (floor, signin, expected) in [
        (Severity::Low, &low, Severity::Critical),
        (Severity::Medium, &low, Severity::High),
        (Severity::Critical, &high, Severity::High),
    ] {
        let mut d = MailboxRules::new(MailboxRulesConfig {
            org_domains: vec!["contoso.com".into()],
            risky_sign_in_min_severity: floor,
            ..MailboxRulesConfig::default()
        })
        .unwrap();
        let out = observe(&mut d, &e, std::slice::from_ref(signin));
        assert_eq!(out[0].severity, expected, "floor {floor}, {signin:?}");
    }
}

#[test]
fn an_ordinary_rule_after_a_risky_sign_in_becomes_low() {
    let newsletter = MailboxRule {
        name: Some("Newsletters".into()),
        conditions: RuleConditions {
            from: vec!["news@shop.example".into()],
            ..Default::default()
        },
        actions: vec![RuleAction::MoveToFolder("Newsletters".into())],
        ..MailboxRule::default()
    };
    let e = rule_event(
        "evt-1",
        "2024-03-04T10:20:00Z",
        "alice@contoso.com",
        newsletter,
    );
    let mut d = contoso();
    assert!(observe(&mut d, &e, &[]).is_empty());
    let s = signin_ref(
        "mfa_fatigue",
        Severity::High,
        Technique::MfaRequestGeneration,
        "2024-03-04T10:10:00Z",
    );
    let out = observe(&mut d, &e, &[s]);
    assert_eq!(out[0].severity, Severity::Low);
}

#[test]
fn min_severity_filters_and_removals_are_ignored() {
    let ticketing = MailboxRule {
        name: Some("Tickets".into()),
        conditions: RuleConditions {
            from: vec!["servicedesk@contoso.com".into()],
            ..Default::default()
        },
        actions: vec![RuleAction::MarkAsRead],
        ..MailboxRule::default()
    };
    let e = rule_event(
        "evt-1",
        "2024-03-04T10:20:00Z",
        "alice@contoso.com",
        ticketing,
    );
    let out = observe(&mut contoso(), &e, &[]);
    assert_eq!(out[0].severity, Severity::Low);
    let mut strict = MailboxRules::new(MailboxRulesConfig {
        org_domains: vec!["contoso.com".into()],
        min_severity: Severity::Medium,
        ..MailboxRulesConfig::default()
    })
    .unwrap();
    assert!(observe(&mut strict, &e, &[]).is_empty());

    let removed = MailboxRule {
        change: RuleChange::Delete,
        ..reference_rule()
    };
    let e = rule_event(
        "evt-2",
        "2024-03-04T10:20:00Z",
        "alice@contoso.com",
        removed,
    );
    assert!(observe(&mut contoso(), &e, &[]).is_empty());
}

#[test]
fn external_forwarding_rules_and_mailbox_forwarding() {
    let mut d = contoso();
    let fwd = MailboxRule {
        name: Some("Sync".into()),
        actions: vec![RuleAction::ForwardTo("eve@evil.example".into())],
        ..MailboxRule::default()
    };
    let out = observe(
        &mut d,
        &rule_event("r", "2024-03-04T10:00:00Z", "alice@contoso.com", fwd),
        &[],
    );
    assert_eq!(out[0].severity, Severity::High);
    assert_eq!(out[0].technique, Technique::EmailForwardingRule);
    assert_eq!(
        out[0].entities.mailboxes,
        ["alice@contoso.com", "eve@evil.example"]
    );

    let set = |keep: Option<bool>, to: &str| {
        Event::new(
            t("2024-03-04T10:00:00Z"),
            "m",
            Source::M365,
            Activity::MailboxForwarding(MailboxForwarding {
                mailbox: Some("Alice@contoso.com".into()),
                forward_to: Some(to.into()),
                keep_copy: keep,
            }),
        )
        .with_actor(Identity::new("admin@contoso.com"))
    };
    let out = observe(&mut d, &set(Some(true), "eve@evil.example"), &[]);
    assert_eq!(out[0].severity, Severity::High);
    assert_eq!(out[0].technique, Technique::EmailForwardingRule);
    assert!(out[0].summary.starts_with(
        "mailbox Alice@contoso.com forwards all mail to eve@evil.example, keeping a copy"
    ));
    let out = observe(&mut d, &set(Some(false), "eve@evil.example"), &[]);
    assert_eq!(out[0].severity, Severity::Critical);
    assert!(observe(&mut d, &set(Some(false), "carol@contoso.com"), &[]).is_empty());
    // Subdomains of the organisation are inside it; look-alike domains are not.
    assert!(observe(&mut d, &set(None, "carol@eu.contoso.com"), &[]).is_empty());
    let out = observe(&mut d, &set(None, "carol@c\u{3bf}ntoso.com"), &[]);
    assert_eq!(out[0].severity, Severity::High);
}

#[test]
fn rules_set_by_someone_else_name_the_setter() {
    let mut d = contoso();
    let rule = MailboxRule {
        mailbox: Some("bob@contoso.com".into()),
        ..reference_rule()
    };
    let mut e = rule_event("r", "2024-03-04T10:00:00Z", "admin@contoso.com", rule);
    e.subject = Some(Identity::new("bob@contoso.com"));
    let out = observe(&mut d, &e, &[]);
    assert_eq!(
        out[0].identity.as_ref().unwrap().as_str(),
        "bob@contoso.com"
    );
    assert!(
        out[0].summary.contains("set by admin@contoso.com"),
        "{}",
        out[0].summary
    );
}

#[test]
fn domains_are_learned_when_not_configured() {
    let mut d = MailboxRules::default();
    let fwd = |id: &str, to: &str| {
        let rule = MailboxRule {
            name: Some("Team".into()),
            actions: vec![RuleAction::ForwardTo(to.into())],
            ..MailboxRule::default()
        };
        rule_event(id, "2024-03-04T10:00:00Z", "alice@fabrikam.com", rule)
    };
    // The owner's own domain is inside from the first event on.
    assert!(observe(&mut d, &fwd("1", "bob@fabrikam.com"), &[]).is_empty());
    // A colleague's separate domain becomes internal once two identities use it.
    assert_eq!(observe(&mut d, &fwd("2", "x@fabrikam.co.uk"), &[]).len(), 1);
    for who in ["p@fabrikam.co.uk", "q@fabrikam.co.uk"] {
        let e = Event::new(
            t("2024-03-04T09:00:00Z"),
            who,
            Source::Entra,
            Activity::SessionStart,
        )
        .with_actor(Identity::new(who));
        observe(&mut d, &e, &[]);
    }
    // fabrikam.com has one identity so far: internal for alice's own rules, not yet learned.
    assert_eq!(d.learned_domains(), ["fabrikam.co.uk"]);
    assert!(observe(&mut d, &fwd("3", "x@fabrikam.co.uk"), &[]).is_empty());
}

#[test]
fn learned_domains_are_bounded() {
    let mut d = MailboxRules::new(MailboxRulesConfig {
        max_learned_domains: 5,
        ..MailboxRulesConfig::default()
    })
    .unwrap();
    for i in 0..1000 {
        let who = format!("u{i}@d{i}.example");
        let e = Event::new(
            t("2024-03-04T09:00:00Z"),
            who.clone(),
            Source::Okta,
            Activity::SessionStart,
        )
        .with_actor(Identity::new(&who));
        observe(&mut d, &e, &[]);
    }
    assert_eq!(d.domains_ignored(), 995);
    assert!(d.state_bytes() < 2_000, "{}", d.state_bytes());
}

#[test]
fn snapshot_restore_round_trips_and_rejects_garbage() {
    let mut d = MailboxRules::default();
    for who in ["a@contoso.com", "b@contoso.com", "c@fabrikam.com"] {
        let e = Event::new(
            t("2024-03-04T09:00:00Z"),
            who,
            Source::Okta,
            Activity::SessionStart,
        )
        .with_actor(Identity::new(who));
        observe(&mut d, &e, &[]);
    }
    let bytes = d.snapshot().unwrap();
    let mut fresh = MailboxRules::default();
    fresh.restore(&bytes).unwrap();
    assert_eq!(fresh.learned_domains(), d.learned_domains());
    assert_eq!(fresh.snapshot().unwrap(), bytes);

    assert!(matches!(
        fresh.restore(b"not json"),
        Err(Error::CorruptSnapshot(_))
    ));
    assert!(matches!(
        fresh.restore(br#"{"version":9,"domains":{},"ignored":0}"#),
        Err(Error::SnapshotVersion {
            found: 9,
            expected: 1
        })
    ));
    assert!(fresh
        .restore(br#"{"version":1,"domains":{"x.com":{"identities":[]}},"ignored":0}"#)
        .is_err());
    fresh.restore(&[]).unwrap();
    assert!(fresh.learned_domains().is_empty());
}

#[test]
fn forget_drops_an_identity_from_pending_domains() {
    let mut d = MailboxRules::default();
    let e = Event::new(
        t("2024-03-04T09:00:00Z"),
        "1",
        Source::Okta,
        Activity::SessionStart,
    )
    .with_actor(Identity::new("solo@lonely.example"));
    observe(&mut d, &e, &[]);
    let before = d.state_bytes();
    assert!(before > 0);
    d.forget(&IdentityKey::new("solo@lonely.example"));
    assert_eq!(d.state_bytes(), 0);
}

#[test]
fn invalid_configuration_is_a_typed_error() {
    for cfg in [
        MailboxRulesConfig {
            learn_min_identities: 0,
            ..Default::default()
        },
        MailboxRulesConfig {
            max_learned_domains: 1_000_000,
            ..Default::default()
        },
        MailboxRulesConfig {
            risky_sign_in_lookback_minutes: 100_000,
            ..Default::default()
        },
        MailboxRulesConfig {
            keywords: vec![" ".into()],
            ..Default::default()
        },
    ] {
        assert!(matches!(MailboxRules::new(cfg), Err(Error::Config(_))));
    }
    let unknown = serde_json::from_str::<MailboxRulesConfig>(r#"{"org_domain": ["x.com"]}"#);
    assert!(
        unknown.is_err(),
        "a misspelt setting is refused, not ignored"
    );
}

#[test]
fn a_bare_domain_sender_aims_at_every_colleague() {
    let mut d = contoso();
    let rule = MailboxRule {
        name: Some("x".into()),
        conditions: RuleConditions {
            from: vec!["@contoso.com".into()],
            ..Default::default()
        },
        actions: vec![RuleAction::Delete],
        ..MailboxRule::default()
    };
    let out = observe(
        &mut d,
        &rule_event("r", "2024-03-04T10:00:00Z", "alice@contoso.com", rule),
        &[],
    );
    // one-letter name 2 + delete 2 + colleague 1 + targeted 1 = 6
    assert_eq!(out[0].severity, Severity::High);
    assert!(
        out[0]
            .summary
            .contains("aimed at mail from a colleague (@contoso.com)"),
        "{}",
        out[0].summary
    );
}

#[test]
fn a_mailbox_named_by_display_name_takes_the_identity_domain() {
    let mut d = MailboxRules::default();
    let set = Event::new(
        t("2024-03-04T10:00:00Z"),
        "m",
        Source::M365,
        Activity::MailboxForwarding(MailboxForwarding {
            mailbox: Some("Alice Smith".into()),
            forward_to: Some("bob@fabrikam.com".into()),
            keep_copy: Some(true),
        }),
    )
    .with_actor(Identity::new("admin@fabrikam.com"));
    assert!(
        observe(&mut d, &set, &[]).is_empty(),
        "a colleague at the admin's own domain"
    );
    let mut out_of_org = set.clone();
    out_of_org.activity = Activity::MailboxForwarding(MailboxForwarding {
        mailbox: Some("Alice Smith".into()),
        forward_to: Some("bob@evil.example".into()),
        keep_copy: Some(true),
    });
    let out = observe(&mut d, &out_of_org, &[]);
    assert_eq!(out[0].severity, Severity::High);
    assert!(
        out[0].summary.contains("set by admin@fabrikam.com"),
        "{}",
        out[0].summary
    );
    assert_eq!(
        out[0].entities.mailboxes,
        ["Alice Smith", "bob@evil.example"]
    );
}

/// Outlook's rules name their destination folder only by id: the reference rule made from
/// Outlook is judged as hiding (its name hides itself), a rule filing a colleague's mail there
/// reads as one filing it into a named folder, and both say what the log leaves out. A change that does not restate its
/// conditions is not "all incoming mail".
#[test]
fn what_the_log_does_not_say_is_said_not_guessed() {
    let mut d = contoso();
    let unnamed = |name: &str| MailboxRule {
        name: Some(name.into()),
        actions: vec![
            RuleAction::MarkAsRead,
            RuleAction::MoveToFolder(String::new()),
        ],
        ..reference_rule()
    };
    let out = observe(
        &mut d,
        &rule_event(
            "o1",
            "2024-03-04T10:00:00Z",
            "alice@contoso.com",
            unnamed("."),
        ),
        &[],
    );
    assert_eq!(out[0].severity, Severity::High, "{}", out[0].summary);
    assert_eq!(
        out[0].summary,
        "rule '.' marks mail from bob@contoso.com as read and moves it to a folder the log \
         does not name (a name of punctuation only; moves mail out of sight; aimed at mail \
         from a colleague (bob@contoso.com))"
    );
    // Filing a colleague's mail from Outlook reads as filing it into a named folder does.
    let mut filing = |id: &str, folder: &str| {
        let mut r = unnamed("Bob");
        r.actions = vec![RuleAction::MoveToFolder(folder.into())];
        observe(
            &mut d,
            &rule_event(id, "2024-03-04T10:05:00Z", "alice@contoso.com", r),
            &[],
        )
    };
    let by_id = filing("o2", "");
    let by_name = filing("o3", "Bob");
    assert_eq!(by_id[0].severity, Severity::Low, "{}", by_id[0].summary);
    assert_eq!(by_id[0].severity, by_name[0].severity);

    // `Set-InboxRule` turning on "mark as read": its conditions are not in the record.
    let changed = MailboxRule {
        change: RuleChange::Modify,
        name: Some("Jira".into()),
        conditions: RuleConditions {
            unknown: true,
            ..Default::default()
        },
        actions: vec![
            RuleAction::MarkAsRead,
            RuleAction::MoveToFolder("Archive".into()),
        ],
        ..MailboxRule::default()
    };
    let out = observe(
        &mut d,
        &rule_event(
            "s1",
            "2024-03-04T10:10:00Z",
            "alice@contoso.com",
            changed.clone(),
        ),
        &[],
    );
    let f = &out[0];
    assert_eq!(
        f.summary,
        "rule 'Jira' (changed) marks its mail (conditions not read from this record) as read and moves \
         it to Archive (moves mail out of the inbox to 'Archive'; may apply to all mail)"
    );
    // Were they known to be empty, the rule would hide all mail; not knowing must not make
    // it cheaper.
    let mut all = changed;
    all.conditions.unknown = false;
    let out2 = observe(
        &mut d,
        &rule_event("s2", "2024-03-04T10:15:00Z", "alice@contoso.com", all),
        &[],
    );
    assert_eq!(
        out2[0].severity, f.severity,
        "{} / {}",
        out2[0].summary, f.summary
    );
}
