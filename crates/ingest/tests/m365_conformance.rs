//! The real public Microsoft 365 audit sample in ../shared/data reads with zero bad records, with
//! the per-activity counts read off the file by hand.

#![cfg(feature = "m365")]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod support;

use std::collections::BTreeMap;

use palisade_ingest::{m365::M365, Adapter, Notes, Parsed};
use palisade_schema::{Activity, FailureReason, Outcome, PromptResult, RuleAction, RuleChange};

#[test]
fn sekoia_o365_management_api() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let bytes =
        std::fs::read(dir.join("sekoia_intake_formats/o365_management_api.ndjson")).unwrap();
    let m365 = M365;
    let mut events = Vec::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let mut notes = Notes::default();
    let mut records = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        records += 1;
        assert!(m365.sniff(line), "line {} not recognized", i + 1);
        let mut out = Vec::new();
        match m365.parse(line, &mut out, &mut notes) {
            Ok(Parsed::Events) => assert!(!out.is_empty()),
            Ok(Parsed::Unsupported(name)) => *unsupported.entry(name).or_default() += 1,
            Err(e) => panic!("line {}: {e}", i + 1),
        }
        for e in &out {
            *kinds.entry(e.activity.kind_name()).or_default() += 1;
        }
        events.extend(out);
    }
    assert_eq!(records, 73);
    // UserLoggedIn x5 + UserLoginFailed x1 (500121, with its MFA prompt); New-InboxRule x1 and
    // UpdateInboxRules x3; MailItemsAccessed x3; FileDownloaded + FilePreviewed.
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("file_access", 2),
            ("mail_items_accessed", 3),
            ("mailbox_rule", 4),
            ("mfa_prompt", 1),
            ("sign_in", 6),
        ])
    );
    assert_eq!(unsupported.values().sum::<usize>(), 58);
    assert_eq!(unsupported["m365 AlertEntityGenerated"], 7);
    assert_eq!(unsupported["m365 SoftDelete"], 5);

    let failed = events
        .iter()
        .find(|e| e.activity.is_failed_sign_in())
        .unwrap();
    assert!(matches!(&failed.activity,
        Activity::SignIn(s) if s.outcome == Outcome::Failure { reason: FailureReason::MfaFailed }));
    assert_eq!(failed.time.to_string(), "2022-10-14T13:48:03.000Z");
    let prompt = events
        .iter()
        .find(|e| e.activity.kind_name() == "mfa_prompt")
        .unwrap();
    assert!(matches!(&prompt.activity, Activity::MfaPrompt(p) if p.result == PromptResult::Failed));
    assert_eq!(prompt.id, format!("{}:mfa", failed.id));

    let new_rule = events
        .iter()
        .find_map(|e| match &e.activity {
            Activity::MailboxRule(r) if r.change == RuleChange::Create => Some((e, r)),
            _ => None,
        })
        .unwrap();
    assert_eq!(new_rule.0.origin.ip.unwrap().to_string(), "1.2.3.4"); // "1.2.3.4:63070"
    assert_eq!(new_rule.1.name.as_deref(), Some("RULE_NAME"));
    assert_eq!(
        new_rule.1.actions,
        vec![
            RuleAction::ForwardTo("bob@example.org".into()),
            RuleAction::RedirectTo("joe@example.org".into()),
            RuleAction::Delete,
            RuleAction::MarkAsRead,
            RuleAction::StopProcessingRules,
            RuleAction::MoveToFolder("Historique des conversations".into()),
        ]
    );
    assert_eq!(
        new_rule.1.conditions.from,
        vec!["alice@example.org", "@example.org"]
    );
    assert_eq!(new_rule.1.conditions.body_contains, vec!["keyword"]);

    let forwards: Vec<usize> = events
        .iter()
        .filter_map(|e| match &e.activity {
            Activity::MailboxRule(r) if r.change == RuleChange::Modify => Some(
                r.actions
                    .iter()
                    .filter(|a| matches!(a, RuleAction::ForwardTo(_)))
                    .count(),
            ),
            _ => None,
        })
        .collect();
    // Forward to 4 recipients, to 1, and a client-side DeferAction.
    assert_eq!(forwards, vec![4, 1, 0]);

    let counts: Vec<Option<u64>> = events
        .iter()
        .filter_map(|e| match &e.activity {
            Activity::MailItemsAccessed(m) => Some(m.count),
            _ => None,
        })
        .collect();
    assert_eq!(counts, vec![Some(2), Some(3), Some(1)]);
    assert_eq!(notes, Notes::default());
}

#[test]
fn panther_and_sentinel_shapes_are_not_claimed() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    // Sentinel's OfficeActivity table (no CreationTime) is out of scope, so not sniffed.
    let sentinel = std::fs::read(
        dir.join("otrf_security_datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json"),
    )
    .unwrap();
    for line in sentinel.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(!M365.sniff(line));
    }
}
