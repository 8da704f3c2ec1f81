//! The OCSF adapter on the project's own fixtures (OCSF 1.3 shapes written from the schema).
#![allow(clippy::unwrap_used)]
#![cfg(feature = "ocsf")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade_ingest::{BadRecordReason, FileReport, Ingest, IngestError, Location};
use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, MfaPrompt, PromptResult, SignInStage,
    Source,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ocsf")
        .join(name)
}

fn read(name: &str) -> (FileReport, Vec<Event>, Vec<IngestError>) {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let report = Ingest::new()
        .read_path(&fixture(name), |e| events.push(e), |p| problems.push(p))
        .unwrap();
    (report, events, problems)
}

fn by_id<'a>(events: &'a [Event], id: &str) -> &'a Event {
    events
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

fn bad_at(problems: &[IngestError]) -> Vec<(Location, String)> {
    problems
        .iter()
        .map(|p| match p {
            IngestError::BadRecord {
                location, reason, ..
            } => (*location, reason.to_string()),
            other => panic!("unexpected {other}"),
        })
        .collect()
}

#[test]
fn authentication_fixture_counts_and_bad_lines() {
    let (report, events, problems) = read("auth_mixed.ocsf.jsonl");
    assert_eq!(report.records_read, 13);
    assert_eq!(report.events, 9);
    assert_eq!(events.len(), 9);
    assert_eq!(report.bad_records, 3);
    assert_eq!(report.coords_dropped, 1);
    assert!(!report.truncated);
    assert_eq!(
        report.skipped_unsupported,
        BTreeMap::from([("ocsf class 4001".to_string(), 1)])
    );
    let bad = bad_at(&problems);
    assert_eq!(
        bad.iter().map(|b| b.0).collect::<Vec<_>>(),
        [Location::Line(3), Location::Line(11), Location::Line(13)]
    );
    assert!(bad[2].1.contains("bad event time"), "{}", bad[2].1);
    assert!(events.iter().all(|e| e.source == Source::Ocsf));
}

#[test]
fn successful_logon_carries_origin() {
    let (_, events, _) = read("auth_mixed.ocsf.jsonl");
    let e = by_id(&events, "auth-001");
    assert_eq!(e.time.to_string(), "2024-05-13T09:00:00.000Z");
    assert_eq!(e.identity().unwrap().as_str(), "alice@contoso.example");
    let actor = e.actor.as_ref().unwrap();
    assert_eq!(actor.vendor_id.as_deref(), Some("00u-alice"));
    assert_eq!(actor.display_name.as_deref(), Some("Alice Liddell"));
    assert!(e.subject.is_none());
    let Activity::SignIn(s) = &e.activity else {
        panic!("{:?}", e.activity)
    };
    assert_eq!(s.stage, SignInStage::Primary);
    assert!(s.outcome.is_success());
    assert_eq!(s.mfa_satisfied, Some(false));
    let o = &e.origin;
    assert_eq!(o.ip, Some("81.2.69.142".parse().unwrap()));
    let geo = o.geo.unwrap();
    assert_eq!((geo.lat, geo.lon), (51.5142, -0.0931));
    assert_eq!(o.country.as_deref(), Some("GB"));
    assert_eq!(o.city.as_deref(), Some("London"));
    assert_eq!(o.asn, Some(20712));
    assert_eq!(o.as_org.as_deref(), Some("Andrews & Arnold Ltd"));
    assert!(o
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("Mozilla/5.0 (Windows NT 10.0"));
    assert_eq!(o.device_id.as_deref(), Some("dev-7781"));
    assert_eq!(o.session_id.as_deref(), Some("sess-102"));
}

#[test]
fn failures_mfa_steps_and_prompts() {
    let (_, events, _) = read("auth_mixed.ocsf.jsonl");
    let failed = by_id(&events, "auth-002");
    assert!(failed.activity.is_failed_sign_in());
    let Activity::SignIn(s) = &failed.activity else {
        panic!()
    };
    assert_eq!(
        s.outcome,
        palisade_schema::Outcome::Failure {
            reason: FailureReason::BadPassword
        }
    );
    assert_eq!(failed.origin.country.as_deref(), Some("SE"));

    let step = by_id(&events, "auth-004");
    let Activity::SignIn(s) = &step.activity else {
        panic!()
    };
    assert_eq!(s.stage, SignInStage::Mfa);
    assert_eq!(s.factor, Some(Factor::Push));
    assert_eq!(
        s.outcome,
        palisade_schema::Outcome::Failure {
            reason: FailureReason::MfaDenied
        }
    );
    assert_eq!(step.correlation_id.as_deref(), Some("txn-55"));

    assert_eq!(
        by_id(&events, "auth-005").activity,
        Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Push,
            result: PromptResult::Sent
        })
    );
    assert_eq!(
        by_id(&events, "auth-005").correlation_id.as_deref(),
        Some("txn-56")
    );
    assert_eq!(
        by_id(&events, "auth-006").activity,
        Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Push,
            result: PromptResult::FraudReported
        })
    );
}

#[test]
fn logoff_sso_coordinates_and_seconds() {
    let (_, events, _) = read("auth_mixed.ocsf.jsonl");
    let logoff = by_id(&events, "auth-008");
    assert_eq!(logoff.activity, Activity::SessionRevoke);
    assert_eq!(logoff.origin.session_id.as_deref(), Some("sess-102"));
    assert_eq!(logoff.identity().unwrap().as_str(), "alice@contoso.example");

    let Activity::SignIn(sso) = &by_id(&events, "auth-009").activity else {
        panic!()
    };
    assert_eq!(sso.stage, SignInStage::Sso);
    assert_eq!(sso.app.as_deref(), Some("Salesforce"));

    let far = by_id(&events, "auth-012");
    assert!(far.origin.geo.is_none());
    assert_eq!(far.origin.country.as_deref(), Some("CN"));

    let bob = by_id(&events, "auth-014");
    assert_eq!(bob.identity().unwrap().as_str(), "bob@contoso.example");
    assert_eq!(bob.time.to_string(), "2024-05-13T09:05:00.000Z");
}

#[test]
fn account_changes() {
    let (report, events, problems) = read("account_change.ocsf.jsonl");
    assert!(problems.is_empty());
    assert_eq!(report.events, 5);
    assert_eq!(
        report.skipped_unsupported,
        BTreeMap::from([
            ("ocsf class 3001 activity 1".to_string(), 1),
            ("ocsf class 3001 activity 6".to_string(), 1)
        ])
    );
    let change = |id: &str| match &by_id(&events, id).activity {
        Activity::AccountChange(c) => c.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(change("chg-1"), AccountChange::PasswordChanged);
    assert_eq!(change("chg-2"), AccountChange::PasswordReset);
    assert_eq!(
        change("chg-3"),
        AccountChange::RoleGranted {
            role: Some("Global Administrator".into())
        }
    );
    assert_eq!(
        change("chg-4"),
        AccountChange::MfaFactorEnrolled { factor: None }
    );
    assert_eq!(
        change("chg-5"),
        AccountChange::MfaFactorRemoved { factor: None }
    );

    // The user changing their own password is the actor, with no separate subject.
    let own = by_id(&events, "chg-1");
    assert_eq!(
        own.actor.as_ref().unwrap().key.as_str(),
        "alice@contoso.example"
    );
    assert!(own.subject.is_none());
    // A help desk reset: the help desk acts, Alice's account is the subject.
    let reset = by_id(&events, "chg-2");
    assert_eq!(
        reset.actor.as_ref().unwrap().key.as_str(),
        "helpdesk@contoso.example"
    );
    assert_eq!(
        reset.subject.as_ref().unwrap().key.as_str(),
        "alice@contoso.example"
    );
    assert_eq!(reset.identity().unwrap().as_str(), "alice@contoso.example");
}

#[test]
fn pretty_single_record_and_array_with_a_bad_element() {
    let (report, events, problems) = read("single_pretty.ocsf.json");
    assert!(problems.is_empty());
    assert_eq!((report.records_read, report.events), (1, 1));
    assert_eq!(events[0].id, "pretty-1");

    let (report, events, problems) = read("array.ocsf.json");
    assert_eq!(
        (report.records_read, report.events, report.bad_records),
        (3, 2, 1)
    );
    assert_eq!(
        events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["arr-0", "arr-2"]
    );
    let text = std::fs::read_to_string(fixture("array.ocsf.json")).unwrap();
    let element_lines: Vec<u64> = (1u64..)
        .zip(text.lines())
        .filter(|(_, l)| *l == "  {")
        .map(|(n, _)| n)
        .collect();
    let bad = bad_at(&problems);
    assert_eq!(
        bad[0].0,
        Location::Index {
            index: 1,
            line: element_lines[1]
        }
    );
    assert!(bad[0].1.contains("`time` is not a number"));
}

#[test]
fn malformed_records_between_good_ones_in_memory() {
    let good = r#"{"class_uid":3002,"activity_id":1,"status_id":1,"time":1715590800000,"user":{"name":"carol@x.example"},"metadata":{"uid":"g"}}"#;
    let input = format!("{good}\n[]\n{{\"class_uid\":3002,\"time\":1715590800000,\"user\":{{\"name\":}}}}\n42\n{good}\n");
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("mem"),
        input.as_bytes(),
        |e| events.push(e),
        |p| problems.push(p),
    );
    assert_eq!(report.events, 2);
    let bad = bad_at(&problems);
    assert_eq!(
        bad.iter().map(|b| b.0).collect::<Vec<_>>(),
        [Location::Line(3), Location::Line(4)]
    );
    assert!(matches!(
        problems[0],
        IngestError::BadRecord {
            reason: BadRecordReason::Json(_),
            ..
        }
    ));
}

/// OCSF before 1.3 gave a location's point as `coordinates`, longitude first (GeoJSON order);
/// 1.3 added `lat`/`long`, which win when both are there.
#[test]
fn coordinates_of_earlier_ocsf_versions_are_longitude_first() {
    let record = |uid: &str, location: &str| {
        format!(
            r#"{{"class_uid":3002,"activity_id":1,"status_id":1,"time":1715590800000,"metadata":{{"uid":"{uid}","version":"1.1.0"}},"user":{{"name":"carol@x.example"}},"src_endpoint":{{"ip":"1.129.10.20","location":{location}}}}}"#
        )
    };
    let input = [
        record(
            "pair",
            r#"{"city":"Sydney","country":"AU","coordinates":[151.2093,-33.8688]}"#,
        ),
        record("altitude", r#"{"coordinates":[8.6821,50.1109,112.0]}"#),
        record(
            "both",
            r#"{"lat":51.5,"long":-0.12,"coordinates":[151.2,-33.8]}"#,
        ),
        record("out_of_range", r#"{"coordinates":[200.0,95.0]}"#),
        record("one_number", r#"{"coordinates":[151.2]}"#),
        record("not_an_array", r#"{"coordinates":"151.2,-33.8"}"#),
        record("none", r#"{"country":"AU"}"#),
    ]
    .join("\n");
    let mut events = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("mem"),
        input.as_bytes(),
        |e| events.push(e),
        |p| panic!("{p}"),
    );
    assert_eq!(report.events, 7);
    let point = |id: &str| by_id(&events, id).origin.geo.map(|g| (g.lat, g.lon));
    assert_eq!(point("pair"), Some((-33.8688, 151.2093)));
    assert_eq!(point("altitude"), Some((50.1109, 8.6821)));
    assert_eq!(point("both"), Some((51.5, -0.12)));
    for unusable in ["out_of_range", "one_number", "not_an_array", "none"] {
        assert_eq!(point(unusable), None, "{unusable}");
    }
    // Present but unusable points are counted; an absent one is not.
    assert_eq!(report.coords_dropped, 3);
    assert_eq!(
        by_id(&events, "pair").origin.city.as_deref(),
        Some("Sydney")
    );
}
