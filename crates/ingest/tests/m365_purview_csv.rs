//! A Microsoft Purview audit search export (the portal's CSV: `RecordId`, `CreationDate`,
//! `RecordType`, `Operation`, `UserId`, `AuditData`, `AssociatedAdminUnits`,
//! `AssociatedAdminUnitsNames`, with `AuditData` a quoted JSON cell whose quotes are doubled)
//! read end to end through `Ingest::new()`: format detection, the M365 adapter on each
//! `AuditData` cell, and bad rows reported by line with their neighbours still read.

#![cfg(feature = "m365")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use palisade_ingest::{BadRecordReason, Ingest, IngestError, Location, RecordReader};
use palisade_ingest::{Format, ReadItem};
use palisade_schema::{Activity, Event, FailureReason, RuleAction, RuleChange};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/m365")
        .join(name)
}

fn read(path: &Path) -> (palisade_ingest::FileReport, Vec<Event>, Vec<IngestError>) {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let report = Ingest::new()
        .read_path(path, |e| events.push(e), |p| problems.push(p))
        .unwrap();
    (report, events, problems)
}

#[test]
fn purview_portal_export_gives_the_audit_data_events() {
    let path = fixture("purview_export.csv");
    let (report, events, problems) = read(&path);

    // Four rows after the header: UserLoggedIn, a cut-off AuditData, New-InboxRule, a row that
    // ends before its AuditData column.
    assert_eq!(report.records_read, 4, "{report:?}");
    assert_eq!(report.events, 2, "{report:?}");
    assert_eq!(report.bad_records, 2, "{report:?}");
    assert!(!report.truncated);
    assert!(report.skipped_unsupported.is_empty(), "{report:?}");

    let login = &events[0];
    assert_eq!(login.id, "a1b2c3d4-0000-4000-8000-000000000101");
    assert!(login.activity.is_successful_sign_in());
    // The time is the AuditData's CreationTime (UTC), not the CSV's CreationDate column.
    assert_eq!(login.time.to_string(), "2024-05-13T09:00:00.000Z");
    assert_eq!(login.identity().unwrap().as_str(), "alice@contoso.com");
    assert_eq!(login.origin.ip.unwrap().to_string(), "2001:db8::1");
    assert!(login
        .origin
        .user_agent
        .as_deref()
        .unwrap()
        .contains("Firefox"));

    let rule = &events[1];
    assert_eq!(rule.id, "a1b2c3d4-0000-4000-8000-000000000103");
    let Activity::MailboxRule(r) = &rule.activity else {
        panic!("not a rule: {:?}", rule.activity)
    };
    assert_eq!(r.change, RuleChange::Create);
    // Commas and (doubled, then JSON-escaped) quotes inside the cell survive.
    assert_eq!(r.name.as_deref(), Some("Invoices, \"urgent\""));
    assert_eq!(r.conditions.subject_contains, vec!["invoice", "payment"]);
    assert_eq!(
        r.actions,
        vec![
            RuleAction::MoveToFolder("RSS Feeds".into()),
            RuleAction::MarkAsRead
        ]
    );

    // The cut-off cell is line 3, the short row line 5; both name the file.
    assert_eq!(problems.len(), 2, "{problems:?}");
    match &problems[0] {
        IngestError::BadRecord {
            file,
            location,
            reason,
        } => {
            assert_eq!(file, &path);
            assert_eq!(*location, Location::Line(3));
            assert!(matches!(reason, BadRecordReason::Json(_)), "{reason:?}");
        }
        other => panic!("{other}"),
    }
    assert!(
        problems[0]
            .to_string()
            .contains("purview_export.csv:line 3:"),
        "{}",
        problems[0]
    );
    assert!(
        matches!(
            &problems[1],
            IngestError::BadRecord {
                location: Location::Line(5),
                reason: BadRecordReason::MissingField("AuditData"),
                ..
            }
        ),
        "{}",
        problems[1]
    );
}

#[test]
fn purview_export_is_detected_as_csv() {
    let bytes = std::fs::read(fixture("purview_export.csv")).unwrap();
    let mut reader = RecordReader::new(&bytes[..]);
    let mut locations = Vec::new();
    while let Some(item) = reader.next_item() {
        locations.push(match item {
            ReadItem::Record(r) => r.location,
            ReadItem::Bad { location, .. } | ReadItem::Truncated { location, .. } => location,
        });
    }
    assert_eq!(reader.format(), Some(Format::PurviewCsv));
    assert_eq!(
        locations,
        vec![
            Location::Line(2),
            Location::Line(3),
            Location::Line(4),
            Location::Line(5)
        ]
    );
}

/// `Search-UnifiedAuditLog ... | Select-Object CreationDate,UserIds,Operations,AuditData |
/// Export-Csv -NoTypeInformation`: every cell quoted, the header too.
#[test]
fn search_unified_audit_log_export_csv() {
    let login = r#"{"CreationTime":"2024-05-13T09:00:00","Id":"s-1","Operation":"UserLoginFailed","OrganizationId":"72f988bf-0000-4000-8000-000000000001","RecordType":15,"ResultStatus":"Failed","UserKey":"10032000A1B2C3D4","Workload":"AzureActiveDirectory","UserId":"alice@contoso.com","ClientIP":"81.2.69.142","ErrorNumber":"50126","LogonError":"InvalidUserNameOrPassword"}"#;
    let csv = format!(
        "\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\r\n\
         \"5/13/2024 9:00:00 AM\",\"alice@contoso.com\",\"UserLoginFailed\",\"{}\"\r\n",
        login.replace('"', "\"\"")
    );
    let mut events = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("ual.csv"),
        csv.as_bytes(),
        |e| events.push(e),
        |p| panic!("{p}"),
    );
    assert_eq!((report.records_read, report.events), (1, 1));
    assert!(matches!(&events[0].activity, Activity::SignIn(s)
        if s.outcome == palisade_schema::Outcome::Failure { reason: FailureReason::BadPassword }));
    assert_eq!(events[0].identity().unwrap().as_str(), "alice@contoso.com");
}

/// Windows PowerShell 5.1's `Export-Csv` without `-NoTypeInformation` writes a `#TYPE` line
/// before the header: the file is still the same export, and lines are still counted from 1.
#[test]
fn powershell_type_line_before_the_header_is_skipped() {
    let login = r#"{"CreationTime":"2024-05-13T09:00:00","Id":"s-2","Operation":"UserLoggedIn","OrganizationId":"72f988bf-0000-4000-8000-000000000001","RecordType":15,"ResultStatus":"Success","UserKey":"10032000A1B2C3D4","Workload":"AzureActiveDirectory","UserId":"alice@contoso.com","ClientIP":"81.2.69.142"}"#;
    let csv = format!(
        "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n\
         \"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\r\n\
         \"5/13/2024 9:00:00 AM\",\"alice@contoso.com\",\"UserLoggedIn\",\"{}\"\r\n\
         \"5/13/2024 9:01:00 AM\",\"alice@contoso.com\",\"UserLoggedIn\",\"{{not json\"\r\n",
        login.replace('"', "\"\"")
    );
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("ual-ps51.csv"),
        csv.as_bytes(),
        |e| events.push(e),
        |p| problems.push(p),
    );
    assert_eq!(
        (report.records_read, report.events, report.bad_records),
        (2, 1, 1)
    );
    assert!(matches!(&events[0].activity, Activity::SignIn(s) if s.outcome.is_success()));
    assert_eq!(problems.len(), 1);
    let said = problems[0].to_string();
    assert!(
        said.contains("ual-ps51.csv") && said.contains("line 4"),
        "{said}"
    );
}
