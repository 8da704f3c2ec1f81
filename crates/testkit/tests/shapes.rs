//! The OCSF writer: one valid JSON object per expressible event, using OCSF's own attributes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use palisade_schema::Activity;
use palisade_testkit::population::{generate, AttackKind, PopulationConfig};
use palisade_testkit::shapes::{render, Ocsf, Shape, OCSF_VERSION};
use serde_json::Value;

/// Top-level attributes of OCSF 1.3 Authentication (3002) and Account Change (3001), base event
/// and the host/datetime profiles included.
const OCSF_ATTRIBUTES: &[&str] = &[
    "activity_id",
    "activity_name",
    "category_name",
    "category_uid",
    "class_name",
    "class_uid",
    "type_name",
    "type_uid",
    "severity",
    "severity_id",
    "status",
    "status_id",
    "status_detail",
    "status_code",
    "time",
    "time_dt",
    "metadata",
    "message",
    "actor",
    "user",
    "src_endpoint",
    "dst_endpoint",
    "http_request",
    "device",
    "service",
    "session",
    "is_mfa",
    "auth_factors",
    "logon_type",
    "logon_type_id",
    "policy",
    "user_result",
    "unmapped",
    "observables",
];

#[test]
fn every_sign_in_event_becomes_one_ocsf_record() {
    let s = generate(&PopulationConfig::small(5), &AttackKind::ALL);
    let out = render(&Ocsf, &s.events);
    let lines: Vec<&str> = out.text.lines().collect();
    assert_eq!(lines.len(), out.written);
    assert_eq!(out.written + out.skipped.len(), s.events.len());
    let skipped: BTreeSet<&str> = out.skipped.iter().map(String::as_str).collect();
    let mut written = s.events.iter().filter(|e| !skipped.contains(e.id.as_str()));
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let e = written.next().unwrap();
        assert_eq!(v["metadata"]["uid"], e.id.as_str());
        assert_eq!(v["metadata"]["version"], OCSF_VERSION);
        assert_eq!(v["time"], e.time.as_millis());
        assert_eq!(v["time_dt"], e.time.to_string());
        let class = v["class_uid"].as_u64().unwrap();
        let activity = v["activity_id"].as_u64().unwrap();
        assert_eq!(v["type_uid"].as_u64().unwrap(), class * 100 + activity);
        assert!(v["user"]["name"].is_string(), "user is required: {line}");
        for key in v.as_object().unwrap().keys() {
            assert!(
                OCSF_ATTRIBUTES.contains(&key.as_str()),
                "not an OCSF attribute: {key}"
            );
        }
        match &e.activity {
            Activity::SignIn(si) => {
                assert_eq!(class, 3002);
                let ok = si.outcome.is_success();
                assert_eq!(v["status_id"], if ok { 1 } else { 2 });
                if let Some(ip) = e.origin.ip {
                    assert_eq!(v["src_endpoint"]["ip"], ip.to_string());
                }
                if let Some(asn) = e.origin.asn {
                    assert_eq!(v["src_endpoint"]["autonomous_system"]["number"], asn);
                }
                if let Some(g) = e.origin.geo {
                    assert_eq!(v["src_endpoint"]["location"]["lat"], g.lat);
                    assert_eq!(v["src_endpoint"]["location"]["long"], g.lon);
                }
            }
            Activity::MfaPrompt(_) => {
                assert_eq!((class, activity), (3002, 99));
                assert_eq!(v["is_mfa"], true);
                assert_eq!(
                    v["metadata"]["correlation_uid"],
                    e.correlation_id.as_deref().unwrap()
                );
            }
            Activity::SessionStart => assert_eq!((class, activity), (3002, 1)),
            other => panic!("unexpected activity written: {other:?}"),
        }
    }
    // Mail and file events have no Authentication/Account Change shape.
    for e in s.events.iter().filter(|e| skipped.contains(e.id.as_str())) {
        assert!(matches!(
            e.activity,
            Activity::MailboxRule(_) | Activity::MailboxForwarding(_) | Activity::FileAccess(_)
        ));
    }
    assert_eq!(Ocsf.name(), "ocsf");
}

#[test]
fn rendering_is_deterministic() {
    let s = generate(&PopulationConfig::small(6), &[AttackKind::PushBombing]);
    assert_eq!(render(&Ocsf, &s.events), render(&Ocsf, &s.events));
}

/// Our location and autonomous-system objects use the same keys as a real OCSF 1.3 record.
#[test]
fn keys_match_a_real_ocsf_sample() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let sample = root.join("ocsf_examples/okta_system_log_v1.3.0/authentication.ocsf");
    let Ok(text) = std::fs::read_to_string(&sample) else {
        println!("skipped: ../shared/data not found");
        return;
    };
    let real: Value = serde_json::from_str(&text).unwrap();
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let s = generate(&PopulationConfig::small(1), &[]);
    let e = s
        .events
        .iter()
        .find(|e| e.activity.is_successful_sign_in())
        .unwrap();
    let mut line = String::new();
    assert!(Ocsf.write(e, &mut line));
    let ours: Value = serde_json::from_str(line.trim_end()).unwrap();
    let real_loc = keys(&real["src_endpoint"]["location"]);
    for k in keys(&ours["src_endpoint"]["location"]) {
        assert!(
            real_loc.contains(&k) || k == "region",
            "location key {k} not in the real sample"
        );
    }
    assert_eq!(
        keys(&ours["src_endpoint"]["autonomous_system"]),
        keys(&real["src_endpoint"]["autonomous_system"])
    );
    assert_eq!(ours["category_name"], real["category_name"]);
    assert_eq!(ours["type_name"], real["type_name"]);
}
