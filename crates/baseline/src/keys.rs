//! How a sign-in's properties become 64-bit keys, the same way when learning from an event and
//! when a detector asks about a value as text.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use palisade_core::Dimension;
use palisade_schema::{Activity, Event, GeoPoint};

use crate::UaFamily;

/// Every dimension a profile learns, in storage order.
pub(crate) const DIMENSIONS: [Dimension; 9] = [
    Dimension::Country,
    Dimension::City,
    Dimension::Asn,
    Dimension::Prefix,
    Dimension::Device,
    Dimension::UserAgent,
    Dimension::HourOfWeek,
    Dimension::App,
    Dimension::Mfa,
];

/// The key of [`Dimension::Mfa`]'s value (a small number, as an hour's is).
fn mfa_key(satisfied: bool) -> u64 {
    if satisfied {
        1
    } else {
        2
    }
}

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
        let text = trim(text);
        let addr = match text.find('/') {
            Some(at) => &text[..at],
            None => text,
        };
        if let Some(v4) = parse_v4(addr) {
            return Some(IpPrefix(V4_TAG | u64::from(v4 >> 8)));
        }
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

/// The 64-bit key of a text value: a word-at-a-time multiply-fold hash (eight bytes per step),
/// optionally folding ASCII case on the fly so that normalizing costs no allocation. The
/// function is fixed here (not a library's hasher) because keys are written into snapshots and
/// must mean the same thing in every later build; `keys_are_stable` pins it.
fn text_key(tag: u64, v: &str, case: Case) -> u64 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xd6e8_feb8_6659_fd93;
    fn fold(a: u64, b: u64) -> u64 {
        let full = u128::from(a).wrapping_mul(u128::from(b));
        (full as u64) ^ ((full >> 64) as u64)
    }
    let owned;
    let bytes = if matches!(case, Case::Lower) && !v.is_ascii() {
        // Unicode lowercasing may change lengths: the rare non-ASCII value pays an allocation.
        owned = v.to_lowercase();
        owned.as_bytes()
    } else {
        // Upper-casing folds ASCII letters only (country codes); UTF-8 continuation bytes are
        // never ASCII, so folding word by word is exact.
        v.as_bytes()
    };
    let mut h = fold(tag ^ K1, K2);
    let mut chunks = bytes.chunks_exact(8);
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        match case {
            Case::Keep => {}
            Case::Upper => w.make_ascii_uppercase(),
            Case::Lower => w.make_ascii_lowercase(),
        }
        u64::from_le_bytes(w)
    };
    for c in &mut chunks {
        h = fold(h ^ word(c), K1);
    }
    let rest = chunks.remainder();
    h = fold(h ^ word(rest), K2);
    fold(h ^ bytes.len() as u64, K1)
}

#[derive(Clone, Copy)]
enum Case {
    Keep,
    Upper,
    Lower,
}

const TAG_COUNTRY: u64 = 1;
const TAG_CITY: u64 = 2;
const TAG_DEVICE: u64 = 5;
const TAG_APP: u64 = 8;

/// A dotted-quad IPv4 address, parsed without the general parser's overhead (strict: four
/// decimal octets of at most three digits, no leading `+`); anything else is `None` and goes to
/// the standard parser.
fn parse_v4(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let (mut addr, mut octet, mut digits, mut dots) = (0u32, 0u32, 0, 0);
    for &c in b {
        match c {
            b'0'..=b'9' => {
                // A leading zero (other than a lone 0) is refused, as the standard parser does.
                if digits == 1 && octet == 0 {
                    return None;
                }
                octet = octet * 10 + u32::from(c - b'0');
                digits += 1;
                if digits > 3 || octet > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && dots < 3 => {
                addr = (addr << 8) | octet;
                (octet, digits) = (0, 0);
                dots += 1;
            }
            _ => return None,
        }
    }
    (dots == 3 && digits > 0).then_some((addr << 8) | octet)
}

/// `str::trim` with a fast path for the usual value that has no surrounding space.
pub(crate) fn trim(v: &str) -> &str {
    match (v.as_bytes().first(), v.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => v,
        _ => v.trim(),
    }
}

fn parse_asn(v: &str) -> Option<u32> {
    let v = trim(v);
    let digits = v
        .strip_prefix("AS")
        .or_else(|| v.strip_prefix("as"))
        .unwrap_or(v);
    digits.parse().ok()
}

/// The key of `value` in the dimension at `idx`, normalized the same way learning does;
/// `None` when the value cannot be a value of that dimension (an ASN that is not a number).
pub(crate) fn value_key(idx: u8, value: &str) -> Option<u64> {
    let v = trim(value);
    if v.is_empty() {
        return None;
    }
    match DIMENSIONS.get(usize::from(idx))? {
        Dimension::Country => Some(text_key(TAG_COUNTRY, v, Case::Upper)),
        Dimension::City => Some(text_key(TAG_CITY, v, Case::Lower)),
        Dimension::Asn => parse_asn(v).map(u64::from),
        Dimension::Prefix => IpPrefix::parse(v).map(IpPrefix::key),
        Dimension::Device => Some(text_key(TAG_DEVICE, v, Case::Keep)),
        Dimension::UserAgent => Some(UaFamily::parse(v).key()),
        Dimension::HourOfWeek => v.parse::<u8>().ok().filter(|h| *h < 168).map(u64::from),
        Dimension::App => Some(text_key(TAG_APP, v, Case::Lower)),
        Dimension::Mfa => [true, false]
            .into_iter()
            .find(|m| v.eq_ignore_ascii_case(palisade_core::mfa_value(*m)))
            .map(mfa_key),
        _ => None,
    }
}

/// The key of `event`'s own value in the dimension at `idx`, exactly as [`value_key`] keys that
/// value written as text (`palisade_core::ProfileView::event_familiarity` describes which field
/// that is): the outer `None` when the event has no value there, the inner as `value_key`'s.
/// Numbers and addresses are keyed without being written out and parsed back.
pub(crate) fn event_key(event: &Event, idx: u8) -> Option<Option<u64>> {
    let o = &event.origin;
    let text = |v: &Option<String>| v.as_deref().map(|v| value_key(idx, v));
    match DIMENSIONS.get(usize::from(idx))? {
        Dimension::Country => text(&o.country),
        Dimension::City => text(&o.city),
        Dimension::Asn => o.asn.map(|a| Some(u64::from(a))),
        Dimension::Prefix => o.ip.map(|ip| Some(IpPrefix::of(ip).key())),
        Dimension::Device => text(&o.device_id),
        Dimension::UserAgent => client_family(o).map(|f| Some(f.key())),
        Dimension::HourOfWeek => Some(Some(u64::from(event.time.hour_of_week()))),
        Dimension::App => match &event.activity {
            Activity::SignIn(s) => text(&s.app),
            _ => None,
        },
        Dimension::Mfa => match &event.activity {
            Activity::SignIn(s) => s.mfa_satisfied.map(|m| Some(mfa_key(m))),
            _ => None,
        },
        _ => None,
    }
}

/// The browser and OS family of the event's client: of its user agent, read as
/// [`value_key`] reads a user-agent value, else of the names the vendor gives
/// (`Origin::client`). Learning and asking both take it from here, so they always agree.
fn client_family(o: &palisade_schema::Origin) -> Option<UaFamily> {
    match (&o.user_agent, o.client.as_deref()) {
        (Some(ua), _) => Some(UaFamily::parse(ua)),
        (None, Some(c)) => Some(UaFamily::from_names(c.browser.as_deref(), c.os.as_deref())),
        (None, None) => None,
    }
}

/// The text shown for a key of a dimension whose keys are reversible (ASN, hour, UA family).
pub(crate) fn key_text(idx: u8, key: u64) -> Option<String> {
    match DIMENSIONS.get(usize::from(idx))? {
        Dimension::Asn | Dimension::HourOfWeek => Some(key.to_string()),
        Dimension::UserAgent => UaFamily::from_key(key).map(|f| f.to_string()),
        Dimension::Mfa => [true, false]
            .into_iter()
            .find(|m| mfa_key(*m) == key)
            .map(|m| palisade_core::mfa_value(m).to_owned()),
        _ => None,
    }
}

/// One property of a sign-in, ready to learn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observation<'e> {
    pub(crate) dim: u8,
    pub(crate) key: u64,
    /// The display name, for named dimensions.
    pub(crate) label: Label<'e>,
}

/// A display name, made into text only when a profile first holds the value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Label<'e> {
    None,
    Text(&'e str),
    Cell(GeoPoint),
}

impl Label<'_> {
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Label::None => None,
            Label::Text(t) => Some(Cow::Borrowed(t)),
            Label::Cell(p) => Some(Cow::Owned(geo_cell(p))),
        }
    }
}

/// The observations of one sign-in: at most one per dimension, on the stack.
#[derive(Debug)]
pub(crate) struct Observations<'e> {
    items: [Observation<'e>; DIMENSIONS.len()],
    len: usize,
}

impl<'e> Observations<'e> {
    fn push(&mut self, dim: Dimension, key: u64, label: Label<'e>) {
        if let (Some(dim), Some(slot)) = (dim_index(dim), self.items.get_mut(self.len)) {
            *slot = Observation { dim, key, label };
            self.len += 1;
        }
    }

    fn push_text(&mut self, dim: Dimension, value: &'e str, named: bool) {
        let Some(idx) = dim_index(dim) else { return };
        if let Some(key) = value_key(idx, value) {
            let label = if named {
                Label::Text(trim(value))
            } else {
                Label::None
            };
            self.push(dim, key, label);
        }
    }

    pub(crate) fn as_slice(&self) -> &[Observation<'e>] {
        &self.items[..self.len]
    }

    /// Observations given one by one (a waiting sign-in's), on the stack like an event's; past
    /// one per dimension the rest are ignored.
    pub(crate) fn of(obs: impl IntoIterator<Item = Observation<'e>>) -> Self {
        let mut out = Observations {
            items: [BLANK; DIMENSIONS.len()],
            len: 0,
        };
        for (slot, o) in out.items.iter_mut().zip(obs) {
            *slot = o;
            out.len += 1;
        }
        out
    }
}

const BLANK: Observation<'static> = Observation {
    dim: 0,
    key: 0,
    label: Label::None,
};

/// The key of the geo cell a point falls in: the key of its [`geo_cell`] label, computed without
/// allocating.
fn cell_key(p: &GeoPoint) -> u64 {
    use std::io::Write;
    let mut buf = [0u8; 32];
    let mut w = &mut buf[..];
    let _ = write!(w, "cell:{},{}", p.lat.floor() as i32, p.lon.floor() as i32);
    let n = 32 - w.len();
    let text = std::str::from_utf8(&buf[..n]).unwrap_or_default();
    text_key(TAG_CITY, text, Case::Lower)
}

/// The properties a successful sign-in contributes to its identity's profile.
pub(crate) fn observations(event: &Event) -> Observations<'_> {
    let mut out = Observations::of([]);
    let o = &event.origin;
    if let Some(c) = &o.country {
        out.push_text(Dimension::Country, c, true);
    }
    match (&o.city, o.point()) {
        (Some(city), _) => out.push_text(Dimension::City, city, true),
        (None, Some(p)) => out.push(Dimension::City, cell_key(&p), Label::Cell(p)),
        (None, None) => {}
    }
    if let Some(asn) = o.asn {
        out.push(Dimension::Asn, u64::from(asn), Label::None);
    }
    if let Some(ip) = o.ip {
        out.push(Dimension::Prefix, IpPrefix::of(ip).key(), Label::None);
    }
    if let Some(d) = &o.device_id {
        out.push_text(Dimension::Device, d, false);
    }
    if let Some(f) = client_family(o) {
        out.push(Dimension::UserAgent, f.key(), Label::None);
    }
    out.push(
        Dimension::HourOfWeek,
        u64::from(event.time.hour_of_week()),
        Label::None,
    );
    if let Activity::SignIn(s) = &event.activity {
        if let Some(app) = &s.app {
            out.push_text(Dimension::App, app, true);
        }
        if let Some(m) = s.mfa_satisfied {
            out.push(Dimension::Mfa, mfa_key(m), Label::None);
        }
    }
    out
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
        for ip in ["1.2.3.4", "255.255.255.255", "0.0.0.0", "10.0.0.1"] {
            let std: std::net::Ipv4Addr = ip.parse().unwrap();
            assert_eq!(parse_v4(ip), Some(u32::from(std)), "{ip}");
        }
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            "a.b.c.d",
        ] {
            assert_eq!(parse_v4(bad), None, "{bad}");
            assert_eq!(IpPrefix::parse(bad), None, "{bad}");
        }
        assert_eq!(trim(" AU "), "AU");
        let h = dim_index(Dimension::HourOfWeek).unwrap();
        assert_eq!(value_key(h, "168"), None);
        assert_eq!(value_key(h, "167"), Some(167));
        assert!(value_key(c, "  ").is_none());
        let city = dim_index(Dimension::City).unwrap();
        assert_eq!(value_key(city, "São Paulo"), value_key(city, "SÃO PAULO"));
        assert_eq!(value_key(city, "Sydney"), value_key(city, "sydney"));
        let p = GeoPoint::new(-33.87, 151.21, None).unwrap();
        assert_eq!(Some(cell_key(&p)), value_key(city, &geo_cell(&p)));
        let m = dim_index(Dimension::Mfa).unwrap();
        assert_eq!(value_key(m, " Satisfied "), Some(mfa_key(true)));
        assert_eq!(value_key(m, "not_satisfied"), Some(mfa_key(false)));
        assert_eq!(value_key(m, "yes"), None);
        for satisfied in [true, false] {
            let text = key_text(m, mfa_key(satisfied)).unwrap();
            assert_eq!(value_key(m, &text), Some(mfa_key(satisfied)));
        }
    }

    /// Keys are written into snapshots: the function must never change within a format version.
    #[test]
    fn keys_are_stable() {
        let c = dim_index(Dimension::Country).unwrap();
        let d = dim_index(Dimension::Device).unwrap();
        let got = [
            value_key(c, "AU").unwrap(),
            value_key(d, "").unwrap_or(0),
            value_key(d, "device-0123456789abcdef").unwrap(),
        ];
        assert_eq!(got, [0x2f92_e491_7e19_0924, 0, 0x2082_35b2_7b8e_e4a2]);
    }
}
