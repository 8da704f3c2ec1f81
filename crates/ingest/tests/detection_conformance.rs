//! The real public samples in ../shared/data read the way a user reads them: through format
//! detection (`Ingest::new()`), not through a named adapter. Each file must give exactly what its
//! own adapter gives when forced, with no bad record; all of them interleaved line by line into
//! one JSON Lines stream must give the same again; logs no adapter reads are skipped, not errors.
#![allow(clippy::unwrap_used)]
#![cfg(all(
    feature = "okta",
    feature = "entra",
    feature = "m365",
    feature = "gws",
    feature = "duo",
    feature = "cloudtrail",
    feature = "ocsf"
))]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use palisade_ingest::{FileReport, Ingest, IngestError, IngestOptions, ReadItem, RecordReader};

/// Every in-scope sample, with the source that wrote it.
const SAMPLES: [(&str, &str); 19] = [
    (
        "elastic_integrations/aws_cloudtrail/test-console-login-json.log",
        "cloudtrail",
    ),
    (
        "elastic_integrations/azure_signinlogs/test-signinlogs-raw.log",
        "entra",
    ),
    ("elastic_integrations/cisco_duo/test-auth.log", "duo"),
    (
        "elastic_integrations/google_workspace/test-login.log",
        "google_workspace",
    ),
    ("microsoft_graph_docs/signin-get.beta.example.json", "entra"),
    (
        "ocsf_examples/okta_system_log_v1.3.0/authentication.raw",
        "okta",
    ),
    (
        "ocsf_examples/okta_system_log_v1.3.0/authentication.ocsf",
        "ocsf",
    ),
    (
        "ocsf_examples/aws_cloudtrail_v1.1.0/authentication.raw",
        "cloudtrail",
    ),
    (
        "ocsf_examples/aws_cloudtrail_v1.1.0/authentication.ocsf",
        "ocsf",
    ),
    (
        "ocsf_examples/aws_cloudtrail_v1.5.0/authentication.raw",
        "cloudtrail",
    ),
    (
        "ocsf_examples/ilf_example_logs/1_1_0_OCSF_authentication.ocsf",
        "ocsf",
    ),
    ("sekoia_intake_formats/okta_system_log.ndjson", "okta"),
    ("sekoia_intake_formats/o365_management_api.ndjson", "m365"),
    ("sekoia_intake_formats/azure_ad_monitor.ndjson", "entra"),
    ("sekoia_intake_formats/entra_graphapi.ndjson", "entra"),
    ("sekoia_intake_formats/duo.ndjson", "duo"),
    (
        "sekoia_intake_formats/google_workspace_reports.ndjson",
        "google_workspace",
    ),
    ("sekoia_intake_formats/aws_cloudtrail.ndjson", "cloudtrail"),
    ("sekoia_intake_formats/ocsf.ndjson", "ocsf"),
];

/// What a read gave: the report, events per (source, activity kind), and the problems.
fn read(
    ingest: &Ingest,
    name: &Path,
    bytes: &[u8],
) -> (FileReport, BTreeMap<String, u64>, Vec<String>) {
    let mut kinds = BTreeMap::new();
    let mut problems = Vec::new();
    let report = ingest.read_from(
        name,
        bytes,
        |e| {
            let key = format!("{} {}", e.source.as_str(), e.activity.kind_name());
            *kinds.entry(key).or_insert(0) += 1;
        },
        |p: IngestError| problems.push(p.to_string()),
    );
    (report, kinds, problems)
}

#[test]
fn every_sample_reads_the_same_detected_as_forced() {
    let Some(data) = support::shared_data() else {
        return;
    };
    for (file, source) in SAMPLES {
        let bytes = std::fs::read(data.join(file)).unwrap();
        let name = Path::new(file);
        let (detected, detected_kinds, problems) = read(&Ingest::new(), name, &bytes);
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        assert_eq!(detected.bad_records, 0, "{file}");
        // A file of only unsupported records (CloudTrail `CredentialChallenge`) is all skipped.
        let skipped: u64 = detected.skipped_unsupported.values().sum();
        assert!(
            detected.events > 0 || skipped == detected.records_read,
            "{file}: {detected:?}"
        );
        let forced = Ingest::with_options(IngestOptions {
            source: Some(source.into()),
            ..IngestOptions::default()
        })
        .unwrap();
        let (expected, expected_kinds, _) = read(&forced, name, &bytes);
        assert_eq!(detected.events, expected.events, "{file}");
        assert_eq!(
            detected.skipped_unsupported, expected.skipped_unsupported,
            "{file}"
        );
        assert_eq!(detected_kinds, expected_kinds, "{file}");
        assert!(
            detected_kinds.keys().all(|k| k.starts_with(source)),
            "{file}: events of another source {detected_kinds:?}"
        );
    }
}

/// Every record of `bytes` as one line (a pretty record's line breaks become spaces: JSON
/// strings never hold a raw line break, so the record means the same).
fn one_record_per_line(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = RecordReader::new(bytes);
    let mut lines = Vec::new();
    while let Some(item) = reader.next_item() {
        if let ReadItem::Record(r) = item {
            let line = r
                .bytes
                .iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
                .collect();
            lines.push(line);
        }
    }
    lines
}

#[test]
fn all_samples_interleaved_in_one_stream_read_as_they_do_apart() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let mut apart = BTreeMap::new();
    let mut files = Vec::new();
    for (file, _) in SAMPLES {
        let bytes = std::fs::read(data.join(file)).unwrap();
        let (_, kinds, _) = read(&Ingest::new(), Path::new(file), &bytes);
        for (k, n) in kinds {
            *apart.entry(k).or_insert(0) += n;
        }
        files.push(one_record_per_line(&bytes));
    }
    // Round robin: vendors alternate line by line, as in a collector's mixed output.
    let mut mixed = Vec::new();
    let longest = files.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for f in &files {
            if let Some(line) = f.get(i) {
                mixed.extend_from_slice(line);
                mixed.push(b'\n');
            }
        }
    }
    let (report, together, problems) = read(&Ingest::new(), Path::new("mixed.jsonl"), &mixed);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(report.bad_records, 0);
    assert_eq!(together, apart);
}

#[test]
fn logs_no_adapter_reads_are_skipped_not_errors() {
    let Some(data) = support::shared_data() else {
        return;
    };
    for file in [
        "sekoia_intake_formats/github_audit.ndjson",
        "ocsf_examples/github_audit_v1.3.0/authentication.raw",
    ] {
        let bytes = std::fs::read(data.join(file)).unwrap();
        let (report, kinds, problems) = read(&Ingest::new(), Path::new(file), &bytes);
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        assert_eq!(report.bad_records, 0, "{file}");
        assert!(kinds.is_empty(), "{file}: {kinds:?}");
        let skipped: u64 = report.skipped_unsupported.values().sum();
        assert_eq!(skipped, report.records_read, "{file}: {report:?}");
        assert!(
            report
                .skipped_unsupported
                .keys()
                .all(|k| k.starts_with("github_audit ")),
            "{file}: {report:?}"
        );
    }
}
