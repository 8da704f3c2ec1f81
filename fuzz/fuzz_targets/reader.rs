//! Fuzzes the whole driver (format detection, gzip, wrappers, CSV, every adapter) with arbitrary
//! bytes: it must never panic, and its counts must agree with what it reported.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palisade_ingest::{Ingest, IngestOptions};

fuzz_target!(|data: &[u8]| {
    // The first byte picks a small record limit now and then, to reach the too-large paths.
    let max = match data.first() {
        Some(b) if b % 4 == 0 => usize::from(*b) + 1,
        _ => 1 << 20,
    };
    let ingest = Ingest::with_options(IngestOptions {
        max_record_bytes: max,
        ..Default::default()
    })
    .expect("no forced source");
    let mut events = 0u64;
    let mut problems = 0u64;
    let report = ingest.read_from(Path::new("fuzz"), data, |_| events += 1, |_| problems += 1);
    assert_eq!(report.events, events);
    assert_eq!(report.bad_records + u64::from(report.truncated), problems);
});
