//! The reader streams: tens of MiB of JSON array and JSON Lines, generated record by record by a
//! `Read` that never holds more than one record, go through `Ingest::read_from` while the reader
//! never pulls more than a small bound ahead of the events it has delivered.
//!
//! The probe: every record carries its sequence number, so when event `n` arrives the test knows
//! where record `n` ends in the input; the source counts the bytes it has handed out. The
//! difference is what the reader has taken in but not yet turned into events, an upper bound on
//! what it can be holding. A reader that slurped its input would have taken all of it before the
//! first event (the negative control below shows the probe catching exactly that).

#![cfg(feature = "ocsf")]
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use palisade_ingest::Ingest;

/// What the reader may take in ahead of the last delivered event: its 64 KiB read chunk plus a
/// record, with room to spare, and still far below the input.
const MAX_READ_AHEAD: u64 = 1 << 20;

/// Bytes of padding in each record (OCSF `message`), so the input is large with few records.
const PAD: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// `[\n` rec `,\n` rec ... `\n]\n`
    Array,
    /// rec `\n` rec `\n` ...
    Lines,
}

/// One OCSF authentication record with a fixed width: the sequence number is zero-padded.
fn record(n: u64) -> String {
    format!(
        concat!(
            r#"{{"class_uid":3002,"activity_id":1,"status_id":1,"time":1715590800000,"#,
            r#""metadata":{{"uid":"r{:09}","version":"1.3.0"}},"#,
            r#""user":{{"email_addr":"alice@example.com"}},"src_endpoint":{{"ip":"81.2.69.142"}},"#,
            r#""message":"{}"}}"#
        ),
        n,
        "x".repeat(PAD)
    )
}

/// The records of a layout, produced on the fly as the reader asks for bytes.
struct Generated {
    layout: Layout,
    records: u64,
    /// Next record to produce.
    next: u64,
    /// The piece being handed out (the header, one record with its separator, or the trailer).
    piece: Vec<u8>,
    at: usize,
    started: bool,
    done: bool,
    /// Bytes handed out so far, shared with the test.
    produced: Rc<Cell<u64>>,
}

impl Generated {
    fn new(layout: Layout, records: u64) -> (Self, Rc<Cell<u64>>) {
        let produced = Rc::new(Cell::new(0));
        let g = Generated {
            layout,
            records,
            next: 0,
            piece: Vec::new(),
            at: 0,
            started: false,
            done: false,
            produced: Rc::clone(&produced),
        };
        (g, produced)
    }

    fn header(layout: Layout) -> &'static str {
        match layout {
            Layout::Array => "[\n",
            Layout::Lines => "",
        }
    }

    /// Where record `n` ends in the input (just past its closing brace).
    fn end_of(layout: Layout, n: u64) -> u64 {
        let rec = record(0).len() as u64;
        let sep = match layout {
            Layout::Array => 2, // ",\n"
            Layout::Lines => 1, // "\n"
        };
        Self::header(layout).len() as u64 + n * (rec + sep) + rec
    }

    /// Total size of the input.
    fn total(layout: Layout, records: u64) -> u64 {
        let trailer = match layout {
            Layout::Array => 3, // "\n]\n"
            Layout::Lines => 1, // "\n"
        };
        Self::end_of(layout, records - 1) + trailer
    }

    /// Makes the next piece; false at the end.
    fn refill(&mut self) -> bool {
        self.piece.clear();
        self.at = 0;
        if !self.started {
            self.started = true;
            self.piece
                .extend_from_slice(Self::header(self.layout).as_bytes());
            if !self.piece.is_empty() {
                return true;
            }
        }
        if self.next < self.records {
            let n = self.next;
            self.next += 1;
            self.piece.extend_from_slice(record(n).as_bytes());
            let last = self.next == self.records;
            self.piece.extend_from_slice(match (self.layout, last) {
                (Layout::Array, false) => b",\n",
                (Layout::Array, true) => b"\n]\n",
                (Layout::Lines, _) => b"\n",
            });
            return true;
        }
        self.done = true;
        false
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.at == self.piece.len() && (self.done || !self.refill()) {
                break;
            }
            let take = (self.piece.len() - self.at).min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&self.piece[self.at..self.at + take]);
            self.at += take;
            n += take;
        }
        self.produced.set(self.produced.get() + n as u64);
        Ok(n)
    }
}

/// What one run through `Ingest::read_from` came to.
struct Run {
    events: u64,
    /// Largest number of bytes taken from the source beyond the end of the record of the event
    /// being delivered.
    max_read_ahead: u64,
    problems: Vec<String>,
    records_read: u64,
}

/// Reads `src` (whose bytes-produced counter is `produced`) and measures the read-ahead at each
/// event.
fn run(layout: Layout, src: impl Read, produced: &Rc<Cell<u64>>) -> Run {
    let mut events = 0u64;
    let mut max_read_ahead = 0u64;
    let mut problems = Vec::new();
    let report = Ingest::new().read_from(
        Path::new("generated.json"),
        src,
        |e| {
            let n: u64 = e.id.strip_prefix('r').unwrap().parse().unwrap();
            assert_eq!(n, events, "events arrive in input order");
            let end = Generated::end_of(layout, n);
            let taken = produced.get();
            assert!(
                taken >= end,
                "event {n} delivered before its bytes were read"
            );
            max_read_ahead = max_read_ahead.max(taken - end);
            events += 1;
        },
        |p| problems.push(p.to_string()),
    );
    assert_eq!(report.events, events);
    Run {
        events,
        max_read_ahead,
        problems,
        records_read: report.records_read,
    }
}

/// About 24 MiB per layout: large against the bound, small enough for a debug build.
const RECORDS: u64 = 12 * 1024;

fn check_layout(layout: Layout) {
    let total = Generated::total(layout, RECORDS);
    assert!(total > 20 << 20, "{layout:?}: {total} bytes");
    assert!(total > 20 * MAX_READ_AHEAD);
    let (src, produced) = Generated::new(layout, RECORDS);
    let r = run(layout, src, &produced);
    assert!(r.problems.is_empty(), "{layout:?}: {:?}", &r.problems[..1]);
    assert_eq!((r.records_read, r.events), (RECORDS, RECORDS), "{layout:?}");
    assert_eq!(
        produced.get(),
        total,
        "{layout:?}: the whole input was read"
    );
    assert!(
        r.max_read_ahead <= MAX_READ_AHEAD,
        "{layout:?}: the reader took in {} bytes ahead of the events it delivered (bound {})",
        r.max_read_ahead,
        MAX_READ_AHEAD
    );
}

#[test]
fn json_array_streams_in_bounded_memory() {
    check_layout(Layout::Array);
}

#[test]
fn json_lines_stream_in_bounded_memory() {
    check_layout(Layout::Lines);
}

/// The probe itself: the same input read whole into memory before the reader sees it (what a
/// slurping reader does) shows a read-ahead of nearly the whole input, far past the bound.
#[test]
fn the_probe_catches_a_slurped_input() {
    for layout in [Layout::Array, Layout::Lines] {
        let records = 2048; // about 4 MiB
        let total = Generated::total(layout, records);
        let (mut src, produced) = Generated::new(layout, records);
        let mut whole = Vec::new();
        src.read_to_end(&mut whole).unwrap();
        assert_eq!(whole.len() as u64, total);
        let r = run(layout, &whole[..], &produced);
        assert_eq!(r.events, records);
        assert!(
            r.max_read_ahead > MAX_READ_AHEAD,
            "{layout:?}: {}",
            r.max_read_ahead
        );
        assert_eq!(
            r.max_read_ahead,
            total - Generated::end_of(layout, 0),
            "{layout:?}: measured at the first event"
        );
    }
}

#[test]
fn generated_input_is_what_it_claims() {
    for layout in [Layout::Array, Layout::Lines] {
        let (mut src, _) = Generated::new(layout, 3);
        let mut text = String::new();
        src.read_to_string(&mut text).unwrap();
        assert_eq!(text.len() as u64, Generated::total(layout, 3));
        let values: Vec<serde_json::Value> = match layout {
            Layout::Array => serde_json::from_str::<Vec<_>>(&text).unwrap(),
            Layout::Lines => text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        };
        assert_eq!(values.len(), 3);
        for n in 0..3 {
            let end = Generated::end_of(layout, n) as usize;
            assert_eq!(
                &text[end - 2..end],
                "\"}",
                "{layout:?} record {n} ends at {end}"
            );
        }
    }
}
