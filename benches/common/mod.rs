//! Shared harness for the ingest benches: an adapter's throughput next to a plain
//! `serde_json::Value` parse of the same records, in the same run.

#![allow(dead_code)]

pub(crate) mod m365;

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use palisade_ingest::{Adapter, Notes};

/// Target size of a generated bench input, in bytes (~100 MB, as the issue asks).
/// `PALISADE_BENCH_MB` overrides it for quick local runs.
pub(crate) fn target_bytes() -> usize {
    std::env::var("PALISADE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(100)
        * 1024
        * 1024
}

/// Builds a JSON Lines buffer of about [`target_bytes`] by calling `record(i)` for i = 0, 1, ...
pub(crate) fn json_lines(mut record: impl FnMut(u64) -> String) -> Vec<u8> {
    let target = target_bytes();
    let mut buf = Vec::with_capacity(target + 4096);
    let mut i = 0;
    while buf.len() < target {
        buf.extend_from_slice(record(i).as_bytes());
        buf.push(b'\n');
        i += 1;
    }
    buf
}

/// Benchmarks `adapter` over the JSON Lines `data` against the `serde_json::Value` baseline.
///
/// The lines are split once, before timing: splitting is the reader's job (benchmarked on its
/// own, e.g. `ingest/ocsf_driver` and `ingest/purview_csv`), and a byte-by-byte split inside both
/// timed loops would add the same fixed cost to each side and hide the difference being measured.
pub(crate) fn compare_with_value(
    c: &mut Criterion,
    name: &str,
    adapter: &dyn Adapter,
    data: &[u8],
) {
    let lines: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::with_capacity(4);
    let mut notes = Notes::default();
    compare(
        c,
        name,
        data.len(),
        || value_pass(&lines),
        || adapter_pass(adapter, &lines, &mut out, &mut notes),
    );
}

/// Benchmarks two passes over the same `bytes` of input in one criterion group: `reference`
/// (named `serde_json_value`) and `adapter`. With `PALISADE_BENCH_CPU` set, runs
/// [`cpu_time_check`] instead; with `PALISADE_BENCH_ONLY=adapter` (or `reference`), only that
/// pass, five times, untimed (for profiling).
pub(crate) fn compare(
    c: &mut Criterion,
    name: &str,
    bytes: usize,
    mut reference: impl FnMut() -> usize,
    mut adapter: impl FnMut() -> usize,
) {
    if let Some(pass) = std::env::var_os("PALISADE_BENCH_ONLY") {
        // For profilers (`perf record`): one pass alone, so its profile is not mixed with the
        // other's.
        for _ in 0..5 {
            black_box(if pass == "reference" {
                reference()
            } else {
                adapter()
            });
        }
        return;
    }
    if std::env::var_os("PALISADE_BENCH_CPU").is_some() {
        cpu_time_check(name, bytes, &mut reference, &mut adapter);
        return;
    }
    let mut group = c.benchmark_group(format!("ingest/{name}"));
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new("serde_json_value", bytes), |b| {
        b.iter(|| black_box(reference()))
    });
    group.bench_function(BenchmarkId::new("adapter", bytes), |b| {
        b.iter(|| black_box(adapter()))
    });
    group.finish();
}

/// The reference pass: each record into a `serde_json::Value`, and nothing else.
pub(crate) fn value_pass(lines: &[&[u8]]) -> usize {
    let mut n = 0usize;
    for &line in lines {
        let v: serde_json::Value = serde_json::from_slice(line).expect("valid bench record");
        n += usize::from(v.is_object());
    }
    n
}

/// The adapter pass: each record into finished events.
pub(crate) fn adapter_pass(
    adapter: &dyn Adapter,
    lines: &[&[u8]],
    out: &mut Vec<palisade_schema::Event>,
    notes: &mut Notes,
) -> usize {
    let mut n = 0usize;
    for &line in lines {
        out.clear();
        let _ = adapter.parse(line, out, notes);
        n += out.len();
    }
    n
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), if readable.
pub(crate) fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// With `PALISADE_BENCH_CPU` set, instead of the criterion run: both passes alternated five
/// times, each timed in this thread's CPU time (so other processes loading the machine matter
/// less), best of five, printed to stderr. A quick check while working on a shared machine.
#[allow(clippy::print_stderr)]
pub(crate) fn cpu_time_check(
    name: &str,
    bytes: usize,
    reference: &mut dyn FnMut() -> usize,
    adapter: &mut dyn FnMut() -> usize,
) {
    let (mut value, mut adapt) = (u64::MAX, u64::MAX);
    for _ in 0..5 {
        let t = thread_cpu_nanos().unwrap_or(0);
        black_box(reference());
        let u = thread_cpu_nanos().unwrap_or(0);
        black_box(adapter());
        let v = thread_cpu_nanos().unwrap_or(0);
        value = value.min(u - t);
        adapt = adapt.min(v - u);
    }
    let mbps = |ns: u64| bytes as f64 / 1048576.0 / (ns.max(1) as f64 / 1e9);
    eprintln!(
        "{name}: value {:.0} MiB/s, adapter {:.0} MiB/s (CPU time), ratio {:.2}",
        mbps(value),
        mbps(adapt),
        value as f64 / adapt.max(1) as f64
    );
}
