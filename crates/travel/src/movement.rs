//! The arithmetic of a move between two sign-ins: distance, distance allowing for both
//! locations' uncertainty, elapsed time and speed; and how they read in plain words.

use palisade_geo::{distance_km, Location, Spot};
use palisade_schema::{Duration, GeoPoint};

/// A move between two located sign-ins.
///
/// ```
/// use palisade_geo::{Location, LocationSource, Precision};
/// use palisade_schema::Duration;
/// use palisade_travel::Movement;
/// let syd = Location::new(-33.8688, 151.2093, 20.0, Precision::City, LocationSource::Event).unwrap();
/// let fra = Location::new(50.1109, 8.6821, 50.0, Precision::City, LocationSource::Event).unwrap();
/// let m = Movement::between(&syd, &fra, Duration::from_mins(125), Duration::from_secs(60));
/// assert!((16_400.0..16_600.0).contains(&m.distance_km));
/// assert_eq!(m.effective_km, m.distance_km - 70.0);
/// assert!((7_800.0..8_000.0).contains(&m.speed_kmh), "{}", m.speed_kmh);
/// // Zero elapsed time: a large, finite speed over the minimum elapsed time.
/// let z = Movement::between(&syd, &fra, Duration::ZERO, Duration::from_secs(60));
/// assert!(z.speed_kmh.is_finite() && z.speed_kmh > 900_000.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Movement {
    /// Great-circle (haversine) distance between the two points, km.
    pub distance_km: f64,
    /// The distance minus both accuracy radii, never below zero: the shortest move consistent
    /// with both locations.
    pub effective_km: f64,
    /// Elapsed time in hours (absolute; never below the minimum it was computed with).
    pub hours: f64,
    /// `effective_km / hours`: finite and non-negative.
    pub speed_kmh: f64,
}

impl Movement {
    /// The move from `a` to `b` over `elapsed` (its sign is ignored), with `min_elapsed` (at
    /// least one millisecond) as the floor of the time the speed is computed over.
    pub fn between(a: &Location, b: &Location, elapsed: Duration, min_elapsed: Duration) -> Self {
        let distance_km = a.distance_km(b);
        let radii = f64::from(a.accuracy_km()) + f64::from(b.accuracy_km());
        Self::from_parts(distance_km, radii, elapsed, min_elapsed)
    }

    /// [`Movement::between`] for compact locations, with the sum of the accuracy radii the
    /// caller counts them with (their own, or wider for a mobile carrier's address).
    pub(crate) fn between_spots(
        a: &Spot,
        b: &Spot,
        radii_km: f64,
        elapsed: Duration,
        min_elapsed: Duration,
    ) -> Self {
        Self::from_parts(a.distance_km(b), radii_km, elapsed, min_elapsed)
    }

    fn from_parts(distance_km: f64, radii: f64, elapsed: Duration, min_elapsed: Duration) -> Self {
        let floor = min_elapsed.as_millis().max(1);
        let ms = elapsed
            .as_millis()
            .checked_abs()
            .unwrap_or(i64::MAX)
            .max(floor);
        let hours = ms as f64 / 3_600_000.0;
        let effective_km = (distance_km - radii).max(0.0);
        Movement {
            distance_km,
            effective_km,
            hours,
            speed_kmh: effective_km / hours,
        }
    }
}

/// Speed in km/h between two schema points over `elapsed`, allowing for their accuracy radii
/// (absent radii count as zero), with a one-minute floor on the elapsed time. `None` when a
/// point is out of range or not finite.
///
/// Symmetric in its points and in the sign of `elapsed`; always finite and non-negative.
///
/// ```
/// use palisade_schema::{Duration, GeoPoint};
/// let london = GeoPoint::new(51.5074, -0.1278, None).unwrap();
/// let new_york = GeoPoint::new(40.7128, -74.0060, None).unwrap();
/// let v = palisade_travel::speed_kmh(&london, &new_york, Duration::from_hours(7)).unwrap();
/// assert!((790.0..800.0).contains(&v), "{v}");
/// let bad = GeoPoint { lat: 200.0, lon: 0.0, accuracy_km: None };
/// assert_eq!(palisade_travel::speed_kmh(&bad, &london, Duration::from_hours(1)), None);
/// ```
pub fn speed_kmh(a: &GeoPoint, b: &GeoPoint, elapsed: Duration) -> Option<f64> {
    let a = GeoPoint::new(a.lat, a.lon, a.accuracy_km)?;
    let b = GeoPoint::new(b.lat, b.lon, b.accuracy_km)?;
    let d = distance_km(a.lat, a.lon, b.lat, b.lon)?;
    let radii = f64::from(a.accuracy_km.unwrap_or(0.0)) + f64::from(b.accuracy_km.unwrap_or(0.0));
    Some(Movement::from_parts(d, radii, elapsed, Duration::from_secs(60)).speed_kmh)
}

/// A number in plain words, appended to `out`: thousands separated by commas, rounded to three
/// significant figures ("16,500", "1,050", "455", "42"), so a figure is within half a percent
/// of the one computed with.
pub(crate) fn push_plain_number(out: &mut String, x: f64) {
    let x = if x.is_finite() { x.max(0.0) } else { 0.0 };
    let mut step = 1.0;
    while x >= 1_000.0 * step {
        step *= 10.0;
    }
    let mut n = ((x / step).round() * step) as u64;
    // The digits, last first, then written out with a comma before each group of three.
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push(',');
        }
    }
}

/// Elapsed time in plain words ([`Duration::plain`]), appended to `out`.
pub(crate) fn push_plain_elapsed(out: &mut String, d: Duration) {
    use std::fmt::Write;
    let _ = write!(out, "{}", d.plain());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_number(x: f64) -> String {
        let mut s = String::new();
        push_plain_number(&mut s, x);
        s
    }

    fn plain_elapsed(d: Duration) -> String {
        let mut s = String::new();
        push_plain_elapsed(&mut s, d);
        s
    }

    #[test]
    fn numbers_read_like_the_issue_example() {
        assert_eq!(plain_number(16_489.7), "16,500");
        assert_eq!(plain_number(7_895.6), "7,900");
        assert_eq!(plain_number(1_049.6), "1,050");
        assert_eq!(plain_number(1_234_567.0), "1,230,000");
        assert_eq!(plain_number(455.0), "455");
        assert_eq!(plain_number(42.4), "42");
        assert_eq!(plain_number(f64::NAN), "0");
        assert_eq!(plain_number(0.0), "0");
        assert_eq!(plain_number(999.4), "999");
        assert_eq!(plain_number(999.6), "1,000");
        assert_eq!(plain_number(123_456.0), "123,000");
        assert_eq!(plain_number(1e30), "18,446,744,073,709,551,615");
        assert_eq!(plain_elapsed(Duration::from_mins(125)), "2 h 05 min");
        assert_eq!(plain_elapsed(Duration::from_secs(30)), "30 s");
        assert_eq!(plain_elapsed(Duration::from_secs(356)), "5 min 56 s");
        assert_eq!(plain_elapsed(Duration::from_secs(60)), "1 min");
        assert_eq!(plain_elapsed(Duration::from_mins(-45)), "45 min");
        assert_eq!(plain_elapsed(Duration::from_secs(629)), "10 min 29 s");
        assert_eq!(
            plain_elapsed(Duration::from_secs(59 * 60 + 40)),
            "59 min 40 s"
        );
        assert_eq!(plain_elapsed(Duration::from_secs(3_600 + 29)), "1 h 00 min");
        assert_eq!(
            plain_elapsed(Duration::from_secs(2 * 3600 + 4 * 60 + 31)),
            "2 h 05 min"
        );
    }

    #[test]
    fn radii_larger_than_the_distance_give_zero_speed() {
        let m = Movement::from_parts(
            100.0,
            250.0,
            Duration::from_mins(1),
            Duration::from_secs(60),
        );
        assert_eq!((m.effective_km, m.speed_kmh), (0.0, 0.0));
        let extreme =
            Movement::from_parts(1.0, 0.0, Duration::from_millis(i64::MIN), Duration::ZERO);
        assert!(extreme.speed_kmh.is_finite() && extreme.speed_kmh >= 0.0);
    }
}
