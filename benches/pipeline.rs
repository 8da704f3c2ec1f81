//! Pipeline overhead: ~1M normalized events (built directly, no parsing) pushed through a
//! pipeline with a trivial detector, next to a bare loop that only counts events per identity
//! hash in a `HashMap<u64, u64>`, in the same run. The ratio of the two is printed at the end.
//!
//! `PALISADE_BENCH_EVENTS` overrides the event count for quick local runs.

#![allow(clippy::print_stderr, missing_docs)]

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palisade_core::{stable_hash, Context, Detector, Finding};
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{
    Activity, Event, Factor, FailureReason, Identity, MfaPrompt, PromptResult, SignIn, SignInStage,
    Source, Timestamp,
};

fn event_count() -> usize {
    std::env::var("PALISADE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A tenant's day: 20 000 identities, sign-ins and MFA prompts from two sources, ~20 events a
/// second, arriving up to a minute out of order (well within the default lateness).
fn events(n: usize) -> Vec<Event> {
    let t0 = 1_717_200_000_000i64;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let r = next();
            let jitter = (r % 60_000) as i64;
            let time = Timestamp::from_millis(t0 + i as i64 * 50 + jitter).expect("plausible");
            let who = format!("user{}@example.com", (r >> 20) % 20_000);
            let (source, activity) = match (r >> 40) % 4 {
                0 => (
                    Source::Okta,
                    Activity::SignIn(SignIn::failure(
                        SignInStage::Primary,
                        FailureReason::BadPassword,
                    )),
                ),
                1 => (
                    Source::Duo,
                    Activity::MfaPrompt(MfaPrompt {
                        factor: Factor::Push,
                        result: PromptResult::Approved,
                    }),
                ),
                _ => (
                    Source::Okta,
                    Activity::SignIn(SignIn::success(SignInStage::Primary)),
                ),
            };
            Event::new(time, format!("evt-{i:08}"), source, activity)
                .with_actor(Identity::new(&who))
        })
        .collect()
}

/// Counts failed sign-ins: enough to touch every event, nothing more.
#[derive(Default)]
struct CountFailures(u64);

impl Detector for CountFailures {
    fn name(&self) -> &'static str {
        "count_failures"
    }
    fn observe(&mut self, e: &Event, _ctx: &Context<'_>, _out: &mut Vec<Finding>) {
        self.0 += u64::from(e.activity.is_failed_sign_in());
    }
}

fn build() -> Pipeline {
    Pipeline::builder()
        .detector(CountFailures::default())
        .config(PipelineConfig::default())
        .build()
        .expect("valid config")
}

fn bare_loop(events: &[Event]) -> usize {
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for e in events {
        let key = e.identity().map_or(0, |k| stable_hash(&[k.as_str()]));
        *counts.entry(key).or_default() += 1;
    }
    counts.len()
}

fn push_all(events: Vec<Event>) -> u64 {
    let mut p = build();
    let mut out = Output::default();
    for e in events {
        p.push(e, &mut out);
    }
    p.finish(&mut out);
    p.stats().events_processed
}

fn batch(events: Vec<Event>) -> u64 {
    let mut p = build();
    let mut out = Output::default();
    p.run_batch(events, &mut out);
    p.stats().events_processed
}

fn bench(c: &mut Criterion) {
    let data = events(event_count());
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(data.len() as u64));
    group.bench_function("bare_hashmap_loop", |b| {
        b.iter(|| black_box(bare_loop(&data)))
    });
    group.bench_function("push", |b| {
        b.iter_batched(
            || data.clone(),
            |evs| black_box(push_all(evs)),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("run_batch", |b| {
        b.iter_batched(
            || data.clone(),
            |evs| black_box(batch(evs)),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // The ratio, measured in the same run on the same events (best of three each).
    let best = |f: &mut dyn FnMut() -> StdDuration| (0..3).map(|_| f()).min().unwrap_or_default();
    let bare = best(&mut || {
        let t = Instant::now();
        black_box(bare_loop(&data));
        t.elapsed()
    });
    let pushed = best(&mut || {
        let evs = data.clone();
        let t = Instant::now();
        black_box(push_all(evs));
        t.elapsed()
    });
    let batched = best(&mut || {
        let evs = data.clone();
        let t = Instant::now();
        black_box(batch(evs));
        t.elapsed()
    });
    let per = |d: StdDuration| d.as_nanos() as f64 / data.len() as f64;
    eprintln!(
        "pipeline overhead on {} events: bare loop {:.1} ns/event, push {:.1} ns/event ({:.1}x), \
         run_batch {:.1} ns/event ({:.1}x)",
        data.len(),
        per(bare),
        per(pushed),
        pushed.as_secs_f64() / bare.as_secs_f64(),
        per(batched),
        batched.as_secs_f64() / bare.as_secs_f64(),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
