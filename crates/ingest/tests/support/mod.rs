//! Helpers shared by the adapter test files: the real public samples, and vendor-shaped noise for
//! the structure-aware property tests.

#![allow(dead_code, unreachable_pub)] // Each test file uses its own part.
#![allow(clippy::print_stdout)] // The skip message is for whoever runs the tests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use palisade_ingest::{Adapter, BadRecordReason, Notes, Parsed};
use palisade_schema::Event;
use proptest::prelude::*;
use serde_json::Value;

/// `../shared/data` next to the workspace, or `None` (with a plain message) on a fresh clone.
///
/// With `PALISADE_REQUIRE_SAMPLES` set (CI sets it), a missing folder fails the test instead, so
/// a run that was meant to check the real samples cannot pass by skipping them.
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("PALISADE_REQUIRE_SAMPLES").is_none(),
        "PALISADE_REQUIRE_SAMPLES is set but {} is missing",
        dir.display()
    );
    println!("skipped: ../shared/data not found");
    None
}

/// One record through `adapter`: what it returned and the events it wrote.
pub fn parse(adapter: &dyn Adapter, record: &str) -> (Result<Parsed, BadRecordReason>, Vec<Event>) {
    let mut out = Vec::new();
    let r = adapter.parse(record.as_bytes(), &mut out, &mut Notes::default());
    (r, out)
}

/// The lines of one of this crate's own fixture files, `tests/fixtures/<path>`.
pub fn fixture_lines(path: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Expected counts per activity kind, as [`tally`] returns them.
pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Reads one real sample file through `adapter` (line by line, or `whole` as one record) and
/// counts events per activity kind (plus `unsupported`), failing on any bad or unsniffed record.
pub fn tally(adapter: &dyn Adapter, file: &str, whole: bool) -> Option<BTreeMap<String, usize>> {
    let path = shared_data()?.join(file);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let records: Vec<&[u8]> = if whole {
        vec![&text[..]]
    } else {
        text.split(|&b| b == b'\n')
            .filter(|l| !l.trim_ascii().is_empty())
            .collect()
    };
    let mut counts = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        assert!(adapter.sniff(record), "{file}:{} not sniffed", i + 1);
        let mut out = Vec::new();
        match adapter.parse(record, &mut out, &mut Notes::default()) {
            Ok(Parsed::Events) => {
                for e in out {
                    *counts.entry(e.activity.kind_name().to_owned()).or_insert(0) += 1;
                }
            }
            Ok(Parsed::Unsupported(_)) => *counts.entry("unsupported".to_owned()).or_insert(0) += 1,
            Err(e) => panic!("{file}:{}: bad record: {e}", i + 1),
        }
    }
    Some(counts)
}

/// Any JSON value, nested a few levels, whose object keys are the vendor's own `keys` and whose
/// strings are often the vendor's own tricky `values`: noise a real parser meets.
pub fn vendor_json(
    keys: &'static [&'static str],
    values: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(values).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// A record made of the vendor's own `keys` with random values (often the vendor's tricky
/// `strings` and `numbers`), written by hand so repeated keys stay repeated; half of them start
/// from a valid `base` (so the random keys, winning as later duplicates, reach the mapping code),
/// and some are cut in half.
pub fn noisy_record(
    keys: &'static [&'static str],
    strings: &'static [&'static str],
    numbers: &'static [i64],
    base: &'static str,
) -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(numbers).prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(strings).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    let json = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..8).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    });
    (
        prop::collection::vec((prop::sample::select(keys), json), 0..24),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(move |(kv, dup, cut)| {
            let mut text = String::from("{");
            if cut % 2 == 0 {
                text.push_str(base);
                if kv.is_empty() {
                    text.pop();
                }
            }
            for (i, (k, v)) in kv.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&format!("{k:?}:{v}"));
                if dup && i == 0 {
                    text.push_str(&format!(",{k:?}:{v}"));
                }
            }
            text.push('}');
            let mut bytes = text.into_bytes();
            if cut == 7 {
                let at = bytes.len() / 2;
                bytes.truncate(at);
            }
            bytes
        })
}
