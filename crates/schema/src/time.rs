//! Event time: a UTC instant with millisecond resolution, and the plausibility guard that keeps a
//! forged timestamp from breaking the clock.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SchemaError;

/// A UTC instant, in milliseconds since the Unix epoch.
///
/// Every stage of Palisade runs on this clock, never on the wall clock. It serializes as RFC 3339
/// with millisecond precision and a `Z` suffix, so output is byte-stable across machines.
///
/// ```
/// use palisade_schema::Timestamp;
/// let t = Timestamp::parse_rfc3339("2022-09-15T10:00:00+02:00").unwrap();
/// assert_eq!(t.to_string(), "2022-09-15T08:00:00.000Z");
/// assert_eq!(t + palisade_schema::Duration::from_mins(5), Timestamp::parse_rfc3339("2022-09-15T08:05:00Z").unwrap());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A span of event time, in milliseconds. Negative spans are allowed (an event earlier than another).
///
/// In configuration files a span is written with its unit (`"90s"`, `"10m"`, `"36h"`, `"14d"`,
/// `"250ms"`); a bare integer is read as milliseconds.
///
/// ```
/// use palisade_schema::Duration;
/// assert_eq!(Duration::from_hours(1).as_millis(), 3_600_000);
/// assert_eq!(Duration::from_mins(10).to_string(), "10m");
/// assert_eq!("36h".parse::<Duration>().unwrap(), Duration::from_hours(36));
/// assert_eq!(serde_json::to_string(&Duration::from_secs(90)).unwrap(), "\"90s\"");
/// assert_eq!(serde_json::from_str::<Duration>("1500").unwrap(), Duration::from_millis(1500));
/// assert!("ten minutes".parse::<Duration>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

const UNITS: [(&str, i64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl fmt::Display for Duration {
    /// The largest unit that divides the span exactly: `10m`, `90s`, `1500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, size) = UNITS
            .iter()
            .copied()
            .find(|(_, size)| self.0 != 0 && self.0 % size == 0)
            .unwrap_or(("ms", 1));
        write!(f, "{}{unit}", self.0 / size)
    }
}

impl Duration {
    /// The span in plain words for a summary, exact enough that a speed worked out from them
    /// agrees with the one reported (within a percent): "45 s", "5 min", "10 min 29 s" (under
    /// an hour, to the second), "2 h 05 min" (to the nearest minute). The sign is dropped.
    ///
    /// ```
    /// use palisade_schema::Duration;
    /// assert_eq!(Duration::from_secs(629).plain().to_string(), "10 min 29 s");
    /// assert_eq!(Duration::from_mins(125).plain().to_string(), "2 h 05 min");
    /// ```
    pub fn plain(self) -> PlainDuration {
        PlainDuration(self)
    }
}

/// A [`Duration`] written in plain words: see [`Duration::plain`].
#[derive(Clone, Copy, Debug)]
pub struct PlainDuration(Duration);

impl fmt::Display for PlainDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 .0.checked_abs().unwrap_or(i64::MAX) / 1_000;
        let rounded_mins = (secs + 30) / 60;
        match secs {
            0..=59 => write!(f, "{secs} s"),
            60..=3_599 if secs % 60 == 0 => write!(f, "{} min", secs / 60),
            60..=3_599 => write!(f, "{} min {:02} s", secs / 60, secs % 60),
            _ => write!(f, "{} h {:02} min", rounded_mins / 60, rounded_mins % 60),
        }
    }
}

impl std::str::FromStr for Duration {
    type Err = SchemaError;

    /// `<integer><unit>` with unit `ms`, `s`, `m`, `h` or `d`; a bare integer is milliseconds.
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        let s = s.trim();
        let bad = || SchemaError::BadDuration(truncate(s));
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: i64 = number.parse().map_err(|_| bad())?;
        let size = match unit.trim() {
            "" | "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        n.checked_mul(size).map(Duration).ok_or_else(bad)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a span such as \"10m\", \"90s\", \"36h\", \"14d\", or milliseconds")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                Ok(Duration(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                i64::try_from(v).map(Duration).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Duration(ms)
    }
    /// A span of `s` seconds.
    pub const fn from_secs(s: i64) -> Self {
        Duration(s.saturating_mul(1_000))
    }
    /// A span of `m` minutes.
    pub const fn from_mins(m: i64) -> Self {
        Duration(m.saturating_mul(60_000))
    }
    /// A span of `h` hours.
    pub const fn from_hours(h: i64) -> Self {
        Duration(h.saturating_mul(3_600_000))
    }
    /// A span of `d` days.
    pub const fn from_days(d: i64) -> Self {
        Duration(d.saturating_mul(86_400_000))
    }
    /// The span in milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }
    /// The span in (fractional) hours.
    pub fn as_hours_f64(self) -> f64 {
        self.0 as f64 / 3_600_000.0
    }
}

/// The earliest plausible event time: 1990-01-01T00:00:00Z.
const MIN_PLAUSIBLE_MS: i64 = 631_152_000_000;
/// The latest plausible event time: 2100-01-01T00:00:00Z.
const MAX_PLAUSIBLE_MS: i64 = 4_102_444_800_000;

impl Timestamp {
    /// The earliest plausible event time (1990-01-01T00:00:00Z). Earlier times are bad records.
    pub const MIN_PLAUSIBLE: Timestamp = Timestamp(MIN_PLAUSIBLE_MS);
    /// The latest plausible event time (2100-01-01T00:00:00Z). Later times are bad records.
    pub const MAX_PLAUSIBLE: Timestamp = Timestamp(MAX_PLAUSIBLE_MS);

    /// An instant from milliseconds since the epoch, checked against the plausible range.
    pub fn from_millis(ms: i64) -> Result<Self, SchemaError> {
        if (MIN_PLAUSIBLE_MS..MAX_PLAUSIBLE_MS).contains(&ms) {
            Ok(Timestamp(ms))
        } else {
            Err(SchemaError::ImplausibleTime(ms))
        }
    }

    /// An instant from milliseconds since the epoch, without the plausibility check.
    ///
    /// For arithmetic and for tests; adapters use [`Timestamp::from_millis`] so that forged times
    /// become bad records.
    pub const fn from_millis_unchecked(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2024-08-13T15:58:20.123Z`, `...+02:00`). A date-time with no offset
    /// (`2024-08-13T15:58:20`, as the Microsoft 365 audit log writes `CreationTime`) is taken as
    /// UTC. A space instead of `T` is accepted. The result must be plausible.
    pub fn parse_rfc3339(s: &str) -> Result<Self, SchemaError> {
        let s = s.trim();
        let ms = match DateTime::parse_from_rfc3339(s) {
            Ok(dt) => dt.timestamp_millis(),
            Err(_) => {
                let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
                    .or_else(|_| {
                        // "2024-08-13 15:58:20Z" and friends: an RFC 3339 instant with a space.
                        DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1))
                            .map(|dt| dt.naive_utc())
                    })
                    .map_err(|_| SchemaError::BadTime(truncate(s)))?;
                naive.and_utc().timestamp_millis()
            }
        };
        Self::from_millis(ms)
    }

    /// The instant `d` later (saturating).
    pub fn saturating_add(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(d.0))
    }

    /// The span from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }

    /// Hour of the week, 0 = Monday 00:00–00:59 UTC, 167 = Sunday 23:00–23:59 UTC.
    pub fn hour_of_week(self) -> u8 {
        // 1970-01-01 was a Thursday (day 3 when Monday is 0).
        let hours = self.0.div_euclid(3_600_000);
        let days = hours.div_euclid(24);
        let weekday = (days + 3).rem_euclid(7);
        (weekday * 24 + hours.rem_euclid(24)) as u8
    }

    /// The day number since the epoch (UTC), for "how many days has this profile seen".
    pub fn day(self) -> i64 {
        self.0.div_euclid(86_400_000)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        self.saturating_add(d)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(d.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(dt) => f.write_str(&dt.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => write!(f, "@{}ms", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_naive_utc() {
        let a = Timestamp::parse_rfc3339("2021-07-23T07:19:34.000+00:00").unwrap();
        let b = Timestamp::parse_rfc3339("2021-07-23T07:19:34").unwrap();
        let c = Timestamp::parse_rfc3339("2021-07-23 09:19:34+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), "2021-07-23T07:19:34.000Z");
    }

    #[test]
    fn rejects_implausible_times() {
        assert!(matches!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:00Z"),
            Err(SchemaError::ImplausibleTime(_))
        ));
        assert!(Timestamp::parse_rfc3339("2100-01-01T00:00:00Z").is_err());
        assert!(Timestamp::parse_rfc3339("2099-12-31T23:59:59Z").is_ok());
        assert!(matches!(
            Timestamp::parse_rfc3339("yesterday"),
            Err(SchemaError::BadTime(_))
        ));
    }

    #[test]
    fn hour_of_week_starts_monday() {
        // 2024-01-01 was a Monday.
        let t = Timestamp::parse_rfc3339("2024-01-01T05:30:00Z").unwrap();
        assert_eq!(t.hour_of_week(), 5);
        let sun = Timestamp::parse_rfc3339("2024-01-07T23:59:00Z").unwrap();
        assert_eq!(sun.hour_of_week(), 167);
    }
}
