//! Lenient, borrowing building blocks for reading vendor JSON: scalars of any JSON type, objects
//! that may turn out not to be objects, duplicate keys (last one wins), odd IP spellings.
//!
//! Shared by the Okta, Duo, CloudTrail and Google Workspace adapters. Derived serde structs reject duplicate keys and fail on a wrong type
//! in any field they name; vendors' exporters produce both, so records are read through the
//! [`vendor_record!`] macro instead, which overwrites on duplicates and only fails where the
//! adapter says a field matters.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv6Addr};

use palisade_schema::{GeoPoint, Timestamp};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{BadRecordReason, Notes};

/// Declares a record struct whose `Deserialize` reads a JSON object key by key: named keys fill
/// their field (a repeated key overwrites the earlier value), every other key is skipped without
/// being materialized.
macro_rules! vendor_record {
    (
        $(#[$meta:meta])*
        struct $name:ident<$lt:lifetime> {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        struct $name<$lt> {
            $( $(#[$fmeta])* $field: $ty, )*
            _borrow: ::std::marker::PhantomData<&$lt ()>,
        }

        impl<$lt> ::serde::Deserialize<$lt> for $name<$lt> {
            fn deserialize<D: ::serde::Deserializer<$lt>>(d: D) -> Result<Self, D::Error> {
                struct RecordVisitor<$lt>(::std::marker::PhantomData<&$lt ()>);
                impl<$lt> ::serde::de::Visitor<$lt> for RecordVisitor<$lt> {
                    type Value = $name<$lt>;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: ::serde::de::MapAccess<$lt>>(
                        self,
                        map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut out = $name::default();
                        vendor_json::Fields::fill_map(&mut out, map)?;
                        Ok(out)
                    }
                }
                d.deserialize_map(RecordVisitor(::std::marker::PhantomData))
            }
        }

        impl<$lt> vendor_json::Fields<$lt> for $name<$lt> {
            fn fill_map<A: ::serde::de::MapAccess<$lt>>(
                &mut self,
                mut map: A,
            ) -> Result<(), A::Error> {
                while let Some(key) = map.next_key::<vendor_json::Key<$lt>>()? {
                    let key = key.as_bytes();
                    $(
                        if key == $key.as_bytes() {
                            map.next_value_seed(vendor_json::InPlace(&mut self.$field))?;
                            continue;
                        }
                    )*
                    map.next_value::<::serde::de::IgnoredAny>()?;
                }
                Ok(())
            }
        }
    };
}

/// A record type whose named keys can be read into an existing value (see [`Fill`]).
pub(crate) trait Fields<'de>: Default {
    /// Reads an object's entries into `self`: named keys overwrite their field, the rest are
    /// skipped.
    fn fill_map<A: MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error>;
}

/// A field value read in place: the same result as assigning `Deserialize::deserialize(d)`, without
/// building a nested record on the stack and moving it up through every level (those copies were a
/// tenth of an adapter's time).
pub(crate) trait Fill<'de> {
    /// Overwrites `self` with the value `d` holds.
    fn fill<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

/// A seed that reads the next value into `self.0` (see [`Fill`]).
pub(crate) struct InPlace<'x, T>(pub(crate) &'x mut T);

impl<'de, T: Fill<'de>> de::DeserializeSeed<'de> for InPlace<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.fill(d)
    }
}

impl<'de> Fill<'de> for Scalar<'de> {
    fn fill<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        *self = Scalar::deserialize(d)?;
        Ok(())
    }
}

impl<'de, T: Fields<'de>> Fill<'de> for Obj<T> {
    fn fill<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        // Mirrors `Obj`'s `Deserialize`: an object fills a fresh record, anything else is `None`.
        struct ObjFill<'x, T>(&'x mut Option<T>);
        impl<'de, T: Fields<'de>> Visitor<'de> for ObjFill<'_, T> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
                self.0.insert(T::default()).fill_map(map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                *self.0 = None;
                Ok(())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_none<E: de::Error>(self) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
                *self.0 = None;
                Ok(())
            }
        }
        d.deserialize_any(ObjFill(&mut self.0))
    }
}

impl<'de, T: Fill<'de> + Default> Fill<'de> for List<T> {
    fn fill<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        // Mirrors `List`'s `Deserialize`: an array, one object as an array of one, else empty.
        struct ListFill<'x, T>(&'x mut Vec<T>);
        impl<'de, T: Fill<'de> + Default> Visitor<'de> for ListFill<'_, T> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                self.0.clear();
                loop {
                    self.0.push(T::default());
                    let Some(slot) = self.0.last_mut() else {
                        return Ok(());
                    };
                    if seq.next_element_seed(InPlace(slot))?.is_none() {
                        self.0.pop();
                        return Ok(());
                    }
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
                self.0.clear();
                let mut one = T::default();
                one.fill(de::value::MapAccessDeserializer::new(map))?;
                self.0.push(one);
                Ok(())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_none<E: de::Error>(self) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
                self.0.clear();
                Ok(())
            }
        }
        d.deserialize_any(ListFill(&mut self.0))
    }
}

/// An object key as raw bytes, borrowed from the input unless it contained escapes. Keys are
/// only compared with the names an adapter knows, so they need no UTF-8 validation (which is a
/// noticeable share of the parse).
pub(crate) struct Key<'a>(Cow<'a, [u8]>);

impl Key<'_> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key as text (lossy: invalid UTF-8 is replaced).
    pub(crate) fn to_text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(KeyVisitor)
    }
}

/// One JSON value where the vendor documents a scalar, kept as whatever type it really was.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// The key was not there.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A string (borrowed unless it contained escapes).
    Str(Cow<'a, str>),
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// An object or array where a scalar was expected.
    Nested,
}

impl<'a> Scalar<'a> {
    /// The string, if it is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string trimmed, if it is a non-empty one.
    pub(crate) fn text(&self) -> Option<&str> {
        let s = self.as_str()?;
        // Most values need no trimming; checking the ends first skips the char-by-char trim.
        let (first, last) = (*s.as_bytes().first()?, *s.as_bytes().last()?);
        let plain = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
        let s = if plain(first) && plain(last) {
            s
        } else {
            s.trim()
        };
        (!s.is_empty()).then_some(s)
    }

    /// A number, or a string holding one.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// An integer, or a string holding one.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean, or the strings `true` / `false` in any case.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Scalar::Bool(b) => Some(*b),
            Scalar::Str(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            Scalar::Str(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// Whether the key was missing or `null`.
    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Scalar::Absent | Scalar::Null)
    }

    /// The string, or an integer written out, for ids that some exporters write as numbers.
    pub(crate) fn id_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Scalar::Str(s) if !s.trim().is_empty() => Some(Cow::Borrowed(s.trim())),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            _ => None,
        }
    }

    /// The JSON type, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Scalar::Absent => "nothing",
            Scalar::Null => "null",
            Scalar::Str(_) => "a string",
            Scalar::Int(_) | Scalar::Float(_) => "a number",
            Scalar::Bool(_) => "a boolean",
            Scalar::Nested => "an object or array",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nested)
    }
}

/// A nested object that may be `null`, missing, or (in a broken record) some other type: anything
/// but an object reads as `None`.
#[derive(Debug)]
pub(crate) struct Obj<T>(pub(crate) Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Obj<T> {
    pub(crate) fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
        }
        d.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// An array of `T`; a single object where an array was expected counts as an array of one
/// (Elastic's split Google Workspace shape); any other type reads as empty.
#[derive(Debug)]
pub(crate) struct List<T>(pub(crate) Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> List<T> {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    out.push(item);
                }
                Ok(List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| List(vec![t]))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
        }
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Parses one record as `T`, accepting a leading UTF-8 byte-order mark.
pub(crate) fn from_record<'a, T: Deserialize<'a>>(record: &'a [u8]) -> Result<T, BadRecordReason> {
    let record = record.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(record);
    crate::fast_json::from_slice_or_serde(record).map_err(|e| BadRecordReason::Json(e.to_string()))
}

/// Parses one record into `out` (a fresh `T::default()`), accepting a leading UTF-8 byte-order
/// mark: the same result as [`from_record`], read in place.
pub(crate) fn read_record<'a, T: Fields<'a> + Deserialize<'a>>(
    record: &'a [u8],
    out: &mut T,
) -> Result<(), BadRecordReason> {
    /// The top level of a record, read the way its `Deserialize` reads it (`deserialize_map`).
    struct Top<'x, T>(&'x mut T);
    impl<'de, T: Fields<'de>> de::DeserializeSeed<'de> for Top<'_, T> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            struct TopVisitor<'x, T>(&'x mut T);
            impl<'de, T: Fields<'de>> Visitor<'de> for TopVisitor<'_, T> {
                type Value = ();
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
                    self.0.fill_map(map)
                }
            }
            d.deserialize_map(TopVisitor(self.0))
        }
    }
    let record = record.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(record);
    if crate::fast_json::from_slice_seed(record, Top(out)).is_some() {
        return Ok(());
    }
    // The fast path gave up (and may have filled part of `out`): serde_json decides.
    *out = serde_json::from_slice(record).map_err(|e| BadRecordReason::Json(e.to_string()))?;
    Ok(())
}

/// A required string field, e.g. an event type.
pub(crate) fn required_str<'s>(
    value: &'s Scalar<'_>,
    field: &'static str,
) -> Result<&'s str, BadRecordReason> {
    match value {
        Scalar::Str(s) if !s.trim().is_empty() => Ok(s.trim()),
        v if v.is_missing() || matches!(v, Scalar::Str(_)) => {
            Err(BadRecordReason::MissingField(field))
        }
        v => Err(BadRecordReason::BadValue {
            field,
            detail: format!("expected a string, found {}", v.kind()),
        }),
    }
}

/// A required id field: a string, or an integer some exporters write instead.
pub(crate) fn required_id(
    value: &Scalar<'_>,
    field: &'static str,
) -> Result<String, BadRecordReason> {
    match value.id_text() {
        Some(id) => Ok(id.into_owned()),
        None if value.is_missing() || matches!(value, Scalar::Str(_)) => {
            Err(BadRecordReason::MissingField(field))
        }
        None => Err(BadRecordReason::BadValue {
            field,
            detail: format!("expected a string, found {}", value.kind()),
        }),
    }
}

/// A required RFC 3339 event time.
pub(crate) fn rfc3339_time(
    value: &Scalar<'_>,
    field: &'static str,
) -> Result<Timestamp, BadRecordReason> {
    match value {
        Scalar::Str(s) => crate::fast_time::parse_utc(s)
            .map_err(|e| BadRecordReason::BadTime(format!("`{field}`: {e}"))),
        v if v.is_missing() => Err(BadRecordReason::MissingField(field)),
        v => Err(BadRecordReason::BadValue {
            field,
            detail: format!("expected an RFC 3339 string, found {}", v.kind()),
        }),
    }
}

/// A point from vendor-supplied coordinates; coordinates that are present but unusable (out of
/// range, not numbers, only one of the pair) are dropped and counted.
pub(crate) fn geo_point(
    lat: &Scalar<'_>,
    lon: &Scalar<'_>,
    accuracy_km: Option<f32>,
    notes: &mut Notes,
) -> Option<GeoPoint> {
    if lat.is_missing() && lon.is_missing() {
        return None;
    }
    let point = match (lat.as_f64(), lon.as_f64()) {
        (Some(la), Some(lo)) => GeoPoint::new(la, lo, accuracy_km),
        _ => None,
    };
    if point.is_none() {
        notes.coords_dropped += 1;
    }
    point
}

/// Parses an IP address as vendors really write it: with a port (`1.2.3.4:1234`, `[v6]:1234`,
/// `v6#1234`, `v6p1234`, `v6 port 1234`, `v6.1234`, `v6:1234`), with an IPv6 zone id
/// (`fe80::1%eth0`), or IPv4-mapped IPv6 (`::ffff:1.2.3.4`, unmapped to IPv4).
pub(crate) fn lenient_ip(raw: &str) -> Option<IpAddr> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if let Some(ip) = plain_ip(s) {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return plain_ip(inside);
    }
    for sep in [" port ", "#", "p", ".", ":"] {
        if let Some((addr, port)) = s.rsplit_once(sep) {
            let port = port.trim();
            if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
                if let Some(ip) = plain_ip(addr.trim()) {
                    return Some(ip);
                }
            }
        }
    }
    None
}

fn plain_ip(s: &str) -> Option<IpAddr> {
    // A zone id names the interface the address was seen on; it is not part of the address.
    let s = s.split_once('%').map_or(s, |(addr, _)| addr);
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(unmap(v6)),
        v4 => Some(v4),
    }
}

fn unmap(v6: Ipv6Addr) -> IpAddr {
    v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)
}

/// Whether `needle` (ASCII) occurs in `haystack`, ignoring ASCII case, without allocating.
pub(crate) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Whether `needle` occurs in `haystack` (a cheap scan for `sniff`).
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(pos) = haystack[from..].iter().position(|&b| b == first) {
        let start = from + pos + 1;
        if haystack.len() - start >= rest.len() && &haystack[start..start + rest.len()] == rest {
            return true;
        }
        from = start;
    }
    false
}
