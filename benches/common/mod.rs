//! Shared harness for the ingest benches: an adapter's throughput next to a plain
//! `serde_json::Value` parse of the same records, in the same run.

#![allow(dead_code)]

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
pub(crate) fn compare_with_value(
    c: &mut Criterion,
    name: &str,
    adapter: &dyn Adapter,
    data: &[u8],
) {
    let mut group = c.benchmark_group(format!("ingest/{name}"));
    group.sample_size(10);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function(BenchmarkId::new("serde_json_value", data.len()), |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value =
                    serde_json::from_slice(line).expect("valid bench record");
                n += usize::from(v.is_object());
            }
            black_box(n)
        })
    });
    group.bench_function(BenchmarkId::new("adapter", data.len()), |b| {
        let mut out = Vec::with_capacity(4);
        let mut notes = Notes::default();
        b.iter(|| {
            let mut n = 0usize;
            for line in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                out.clear();
                let _ = adapter.parse(line, &mut out, &mut notes);
                n += out.len();
            }
            black_box(n)
        })
    });
    group.finish();
}
