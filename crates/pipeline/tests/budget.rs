//! The memory budget: sprayed identities are evicted, least recently seen and untrusted first,
//! and the pipeline's own tracking stays bounded.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{IdentityKey, Source};

#[test]
fn a_spray_over_many_identities_is_evicted_within_the_budget() {
    let probe = Probe::new();
    let forgotten = probe.forgotten.clone();
    let mut p = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .detector(probe)
        .profiles(CountingProfiles::new(3))
        .config(PipelineConfig {
            memory_budget_mb: 1,
            allowed_lateness_secs: 10,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    // Ten identities become trusted first, long before the spray.
    for u in 0..10 {
        for k in 0..3 {
            p.push(
                success(
                    u * 10 + k,
                    &format!("ok-{u}-{k}"),
                    &format!("vip{u}@x.com"),
                    Source::Okta,
                ),
                &mut out,
            );
        }
    }
    let budget = 1024 * 1024;
    let mut peak = 0;
    for i in 0..300_000i64 {
        // One failure per sprayed identity, two per second of event time.
        let who = format!("victim{i}@x.com");
        p.push(
            failure(1000 + i / 2, &format!("s{i}"), &who, Source::Entra),
            &mut out,
        );
        if i % 997 == 0 {
            peak = peak.max(p.memory_bytes());
        }
    }
    p.finish(&mut out);
    let stats = p.stats();
    assert!(stats.evicted > 200_000, "evicted {}", stats.evicted);
    assert_eq!(stats.events_processed, 300_030);
    assert!(
        p.tracked_identities() < 20_000,
        "tracked {}",
        p.tracked_identities()
    );
    // Checked every 1024 events, so allow what 1024 events can add between checks.
    assert!(
        peak < budget + budget / 2,
        "peak {peak} bytes for a {budget}-byte budget"
    );
    assert!(p.memory_bytes() < budget + budget / 2);

    let forgotten = forgotten.lock().unwrap();
    assert_eq!(
        forgotten.len() as u64,
        stats.evicted,
        "every eviction reaches every detector"
    );
    assert!(
        !forgotten.iter().any(|k| k.as_str().starts_with("vip")),
        "trusted identities kept"
    );
    // Least recently seen first: the first victim went before the last.
    let pos = |k: &str| forgotten.iter().position(|f| f == &IdentityKey::new(k));
    assert!(pos("victim0@x.com").unwrap() < pos("victim250000@x.com").unwrap());
    assert!(
        pos("victim299999@x.com").is_none(),
        "the newest identity is still tracked"
    );
}

#[test]
fn nothing_is_evicted_within_the_budget() {
    let mut p = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .build()
        .unwrap();
    let mut out = Output::default();
    let events = (0..5000i64)
        .map(|i| {
            failure(
                i,
                &format!("e{i}"),
                &format!("u{}@x.com", i % 50),
                Source::Okta,
            )
        })
        .collect();
    p.run_batch(events, &mut out);
    assert_eq!(p.stats().evicted, 0);
    assert_eq!(p.tracked_identities(), 50);
}

/// Events with large fields (a 100 KB user agent each, from a source that stalls so nothing is
/// released by the watermark) fill the reorder buffer by what they really hold: the buffer
/// releases early and stays within a quarter of the budget.
#[test]
fn the_reorder_buffer_counts_everything_an_event_holds() {
    let mut p = Pipeline::builder()
        .config(PipelineConfig {
            memory_budget_mb: 8,
            allowed_lateness_secs: 3600,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    let padding = "x".repeat(100_000);
    let mut peak = 0;
    for i in 0..400i64 {
        let mut e = success(i, &format!("big-{i}"), "u@x.com", Source::Okta);
        e.origin.user_agent = Some(padding.clone());
        p.push(e, &mut out);
        peak = peak.max(p.memory_bytes());
    }
    // 400 events of 100 KB are 40 MB: without counting the user agents they would all wait.
    assert!(p.buffered() < 30, "{} buffered", p.buffered());
    assert!(peak <= 2 * 1024 * 1024 + 200_000, "peak {peak}");
    p.finish(&mut out);
    assert_eq!(p.stats().events_processed, 400);
}
