//! How a sign-in's properties become 64-bit keys, the same way when learning from an event and
//! when a detector asks about a value as text.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use palisade_core::{stable_hash, Dimension};
use palisade_schema::{Activity, Event, GeoPoint};

use crate::UaFamily;

/// Every dimension a profile learns, in storage order.
pub(crate) const DIMENSIONS: [Dimension; 8] = [
    Dimension::Country,
    Dimension::City,
    Dimension::Asn,
    Dimension::Prefix,
    Dimension::Device,
    Dimension::UserAgent,
    Dimension::HourOfWeek,
    Dimension::App,
];

/// The storage index of a dimension (`None` for dimensions added to core after this build).
pub(crate) fn dim_index(dim: Dimension) -> Option<u8> {
    DIMENSIONS.iter().position(|d| *d == dim).map(|i| i as u8)
}

/// Whether values of the dimension at `idx` are remembered by name for display.
pub(crate) fn is_named(idx: u8) -> bool {
    matches!(
        DIMENSIONS.get(usize::from(idx)),
        Some(Dimension::Country | Dimension::City | Dimension::App)
    )
}

/// An IP prefix as a baseline sees it: the /24 of an IPv4 address, the /48 of an IPv6 one.
///
/// ```
/// use palisade_baseline::IpPrefix;
/// let p = IpPrefix::of("203.0.113.77".parse().unwrap());
/// assert_eq!(p.to_string(), "203.0.113.0/24");
/// assert_eq!(p, IpPrefix::of("203.0.113.1".parse().unwrap()));
/// let v6 = IpPrefix::of("2001:db8:1234:5678::1".parse().unwrap());
/// assert_eq!(v6.to_string(), "2001:db8:1234::/48");
/// assert_eq!(IpPrefix::parse("2001:db8:1234::/48"), Some(v6));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpPrefix(u64);

const V4_TAG: u64 = 4 << 56;
const V6_TAG: u64 = 6 << 56;

impl IpPrefix {
    /// The prefix an address falls in.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => {
                // An IPv4-mapped address is an IPv4 client; adapters unmap, this is a second guard.
                IpPrefix(V4_TAG | u64::from(u32::from(v4) >> 8))
            }
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::of(IpAddr::V4(v4)),
                None => IpPrefix(V6_TAG | (u128::from(v6) >> 80) as u64),
            },
        }
    }

    /// The prefix of an address or of `address/length` text (the length is ignored: the baseline's
    /// own prefix lengths apply).
    pub fn parse(text: &str) -> Option<Self> {
        let addr = text.trim().split('/').next().unwrap_or_default();
        addr.parse::<IpAddr>().ok().map(Self::of)
    }

    /// The 64-bit key: unique per prefix, so no hashing (and no collision) is needed.
    pub fn key(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 & V6_TAG == V6_TAG {
            let bits = u128::from(self.0 & 0x0000_ffff_ffff_ffff) << 80;
            write!(f, "{}/48", std::net::Ipv6Addr::from(bits))
        } else {
            let bits = ((self.0 & 0x00ff_ffff) as u32) << 8;
            write!(f, "{}/24", std::net::Ipv4Addr::from(bits))
        }
    }
}

/// The geo cell a point falls in when the vendor gives coordinates but no city: whole degrees,
/// about 100 km, written `cell:<lat>,<lon>` (e.g. `cell:-34,151`). Detectors that ask about a
/// city pass either the city name or this label.
///
/// ```
/// use palisade_baseline::geo_cell;
/// let p = palisade_schema::GeoPoint::new(-33.87, 151.21, None).unwrap();
/// assert_eq!(geo_cell(&p), "cell:-34,151");
/// ```
pub fn geo_cell(p: &GeoPoint) -> String {
    format!("cell:{},{}", p.lat.floor() as i32, p.lon.floor() as i32)
}

fn upper(v: &str) -> Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(v.to_ascii_uppercase())
    } else {
        Cow::Borrowed(v)
    }
}

fn lower(v: &str) -> Cow<'_, str> {
    if v.bytes().any(|b| b.is_ascii_uppercase()) || !v.is_ascii() {
        Cow::Owned(v.to_lowercase())
    } else {
        Cow::Borrowed(v)
    }
}

fn parse_asn(v: &str) -> Option<u32> {
    let v = v.trim();
    let digits = v
        .strip_prefix("AS")
        .or_else(|| v.strip_prefix("as"))
        .unwrap_or(v);
    digits.parse().ok()
}

/// The key of `value` in the dimension at `idx`, normalized the same way learning does;
/// `None` when the value cannot be a value of that dimension (an ASN that is not a number).
pub(crate) fn value_key(idx: u8, value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match DIMENSIONS.get(usize::from(idx))? {
        Dimension::Country => Some(stable_hash(&["country", &upper(v)])),
        Dimension::City => Some(stable_hash(&["city", &lower(v)])),
        Dimension::Asn => parse_asn(v).map(u64::from),
        Dimension::Prefix => IpPrefix::parse(v).map(IpPrefix::key),
        Dimension::Device => Some(stable_hash(&["device", v])),
        Dimension::UserAgent => Some(UaFamily::parse(v).key()),
        Dimension::HourOfWeek => v.parse::<u8>().ok().filter(|h| *h < 168).map(u64::from),
        Dimension::App => Some(stable_hash(&["app", &lower(v)])),
        _ => None,
    }
}

/// The text shown for a key of a dimension whose keys are reversible (ASN, hour, UA family).
pub(crate) fn key_text(idx: u8, key: u64) -> Option<String> {
    match DIMENSIONS.get(usize::from(idx))? {
        Dimension::Asn | Dimension::HourOfWeek => Some(key.to_string()),
        Dimension::UserAgent => UaFamily::from_key(key).map(|f| f.to_string()),
        _ => None,
    }
}

/// One property of a sign-in, ready to learn.
#[derive(Clone, Debug)]
pub(crate) struct Observation<'e> {
    pub(crate) dim: u8,
    pub(crate) key: u64,
    /// The display name, for named dimensions.
    pub(crate) label: Option<Cow<'e, str>>,
}

fn push_text<'e>(out: &mut Vec<Observation<'e>>, dim: Dimension, value: Cow<'e, str>, named: bool) {
    let Some(idx) = dim_index(dim) else { return };
    if let Some(key) = value_key(idx, &value) {
        let label = named.then(|| match value {
            Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
            Cow::Owned(v) => Cow::Owned(v.trim().to_owned()),
        });
        out.push(Observation {
            dim: idx,
            key,
            label,
        });
    }
}

fn push_key(out: &mut Vec<Observation<'_>>, dim: Dimension, key: u64) {
    if let Some(idx) = dim_index(dim) {
        out.push(Observation {
            dim: idx,
            key,
            label: None,
        });
    }
}

/// The properties a successful sign-in contributes to its identity's profile.
pub(crate) fn observations<'e>(event: &'e Event, out: &mut Vec<Observation<'e>>) {
    out.clear();
    let o = &event.origin;
    if let Some(c) = &o.country {
        push_text(out, Dimension::Country, Cow::Borrowed(c), true);
    }
    match (&o.city, &o.geo) {
        (Some(city), _) => push_text(out, Dimension::City, Cow::Borrowed(city), true),
        (None, Some(p)) => push_text(out, Dimension::City, Cow::Owned(geo_cell(p)), true),
        (None, None) => {}
    }
    if let Some(asn) = o.asn {
        push_key(out, Dimension::Asn, u64::from(asn));
    }
    if let Some(ip) = o.ip {
        push_key(out, Dimension::Prefix, IpPrefix::of(ip).key());
    }
    if let Some(d) = &o.device_id {
        push_text(out, Dimension::Device, Cow::Borrowed(d), false);
    }
    if let Some(ua) = &o.user_agent {
        push_key(out, Dimension::UserAgent, UaFamily::of(ua).key());
    }
    push_key(
        out,
        Dimension::HourOfWeek,
        u64::from(event.time.hour_of_week()),
    );
    if let Activity::SignIn(s) = &event.activity {
        if let Some(app) = &s.app {
            push_text(out, Dimension::App, Cow::Borrowed(app), true);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalization_matches_between_learning_and_asking() {
        let c = dim_index(Dimension::Country).unwrap();
        assert_eq!(value_key(c, "au"), value_key(c, " AU "));
        let a = dim_index(Dimension::Asn).unwrap();
        assert_eq!(value_key(a, "AS7922"), Some(7922));
        assert_eq!(value_key(a, "7922"), Some(7922));
        assert_eq!(value_key(a, "Comcast"), None);
        let p = dim_index(Dimension::Prefix).unwrap();
        assert_eq!(value_key(p, "10.1.2.3"), value_key(p, "10.1.2.0/24"));
        assert_ne!(value_key(p, "10.1.2.3"), value_key(p, "10.1.3.3"));
        assert_eq!(value_key(p, "::ffff:10.1.2.3"), value_key(p, "10.1.2.200"));
        let h = dim_index(Dimension::HourOfWeek).unwrap();
        assert_eq!(value_key(h, "168"), None);
        assert_eq!(value_key(h, "167"), Some(167));
        assert!(value_key(c, "  ").is_none());
    }
}
