//! A minimal MaxMind DB (`.mmdb`) writer for tests and benches, from the public format spec
//! (MaxMind DB File Format Specification 2.0): an IPv6 binary search tree with 24-bit records,
//! a 16-byte separator, the data section, then the metadata marker and map.
//!
//! It writes exactly what the spec says and nothing clever: no pointer compression, no
//! deduplication of data, and networks must not overlap.
#![allow(dead_code, unreachable_pub)]

use std::net::IpAddr;

/// A value in the data section.
#[derive(Clone, Debug)]
pub enum Value {
    /// UTF-8 string (type 2).
    Str(String),
    /// IEEE 754 double (type 3).
    F64(f64),
    /// Unsigned 16-bit integer (type 5).
    U16(u16),
    /// Unsigned 32-bit integer (type 6).
    U32(u32),
    /// Unsigned 64-bit integer (type 9, extended).
    U64(u64),
    /// Map with string keys (type 7).
    Map(Vec<(String, Value)>),
    /// Array (type 11, extended).
    Array(Vec<Value>),
}

impl Value {
    /// A map from `(key, value)` pairs.
    pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
    /// A string.
    pub fn s(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
    /// MaxMind's `{"names": {"en": name}}`.
    pub fn names(en: &str) -> Value {
        Value::map([("names", Value::map([("en", Value::s(en))]))])
    }
}

fn control(out: &mut Vec<u8>, type_id: u8, size: usize) {
    let (bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        let s = (size - 285) as u16;
        (30, s.to_be_bytes().to_vec())
    } else {
        let s = (size - 65_821) as u32;
        (31, s.to_be_bytes()[1..].to_vec())
    };
    if type_id < 8 {
        out.push((type_id << 5) | bits);
    } else {
        out.push(bits);
        out.push(type_id - 7);
    }
    out.extend_from_slice(&extra);
}

fn uint(out: &mut Vec<u8>, type_id: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, type_id, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

/// Encodes one value.
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Value::F64(f) => {
            control(out, 3, 8);
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::U16(n) => uint(out, 5, u64::from(*n)),
        Value::U32(n) => uint(out, 6, u64::from(*n)),
        Value::U64(n) => uint(out, 9, *n),
        Value::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(&Value::Str(k.clone()), out);
                encode(v, out);
            }
        }
        Value::Array(items) => {
            control(out, 11, items.len());
            for v in items {
                encode(v, out);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(u32),
    Data(u32),
}

/// Builds one database.
pub struct MmdbWriter {
    database_type: String,
    nodes: Vec<[Rec; 2]>,
    data: Vec<u8>,
}

impl MmdbWriter {
    /// An empty IPv6 database (IPv4 networks live under `::/96`, as MaxMind's do).
    pub fn new(database_type: &str) -> Self {
        MmdbWriter {
            database_type: database_type.to_owned(),
            nodes: vec![[Rec::Empty; 2]],
            data: Vec::new(),
        }
    }

    /// Maps a network (`"81.2.69.142/31"`, `"2001:db8::/32"`) to a value.
    pub fn insert(&mut self, cidr: &str, value: &Value) -> &mut Self {
        let (addr, len) = cidr.split_once('/').expect("cidr");
        let addr: IpAddr = addr.parse().expect("address");
        let len: u32 = len.parse().expect("prefix length");
        let (bits, len) = match addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), len + 96),
            IpAddr::V6(a) => (u128::from(a), len),
        };
        assert!((1..=128).contains(&len));
        let offset = self.data.len() as u32;
        encode(value, &mut self.data);
        let mut node = 0usize;
        for i in 0..len {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            if i == len - 1 {
                self.nodes[node][bit] = Rec::Data(offset);
                break;
            }
            node = match self.nodes[node][bit] {
                Rec::Node(n) => n as usize,
                Rec::Empty => {
                    self.nodes.push([Rec::Empty; 2]);
                    let n = self.nodes.len() - 1;
                    self.nodes[node][bit] = Rec::Node(n as u32);
                    n
                }
                Rec::Data(_) => panic!("{cidr} overlaps a network already inserted"),
            };
        }
        self
    }

    /// The database file's bytes.
    pub fn finish(&self) -> Vec<u8> {
        let count = self.nodes.len() as u32;
        let mut out = Vec::new();
        for node in &self.nodes {
            for rec in node {
                let v = match *rec {
                    Rec::Empty => count,
                    Rec::Node(n) => n,
                    Rec::Data(off) => count + 16 + off,
                };
                assert!(v < 1 << 24, "database too large for 24-bit records");
                out.extend_from_slice(&v.to_be_bytes()[1..]);
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let meta = Value::map([
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_700_000_000)),
            ("database_type", Value::s(&self.database_type)),
            (
                "description",
                Value::map([("en", Value::s("Palisade test database"))]),
            ),
            ("ip_version", Value::U16(6)),
            ("languages", Value::Array(vec![Value::s("en")])),
            ("node_count", Value::U32(count)),
            ("record_size", Value::U16(24)),
        ]);
        encode(&meta, &mut out);
        out
    }
}

/// A GeoLite2-City-like record.
pub fn city(
    iso: &str,
    subdivision: Option<&str>,
    name: Option<&str>,
    lat: f64,
    lon: f64,
    radius: u16,
) -> Value {
    let mut pairs = vec![
        (
            "country".to_owned(),
            Value::map([
                ("iso_code", Value::s(iso)),
                ("names", Value::map([("en", Value::s(iso))])),
            ]),
        ),
        (
            "location".to_owned(),
            Value::map([
                ("accuracy_radius", Value::U16(radius)),
                ("latitude", Value::F64(lat)),
                ("longitude", Value::F64(lon)),
                ("time_zone", Value::s("Europe/London")),
            ]),
        ),
    ];
    if let Some(n) = name {
        pairs.push(("city".to_owned(), Value::names(n)));
    }
    if let Some(s) = subdivision {
        pairs.push((
            "subdivisions".to_owned(),
            Value::Array(vec![Value::names(s)]),
        ));
    }
    Value::Map(pairs)
}

/// A GeoLite2-ASN-like record.
pub fn asn(number: u32, org: &str) -> Value {
    Value::map([
        ("autonomous_system_number", Value::U32(number)),
        ("autonomous_system_organization", Value::s(org)),
    ])
}

/// The test city database: MaxMind's test-data addresses for London and Linköping, with their
/// published coordinates, plus an IPv6 network in Sydney and a country-only network.
pub fn test_city_db() -> Vec<u8> {
    let mut w = MmdbWriter::new("GeoLite2-City");
    w.insert(
        "81.2.69.142/31",
        &city("GB", Some("England"), Some("London"), 51.5142, -0.0931, 10),
    )
    .insert(
        "89.160.20.112/28",
        &city(
            "SE",
            Some("Östergötland County"),
            Some("Linköping"),
            58.4167,
            15.6167,
            76,
        ),
    )
    .insert(
        "2001:db8:100::/48",
        &city(
            "AU",
            Some("New South Wales"),
            Some("Sydney"),
            -33.8688,
            151.2093,
            20,
        ),
    )
    .insert(
        "203.0.113.0/24",
        &Value::map([
            ("country", Value::map([("iso_code", Value::s("DE"))])),
            (
                "location",
                Value::map([
                    ("latitude", Value::F64(51.2993)),
                    ("longitude", Value::F64(9.491)),
                ]),
            ),
        ]),
    );
    w.finish()
}

/// The test ASN database.
pub fn test_asn_db() -> Vec<u8> {
    let mut w = MmdbWriter::new("GeoLite2-ASN");
    w.insert("81.2.69.0/24", &asn(20712, "Andrews & Arnold Ltd"))
        .insert("2001:db8:100::/48", &asn(7545, "TPG Telecom Limited"));
    w.finish()
}

/// The `@ip-location-db` flat layout (`country_code`, `state1`, `city`, `latitude`, `longitude`).
pub fn test_flat_db() -> Vec<u8> {
    let mut w = MmdbWriter::new("dbip-city");
    w.insert(
        "89.160.20.112/28",
        &Value::map([
            ("city", Value::s("Linköping")),
            ("country_code", Value::s("SE")),
            ("latitude", Value::F64(58.4109)),
            ("longitude", Value::F64(15.6216)),
            ("state1", Value::s("Östergötland")),
        ]),
    );
    w.finish()
}

/// A city database answering for every located address among `events` with the place the event
/// gives it (what a GeoLite2 City file says of a real address), each address a host network.
pub fn city_db_of<'a>(events: impl IntoIterator<Item = &'a palisade_schema::Event>) -> Vec<u8> {
    let mut places = std::collections::BTreeMap::new();
    for e in events {
        let (Some(ip), Some(g)) = (e.origin.ip, e.origin.geo) else {
            continue;
        };
        let cc = e.origin.country.clone().unwrap_or_default();
        let city = e.origin.city.clone().unwrap_or_default();
        places.insert(ip, (cc, city, g.lat, g.lon));
    }
    let mut w = MmdbWriter::new("GeoLite2-City");
    for (ip, (cc, city, lat, lon)) in &places {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        let city = (!city.is_empty()).then_some(city.as_str());
        w.insert(
            &format!("{ip}/{bits}"),
            &self::city(cc, None, city, *lat, *lon, 20),
        );
    }
    w.finish()
}
