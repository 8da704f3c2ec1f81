//! Google Workspace Reports adapter: fixtures for every mapped event, both `events` shapes,
//! malformed records, a structure-aware property test, and the real public samples.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_ingest::gws::GoogleWorkspace;
use palisade_ingest::{Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, MailboxForwarding, Outcome, SignIn,
    SignInStage,
};
use proptest::prelude::*;
use serde_json::Value;

fn parse(record: &str) -> (Result<Parsed, BadRecordReason>, Vec<Event>) {
    support::parse(&GoogleWorkspace, record)
}

fn fixture_lines() -> Vec<String> {
    support::fixture_lines("gws/activities.jsonl")
}

fn events(uq: &str) -> Vec<Event> {
    let line = fixture_lines()
        .into_iter()
        .find(|l| l.contains(&format!("\"uniqueQualifier\": \"{uq}\"")))
        .unwrap();
    let (r, out) = parse(&line);
    assert_eq!(r, Ok(Parsed::Events), "{uq}");
    out
}

fn sign_in(e: &Event) -> &SignIn {
    match &e.activity {
        Activity::SignIn(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn login_success_with_network_info_and_suspicion() {
    let out = events("g-01");
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!(e.id, "login/2024-05-01T09:00:00.000Z/g-01#login_success");
    assert_eq!(e.time.to_string(), "2024-05-01T09:00:00.000Z");
    assert_eq!(e.tenant.as_deref(), Some("C03az79cb"));
    assert_eq!(e.identity().unwrap().as_str(), "alice@example.com");
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("100000000000000000001")
    );
    assert_eq!(e.origin.ip.unwrap().to_string(), "81.2.69.142");
    assert_eq!(e.origin.asn, Some(20712));
    assert_eq!(e.origin.country.as_deref(), Some("GB"));
    assert_eq!(e.origin.region.as_deref(), Some("GB-LND"));
    let s = sign_in(e);
    assert!(s.outcome.is_success() && s.stage == SignInStage::Primary);
    assert_eq!(e.vendor_signals.reasons, vec!["is_suspicious"]);
}

#[test]
fn failures_challenges_and_verifications() {
    let e = &events("g-02")[0];
    assert_eq!(
        sign_in(e).outcome,
        Outcome::Failure {
            reason: FailureReason::BadPassword
        }
    );
    let e = &events("g-03")[0];
    let s = sign_in(e);
    assert_eq!((s.stage, s.factor), (SignInStage::Mfa, Some(Factor::Push)));
    assert_eq!(
        s.outcome,
        Outcome::Failure {
            reason: FailureReason::MfaFailed
        }
    );
    let e = &events("g-04")[0];
    let s = sign_in(e);
    assert_eq!((s.stage, s.factor), (SignInStage::Mfa, Some(Factor::Sms)));
    assert!(s.outcome.is_success());
}

#[test]
fn split_shape_account_warning_names_the_affected_user() {
    let e = &events("g-05")[0];
    assert_eq!(
        e.activity,
        Activity::Other {
            name: "suspicious_login".into()
        }
    );
    assert_eq!(e.vendor_signals.reasons, vec!["suspicious_login"]);
    assert_eq!(e.identity().unwrap().as_str(), "bob@example.com");
}

#[test]
fn logout_and_account_changes() {
    assert_eq!(events("g-06")[0].activity, Activity::SessionRevoke);
    assert_eq!(
        events("g-07")[0].activity,
        Activity::AccountChange(AccountChange::MfaFactorEnrolled { factor: None })
    );
    assert_eq!(
        events("g-08")[0].activity,
        Activity::AccountChange(AccountChange::MfaFactorRemoved { factor: None })
    );
    assert_eq!(
        events("g-09")[0].activity,
        Activity::AccountChange(AccountChange::PasswordChanged)
    );
}

#[test]
fn mail_forwarding_and_filters() {
    assert_eq!(
        events("g-10")[0].activity,
        Activity::MailboxForwarding(MailboxForwarding {
            forward_to: Some("drop@evil.example".into()),
            ..MailboxForwarding::default()
        })
    );
    // One admin activity with two events: two events with distinct ids. An organisational
    // unit's Gmail settings name no mailbox, so they are context about the admin.
    let out = events("g-11");
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].id,
        "admin/2024-05-01T09:10:00.000Z/g-11#CREATE_GMAIL_SETTING"
    );
    assert_eq!(
        out[1].id,
        "admin/2024-05-01T09:10:00.000Z/g-11#CREATE_GMAIL_SETTING#1"
    );
    assert_eq!(
        out[0].activity,
        Activity::Other {
            name: "CREATE_GMAIL_SETTING MAIL_FILTER".into()
        }
    );
    assert_eq!(
        out[1].activity,
        Activity::Other {
            name: "CREATE_GMAIL_SETTING EMAIL_FORWARDING".into()
        }
    );
    assert!(out
        .iter()
        .all(|e| e.identity().unwrap().as_str() == "admin@example.com"));
}

#[test]
fn admin_password_and_role_changes() {
    let out = events("g-12");
    assert_eq!(
        out[0].activity,
        Activity::AccountChange(AccountChange::PasswordReset)
    );
    assert_eq!(
        out[1].activity,
        Activity::AccountChange(AccountChange::RoleGranted {
            role: Some("_SEED_ADMIN_ROLE".into())
        })
    );
    assert_eq!(out[1].identity().unwrap().as_str(), "bob@example.com");
}

/// `CHANGE_`/`DELETE_GMAIL_SETTING` in the documented shape (`ORG_UNIT_NAME`,
/// `SETTING_DESCRIPTION`, `SETTING_NAME`, `USER_DEFINED_SETTING_NAME`): an organisational unit's
/// setting, kept as context about the admin who changed it.
#[test]
fn gmail_setting_changes_and_deletions() {
    let out = events("g-15");
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].id,
        "admin/2024-05-01T09:14:00.000Z/g-15#CHANGE_GMAIL_SETTING"
    );
    assert_eq!(
        out[0].activity,
        Activity::Other {
            name: "CHANGE_GMAIL_SETTING MAIL_FILTER".into()
        }
    );

    let out = events("g-16");
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].id,
        "admin/2024-05-01T09:15:00.000Z/g-16#DELETE_GMAIL_SETTING"
    );
    assert_eq!(
        out[1].id,
        "admin/2024-05-01T09:15:00.000Z/g-16#DELETE_GMAIL_SETTING#1"
    );
    assert_eq!(
        out[0].activity,
        Activity::Other {
            name: "DELETE_GMAIL_SETTING MAIL_FILTER".into()
        }
    );
    assert_eq!(
        out[1].activity,
        Activity::Other {
            name: "DELETE_GMAIL_SETTING EMAIL_FORWARDING".into()
        }
    );
    // Never a mailbox rule or forwarding: no user's mailbox is named.
    assert!(out.iter().all(
        |e| e.actor.as_ref().unwrap().key.as_str() == "admin@example.com" && e.subject.is_none()
    ));

    // Every setting is kept the same way, a custom mail route included.
    assert_eq!(
        events("g-17")[0].activity,
        Activity::Other {
            name: "CHANGE_GMAIL_SETTING EMAIL_ROUTE".into()
        }
    );
}

#[test]
fn grant_admin_privilege_is_a_role_grant_for_the_user() {
    let out = events("g-18");
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!(
        e.id,
        "admin/2024-05-01T09:17:00.000Z/g-18#GRANT_ADMIN_PRIVILEGE"
    );
    // The event names no role: it makes the user a super administrator.
    assert_eq!(
        e.activity,
        Activity::AccountChange(AccountChange::RoleGranted { role: None })
    );
    assert_eq!(e.identity().unwrap().as_str(), "bob@example.com");
    assert_eq!(e.actor.as_ref().unwrap().key.as_str(), "admin@example.com");
}

#[test]
fn saml_failure_is_a_failed_sso_sign_in() {
    let out = events("g-19");
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!(e.id, "saml/2024-05-01T09:18:00.000Z/g-19#login_failure");
    assert!(e.activity.is_failed_sign_in());
    let s = sign_in(e);
    assert_eq!(s.stage, SignInStage::Sso);
    assert_eq!(s.app.as_deref(), Some("AWS"));
    // The reason is Google's documented `failure_type`.
    assert_eq!(
        s.outcome,
        Outcome::Failure {
            reason: FailureReason::Other("failure_app_not_configured_for_user".into())
        }
    );
    assert_eq!(e.identity().unwrap().as_str(), "alice@example.com");
}

#[test]
fn saml_sign_in_names_the_app() {
    let s = sign_in(&events("g-13")[0]).clone();
    assert_eq!(s.stage, SignInStage::Sso);
    assert_eq!(s.app.as_deref(), Some("AWS"));
}

#[test]
fn unmapped_applications_are_unsupported() {
    let line = fixture_lines()
        .into_iter()
        .find(|l| l.contains("g-14"))
        .unwrap();
    assert_eq!(parse(&line).0, Ok(Parsed::Unsupported("drive view".into())));
}

#[test]
fn every_fixture_line_is_sniffed_and_parsed() {
    for line in fixture_lines() {
        assert!(GoogleWorkspace.sniff(line.as_bytes()));
        assert!(parse(&line).0.is_ok(), "{line}");
    }
}

#[test]
fn sniff_rejects_other_vendors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in [
        "okta/system_log.jsonl",
        "duo/authentication.jsonl",
        "cloudtrail/console_login.jsonl",
    ] {
        for line in std::fs::read_to_string(dir.join(f)).unwrap().lines() {
            assert!(!GoogleWorkspace.sniff(line.as_bytes()), "{f}: {line}");
        }
    }
    for other in [
        r#"{"class_uid":3002,"time":1,"unmapped":{"applicationName":"login","events":[]}}"#,
        r#"{"id":"1","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"a@b.c","appDisplayName":"x"}"#,
        r#"{"CreationTime":"2024-05-01T09:00:00","Workload":"Exchange","Operation":"New-InboxRule"}"#,
    ] {
        assert!(!GoogleWorkspace.sniff(other.as_bytes()), "{other}");
    }
}

#[test]
fn malformed_records_get_typed_reasons() {
    let ev = r#""events":[{"type":"login","name":"logout"}]"#;
    let case = |id: &str| parse(&format!(r#"{{"id":{id},{ev}}}"#)).0;
    assert_eq!(
        case(r#"{"applicationName":"login","uniqueQualifier":"1"}"#),
        Err(BadRecordReason::MissingField("id.time"))
    );
    assert!(matches!(
        case(r#"{"applicationName":"login","uniqueQualifier":"1","time":"02/10/2020"}"#),
        Err(BadRecordReason::BadTime(_))
    ));
    assert!(matches!(
        case(r#"{"applicationName":"login","uniqueQualifier":"1","time":1601650800}"#),
        Err(BadRecordReason::BadValue {
            field: "id.time",
            ..
        })
    ));
    assert_eq!(
        case(r#"{"applicationName":"login","time":"2020-10-02T15:00:00Z"}"#),
        Err(BadRecordReason::MissingField("id.uniqueQualifier"))
    );
    assert!(matches!(
        case(r#"{"applicationName":true,"uniqueQualifier":"1","time":"2020-10-02T15:00:00Z"}"#),
        Err(BadRecordReason::BadValue {
            field: "id.applicationName",
            ..
        })
    ));
    assert_eq!(
        parse(&format!("{{{ev}}}")).0,
        Err(BadRecordReason::MissingField("id"))
    );
    assert!(matches!(
        parse(r#"{"id":{"#).0,
        Err(BadRecordReason::Json(_))
    ));
    // A numeric uniqueQualifier (as Elastic's sample has) is an id all the same.
    let (r, out) = parse(&format!(
        r#"{{"id":{{"applicationName":"login","uniqueQualifier":-42,"time":"2020-10-02T15:00:00Z"}},{ev}}}"#
    ));
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].id, "login/2020-10-02T15:00:00.000Z/-42#logout");
    // Wrong types where the adapter can do without the field are tolerated.
    let (r, out) = parse(
        r#"{"id":{"applicationName":"login","uniqueQualifier":"1","time":"2020-10-02T15:00:00Z"},"actor":"x","ipAddress":5,"networkInfo":{"ipAsn":"AS1"},"events":[7,{"name":"login_success","parameters":{"name":"is_suspicious","boolValue":"true"}}]}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].actor, None);
    assert_eq!(out[0].vendor_signals.reasons, vec!["is_suspicious"]);
}

#[test]
fn duplicate_keys_last_one_wins() {
    let (r, out) = parse(
        r#"{"id":{"applicationName":"drive","applicationName":"login","uniqueQualifier":"1","time":"2020-10-02T15:00:00Z"},"actor":{"email":"a@x.com","email":"b@x.com"},"events":{"name":"login_success","name":"logout"}}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].activity, Activity::SessionRevoke);
    assert_eq!(out[0].identity().unwrap().as_str(), "b@x.com");
}

const KEYS: &[&str] = &[
    "kind",
    "id",
    "time",
    "uniqueQualifier",
    "applicationName",
    "customerId",
    "actor",
    "email",
    "profileId",
    "ipAddress",
    "networkInfo",
    "ipAsn",
    "regionCode",
    "subdivisionCode",
    "events",
    "type",
    "name",
    "parameters",
    "value",
    "boolValue",
    "intValue",
    "multiValue",
];

const VALUES: &[&str] = &[
    "2020-10-02T15:00:00Z",
    "admin#reports#activity",
    "login",
    "saml",
    "user_accounts",
    "admin",
    "login_success",
    "login_failure",
    "login_challenge",
    "login_verification",
    "logout",
    "account_warning",
    "suspicious_login",
    "email_forwarding_out_of_domain",
    "CREATE_GMAIL_SETTING",
    "SETTING_NAME",
    "MAIL_FILTER",
    "EMAIL_FORWARDING",
    "USER_EMAIL",
    "login_challenge_method",
    "login_challenge_status",
    "is_suspicious",
    "affected_email_address",
    "Challenge Failed.",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    support::vendor_json(KEYS, VALUES)
}

proptest! {
    #[test]
    fn vendor_shaped_noise_never_panics(
        fields in prop::collection::vec((prop::sample::select(KEYS), arb_json()), 0..10),
        app in prop::sample::select(VALUES),
        events in arb_json(),
    ) {
        let mut obj: serde_json::Map<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        obj.entry("id".to_owned()).or_insert(serde_json::json!({
            "time": "2020-10-02T15:00:00Z", "uniqueQualifier": "1", "applicationName": app
        }));
        obj.entry("events".to_owned()).or_insert(events);
        let text = Value::Object(obj).to_string();
        let _ = GoogleWorkspace.sniff(text.as_bytes());
        let _ = GoogleWorkspace.parse(text.as_bytes(), &mut Vec::new(), &mut Notes::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = GoogleWorkspace.sniff(&bytes);
        let _ = GoogleWorkspace.parse(&bytes, &mut Vec::new(), &mut Notes::default());
    }
}

fn tally(file: &str, whole: bool) -> Option<BTreeMap<String, usize>> {
    support::tally(&GoogleWorkspace, file, whole)
}

use support::counts;

#[test]
fn real_samples_read_with_zero_bad_records() {
    // 17 split-shape login activities: 9 account_warning events and risky_sensitive_action_allowed
    // (other); login_failure, login_challenge, 2 login_verification, 2 login_success (sign-ins);
    // logout.
    let Some(c) = tally(
        "elastic_integrations/google_workspace/test-login.log",
        false,
    ) else {
        return;
    };
    assert_eq!(
        c,
        counts(&[("other", 10), ("sign_in", 6), ("session_revoke", 1)])
    );
    // 48 activities: 2 saml login_success, 1 email_forwarding_out_of_domain; 45 others
    // (drive, meet, chrome, calendar, admin console views, tokens, ...) unsupported.
    let c = tally(
        "sekoia_intake_formats/google_workspace_reports.ndjson",
        false,
    )
    .unwrap();
    assert_eq!(
        c,
        counts(&[
            ("sign_in", 2),
            ("mailbox_forwarding", 1),
            ("unsupported", 45)
        ])
    );
}

/// Google's id of an activity is its application, time and unique qualifier: the qualifier is
/// unique only among activities of the same time. Two sign-ins that share a qualifier at other
/// times (or in other applications) are two events, never one the pipeline would deduplicate.
#[test]
fn a_qualifier_repeated_at_another_time_or_application_is_another_event() {
    let record = |app: &str, time: &str| {
        format!(
            r#"{{"kind":"admin#reports#activity","id":{{"time":"{time}","uniqueQualifier":"7","applicationName":"{app}"}},"actor":{{"email":"ana@example.com"}},"ipAddress":"81.2.69.142","events":[{{"type":"login","name":"login_success"}}]}}"#
        )
    };
    let ids: Vec<String> = [
        record("login", "2024-05-01T09:00:00Z"),
        record("login", "2024-05-01T09:00:00.000Z"),
        record("login", "2024-05-01T10:30:00Z"),
        record("saml", "2024-05-01T10:30:00Z"),
    ]
    .iter()
    .map(|r| {
        let (result, out) = parse(r);
        assert_eq!(result, Ok(Parsed::Events), "{r}");
        out[0].id.clone()
    })
    .collect();
    assert_eq!(ids[0], "login/2024-05-01T09:00:00.000Z/7#login_success");
    assert_eq!(
        ids[0], ids[1],
        "the same time, written two ways, is the same activity"
    );
    assert_ne!(ids[0], ids[2]);
    assert_ne!(ids[2], ids[3]);
}
