//! Event times in the one layout nearly every vendor writes, read without a general parser.

use palisade_schema::{SchemaError, Timestamp};

/// [`Timestamp::parse_rfc3339`], with a fast path for `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` (UTC,
/// as Okta, Entra, Google and CloudTrail write it, as Duo writes it with `+00:00` for the `Z`, and
/// as Microsoft 365 writes it without the `Z`). Anything else (other offsets, spaces, leap
/// seconds, odd widths, impossible dates) goes to `parse_rfc3339`, so results and errors are
/// exactly its own.
pub(crate) fn parse_utc(s: &str) -> Result<Timestamp, SchemaError> {
    match fast_millis(s.as_bytes()) {
        Some(ms) => Timestamp::from_millis(ms),
        None => Timestamp::parse_rfc3339(s),
    }
}

/// The fast path of [`parse_utc`] alone: `None` when `s` is not in the plain layout.
pub(crate) fn fast_utc(s: &str) -> Option<Result<Timestamp, SchemaError>> {
    fast_millis(s.as_bytes()).map(Timestamp::from_millis)
}

fn fast_millis(b: &[u8]) -> Option<i64> {
    // Duo writes UTC as a zero offset (`2021-07-23T07:19:34.702203+00:00`).
    let b = b
        .strip_suffix(b"Z")
        .or_else(|| b.strip_suffix(b"+00:00"))
        .unwrap_or(b);
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // The fraction: one to nine digits; milliseconds are its first three (truncated).
    let mut millis = 0;
    match &b[19..] {
        [] => {}
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            for k in 0..3 {
                millis = millis * 10 + digits.get(k).map_or(0, |&c| i64::from(c - b'0'));
            }
        }
        _ => return None,
    }
    // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_parse_rfc3339() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let fixed = [
            "2024-08-13T15:58:20.353Z",
            "2024-05-01T09:00:00",
            "2024-02-29T23:59:59.9999999Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T23:59:60Z",
            "1989-12-31T23:59:59Z",
            "2100-01-01T00:00:00Z",
            "2099-12-31T23:59:59.999Z",
            "2024-05-01T09:00:00.Z",
            "2024-05-01T09:00:00.1234567890Z",
            "2024-05-01t09:00:00z",
            "2024-05-01 09:00:00Z",
            " 2024-05-01T09:00:00Z",
            "2024-05-01T09:00:00+02:00",
            "2024-05-01T09:00:00+00:00",
            "2021-07-23T07:19:34.702203+00:00",
            "2024-05-01T09:00:00Z+00:00",
            "2024-05-01T09:00:00-00:00",
            "2024-05-01T09:00:00.+00:00",
            "2024-5-01T09:00:00Z",
            "+024-05-01T09:00:00Z",
        ];
        let random = (0..20_000).map(|_| {
            let frac = match next(4) {
                0 => String::new(),
                _ => {
                    let digits = 1 + next(10) as usize;
                    let f: String = (0..digits)
                        .map(|_| char::from(b'0' + next(10) as u8))
                        .collect();
                    format!(".{f}")
                }
            };
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{}",
                1985 + next(120),
                next(14),
                next(33),
                next(26),
                next(61),
                next(62),
                ["", "Z", "Z", "+00:00"][next(4) as usize]
            )
        });
        for s in fixed.iter().map(|s| s.to_string()).chain(random) {
            assert_eq!(parse_utc(&s), Timestamp::parse_rfc3339(&s), "{s}");
            if let Some(fast) = fast_utc(&s) {
                assert_eq!(fast, Timestamp::parse_rfc3339(&s), "{s}");
            }
        }
    }
}
