//! CloudTrail `ConsoleLogin` adapter: fixtures, malformed records, a structure-aware property
//! test, and the real public samples in `../shared/data`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_ingest::cloudtrail::CloudTrail;
use palisade_ingest::{Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::{
    Activity, Event, Factor, FailureReason, Outcome, SignIn, SignInKind, SignInStage,
};
use proptest::prelude::*;
use serde_json::Value;

fn parse(record: &str) -> (Result<Parsed, BadRecordReason>, Vec<Event>) {
    support::parse(&CloudTrail, record)
}

fn fixture_lines() -> Vec<String> {
    support::fixture_lines("cloudtrail/console_login.jsonl")
}

fn event(id: &str) -> Event {
    let line = fixture_lines()
        .into_iter()
        .find(|l| l.contains(&format!("\"eventID\": \"{id}\"")))
        .unwrap();
    let (r, mut out) = parse(&line);
    assert_eq!(r, Ok(Parsed::Events), "{id}");
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn sign_in(e: &Event) -> &SignIn {
    match &e.activity {
        Activity::SignIn(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn iam_user_success_with_mfa() {
    let e = event("c-01");
    assert_eq!(e.time.to_string(), "2024-05-01T09:00:00.000Z");
    assert_eq!(e.identity().unwrap().as_str(), "anaya");
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("arn:aws:iam::111122223333:user/Anaya")
    );
    assert_eq!(e.tenant.as_deref(), Some("111122223333"));
    assert_eq!(e.sign_in_kind, Some(SignInKind::Interactive));
    assert_eq!(e.origin.ip.unwrap().to_string(), "81.2.69.142");
    assert!(e
        .origin
        .user_agent
        .as_deref()
        .unwrap()
        .contains("Chrome/124"));
    let s = sign_in(&e);
    assert_eq!(s.stage, SignInStage::Primary);
    assert!(s.outcome.is_success());
    assert_eq!(s.mfa_satisfied, Some(true));
    assert_eq!(s.factor, Some(Factor::Totp));
}

#[test]
fn failures_and_roles() {
    let e = event("c-02");
    assert_eq!(
        sign_in(&e).outcome,
        Outcome::Failure {
            reason: FailureReason::BadPassword
        }
    );
    assert_eq!(sign_in(&e).mfa_satisfied, Some(false));
    // The session name of an assumed role is the person behind it.
    let e = event("c-03");
    assert_eq!(e.identity().unwrap().as_str(), "alice@example.com");
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com")
    );
    let e = event("c-04");
    assert_eq!(
        e.identity().unwrap().as_str(),
        "arn:aws:iam::111122223333:root"
    );
    // A name that does not exist: a failed sign-in with no identity to pin it on.
    let e = event("c-05");
    assert_eq!(e.actor, None);
    assert_eq!(
        sign_in(&e).outcome,
        Outcome::Failure {
            reason: FailureReason::UnknownUser
        }
    );
}

#[test]
fn other_event_names_are_unsupported() {
    let line = fixture_lines()
        .into_iter()
        .find(|l| l.contains("c-06"))
        .unwrap();
    assert_eq!(
        parse(&line).0,
        Ok(Parsed::Unsupported("cloudtrail GetSigninToken".into()))
    );
    let insight = r#"{"eventVersion":"1.08","eventTime":"2022-09-05T07:45:00Z","eventID":"i1","eventType":"AwsCloudTrailInsight","insightDetails":{"eventName":"GetBucketPolicy"}}"#;
    assert_eq!(
        parse(insight).0,
        Ok(Parsed::Unsupported(
            "cloudtrail AwsCloudTrailInsight".into()
        ))
    );
}

#[test]
fn every_fixture_line_is_sniffed_and_parsed() {
    for line in fixture_lines() {
        assert!(CloudTrail.sniff(line.as_bytes()));
        assert!(parse(&line).0.is_ok(), "{line}");
    }
}

#[test]
fn sniff_rejects_other_vendors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in [
        "okta/system_log.jsonl",
        "duo/authentication.jsonl",
        "gws/activities.jsonl",
    ] {
        for line in std::fs::read_to_string(dir.join(f)).unwrap().lines() {
            assert!(!CloudTrail.sniff(line.as_bytes()), "{f}: {line}");
        }
    }
    for other in [
        r#"{"class_uid":3002,"time":1,"metadata":{"version":"1.1.0"}}"#,
        r#"{"id":"1","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"a@b.c"}"#,
        r#"{"CreationTime":"2024-05-01T09:00:00","Workload":"Exchange","Operation":"New-InboxRule"}"#,
    ] {
        assert!(!CloudTrail.sniff(other.as_bytes()), "{other}");
    }
}

#[test]
fn malformed_records_get_typed_reasons() {
    let base = r#""eventVersion":"1.08","eventName":"ConsoleLogin","eventID":"e1","responseElements":{"ConsoleLogin":"Success"}"#;
    let case = |extra: &str| parse(&format!("{{{base}{extra}}}")).0;
    assert_eq!(case(""), Err(BadRecordReason::MissingField("eventTime")));
    assert!(matches!(
        case(r#","eventTime":"2014-13-45T00:00:00Z""#),
        Err(BadRecordReason::BadTime(_))
    ));
    assert!(matches!(
        case(r#","eventTime":"2200-01-01T00:00:00Z""#),
        Err(BadRecordReason::BadTime(_))
    ));
    assert!(matches!(
        case(r#","eventTime":true"#),
        Err(BadRecordReason::BadValue {
            field: "eventTime",
            ..
        })
    ));
    assert!(matches!(
        parse(r#"{"eventName":"ConsoleLogin","eventTime":"2014-07-16T15:49:27Z"}"#).0,
        Err(BadRecordReason::MissingField("eventID"))
    ));
    assert!(matches!(
        parse(r#"{"eventVersion":"1.08","eventTime":"2014-07-16T15:49:27Z"}"#).0,
        Err(BadRecordReason::MissingField("eventName"))
    ));
    assert!(matches!(
        parse(r#"{"Records":[]"#).0,
        Err(BadRecordReason::Json(_))
    ));
    assert!(matches!(parse("42").0, Err(BadRecordReason::Json(_))));
    // Wrong types where the adapter can do without the field are tolerated.
    let (r, out) = parse(
        r#"{"eventName":"ConsoleLogin","eventTime":"2014-07-16T15:49:27Z","eventID":"e1","responseElements":{"ConsoleLogin":"Failure"},"userIdentity":"root","sourceIPAddress":"AWS Internal","additionalEventData":[]}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].actor, None);
    assert_eq!(out[0].origin.ip, None);
}

#[test]
fn duplicate_keys_last_one_wins() {
    let (r, out) = parse(
        r#"{"eventName":"GetSigninToken","eventName":"ConsoleLogin","eventTime":"2014-07-16T15:49:27Z","eventID":"e1","responseElements":{"ConsoleLogin":"Failure","ConsoleLogin":"Success"},"userIdentity":{"type":"IAMUser","userName":"a","userName":"b"}}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert!(out[0].activity.is_successful_sign_in());
    assert_eq!(out[0].identity().unwrap().as_str(), "b");
}

const KEYS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventID",
    "eventName",
    "eventType",
    "eventSource",
    "sourceIPAddress",
    "userAgent",
    "errorMessage",
    "recipientAccountId",
    "userIdentity",
    "type",
    "userName",
    "arn",
    "principalId",
    "accountId",
    "responseElements",
    "ConsoleLogin",
    "additionalEventData",
    "MFAUsed",
    "MFAIdentifier",
];

const VALUES: &[&str] = &[
    "2014-07-16T15:49:27Z",
    "ConsoleLogin",
    "Success",
    "Failure",
    "Yes",
    "No",
    "IAMUser",
    "AssumedRole",
    "Root",
    "FederatedUser",
    "arn:aws:sts::1:assumed-role/r/s",
    "arn:aws:sts::1:assumed-role/",
    "arn:aws:sts::1:federated-user/",
    "HIDDEN_DUE_TO_SECURITY_REASONS",
    "Failed authentication",
    "AWS Internal",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    support::vendor_json(KEYS, VALUES)
}

proptest! {
    #[test]
    fn vendor_shaped_noise_never_panics(
        fields in prop::collection::vec((prop::sample::select(KEYS), arb_json()), 0..14),
    ) {
        let mut obj: serde_json::Map<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        obj.entry("eventName".to_owned()).or_insert(Value::from("ConsoleLogin"));
        let text = Value::Object(obj).to_string();
        let _ = CloudTrail.sniff(text.as_bytes());
        let _ = CloudTrail.parse(text.as_bytes(), &mut Vec::new(), &mut Notes::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = CloudTrail.sniff(&bytes);
        let _ = CloudTrail.parse(&bytes, &mut Vec::new(), &mut Notes::default());
    }
}

fn tally(file: &str, whole: bool) -> Option<BTreeMap<String, usize>> {
    support::tally(&CloudTrail, file, whole)
}

use support::counts;

#[test]
fn real_samples_read_with_zero_bad_records() {
    // 3 ConsoleLogin: 1 Success (IAMUser), 2 Failure (IAMUser, AssumedRole).
    let Some(c) = tally(
        "elastic_integrations/aws_cloudtrail/test-console-login-json.log",
        false,
    ) else {
        return;
    };
    assert_eq!(c, counts(&[("sign_in", 3)]));
    // One tab-indented ConsoleLogin Success with MFAUsed Yes.
    let c = tally(
        "ocsf_examples/aws_cloudtrail_v1.1.0/authentication.raw",
        true,
    )
    .unwrap();
    assert_eq!(c, counts(&[("sign_in", 1)]));
    // 15 records: 2 ConsoleLogin Success, 13 API calls and an Insights event (unsupported).
    let c = tally("sekoia_intake_formats/aws_cloudtrail.ndjson", false).unwrap();
    assert_eq!(c, counts(&[("sign_in", 2), ("unsupported", 13)]));
}
