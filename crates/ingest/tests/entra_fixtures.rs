//! The Entra adapter on fixtures written from Microsoft's documentation: every mapped sign-in
//! outcome (including the 500121 variants no public sample has), the Azure Monitor envelope,
//! directory audits, malformed records and duplicate keys.

#![cfg(feature = "entra")]
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use palisade_ingest::{entra::Entra, Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::{
    Activity, Event, Factor, FailureReason, MfaPrompt, Outcome, PromptResult, RiskLevel,
    SignInKind, SignInStage,
};

fn fixture(name: &str) -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/entra")
        .join(name);
    std::fs::read(path)
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn parse(record: &[u8]) -> (Result<Parsed, BadRecordReason>, Vec<Event>, Notes) {
    let mut out = Vec::new();
    let mut notes = Notes::default();
    let r = Entra.parse(record, &mut out, &mut notes);
    (r, out, notes)
}

fn events(record: &[u8]) -> Vec<Event> {
    let (r, out, _) = parse(record);
    assert_eq!(r, Ok(Parsed::Events));
    out
}

fn failure(e: &Event) -> (SignInStage, FailureReason) {
    match &e.activity {
        Activity::SignIn(s) => match &s.outcome {
            Outcome::Failure { reason } => (s.stage, reason.clone()),
            Outcome::Success => panic!("success"),
        },
        other => panic!("not a sign-in: {other:?}"),
    }
}

fn prompt(e: &Event) -> MfaPrompt {
    match &e.activity {
        Activity::MfaPrompt(p) => p.clone(),
        other => panic!("not a prompt: {other:?}"),
    }
}

#[test]
fn every_line_is_recognized() {
    for name in ["graph_signins.jsonl", "azure_monitor_and_audit.jsonl"] {
        for line in fixture(name) {
            assert!(Entra.sniff(&line));
        }
    }
}

#[test]
fn approved_push_gives_sign_in_and_approved_prompt() {
    let lines = fixture("graph_signins.jsonl");
    let out = events(&lines[0]);
    assert_eq!(out.len(), 2);
    assert!(out[0].activity.is_successful_sign_in());
    let Activity::SignIn(s) = &out[0].activity else {
        unreachable!()
    };
    assert_eq!(
        (s.factor, s.mfa_satisfied, s.app.as_deref()),
        (Some(Factor::Push), Some(true), Some("OfficeHome"))
    );
    assert_eq!(
        prompt(&out[1]),
        MfaPrompt {
            factor: Factor::Push,
            result: PromptResult::Approved
        }
    );
    assert_eq!(out[1].id, format!("{}:mfa", out[0].id));
    assert_eq!(out[1].correlation_id, out[0].correlation_id);
    assert_eq!(out[1].time, out[0].time);
    assert_eq!(out[0].identity().unwrap().as_str(), "alice@contoso.com");
    assert_eq!(
        out[0].actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("5f1a7c2e-1111-4b6a-9c1d-2c3b4a5d6e7f")
    );
    assert_eq!(out[0].origin.country.as_deref(), Some("GB"));
    assert!(out[0].origin.geo.is_some());
    assert_eq!(out[0].sign_in_kind, Some(SignInKind::Interactive));
}

#[test]
fn mfa_failed_variants() {
    let lines = fixture("graph_signins.jsonl");
    let cases = [
        (
            1,
            FailureReason::MfaDenied,
            PromptResult::Denied,
            Factor::Push,
        ),
        (
            2,
            FailureReason::MfaTimeout,
            PromptResult::TimedOut,
            Factor::Push,
        ),
        (
            3,
            FailureReason::MfaFraudReported,
            PromptResult::FraudReported,
            Factor::Push,
        ),
        (
            4,
            FailureReason::MfaFailed,
            PromptResult::Failed,
            Factor::Sms,
        ),
    ];
    for (line, reason, result, factor) in cases {
        let out = events(&lines[line]);
        assert_eq!(out.len(), 2, "line {line}");
        assert_eq!(failure(&out[0]), (SignInStage::Mfa, reason), "line {line}");
        assert_eq!(prompt(&out[1]), MfaPrompt { factor, result }, "line {line}");
    }
}

#[test]
fn other_failures() {
    let lines = fixture("graph_signins.jsonl");
    let cases = [
        (5, FailureReason::BadPassword),
        (6, FailureReason::MfaRequired),
        (7, FailureReason::Locked),
        (8, FailureReason::PolicyBlocked),
    ];
    for (line, reason) in cases {
        let out = events(&lines[line]);
        assert_eq!(out.len(), 1, "no prompt for line {line}");
        assert_eq!(
            failure(&out[0]),
            (SignInStage::Primary, reason),
            "line {line}"
        );
    }
}

#[test]
fn beta_fields_signals_and_dropped_coordinates() {
    let lines = fixture("graph_signins.jsonl");
    let (r, out, notes) = parse(&lines[9]);
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!(e.sign_in_kind, Some(SignInKind::NonInteractive));
    assert_eq!(e.origin.asn, Some(20712));
    assert_eq!(
        e.origin.session_id.as_deref(),
        Some("0a1b2c3d-4444-4555-8666-777788889999")
    );
    assert_eq!(
        e.origin.device_id.as_deref(),
        Some("d7e8f9a0-1234-4bcd-8ef0-123456789abc")
    );
    assert!(e
        .origin
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("Mozilla/5.0 (X11"));
    // Latitude 123.5 is out of range: dropped and counted, the event kept.
    assert!(e.origin.geo.is_none());
    assert_eq!(e.origin.city.as_deref(), Some("London"));
    assert_eq!(notes.coords_dropped, 1);
    let s = &e.vendor_signals;
    assert_eq!(s.risk_level, Some(RiskLevel::High));
    assert_eq!(s.risk_state.as_deref(), Some("atRisk"));
    assert_eq!(
        s.risk_event_types,
        vec!["anonymizedIPAddress", "unfamiliarFeatures"]
    );
    assert_eq!(s.anonymous_proxy, Some(true));
    assert_eq!(s.network_locations, vec!["namedNetwork"]);
    assert_eq!(s.network_zone.as_deref(), Some("Branch offices"));
    let Activity::SignIn(si) = &e.activity else {
        unreachable!()
    };
    assert_eq!(si.mfa_satisfied, Some(false));
}

#[test]
fn approved_sms_code() {
    let lines = fixture("graph_signins.jsonl");
    let out = events(&lines[10]);
    assert_eq!(
        prompt(&out[1]),
        MfaPrompt {
            factor: Factor::Sms,
            result: PromptResult::Approved
        }
    );
}

#[test]
fn azure_monitor_envelope_and_audits() {
    let lines = fixture("azure_monitor_and_audit.jsonl");
    let out = events(&lines[0]);
    assert_eq!(out.len(), 1);
    // properties.createdDateTime, not the envelope's `time` five minutes later.
    assert_eq!(out[0].time.to_string(), "2024-05-02T10:00:00.123Z");
    assert_eq!(out[0].sign_in_kind, Some(SignInKind::NonInteractive)); // from the category
    assert_eq!(
        out[0].tenant.as_deref(),
        Some("72f988bf-0000-4000-8000-000000000001")
    );
    assert_eq!(
        failure(&out[0]),
        (SignInStage::Primary, FailureReason::BadPassword)
    );

    let (r, out, _) = parse(&lines[1]);
    assert_eq!(
        r,
        Ok(Parsed::Unsupported(
            "entra AuditLogs Add member to group".into()
        ))
    );
    assert!(out.is_empty());

    let out = events(&lines[2]);
    assert_eq!(out[0].activity, Activity::SessionRevoke);
    assert_eq!(out[0].identity().unwrap().as_str(), "alice@contoso.com");
    assert_eq!(
        out[0].actor.as_ref().unwrap().key.as_str(),
        "admin@contoso.com"
    );
}

#[test]
fn malformed_records() {
    let base = String::from_utf8(fixture("graph_signins.jsonl")[5].clone()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&base).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut r = v.clone();
        f(&mut r);
        serde_json::to_vec(&r).unwrap()
    };
    let err = |rec: &[u8]| {
        let (r, out, _) = parse(rec);
        assert!(out.is_empty());
        r.unwrap_err()
    };
    let missing_time = with(&|r| {
        r.as_object_mut().unwrap().remove("createdDateTime");
    });
    assert_eq!(
        err(&missing_time),
        BadRecordReason::MissingField("createdDateTime")
    );
    let bad_time = with(&|r| r["createdDateTime"] = "yesterday".into());
    assert!(matches!(err(&bad_time), BadRecordReason::BadTime(_)));
    let ancient = with(&|r| r["createdDateTime"] = "1970-01-01T00:00:00Z".into());
    assert!(matches!(err(&ancient), BadRecordReason::BadTime(_)));
    let number_time = with(&|r| r["createdDateTime"] = 1714554000.into());
    assert!(matches!(
        err(&number_time),
        BadRecordReason::BadValue {
            field: "createdDateTime",
            ..
        }
    ));
    let no_id = with(&|r| {
        r.as_object_mut().unwrap().remove("id");
    });
    assert_eq!(err(&no_id), BadRecordReason::MissingField("id"));
    let no_status = with(&|r| {
        r.as_object_mut().unwrap().remove("status");
    });
    assert_eq!(err(&no_status), BadRecordReason::MissingField("status"));
    let bad_code = with(&|r| r["status"]["errorCode"] = "fifty".into());
    assert!(matches!(
        err(&bad_code),
        BadRecordReason::BadValue {
            field: "status.errorCode",
            ..
        }
    ));
    assert!(matches!(err(b"{\"id\": "), BadRecordReason::Json(_)));
    assert!(matches!(err(b"[1, 2]"), BadRecordReason::Json(_)));
    assert!(matches!(err(b"not json"), BadRecordReason::Json(_)));

    // Wrong types in fields that are not essential read as absent; the event is kept.
    let sloppy = with(&|r| {
        r["location"] = "London".into();
        r["deviceDetail"] = serde_json::json!([]);
        r["ipAddress"] = 5.into();
        r["authenticationDetails"] = serde_json::json!({"oops": true});
        r["status"]["errorCode"] = "50126".into();
    });
    let out = events(&sloppy);
    assert_eq!(failure(&out[0]).1, FailureReason::BadPassword);
    assert!(out[0].origin.ip.is_none() && out[0].origin.city.is_none());
}

#[test]
fn duplicate_keys_last_wins() {
    let rec = br#"{"id":"d1","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"first@contoso.com",
        "status":{"errorCode":50126,"errorCode":0},"userPrincipalName":"second@contoso.com","ipAddress":"81.2.69.142"}"#;
    let out = events(rec);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].identity().unwrap().as_str(), "second@contoso.com");
    assert!(out[0].activity.is_successful_sign_in());
    // The same in the Azure Monitor envelope.
    let rec = br#"{"category":"AuditLogs","operationName":"x","category":"SignInLogs","properties":
        {"id":"d2","createdDateTime":"2024-05-01T09:00:00Z","status":{"errorCode":0},"userPrincipalName":"a@b.c"}}"#;
    let out = events(rec);
    assert_eq!(out[0].sign_in_kind, Some(SignInKind::Interactive));
}

#[test]
fn sniff_leaves_other_vendors_alone() {
    let others: [&[u8]; 5] = [
        br#"{"uuid":"x","published":"2024-05-01T09:00:00Z","eventType":"user.session.start","actor":{"alternateId":"a@b.c"}}"#,
        br#"{"class_uid":3002,"time":1714554000000,"status":"Success","unmapped":{"createdDateTime":"x","userPrincipalName":"a"}}"#,
        br#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2024-05-01T09:00:00Z"}"#,
        br#"{"txid":"x","isotimestamp":"2024-05-01T09:00:00Z","result":"denied"}"#,
        br#"{"CreationTime":"2024-05-01T09:00:00","Operation":"UserLoggedIn","Workload":"AzureActiveDirectory"}"#,
    ];
    for r in others {
        assert!(!Entra.sniff(r), "{}", String::from_utf8_lossy(r));
    }
}

/// `deviceDetail` names the browser and OS apart from the user agent (and exports without a
/// `userAgent` have only these): both reach `origin.client`; "Unknown" and blanks do not.
#[test]
fn device_detail_browser_and_os_reach_the_origin() {
    let with = br#"{"id":"c1","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"ann@contoso.com",
        "status":{"errorCode":0},"deviceDetail":{"deviceId":"","operatingSystem":"MacOs","browser":"Chrome 77.0.3865"}}"#;
    let client = events(with)[0].origin.client.clone().unwrap();
    assert_eq!(client.browser.as_deref(), Some("Chrome 77.0.3865"));
    assert_eq!(client.os.as_deref(), Some("MacOs"));

    let unknown = br#"{"id":"c2","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"ann@contoso.com",
        "status":{"errorCode":0},"deviceDetail":{"operatingSystem":"Unknown","browser":" "}}"#;
    assert!(events(unknown)[0].origin.client.is_none());

    let mut checked = 0;
    for line in fixture("graph_signins.jsonl") {
        let (r, out, _) = parse(&line);
        if r == Ok(Parsed::Events) && String::from_utf8_lossy(&line).contains("\"Edge 124.0.0\"") {
            let c = out[0].origin.client.as_deref().unwrap();
            assert_eq!(
                (c.browser.as_deref(), c.os.as_deref()),
                (Some("Edge 124.0.0"), Some("Windows 10"))
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 10, "every fixture sign-in that names its browser");
}
