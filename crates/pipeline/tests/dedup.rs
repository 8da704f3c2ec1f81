//! Duplicate events (same source and vendor id) are dropped and counted, for a bounded window.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::Source;

#[test]
fn a_repeated_source_and_id_is_dropped_in_streaming() {
    let probe = Probe::new();
    let seen = probe.seen.clone();
    let mut p = Pipeline::builder().detector(probe).build().unwrap();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    // Same id from another source is a different event.
    p.push(failure(0, "a", "u@x.com", Source::Entra), &mut out);
    // Same id, another time: still the same vendor event, still a duplicate.
    p.push(failure(5, "a", "u@x.com", Source::Okta), &mut out);
    p.finish(&mut out);
    assert_eq!(p.stats().duplicates, 2);
    assert_eq!(p.stats().events_in, 4);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_repeated_source_and_id_is_dropped_in_batch() {
    let mut p = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .build()
        .unwrap();
    let mut out = Output::default();
    let e = |id: &str| failure(0, id, "u@x.com", Source::Okta);
    p.run_batch(vec![e("a"), e("b"), e("a"), e("a"), e("b")], &mut out);
    assert_eq!(p.stats().duplicates, 3);
    assert_eq!(p.stats().events_processed, 2);
    assert!(
        out.findings.is_empty(),
        "two distinct failures are below the threshold of three"
    );
}

#[test]
fn pairs_are_forgotten_once_the_watermark_is_past_the_window() {
    let mut p = Pipeline::builder()
        .config(PipelineConfig {
            allowed_lateness_secs: 0,
            dedup_window_secs: 60,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.push(failure(30, "b", "u@x.com", Source::Okta), &mut out);
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    assert_eq!(p.stats().duplicates, 1, "within the window");
    p.push(failure(3600, "c", "u@x.com", Source::Okta), &mut out);
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    assert_eq!(p.stats().duplicates, 1, "forgotten after the window");
    assert_eq!(
        p.stats().late_events,
        1,
        "so it is processed again, as late"
    );
}
