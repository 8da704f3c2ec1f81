//! Okta System Log adapter: fixtures for every mapped event type, malformed records, a
//! structure-aware property test, and the real public samples in `../shared/data`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_ingest::okta::Okta;
use palisade_ingest::{Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::{
    AccountChange, Activity, Event, Factor, FailureReason, MfaPrompt, Outcome, PromptResult,
    RiskLevel, SignInStage,
};
use proptest::prelude::*;
use serde_json::Value;

fn fixture(name: &str) -> Vec<String> {
    support::fixture_lines(&format!("okta/{name}"))
}

fn parse(record: &str) -> (Result<Parsed, BadRecordReason>, Vec<Event>, Notes) {
    let mut out = Vec::new();
    let mut notes = Notes::default();
    let r = Okta.parse(record.as_bytes(), &mut out, &mut notes);
    (r, out, notes)
}

/// The events of the fixture line whose `uuid` is `id`.
fn events(id: &str) -> Vec<Event> {
    let line = fixture("system_log.jsonl")
        .into_iter()
        .find(|l| l.contains(&format!("\"uuid\": \"{id}\"")))
        .unwrap();
    let (r, out, _) = parse(&line);
    assert_eq!(r, Ok(Parsed::Events), "{id}");
    out
}

fn prompt(e: &Event) -> &MfaPrompt {
    match &e.activity {
        Activity::MfaPrompt(p) => p,
        other => panic!("not a prompt: {other:?}"),
    }
}

#[test]
fn session_start_is_a_primary_sign_in_with_origin_and_signals() {
    let e = &events("o-01")[0];
    assert_eq!(e.time.to_string(), "2024-05-01T09:00:00.000Z");
    assert_eq!(e.identity().unwrap().as_str(), "alice@example.com");
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("00u1alice")
    );
    assert!(
        matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Primary && s.outcome.is_success())
    );
    assert_eq!(e.origin.ip.unwrap().to_string(), "81.2.69.142");
    assert_eq!(e.origin.city.as_deref(), Some("London"));
    // Okta prints the country's name; events carry its ISO code.
    assert_eq!(e.origin.country.as_deref(), Some("GB"));
    let geo = e.origin.geo.unwrap();
    assert_eq!((geo.lat, geo.lon), (51.5142, -0.0931));
    assert_eq!(e.origin.asn, Some(20712));
    assert_eq!(e.origin.as_org.as_deref(), Some("andrews & arnold ltd"));
    assert_eq!(e.origin.device_id.as_deref(), Some("guo1device"));
    assert_eq!(e.origin.session_id.as_deref(), Some("idxSESSION1"));
    assert!(e
        .origin
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("Mozilla/5.0 (Macintosh"));
    // The flow ties a prompt to its answer; `transaction.id` names one request only.
    assert_eq!(e.correlation_id.as_deref(), Some("idxSESSION1"));
    let s = &e.vendor_signals;
    assert_eq!(s.anonymous_proxy, Some(false));
    assert_eq!(s.network_zone, None, "the string \"null\" is no zone");
    assert_eq!(
        s.behaviors,
        vec![
            "New Geo-Location",
            "New Device",
            "New IP",
            "Velocity",
            "New City",
            "Unusual Geo-Location"
        ]
    );
    assert_eq!(s.risk_level, Some(RiskLevel::High));
    assert!(s.reasons.contains(&"Anomalous Location".to_owned()));
}

/// Okta's own browser and OS names are kept when the raw user agent is missing (`UNKNOWN`),
/// and left out when it is there (they only repeat it).
#[test]
fn okta_browser_and_os_names_stand_in_for_a_missing_user_agent() {
    let line = fixture("system_log.jsonl")
        .into_iter()
        .find(|l| l.contains("\"uuid\": \"o-01\""))
        .unwrap();
    let (_, out, _) = parse(&line);
    assert!(out[0].origin.user_agent.is_some());
    assert_eq!(out[0].origin.client, None);

    let raw = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36";
    assert!(line.contains(raw));
    let (r, out, _) = parse(&line.replace(raw, "UNKNOWN"));
    assert_eq!(r, Ok(Parsed::Events));
    let o = &out[0].origin;
    assert_eq!(o.user_agent, None);
    let client = o.client.as_deref().unwrap();
    assert_eq!(
        (client.browser.as_deref(), client.os.as_deref()),
        (Some("CHROME"), Some("Mac OS X"))
    );
    // Okta writes "UNKNOWN" for a browser it cannot name: left out, as Entra's "Unknown" is.
    let (_, out, _) = parse(
        &line
            .replace(raw, "UNKNOWN")
            .replace("\"browser\": \"CHROME\"", "\"browser\": \"UNKNOWN\""),
    );
    let client = out[0].origin.client.as_deref().unwrap();
    assert_eq!(
        (client.browser.as_deref(), client.os.as_deref()),
        (None, Some("Mac OS X"))
    );
}

#[test]
fn failed_and_denied_session_starts() {
    let e = &events("o-02")[0];
    assert!(matches!(&e.activity, Activity::SignIn(s)
        if s.outcome == Outcome::Failure { reason: FailureReason::BadPassword }));
    let e = &events("o-23")[0];
    assert!(matches!(&e.activity, Activity::SignIn(s)
        if s.outcome == Outcome::Failure { reason: FailureReason::PolicyBlocked }));
    assert_eq!(e.vendor_signals.anonymous_proxy, Some(true));
    assert_eq!(
        e.vendor_signals.network_zone.as_deref(),
        Some("BlockedIpZone")
    );
    assert_eq!(
        e.origin.asn,
        Some(64500),
        "asNumber as a string still counts"
    );
    assert_eq!(
        e.origin.as_org.as_deref(),
        Some("Example Proxy Co"),
        "isp when asOrg is null"
    );
    assert_eq!(e.origin.ip.unwrap().to_string(), "2001:db8::1");
}

#[test]
fn a_login_no_user_has_is_an_unknown_user() {
    // Okta names no user for a login it cannot match: `actor.id` is `unknown`, `alternateId`
    // the login as typed, and the password stage fails with `VERIFICATION_ERROR`.
    let e = &events("o-28")[0];
    assert!(matches!(&e.activity, Activity::SignIn(s)
        if s.stage == SignInStage::Primary
            && s.outcome == Outcome::Failure { reason: FailureReason::UnknownUser }));
    let who = e.actor.as_ref().unwrap();
    assert_eq!(who.key.as_str(), "admin@example.com");
    assert_eq!(
        (who.vendor_id.as_deref(), who.display_name.as_deref()),
        (None, None)
    );
    // The same reason for a user Okta knows says nothing of a missing account.
    let e = &events("o-29")[0];
    assert!(matches!(&e.activity, Activity::SignIn(s)
        if matches!(&s.outcome, Outcome::Failure { reason: FailureReason::Other(r) } if r == "VERIFICATION_ERROR")));
    assert_eq!(
        e.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("00u1alice")
    );
}

#[test]
fn out_of_range_coordinates_are_dropped_and_counted() {
    let line = fixture("system_log.jsonl")
        .into_iter()
        .find(|l| l.contains("o-23"))
        .unwrap();
    let (r, out, notes) = parse(&line);
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].origin.geo, None);
    assert_eq!(out[0].origin.city.as_deref(), Some("Nowhere"));
    assert_eq!(notes.coords_dropped, 1);
}

#[test]
fn sso_names_the_app() {
    let e = &events("o-03")[0];
    assert!(matches!(&e.activity, Activity::SignIn(s)
        if s.stage == SignInStage::Sso && s.app.as_deref() == Some("Salesforce.com")));
}

#[test]
fn push_verification_yields_sign_in_and_prompt() {
    let out = events("o-04");
    assert_eq!(out.len(), 2);
    assert!(matches!(&out[0].activity, Activity::SignIn(s)
        if s.stage == SignInStage::Mfa && s.factor == Some(Factor::Push) && s.outcome.is_success()));
    assert_eq!(out[1].id, "o-04#mfa_prompt");
    assert_eq!(prompt(&out[1]).result, PromptResult::Approved);
    assert_eq!(out[1].correlation_id, out[0].correlation_id);

    let out = events("o-05");
    assert_eq!(out.len(), 2);
    assert!(matches!(&out[0].activity, Activity::SignIn(s)
        if s.outcome == Outcome::Failure { reason: FailureReason::MfaTimeout }));
    assert_eq!(prompt(&out[1]).result, PromptResult::TimedOut);

    // A failed TOTP is a failed MFA sign-in, and no push prompt.
    let out = events("o-06");
    assert_eq!(out.len(), 1);
    assert!(matches!(&out[0].activity, Activity::SignIn(s)
        if s.factor == Some(Factor::Totp) && s.outcome == Outcome::Failure { reason: FailureReason::MfaFailed }));
}

#[test]
fn push_prompts_sent_denied_and_reported() {
    assert_eq!(
        *prompt(&events("o-07")[0]),
        MfaPrompt {
            factor: Factor::Push,
            result: PromptResult::Sent
        }
    );
    assert_eq!(prompt(&events("o-08")[0]).result, PromptResult::Denied);
    assert_eq!(prompt(&events("o-09")[0]).result, PromptResult::Denied);
    let fraud = &events("o-10")[0];
    assert_eq!(prompt(fraud).result, PromptResult::FraudReported);
    assert_eq!(fraud.identity().unwrap().as_str(), "alice@example.com");
}

#[test]
fn factor_and_password_changes() {
    let change = |id: &str| match &events(id)[0].activity {
        Activity::AccountChange(c) => c.clone(),
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(
        change("o-11"),
        AccountChange::MfaFactorEnrolled {
            factor: Some(Factor::Other)
        }
    );
    assert_eq!(
        change("o-12"),
        AccountChange::MfaFactorRemoved {
            factor: Some(Factor::Sms)
        }
    );
    assert_eq!(change("o-13"), AccountChange::MfaFactorsReset);
    assert_eq!(
        change("o-14"),
        AccountChange::MfaFactorRemoved { factor: None }
    );
    assert_eq!(change("o-15"), AccountChange::PasswordReset);
    assert_eq!(change("o-16"), AccountChange::PasswordChanged);
    assert_eq!(
        change("o-24"),
        AccountChange::RoleGranted {
            role: Some("Super administrator".into())
        }
    );
    // An admin acting on another user: the user is the subject, the admin the actor.
    let e = &events("o-15")[0];
    assert_eq!(e.actor.as_ref().unwrap().key.as_str(), "admin@example.com");
    assert_eq!(e.identity().unwrap().as_str(), "bob@example.com");
    // A user acting on themselves has no separate subject.
    assert_eq!(events("o-16")[0].subject, None);
}

#[test]
fn sessions_end_and_are_cleared() {
    assert_eq!(events("o-17")[0].activity, Activity::SessionRevoke);
    let cleared = &events("o-18")[0];
    assert_eq!(cleared.activity, Activity::SessionRevoke);
    assert_eq!(cleared.identity().unwrap().as_str(), "bob@example.com");
}

#[test]
fn identity_engine_verify_and_idp_sign_ins() {
    // A password verification in Identity Engine is the primary step.
    let e = &events("o-19")[0];
    assert!(
        matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Primary && s.factor.is_none())
    );
    // Okta itself is the actor of an IdP sign-in; the user signing in is the subject.
    let e = &events("o-20")[0];
    assert_eq!(e.actor.as_ref().unwrap().key.as_str(), "system@okta.com");
    assert_eq!(e.identity().unwrap().as_str(), "bob@example.com");
}

#[test]
fn system_factor_deactivation_removes_the_users_factor() {
    // Okta itself (a support reset) deactivating Bob's Okta Verify enrollment.
    let e = &events("o-25")[0];
    assert_eq!(
        e.activity,
        Activity::AccountChange(AccountChange::MfaFactorRemoved {
            factor: Some(Factor::Other)
        })
    );
    assert_eq!(e.actor.as_ref().unwrap().key.as_str(), "system@okta.com");
    assert_eq!(e.identity().unwrap().as_str(), "bob@example.com");
    assert_eq!(e.correlation_id.as_deref(), Some("idxSESSION1"));
}

#[test]
fn admin_console_access_and_impersonation_grant_are_kept_as_context() {
    for (id, event_type) in [
        ("o-26", "user.session.access_admin_app"),
        ("o-27", "user.session.impersonation.grant"),
    ] {
        let out = events(id);
        assert_eq!(out.len(), 1, "{id}");
        let e = &out[0];
        assert_eq!(
            e.activity,
            Activity::Other {
                name: event_type.into()
            },
            "{id}"
        );
        assert_eq!(e.identity().unwrap().as_str(), "admin@example.com", "{id}");
        assert_eq!(e.subject, None, "{id}");
        assert_eq!(e.origin.ip.unwrap().to_string(), "81.2.69.142", "{id}");
    }
}

#[test]
fn context_and_unsupported_types() {
    assert_eq!(
        events("o-22")[0].activity,
        Activity::Other {
            name: "user.account.lock".into()
        }
    );
    let line = fixture("system_log.jsonl")
        .into_iter()
        .find(|l| l.contains("o-21"))
        .unwrap();
    assert_eq!(
        parse(&line).0,
        Ok(Parsed::Unsupported("policy.evaluate_sign_on".into()))
    );
}

#[test]
fn every_fixture_line_is_sniffed_and_parsed() {
    for line in fixture("system_log.jsonl") {
        assert!(Okta.sniff(line.as_bytes()));
        assert!(parse(&line).0.is_ok(), "{line}");
    }
}

#[test]
fn sniff_rejects_other_vendors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for f in [
        "duo/authentication.jsonl",
        "cloudtrail/console_login.jsonl",
        "gws/activities.jsonl",
    ] {
        for line in std::fs::read_to_string(dir.join(f)).unwrap().lines() {
            assert!(!Okta.sniff(line.as_bytes()), "{f}: {line}");
        }
    }
    let ocsf = br#"{"class_uid":3002,"time":1,"metadata":{"product":{"vendor_name":"Okta"}},"unmapped":{"eventType":"x","published":"y"}}"#;
    assert!(!Okta.sniff(ocsf));
    let entra =
        br#"{"id":"1","createdDateTime":"2024-05-01T09:00:00Z","userPrincipalName":"a@b.c"}"#;
    assert!(!Okta.sniff(entra));
    let m365 = br#"{"CreationTime":"2024-05-01T09:00:00","Workload":"Exchange","Operation":"New-InboxRule"}"#;
    assert!(!Okta.sniff(m365));
}

#[test]
fn malformed_records_get_typed_reasons() {
    let base = r#""uuid":"u1","eventType":"user.session.start","outcome":{"result":"SUCCESS"}"#;
    let case = |extra: &str| parse(&format!("{{{base}{extra}}}")).0;
    assert_eq!(case(""), Err(BadRecordReason::MissingField("published")));
    assert!(matches!(
        case(r#","published":"yesterday""#),
        Err(BadRecordReason::BadTime(_))
    ));
    assert!(matches!(
        case(r#","published":"1970-01-01T00:00:00Z""#),
        Err(BadRecordReason::BadTime(_))
    ));
    assert!(matches!(
        case(r#","published":1714554000"#),
        Err(BadRecordReason::BadValue {
            field: "published",
            ..
        })
    ));
    assert!(matches!(
        parse("{\"published\":\"2024-05-01T09:00:00Z\"}").0,
        Err(BadRecordReason::MissingField("eventType"))
    ));
    assert!(matches!(
        parse(r#"{"eventType":7,"published":"2024-05-01T09:00:00Z"}"#).0,
        Err(BadRecordReason::BadValue {
            field: "eventType",
            ..
        })
    ));
    assert!(matches!(
        parse(r#"{"eventType":"user.session.start","published":"2024-05-01T09:00:00Z"}"#).0,
        Err(BadRecordReason::MissingField("uuid"))
    ));
    assert!(matches!(parse("not json").0, Err(BadRecordReason::Json(_))));
    assert!(matches!(parse("[1,2]").0, Err(BadRecordReason::Json(_))));
    assert!(matches!(
        parse(r#"{"uuid":"u1""#).0,
        Err(BadRecordReason::Json(_))
    ));
    // Wrong types where the adapter can do without the field are tolerated.
    let (r, out, _) = parse(
        r#"{"uuid":"u1","published":"2024-05-01T09:00:00Z","eventType":"user.session.start","outcome":{"result":"SUCCESS"},"client":"oops","actor":[1],"securityContext":{"asNumber":{"x":1}},"target":{"type":"User"}}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].origin.ip, None);
    assert_eq!(out[0].actor, None);
}

#[test]
fn duplicate_keys_last_one_wins() {
    let (r, out, _) = parse(
        r#"{"uuid":"u1","published":"not a time","published":"2024-05-01T09:00:00Z","eventType":"user.session.start",
           "outcome":{"result":"SUCCESS","result":"FAILURE","reason":"INVALID_CREDENTIALS"},
           "actor":{"alternateId":"first@example.com","alternateId":"second@example.com"}}"#,
    );
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].time.to_string(), "2024-05-01T09:00:00.000Z");
    assert!(out[0].activity.is_failed_sign_in());
    assert_eq!(out[0].identity().unwrap().as_str(), "second@example.com");
}

#[test]
fn bom_and_escaped_keys_are_accepted() {
    let (r, out, _) = parse("\u{feff}{\"uuid\":\"u1\",\"published\":\"2024-05-01T09:00:00Z\",\"event\\u0054ype\":\"user.session.end\"}");
    assert_eq!(r, Ok(Parsed::Events));
    assert_eq!(out[0].activity, Activity::SessionRevoke);
}

const KEYS: &[&str] = &[
    "uuid",
    "published",
    "eventType",
    "actor",
    "client",
    "device",
    "authenticationContext",
    "outcome",
    "securityContext",
    "debugContext",
    "debugData",
    "transaction",
    "request",
    "ipChain",
    "target",
    "id",
    "type",
    "alternateId",
    "displayName",
    "detailEntry",
    "methodTypeUsed",
    "ipAddress",
    "zone",
    "userAgent",
    "rawUserAgent",
    "geographicalContext",
    "geolocation",
    "lat",
    "lon",
    "city",
    "state",
    "country",
    "externalSessionId",
    "credentialType",
    "result",
    "reason",
    "asNumber",
    "asOrg",
    "isp",
    "isProxy",
    "behaviors",
    "logOnlySecurityData",
    "risk",
    "factor",
    "threatSuspected",
    "privilegeGranted",
    "ip",
];

const VALUES: &[&str] = &[
    "2024-05-01T09:00:00Z",
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "system.push.send_factor_verify_push",
    "user.mfa.okta_verify.deny_push",
    "user.mfa.factor.activate",
    "user.session.clear",
    "SUCCESS",
    "FAILURE",
    "DENY",
    "User",
    "AppInstance",
    "AuthenticatorEnrollment",
    "OKTA_VERIFY_PUSH",
    "{New Device=POSITIVE}",
    "{reasons=x, level=HIGH}",
    "{\"behaviors\":{\"a\":\"POSITIVE\"}}",
    "1.2.3.4",
    "[::1]:80",
    "null",
    "",
];

fn arb_json() -> impl Strategy<Value = Value> {
    support::vendor_json(KEYS, VALUES)
}

proptest! {
    #[test]
    fn vendor_shaped_noise_never_panics(
        fields in prop::collection::vec((prop::sample::select(KEYS), arb_json()), 0..14),
        event_type in prop::sample::select(VALUES),
    ) {
        let mut obj: serde_json::Map<String, Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        obj.entry("eventType".to_owned()).or_insert(Value::from(event_type));
        let text = Value::Object(obj).to_string();
        let _ = Okta.sniff(text.as_bytes());
        let mut out = Vec::new();
        let _ = Okta.parse(text.as_bytes(), &mut out, &mut Notes::default());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Okta.sniff(&bytes);
        let _ = Okta.parse(&bytes, &mut Vec::new(), &mut Notes::default());
    }
}

fn tally(file: &str, whole: bool) -> Option<BTreeMap<String, usize>> {
    support::tally(&Okta, file, whole)
}

use support::counts;

#[test]
fn real_samples_read_with_zero_bad_records() {
    // 10 events: user.account.lock (other); auth_via_IDP, auth_via_mfa, 4x sso,
    // session.start (7 sign-ins); send_factor_verify_push (prompt); update_password (change).
    let Some(c) = tally("sekoia_intake_formats/okta_system_log.ndjson", false) else {
        return;
    };
    assert_eq!(
        c,
        counts(&[
            ("sign_in", 7),
            ("mfa_prompt", 1),
            ("account_change", 1),
            ("other", 1)
        ])
    );
    // One pretty-printed user.session.start.
    let c = tally(
        "ocsf_examples/okta_system_log_v1.3.0/authentication.raw",
        true,
    )
    .unwrap();
    assert_eq!(c, counts(&[("sign_in", 1)]));
}
