//! The real public Entra samples in ../shared/data read with zero bad records, with the per-activity
//! counts read off the files by hand.

#![cfg(feature = "entra")]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod support;

use std::collections::BTreeMap;

use palisade_ingest::{entra::Entra, Adapter, Notes, Parsed};
use palisade_schema::{Activity, Event, Factor, FailureReason, Outcome, PromptResult, SignInKind};

/// Tally of one file: events by activity kind, unsupported by name, and bad records.
#[derive(Default, Debug)]
struct Tally {
    events: Vec<Event>,
    kinds: BTreeMap<&'static str, usize>,
    unsupported: BTreeMap<String, usize>,
    bad: Vec<String>,
    notes: Notes,
}

fn read_records(records: impl IntoIterator<Item = Vec<u8>>) -> Tally {
    let entra = Entra;
    let mut t = Tally::default();
    for (i, record) in records.into_iter().enumerate() {
        assert!(entra.sniff(&record), "record {i} not recognized");
        let mut out = Vec::new();
        match entra.parse(&record, &mut out, &mut t.notes) {
            Ok(Parsed::Events) => {}
            Ok(Parsed::Unsupported(name)) => *t.unsupported.entry(name).or_default() += 1,
            Err(e) => t.bad.push(format!("record {i}: {e}")),
        }
        for e in &out {
            *t.kinds.entry(e.activity.kind_name()).or_default() += 1;
        }
        t.events.extend(out);
    }
    t
}

fn json_lines(path: &std::path::Path) -> Vec<Vec<u8>> {
    std::fs::read(path)
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn elastic_azure_signinlogs() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let t = read_records(json_lines(
        &dir.join("elastic_integrations/azure_signinlogs/test-signinlogs-raw.log"),
    ));
    assert!(t.bad.is_empty(), "{:?}", t.bad);
    assert_eq!(t.kinds, BTreeMap::from([("sign_in", 5)]));
    assert_eq!(t.events[0].identity().unwrap().as_str(), "test@elastic.co");
    // Every record is a 50140 "Keep me signed in" interrupt.
    for e in &t.events {
        let Activity::SignIn(s) = &e.activity else {
            panic!()
        };
        assert_eq!(
            s.outcome,
            Outcome::Failure {
                reason: FailureReason::MfaRequired
            }
        );
        // properties.createdDateTime (-05:00), not the envelope time.
        assert_eq!(e.time.to_string(), "2019-10-18T09:45:48.072Z");
        assert!(e.origin.geo.is_some());
        // No `userAgent` in these records: the browser and OS come from `deviceDetail`.
        assert!(e.origin.user_agent.is_none());
        let client = e.origin.client.as_deref().unwrap();
        assert_eq!(
            (client.browser.as_deref(), client.os.as_deref()),
            (Some("Chrome 77.0.3865"), Some("MacOs"))
        );
    }
    let kinds: Vec<_> = t.events.iter().map(|e| e.sign_in_kind).collect();
    assert_eq!(
        kinds,
        vec![
            Some(SignInKind::Interactive),
            Some(SignInKind::NonInteractive),
            Some(SignInKind::ServicePrincipal),
            Some(SignInKind::ServicePrincipal),
            Some(SignInKind::ServicePrincipal),
        ]
    );
}

#[test]
fn graph_beta_example() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let bytes =
        std::fs::read(dir.join("microsoft_graph_docs/signin-get.beta.example.json")).unwrap();
    // The file is one pretty-printed signIn object, handed over whole.
    let t = read_records([bytes.clone()]);
    assert!(t.bad.is_empty(), "{:?}", t.bad);
    assert_eq!(t.kinds, BTreeMap::from([("sign_in", 1)]));
    let e = &t.events[0];
    assert!(e.activity.is_successful_sign_in());
    assert_eq!(e.time.to_string(), "2020-03-13T19:15:41.619Z");
    assert_eq!(e.origin.city.as_deref(), Some("Redmond"));
    assert_eq!(e.sign_in_kind, Some(SignInKind::Interactive));
    let Activity::SignIn(s) = &e.activity else {
        panic!()
    };
    assert_eq!(s.factor, Some(Factor::WebAuthn));
    assert_eq!(s.mfa_satisfied, Some(true));
    // The same object as the element of a Graph page.
    let page: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let page = serde_json::json!({ "value": [page] });
    let elements: Vec<Vec<u8>> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| serde_json::to_vec(v).unwrap())
        .collect();
    let again = read_records(elements);
    assert_eq!(again.events, t.events);
}

#[test]
fn graph_beta_verbatim_is_a_clean_error() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let bytes =
        std::fs::read(dir.join("microsoft_graph_docs/signin-get.beta.example.verbatim.txt"))
            .unwrap();
    let mut out = Vec::new();
    let err = Entra
        .parse(&bytes, &mut out, &mut Notes::default())
        .unwrap_err();
    assert!(
        matches!(err, palisade_ingest::BadRecordReason::Json(_)),
        "{err}"
    );
    assert!(out.is_empty());
}

#[test]
fn sekoia_azure_ad_monitor() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let t = read_records(json_lines(
        &dir.join("sekoia_intake_formats/azure_ad_monitor.ndjson"),
    ));
    assert!(t.bad.is_empty(), "{:?}", t.bad);
    // 8 sign-ins (SignInLogs x6, NonInteractive x1, ServicePrincipal x1), one of which approved a
    // push ("Mobile app notification", "MFA successfully completed"); one session revocation
    // ("Update StsRefreshTokenValidFrom Timestamp"); 16 other audit, Graph activity and risk
    // records.
    assert_eq!(
        t.kinds,
        BTreeMap::from([("mfa_prompt", 1), ("session_revoke", 1), ("sign_in", 8)])
    );
    assert_eq!(t.unsupported.values().sum::<usize>(), 16);
    assert_eq!(t.unsupported["entra AuditLogs Add member to group"], 2);
    assert_eq!(t.unsupported["entra UserRiskEvents User Risk Detection"], 3);
    assert_eq!(
        t.unsupported["entra MicrosoftGraphActivityLogs Microsoft Graph Activity"],
        3
    );
    let failures: Vec<_> = t
        .events
        .iter()
        .filter(|e| e.activity.is_failed_sign_in())
        .collect();
    assert_eq!(failures.len(), 1); // 50158, an external MFA challenge not yet satisfied
    assert!(matches!(&failures[0].activity,
        Activity::SignIn(s) if s.outcome == Outcome::Failure { reason: FailureReason::MfaRequired }));
    assert_eq!(failures[0].origin.asn, Some(48744));
    assert_eq!(
        failures[0].vendor_signals.network_zone.as_deref(),
        Some("IP corp")
    );
    let prompt = t
        .events
        .iter()
        .position(|e| e.activity.kind_name() == "mfa_prompt")
        .unwrap();
    assert!(matches!(&t.events[prompt].activity,
        Activity::MfaPrompt(p) if p.factor == Factor::Push && p.result == PromptResult::Approved));
    // Paired with the successful sign-in just before it.
    assert!(t.events[prompt - 1].activity.is_successful_sign_in());
    assert_eq!(
        t.events[prompt].correlation_id,
        t.events[prompt - 1].correlation_id
    );
    let revoke = t
        .events
        .iter()
        .find(|e| e.activity.kind_name() == "session_revoke")
        .unwrap();
    assert_eq!(revoke.identity().unwrap().as_str(), "user1");
    assert_eq!(revoke.time.to_string(), "2019-06-24T09:32:07.463Z");
    // The service principal sign-in's (0, 0) is Entra's "unknown location", not a place.
    let sp = t
        .events
        .iter()
        .find(|e| e.sign_in_kind == Some(SignInKind::ServicePrincipal))
        .unwrap();
    assert!(sp.origin.geo.is_none());
    assert!(sp.origin.ip.is_none()); // its ipAddress is a GUID
    assert_eq!(t.notes.coords_dropped, 0);
}

#[test]
fn sekoia_entra_graphapi() {
    let Some(dir) = support::shared_data() else {
        return;
    };
    let t = read_records(json_lines(
        &dir.join("sekoia_intake_formats/entra_graphapi.ndjson"),
    ));
    assert!(t.bad.is_empty(), "{:?}", t.bad);
    // 78 Graph directoryAudit objects and one signIn.
    assert_eq!(t.kinds, BTreeMap::from([("sign_in", 1)]));
    assert_eq!(t.unsupported.values().sum::<usize>(), 78);
    assert_eq!(t.unsupported["entra directoryAudit Update user"], 44);
}
