//! Real vendor samples from `../shared/data` (Sekoia intake-format test inputs: an M365
//! `New-InboxRule` with ForwardTo, RedirectTo, DeleteMessage, MarkAsRead and MoveToFolder, three
//! Outlook `UpdateInboxRules`, and a Google Workspace `email_forwarding_out_of_domain`), parsed by
//! the palisade-ingest adapters and judged by the detector. Skipped when the data is absent.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::PathBuf;

use palisade_core::{Context, Detector, Finding, Severity, Technique};
use palisade_ingest::gws::GoogleWorkspace;
use palisade_ingest::m365::M365;
use palisade_ingest::{Adapter, Notes};
use palisade_mailbox::{MailboxRules, MailboxRulesConfig};
use palisade_schema::{Activity, Event};

fn data_file(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sekoia_intake_formats")
        .join(name);
    p.exists().then_some(p)
}

/// Every line of the file through `adapter`; malformed lines are reported, not fatal.
fn parse(adapter: &dyn Adapter, name: &str) -> Option<Vec<Event>> {
    let path = data_file(name)?;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut events = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // Records the adapter rejects are the adapter's tests' concern, not this detector's.
        let _ = adapter.parse(line.as_bytes(), &mut events, &mut Notes::default());
    }
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    Some(events)
}

fn judge(detector: &mut MailboxRules, events: &[Event]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        detector.observe(e, &Context::empty(), &mut out);
    }
    out
}

#[test]
fn m365_inbox_rules() {
    let Some(events) = parse(&M365, "o365_management_api.ndjson") else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let rules = events
        .iter()
        .filter(|e| matches!(e.activity, Activity::MailboxRule(_)))
        .count();
    assert_eq!(rules, 4, "one New-InboxRule and three UpdateInboxRules");

    // No organisation domain configured or learnable ("user1" has none): every forward is
    // outside as far as anyone can tell.
    let found = judge(&mut MailboxRules::default(), &events);
    let by_event = |id: &str| found.iter().find(|f| f.evidence.first() == Some(id));

    let cmdlet = by_event("9cf2a1f7-90bc-494b-2784-08db5c691133").expect("New-InboxRule judged");
    assert_eq!(cmdlet.severity, Severity::Critical);
    assert_eq!(cmdlet.technique, Technique::EmailForwardingRule);
    assert!(
        cmdlet.summary.starts_with(
            "rule 'RULE_NAME' forwards mail from alice@example.org and @example.org with 'keyword' \
             in the subject or body to bob@example.org (outside the organisation), redirects it to \
             joe@example.org (outside the organisation), deletes it, marks it as read, moves it to \
             Historique des conversations and stops processing more rules"
        ),
        "{}",
        cmdlet.summary
    );
    // The French "Conversation History" is a hiding folder.
    assert!(cmdlet
        .summary
        .contains("hiding folder 'Historique des conversations'"));
    assert_eq!(
        cmdlet.entities.mailboxes,
        ["bob@example.org", "joe@example.org", "user1"]
    );
    assert_eq!(
        cmdlet.entities.ips,
        ["1.2.3.4".parse::<std::net::IpAddr>().unwrap()]
    );

    // An Outlook client's forward of all mail in owner@mail.fr's mailbox, set by user1: the
    // recipients at mail.fr are colleagues, the ones at email.fr and mailbox.fr are not.
    let outlook = found
        .iter()
        .find(|f| f.summary.contains("asmithee@mailbox.fr"))
        .expect("UpdateInboxRules forward judged");
    assert_eq!(outlook.technique, Technique::EmailForwardingRule);
    assert_eq!(outlook.severity, Severity::High);
    assert!(
        outlook.summary.starts_with(
            "an unnamed rule (changed) forwards all incoming mail to john.doe@mail.fr, \
             user@email.fr (outside the organisation), asmithee@mailbox.fr (outside the \
             organisation) and 1 more"
        ),
        "{}",
        outlook.summary
    );
    assert!(
        outlook
            .summary
            .contains("in owner@mail.fr's mailbox, set by user1"),
        "{}",
        outlook.summary
    );

    // `MyRule` only carries a client-side DeferAction: nothing to judge.
    assert!(!found.iter().any(|f| f.summary.contains("MyRule")));
    assert_eq!(found.len(), 3, "{found:#?}");

    // Once the organisation's domains are known, the same New-InboxRule is a hiding rule aimed
    // at a colleague: high, not critical, and T1564.008.
    let cfg = MailboxRulesConfig {
        org_domains: vec!["example.org".into(), "mail.fr".into()],
        ..MailboxRulesConfig::default()
    };
    let found = judge(&mut MailboxRules::new(cfg).unwrap(), &events);
    let cmdlet = found
        .iter()
        .find(|f| f.evidence.first() == Some("9cf2a1f7-90bc-494b-2784-08db5c691133"))
        .unwrap();
    assert_eq!(cmdlet.severity, Severity::High);
    assert_eq!(cmdlet.technique, Technique::EmailHidingRules);
    assert!(cmdlet
        .summary
        .contains("aimed at mail from a colleague (alice@example.org and @example.org)"));
    // user1's forward of WHAM mail to user.name@mail.fr is now internal: only low (a rule on a
    // sender in the organisation's domain), and no longer a forwarding finding.
    let wham = found.iter().find(|f| f.summary.contains("'WHAM'")).unwrap();
    assert_eq!(wham.severity, Severity::Low);
    assert_eq!(wham.technique, Technique::EmailHidingRules);
}

#[test]
fn google_workspace_forwarding_out_of_domain() {
    let Some(events) = parse(&GoogleWorkspace, "google_workspace_reports.ndjson") else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let forwards = events
        .iter()
        .filter(|e| matches!(e.activity, Activity::MailboxForwarding(_)))
        .count();
    assert_eq!(forwards, 1);
    assert!(
        events.len() > forwards,
        "sign-ins and admin events are judged too, and stay quiet"
    );
    let found = judge(&mut MailboxRules::default(), &events);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        f.identity.as_ref().unwrap().as_str(),
        "john.doe@example.com"
    );
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.technique, Technique::EmailForwardingRule);
    assert!(
        f.summary.starts_with(
            "mailbox john.doe@example.com forwards all mail to jane.doe@example.net (outside the \
             organisation"
        ),
        "{}",
        f.summary
    );
    assert_eq!(
        f.entities.mailboxes,
        ["jane.doe@example.net", "john.doe@example.com"]
    );
    assert_eq!(f.entities.countries, ["FR"]);
}
