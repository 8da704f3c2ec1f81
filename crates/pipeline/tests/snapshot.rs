//! Whole-pipeline snapshots: stopping mid-stream and restoring changes nothing downstream; the
//! file format refuses other versions and damaged bytes; saving is atomic.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_core::Error;
use palisade_pipeline::{Output, Pipeline, PipelineConfig, PipelineError};
use palisade_schema::{Event, Source};
use proptest::prelude::*;

fn pipeline() -> Pipeline {
    Pipeline::builder()
        .detector(FailureBurst::new(3))
        .detector(FailureBurst::new(5))
        .profiles(CountingProfiles::new(2))
        .correlator(PerIdentity::default())
        .responder(Numbering::default())
        .config(PipelineConfig {
            allowed_lateness_secs: 120,
            dedup_window_secs: 600,
            max_future_step_secs: 7200,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap()
}

/// Bursts of failures for a few identities, mostly in order, some up to 4 minutes late (so
/// some arrive late), with repeated ids (duplicates) and the odd far-future record.
fn stream() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        (0i64..90, -240i64..=0, 0usize..3, 0u8..10, 0usize..100),
        1..80,
    )
    .prop_map(|v| {
        let mut secs = 0;
        v.into_iter()
            .enumerate()
            .map(|(i, (gap, jitter, who, kind, dup))| {
                secs += gap;
                let who = ["ann@x.com", "ben@x.com", "cy@x.com"][who];
                // Every so often reuse an earlier id: a duplicate if still remembered.
                let id = if dup < 5 {
                    format!("e{:03}", i / 2)
                } else {
                    format!("e{i:03}")
                };
                match kind {
                    0 => success(secs + jitter, &id, who, Source::Okta),
                    1 => failure(secs + 86_400, &id, who, Source::Entra),
                    _ => failure(secs + jitter, &id, who, Source::Okta),
                }
            })
            .collect()
    })
}

fn run(p: &mut Pipeline, events: &[Event], out: &mut Output) {
    for e in events {
        p.push(e.clone(), out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A then B equals A, snapshot, restore into a fresh pipeline, then B: same findings (every
    /// revision, in order), incidents, decisions and counters, wherever the cut falls.
    #[test]
    fn snapshot_restore_mid_stream_changes_nothing(events in stream(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(events.len() + 1);
        let (a, b) = events.split_at(cut);

        let mut whole = pipeline();
        let mut expected = Output::default();
        run(&mut whole, a, &mut expected);
        run(&mut whole, b, &mut expected);
        whole.finish(&mut expected);

        let mut first = pipeline();
        let mut got = Output::default();
        run(&mut first, a, &mut got);
        let bytes = first.snapshot().unwrap();
        drop(first);
        let mut second = pipeline();
        second.restore(&bytes).unwrap();
        run(&mut second, b, &mut got);
        second.finish(&mut got);

        prop_assert_eq!(&got.findings, &expected.findings);
        prop_assert_eq!(&got.incidents, &expected.incidents);
        prop_assert_eq!(&got.decisions, &expected.decisions);
        prop_assert_eq!(second.stats(), whole.stats());
        prop_assert_eq!(second.watermark(), whole.watermark());
    }

    /// A snapshot restored and snapshotted again gives the same bytes.
    #[test]
    fn snapshots_are_deterministic(events in stream()) {
        let mut p = pipeline();
        let mut out = Output::default();
        run(&mut p, &events, &mut out);
        let bytes = p.snapshot().unwrap();
        let mut q = pipeline();
        q.restore(&bytes).unwrap();
        prop_assert_eq!(q.snapshot().unwrap(), bytes);
    }
}

fn some_snapshot() -> Vec<u8> {
    let mut p = pipeline();
    let mut out = Output::default();
    for i in 0..4 {
        p.push(
            failure(i * 10, &format!("e{i}"), "u@x.com", Source::Okta),
            &mut out,
        );
    }
    assert!(p.buffered() > 0, "the snapshot should hold buffered events");
    p.snapshot().unwrap()
}

#[test]
fn another_format_version_is_refused() {
    let mut bytes = some_snapshot();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    let err = pipeline().restore(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            PipelineError::Core(Error::SnapshotVersion {
                found: 2,
                expected: 1
            })
        ),
        "{err:?}"
    );
}

#[test]
fn damaged_or_truncated_snapshots_are_corrupt_never_empty() {
    let good = some_snapshot();
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 0x20;
    let mut magic = good.clone();
    magic[0] = b'X';
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("header only", good[..16].to_vec()),
        ("truncated", good[..good.len() - 3].to_vec()),
        ("flipped byte", flipped),
        ("bad magic", magic),
        ("json", b"{\"not\": \"a snapshot\"}".to_vec()),
    ];
    for (name, bytes) in cases {
        let mut p = pipeline();
        let err = p.restore(&bytes).unwrap_err();
        assert!(
            matches!(err, PipelineError::Core(Error::CorruptSnapshot(_))),
            "{name}: {err:?}"
        );
        assert!(p.watermark().is_none(), "{name}: state untouched");
    }
    assert!(pipeline().restore(&good).is_ok());
}

#[test]
fn a_snapshot_from_other_detectors_is_a_mismatch() {
    let bytes = some_snapshot();
    let mut fewer = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .profiles(CountingProfiles::new(2))
        .correlator(PerIdentity::default())
        .responder(Numbering::default())
        .build()
        .unwrap();
    assert!(matches!(
        fewer.restore(&bytes),
        Err(PipelineError::Mismatch(_))
    ));
    let mut no_correlator = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .detector(FailureBurst::new(5))
        .build()
        .unwrap();
    assert!(matches!(
        no_correlator.restore(&bytes),
        Err(PipelineError::Mismatch(_))
    ));
}

#[test]
fn save_replaces_the_file_atomically_and_load_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipeline.snap");
    let mut p = pipeline();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.save_snapshot(&path).unwrap();
    let first = std::fs::read(&path).unwrap();
    p.push(failure(500, "b", "u@x.com", Source::Okta), &mut out);
    p.save_snapshot(&path).unwrap();
    let second = std::fs::read(&path).unwrap();
    assert_ne!(first, second);
    assert_eq!(second, p.snapshot().unwrap());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["pipeline.snap"], "no temporary file left behind");

    let mut q = pipeline();
    q.load_snapshot(&path).unwrap();
    assert_eq!(q.watermark(), p.watermark());
    assert_eq!(q.stats(), p.stats());
    assert_eq!(q.buffered(), p.buffered());
}

#[test]
fn io_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.snap");
    let err = pipeline().load_snapshot(&missing).unwrap_err();
    assert!(matches!(&err, PipelineError::Io { path, .. } if path == &missing));
    assert!(err.to_string().contains("nope.snap"));
    let into_missing_dir = dir.path().join("no-such-dir").join("x.snap");
    let err = pipeline().save_snapshot(&into_missing_dir).unwrap_err();
    assert!(matches!(err, PipelineError::Io { .. }));
}
