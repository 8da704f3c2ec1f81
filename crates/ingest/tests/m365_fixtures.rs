//! The Microsoft 365 adapter on fixtures written from Microsoft's documentation: sign-ins,
//! `Set-InboxRule`, `Remove-InboxRule`, `Enable-InboxRule`, `Disable-InboxRule`, `Set-Mailbox`
//! forwarding (`ForwardingSmtpAddress` and `ForwardingAddress`), `UpdateInboxRules` with
//! structured `RuleActions`, delegate `MailItemsAccessed`, SharePoint file access and preview,
//! failed cmdlets, malformed records and duplicate keys.

#![cfg(feature = "m365")]
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use palisade_ingest::{m365::M365, Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::{
    Activity, Event, Factor, FailureReason, FileAccess, FileAccessKind, MailItemsAccessed,
    MailboxForwarding, MfaPrompt, Outcome, PromptResult, RuleAction, RuleChange,
};

fn fixture() -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/m365/audit.jsonl");
    std::fs::read(path)
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn parse(record: &[u8]) -> (Result<Parsed, BadRecordReason>, Vec<Event>) {
    let mut out = Vec::new();
    let r = M365.parse(record, &mut out, &mut Notes::default());
    (r, out)
}

fn events(record: &[u8]) -> Vec<Event> {
    let (r, out) = parse(record);
    assert_eq!(r, Ok(Parsed::Events));
    out
}

fn reason(e: &Event) -> FailureReason {
    match &e.activity {
        Activity::SignIn(s) => match &s.outcome {
            Outcome::Failure { reason } => reason.clone(),
            Outcome::Success => panic!("success"),
        },
        other => panic!("not a sign-in: {other:?}"),
    }
}

#[test]
fn every_line_is_recognized() {
    for line in fixture() {
        assert!(M365.sniff(&line));
    }
}

#[test]
fn sign_ins() {
    let lines = fixture();
    let out = events(&lines[0]);
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert!(e.activity.is_successful_sign_in());
    assert_eq!(e.time.to_string(), "2024-05-01T10:01:00.000Z"); // CreationTime is UTC
    assert_eq!(e.origin.ip.unwrap().to_string(), "2001:db8::1"); // "[2001:db8::1]:443"
    assert!(e.origin.user_agent.as_deref().unwrap().contains("Firefox"));
    assert_eq!(
        e.origin.session_id.as_deref(),
        Some("3b2a1908-0000-4000-8000-000000000001")
    );
    assert_eq!(
        e.tenant.as_deref(),
        Some("72f988bf-0000-4000-8000-000000000001")
    );
    assert_eq!(e.identity().unwrap().as_str(), "alice@contoso.com");
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("10032000A1B2C3D4")
    );

    assert_eq!(reason(&events(&lines[1])[0]), FailureReason::BadPassword);
    assert_eq!(reason(&events(&lines[2])[0]), FailureReason::MfaRequired);
    let out = events(&lines[3]);
    assert_eq!(out.len(), 2);
    assert_eq!(reason(&out[0]), FailureReason::MfaFailed);
    assert_eq!(
        out[1].activity,
        Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Other,
            result: PromptResult::Failed
        })
    );
    assert_eq!(out[1].id, "7c1e2d3f-0000-4000-8000-000000000004:mfa");
}

fn rule(e: &Event) -> &palisade_schema::MailboxRule {
    match &e.activity {
        Activity::MailboxRule(r) => r,
        other => panic!("not a rule: {other:?}"),
    }
}

#[test]
fn inbox_rule_cmdlets() {
    let lines = fixture();
    let out = events(&lines[4]);
    let r = rule(&out[0]);
    assert_eq!(r.change, RuleChange::Modify);
    assert_eq!(r.name.as_deref(), Some("Invoices"));
    assert_eq!(r.conditions.subject_contains, vec!["invoice", "payment"]);
    assert_eq!(
        r.actions,
        vec![
            RuleAction::MoveToFolder("RSS Subscriptions".into()),
            RuleAction::MarkAsRead,
            RuleAction::StopProcessingRules
        ]
    );
    assert_eq!(out[0].origin.ip.unwrap().to_string(), "2001:db8::10");

    let r = rule(&events(&lines[5])[0]).clone();
    assert_eq!(
        (r.change, r.name.as_deref()),
        (RuleChange::Delete, Some("Invoices"))
    );
    let r = rule(&events(&lines[6])[0]).clone();
    assert_eq!(
        (r.change, r.name.as_deref()),
        (RuleChange::Modify, Some("Invoices"))
    );

    // A cmdlet that failed changed nothing.
    assert_eq!(
        parse(&lines[13]).0,
        Ok(Parsed::Unsupported("m365 New-InboxRule".into()))
    );
}

#[test]
fn set_mailbox_forwarding() {
    let lines = fixture();
    assert_eq!(
        events(&lines[7])[0].activity,
        Activity::MailboxForwarding(MailboxForwarding {
            mailbox: Some("alice@contoso.com".into()),
            forward_to: Some("exfil@evil.example".into()),
            keep_copy: Some(false),
        })
    );
    // Cleared.
    assert_eq!(
        events(&lines[8])[0].activity,
        Activity::MailboxForwarding(MailboxForwarding {
            mailbox: Some("alice@contoso.com".into()),
            forward_to: None,
            keep_copy: None,
        })
    );
    let (r, out) = parse(&lines[9]);
    assert_eq!(r, Ok(Parsed::Unsupported("m365 Set-Mailbox".into())));
    assert!(out.is_empty());
}

#[test]
fn disable_inbox_rule_is_a_modification() {
    let lines = fixture();
    let out = events(&lines[14]);
    assert_eq!(out.len(), 1);
    let r = rule(&out[0]);
    // Disabling keeps the rule: a change of state, not a deletion.
    assert_eq!(r.change, RuleChange::Modify);
    assert_eq!(r.name.as_deref(), Some("Invoices"));
    assert!(r.actions.is_empty());
    assert_eq!(out[0].identity().unwrap().as_str(), "alice@contoso.com");
}

#[test]
fn set_mailbox_forwarding_address() {
    let lines = fixture();
    let out = events(&lines[15]);
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].activity,
        Activity::MailboxForwarding(MailboxForwarding {
            mailbox: Some("bob@contoso.com".into()),
            forward_to: Some("drop@evil.example".into()),
            keep_copy: Some(true),
        })
    );
    // The administrator who ran the cmdlet is the actor.
    assert_eq!(
        out[0].actor.as_ref().unwrap().key.as_str(),
        "admin@contoso.com"
    );
}

/// `Set-Mailbox` reference: "If you configure values for both the ForwardingAddress and
/// ForwardingSmtpAddress parameters, the value of ForwardingSmtpAddress is ignored."
#[test]
fn forwarding_address_wins_over_forwarding_smtp_address() {
    let lines = fixture();
    assert!(matches!(
        &events(&lines[17])[0].activity,
        Activity::MailboxForwarding(f) if f.forward_to.as_deref() == Some("drop@evil.example")
    ));
}

#[test]
fn outlook_rule_with_structured_actions() {
    let lines = fixture();
    let out = events(&lines[10]);
    let r = rule(&out[0]);
    assert_eq!(r.change, RuleChange::Create);
    assert_eq!(r.name.as_deref(), Some(".."));
    assert_eq!(r.mailbox, None); // the actor's own mailbox
    assert_eq!(r.conditions.subject_contains, vec!["wire transfer"]);
    assert_eq!(
        r.actions,
        vec![
            RuleAction::ForwardTo("drop@evil.example".into()),
            RuleAction::Delete
        ]
    );
}

#[test]
fn mail_and_files() {
    let lines = fixture();
    assert_eq!(
        events(&lines[11])[0].activity,
        Activity::MailItemsAccessed(MailItemsAccessed {
            mailbox: Some("ceo@contoso.com".into()),
            count: Some(2),
            folders: vec!["\\Inbox".into(), "\\Finance".into()],
        })
    );
    assert_eq!(
        events(&lines[12])[0].activity,
        Activity::FileAccess(FileAccess {
            how: FileAccessKind::Accessed,
            object: Some(
                "https://contoso.sharepoint.com/sites/finance/Shared Documents/payroll.xlsx".into()
            ),
        })
    );
    let out = events(&lines[16]);
    assert_eq!(
        out[0].activity,
        Activity::FileAccess(FileAccess {
            how: FileAccessKind::Previewed,
            object: Some(
                "https://contoso.sharepoint.com/sites/finance/Shared Documents/q2-forecast.pptx"
                    .into()
            ),
        })
    );
    assert_eq!(out[0].origin.ip.unwrap().to_string(), "81.2.69.142");
}

#[test]
fn malformed_records() {
    let base: serde_json::Value = serde_json::from_slice(&fixture()[0]).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut r = base.clone();
        f(r.as_object_mut().unwrap());
        serde_json::to_vec(&r).unwrap()
    };
    let err = |rec: &[u8]| {
        let (r, out) = parse(rec);
        assert!(out.is_empty());
        r.unwrap_err()
    };
    assert_eq!(
        err(&with(&|r| {
            r.remove("CreationTime");
        })),
        BadRecordReason::MissingField("CreationTime")
    );
    assert!(matches!(
        err(&with(&|r| {
            r.insert("CreationTime".into(), "13/01/2024".into());
        })),
        BadRecordReason::BadTime(_)
    ));
    assert!(matches!(
        err(&with(&|r| {
            r.insert("CreationTime".into(), "2150-01-01T00:00:00".into());
        })),
        BadRecordReason::BadTime(_)
    ));
    assert!(matches!(
        err(&with(&|r| {
            r.insert("CreationTime".into(), true.into());
        })),
        BadRecordReason::BadValue {
            field: "CreationTime",
            ..
        }
    ));
    assert_eq!(
        err(&with(&|r| {
            r.remove("Id");
        })),
        BadRecordReason::MissingField("Id")
    );
    assert_eq!(
        err(&with(&|r| {
            r.remove("Operation");
        })),
        BadRecordReason::MissingField("Operation")
    );
    assert!(matches!(
        err(b"{\"CreationTime\": \"2024"),
        BadRecordReason::Json(_)
    ));
    assert!(matches!(err(b"\"UserLoggedIn\""), BadRecordReason::Json(_)));
    // Sloppy types elsewhere read as absent.
    let sloppy = with(&|r| {
        r.insert("ClientIP".into(), serde_json::json!({"v": 1}));
        r.insert("ExtendedProperties".into(), "UserAgent=x".into());
        r.insert("UserKey".into(), 42.into());
    });
    let out = events(&sloppy);
    assert_eq!(out[0].origin.ip.unwrap().to_string(), "81.2.69.142"); // ActorIpAddress
    assert!(out[0].origin.user_agent.is_none());
}

#[test]
fn duplicate_keys_last_wins() {
    let rec = br#"{"CreationTime":"2024-05-01T10:00:00","Id":"dup-1","Operation":"FileAccessed",
        "Workload":"SharePoint","RecordType":6,"UserId":"alice@contoso.com","Operation":"FileDownloaded",
        "ObjectId":"https://contoso.sharepoint.com/a.docx"}"#;
    let out = events(rec);
    assert!(
        matches!(&out[0].activity, Activity::FileAccess(f) if f.how == FileAccessKind::Downloaded)
    );
}

#[test]
fn sniff_leaves_other_vendors_alone() {
    let others: [&[u8]; 4] = [
        br#"{"uuid":"x","published":"2024-05-01T09:00:00Z","eventType":"user.session.start"}"#,
        br#"{"id":"x","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"a@b.c","status":{"errorCode":0}}"#,
        br#"{"creationtime":"2024-05-01 09:00:00","operation":"New-InboxRule","workload":"Exchange"}"#,
        br#"{"class_uid":6003,"CreationTime":"x","Operation":"y","Workload":"z"}"#,
    ];
    for r in others {
        assert!(!M365.sniff(r), "{}", String::from_utf8_lossy(r));
    }
}

/// One Exchange audit record of `operation` by alice, with these `Parameters` (cmdlets) or
/// `OperationProperties` (Outlook's `UpdateInboxRules`), in the shape of the fixture's records.
fn exchange(operation: &str, parameters: &str, properties: &str) -> Vec<u8> {
    format!(
        r#"{{"CreationTime": "2024-05-02T09:00:00", "Id": "7c1e2d3f-0000-4000-8000-0000000000a1", "Operation": "{operation}", "OrganizationId": "72f988bf-0000-4000-8000-000000000001", "RecordType": 1, "ResultStatus": "True", "UserKey": "10032000A1B2C3D4", "UserType": 0, "Version": 1, "Workload": "Exchange", "UserId": "alice@contoso.com", "ClientIP": "203.0.113.9", "ObjectId": "alice@contoso.com\\Jira", "Parameters": [{parameters}], "OperationProperties": [{properties}]}}"#
    )
    .into_bytes()
}

/// What a rule record leaves unsaid stays unknown, never "all mail": `Set-InboxRule` lists only
/// what it changed, a condition Palisade does not read still restricts the rule, and Outlook's
/// rules name a destination folder only by id. A recipient in Exchange's `"Name"
/// [SMTP:address]` form is its address.
#[test]
fn what_a_rule_record_leaves_unsaid_stays_unknown() {
    // A change of one action: the conditions are as they were, not gone.
    let set = exchange(
        "Set-InboxRule",
        r#"{"Name": "Identity", "Value": "alice@contoso.com\\Jira"}, {"Name": "MarkAsRead", "Value": "True"}"#,
        "",
    );
    let out = events(&set);
    let r = rule(&out[0]);
    assert_eq!(
        (r.change, r.name.as_deref()),
        (RuleChange::Modify, Some("Jira"))
    );
    assert!(r.conditions.unknown && !r.conditions.is_empty());
    assert_eq!(r.actions, vec![RuleAction::MarkAsRead]);

    // A new rule on attachments only: not all mail either; a new rule with no condition is.
    let attachments = exchange(
        "New-InboxRule",
        r#"{"Name": "Name", "Value": "Scans"}, {"Name": "HasAttachment", "Value": "True"}, {"Name": "MoveToFolder", "Value": "Scans"}"#,
        "",
    );
    assert!(rule(&events(&attachments)[0]).conditions.unknown);
    // A condition that matches everything (`-HasAttachment $false`: with or without) is none,
    // and a change that clears a condition names it.
    for (operation, parameter) in [
        (
            "New-InboxRule",
            r#"{"Name": "HasAttachment", "Value": "False"}"#,
        ),
        (
            "New-InboxRule",
            r#"{"Name": "WithinSizeRangeMinimum", "Value": "0"}"#,
        ),
        ("Set-InboxRule", r#"{"Name": "From", "Value": ""}"#),
    ] {
        let record = exchange(
            operation,
            &format!(
                r#"{{"Name": "Name", "Value": "Jira"}}, {parameter}, {{"Name": "DeleteMessage", "Value": "True"}}"#
            ),
            "",
        );
        let r = rule(&events(&record)[0]).clone();
        assert!(
            r.conditions.is_empty(),
            "{operation} {parameter}: {:?}",
            r.conditions
        );
    }
    let all = exchange(
        "New-InboxRule",
        r#"{"Name": "Name", "Value": "Everything"}, {"Name": "ForwardTo", "Value": "\"Kate\" [SMTP:kate@mail.example];bob@contoso.com;\"[SMTP:boss@contoso.com]\" [smtp:x@evil.example]"}"#,
        "",
    );
    let out = events(&all);
    let r = rule(&out[0]);
    assert!(r.conditions.is_empty());
    assert_eq!(
        r.actions,
        vec![
            RuleAction::ForwardTo("kate@mail.example".into()),
            RuleAction::ForwardTo("bob@contoso.com".into()),
            // A display name cannot pass for the address: the last bracket is.
            RuleAction::ForwardTo("x@evil.example".into())
        ]
    );

    // Outlook: the all-mail restriction, a move to a folder named by id, and a copy.
    let outlook = |operation: &str, condition: &str| {
        exchange(
            "UpdateInboxRules",
            "",
            &format!(
                r#"{{"Name": "RuleOperation", "Value": "{operation}"}}, {{"Name": "RuleCondition", "Value": "{condition}"}}, {{"Name": "RuleName", "Value": "."}}, {{"Name": "RuleActions", "Value": "[{{\"ActionType\":\"MarkAsRead\"}},{{\"ActionType\":\"Move\",\"DestinationFolderId\":\"LgAAAAAbc\",\"FolderIsInThisStore\":\"True\"}},{{\"ActionType\":\"Copy\",\"DestinationFolderId\":\"LgAAAAAxy\"}}]"}}"#
            ),
        )
    };
    for every in ["{}", "{(Exists(ItemClass))}"] {
        let r = rule(&events(&outlook("AddMailboxRule", every))[0]).clone();
        assert!(r.conditions.is_empty(), "{every}: {:?}", r.conditions);
    }
    let out = events(&outlook("AddMailboxRule", "{(Exists(ItemClass))}"));
    let r = rule(&out[0]);
    assert_eq!(
        r.actions,
        vec![
            RuleAction::MarkAsRead,
            RuleAction::MoveToFolder(String::new()),
            RuleAction::CopyToFolder(String::new())
        ]
    );
    let out = events(&outlook(
        "ModifyMailboxRule",
        "{(Size GreaterThan 1000000)}",
    ));
    let r = rule(&out[0]);
    assert!(r.conditions.unknown, "{:?}", r.conditions);
    let out = events(&outlook(
        "AddMailboxRule",
        "{((SenderSearchKey Equal SMTP:BOB@CONTOSO.COM))}",
    ));
    let r = rule(&out[0]);
    assert_eq!(r.conditions.from, vec!["BOB@CONTOSO.COM"]);
    assert!(!r.conditions.unknown);
}
