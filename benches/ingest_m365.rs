//! Microsoft 365 audit adapter throughput on ~100 MB of generated Management Activity API records
//! (sign-ins, inbox rules, mail access, file access and unsupported operations in the real
//! shapes), next to a plain `serde_json::Value` parse of the same bytes. `PALISADE_BENCH_MB` sets
//! the size.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

mod common;

use common::m365::record;
use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::m365::M365;

fn bench(c: &mut Criterion) {
    let data = common::json_lines(record);
    common::compare_with_value(c, "m365", &M365, &data);
}

criterion_group!(benches, bench);
criterion_main!(benches);
