//! Splitting an input stream into raw records without holding the file: JSON Lines, a top-level
//! JSON array, wrapper objects (`value`, `records`, `Records`, `items`, `response`,
//! `response.authlogs`), pretty-printed objects, and the Purview CSV export's `AuditData` column.
//!
//! The scanner only tracks strings, escapes and nesting depth; it never builds a JSON tree. Each
//! record's bytes are handed to an adapter, which does the real parse. Memory stays bounded by the
//! read buffer plus one record: a record past the maximum size is skipped while scanning (its bytes
//! are not kept) and reported as [`BadRecordReason::TooLarge`].

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::{BadRecordReason, Location};

/// The default maximum size of one record: 1 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// How much is read from the source at a time.
const CHUNK: usize = 64 * 1024;

/// One record's raw bytes and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// The record (a JSON value, or the `AuditData` cell of a Purview CSV row, unquoted).
    pub bytes: &'a [u8],
    /// Where it starts in the file.
    pub location: Location,
}

/// What the reader found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadItem<'a> {
    /// A record to hand to an adapter.
    Record(RawRecord<'a>),
    /// A record that cannot even be split out (too large, not JSON at all, a CSV row with no
    /// `AuditData` cell); reading goes on after it.
    Bad {
        /// Where it starts.
        location: Location,
        /// Why it was rejected.
        reason: BadRecordReason,
    },
    /// The input ends inside a record, an array or a compressed member; nothing follows.
    Truncated {
        /// Where the unfinished record (or the read position) is.
        location: Location,
        /// What broke.
        detail: String,
    },
}

/// The layout the reader detected at the start of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// One JSON value per line.
    JsonLines,
    /// Pretty-printed JSON objects, one or more, each a record.
    Json,
    /// A top-level JSON array of records.
    JsonArray,
    /// A top-level object wrapping the array of records under a key path such as `value` or
    /// `response.authlogs`.
    Wrapped(&'static str),
    /// A Microsoft Purview audit CSV export; each row's `AuditData` cell is a record.
    PurviewCsv,
}

impl Format {
    /// A short name for reports.
    ///
    /// ```
    /// assert_eq!(palisade_ingest::Format::Wrapped("value").name(), "wrapped:value");
    /// ```
    pub fn name(self) -> String {
        match self {
            Format::JsonLines => "json_lines".into(),
            Format::Json => "json".into(),
            Format::JsonArray => "json_array".into(),
            Format::Wrapped(path) => format!("wrapped:{path}"),
            Format::PurviewCsv => "purview_csv".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    Top,
    Array { index: u64, close: u32 },
    Csv { audit_column: usize },
    Done,
}

/// Where the scanner stands inside an object at depth 1 or 2, for spotting wrapper keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    NotObject,
    ExpectKey,
    InKey,
    AfterKey,
    AfterColon,
    InValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// The value closed; `pos` is just past it.
    Complete,
    /// A wrapper array opened; `pos` is just past its `[`, inside `close` objects.
    Wrapper { close: u32, path: &'static str },
    /// A newline inside a JSON Lines record; `pos` is just past the newline.
    BrokenLine,
    /// End of input inside the value.
    Eof,
}

/// Splits a byte stream into raw records (see the module docs for the formats).
///
/// It is a lending reader: each [`ReadItem`] borrows the reader's buffer until the next call.
///
/// ```
/// use palisade_ingest::{Location, ReadItem, RecordReader};
/// let input = br#"{"stat":"OK","response":{"authlogs":[{"txid":"a"},{"txid":"b"}],"metadata":{}}}"#;
/// let mut reader = RecordReader::new(&input[..]);
/// let mut seen = Vec::new();
/// while let Some(item) = reader.next_item() {
///     if let ReadItem::Record(r) = item {
///         seen.push((String::from_utf8_lossy(r.bytes).into_owned(), r.location));
///     }
/// }
/// assert_eq!(seen[1], (r#"{"txid":"b"}"#.to_string(), Location::Index { index: 1, line: 1 }));
/// ```
pub struct RecordReader<'r> {
    src: Box<dyn Read + 'r>,
    buf: Vec<u8>,
    /// Next byte to scan.
    pos: usize,
    /// Start of the bytes to keep in `buf` (the record being scanned), if any.
    mark: Option<usize>,
    /// Absolute offset of `buf[0]` in the (decompressed) input.
    base: u64,
    eof: bool,
    /// 1-based line number at `pos`.
    line: u64,
    max: usize,
    state: State,
    /// A newline ends a top-level record (JSON Lines); decided from the first record.
    newline_breaks: bool,
    first_value: bool,
    format: Option<Format>,
    /// The current CSV cell, unquoted.
    cell: Vec<u8>,
}

impl std::fmt::Debug for RecordReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("line", &self.line)
            .field("format", &self.format)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl RecordReader<'static> {
    /// Opens a file; gzip is detected by its magic bytes (`1f 8b`) and decompressed on the fly.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(RecordReader::new(File::open(path)?))
    }
}

impl<'r> RecordReader<'r> {
    /// Reads from any byte source (gzip is detected and decompressed here too).
    pub fn new(src: impl Read + 'r) -> Self {
        RecordReader {
            src: Box::new(src),
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            mark: None,
            base: 0,
            eof: false,
            line: 1,
            max: DEFAULT_MAX_RECORD_BYTES,
            state: State::Start,
            newline_breaks: false,
            first_value: true,
            format: None,
            cell: Vec::new(),
        }
    }

    /// Sets the maximum size of one record (default [`DEFAULT_MAX_RECORD_BYTES`]).
    pub fn with_max_record_bytes(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// The layout detected so far (`None` before the first record or for empty input).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The next record, bad record or truncation; `None` at the end of the input.
    pub fn next_item(&mut self) -> Option<ReadItem<'_>> {
        match self.advance() {
            Ok(Step::Item(Found::Record {
                start,
                end,
                location,
            })) => Some(ReadItem::Record(RawRecord {
                bytes: &self.buf[start..end],
                location,
            })),
            Ok(Step::Item(Found::Cell { location })) => Some(ReadItem::Record(RawRecord {
                bytes: &self.cell,
                location,
            })),
            Ok(Step::Item(Found::Bad { location, reason })) => {
                Some(ReadItem::Bad { location, reason })
            }
            Ok(Step::Item(Found::Truncated { location, detail })) => {
                self.state = State::Done;
                Some(ReadItem::Truncated { location, detail })
            }
            Ok(Step::End) => {
                self.state = State::Done;
                None
            }
            Err(e) => {
                self.state = State::Done;
                Some(ReadItem::Truncated {
                    location: Location::Line(self.line),
                    detail: format!("read error: {e}"),
                })
            }
        }
    }

    // ----- buffer -----

    /// Reads more input, keeping the bytes from `mark` (or `pos`). Returns false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if let Some(m) = self.mark {
            // A record past the maximum is skipped rather than kept: memory stays bounded.
            if self.pos - m > self.max {
                self.mark = None;
            }
        }
        let keep = self.mark.unwrap_or(self.pos);
        if keep > 0 {
            self.buf.drain(..keep);
            self.base += keep as u64;
            self.pos -= keep;
            self.mark = self.mark.map(|m| m - keep);
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.src.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    self.eof = true;
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// The byte at `pos` without consuming it; `None` at the end of input.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        while self.pos >= self.buf.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    fn bump(&mut self) {
        if self.buf[self.pos] == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn abs(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Skips whitespace (and, in arrays, commas handled by the caller).
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    /// Consumes the rest of the line (without keeping it). Returns how many bytes were skipped.
    fn skip_line(&mut self) -> io::Result<u64> {
        let start = self.abs();
        self.mark = None;
        while let Some(b) = self.peek()? {
            self.bump();
            if b == b'\n' {
                break;
            }
        }
        Ok(self.abs() - start)
    }

    // ----- driving -----

    fn advance(&mut self) -> io::Result<Step> {
        self.mark = None;
        loop {
            match self.state {
                State::Done => return Ok(Step::End),
                State::Start => self.start()?,
                State::Top => {
                    if let Some(step) = self.top()? {
                        return Ok(step);
                    }
                }
                State::Array { index, close } => {
                    if let Some(step) = self.array(index, close)? {
                        return Ok(step);
                    }
                }
                State::Csv { audit_column } => return self.csv_row(audit_column),
            }
        }
    }

    /// Detects gzip, skips a BOM, and recognizes a Purview CSV header.
    fn start(&mut self) -> io::Result<()> {
        while self.buf.len() < 2 && self.fill()? {}
        if self.buf.starts_with(&[0x1f, 0x8b]) {
            let head = std::mem::take(&mut self.buf);
            let rest = std::mem::replace(&mut self.src, Box::new(io::empty()));
            self.src = Box::new(MultiGzDecoder::new(Cursor::new(head).chain(rest)));
            self.pos = 0;
            self.eof = false;
            while self.buf.len() < 3 && self.fill()? {}
        }
        while self.buf.len() < 3 && self.fill()? {}
        if self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        self.state = State::Top;
        // A CSV header is the first line, when that line is not JSON.
        match self.skip_ws()? {
            Some(b'{' | b'[') | None => {}
            Some(_) => {
                if let Some(column) = self.csv_header()? {
                    self.format = Some(Format::PurviewCsv);
                    self.state = State::Csv {
                        audit_column: column,
                    };
                }
            }
        }
        Ok(())
    }

    fn top(&mut self) -> io::Result<Option<Step>> {
        let Some(b) = self.skip_ws()? else {
            return Ok(Some(Step::End));
        };
        let location = Location::Line(self.line);
        match b {
            b'{' => {
                let start_abs = self.abs();
                self.mark = Some(self.pos);
                let first = self.first_value;
                let first_line = self.line;
                let outcome = self.scan(0, true, first)?;
                self.first_value = false;
                match outcome {
                    Scan::Complete => {
                        if first {
                            let multi_line = self.line != first_line;
                            self.newline_breaks = !multi_line;
                            self.format = Some(if multi_line {
                                Format::Json
                            } else {
                                Format::JsonLines
                            });
                        }
                        Ok(Some(self.finish_record(start_abs, location)))
                    }
                    Scan::Wrapper { close, path } => {
                        self.mark = None;
                        self.format.get_or_insert(Format::Wrapped(path));
                        self.state = State::Array { index: 0, close };
                        Ok(None)
                    }
                    Scan::BrokenLine => {
                        self.mark = None;
                        self.newline_breaks = true;
                        self.format.get_or_insert(Format::JsonLines);
                        Ok(Some(Step::Item(Found::Bad {
                            location,
                            reason: BadRecordReason::Json(
                                "unterminated JSON value at end of line".into(),
                            ),
                        })))
                    }
                    Scan::Eof => {
                        self.mark = None;
                        Ok(Some(Step::Item(Found::Truncated {
                            location,
                            detail: "input ends inside a JSON object".into(),
                        })))
                    }
                }
            }
            b'[' => {
                self.bump();
                self.first_value = false;
                self.format.get_or_insert(Format::JsonArray);
                self.state = State::Array { index: 0, close: 0 };
                Ok(None)
            }
            _ => {
                self.first_value = false;
                self.newline_breaks = true;
                self.format.get_or_insert(Format::JsonLines);
                let bytes = self.skip_line()?;
                let reason = if bytes as usize > self.max {
                    BadRecordReason::TooLarge {
                        bytes,
                        max: self.max as u64,
                    }
                } else {
                    BadRecordReason::Json("expected a JSON object or array".into())
                };
                Ok(Some(Step::Item(Found::Bad { location, reason })))
            }
        }
    }

    fn array(&mut self, index: u64, close: u32) -> io::Result<Option<Step>> {
        if self.newline_breaks {
            // In JSON Lines an array (or wrapper page) must close on its own line.
            while let Some(b' ' | b'\t' | b'\r') = self.peek()? {
                self.bump();
            }
            if self.peek()? == Some(b'\n') {
                let location = Location::Index {
                    index,
                    line: self.line,
                };
                self.bump();
                self.state = State::Top;
                return Ok(Some(Step::Item(Found::Bad {
                    location,
                    reason: BadRecordReason::Json("JSON array not closed at end of line".into()),
                })));
            }
        }
        let Some(b) = self.skip_ws()? else {
            return Ok(Some(Step::Item(Found::Truncated {
                location: Location::Index {
                    index,
                    line: self.line,
                },
                detail: "input ends inside a JSON array".into(),
            })));
        };
        match b {
            b',' => {
                self.bump();
                Ok(None)
            }
            b']' => {
                self.bump();
                self.state = State::Top;
                if close > 0 {
                    let location = Location::Line(self.line);
                    if self.scan(close, false, false)? == Scan::Eof {
                        return Ok(Some(Step::Item(Found::Truncated {
                            location,
                            detail: "input ends inside the wrapping object".into(),
                        })));
                    }
                }
                Ok(None)
            }
            _ => {
                let location = Location::Index {
                    index,
                    line: self.line,
                };
                self.state = State::Array {
                    index: index + 1,
                    close,
                };
                let start_abs = self.abs();
                self.mark = Some(self.pos);
                let outcome = if b == b'{' || b == b'[' {
                    self.scan(0, false, false)?
                } else {
                    self.scan_scalar()?
                };
                match outcome {
                    Scan::Complete | Scan::Wrapper { .. } => {
                        Ok(Some(self.finish_record(start_abs, location)))
                    }
                    Scan::BrokenLine => {
                        self.mark = None;
                        self.state = State::Top;
                        Ok(Some(Step::Item(Found::Bad {
                            location,
                            reason: BadRecordReason::Json(
                                "unterminated JSON value at end of line".into(),
                            ),
                        })))
                    }
                    Scan::Eof => {
                        self.mark = None;
                        Ok(Some(Step::Item(Found::Truncated {
                            location,
                            detail: "input ends inside an array element".into(),
                        })))
                    }
                }
            }
        }
    }

    fn finish_record(&mut self, start_abs: u64, location: Location) -> Step {
        let bytes = self.abs() - start_abs;
        match self.mark.take() {
            Some(start) if bytes <= self.max as u64 => Step::Item(Found::Record {
                start,
                end: self.pos,
                location,
            }),
            _ => Step::Item(Found::Bad {
                location,
                reason: BadRecordReason::TooLarge {
                    bytes,
                    max: self.max as u64,
                },
            }),
        }
    }

    /// Scans a bare scalar or string array element up to its delimiter.
    fn scan_scalar(&mut self) -> io::Result<Scan> {
        let mut in_str = false;
        let mut esc = false;
        let mut first = true;
        loop {
            let Some(b) = self.peek()? else {
                return Ok(if in_str { Scan::Eof } else { Scan::Complete });
            };
            if in_str {
                self.bump();
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    return Ok(Scan::Complete);
                } else if b == b'\n' && self.newline_breaks {
                    return Ok(Scan::BrokenLine);
                }
            } else {
                match b {
                    b'"' if first => {
                        in_str = true;
                        self.bump();
                    }
                    b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n' | b'{' | b'[' if !first => {
                        return Ok(Scan::Complete)
                    }
                    _ => self.bump(),
                }
            }
            first = false;
        }
    }

    /// Scans one JSON object or array starting at `pos` (or, with `depth0 > 0`, the rest of
    /// `depth0` open containers), tracking strings and depth. With `detect`, stops at a wrapper
    /// array in a depth-1 member (`value`, `records`, `Records`, `items`, `response`), or at
    /// `authlogs` under `response`.
    fn scan(&mut self, depth0: u32, detect: bool, first: bool) -> io::Result<Scan> {
        let mut depth = depth0;
        let mut in_str = false;
        let mut esc = false;
        let mut member = [Member::NotObject; 3];
        let mut key = [0u8; 16];
        let mut key_len = 0usize;
        let mut key_overflow = false;
        let mut capturing = false;
        let mut key_is = [Key::Other; 3];
        let mut under_response = false;
        // Only the first value of a file decides between pretty JSON and a broken JSON Lines line.
        let mut judge_first_newline = first && !self.newline_breaks;
        let mut last_sig = 0u8;
        loop {
            if self.pos >= self.buf.len() && !self.fill()? {
                return Ok(Scan::Eof);
            }
            if in_str && !esc && !capturing {
                // Most bytes are string contents: jump to the next byte that matters.
                let rest = &self.buf[self.pos..];
                let skip = rest
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c == b'\n')
                    .unwrap_or(rest.len());
                self.pos += skip;
                if self.pos >= self.buf.len() {
                    continue;
                }
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            if in_str {
                if esc {
                    esc = false;
                    continue;
                }
                match b {
                    b'\\' => esc = true,
                    b'"' => {
                        in_str = false;
                        if capturing {
                            capturing = false;
                            let d = depth as usize;
                            key_is[d] = if key_overflow {
                                Key::Other
                            } else {
                                Key::classify(&key[..key_len])
                            };
                            member[d] = Member::AfterKey;
                        }
                    }
                    b'\n' => {
                        self.line += 1;
                        if self.newline_breaks || judge_first_newline {
                            return Ok(Scan::BrokenLine);
                        }
                    }
                    _ => {
                        if capturing {
                            if key_len < key.len() {
                                key[key_len] = b;
                                key_len += 1;
                            } else {
                                // Longer than any wrapper key: can never match.
                                key_overflow = true;
                            }
                        }
                    }
                }
                continue;
            }
            let d = depth as usize;
            let tracked = detect && (1..=2).contains(&depth);
            match b {
                b'"' => {
                    in_str = true;
                    if tracked {
                        match member[d] {
                            Member::ExpectKey => {
                                capturing = true;
                                key_len = 0;
                                key_overflow = false;
                                member[d] = Member::InKey;
                            }
                            Member::AfterColon => member[d] = Member::InValue,
                            _ => {}
                        }
                    }
                }
                b'{' | b'[' => {
                    let mut opens_response = false;
                    if tracked && member[d] == Member::AfterColon {
                        member[d] = Member::InValue;
                        if b == b'[' {
                            if depth == 1 && key_is[1] != Key::Other && key_is[1] != Key::Authlogs {
                                return Ok(Scan::Wrapper {
                                    close: 1,
                                    path: key_is[1].path(),
                                });
                            }
                            if depth == 2 && under_response && key_is[2] == Key::Authlogs {
                                return Ok(Scan::Wrapper {
                                    close: 2,
                                    path: "response.authlogs",
                                });
                            }
                        } else if depth == 1 && key_is[1] == Key::Response {
                            opens_response = true;
                        }
                    }
                    depth += 1;
                    if depth <= 2 {
                        let nd = depth as usize;
                        member[nd] = if b == b'{' {
                            Member::ExpectKey
                        } else {
                            Member::NotObject
                        };
                        key_is[nd] = Key::Other;
                        if depth == 2 {
                            under_response = opens_response;
                        }
                    }
                }
                b'}' | b']' => {
                    if depth == 0 {
                        // A stray closer where a value should start: let the adapter reject it.
                        return Ok(Scan::Complete);
                    }
                    depth -= 1;
                    if depth == 0 {
                        return Ok(Scan::Complete);
                    }
                    if depth <= 2 {
                        member[depth as usize] = Member::InValue;
                    }
                }
                b':' => {
                    if tracked && member[d] == Member::AfterKey {
                        member[d] = Member::AfterColon;
                    }
                }
                b',' => {
                    if tracked && matches!(member[d], Member::InValue | Member::AfterColon) {
                        member[d] = Member::ExpectKey;
                    }
                }
                b'\n' => {
                    self.line += 1;
                    if self.newline_breaks {
                        return Ok(Scan::BrokenLine);
                    }
                    if judge_first_newline {
                        judge_first_newline = false;
                        // Pretty printers break lines right after an opener, a comma or a colon;
                        // a first line ending elsewhere is a broken JSON Lines record.
                        if !matches!(last_sig, b'{' | b'[' | b',' | b':') {
                            return Ok(Scan::BrokenLine);
                        }
                    }
                    continue;
                }
                b' ' | b'\t' | b'\r' => continue,
                _ => {
                    if tracked && member[d] == Member::AfterColon {
                        member[d] = Member::InValue;
                    }
                }
            }
            last_sig = b;
        }
    }

    // ----- Purview CSV -----

    /// Parses the first line as a CSV header; returns the `AuditData` column if there is one.
    /// Without one, leaves the position at the start of the line.
    ///
    /// Windows PowerShell's `Export-Csv` (without `-NoTypeInformation`) writes a `#TYPE ...`
    /// line before the header; it is skipped when the line after it is the header.
    fn csv_header(&mut self) -> io::Result<Option<usize>> {
        // Look at the first lines only (bounded), so a non-CSV file is not consumed. Offsets are
        // kept relative to the mark, which `fill` moves.
        self.mark = Some(self.pos);
        let mut header_offset = 0;
        let mut column = None;
        for attempt in 0..2 {
            loop {
                if let Some(nl) = self.buf[self.pos..].iter().position(|&c| c == b'\n') {
                    self.pos += nl;
                    break;
                }
                self.pos = self.buf.len();
                if self.pos - self.mark.unwrap_or(0) > self.max || !self.fill()? {
                    break;
                }
            }
            let Some(mark) = self.mark else {
                return Ok(None);
            };
            let line = &self.buf[mark + header_offset..self.pos];
            if attempt == 0 && line.starts_with(b"#TYPE ") && self.pos < self.buf.len() {
                // The type line: the header is the next line.
                self.pos += 1;
                header_offset = self.pos - mark;
                continue;
            }
            column = split_csv_line(line)
                .iter()
                .position(|f| f.trim_ascii() == b"AuditData");
            break;
        }
        let Some(mark) = self.mark.take() else {
            return Ok(None);
        };
        if column.is_some() {
            // Consume the header line (and the type line before it).
            if self.pos < self.buf.len() {
                self.pos += 1;
            }
            self.line += if header_offset > 0 { 2 } else { 1 };
        } else {
            self.pos = mark;
        }
        Ok(column)
    }

    /// Reads one CSV row (quoted cells may span lines), keeping only the `AuditData` cell.
    fn csv_row(&mut self, audit_column: usize) -> io::Result<Step> {
        // Skip blank lines between rows.
        loop {
            match self.peek()? {
                None => return Ok(Step::End),
                Some(b'\n' | b'\r') => self.bump(),
                Some(_) => break,
            }
        }
        let location = Location::Line(self.line);
        let mut cell = std::mem::take(&mut self.cell);
        cell.clear();
        let mut column = 0usize;
        let mut cell_bytes = 0u64;
        #[derive(PartialEq)]
        enum Cs {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteSeen,
        }
        let mut st = Cs::FieldStart;
        let mut truncated = false;
        loop {
            if st == Cs::Quoted {
                // Inside quotes: take the whole run up to the next quote at once (the byte-by-byte
                // steps below, done in bulk: the same bytes kept, the same lines counted). In a
                // Purview export this is almost all of the row: the `AuditData` JSON.
                let keep = column == audit_column;
                let room = self.max.saturating_sub(cell.len());
                if keep && room > 0 {
                    // The `AuditData` cell itself: unquoted word by word into `cell`.
                    let end = self.buf.len().min(self.pos.saturating_add(room));
                    let before = cell.len();
                    let (used, newlines) = unquote_cell(&self.buf[self.pos..end], &mut cell);
                    cell_bytes += (cell.len() - before) as u64;
                    self.line += newlines;
                    self.pos += used;
                    if used > 0 {
                        continue;
                    }
                }
                let run = &self.buf[self.pos..];
                let len = quote_or_end(run);
                let run = &run[..len];
                self.line += count_newlines(run);
                if keep {
                    cell_bytes += len as u64;
                    let room = self.max.saturating_sub(cell.len());
                    cell.extend_from_slice(&run[..len.min(room)]);
                }
                self.pos += len;
                // A doubled quote inside the cell, when both quotes are at hand: one `"` kept.
                if self.buf.get(self.pos..self.pos + 2) == Some(b"\"\"") {
                    self.pos += 2;
                    if keep {
                        cell_bytes += 1;
                        if cell.len() < self.max {
                            cell.push(b'"');
                        }
                    }
                    continue;
                }
            }
            if st == Cs::Unquoted {
                // The rest of an unquoted field (ids, dates, operation names) in one step: bytes
                // up to the next comma or line end, kept when this is the `AuditData` column.
                let run = &self.buf[self.pos..];
                let len = run
                    .iter()
                    .position(|&c| matches!(c, b',' | b'\n' | b'\r'))
                    .unwrap_or(run.len());
                if column == audit_column {
                    cell_bytes += len as u64;
                    let room = self.max.saturating_sub(cell.len());
                    cell.extend_from_slice(&run[..len.min(room)]);
                }
                self.pos += len;
            }
            let Some(b) = self.peek()? else {
                truncated = st == Cs::Quoted;
                break;
            };
            self.bump();
            let mut push = None;
            match st {
                Cs::FieldStart | Cs::Unquoted | Cs::QuoteSeen => match b {
                    b'"' if st == Cs::FieldStart => st = Cs::Quoted,
                    b'"' if st == Cs::QuoteSeen => {
                        push = Some(b'"');
                        st = Cs::Quoted;
                    }
                    b',' => {
                        column += 1;
                        st = Cs::FieldStart;
                    }
                    b'\n' => break,
                    b'\r' => {}
                    _ => {
                        push = Some(b);
                        st = Cs::Unquoted;
                    }
                },
                Cs::Quoted => {
                    if b == b'"' {
                        st = Cs::QuoteSeen;
                    } else {
                        push = Some(b);
                    }
                }
            }
            if let Some(c) = push {
                if column == audit_column {
                    cell_bytes += 1;
                    if cell.len() < self.max {
                        cell.push(c);
                    }
                }
            }
        }
        self.cell = cell;
        if truncated {
            return Ok(Step::Item(Found::Truncated {
                location,
                detail: "input ends inside a quoted CSV cell".into(),
            }));
        }
        if column < audit_column || cell_bytes == 0 {
            return Ok(Step::Item(Found::Bad {
                location,
                reason: BadRecordReason::MissingField("AuditData"),
            }));
        }
        if cell_bytes > self.max as u64 {
            return Ok(Step::Item(Found::Bad {
                location,
                reason: BadRecordReason::TooLarge {
                    bytes: cell_bytes,
                    max: self.max as u64,
                },
            }));
        }
        Ok(Step::Item(Found::Cell { location }))
    }
}

/// Unquotes the inside of a quoted CSV cell from the start of `src` into `cell`, stopping before
/// a quote that is not doubled (the end of the cell, or a quote whose partner is not read yet) or
/// at the end of `src`. Returns the bytes used and the newlines among them. Exactly the bytes
/// the byte-by-byte state machine would push: 64 bytes at a time while whole blocks are at hand
/// (a Purview `AuditData` cell doubles a quote every few bytes, so going quote by quote was the
/// reader's main cost), then eight at a time where a word holds no quote.
fn unquote_cell(src: &[u8], cell: &mut Vec<u8>) -> (usize, u64) {
    let (mut i, mut newlines) = (0usize, 0u64);
    while let Some(window) = src.get(i..).and_then(<[u8]>::first_chunk::<WINDOW>) {
        let Some(step) = unquote_block(window, cell) else {
            break;
        };
        i += step.used;
        newlines += step.newlines;
        if step.cell_ends {
            return (i, newlines);
        }
    }
    let (used, more) = unquote_words(&src[i..], cell);
    (i + used, newlines + more)
}

/// Bytes [`unquote_block`] unquotes in one step.
const BLOCK: usize = 64;
/// Bytes it may read (and write) past them: runs are copied sixteen bytes at a time.
const SLACK: usize = 16;
/// Bytes of input it needs at hand.
const WINDOW: usize = BLOCK + SLACK;

/// What [`unquote_block`] did.
struct BlockStep {
    /// Input bytes consumed.
    used: usize,
    /// Newlines among them.
    newlines: u64,
    /// The byte after the used ones is the quote that closes the cell.
    cell_ends: bool,
}

/// Unquotes the first [`BLOCK`] bytes of `window`, a quoted cell's inside from where no quote is
/// pending. A run of quotes touching the block's end may pair with bytes after it, so the block
/// stops before such a run; `None` when the whole block is quotes (the word loop takes over).
fn unquote_block(window: &[u8; WINDOW], cell: &mut Vec<u8>) -> Option<BlockStep> {
    // Bit k of a mask is byte k of the block.
    const EVEN: u64 = 0x5555_5555_5555_5555;
    let (quotes, any_newline) = block_masks(window);
    let len = BLOCK - quotes.leading_ones() as usize;
    if len == 0 {
        return None;
    }
    let q = quotes & below(len);
    // Within each run of quotes, every second one is the doubling quote that is dropped: the
    // runs are told apart by the parity of their start (adding a run's lowest bit clears it).
    let starts = q & !(q << 1);
    let odd_runs = q & q.wrapping_add(starts & EVEN);
    let dropped = ((q & !odd_runs) & !EVEN) | (odd_runs & EVEN);
    // A kept quote not followed by its dropped partner ends the cell.
    let closing = q & !dropped & !(dropped >> 1);
    let (end, cell_ends) = if closing == 0 {
        (len, false)
    } else {
        (closing.trailing_zeros() as usize, true)
    };
    // Runs are written straight into the cell, over zeroed room that is cut back afterwards
    // (a fixed-size zeroing is a few stores; a copy of a variable length is a call).
    let base = cell.len();
    cell.extend_from_slice(&[0u8; WINDOW]);
    let out = &mut cell[base..base + WINDOW];
    let mut kept = 0;
    let mut from = 0;
    let mut drops = dropped & below(end);
    while drops != 0 {
        let at = drops.trailing_zeros() as usize;
        drops &= drops - 1;
        copy_run(window, from, at, out, &mut kept);
        from = at + 1;
    }
    copy_run(window, from, end, out, &mut kept);
    cell.truncate(base + kept);
    let newlines = if any_newline {
        count_newlines(&window[..end])
    } else {
        0
    };
    Some(BlockStep {
        used: end,
        newlines,
        cell_ends,
    })
}

/// The first `n` bits set (`n` at most 64).
fn below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// A byte of ones in each lane of a word.
const ONES: u64 = u64::MAX / 255;

/// The high bit of each byte of `w` equal to `b`, exactly (no borrow between bytes).
#[inline(always)]
fn eq_mask(w: u64, b: u8) -> u64 {
    const LOW7: u64 = ONES * 0x7F;
    let x = w ^ (ONES * u64::from(b));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The quotes of a block as a bit mask, and whether it holds any newline.
#[inline(always)]
fn block_masks(window: &[u8; WINDOW]) -> (u64, bool) {
    let mut quotes = 0u64;
    let mut newline = 0u64;
    for k in 0..BLOCK / 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&window[k * 8..k * 8 + 8]);
        let w = u64::from_le_bytes(word);
        let high = eq_mask(w, b'"');
        // One bit per byte, gathered into the byte's position in the block.
        let bits = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        quotes |= bits << (k * 8);
        // Only whether there is one: newlines are rare in the cell, and counted then.
        let y = w ^ (ONES * u64::from(b'\n'));
        newline |= y.wrapping_sub(ONES) & !y;
    }
    (quotes, newline & (ONES << 7) != 0)
}

/// Copies `window[from..to]` (within the block) to `out` at `*kept`, sixteen bytes at a time:
/// the bytes past the run land in room that is overwritten or cut.
#[inline(always)]
fn copy_run(window: &[u8; WINDOW], from: usize, to: usize, out: &mut [u8], kept: &mut usize) {
    let len = to - from;
    let at = *kept;
    let mut k = 0;
    loop {
        out[at + k..at + k + SLACK].copy_from_slice(&window[from + k..from + k + SLACK]);
        k += SLACK;
        if k >= len {
            break;
        }
    }
    *kept = at + len;
}

/// [`unquote_cell`] eight bytes at a time, for what is left after the whole blocks.
fn unquote_words(src: &[u8], cell: &mut Vec<u8>) -> (usize, u64) {
    cell.reserve(src.len());
    let (mut i, mut newlines) = (0usize, 0u64);
    loop {
        while let Some(chunk) = src.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let quote = eq_mask(w, b'"');
            // Newlines are counted (for line numbers) and kept like any other byte.
            let before_quote = if quote == 0 {
                u64::MAX
            } else {
                (quote & quote.wrapping_neg()) - 1
            };
            let nl = eq_mask(w, b'\n') & before_quote;
            if nl != 0 {
                newlines += u64::from(nl.count_ones());
            }
            let before = cell.len();
            cell.extend_from_slice(&word);
            if quote == 0 {
                i += 8;
                continue;
            }
            let k = (quote.trailing_zeros() / 8) as usize;
            cell.truncate(before + k);
            i += k;
            break;
        }
        match src.get(i) {
            None => return (i, newlines),
            Some(b'"') if src.get(i + 1) == Some(&b'"') => {
                cell.push(b'"');
                i += 2;
            }
            Some(b'"') => return (i, newlines),
            Some(&c) => {
                // Fewer than eight bytes left.
                newlines += u64::from(c == b'\n');
                cell.push(c);
                i += 1;
            }
        }
    }
}

/// The length of `bytes` before its first `"` (all of it when there is none).
fn quote_or_end(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'"'));
        let found = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + bytes[i..]
        .iter()
        .position(|&c| c == b'"')
        .unwrap_or(bytes.len() - i)
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&c| c == b'\n').count() as u64
}

enum Step {
    Item(Found),
    End,
}

enum Found {
    Record {
        start: usize,
        end: usize,
        location: Location,
    },
    Cell {
        location: Location,
    },
    Bad {
        location: Location,
        reason: BadRecordReason,
    },
    Truncated {
        location: Location,
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Value,
    RecordsLower,
    RecordsUpper,
    Items,
    Response,
    Authlogs,
    Other,
}

impl Key {
    fn classify(k: &[u8]) -> Key {
        match k {
            b"value" => Key::Value,
            b"records" => Key::RecordsLower,
            b"Records" => Key::RecordsUpper,
            b"items" => Key::Items,
            b"response" => Key::Response,
            b"authlogs" => Key::Authlogs,
            _ => Key::Other,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Key::Value => "value",
            Key::RecordsLower => "records",
            Key::RecordsUpper => "Records",
            Key::Items => "items",
            Key::Response => "response",
            Key::Authlogs => "response.authlogs",
            Key::Other => "",
        }
    }
}

/// Splits one CSV line into its cells (quotes removed), for the header.
fn split_csv_line(line: &[u8]) -> Vec<Vec<u8>> {
    let mut cells = vec![Vec::new()];
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        let cur = cells.len() - 1;
        match b {
            b'"' if quoted && line.get(i + 1) == Some(&b'"') => {
                cells[cur].push(b'"');
                i += 1;
            }
            b'"' => quoted = !quoted,
            b',' if !quoted => cells.push(Vec::new()),
            b'\r' if !quoted => {}
            _ => cells[cur].push(b),
        }
        i += 1;
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its input a few bytes at a time, so records straddle buffer refills.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 * 7 % 13 + 1;
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn purview_cells_unquote_exactly_across_refills_and_limits() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const ALPHABET: &[u8] = b"ab{}:,\"\"\"\n\r x\\0123456789";
        for round in 0..300 {
            let max = if round % 3 == 0 { 24 } else { 1 << 20 };
            let mut csv = b"Id,AuditData,Other\r\n".to_vec();
            let mut expected = Vec::new();
            let mut line = 2u64;
            for row in 0..(next() % 6) {
                let len = (next() % 90) as usize;
                let cell: Vec<u8> = (0..len)
                    .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                    .collect();
                let mut quoted = b"\"".to_vec();
                for &c in &cell {
                    quoted.push(c);
                    if c == b'"' {
                        quoted.push(b'"');
                    }
                }
                quoted.push(b'"');
                csv.extend_from_slice(format!("r{row},").as_bytes());
                csv.extend_from_slice(&quoted);
                csv.extend_from_slice(b",\"x\"\"y\"\r\n");
                let shown = if cell.is_empty() {
                    format!("line {line} BAD missing field `AuditData`")
                } else if cell.len() > max {
                    format!(
                        "line {line} BAD {}",
                        BadRecordReason::TooLarge {
                            bytes: cell.len() as u64,
                            max: max as u64
                        }
                    )
                } else {
                    format!("line {line} {}", String::from_utf8_lossy(&cell))
                };
                expected.push(shown);
                line += 1 + cell.iter().filter(|&&c| c == b'\n').count() as u64;
            }
            let mut r = RecordReader::new(Dribble(&csv, round)).with_max_record_bytes(max);
            let mut got = Vec::new();
            while let Some(item) = r.next_item() {
                got.push(match item {
                    ReadItem::Record(rec) => {
                        format!("{} {}", rec.location, String::from_utf8_lossy(rec.bytes))
                    }
                    ReadItem::Bad { location, reason } => format!("{location} BAD {reason}"),
                    ReadItem::Truncated { location, detail } => {
                        format!("{location} TRUNC {detail}")
                    }
                });
            }
            assert_eq!(
                got,
                expected,
                "round {round}: {}",
                String::from_utf8_lossy(&csv)
            );
        }
    }

    /// The byte-by-byte reading `unquote_cell` must match: a doubled quote is one quote, any
    /// other quote (or one whose partner is not read yet) stops before it.
    fn unquote_naive(src: &[u8]) -> (usize, u64, Vec<u8>) {
        let (mut i, mut newlines, mut cell) = (0, 0, Vec::new());
        while let Some(&c) = src.get(i) {
            if c == b'"' {
                if src.get(i + 1) != Some(&b'"') {
                    break;
                }
                cell.push(b'"');
                i += 2;
            } else {
                newlines += u64::from(c == b'\n');
                cell.push(c);
                i += 1;
            }
        }
        (i, newlines, cell)
    }

    #[test]
    fn unquote_cell_matches_the_byte_by_byte_reading() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const ALPHABETS: [&[u8]; 3] = [b"\"\"\"\"ab\n", b"\"\"abcdefgh:,{}\n", b"\"\""];
        for round in 0..20_000 {
            let alphabet = ALPHABETS[round % ALPHABETS.len()];
            let len = (next() % 300) as usize;
            let mut src: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if round % 2 == 0 {
                // A well-formed cell: quotes doubled, then the closing quote and a comma.
                src = src
                    .iter()
                    .flat_map(|&c| if c == b'"' { vec![c, c] } else { vec![c] })
                    .collect();
                src.extend_from_slice(b"\",x");
            }
            let mut cell = b"kept".to_vec();
            let (used, newlines) = unquote_cell(&src, &mut cell);
            let (want_used, want_newlines, want_cell) = unquote_naive(&src);
            assert_eq!(
                (used, newlines, &cell[4..]),
                (want_used, want_newlines, &want_cell[..]),
                "{}",
                String::from_utf8_lossy(&src)
            );
        }
    }

    fn collect(input: &[u8]) -> Vec<String> {
        let mut r = RecordReader::new(input);
        let mut out = Vec::new();
        while let Some(item) = r.next_item() {
            out.push(match item {
                ReadItem::Record(rec) => {
                    format!("{} {}", rec.location, String::from_utf8_lossy(rec.bytes))
                }
                ReadItem::Bad { location, reason } => format!("{location} BAD {reason}"),
                ReadItem::Truncated { location, detail } => format!("{location} TRUNC {detail}"),
            });
        }
        out
    }

    #[test]
    fn header_split_handles_quotes() {
        let cells = split_csv_line(br#"RecordId,"Audit""Data",AuditData"#);
        assert_eq!(cells[1], b"Audit\"Data");
        assert_eq!(cells[2], b"AuditData");
    }

    #[test]
    fn wrapper_key_deeper_than_one_is_not_a_wrapper() {
        let out = collect(b"{\"a\":{\"value\":[1,2]}}\n{\"b\":1}\n");
        assert_eq!(
            out,
            vec!["line 1 {\"a\":{\"value\":[1,2]}}", "line 2 {\"b\":1}"]
        );
    }

    #[test]
    fn scalar_elements_are_records() {
        let out = collect(b"[1, \"x,y\", true]");
        assert_eq!(
            out,
            vec![
                "line 1 (array index 0) 1",
                "line 1 (array index 1) \"x,y\"",
                "line 1 (array index 2) true"
            ]
        );
    }
}
