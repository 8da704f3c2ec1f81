//! Egress registries as data: VPN/SASE, corporate, private relay, satellite, hosting/cloud and
//! mobile carrier networks, loaded from text files so users extend them without a rebuild.
//!
//! # File format
//!
//! UTF-8 text, one item per line; `#` starts a comment; blank lines are ignored.
//!
//! ```text
//! [corp-vpn]                      # starts a list; the name is what findings quote
//! kind = corporate                # vpn | sase | corporate | private_relay | satellite | hosting
//!                                 # | mobile
//! source = https://wiki.example/egress   # where the entries come from (required)
//! 198.51.100.0/24                 # a CIDR, IPv4 or IPv6; a bare address is a single host
//! 2001:db8:100::/48
//! AS64500                         # an autonomous system number
//! 172.224.226.0/27,GB,GB-EN,London,   # CSV: only the first field is read
//! ```
//!
//! A list whose name was already loaded (with the same kind) gets the new entries added, so a
//! file can extend a built-in list. A malformed line is reported with its file and line number
//! and skipped; the lines around it still load.
//!
//! The built-in lists ([`EgressRegistry::builtin`], file `data/egress.txt` in this crate) hold
//! a few representative entries per provider, each list citing the vendor publication it comes
//! from. There is no built-in `mobile` list: which carriers (and, where a carrier's ASN also
//! serves broadband, which of its prefixes) an organisation's people use is the organisation's
//! to list.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::GeoError;

/// The built-in lists' text.
const BUILTIN: &str = include_str!("../data/egress.txt");

/// An IP network in CIDR notation, stored with its host bits cleared.
///
/// ```
/// use palisade_geo::Cidr;
/// let net: Cidr = "165.225.7.9/17".parse().unwrap();
/// assert_eq!(net.to_string(), "165.225.0.0/17");
/// assert!(net.contains("165.225.100.1".parse().unwrap()));
/// assert!(!net.contains("165.225.200.1".parse().unwrap()));
/// let host: Cidr = "2001:db8::1".parse().unwrap();
/// assert_eq!(host.prefix_len(), 128);
/// assert!("10.0.0.0/33".parse::<Cidr>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

fn mask128(bits: u32, len: u8) -> u128 {
    // `len` is at most `bits`; a zero-length prefix keeps nothing.
    if len == 0 {
        0
    } else {
        (!0u128 << (bits - u32::from(len))) & (!0u128 >> (128 - bits))
    }
}

fn as_u128(ip: IpAddr) -> (u128, u32) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

impl Cidr {
    /// A network from an address and prefix length (host bits are cleared); `None` when the
    /// length exceeds the family's width.
    pub fn new(addr: IpAddr, len: u8) -> Option<Self> {
        let (v, bits) = as_u128(addr);
        if u32::from(len) > bits {
            return None;
        }
        let masked = v & mask128(bits, len);
        let addr = match addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(masked as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(masked)),
        };
        Some(Cidr { addr, len })
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether `ip` is inside the network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let (v, bits) = as_u128(ip);
        let (net, _) = as_u128(self.addr);
        v & mask128(bits, self.len) == net
    }

    fn range(&self) -> (u128, u128) {
        let (net, bits) = as_u128(self.addr);
        let host = !mask128(bits, self.len) & (!0u128 >> (128 - bits));
        (net, net | host)
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("not an IP address: {addr:?}"))?;
        let addr = canonical(addr);
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l
                .parse::<u8>()
                .map_err(|_| format!("bad prefix length {l:?}"))?,
            None => width,
        };
        Cidr::new(addr, len).ok_or_else(|| format!("prefix length {len} exceeds {width}"))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// What kind of network an egress list describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EgressKind {
    /// A commercial or self-hosted VPN's exits.
    Vpn,
    /// A secure access service edge / secure web gateway (Zscaler, Netskope, Prisma Access).
    Sase,
    /// The organisation's own egress (its VPN concentrators, offices' NAT addresses).
    Corporate,
    /// A privacy relay (iCloud Private Relay): the address maps only to a coarse region.
    PrivateRelay,
    /// Satellite links, including in-flight Wi-Fi: addresses geolocate to ground stations.
    Satellite,
    /// Hosting and cloud providers: servers, and services signing in on users' behalf.
    Hosting,
    /// A mobile carrier's network: its addresses geolocate to the carrier's gateways, often
    /// hundreds of kilometres from the subscriber, so only the country is reliable (and a
    /// roaming phone's is routed home, a country away). Unlike the kinds above it says nothing
    /// about *who* is behind the address, so it widens the location's uncertainty instead of
    /// lowering a finding, unless the identity's next sign-in is from a client it knows.
    Mobile,
}

impl EgressKind {
    /// Every kind.
    pub const ALL: [EgressKind; 7] = [
        EgressKind::Vpn,
        EgressKind::Sase,
        EgressKind::Corporate,
        EgressKind::PrivateRelay,
        EgressKind::Satellite,
        EgressKind::Hosting,
        EgressKind::Mobile,
    ];

    /// The snake_case name used in list files and findings.
    ///
    /// ```
    /// assert_eq!(palisade_geo::EgressKind::PrivateRelay.as_str(), "private_relay");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            EgressKind::Vpn => "vpn",
            EgressKind::Sase => "sase",
            EgressKind::Corporate => "corporate",
            EgressKind::PrivateRelay => "private_relay",
            EgressKind::Satellite => "satellite",
            EgressKind::Hosting => "hosting",
            EgressKind::Mobile => "mobile",
        }
    }
}

impl FromStr for EgressKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        EgressKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .or_else(|| (s == "cloud").then_some(EgressKind::Hosting))
            .ok_or_else(|| {
                format!(
                    "unknown kind {s:?} (expected vpn, sase, corporate, private_relay, satellite, \
                     hosting or mobile)"
                )
            })
    }
}

impl fmt::Display for EgressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named list of networks of one kind, with where its entries come from.
///
/// ```
/// use palisade_geo::{EgressKind, EgressList};
/// let corp = EgressList::new("corp-vpn", EgressKind::Corporate, "https://wiki.example/egress")
///     .with_cidr("198.51.100.0/24".parse().unwrap())
///     .with_asn(64500);
/// assert_eq!(corp.cidrs.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EgressList {
    /// The list's name, quoted in findings.
    pub name: String,
    /// What kind of network it lists.
    pub kind: EgressKind,
    /// Where the entries come from (a URL or a note).
    pub source: String,
    /// Networks.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "cidr_strings")]
    pub cidrs: Vec<Cidr>,
    /// Autonomous systems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asns: Vec<u32>,
}

mod cidr_strings {
    use super::Cidr;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[Cidr], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(ToString::to_string))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Cidr>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

impl EgressList {
    /// An empty list.
    pub fn new(name: impl Into<String>, kind: EgressKind, source: impl Into<String>) -> Self {
        EgressList {
            name: name.into(),
            kind,
            source: source.into(),
            cidrs: Vec::new(),
            asns: Vec::new(),
        }
    }

    /// The same list with one more network.
    pub fn with_cidr(mut self, cidr: Cidr) -> Self {
        self.cidrs.push(cidr);
        self
    }

    /// The same list with one more autonomous system.
    pub fn with_asn(mut self, asn: u32) -> Self {
        self.asns.push(asn);
        self
    }
}

/// How an address matched a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The address is inside this network of the list.
    Cidr(Cidr),
    /// The network's autonomous system is on the list.
    Asn(u32),
}

/// A match of an address (or ASN) against a registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EgressMatch<'a> {
    /// The list that matched.
    pub list: &'a EgressList,
    /// Its position in [`EgressRegistry::lists`] (stable for a given registry).
    pub index: usize,
    /// The network or ASN that matched.
    pub by: MatchedBy,
}

#[derive(Clone, Copy, Debug)]
struct Interval {
    start: u128,
    end: u128,
    /// The innermost enclosing interval, or `u32::MAX`.
    parent: u32,
    list: u32,
    cidr: Cidr,
}

/// Egress lists and a fast index over them.
///
/// Lookups take the most specific network containing the address (whatever list it is in),
/// then the address's ASN; an identical network or ASN on two lists belongs to the first loaded.
/// A lookup is a binary search plus a short walk up nested networks: it costs about the same for
/// ten entries or for Apple's full relay list.
///
/// ```
/// use palisade_geo::{EgressKind, EgressRegistry};
/// let mut reg = EgressRegistry::builtin();
/// let problems = reg.add_text(
///     "[corp-vpn]\nkind = corporate\nsource = https://wiki.example/egress\n198.51.100.0/24\nnot-an-ip\n",
///     "corp.txt",
/// );
/// assert_eq!(problems.len(), 1);
/// assert_eq!(problems[0].to_string(), "corp.txt:5: not an IP address: \"not-an-ip\"");
/// let hit = reg.lookup(Some("198.51.100.77".parse().unwrap()), None).unwrap();
/// assert_eq!((hit.list.name.as_str(), hit.list.kind), ("corp-vpn", EgressKind::Corporate));
/// // The built-in Zscaler list matches by network, Starlink by ASN.
/// assert_eq!(reg.lookup(Some("165.225.112.17".parse().unwrap()), None).unwrap().list.name, "zscaler");
/// assert_eq!(reg.lookup(None, Some(14593)).unwrap().list.name, "starlink");
/// assert!(reg.lookup(Some("192.0.2.1".parse().unwrap()), Some(64496)).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct EgressRegistry {
    lists: Vec<EgressList>,
    v4: Vec<Interval>,
    v6: Vec<Interval>,
    asns: Vec<(u32, u32)>,
}

impl EgressRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        EgressRegistry::default()
    }

    /// The built-in lists (`data/egress.txt` of this crate).
    pub fn builtin() -> Self {
        let mut r = EgressRegistry::new();
        let problems = r.add_text(BUILTIN, "builtin egress.txt");
        debug_assert!(problems.is_empty(), "{problems:?}");
        r
    }

    /// The built-in lists' text, for users who want a starting point for their own file.
    pub fn builtin_text() -> &'static str {
        BUILTIN
    }

    /// All lists, in load order.
    pub fn lists(&self) -> &[EgressList] {
        &self.lists
    }

    /// Whether no list is loaded.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Adds a list (or adds its entries to the loaded list of the same name and kind; a list of
    /// the same name and another kind is an error).
    pub fn add(&mut self, list: EgressList) -> Result<(), String> {
        self.merge(list)?;
        self.reindex();
        Ok(())
    }

    fn merge(&mut self, list: EgressList) -> Result<(), String> {
        match self.lists.iter_mut().find(|l| l.name == list.name) {
            Some(existing) if existing.kind != list.kind => Err(format!(
                "list [{}] is already loaded with kind {}, not {}",
                list.name, existing.kind, list.kind
            )),
            Some(existing) => {
                existing.cidrs.extend(list.cidrs);
                existing.asns.extend(list.asns);
                Ok(())
            }
            None => {
                self.lists.push(list);
                Ok(())
            }
        }
    }

    /// Loads lists from text in the [module's format](self); returns the problems found (each
    /// with `file` and its line), having kept every good line.
    pub fn add_text(&mut self, text: &str, file: &str) -> Vec<GeoError> {
        let mut problems = Vec::new();
        let problem = |line: usize, reason: String| GeoError::Parse {
            file: file.to_owned(),
            line,
            reason,
        };
        // A list under construction: its header line, name, kind, source and entries.
        struct Pending {
            line: usize,
            name: String,
            kind: Option<EgressKind>,
            source: Option<String>,
            cidrs: Vec<Cidr>,
            asns: Vec<u32>,
        }
        let mut finish = |p: Option<Pending>, problems: &mut Vec<GeoError>| {
            let Some(p) = p else { return };
            let (Some(kind), Some(source)) = (p.kind, p.source) else {
                problems.push(problem(
                    p.line,
                    format!(
                        "list [{}] needs both `kind = ...` and `source = ...`",
                        p.name
                    ),
                ));
                return;
            };
            let list = EgressList {
                name: p.name,
                kind,
                source,
                cidrs: p.cidrs,
                asns: p.asns,
            };
            if let Err(e) = self.merge(list) {
                problems.push(problem(p.line, e));
            }
        };
        let mut current: Option<Pending> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']').map(str::trim) else {
                    problems.push(problem(line_no, format!("unclosed list header {line:?}")));
                    continue;
                };
                if name.is_empty() || name.chars().any(char::is_whitespace) {
                    problems.push(problem(line_no, format!("bad list name {name:?}")));
                    continue;
                }
                finish(current.take(), &mut problems);
                current = Some(Pending {
                    line: line_no,
                    name: name.to_owned(),
                    kind: None,
                    source: None,
                    cidrs: Vec::new(),
                    asns: Vec::new(),
                });
                continue;
            }
            let Some(p) = current.as_mut() else {
                problems.push(problem(line_no, "entry before any [list] header".into()));
                continue;
            };
            if let Some((key, value)) = line.split_once('=') {
                let value = value.trim();
                match key.trim() {
                    "kind" => match value.parse() {
                        Ok(k) => p.kind = Some(k),
                        Err(e) => problems.push(problem(line_no, e)),
                    },
                    "source" if !value.is_empty() => p.source = Some(value.to_owned()),
                    "source" => problems.push(problem(line_no, "empty source".into())),
                    other => problems.push(problem(line_no, format!("unknown setting {other:?}"))),
                }
                continue;
            }
            let first = line.split(',').next().unwrap_or("").trim();
            let asn = first
                .strip_prefix("AS")
                .or_else(|| first.strip_prefix("as"))
                .or_else(|| first.strip_prefix("As"));
            match asn {
                Some(digits)
                    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    match digits.parse::<u32>() {
                        Ok(a) => p.asns.push(a),
                        Err(_) => {
                            problems.push(problem(line_no, format!("ASN out of range: {first:?}")))
                        }
                    }
                }
                _ => match first.parse::<Cidr>() {
                    Ok(c) => p.cidrs.push(c),
                    Err(e) => problems.push(problem(line_no, e)),
                },
            }
        }
        finish(current.take(), &mut problems);
        self.reindex();
        problems
    }

    /// Loads a list file; `Err` when it cannot be read, else the problems found in it.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<Vec<GeoError>, GeoError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| GeoError::Io {
            path: name.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(self.add_text(&text, &name))
    }

    fn reindex(&mut self) {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut asns = Vec::new();
        for (i, l) in self.lists.iter().enumerate() {
            for c in &l.cidrs {
                let (start, end) = c.range();
                let iv = Interval {
                    start,
                    end,
                    parent: u32::MAX,
                    list: i as u32,
                    cidr: *c,
                };
                if c.addr.is_ipv4() {
                    v4.push(iv);
                } else {
                    v6.push(iv);
                }
            }
            asns.extend(l.asns.iter().map(|a| (*a, i as u32)));
        }
        self.v4 = build(v4);
        self.v6 = build(v6);
        // Stable sort, then keep the first list's claim on each ASN.
        asns.sort_by_key(|(a, _)| *a);
        asns.dedup_by_key(|(a, _)| *a);
        self.asns = asns;
    }

    /// The list matching `ip` (most specific network first) or else `asn`.
    pub fn lookup(&self, ip: Option<IpAddr>, asn: Option<u32>) -> Option<EgressMatch<'_>> {
        if let Some(ip) = ip {
            let ip = canonical(ip);
            let (v, _) = as_u128(ip);
            let table = if ip.is_ipv4() { &self.v4 } else { &self.v6 };
            if let Some(iv) = find(table, v) {
                let index = iv.list as usize;
                return Some(EgressMatch {
                    list: &self.lists[index],
                    index,
                    by: MatchedBy::Cidr(iv.cidr),
                });
            }
        }
        let asn = asn?;
        let at = self.asns.binary_search_by_key(&asn, |(a, _)| *a).ok()?;
        let index = self.asns[at].1 as usize;
        Some(EgressMatch {
            list: &self.lists[index],
            index,
            by: MatchedBy::Asn(asn),
        })
    }
}

/// Sorts intervals by (start, widest first), drops duplicates (first list wins) and links each
/// to its innermost enclosing interval. CIDR blocks either nest or are disjoint, so a stack
/// of open blocks finds the parents in one pass.
fn build(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.list.cmp(&b.list))
    });
    v.dedup_by(|b, a| a.start == b.start && a.end == b.end);
    let mut stack: Vec<u32> = Vec::new();
    for i in 0..v.len() {
        while let Some(&top) = stack.last() {
            if v[top as usize].end >= v[i].start {
                break;
            }
            stack.pop();
        }
        v[i].parent = stack.last().copied().unwrap_or(u32::MAX);
        stack.push(i as u32);
    }
    v
}

fn find(table: &[Interval], v: u128) -> Option<&Interval> {
    let at = table.partition_point(|iv| iv.start <= v);
    let mut i = at.checked_sub(1)?;
    loop {
        let iv = &table[i];
        if iv.end >= v {
            return Some(iv);
        }
        if iv.parent == u32::MAX {
            return None;
        }
        i = iv.parent as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn builtin_lists_load_cleanly_and_cite_sources() {
        let mut r = EgressRegistry::new();
        assert!(r.add_text(BUILTIN, "builtin").is_empty());
        assert!(r.lists().len() >= 6);
        assert!(r.lists().iter().all(|l| l.source.starts_with("https://")));
    }

    #[test]
    fn most_specific_network_wins_across_lists() {
        let mut r = EgressRegistry::new();
        let text =
            "[wide]\nkind=hosting\nsource=x\n10.0.0.0/8\n[mid]\nkind=vpn\nsource=y\n10.1.0.0/16\n\
                    [narrow]\nkind=corporate\nsource=z\n10.1.5.0/24\n";
        assert!(r.add_text(text, "t").is_empty());
        assert_eq!(r.lookup(ip("10.1.5.9"), None).unwrap().list.name, "narrow");
        assert_eq!(r.lookup(ip("10.1.6.9"), None).unwrap().list.name, "mid");
        assert_eq!(r.lookup(ip("10.2.0.1"), None).unwrap().list.name, "wide");
        assert!(r.lookup(ip("11.0.0.1"), None).is_none());
        assert!(r.lookup(ip("9.255.255.255"), None).is_none());
        // IPv4-mapped IPv6 counts as IPv4.
        assert_eq!(
            r.lookup(ip("::ffff:10.1.5.1"), None).unwrap().list.name,
            "narrow"
        );
    }

    #[test]
    fn same_name_extends_and_kind_conflicts_are_reported() {
        let mut r = EgressRegistry::builtin();
        let n = r.lists().len();
        assert!(r
            .add_text("[zscaler]\nkind=sase\nsource=mine\n203.0.113.0/24\n", "a")
            .is_empty());
        assert_eq!(r.lists().len(), n);
        assert_eq!(
            r.lookup(ip("203.0.113.5"), None).unwrap().list.name,
            "zscaler"
        );
        let p = r.add_text("[zscaler]\nkind=vpn\nsource=mine\n", "b");
        assert_eq!(p.len(), 1);
        assert!(p[0]
            .to_string()
            .starts_with("b:1: list [zscaler] is already loaded"));
    }

    #[test]
    fn malformed_lines_are_reported_with_line_numbers_and_skipped() {
        let mut r = EgressRegistry::new();
        let text = "198.51.100.1\n[x]\nkind = martian\nsource = s\nkind = vpn\nAS99999999999\n\
                    192.0.2.0/24\n[]\n[y\n[nosource]\nkind=vpn\n";
        let p: Vec<String> = r
            .add_text(text, "f")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(p.len(), 6, "{p:?}");
        assert!(p[0].starts_with("f:1: entry before"));
        assert!(p[1].starts_with("f:3: unknown kind"));
        assert!(p[2].starts_with("f:6: ASN out of range"));
        assert!(p[3].starts_with("f:8: bad list name"));
        assert!(p[4].starts_with("f:9: unclosed"));
        assert!(p[5].starts_with("f:10: list [nosource] needs"));
        assert_eq!(r.lookup(ip("192.0.2.7"), None).unwrap().list.name, "x");
    }

    #[test]
    fn asn_match_is_used_when_no_network_matches() {
        let r = EgressRegistry::builtin();
        let m = r.lookup(ip("192.0.2.1"), Some(53813)).unwrap();
        assert_eq!(
            (m.list.name.as_str(), m.by),
            ("zscaler", MatchedBy::Asn(53813))
        );
    }
}
