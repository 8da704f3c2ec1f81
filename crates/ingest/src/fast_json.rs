//! A fast path for reading one JSON record into the adapters' borrowing serde types.
//!
//! [`from_slice`] is a small `serde::Deserializer` over a byte slice, built for the adapters'
//! pattern: a handful of named keys read, everything else skipped. It accepts a strict *subset* of
//! what `serde_json::from_slice` accepts and, for every input it accepts, makes exactly the visitor
//! calls `serde_json` would make (borrowed strings where there were no escapes, `visit_u64` for
//! plain integers, `serde_json` itself for every other number). Whenever it is unsure — any syntax
//! error, a `\u` surrogate escape, deep nesting, a serde method it does not implement, an error
//! raised by a visitor (a wrong type, a duplicate field), or input that is not UTF-8 anywhere (even
//! in a skipped value, which `serde_json` would accept) — it gives up, and the caller parses the
//! record again with `serde_json` ([`from_slice_or_serde`]), so errors, their messages and every
//! lenient behaviour stay exactly those of `serde_json`.
//!
//! Why it is faster: values the adapter skips are validated by one tight, non-recursive loop that
//! scans strings eight bytes at a time; keys are scanned the same way (most are shorter than a
//! `memchr` call's set-up); and there is no per-token error-position bookkeeping.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Nesting of visited containers allowed on the fast path (`serde_json` stops at 128).
const MAX_DEPTH: u32 = 100;

/// The fast path gave up; the record must be read by `serde_json`.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fast JSON path gave up")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    #[cold]
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

/// Reads one JSON document as `T`, or `None` when `serde_json` must decide (see the module docs).
pub(crate) fn from_slice<'de, T: Deserialize<'de>>(input: &'de [u8]) -> Option<T> {
    from_slice_seed(input, std::marker::PhantomData::<T>)
}

/// Like [`from_slice`], for a seed (e.g. one that reads into an existing value).
pub(crate) fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
    input: &'de [u8],
    seed: S,
) -> Option<S::Value> {
    let text = std::str::from_utf8(input).ok()?;
    let mut de = Json {
        b: input,
        text,
        i: 0,
        depth: 0,
        scratch: Vec::new(),
    };
    let value = seed.deserialize(&mut de).ok()?;
    match de.peek() {
        None => Some(value),
        Some(_) => None,
    }
}

/// [`from_slice`], falling back to `serde_json::from_slice` (and its exact result) when the fast
/// path gives up.
pub(crate) fn from_slice_or_serde<'de, T: Deserialize<'de>>(
    input: &'de [u8],
) -> serde_json::Result<T> {
    match from_slice(input) {
        Some(value) => Ok(value),
        None => serde_json::from_slice(input),
    }
}

const ONES: u64 = u64::MAX / 255;

/// High bit set in each byte of `chunk` that is `"`, `\` or a control character.
#[inline(always)]
fn string_stops(chunk: u64) -> u64 {
    let ctrl = chunk.wrapping_sub(ONES * 0x20) & !chunk;
    let quote = chunk ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote;
    let slash = chunk ^ (ONES * u64::from(b'\\'));
    let slash = slash.wrapping_sub(ONES) & !slash;
    (ctrl | quote | slash) & (ONES << 7)
}

struct Json<'de> {
    b: &'de [u8],
    /// The same input, validated as UTF-8 once (string by string it was a tenth of the parse).
    text: &'de str,
    i: usize,
    depth: u32,
    scratch: Vec<u8>,
}

/// A string just scanned: its raw bytes between the quotes (at `start` in the input), and
/// whether they hold escapes.
struct RawStr<'de> {
    raw: &'de [u8],
    start: usize,
    escaped: bool,
}

impl<'de> Json<'de> {
    /// The next byte after JSON whitespace (not consumed), `None` at the end.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        loop {
            let c = *self.b.get(self.i)?;
            if c > b' ' || !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.i += 1;
        }
    }

    #[inline(always)]
    fn expect(&mut self, c: u8) -> Result<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// Scans a string whose opening quote is at `self.i`, leaving `self.i` after the closing
    /// quote. Control characters and malformed escapes give up.
    #[inline(always)]
    fn scan_str(&mut self) -> Result<RawStr<'de>> {
        let b = self.b;
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            while let Some(chunk) = b.get(i..i + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let stops = string_stops(u64::from_le_bytes(word));
                if stops != 0 {
                    i += (stops.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            while let Some(&c) = b.get(i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                i += 1;
            }
            match b.get(i) {
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(RawStr {
                        raw: &b[start..i],
                        start,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    match b.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'u') => match b.get(i + 2..i + 6) {
                            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => i += 6,
                            _ => return Err(GiveUp),
                        },
                        _ => return Err(GiveUp),
                    }
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// The unescaped bytes of an escaped string, in `self.scratch`. Surrogate escapes give up.
    fn unescape(&mut self, raw: &[u8]) -> Result<()> {
        self.scratch.clear();
        let mut rest = raw;
        while let Some(at) = rest.iter().position(|&c| c == b'\\') {
            self.scratch.extend_from_slice(&rest[..at]);
            let (unescaped, used) = match rest.get(at + 1) {
                Some(b'"') => (b'"', 2),
                Some(b'\\') => (b'\\', 2),
                Some(b'/') => (b'/', 2),
                Some(b'b') => (8, 2),
                Some(b'f') => (12, 2),
                Some(b'n') => (b'\n', 2),
                Some(b'r') => (b'\r', 2),
                Some(b't') => (b'\t', 2),
                Some(b'u') => {
                    let hex = rest.get(at + 2..at + 6).ok_or(GiveUp)?;
                    let hex = std::str::from_utf8(hex).map_err(|_| GiveUp)?;
                    let code = u32::from_str_radix(hex, 16).map_err(|_| GiveUp)?;
                    let ch = char::from_u32(code).ok_or(GiveUp)?; // surrogates are not chars
                    let mut buf = [0u8; 4];
                    self.scratch
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    rest = &rest[at + 6..];
                    continue;
                }
                _ => return Err(GiveUp),
            };
            self.scratch.push(unescaped);
            rest = &rest[at + used..];
        }
        self.scratch.extend_from_slice(rest);
        Ok(())
    }

    fn visit_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let s = self.scan_str()?;
        if s.escaped {
            self.unescape(s.raw)?;
            let text = std::str::from_utf8(&self.scratch).map_err(|_| GiveUp)?;
            visitor.visit_str(text)
        } else {
            // The input was validated as a whole, and quotes are ASCII, so this is a char
            // boundary slice, not a second validation.
            let text = self.text.get(s.start..s.start + s.raw.len());
            visitor.visit_borrowed_str(text.ok_or(GiveUp)?)
        }
    }

    fn visit_bytes<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let s = self.scan_str()?;
        if s.escaped {
            self.unescape(s.raw)?;
            visitor.visit_bytes(&self.scratch)
        } else {
            visitor.visit_borrowed_bytes(s.raw)
        }
    }

    /// The end of the number starting at `self.i`, checked against JSON's number grammar.
    #[inline(always)]
    fn scan_number(&self) -> Result<usize> {
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                i += 1;
                while matches!(b.get(i), Some(b'0'..=b'9')) {
                    i += 1;
                }
            }
            _ => return Err(GiveUp),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(GiveUp);
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return Err(GiveUp);
            }
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        Ok(i)
    }

    fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let end = self.scan_number()?;
        let text = &self.b[self.i..end];
        self.i = end;
        // A plain non-negative integer of at most 18 digits: exactly what serde_json reports.
        if text.len() <= 18 && text.iter().all(u8::is_ascii_digit) {
            let n = text.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            return visitor.visit_u64(n);
        }
        // Anything else (signs, fractions, exponents, huge values): serde_json's own reading.
        serde_json::Deserializer::from_slice(text)
            .deserialize_any(visitor)
            .map_err(|_| GiveUp)
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// Validates and skips one value, without recursion.
    fn skip(&mut self) -> Result<()> {
        // One bit per open container: 1 for an object, 0 for an array.
        let mut stack: u128 = 0;
        let mut depth = 0u32;
        loop {
            match self.peek().ok_or(GiveUp)? {
                b'"' => {
                    self.scan_str()?;
                }
                b'{' => {
                    self.i += 1;
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                    } else {
                        if depth >= 120 {
                            return Err(GiveUp);
                        }
                        stack = (stack << 1) | 1;
                        depth += 1;
                        self.skip_key()?;
                        continue;
                    }
                }
                b'[' => {
                    self.i += 1;
                    if self.peek() == Some(b']') {
                        self.i += 1;
                    } else {
                        if depth >= 120 {
                            return Err(GiveUp);
                        }
                        stack <<= 1;
                        depth += 1;
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.i = self.scan_number()?,
            }
            // After a value: close containers until one continues with a comma.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let c = self.peek().ok_or(GiveUp)?;
                self.i += 1;
                if stack & 1 == 1 {
                    match c {
                        b',' => {
                            self.skip_key()?;
                            break;
                        }
                        b'}' => {}
                        _ => return Err(GiveUp),
                    }
                } else {
                    match c {
                        b',' => break,
                        b']' => {}
                        _ => return Err(GiveUp),
                    }
                }
                stack >>= 1;
                depth -= 1;
            }
        }
    }

    /// Skips `"key":` inside an object being skipped.
    #[inline(always)]
    fn skip_key(&mut self) -> Result<()> {
        if self.peek() != Some(b'"') {
            return Err(GiveUp);
        }
        self.scan_str()?;
        self.expect(b':')
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.i += 1;
        Ok(())
    }

    fn visit_map<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.enter()?;
        let value = visitor.visit_map(Map {
            de: &mut *self,
            first: true,
        })?;
        self.depth -= 1;
        self.expect(b'}')?;
        Ok(value)
    }

    fn visit_seq<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.enter()?;
        let value = visitor.visit_seq(Seq {
            de: &mut *self,
            first: true,
        })?;
        self.depth -= 1;
        self.expect(b']')?;
        Ok(value)
    }
}

macro_rules! number_methods {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                match self.peek() {
                    Some(b'-' | b'0'..=b'9') => self.visit_number(visitor),
                    _ => Err(GiveUp),
                }
            }
        )*
    };
}

macro_rules! give_up {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
                Err(GiveUp)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for &mut Json<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek().ok_or(GiveUp)? {
            b'"' => self.visit_string(visitor),
            b'{' => self.visit_map(visitor),
            b'[' => self.visit_seq(visitor),
            b'-' | b'0'..=b'9' => self.visit_number(visitor),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => Err(GiveUp),
        }
    }

    number_methods! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64
    }

    give_up! { deserialize_i128 deserialize_u128 }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b't') => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(GiveUp),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'"') => self.visit_string(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'"') => self.visit_bytes(visitor),
            Some(b'[') => self.visit_seq(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => Err(GiveUp),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.starts_with("$serde_json") {
            return Err(GiveUp); // RawValue and friends
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'[') => self.visit_seq(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'{') => self.visit_map(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.peek() {
            Some(b'{') => self.visit_map(visitor),
            Some(b'[') => self.visit_seq(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}

struct Map<'a, 'de> {
    de: &'a mut Json<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.de.peek() {
            Some(b'}') => return Ok(None),
            Some(b',') if !self.first => self.de.i += 1,
            _ if self.first => self.first = false,
            _ => return Err(GiveUp),
        }
        if self.de.peek() != Some(b'"') {
            return Err(GiveUp);
        }
        seed.deserialize(Key { de: &mut *self.de }).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        self.de.expect(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

struct Seq<'a, 'de> {
    de: &'a mut Json<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Seq<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.de.peek() {
            Some(b']') => return Ok(None),
            Some(b',') if !self.first => {
                self.de.i += 1;
                if matches!(self.de.peek(), Some(b']') | None) {
                    return Err(GiveUp);
                }
            }
            Some(_) if self.first => self.first = false,
            _ => return Err(GiveUp),
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An object key (the opening quote is next), read the way `serde_json` reads keys.
struct Key<'a, 'de> {
    de: &'a mut Json<'de>,
}

impl<'de> Deserializer<'de> for Key<'_, 'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.de.visit_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.de.visit_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.de.visit_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.starts_with("$serde_json") {
            return Err(GiveUp);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(GiveUp)
    }

    give_up! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64
    }

    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// Every fast-path success must equal serde_json's reading.
    fn same(input: &str) {
        let fast: Option<serde_json::Value> = from_slice(input.as_bytes());
        let slow: Option<serde_json::Value> = serde_json::from_str(input).ok();
        if let Some(f) = &fast {
            assert_eq!(Some(f), slow.as_ref(), "{input}");
        }
        if from_slice::<IgnoredAny>(input.as_bytes()).is_some() {
            assert!(serde_json::from_str::<IgnoredAny>(input).is_ok(), "{input}");
        }
    }

    #[test]
    fn agrees_with_serde_json() {
        for input in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e\n\u00e9\\"},"e":-0,"f":1.5e3}"#,
            r#" { "a" : [ 1 , 2 ] , "a" : "last" } "#,
            r#"{"n":18446744073709551616,"m":-9223372036854775809,"x":0.1,"y":1e400}"#,
            r#"{"bad":01}"#,
            r#"{"bad":1.}"#,
            r#"{"bad":"\ud800"}"#,
            r#"{"bad":"a"#,
            r#"{"bad":[1,]}"#,
            r#"{"bad":{"a":1,}}"#,
            r#"{"bad":tru}"#,
            "{\"bad\":\"tab\there\"}",
            r#"{} x"#,
            r#"[]"#,
            r#""s""#,
            r#"{"deep":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}"#,
        ] {
            same(input);
        }
        assert!(from_slice::<serde_json::Value>(br#"{"a":"b"}"#).is_some());
    }

    /// Random mutations of vendor-shaped records: the fast path never accepts what serde_json
    /// rejects, and never reads a value differently.
    #[test]
    fn mutated_records_agree_with_serde_json() {
        let seeds: [&[u8]; 3] = [
            br#"{"uuid":"e1","published":"2024-08-13T15:58:20.353Z","eventType":"user.session.start","actor":{"id":"00u1","alternateId":"Alice@Example.com","detailEntry":null},"client":{"ipAddress":"81.2.69.142","geographicalContext":{"geolocation":{"lat":51.5142,"lon":-0.0931}}},"outcome":{"result":"FAILURE","reason":"INVALID_CREDENTIALS"},"target":[{"id":"x","type":"User"}],"n":[1,-2,3.5e2,true,false,null]}"#,
            br#"{"CreationTime":"2024-05-01T09:00:00","Id":"a\u00e9\n","Operation":"New-InboxRule","Parameters":[{"Name":"From","Value":"x@y"},{"Name":"MoveToFolder","Value":"\\Inbox"}],"RecordType":1,"UserId":"u@c.com"}"#,
            br#" { "a" : [ { } , [ ] , "\"q\"" ] , "b" : 18446744073709551615 , "c" : -0.0e-1 } "#,
        ];
        const BYTES: &[u8] = b"{}[]:,\"\\ \n\t0123456789-+.eEtrufalsn\x01\xC3\xA9\xFFu";
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20_000 {
            let mut doc = seeds[round % seeds.len()].to_vec();
            for _ in 0..=(next() % 3) {
                let at = (next() as usize) % (doc.len() + 1);
                let byte = BYTES[(next() as usize) % BYTES.len()];
                match next() % 3 {
                    0 => doc.insert(at, byte),
                    1 if at < doc.len() => {
                        doc.remove(at);
                    }
                    _ if at < doc.len() => doc[at] = byte,
                    _ => doc.push(byte),
                }
            }
            let fast: Option<serde_json::Value> = from_slice(&doc);
            if let Some(f) = fast {
                let slow: serde_json::Value = serde_json::from_slice(&doc)
                    .unwrap_or_else(|e| panic!("fast accepted, serde_json: {e}: {doc:?}"));
                assert_eq!(f, slow, "{doc:?}");
            }
            if from_slice::<IgnoredAny>(&doc).is_some() {
                assert!(
                    serde_json::from_slice::<IgnoredAny>(&doc).is_ok(),
                    "{doc:?}"
                );
            }
        }
    }
}
