//! Fuzzes the `gws` adapter's parse with arbitrary bytes: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_ingest::{Adapter, Notes};

fuzz_target!(|data: &[u8]| {
    let adapter = palisade_ingest::gws::GoogleWorkspace;
    let mut out = Vec::new();
    let mut notes = Notes::default();
    let _ = adapter.sniff(data);
    let _ = adapter.parse(data, &mut out, &mut notes);
});
