//! Lenient JSON leaves for Microsoft's logs: a field of the wrong JSON type reads as absent
//! instead of failing the whole record, and strings borrow from the input when they can.
//!
//! Shared by the Entra and Microsoft 365 adapters (the M365 module compiles its own copy when the
//! `entra` feature is off).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::BadRecordReason;

/// Skips the rest of a map, so a wrongly typed value is consumed and ignored.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Skips the rest of a sequence.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A JSON string field: absent (or null), a string, or a value of another JSON type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    /// Missing or `null`.
    #[default]
    Absent,
    /// A string.
    Str(Cow<'a, str>),
    /// Some other JSON type, named (`"number"`, `"object"`, ...).
    Wrong(&'static str),
}

impl<'a> Text<'a> {
    /// The string, if the field held one.
    pub(crate) fn get(&self) -> Option<&str> {
        match self {
            Text::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string, trimmed, if the field held a non-blank one.
    pub(crate) fn non_empty(&self) -> Option<&str> {
        self.get().map(str::trim).filter(|s| !s.is_empty())
    }

    /// A required string: missing and wrongly typed values become the right bad-record reason.
    pub(crate) fn required(&self, field: &'static str) -> Result<&str, BadRecordReason> {
        match self {
            Text::Str(s) => Ok(s),
            Text::Absent => Err(BadRecordReason::MissingField(field)),
            Text::Wrong(kind) => Err(BadRecordReason::BadValue {
                field,
                detail: format!("expected a string, found {kind}"),
            }),
        }
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Text<'a>, E> {
        Ok(Text::Absent)
    }
    fn visit_none<E>(self) -> Result<Text<'a>, E> {
        Ok(Text::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
        Ok(Text::Wrong("boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Text<'a>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Text<'a>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Text<'a>, E> {
        Ok(Text::Wrong("number"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'a>, A::Error> {
        drain_map(map).map(|()| Text::Wrong("object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'a>, A::Error> {
        drain_seq(seq).map(|()| Text::Wrong("array"))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(PhantomData))
    }
}

/// A JSON number field that exporters sometimes write as a string (`"ResultType": "50126"`,
/// `"ErrorNumber": "500121"`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Num {
    /// The number; `None` when absent, null or not a number.
    pub(crate) value: Option<f64>,
    /// The field was present but held something other than a number or numeric string.
    pub(crate) wrong: bool,
}

impl Num {
    const WRONG: Num = Num {
        value: None,
        wrong: true,
    };
    const ABSENT: Num = Num {
        value: None,
        wrong: false,
    };

    fn of(v: f64) -> Num {
        Num {
            value: Some(v),
            wrong: false,
        }
    }

    /// The value as an integer, when it is one.
    pub(crate) fn int(self) -> Option<i64> {
        self.value
            .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
            .map(|v| v as i64)
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
        Ok(Num::of(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
        Ok(Num::of(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
        Ok(Num::of(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Num, E> {
        Ok(match v.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Num::of(f),
            _ => Num::WRONG,
        })
    }
    fn visit_bool<E>(self, _: bool) -> Result<Num, E> {
        Ok(Num::WRONG)
    }
    fn visit_unit<E>(self) -> Result<Num, E> {
        Ok(Num::ABSENT)
    }
    fn visit_none<E>(self) -> Result<Num, E> {
        Ok(Num::ABSENT)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Num, A::Error> {
        drain_map(map).map(|()| Num::WRONG)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Num, A::Error> {
        drain_seq(seq).map(|()| Num::WRONG)
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

/// A boolean field that exporters also write as `"True"` / `"false"`. `None` otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) Option<bool>);

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(Some(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Flag, E> {
        Ok(Flag(parse_bool(v)))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_unit<E>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_none<E>(self) -> Result<Flag, E> {
        Ok(Flag(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Flag, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Flag, A::Error> {
        drain_map(map).map(|()| Flag(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Flag, A::Error> {
        drain_seq(seq).map(|()| Flag(None))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

/// `"True"`, `"false"` and friends.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A nested object; `None` when absent, null or not an object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Obj<T>(pub(crate) Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    /// The object, if there was one.
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
        drain_seq(seq).map(|()| Obj(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_unit<E>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_none<E>(self) -> Result<Obj<T>, E> {
        Ok(Obj(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Obj<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// A JSON array of lenient elements; empty when absent, null or not an array.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> List<T> {
    /// The elements.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<List<T>, A::Error> {
        Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(List)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<List<T>, A::Error> {
        drain_map(map).map(|()| List(Vec::new()))
    }
    fn visit_bool<E>(self, _: bool) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_i64<E>(self, _: i64) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_u64<E>(self, _: u64) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_str<E>(self, _: &str) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_unit<E>(self) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_none<E>(self) -> Result<List<T>, E> {
        Ok(List(Vec::new()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<List<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Why a typed parse of one record failed.
pub(crate) enum Failure {
    /// The JSON itself (syntax, or a duplicate key).
    Json(serde_json::Error),
    /// The record parsed but is not acceptable.
    Bad(BadRecordReason),
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Json(e)
    }
}

impl From<BadRecordReason> for Failure {
    fn from(r: BadRecordReason) -> Self {
        Failure::Bad(r)
    }
}

/// Runs `parse` (a typed, borrowing parse of one record) accepting duplicate keys, the last one
/// winning.
///
/// serde's derived structs reject a repeated field, while real exporters occasionally repeat a
/// key. Only then is the record re-read through `serde_json::Value` (whose maps keep the last
/// value) and parsed again, so the common path stays a single borrowing pass.
pub(crate) fn parse_last_wins<R>(
    record: &[u8],
    mut parse: impl FnMut(&[u8]) -> Result<R, Failure>,
) -> Result<R, BadRecordReason> {
    // A derived struct would also accept a JSON array positionally; records are objects.
    match record.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        _ => return Err(BadRecordReason::Json("expected a JSON object".into())),
    }
    let json = |e: serde_json::Error| BadRecordReason::Json(e.to_string());
    match parse(record) {
        Ok(r) => Ok(r),
        Err(Failure::Bad(reason)) => Err(reason),
        Err(Failure::Json(e)) if e.to_string().starts_with("duplicate field") => {
            let value: serde_json::Value = serde_json::from_slice(record).map_err(json)?;
            let rewritten = serde_json::to_vec(&value).map_err(json)?;
            match parse(&rewritten) {
                Ok(r) => Ok(r),
                Err(Failure::Bad(reason)) => Err(reason),
                Err(Failure::Json(e)) => Err(json(e)),
            }
        }
        Err(Failure::Json(e)) => Err(json(e)),
    }
}
