//! Event-time ordering: the reorder buffer, the watermark, late marking, the plausible-time
//! guard, heartbeats, and batch mode's independence from input order.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{Event, Source};
use proptest::prelude::*;

fn config(lateness: u64) -> PipelineConfig {
    PipelineConfig {
        allowed_lateness_secs: lateness,
        ..PipelineConfig::default()
    }
}

fn full_pipeline(lateness: u64) -> Pipeline {
    Pipeline::builder()
        .detector(FailureBurst::new(3))
        .profiles(CountingProfiles::new(3))
        .correlator(PerIdentity::default())
        .responder(Numbering::default())
        .config(config(lateness))
        .build()
        .unwrap()
}

/// Sorted events for a few identities over two sources: bursts of failures and some
/// successes, 0..=120 s apart.
fn sorted_events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec((0i64..=120, 0usize..3, 0u8..4, any::<bool>()), 1..60).prop_map(|v| {
        let mut secs = 0;
        v.into_iter()
            .enumerate()
            .map(|(i, (gap, who, kind, okta))| {
                secs += gap;
                let who = ["ann@x.com", "ben@x.com", "cy@x.com"][who];
                let source = if okta { Source::Okta } else { Source::Entra };
                let id = format!("e{i:03}");
                if kind == 0 {
                    success(secs, &id, who, source)
                } else {
                    failure(secs, &id, who, source)
                }
            })
            .collect()
    })
}

fn push_all(p: &mut Pipeline, events: Vec<Event>) -> Output {
    let mut out = Output::default();
    for e in events {
        p.push(e, &mut out);
    }
    p.finish(&mut out);
    out
}

fn by_revision(out: &Output) -> Vec<(String, u32, String)> {
    let mut v: Vec<_> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.id.to_string(),
                f.revision,
                serde_json::to_string(f).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Input shuffled within the allowed lateness gives the same findings (every revision,
    /// same content) and the same processing order as sorted input, with nothing late.
    #[test]
    fn shuffled_within_lateness_equals_sorted(
        events in sorted_events(),
        delays in prop::collection::vec(0i64..300_000, 60),
    ) {
        let mut arrival: Vec<(i64, usize, Event)> = events
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, e)| (e.time.as_millis() + delays[i], i, e))
            .collect();
        arrival.sort_by_key(|(t, i, _)| (*t, *i));
        let shuffled: Vec<Event> = arrival.into_iter().map(|(_, _, e)| e).collect();

        let mut sorted_p = full_pipeline(300);
        let probe = Probe::new();
        let order_sorted = probe.seen.clone();
        let mut sorted_p2 = Pipeline::builder().detector(probe).config(config(300)).build().unwrap();
        let a = push_all(&mut sorted_p, events.clone());
        push_all(&mut sorted_p2, events);

        let mut shuffled_p = full_pipeline(300);
        let probe = Probe::new();
        let order_shuffled = probe.seen.clone();
        let mut shuffled_p2 = Pipeline::builder().detector(probe).config(config(300)).build().unwrap();
        let b = push_all(&mut shuffled_p, shuffled.clone());
        push_all(&mut shuffled_p2, shuffled);

        prop_assert_eq!(by_revision(&a), by_revision(&b));
        prop_assert_eq!(latest(&a.findings), latest(&b.findings));
        prop_assert_eq!(sorted_p.stats().late_events, 0);
        prop_assert_eq!(shuffled_p.stats().late_events, 0);
        prop_assert_eq!(sorted_p.stats(), shuffled_p.stats());
        let ids = |s: &Seen| s.lock().unwrap().iter().map(|x| (x.0.clone(), x.1)).collect::<Vec<_>>();
        prop_assert_eq!(ids(&order_sorted), ids(&order_shuffled));
    }

    /// Batch output is identical, byte for byte, for any permutation of the input, duplicates
    /// included.
    #[test]
    fn batch_is_independent_of_input_order(
        events in sorted_events(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        seed in any::<u64>(),
    ) {
        let mut input = events.clone();
        for d in &dups {
            input.push(d.get(&events).clone());
        }
        let mut permuted = input.clone();
        // A deterministic Fisher-Yates shuffle driven by the seed.
        let mut s = seed | 1;
        for i in (1..permuted.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            permuted.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut p1 = full_pipeline(300);
        let mut p2 = full_pipeline(300);
        let mut o1 = Output::default();
        let mut o2 = Output::default();
        p1.run_batch(input, &mut o1);
        p2.run_batch(permuted, &mut o2);
        prop_assert_eq!(&o1, &o2);
        prop_assert_eq!(p1.stats(), p2.stats());
        prop_assert_eq!(p1.stats().duplicates, dups.len() as u64);
        prop_assert_eq!(p1.stats().late_events, 0);
        prop_assert_eq!(p1.stats().events_processed, events.len() as u64);
    }

    /// Batch mode and streaming over sorted input agree on the final findings.
    #[test]
    fn batch_agrees_with_streaming(events in sorted_events()) {
        let mut batch = full_pipeline(300);
        let mut ob = Output::default();
        batch.run_batch(events.clone(), &mut ob);
        let mut stream = full_pipeline(300);
        let os = push_all(&mut stream, events);
        prop_assert_eq!(latest(&ob.findings), latest(&os.findings));
    }
}

#[test]
fn buffered_events_wait_for_the_watermark_and_release_in_total_order() {
    let probe = Probe::new();
    let seen = probe.clone_handles();
    let mut p = Pipeline::builder()
        .detector(probe)
        .config(config(60))
        .build()
        .unwrap();
    let mut out = Output::default();
    // Same second, two sources: the total order is time, then source (Okta before Entra by
    // declaration), then id.
    p.push(failure(10, "z", "a@x.com", Source::Entra), &mut out);
    p.push(failure(10, "b", "a@x.com", Source::Okta), &mut out);
    p.push(failure(10, "a", "a@x.com", Source::Okta), &mut out);
    p.push(failure(5, "early", "a@x.com", Source::Okta), &mut out);
    assert_eq!(p.buffered(), 4);
    assert!(seen.0.lock().unwrap().is_empty());
    // Both sources must move past 10 s + 60 s before anything is released.
    p.push(failure(100, "o2", "a@x.com", Source::Okta), &mut out);
    assert_eq!(
        p.watermark(),
        Some(at(10 - 60)),
        "entra holds the watermark back"
    );
    p.push(failure(100, "e2", "a@x.com", Source::Entra), &mut out);
    assert_eq!(p.watermark(), Some(at(40)));
    let ids: Vec<String> = seen.0.lock().unwrap().iter().map(|s| s.0.clone()).collect();
    assert_eq!(ids, ["early", "a", "b", "z"]);
    assert_eq!(*seen.1.lock().unwrap(), vec![at(-50), at(40)]);
    p.finish(&mut out);
    assert_eq!(seen.0.lock().unwrap().len(), 6);
    assert_eq!(p.watermark(), Some(at(100)));
    assert_eq!(p.stats().events_processed, 6);
    assert_eq!(p.stats().by_source["okta"], 4);
    assert_eq!(p.stats().by_source["entra"], 2);
    assert_eq!(p.stats().by_activity["sign_in"], 6);
}

#[test]
fn events_behind_the_watermark_are_processed_at_once_marked_late() {
    let probe = Probe::new();
    let seen = probe.clone_handles();
    let mut p = Pipeline::builder()
        .detector(probe)
        .config(config(60))
        .build()
        .unwrap();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.push(failure(300, "b", "u@x.com", Source::Okta), &mut out);
    assert_eq!(p.watermark(), Some(at(240)));
    p.push(failure(100, "late", "u@x.com", Source::Okta), &mut out);
    p.push(failure(250, "on-time", "u@x.com", Source::Okta), &mut out);
    p.finish(&mut out);
    let seen = seen.0.lock().unwrap();
    let flags: Vec<(&str, bool)> = seen.iter().map(|s| (s.0.as_str(), s.1)).collect();
    assert_eq!(
        flags,
        [
            ("a", false),
            ("late", true),
            ("on-time", false),
            ("b", false)
        ]
    );
    assert_eq!(p.stats().late_events, 1);
    assert_eq!(
        seen[1].2,
        Some(at(240)),
        "a late event sees the watermark it missed"
    );
}

#[test]
fn a_far_future_event_is_held_and_does_not_move_the_watermark() {
    let probe = Probe::new();
    let seen = probe.clone_handles();
    let mut p = Pipeline::builder()
        .detector(probe)
        .config(PipelineConfig {
            allowed_lateness_secs: 60,
            max_future_step_secs: 3600,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.push(
        failure(30 * 86_400, "forged", "u@x.com", Source::Okta),
        &mut out,
    );
    assert_eq!(p.stats().held_future, 1);
    assert_eq!(p.watermark(), Some(at(-60)));
    p.push(failure(600, "b", "u@x.com", Source::Okta), &mut out);
    p.push(failure(1200, "c", "u@x.com", Source::Okta), &mut out);
    assert_eq!(p.watermark(), Some(at(1140)));
    assert!(
        seen.1.lock().unwrap().iter().all(|t| *t <= at(1140)),
        "no far-future advance"
    );
    assert_eq!(p.buffered(), 2, "c and the held event");
    p.finish(&mut out);
    let ids: Vec<String> = seen.0.lock().unwrap().iter().map(|s| s.0.clone()).collect();
    assert_eq!(ids, ["a", "b", "c", "forged"]);
    assert_eq!(p.watermark(), Some(at(30 * 86_400)));
    assert_eq!(p.stats().late_events, 0);
}

#[test]
fn the_first_event_is_accepted_and_steps_within_the_limit_are_not_held() {
    let mut p = Pipeline::builder()
        .config(PipelineConfig {
            max_future_step_secs: 3600,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    p.push(failure(0, "a", "u@x.com", Source::Okta), &mut out);
    p.push(failure(3600, "b", "u@x.com", Source::Okta), &mut out);
    p.push(failure(7200, "c", "u@x.com", Source::Okta), &mut out);
    assert_eq!(p.stats().held_future, 0);
    assert_eq!(p.watermark(), Some(at(7200 - 300)));
}

#[test]
fn heartbeat_releases_buffered_events_and_closes_windows() {
    let mut p = full_pipeline(300);
    let mut out = Output::default();
    for i in 0..3 {
        p.push(
            failure(i * 10, &format!("f{i}"), "u@x.com", Source::Okta),
            &mut out,
        );
    }
    assert!(out.findings.is_empty());
    p.advance_to(at(60), &mut out);
    assert_eq!(out.findings.len(), 1, "the burst is released and found");
    assert_eq!(out.findings[0].status, palisade_core::FindingStatus::Open);
    p.advance_to(at(30), &mut out);
    assert_eq!(p.watermark(), Some(at(60)), "never backwards");
    p.advance_to(at(3600), &mut out);
    assert_eq!(out.findings.len(), 2);
    assert_eq!(out.findings[1].status, palisade_core::FindingStatus::Closed);
    p.advance_to(at(3600), &mut out);
    assert_eq!(out.findings.len(), 2, "same heartbeat twice emits nothing");
    // Incidents and decisions followed the findings.
    assert_eq!(out.incidents.len(), 1);
    assert_eq!(out.decisions.len(), 1);
}

#[test]
fn implausible_times_are_dropped_and_counted() {
    let mut p = Pipeline::builder().build().unwrap();
    let mut out = Output::default();
    let mut e = failure(0, "a", "u@x.com", Source::Okta);
    e.time = palisade_schema::Timestamp::from_millis_unchecked(0);
    p.push(e.clone(), &mut out);
    p.run_batch(vec![e], &mut out);
    assert_eq!(p.stats().implausible_time, 2);
    assert_eq!(p.stats().events_in, 2);
    assert_eq!(p.stats().events_processed, 0);
}

#[test]
fn batch_keeps_the_same_record_whichever_copy_of_an_id_comes_first() {
    let a = failure(0, "same", "ann@x.com", Source::Okta);
    let b = failure(0, "same", "ben@x.com", Source::Okta);
    let run = |events: Vec<Event>| {
        let probe = Probe::new();
        let seen = probe.seen.clone();
        let mut p = Pipeline::builder()
            .detector(probe)
            .profiles(CountingProfiles::new(1))
            .build()
            .unwrap();
        let mut out = Output::default();
        p.run_batch(events, &mut out);
        assert_eq!(p.stats().duplicates, 1);
        let kept = seen.lock().unwrap().len();
        (
            kept,
            serde_json::to_string(p.stats()).unwrap(),
            p.snapshot().unwrap(),
        )
    };
    assert_eq!(run(vec![a.clone(), b.clone()]), run(vec![b, a]));
}
