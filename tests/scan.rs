//! End to end: OCSF log files in, JSON Lines findings and summary out, through `palisade::scan`
//! with a toy detector, and through the `palisade` binary itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../crates/geo/tests/support/mmdb_writer.rs"]
mod mmdb_writer;

use std::path::{Path, PathBuf};
use std::process::Command;

use palisade::core::{Context, Detector, Finding, Severity, Technique};
use palisade::pipeline::Pipeline;
use palisade::scan::{scan, write_jsonl, Input, ScanError, ScanOptions, ScanReport};
use palisade::schema::{Duration, Event, IdentityKey, Timestamp};
use serde_json::Value;

/// Toy detector: three or more failed sign-ins within ten minutes is a burst (medium), growing
/// with each failure; a success right after it makes it high.
#[derive(Default)]
struct FailedBurst {
    open: std::collections::BTreeMap<IdentityKey, (Timestamp, Finding)>,
    failures: std::collections::BTreeMap<IdentityKey, Vec<(Timestamp, String)>>,
}

impl Detector for FailedBurst {
    fn name(&self) -> &'static str {
        "failed_burst"
    }
    fn observe(&mut self, e: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(who) = e.identity() else { return };
        let name = self.name();
        let window = Duration::from_mins(10);
        if e.activity.is_failed_sign_in() {
            let list = self.failures.entry(who.clone()).or_default();
            list.retain(|(t, _)| e.time.since(*t) <= window);
            list.push((e.time, e.id.clone()));
            if let Some((_, f)) = self.open.get_mut(who) {
                let mut next = f.next_revision();
                next.evidence.push(e.id.clone());
                next.last_seen = e.time;
                next.summary = format!("{} failed sign-ins", next.evidence.total);
                *f = next.clone();
                out.push(next);
            } else if list.len() >= 3 {
                let mut f = Finding::new(name, Some(who.clone()), &list[0].1, list[0].0)
                    .with_severity(Severity::Medium)
                    .with_technique(Technique::PasswordGuessing)
                    .with_summary(format!("{} failed sign-ins", list.len()));
                for (_, id) in &list[1..] {
                    f.evidence.push(id.clone());
                }
                f.last_seen = e.time;
                f.entities.add_origin_of(e);
                self.open.insert(who.clone(), (e.time, f.clone()));
                out.push(f);
            }
        } else if e.activity.is_successful_sign_in() {
            if let Some((_, f)) = self.open.remove(who) {
                let mut next = f.next_revision().with_severity(Severity::High);
                next.evidence.push(e.id.clone());
                next.last_seen = e.time;
                next.summary = format!("{} failed sign-ins, then a success", f.evidence.total);
                out.push(next);
            }
            self.failures.remove(who);
        }
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

const FILES: [&str; 3] = [
    "alice-and-bob.ocsf.jsonl",
    "alice-more.ocsf.jsonl",
    "with-bad-records.ocsf.jsonl",
];

fn run_toy(files: &[&str]) -> ScanReport {
    let inputs: Vec<Input> = files.iter().map(|f| Input::Path(fixture(f))).collect();
    let mut pipeline = Pipeline::builder()
        .detector(FailedBurst::default())
        .build()
        .unwrap();
    scan(&inputs, &mut pipeline, &ScanOptions::default(), &mut |_| {}).unwrap()
}

fn jsonl(report: &ScanReport, updates: bool) -> String {
    let mut buf = Vec::new();
    write_jsonl(report, updates, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn toy_detector_finds_the_bursts_in_ocsf_files() {
    let report = run_toy(&FILES);
    let out = records(&jsonl(&report, false));
    let findings: Vec<&Value> = out.iter().filter(|r| r["type"] == "finding").collect();
    assert_eq!(
        findings.len(),
        2,
        "alice and carol burst, bob does not: {findings:#?}"
    );

    let alice = findings
        .iter()
        .find(|f| f["identity"] == "alice@contoso.com")
        .unwrap();
    assert_eq!(alice["revision"], 3, "3 failures, a 4th, then the success");
    assert_eq!(alice["severity"], "high");
    assert_eq!(alice["technique"], "T1110.001");
    assert_eq!(
        alice["evidence"],
        serde_json::json!(["a-0", "a-1", "a-2", "a-3", "a-ok"])
    );
    assert_eq!(alice["first_seen"], "2023-11-14T22:13:20.000Z");
    assert_eq!(alice["last_seen"], "2023-11-14T22:18:20.000Z");

    // Carol's good failures around the three bad lines still make her burst.
    let carol = findings
        .iter()
        .find(|f| f["identity"] == "carol@contoso.com")
        .unwrap();
    assert_eq!(
        carol["evidence"],
        serde_json::json!(["c-0", "c-1", "c-2", "c-3"])
    );
    assert_eq!(carol["severity"], "medium");

    let summary = out.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["events_read"], 12);
    assert_eq!(summary["bad_records"]["count"], 3);
    let bad_lines: Vec<u64> = summary["bad_records"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad_lines, [2, 4, 6]);
    for bad in summary["bad_records"]["first"].as_array().unwrap() {
        assert!(bad["file"]
            .as_str()
            .unwrap()
            .ends_with("with-bad-records.ocsf.jsonl"));
    }
    assert_eq!(summary["findings_by_detector"]["failed_burst"], 2);
    assert_eq!(summary["events_by_source"]["ocsf"], 12);
}

#[test]
fn updates_write_every_revision_in_order() {
    let report = run_toy(&FILES);
    let out = records(&jsonl(&report, true));
    let alice: Vec<u64> = out
        .iter()
        .filter(|r| r["type"] == "finding" && r["identity"] == "alice@contoso.com")
        .map(|r| r["revision"].as_u64().unwrap())
        .collect();
    assert_eq!(alice, [1, 2, 3]);
}

#[test]
fn output_is_byte_identical_for_every_permutation_of_the_files() {
    let first = jsonl(&run_toy(&FILES), false);
    let perms = [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for p in perms {
        let files = [FILES[p[0]], FILES[p[1]], FILES[p[2]]];
        assert_eq!(jsonl(&run_toy(&files), false), first, "order {files:?}");
    }
}

fn palisade(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .output()
        .unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/scan-output.schema.json"),
    )
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(text: &str) {
    let validator = schema();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Err(e) = validator.validate(&v) {
            panic!("record does not follow the schema: {e}\n{line}");
        }
    }
}

#[test]
fn records_follow_the_json_schema() {
    // Findings from the toy detector, and the summary with bad records.
    assert_valid(&jsonl(&run_toy(&FILES), true));
    // The binary's own output, demo included.
    let paths: Vec<String> = FILES
        .iter()
        .map(|f| fixture(f).display().to_string())
        .collect();
    let mut args = vec!["scan", "--quiet"];
    args.extend(paths.iter().map(String::as_str));
    let scan = palisade(&args);
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    assert_valid(std::str::from_utf8(&scan.stdout).unwrap());
    let demo = palisade(&["demo", "--quiet"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    assert_valid(std::str::from_utf8(&demo.stdout).unwrap());
}

#[test]
fn binary_output_does_not_depend_on_file_order() {
    let paths: Vec<String> = FILES
        .iter()
        .map(|f| fixture(f).display().to_string())
        .collect();
    let forward = palisade(&["scan", "-q", &paths[0], &paths[1], &paths[2]]);
    let backward = palisade(&["scan", "-q", &paths[2], &paths[1], &paths[0]]);
    assert!(forward.status.success());
    assert_eq!(forward.stdout, backward.stdout);
    let last: Value = serde_json::from_str(
        std::str::from_utf8(&forward.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["files"], 3);
}

#[test]
fn exit_codes_tell_usage_unreadable_and_strict_apart() {
    let good = fixture(FILES[0]).display().to_string();
    let bad = fixture(FILES[2]).display().to_string();
    assert_eq!(palisade(&["scan", "-q", &good]).status.code(), Some(0));
    assert_eq!(
        palisade(&["scan", "-q", &bad]).status.code(),
        Some(0),
        "bad records are not fatal"
    );
    assert_eq!(
        palisade(&["scan"]).status.code(),
        Some(2),
        "no files is a usage error"
    );
    assert_eq!(palisade(&["scan", "--bogus", &good]).status.code(), Some(2));
    let missing = palisade(&["scan", "-q", "/nonexistent/palisade/input.jsonl"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/palisade/input.jsonl"));
    let strict = palisade(&["scan", "-q", "--strict", &bad]);
    assert_eq!(strict.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("line 2"),
        "names the first bad line"
    );
    assert_eq!(
        palisade(&["scan", "-q", "--source", "nosuch", &good])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn a_cut_gzip_file_keeps_its_good_records_and_counts_the_lost_one() {
    use std::io::Write;
    let text = std::fs::read(fixture("alice-and-bob.ocsf.jsonl")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let mut bytes = gz.finish().unwrap();
    // Cut inside the compressed stream: the last record or so cannot be decompressed.
    bytes.truncate(bytes.len() - 40);
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.ocsf.jsonl.gz");
    std::fs::write(&cut, &bytes).unwrap();
    let out = palisade(&["scan", cut.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary = records(&stdout).pop().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["truncated_files"], 1);
    assert_eq!(summary["bad_records"]["count"], 1, "{summary}");
    let first = &summary["bad_records"]["first"][0];
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .starts_with("input truncated"),
        "{first}"
    );
    let lines = text.iter().filter(|b| **b == b'\n').count() as u64;
    let read = summary["events_read"].as_u64().unwrap();
    assert!(read > 0 && read < lines, "{read} of {lines}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("; 1 bad records (one file truncated), "),
        "{stderr}"
    );
}

#[test]
fn config_file_is_read_and_unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("ok.toml");
    std::fs::write(
        &good,
        "[pipeline]\nallowed_lateness_secs = 60\n[organisation]\ndomains = [\"contoso.com\"]\n",
    )
    .unwrap();
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[pipeline]\nallowed_latenes_secs = 60\n").unwrap();
    let input = fixture(FILES[0]).display().to_string();
    let ok = palisade(&["scan", "-q", "--config", good.to_str().unwrap(), &input]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = palisade(&["scan", "-q", "--config", typo.to_str().unwrap(), &input]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("allowed_latenes_secs"));
    // `defaults` prints a config that is itself accepted.
    let defaults = palisade(&["defaults"]);
    let all = dir.path().join("all.toml");
    std::fs::write(&all, &defaults.stdout).unwrap();
    let again = palisade(&["scan", "-q", "--config", all.to_str().unwrap(), &input]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn output_file_receives_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("findings.jsonl");
    let input = fixture(FILES[0]).display().to_string();
    let run = palisade(&["scan", "-q", "--output", out.to_str().unwrap(), &input]);
    assert!(run.status.success());
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text
        .lines()
        .last()
        .unwrap()
        .contains("\"type\":\"summary\""));
}

/// Every file under `dir`, recursively, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every public real-world sample in `../shared/data` (vendor logs, other logs, indexes and notes
/// alike) through the binary with every detector: a normal run, records that follow the schema,
/// and the same bytes out whichever order the files are named in. Skipped, saying so, where the
/// folder is absent (a fresh clone); `PALISADE_REQUIRE_SAMPLES=1` makes that a failure.
#[test]
fn every_real_sample_scans_the_same_in_any_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("PALISADE_REQUIRE_SAMPLES").is_none(),
            "PALISADE_REQUIRE_SAMPLES is set but {} is missing",
            dir.display()
        );
        println!("skipped: ../shared/data not found");
        return;
    }
    let files: Vec<String> = files_under(&dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let run = |files: &[&str]| {
        let mut args = vec!["scan", "--quiet"];
        args.extend_from_slice(files);
        let out = palisade(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let forward = run(&names);
    let reversed: Vec<&str> = names.iter().rev().copied().collect();
    assert_eq!(run(&reversed), forward, "output depends on file order");
    assert_valid(&forward);
    let out = records(&forward);
    let summary = out.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["files"], files.len());
    // Every vendor with a sample there was read, and detectors had something to say.
    for source in [
        "okta",
        "entra",
        "m365",
        "google_workspace",
        "duo",
        "cloudtrail",
        "ocsf",
    ] {
        assert!(
            summary["events_by_source"][source].as_u64() > Some(0),
            "nothing read from {source}: {summary}"
        );
    }
    assert!(out.iter().any(|r| r["type"] == "finding"));
}

#[test]
fn demo_catches_the_reference_story() {
    let demo = palisade(&["demo", "--quiet"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let out = records(std::str::from_utf8(&demo.stdout).unwrap());
    let finding = |detector: &str, pred: &dyn Fn(&Value) -> bool| {
        out.iter()
            .any(|r| r["type"] == "finding" && r["detector"] == detector && pred(r))
    };
    assert!(
        finding("mfa_fatigue", &|r| r["severity"] == "critical"),
        "push bombing followed by an approval is critical"
    );
    assert!(
        finding("mailbox_rules", &|r| {
            r["summary"]
                .as_str()
                .unwrap()
                .starts_with("rule '.' marks mail from")
                && matches!(r["severity"].as_str(), Some("high" | "critical"))
        }),
        "the '.' rule that hides a colleague's mail is caught"
    );
    // Every step of the reference story lands on the account that got the "." rule.
    let victim = out
        .iter()
        .find(|r| {
            r["detector"] == "mailbox_rules"
                && r["summary"].as_str().unwrap().starts_with("rule '.'")
        })
        .map(|r| r["identity"].clone())
        .unwrap();
    let at_least_medium =
        |r: &Value| matches!(r["severity"].as_str(), Some("medium" | "high" | "critical"));
    for detector in [
        "unfamiliar_signin",
        "failed_then_success",
        "impossible_travel",
    ] {
        assert!(
            finding(detector, &|r| r["identity"] == victim && at_least_medium(r)),
            "{detector} on the reference victim {victim}"
        );
    }
    // Both legs of the story, each on its own: the first login from the US, and the one from
    // Germany two days later.
    for country in ["US", "DE"] {
        assert!(
            finding("unfamiliar_signin", &|r| {
                r["identity"] == victim
                    && at_least_medium(r)
                    && r["entities"]["countries"]
                        .as_array()
                        .is_some_and(|c| c.iter().any(|c| c == country))
            }),
            "the sign-in from {country} is called unfamiliar"
        );
    }
    // Nobody else in the population gets a finding at medium or above.
    let bombed = out
        .iter()
        .find(|r| r["detector"] == "mfa_fatigue")
        .map(|r| r["identity"].clone())
        .unwrap();
    for r in out
        .iter()
        .filter(|r| r["type"] == "finding" && at_least_medium(r))
    {
        assert!(
            r["identity"] == victim || r["identity"] == bombed,
            "false positive: {r}"
        );
    }
    let summary = out.last().unwrap();
    assert_eq!(summary["bad_records"]["count"], 0);
    assert_eq!(
        summary["events_by_source"]["okta"].as_u64().map(|n| n > 0),
        Some(true)
    );
    assert_eq!(
        summary["events_by_source"]["m365"].as_u64().map(|n| n > 0),
        Some(true)
    );
}

/// Records who each event is about: one info finding per event, keyed by its id.
struct WhoIsWho;

impl Detector for WhoIsWho {
    fn name(&self) -> &'static str {
        "who_is_who"
    }
    fn observe(&mut self, e: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        out.push(
            Finding::new(self.name(), e.identity().cloned(), &e.id, e.time)
                .with_severity(Severity::Info)
                .with_summary(e.source.as_str()),
        );
    }
}

#[test]
fn duo_bare_usernames_join_the_organisation_but_aws_user_names_do_not() {
    let duo = r#"{"access_device": {"browser": "Chrome", "ip": "81.2.69.142", "location": {"city": "London", "country": "United Kingdom", "state": "England"}, "os": "Mac OS X"}, "alias": "", "application": {"key": "DIY231J8BR23QK4UKBY8", "name": "Okta"}, "auth_device": {"ip": "81.2.69.144", "key": "DP5BJ05HI4WRBVI4Q7JF", "location": {"city": "London", "country": "United Kingdom", "state": "England"}, "name": "iPhone"}, "email": "", "event_type": "authentication", "factor": "duo_push", "isotimestamp": "2024-05-01T09:00:05.000000+00:00", "reason": "user_approved", "result": "success", "timestamp": 1714554005, "txid": "d-join", "user": {"groups": [], "key": "DU3KC77WJ06Y5HIV7XKQ", "name": "Narroway"}}"#;
    let okta = r#"{"actor": {"id": "00u1narroway", "type": "User", "alternateId": "narroway@contoso.com", "displayName": "N. Arroway"}, "client": {"ipAddress": "81.2.69.142"}, "eventType": "user.session.start", "outcome": {"result": "SUCCESS"}, "published": "2024-05-01T09:00:00.000Z", "uuid": "o-join", "version": "0"}"#;
    let aws = r#"{"Records": [{"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE", "arn": "arn:aws:iam::111122223333:user/admin", "accountId": "111122223333", "userName": "admin"}, "eventTime": "2024-05-01T09:01:00Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "81.2.69.142", "userAgent": "Mozilla/5.0", "requestParameters": null, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"}, "eventID": "c-join", "eventType": "AwsConsoleSignIn", "recipientAccountId": "111122223333"}]}"#;
    let inputs = [
        Input::bytes("duo.jsonl", duo.as_bytes().to_vec()),
        Input::bytes("okta.jsonl", okta.as_bytes().to_vec()),
        Input::bytes("cloudtrail.json", aws.as_bytes().to_vec()),
    ];
    let mut options = ScanOptions::default();
    options.identities.default_domain = Some("contoso.com".into());
    let mut pipeline = Pipeline::builder().detector(WhoIsWho).build().unwrap();
    let report = scan(&inputs, &mut pipeline, &options, &mut |_| {}).unwrap();
    let out = records(&jsonl(&report, false));
    let who = |source: &str| -> Vec<String> {
        out.iter()
            .filter(|r| r["type"] == "finding" && r["summary"] == source)
            .map(|r| r["identity"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    // One Duo push answer is a sign-in and a prompt: both are narroway's.
    let duo = who("duo");
    assert!(
        !duo.is_empty() && duo.iter().all(|w| w == "narroway@contoso.com"),
        "{duo:?}"
    );
    assert_eq!(who("okta"), ["narroway@contoso.com"]);
    // A bare IAM user name is not a mail login: it keeps its own identity.
    assert_eq!(who("cloudtrail").len(), 1);
    assert!(!who("cloudtrail")[0].ends_with("@contoso.com"), "{out:#?}");
}

/// Record types an attacker makes up (here 600 of them, with names of a kilobyte, over three
/// files) cannot grow the summary: names are cut short and types past the first few hundred
/// are counted together.
#[test]
fn unsupported_record_types_are_counted_within_bounds() {
    let inputs: Vec<Input> = (0..3)
        .map(|file| {
            let mut text = String::new();
            for i in 0..200 {
                let kind = format!("made.up.{file}.{i}.{}", "x".repeat(1000));
                text.push_str(&format!(
                    "{{\"uuid\":\"u-{file}-{i}\",\"published\":\"2024-03-04T09:00:00.000Z\",\"eventType\":\"{kind}\"}}\n"
                ));
            }
            Input::Bytes {
                name: format!("made-up-{file}.jsonl").into(),
                bytes: text.into_bytes(),
            }
        })
        .collect();
    let mut pipeline = Pipeline::builder().build().unwrap();
    let report = scan(&inputs, &mut pipeline, &ScanOptions::default(), &mut |_| {}).unwrap();
    let kinds = &report.summary.skipped_unsupported;
    assert_eq!(kinds.values().sum::<u64>(), 600);
    assert_eq!(kinds.len(), palisade::ingest::MAX_UNSUPPORTED_KINDS + 1);
    assert_eq!(kinds[palisade::ingest::OTHER_KINDS], 600 - 256);
    assert!(kinds
        .keys()
        .all(|k| k.len() <= palisade::ingest::MAX_KIND_BYTES));
    assert_eq!(report.summary.bad_records.count, 0);
}

/// A scan that holds little in memory (its events sorted into runs in temporary files, merged
/// back for detection) says exactly what one holding everything says, and leaves no files.
#[test]
fn spilling_to_disk_changes_nothing_in_the_output() {
    use palisade::mfa_fatigue::MfaFatigue;
    use palisade::signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
    use palisade::travel::ImpossibleTravel;
    use palisade_testkit::shapes::{render, Okta};
    use palisade_testkit::{generate, AttackKind, PopulationConfig};

    let s = generate(&PopulationConfig::small(7), &AttackKind::ALL);
    let text = render(&Okta, &s.events).text;
    // Two files whose events interleave in time, so runs from both must be merged.
    let lines: Vec<&str> = text.lines().collect();
    let odd: Vec<&str> = lines.iter().skip(1).step_by(2).copied().collect();
    let even: Vec<&str> = lines.iter().step_by(2).copied().collect();
    // And a third that repeats records of the first: duplicates across runs are dropped alike.
    let repeated = &odd[..odd.len() / 3];
    let inputs = vec![
        Input::bytes("a.okta.jsonl", (odd.join("\n") + "\n").into_bytes()),
        Input::bytes("b.okta.jsonl", (even.join("\n") + "\n").into_bytes()),
        Input::bytes("c.okta.jsonl", (repeated.join("\n") + "\n").into_bytes()),
    ];
    let pipeline = || {
        Pipeline::builder()
            .profiles(palisade::baseline::BaselineStore::default())
            .detector(UnfamiliarSignIn::default())
            .detector(FailedThenSuccess::default())
            .detector(PasswordSpray::default())
            .detector(MfaFatigue::default())
            .detector(ImpossibleTravel::default())
            .build()
            .unwrap()
    };
    let run = |options: &ScanOptions| {
        let report = scan(&inputs, &mut pipeline(), options, &mut |_| {}).unwrap();
        jsonl(&report, true)
    };
    let held = run(&ScanOptions::default());
    assert!(held.lines().count() > 10, "{held}");
    let summary: Value = serde_json::from_str(held.lines().last().unwrap()).unwrap();
    assert!(summary["duplicates"].as_u64().unwrap() >= repeated.len() as u64 / 2);
    let dir = tempfile::tempdir().unwrap();
    // A few runs; then hundreds, more than may be open at once, merged as they pile up.
    for hold_bytes in [200_000, 15_000] {
        let spilled = run(&ScanOptions {
            hold_bytes,
            spill_dir: Some(dir.path().to_owned()),
            ..ScanOptions::default()
        });
        assert_eq!(spilled, held, "holding {hold_bytes} bytes");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    // Nowhere to put the runs: a scan that must spill says so; one that need not, does not.
    let nowhere = ScanOptions {
        hold_bytes: 200_000,
        spill_dir: Some(dir.path().join("missing")),
        ..ScanOptions::default()
    };
    let err = scan(&inputs, &mut pipeline(), &nowhere, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ScanError::Spill(_)), "{err}");
    let roomy = ScanOptions {
        hold_bytes: 1 << 30,
        ..nowhere
    };
    assert!(scan(&inputs, &mut pipeline(), &roomy, &mut |_| {}).is_ok());
}

/// A GeoIP database that cannot be opened, or radii it would use that make no sense, stop the
/// run before it starts, naming what is wrong; a readable one is used.
#[test]
fn geo_databases_are_checked_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture(FILES[0]).display().to_string();
    let config = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let missing = config(
        "missing.toml",
        "[geo]\nmmdb = [\"/nonexistent/city.mmdb\"]\n",
    );
    let run = palisade(&["scan", "-q", "--config", &missing, &input]);
    assert_eq!(run.status.code(), Some(2));
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("[geo] mmdb") && said.contains("/nonexistent/city.mmdb"),
        "{said}"
    );

    let db = dir.path().join("city.mmdb");
    std::fs::write(&db, mmdb_writer::test_city_db()).unwrap();
    let db = db.display().to_string();
    let nonsense = config(
        "nonsense.toml",
        &format!(
            "[geo]\nmmdb = [{db:?}]\n[detectors.impossible_travel]\nenabled = false\n\
             [detectors.impossible_travel.accuracy]\ncity_km = -5.0\n"
        ),
    );
    let run = palisade(&["scan", "-q", "--config", &nonsense, &input]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("city_km"));

    let fine = config("fine.toml", &format!("[geo]\nmmdb = [{db:?}]\n"));
    assert_eq!(
        palisade(&["scan", "-q", "--config", &fine, &input])
            .status
            .code(),
        Some(0)
    );
}

/// AWS console sign-ins end to end, through the binary with a city database: an IAM user who
/// always signed in with MFA signs in from another country without it, and is medium, where
/// the same trip with MFA is low; a spray of user names that do not exist (CloudTrail hides
/// them) is a spray.
#[test]
fn console_sign_ins_without_mfa_and_sprays_of_hidden_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = mmdb_writer::MmdbWriter::new("GeoLite2-City");
    db.insert(
        "81.2.69.0/24",
        &mmdb_writer::city("GB", None, Some("London"), 51.5142, -0.0931, 10),
    );
    db.insert(
        "89.160.20.0/24",
        &mmdb_writer::city("SE", None, Some("Linköping"), 58.4167, 15.6167, 50),
    );
    db.insert(
        "185.220.100.0/24",
        &mmdb_writer::city("DE", None, Some("Berlin"), 52.52, 13.405, 50),
    );
    let mut asn = mmdb_writer::MmdbWriter::new("GeoLite2-ASN");
    asn.insert(
        "81.2.69.0/24",
        &mmdb_writer::asn(20712, "Andrews & Arnold Ltd"),
    );
    asn.insert("89.160.20.0/24", &mmdb_writer::asn(29518, "Bredband2 AB"));
    asn.insert(
        "185.220.100.0/24",
        &mmdb_writer::asn(60729, "Zwiebelfreunde e.V."),
    );
    let (city_path, asn_path) = (dir.path().join("city.mmdb"), dir.path().join("asn.mmdb"));
    std::fs::write(&city_path, db.finish()).unwrap();
    std::fs::write(&asn_path, asn.finish()).unwrap();
    let config = dir.path().join("palisade.toml");
    std::fs::write(
        &config,
        format!(
            "[geo]\nmmdb = [{:?}, {:?}]\n",
            city_path.display().to_string(),
            asn_path.display().to_string()
        ),
    )
    .unwrap();

    let login = |id: &str, user: &str, at: &str, ip: &str, ok: bool, mfa: &str| {
        let (result, error) = if ok {
            ("Success", String::new())
        } else {
            (
                "Failure",
                r#", "errorMessage": "Failed authentication""#.to_owned(),
            )
        };
        format!(
            r#"{{"eventVersion": "1.08", "userIdentity": {{"type": "IAMUser", "principalId": "AIDA{user}", "arn": "arn:aws:iam::111122223333:user/{user}", "accountId": "111122223333", "userName": "{user}"}}, "eventTime": "{at}", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "eu-west-2", "sourceIPAddress": "{ip}", "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "requestParameters": null, "responseElements": {{"ConsoleLogin": "{result}"}}, "additionalEventData": {{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "{mfa}"}}, "eventID": "{id}", "eventType": "AwsConsoleSignIn", "recipientAccountId": "111122223333"{error}}}"#
        )
    };
    let mut lines = Vec::new();
    for user in ["ops", "dev"] {
        for day in 1..=12 {
            lines.push(login(
                &format!("{user}-{day}"),
                user,
                &format!("2024-05-{day:02}T08:3{}:00Z", day % 10),
                &format!("81.2.69.{}", 10 + day),
                true,
                "Yes",
            ));
        }
    }
    // Two days later, both from Sweden: ops without MFA, dev with it.
    lines.push(login(
        "ops-se",
        "ops",
        "2024-05-14T09:00:00Z",
        "89.160.20.112",
        true,
        "No",
    ));
    lines.push(login(
        "dev-se",
        "dev",
        "2024-05-14T09:05:00Z",
        "89.160.20.113",
        true,
        "Yes",
    ));
    // Twenty names tried from one address in twenty minutes, fifteen of them not users at all.
    for n in 0..20 {
        let user = ["qa", "ci", "audit", "build", "deploy"]
            .get(n / 4)
            .filter(|_| n % 4 == 3);
        let line = login(
            &format!("x{n}"),
            user.unwrap_or(&"x"),
            &format!("2024-05-15T02:{n:02}:00Z"),
            "185.220.100.7",
            false,
            "No",
        );
        lines.push(match user {
            Some(_) => line,
            None => line.replace(
                r#""userName": "x""#,
                r#""userName": "HIDDEN_DUE_TO_SECURITY_REASONS""#,
            ),
        });
    }
    let input = dir.path().join("cloudtrail.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();

    let run = palisade(&[
        "scan",
        "-q",
        "--config",
        &config.display().to_string(),
        &input.display().to_string(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = records(&String::from_utf8(run.stdout).unwrap());
    let finding = |detector: &str, identity: Option<&str>| {
        out.iter()
            .rev()
            .find(|r| {
                r["type"] == "finding"
                    && r["detector"] == detector
                    && r["identity"].as_str() == identity
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {detector} finding for {identity:?}: {out:#?}"))
    };
    let ops = finding("unfamiliar_signin", Some("ops"));
    assert_eq!(ops["severity"], "medium", "{ops}");
    assert!(
        ops["summary"]
            .as_str()
            .unwrap()
            .starts_with("first sign-in from SE (AS29518), first sign-in without MFA; 12 earlier"),
        "{ops}"
    );
    let dev = finding("unfamiliar_signin", Some("dev"));
    assert_eq!(dev["severity"], "low", "{dev}");
    let spray = finding("password_spray", None);
    assert!(
        spray["summary"].as_str().unwrap().contains(
            "20 failed sign-ins against 5 identities and 15 attempts at names the log hides"
        ),
        "{spray}"
    );
}
