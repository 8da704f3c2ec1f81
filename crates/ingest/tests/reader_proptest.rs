//! Property tests: no input panics the reader or the driver, and good JSON Lines records survive
//! any bad lines around them.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use palisade_ingest::{Ingest, IngestOptions, ReadItem, RecordReader};
use proptest::prelude::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Bytes biased towards JSON structure, so the scanner's states are all reached.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b",".to_vec()),
        Just(b":".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\"value\":".to_vec()),
        Just(b"\"Records\":[".to_vec()),
        Just(b"\"response\":{\"authlogs\":[".to_vec()),
        Just(b"AuditData,".to_vec()),
        Just(b"\"class_uid\":3002,\"time\":1715590800000".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn drive(bytes: &[u8], max: usize) {
    let ingest = Ingest::with_options(IngestOptions {
        max_record_bytes: max,
        ..Default::default()
    })
    .unwrap();
    let mut events = 0u64;
    let mut problems = 0u64;
    let report = ingest.read_from(Path::new("p"), bytes, |_| events += 1, |_| problems += 1);
    assert_eq!(report.events, events);
    assert_eq!(report.bad_records + u64::from(report.truncated), problems);
    assert!(report.records_read >= report.bad_records);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        drive(&bytes, 1 << 20);
        drive(&bytes, 16);
    }

    #[test]
    fn jsonish_bytes_never_panic(bytes in jsonish(), max in 1usize..200) {
        drive(&bytes, 1 << 20);
        drive(&bytes, max);
        drive(&gzip(&bytes), max);
        let mut cut = gzip(&bytes);
        cut.truncate(cut.len() / 2);
        drive(&cut, max);
    }

    #[test]
    fn reader_always_ends(bytes in jsonish()) {
        let mut reader = RecordReader::new(&bytes[..]);
        let mut n = 0usize;
        while let Some(item) = reader.next_item() {
            if let ReadItem::Record(r) = item {
                prop_assert!(!r.bytes.is_empty());
            }
            n += 1;
            prop_assert!(n <= bytes.len() + 1, "more items than bytes");
        }
    }

    /// Good records come through whatever junk lines sit between them, on the right lines.
    #[test]
    fn good_lines_survive_bad_neighbours(
        lines in proptest::collection::vec(
            prop_oneof![
                Just(None),
                "[a-z{}\\[\\]\",: ]{0,30}".prop_map(Some),
            ],
            1..30,
        )
    ) {
        let mut input = String::new();
        let mut expected = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match line {
                None => {
                    input.push_str(&format!("{{\"n\":{i}}}\n"));
                    expected.push((i as u64 + 1, format!("{{\"n\":{i}}}")));
                }
                // Junk that never forms a complete object alone on its line.
                Some(junk) => input.push_str(&format!("x{junk}\n")),
            }
        }
        // Start with a good record so the input is read as JSON Lines.
        let input = format!("{{\"n\":\"first\"}}\n{input}");
        let mut reader = RecordReader::new(input.as_bytes());
        let mut got = Vec::new();
        while let Some(item) = reader.next_item() {
            if let ReadItem::Record(r) = item {
                if let palisade_ingest::Location::Line(n) = r.location {
                    got.push((n, String::from_utf8(r.bytes.to_vec()).unwrap()));
                }
            }
        }
        let got: Vec<_> = got.into_iter().skip(1).map(|(n, s)| (n - 1, s)).collect();
        prop_assert_eq!(got, expected);
    }
}
