//! The record reader and the driver on every input layout: locations, wrappers, gzip,
//! truncation, CSV and oversized records.
#![allow(clippy::unwrap_used, clippy::print_stderr)]
#![cfg_attr(not(feature = "ocsf"), allow(unused_imports))]

mod support;

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use palisade_ingest::{
    BadRecordReason, Format, Ingest, IngestError, IngestOptions, Location, ReadItem, RecordReader,
};

/// What the reader yields, rendered for easy comparison.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Rec(Location, String),
    Bad(Location, BadRecordReason),
    Trunc(Location),
}

fn items_with(input: &[u8], max: usize) -> (Vec<Item>, Option<Format>) {
    let mut reader = RecordReader::new(input).with_max_record_bytes(max);
    let mut out = Vec::new();
    while let Some(item) = reader.next_item() {
        out.push(match item {
            ReadItem::Record(r) => {
                Item::Rec(r.location, String::from_utf8(r.bytes.to_vec()).unwrap())
            }
            ReadItem::Bad { location, reason } => Item::Bad(location, reason),
            ReadItem::Truncated { location, .. } => Item::Trunc(location),
        });
    }
    (out, reader.format())
}

fn items(input: &[u8]) -> Vec<Item> {
    items_with(input, 1 << 20).0
}

fn rec(line: u64, s: &str) -> Item {
    Item::Rec(Location::Line(line), s.to_string())
}

fn idx(index: u64, line: u64, s: &str) -> Item {
    Item::Rec(Location::Index { index, line }, s.to_string())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn json_lines_keep_line_numbers_around_broken_lines() {
    let input = b"{\"a\":1}\n{\"b\":2\n{\"c\":3}\nnot json\n{\"d\":\"x\\\"y\"}\n";
    let (got, format) = items_with(input, 1 << 20);
    assert_eq!(format, Some(Format::JsonLines));
    assert_eq!(got[0], rec(1, "{\"a\":1}"));
    assert!(matches!(
        got[1],
        Item::Bad(Location::Line(2), BadRecordReason::Json(_))
    ));
    assert_eq!(got[2], rec(3, "{\"c\":3}"));
    assert!(matches!(
        got[3],
        Item::Bad(Location::Line(4), BadRecordReason::Json(_))
    ));
    assert_eq!(got[4], rec(5, "{\"d\":\"x\\\"y\"}"));
    assert_eq!(got.len(), 5);
}

#[test]
fn a_broken_first_line_does_not_swallow_the_next() {
    let got = items(b"{\"a\": {\"b\": 1}\n{\"c\":2}\n");
    assert!(matches!(got[0], Item::Bad(Location::Line(1), _)));
    assert_eq!(got[1], rec(2, "{\"c\":2}"));
}

#[test]
fn json_lines_array_left_open_ends_at_its_line() {
    let got = items(b"{\"a\":1}\n[{\"b\":2},\n{\"c\":3}\n");
    assert_eq!(got[0], rec(1, "{\"a\":1}"));
    assert_eq!(got[1], idx(0, 2, "{\"b\":2}"));
    assert!(matches!(
        got[2],
        Item::Bad(Location::Index { index: 1, line: 2 }, _)
    ));
    assert_eq!(got[3], rec(3, "{\"c\":3}"));
}

#[test]
fn bom_crlf_and_blank_lines() {
    let got = items(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \r\n{\"b\":2}\r\n\n");
    assert_eq!(got, vec![rec(1, "{\"a\":1}"), rec(4, "{\"b\":2}")]);
}

#[test]
fn top_level_array_streams_elements_with_index_and_line() {
    let input = b"[\n  {\"a\": 1},\n  {\n    \"b\": [1, 2]\n  },\n  {\"c\": \"]}\"}\n]\n";
    let (got, format) = items_with(input, 1 << 20);
    assert_eq!(format, Some(Format::JsonArray));
    assert_eq!(
        got,
        vec![
            idx(0, 2, "{\"a\": 1}"),
            idx(1, 3, "{\n    \"b\": [1, 2]\n  }"),
            idx(2, 6, "{\"c\": \"]}\"}"),
        ]
    );
}

#[test]
fn graph_page_wrapper() {
    let input = br#"{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=abc",
  "value": [
    {"id": "1", "createdDateTime": "2024-01-01T00:00:00Z"},
    {"id": "2", "status": {"errorCode": 0}}
  ]
}"#;
    let (got, format) = items_with(input, 1 << 20);
    assert_eq!(format, Some(Format::Wrapped("value")));
    assert_eq!(
        got,
        vec![
            idx(
                0,
                5,
                r#"{"id": "1", "createdDateTime": "2024-01-01T00:00:00Z"}"#
            ),
            idx(1, 6, r#"{"id": "2", "status": {"errorCode": 0}}"#),
        ]
    );
}

#[test]
fn records_items_and_duo_wrappers() {
    let cloudtrail = br#"{"Records":[{"eventName":"ConsoleLogin"},{"eventName":"GetUser"}]}"#;
    let (got, format) = items_with(cloudtrail, 1 << 20);
    assert_eq!(format, Some(Format::Wrapped("Records")));
    assert_eq!(got.len(), 2);

    let azure = br#"{"records":[{"category":"SignInLogs"}]}"#;
    assert_eq!(
        items_with(azure, 1 << 20).1,
        Some(Format::Wrapped("records"))
    );

    let google = br#"{"kind":"admin#reports#activities","etag":"\"x\"","items":[{"id":{"time":"2024-01-01T00:00:00Z"}}],"nextPageToken":"t"}"#;
    let (got, format) = items_with(google, 1 << 20);
    assert_eq!(format, Some(Format::Wrapped("items")));
    assert_eq!(
        got,
        vec![idx(0, 1, r#"{"id":{"time":"2024-01-01T00:00:00Z"}}"#)]
    );

    let duo = br#"{"stat":"OK","response":{"authlogs":[{"txid":"a"},{"txid":"b"}],"metadata":{"next_offset":["1","a"],"total_objects":2}}}"#;
    let (got, format) = items_with(duo, 1 << 20);
    assert_eq!(format, Some(Format::Wrapped("response.authlogs")));
    assert_eq!(
        got,
        vec![idx(0, 1, r#"{"txid":"a"}"#), idx(1, 1, r#"{"txid":"b"}"#)]
    );
}

#[test]
fn nested_value_keys_are_not_wrappers() {
    // Google Reports parameters carry "value" deeper down; the record stays whole.
    let line = r#"{"events":[{"parameters":[{"name":"x","value":[1]}]}],"kind":"a"}"#;
    assert_eq!(items(line.as_bytes()), vec![rec(1, line)]);
}

#[test]
fn pretty_single_object_is_one_record() {
    let input = b"\n{\n  \"class_uid\": 3002,\n  \"user\": {\"name\": \"a\"}\n}\n";
    let (got, format) = items_with(input, 1 << 20);
    assert_eq!(format, Some(Format::Json));
    assert_eq!(
        got,
        vec![rec(
            2,
            "{\n  \"class_uid\": 3002,\n  \"user\": {\"name\": \"a\"}\n}"
        )]
    );
}

#[test]
fn gzip_is_transparent_and_multi_member() {
    let mut data = gzip(b"{\"a\":1}\n{\"b\":2}\n");
    data.extend(gzip(b"{\"c\":3}\n"));
    assert_eq!(
        items(&data),
        vec![
            rec(1, "{\"a\":1}"),
            rec(2, "{\"b\":2}"),
            rec(3, "{\"c\":3}")
        ]
    );
}

#[test]
fn cut_gzip_keeps_records_before_the_break() {
    let mut plain = Vec::new();
    for i in 0..2000 {
        plain.extend_from_slice(
            format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(40)).as_bytes(),
        );
    }
    let mut data = gzip(&plain);
    data.truncate(data.len() / 2);
    let got = items(&data);
    let (last, records) = got.split_last().unwrap();
    assert!(matches!(last, Item::Trunc(_)), "{last:?}");
    assert!(records.len() > 10);
    for (i, r) in records.iter().enumerate() {
        let Item::Rec(Location::Line(n), text) = r else {
            panic!("{r:?}")
        };
        assert_eq!(*n, i as u64 + 1);
        assert!(text.starts_with(&format!("{{\"n\":{i},")));
    }
}

#[test]
fn unclosed_array_and_unterminated_string_are_truncations() {
    let got = items(b"[{\"a\":1},\n{\"b\":2}");
    assert_eq!(got[..2], [idx(0, 1, "{\"a\":1}"), idx(1, 2, "{\"b\":2}")]);
    assert_eq!(got[2], Item::Trunc(Location::Index { index: 2, line: 2 }));

    let got = items(b"[{\"a\":1},\n{\"b\":\"abc");
    assert_eq!(
        got,
        vec![
            idx(0, 1, "{\"a\":1}"),
            Item::Trunc(Location::Index { index: 1, line: 2 })
        ]
    );

    let got = items(b"{\"a\":1}\n{\"b\":\"abc");
    assert_eq!(
        got,
        vec![rec(1, "{\"a\":1}"), Item::Trunc(Location::Line(2))]
    );

    let got = items(b"{\"value\":[{\"a\":1}]");
    assert_eq!(got[0], idx(0, 1, "{\"a\":1}"));
    assert!(matches!(got[1], Item::Trunc(_)));
}

#[test]
fn purview_csv_audit_data_cells() {
    let csv = "\u{feff}RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits\r\n\
        1f0c,2024-05-13T09:00:00.0000000Z,ExchangeAdmin,New-InboxRule,bob@contoso.example,\"{\"\"Operation\"\":\"\"New-InboxRule\"\",\r\n\"\"Name\"\":\"\"a, b\"\"}\",\r\n\
        \r\n\
        2a7d,2024-05-13T09:01:00.0000000Z,AzureActiveDirectoryStsLogon,UserLoggedIn,bob@contoso.example,\"{\"\"Operation\"\":\"\"UserLoggedIn\"\"}\",\r\n\
        short,row\r\n";
    let (got, format) = items_with(csv.as_bytes(), 1 << 20);
    assert_eq!(format, Some(Format::PurviewCsv));
    assert_eq!(
        got,
        vec![
            rec(2, "{\"Operation\":\"New-InboxRule\",\r\n\"Name\":\"a, b\"}"),
            rec(5, "{\"Operation\":\"UserLoggedIn\"}"),
            Item::Bad(
                Location::Line(6),
                BadRecordReason::MissingField("AuditData")
            ),
        ]
    );
}

#[test]
fn unterminated_csv_cell_is_a_truncation() {
    let got = items(b"Operation,AuditData\nx,\"{\"\"a\"\":1}\"\ny,\"{\"\"b");
    assert_eq!(
        got,
        vec![rec(2, "{\"a\":1}"), Item::Trunc(Location::Line(3))]
    );
}

#[test]
fn too_large_records_are_skipped_and_neighbours_kept() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(5000));
    let input = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    let got = items_with(input.as_bytes(), 100).0;
    assert_eq!(got[0], rec(1, "{\"a\":1}"));
    assert_eq!(
        got[1],
        Item::Bad(
            Location::Line(2),
            BadRecordReason::TooLarge {
                bytes: big.len() as u64,
                max: 100
            }
        )
    );
    assert_eq!(got[2], rec(3, "{\"b\":2}"));

    // Larger than the read buffer too, inside an array.
    let huge = format!("{{\"pad\":\"{}\"}}", "y".repeat(300_000));
    let input = format!("[{{\"a\":1}},{huge},{{\"b\":2}}]");
    let got = items_with(input.as_bytes(), 1000).0;
    assert_eq!(got[0], idx(0, 1, "{\"a\":1}"));
    assert!(matches!(
        got[1],
        Item::Bad(
            Location::Index { index: 1, line: 1 },
            BadRecordReason::TooLarge { .. }
        )
    ));
    assert_eq!(got[2], idx(2, 1, "{\"b\":2}"));

    let csv = format!("Op,AuditData\na,\"{}\"\nb,\"{{}}\"\n", "z".repeat(500));
    let got = items_with(csv.as_bytes(), 100).0;
    assert!(matches!(
        got[0],
        Item::Bad(
            Location::Line(2),
            BadRecordReason::TooLarge { bytes: 500, .. }
        )
    ));
    assert_eq!(got[1], rec(3, "{}"));
}

#[test]
#[cfg(feature = "ocsf")]
fn driver_reports_bad_records_with_file_and_location() {
    let ingest = Ingest::new();
    let mut problems = Vec::new();
    let input =
        b"{\"class_uid\":3002,\"time\":1715590800000,\"user\":{\"name\":\"a@x.example\"}}\n\
                  {\"unknown\":\"shape\"}\n\
                  {\"class_uid\":\n";
    let report = ingest.read_from(
        Path::new("in.jsonl"),
        &input[..],
        |_| {},
        |p| problems.push(p),
    );
    assert_eq!(report.records_read, 3);
    assert_eq!(report.events, 1);
    assert_eq!(report.bad_records, 2);
    match &problems[0] {
        IngestError::BadRecord {
            file,
            location,
            reason,
        } => {
            assert_eq!(file, Path::new("in.jsonl"));
            assert_eq!(*location, Location::Line(2));
            assert_eq!(*reason, BadRecordReason::UnknownFormat);
        }
        other => panic!("{other}"),
    }
    assert!(matches!(
        problems[1],
        IngestError::BadRecord {
            location: Location::Line(3),
            ..
        }
    ));
}

#[test]
#[cfg(feature = "ocsf")]
fn forced_source_and_unknown_source() {
    let err = Ingest::with_options(IngestOptions {
        source: Some("myspace".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(err, IngestError::UnknownSource(ref s) if s == "myspace"));
    let ocsf = Ingest::with_options(IngestOptions {
        source: Some("ocsf".into()),
        ..Default::default()
    })
    .unwrap();
    let mut problems = Vec::new();
    // Forced: a record without class_uid is not "unknown format" but an OCSF error.
    let report = ocsf.read_from(
        Path::new("x"),
        &b"{\"time\":1}\n"[..],
        |_| {},
        |p| problems.push(p),
    );
    assert_eq!(report.bad_records, 1);
    assert!(matches!(
        problems[0],
        IngestError::BadRecord {
            reason: BadRecordReason::MissingField("class_uid"),
            ..
        }
    ));
}

#[test]
#[cfg(feature = "ocsf")]
fn read_path_gzip_file_and_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.ocsf.jsonl.gz");
    let line = "{\"class_uid\":3002,\"activity_id\":1,\"time\":1715590800000,\"user\":{\"email_addr\":\"a@x.example\"}}\n";
    std::fs::write(&path, gzip(line.repeat(3).as_bytes())).unwrap();
    let mut events = Vec::new();
    let report = Ingest::new()
        .read_path(&path, |e| events.push(e), |p| panic!("{p}"))
        .unwrap();
    assert_eq!(
        (report.records_read, report.events, events.len()),
        (3, 3, 3)
    );

    let missing = dir.path().join("missing.json");
    let err = Ingest::new()
        .read_path(&missing, |_| {}, |_| {})
        .unwrap_err();
    assert!(matches!(err, IngestError::Io { ref path, .. } if *path == missing));
}

#[test]
#[cfg(feature = "ocsf")]
fn truncation_reaches_the_problem_callback() {
    let mut problems = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("cut.json"),
        &b"[{\"class_uid\":3002,\"time\":1715590800000},{\"class_uid\":3002,"[..],
        |_| {},
        |p| problems.push(p),
    );
    assert!(report.truncated);
    assert_eq!(report.events, 1);
    assert!(matches!(
        problems.last(),
        Some(IngestError::Truncated {
            location: Location::Index { index: 1, line: 1 },
            ..
        })
    ));
}

/// Microsoft's verbatim documentation example is invalid JSON on purpose: a clean bad record.
#[test]
fn graph_docs_verbatim_example_is_a_clean_error() {
    let Some(data) = support::shared_data() else {
        return;
    };
    let path = data.join("microsoft_graph_docs/signin-get.beta.example.verbatim.txt");
    let mut problems = Vec::new();
    let report = Ingest::new()
        .read_path(&path, |_| {}, |p| problems.push(p))
        .unwrap();
    assert_eq!(report.events, 0);
    assert_eq!(
        (report.records_read, report.bad_records),
        (1, 1),
        "{report:?}"
    );
    assert!(!report.truncated, "{report:?}");
    // A trailing comma in the documentation page (line 76) is where the JSON stops being JSON.
    assert_eq!(problems.len(), 1);
    let said = problems[0].to_string();
    assert!(
        said.contains("signin-get.beta.example.verbatim.txt"),
        "{said}"
    );
    assert!(
        said.contains("invalid JSON") && said.contains("line 76"),
        "{said}"
    );
}
