//! The OCSF adapter on real public OCSF files in ../shared/data (never copied into the repo):
//! `ocsf_examples/**/*.ocsf` and `sekoia_intake_formats/ocsf.ndjson`. Counts were read off the
//! files by hand (see SOURCES.md there).
#![allow(clippy::unwrap_used, clippy::print_stderr)]
#![cfg(feature = "ocsf")]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade_ingest::{FileReport, Ingest};
use palisade_schema::{Activity, Event, FailureReason, Outcome, SignInStage};

fn read(path: &Path) -> (FileReport, Vec<Event>) {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let report = Ingest::new()
        .read_path(path, |e| events.push(e), |p| problems.push(p))
        .unwrap();
    assert!(problems.is_empty(), "{}: {problems:?}", path.display());
    (report, events)
}

fn ocsf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            ocsf_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "ocsf") {
            out.push(p);
        }
    }
}

#[test]
fn ocsf_examples_each_hold_one_logon() {
    let Some(data) = support::shared_data() else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let mut files = Vec::new();
    ocsf_files(&data.join("ocsf_examples"), &mut files);
    assert_eq!(files.len(), 4, "{files:?}");
    let mut all = BTreeMap::new();
    for f in &files {
        let (report, events) = read(f);
        assert_eq!(
            (report.records_read, report.events, report.bad_records),
            (1, 1, 0),
            "{f:?}"
        );
        assert!(report.skipped_unsupported.is_empty());
        let Activity::SignIn(s) = &events[0].activity else {
            panic!("{f:?}")
        };
        assert_eq!(s.stage, SignInStage::Primary);
        assert!(s.outcome.is_success());
        let name = f
            .strip_prefix(data.join("ocsf_examples"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        all.insert(name, events.into_iter().next().unwrap());
    }

    // Okta's mapping writes `time` in seconds; time_dt confirms the instant.
    let okta = &all["okta_system_log_v1.3.0/authentication.ocsf"];
    assert_eq!(okta.time.to_string(), "2024-08-13T15:58:20.000Z");
    assert_eq!(okta.id, "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a");
    assert_eq!(okta.identity().unwrap().as_str(), "john.doe@example.com");
    assert_eq!(
        okta.actor.as_ref().unwrap().vendor_id.as_deref(),
        Some("00uttidj01jqL21aM1d6")
    );
    let geo = okta.origin.geo.unwrap();
    assert_eq!((geo.lat, geo.lon), (40.3157, -74.01));
    assert_eq!(okta.origin.asn, Some(394089));
    assert_eq!(okta.origin.city.as_deref(), Some("New York"));
    assert_eq!(okta.origin.ip, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(
        okta.origin.session_id.as_deref(),
        Some("idxBager62CSveUkTxvgRtonA")
    );
    assert_eq!(
        okta.origin.device_id.as_deref(),
        Some("guofdhyjex1feOgbN1d9")
    );

    // CloudTrail's mapping names the user by ARN only in `user`: the actor's name is the identity.
    for name in [
        "aws_cloudtrail_v1.1.0/authentication.ocsf",
        "ilf_example_logs/1_1_0_OCSF_authentication.ocsf",
    ] {
        let e = &all[name];
        assert_eq!(e.time.to_string(), "2023-11-10T16:24:34.000Z", "{name}");
        assert_eq!(e.identity().unwrap().as_str(), "anaya");
        assert!(e.subject.is_none());
        assert_eq!(
            e.actor.as_ref().unwrap().vendor_id.as_deref(),
            Some("arn:aws:iam::111122223333:user/anaya")
        );
        let Activity::SignIn(s) = &e.activity else {
            panic!()
        };
        assert_eq!(s.mfa_satisfied, Some(true));
        assert_eq!(e.origin.ip, Some("192.0.2.0".parse().unwrap()));
    }

    // GitHub's mapping has no status at all: the logon it reports is taken as a success.
    let gh = &all["github_audit_v1.3.0/authentication.ocsf"];
    assert_eq!(gh.identity().unwrap().as_str(), "test_user@acme.com");
    assert_eq!(gh.time.to_string(), "2024-10-17T14:42:46.108Z");
}

#[test]
fn sekoia_mixed_classes() {
    let Some(data) = support::shared_data() else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let path = data.join("sekoia_intake_formats/ocsf.ndjson");
    if !path.is_file() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let (report, events) = read(&path);
    assert_eq!(report.records_read, 43);
    assert_eq!(report.bad_records, 0);
    assert_eq!(report.events, 3);
    let expected: BTreeMap<String, u64> = [
        ("ocsf class 1002", 1),
        ("ocsf class 1007", 2),
        ("ocsf class 1010", 2),
        ("ocsf class 2001", 6),
        ("ocsf class 2002", 1),
        ("ocsf class 2003", 1),
        ("ocsf class 2004", 2),
        ("ocsf class 201003", 1),
        ("ocsf class 201004", 1),
        ("ocsf class 3001 activity 1", 1),
        ("ocsf class 4001", 7),
        ("ocsf class 4002", 2),
        ("ocsf class 4003", 3),
        ("ocsf class 4005", 1),
        ("ocsf class 6003", 2),
        ("ocsf class 7002", 3),
        ("ocsf class 7003", 2),
        ("ocsf class 7004", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(report.skipped_unsupported, expected);

    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fed06f42-cb12-4764-8c69-example",
            "ce139867-ced1-4742-9bb0-ad1926b8bbe1",
            "a738d6e6-4ebd-49bb-805e-45d0604a1bef"
        ]
    );
    assert_eq!(events[0].identity().unwrap().as_str(), "anaya");
    // Windows 4624: the machine account logs SYSTEM on; the account logged on is the identity.
    assert_eq!(events[1].identity().unwrap().as_str(), "system");
    assert!(events[1].activity.is_successful_sign_in());
    // Windows 4625 "Unknown user name or bad password." with src_endpoint.ip "-".
    let failed = &events[2];
    assert_eq!(failed.identity().unwrap().as_str(), "administrator");
    assert!(failed.origin.ip.is_none());
    let Activity::SignIn(s) = &failed.activity else {
        panic!()
    };
    assert_eq!(
        s.outcome,
        Outcome::Failure {
            reason: FailureReason::BadPassword
        }
    );
    assert_eq!(failed.time.to_string(), "2020-10-08T16:41:47.000Z");
}
