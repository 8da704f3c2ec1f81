//! Microsoft Purview audit-search CSV export: ~100 MB of rows whose `AuditData` cell holds the
//! Microsoft 365 record (the same generated records as `ingest_m365`, CSV-quoted).
//!
//! - `serde_json_value`: the reader's CSV decoding plus a `serde_json::Value` parse of each
//!   `AuditData` cell, and nothing else;
//! - `adapter`: the reader's CSV decoding plus the Microsoft 365 adapter on each cell, into
//!   finished events.
//!
//! `PALISADE_BENCH_MB` sets the size.

#![allow(missing_docs)] // criterion_group! generates undocumented functions.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_ingest::m365::M365;
use palisade_ingest::{Adapter, Notes, ReadItem, RecordReader};

/// `AuditLogRecordType` names for the record types the generator uses.
fn record_type_name(n: u64) -> &'static str {
    match n {
        1 => "ExchangeAdmin",
        2 => "ExchangeItem",
        3 => "ExchangeItemGroup",
        6 => "SharePointFileOperation",
        15 => "AzureActiveDirectoryStsLogon",
        50 => "ExchangeItemAggregated",
        _ => "Unknown",
    }
}

/// A CSV field, quoted with inner quotes doubled.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The export: the columns of Purview's audit search export, one row per record.
fn purview_csv() -> Vec<u8> {
    let target = common::target_bytes();
    let mut buf = Vec::with_capacity(target + 8192);
    buf.extend_from_slice(
        b"RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\n",
    );
    let mut i = 0;
    while buf.len() < target {
        let audit = common::m365::record(i);
        let v: serde_json::Value = serde_json::from_str(&audit).expect("valid generated record");
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let row = format!(
            "{},{}.0000000Z,{},{},{},{},,\r\n",
            text("Id"),
            text("CreationTime"),
            record_type_name(v["RecordType"].as_u64().unwrap_or(0)),
            text("Operation"),
            text("UserId"),
            quoted(&audit),
        );
        buf.extend_from_slice(row.as_bytes());
        i += 1;
    }
    buf
}

/// Each `AuditData` cell the reader decodes, handed to `each`.
fn for_each_cell(data: &[u8], mut each: impl FnMut(&[u8])) {
    let mut reader = RecordReader::new(data);
    while let Some(item) = reader.next_item() {
        if let ReadItem::Record(record) = item {
            each(record.bytes);
        }
    }
}

fn bench(c: &mut Criterion) {
    let data = purview_csv();
    let mut out = Vec::with_capacity(4);
    let mut notes = Notes::default();
    common::compare(
        c,
        "purview_csv",
        data.len(),
        || {
            let mut n = 0usize;
            for_each_cell(&data, |cell| {
                let v: serde_json::Value = serde_json::from_slice(cell).expect("valid cell");
                n += usize::from(v.is_object());
            });
            n
        },
        || {
            let mut n = 0usize;
            for_each_cell(&data, |cell| {
                out.clear();
                let _ = M365.parse(cell, &mut out, &mut notes);
                n += out.len();
            });
            n
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
