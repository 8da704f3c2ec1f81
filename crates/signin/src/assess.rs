//! How unfamiliar a sign-in is for its identity: which properties are new or rare against the
//! profile, how much each is worth, and the words that explain it.

use palisade_core::{Dimension, Familiarity, ProfileView};
use palisade_schema::{Activity, Duration, Event};
use serde::{Deserialize, Serialize};

/// What each unfamiliar property is worth, and when a seen value still counts as rare.
///
/// Location properties (country, ASN, city, prefix) are correlated — a new country nearly always
/// comes with a new ASN — so they are added up and then discounted when the client itself is
/// familiar (the identity's own device or browser family): that is a traveller, not an intruder.
/// Client properties are discounted the same way when the place is the identity's own (its
/// country and city, on a network it or much of the organisation uses): that is a new laptop
/// at home, not an intruder. An unfamiliar client on an unfamiliar network keeps its full
/// weight wherever it is.
///
/// ```
/// use palisade_signin::NoveltyWeights;
/// let w = NoveltyWeights::default();
/// assert!(w.country + w.asn + w.device > 3.0 * w.user_agent);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoveltyWeights {
    /// A country never seen (default 3.0).
    pub country: f64,
    /// An autonomous system never seen (default 1.5).
    pub asn: f64,
    /// A city never seen (default 0.5).
    pub city: f64,
    /// An IP prefix never seen (default 0.25: home and mobile prefixes rotate).
    pub prefix: f64,
    /// A device id never seen (default 2.0).
    pub device: f64,
    /// A browser and OS family never seen (default 2.0; a new version of a known browser is
    /// the same family and worth nothing).
    pub user_agent: f64,
    /// An application never signed into (default 0.25).
    pub app: f64,
    /// A sign-in the vendor says did not use MFA at all, by an identity whose sign-ins did
    /// (default 2.5; half for one that rarely went without): a removed MFA device, a policy
    /// bypassed. Counts only where the vendor's "no" covers the whole sign-in (CloudTrail
    /// `MFAUsed`; Entra's `singleFactorAuthentication` names only what was required, which an
    /// earlier MFA claim meets, and OCSF's `is_mfa` one step of a flow), and only once the
    /// profile has learned at least three sign-ins with MFA.
    pub without_mfa: f64,
    /// A seen value with less than this share of its dimension counts as rare (default 0.05).
    pub rare_share: f64,
    /// A rare value is worth this fraction of a new one (default 0.5).
    pub rare_factor: f64,
    /// A device or browser family with at least this share is the identity's own (default 0.1).
    pub anchor_share: f64,
    /// How much of the location score a familiar client removes, and of the client score a
    /// familiar place removes (default 0.5).
    pub anchor_discount: f64,
    /// A value held by this share of the tenant's identities is common (default 0.2).
    pub common_share: f64,
    /// How much a common tenant value lowers surprise for a trusted profile (default 0: the
    /// prior is for cold start; a trusted profile's own history says what is normal for it, so
    /// an intruder on the tenant's most common ISP is as surprising as on any other).
    pub prior_trusted: f64,
    /// How much a common tenant value lowers surprise for a still-learning profile (default 0.8).
    pub prior_learning: f64,
}

impl Default for NoveltyWeights {
    fn default() -> Self {
        NoveltyWeights {
            country: 3.0,
            asn: 1.5,
            city: 0.5,
            prefix: 0.25,
            device: 2.0,
            user_agent: 2.0,
            app: 0.25,
            without_mfa: 2.5,
            rare_share: 0.05,
            rare_factor: 0.5,
            anchor_share: 0.1,
            anchor_discount: 0.5,
            common_share: 0.2,
            prior_trusted: 0.0,
            prior_learning: 0.8,
        }
    }
}

impl NoveltyWeights {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let all = [
            self.country,
            self.asn,
            self.city,
            self.prefix,
            self.device,
            self.user_agent,
            self.app,
            self.without_mfa,
            self.rare_share,
            self.rare_factor,
            self.anchor_share,
            self.anchor_discount,
            self.common_share,
            self.prior_trusted,
            self.prior_learning,
        ];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("novelty weights must be finite and not negative".into());
        }
        if [
            self.rare_factor,
            self.anchor_discount,
            self.prior_trusted,
            self.prior_learning,
        ]
        .iter()
        .any(|f| *f > 1.0)
        {
            return Err("rare_factor, anchor_discount and prior_* must lie in 0..=1".into());
        }
        if self.common_share <= 0.0 {
            return Err("common_share must be positive".into());
        }
        Ok(())
    }
}

/// One property of a sign-in that the profile does not know well.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Novel {
    pub(crate) dim: Dimension,
    pub(crate) value: String,
    /// Seen before, but rarely.
    pub(crate) rare: bool,
    /// Its share of the dimension when rare.
    pub(crate) share: f64,
    /// What it adds to the score, after the tenant prior.
    pub(crate) surprise: f64,
}

/// A sign-in measured against its identity's profile.
#[derive(Clone, Debug, Default)]
pub(crate) struct Assessment {
    pub(crate) novel: Vec<Novel>,
    pub(crate) location: f64,
    pub(crate) client: f64,
    pub(crate) other: f64,
    /// 0 (unknown client) to 1 (the identity's own device).
    pub(crate) anchor: f64,
    /// Whether the sign-in names its client at all (a device, a user agent or client
    /// software); Google Workspace's login audit names none.
    pub(crate) client_named: bool,
    /// 0 (somewhere else, or unknown) to 1 (the identity's own country and city on a network
    /// it or the organisation knows).
    pub(crate) place: f64,
    /// Whether the sign-in came from a device id the identity uses (not merely a familiar
    /// browser family).
    pub(crate) own_device: bool,
    /// Whether the vendor's anonymous-proxy or Tor flag counts: Tor always does, a proxy flag
    /// unless the flagged network and address block, from that country, are already the
    /// identity's routine, so someone who signs in through iCloud Private Relay every day is
    /// not an alarm every day.
    pub(crate) anonymous: bool,
    /// The share of the tenant's identities whose profiles hold the sign-in's network (0 when
    /// it names none, or the tenant is too small for priors).
    pub(crate) network_share: f64,
}

impl Assessment {
    /// The combined score: location discounted by a familiar client, client discounted by a
    /// familiar place, plus the others.
    pub(crate) fn score(&self, w: &NoveltyWeights) -> f64 {
        self.location * (1.0 - w.anchor_discount * self.anchor)
            + self.client * (1.0 - w.anchor_discount * self.place)
            + self.other
    }

    pub(crate) fn is_new(&self, dim: Dimension) -> bool {
        self.novel.iter().any(|n| n.dim == dim && !n.rare)
    }

    pub(crate) fn is_unfamiliar(&self, dim: Dimension) -> bool {
        self.novel.iter().any(|n| n.dim == dim)
    }
}

/// A property's text: borrowed from the event, or a number or address written on the stack,
/// so asking the profile about a sign-in allocates nothing.
enum Text<'e> {
    Borrowed(&'e str),
    Inline {
        buf: [u8; 48],
        len: usize,
    },
    /// The vendor's browser and OS names, for a source without user agents.
    Owned(String),
}

impl<'e> Text<'e> {
    fn display(v: impl std::fmt::Display) -> Self {
        use std::io::Write;
        let mut buf = [0u8; 48];
        let mut w = &mut buf[..];
        // 48 bytes hold any IPv6 address or number; a failed write leaves the value empty.
        let len = if write!(w, "{v}").is_ok() {
            48 - w.len()
        } else {
            0
        };
        Text::Inline { buf, len }
    }

    /// An address as text; IPv4 is written by hand (the general formatter is several times
    /// slower, and every sign-in asks about its address).
    fn ip(ip: std::net::IpAddr) -> Self {
        let std::net::IpAddr::V4(v4) = ip else {
            return Self::display(ip);
        };
        let mut buf = [0u8; 48];
        let mut len = 0;
        for (k, o) in v4.octets().into_iter().enumerate() {
            if k > 0 {
                buf[len] = b'.';
                len += 1;
            }
            if o >= 100 {
                buf[len] = b'0' + o / 100;
                len += 1;
            }
            if o >= 10 {
                buf[len] = b'0' + o / 10 % 10;
                len += 1;
            }
            buf[len] = b'0' + o % 10;
            len += 1;
        }
        Text::Inline { buf, len }
    }

    /// A number as text, written by hand.
    fn number(n: u32) -> Self {
        let mut digits = [0u8; 10];
        let (mut n, mut k) = (n, digits.len());
        loop {
            k -= 1;
            digits[k] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut buf = [0u8; 48];
        let len = digits.len() - k;
        buf[..len].copy_from_slice(&digits[k..]);
        Text::Inline { buf, len }
    }

    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Inline { buf, len } => std::str::from_utf8(&buf[..*len]).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }
}

/// The dimensions a sign-in is measured in, in the order findings describe them.
const DIMS: [Dimension; 7] = [
    Dimension::Country,
    Dimension::Asn,
    Dimension::City,
    Dimension::Prefix,
    Dimension::Device,
    Dimension::UserAgent,
    Dimension::App,
];

/// The event's value in `dim`, made one at a time so nothing larger than one value is built.
fn value(event: &Event, dim: Dimension) -> Option<Text<'_>> {
    let o = &event.origin;
    fn text(v: &Option<String>) -> Option<Text<'_>> {
        v.as_deref().map(Text::Borrowed)
    }
    match dim {
        Dimension::Country => text(&o.country),
        Dimension::Asn => o.asn.map(Text::number),
        Dimension::City => text(&o.city),
        Dimension::Prefix => o.ip.map(Text::ip),
        Dimension::Device => text(&o.device_id),
        Dimension::UserAgent => {
            text(&o.user_agent).or_else(|| o.client.as_deref().map(|c| Text::Owned(c.describe())))
        }
        _ => match &event.activity {
            Activity::SignIn(s) => s.app.as_deref().map(Text::Borrowed),
            _ => None,
        },
    }
}

/// Whether `event` has a value in `dim` worth asking about: present and not blank.
fn has_value(event: &Event, dim: Dimension) -> bool {
    let o = &event.origin;
    fn text(v: &Option<String>) -> bool {
        v.as_deref()
            .is_some_and(|v| !v.bytes().all(|b| b.is_ascii_whitespace()))
    }
    match dim {
        Dimension::Country => text(&o.country),
        Dimension::Asn => o.asn.is_some(),
        Dimension::City => text(&o.city),
        Dimension::Prefix => o.ip.is_some(),
        Dimension::Device => text(&o.device_id),
        Dimension::UserAgent => text(&o.user_agent) || o.client.is_some(),
        _ => match &event.activity {
            Activity::SignIn(s) => text(&s.app),
            _ => false,
        },
    }
}

/// The least anchor an identity's own browser family gives, however much of the tenant uses
/// it: below the 0.5 that makes a client the identity's own (see `failed_then_success`), enough
/// that a trip with the usual browser and no device id (Okta names none for browsers) does not
/// read as an intruder on location alone. A sign-in that names no client, of an identity whose
/// sign-ins never do, counts the same.
const MIN_UA_ANCHOR: f64 = 0.4;

/// Measures `event` against `profile` (as it was before the event).
pub(crate) fn assess(event: &Event, profile: &dyn ProfileView, w: &NoveltyWeights) -> Assessment {
    let mut a = Assessment {
        client_named: has_value(event, Dimension::Device) || has_value(event, Dimension::UserAgent),
        ..Assessment::default()
    };
    let prior = if profile.trusted() {
        w.prior_trusted
    } else {
        w.prior_learning
    };
    let mut device_anchor = 0.0f64;
    let mut ua_anchor = 0.0f64;
    let mut device_new = false;
    // The place is the identity's own until a property of it says otherwise; a sign-in with no
    // country is from nowhere known.
    let mut place = if has_value(event, Dimension::Country) {
        1.0f64
    } else {
        0.0
    };
    // One question to the profile about the whole sign-in; values are made into text only for
    // the properties a finding will name.
    let mut familiar = [None; DIMS.len()];
    let mut shares = [0.0; DIMS.len()];
    profile.event_familiarity(event, &DIMS, &mut familiar, &mut shares);
    let mut network = None;
    for ((dim, fam), tenant_share) in DIMS.into_iter().zip(familiar).zip(shares) {
        if !has_value(event, dim) {
            continue;
        }
        if dim == Dimension::Asn {
            network = fam;
            a.network_share = tenant_share;
        }
        let (novelty, rare, share) = match fam {
            None => {
                device_new |= dim == Dimension::Device;
                (1.0, false, 0.0)
            }
            Some(f) if f.share < w.rare_share => (w.rare_factor, true, f.share),
            Some(f) => {
                if f.share >= w.anchor_share {
                    match dim {
                        Dimension::Device => device_anchor = 1.0,
                        // A browser family half the organisation uses says little about who
                        // is at the keyboard; but it is still the identity's own, which an
                        // intruder has to match, so it keeps some weight however common.
                        Dimension::UserAgent => {
                            ua_anchor = (1.0 - tenant_share.min(1.0)).max(MIN_UA_ANCHOR)
                        }
                        _ => {}
                    }
                }
                continue;
            }
        };
        let weight = match dim {
            Dimension::Country => w.country,
            Dimension::Asn => w.asn,
            Dimension::City => w.city,
            Dimension::Prefix => w.prefix,
            Dimension::Device => w.device,
            Dimension::UserAgent => w.user_agent,
            _ => w.app,
        };
        let common = (tenant_share / w.common_share).min(1.0);
        match dim {
            Dimension::Country | Dimension::City => place = 0.0,
            // A network new to the identity is as familiar as it is common in the tenant.
            Dimension::Asn => place = place.min(common),
            _ => {}
        }
        let surprise = weight * novelty * (1.0 - prior * common);
        match dim {
            Dimension::Country | Dimension::Asn | Dimension::City | Dimension::Prefix => {
                a.location += surprise
            }
            Dimension::Device | Dimension::UserAgent => a.client += surprise,
            _ => a.other += surprise,
        }
        let text = value(event, dim).map_or_else(String::new, |v| v.as_str().to_owned());
        a.novel.push(Novel {
            dim,
            // Named as the profile compared it (a user agent's family), else as given.
            value: profile.value_label(dim, &text).unwrap_or(text),
            rare,
            share,
            surprise,
        });
    }
    // A familiar browser family on a device the identity has never used is a new machine
    // running a common browser, not the identity's own client: the device id outranks it.
    a.anchor = if !a.client_named && !knows_clients(profile) {
        // An identity whose sign-ins never name a client (Google Workspace's login audit names
        // none) cannot tell a traveller's own laptop from an intruder's machine: its location
        // counts as it would beside the identity's usual browser family, so a trip alone stays
        // below medium there as it does where the client is named. What else the story holds
        // (failed attempts first, a vendor's proxy flag, a burst of pushes, a speed no plane
        // makes) still raises it, in this detector or the others. Where the identity's
        // sign-ins do name their client, one that names none is no anchor at all: legacy
        // protocols and scripts send no user agent.
        MIN_UA_ANCHOR
    } else if device_new {
        device_anchor
    } else {
        device_anchor.max(ua_anchor)
    };
    a.place = place;
    a.own_device = device_anchor >= 1.0 && !device_new;
    if let Some(n) = without_mfa(event, profile, w) {
        a.other += n.surprise;
        a.novel.push(n);
    }
    // Tor always counts; an anonymizing-proxy flag from the identity's routine network does not.
    let signals = &event.vendor_signals;
    a.anonymous = signals.tor == Some(true)
        || (signals.says_anonymous() && !routine_network(event, profile, &a, network));
    a
}

/// How many sign-ins (decayed weight) make a habit: of a network, of MFA.
const HABIT_SIGN_INS: f64 = 3.0;

/// A sign-in the vendor says used no MFA at all, of an identity with a habit of it (at least
/// three sign-ins with MFA, a share of at least `anchor_share`): new, or rare, going without.
fn without_mfa(event: &Event, profile: &dyn ProfileView, w: &NoveltyWeights) -> Option<Novel> {
    let Activity::SignIn(s) = &event.activity else {
        return None;
    };
    // Only CloudTrail's "no" covers the whole sign-in (see `NoveltyWeights::without_mfa`).
    if s.mfa_satisfied != Some(false) || event.source != palisade_schema::Source::CloudTrail {
        return None;
    }
    let with = profile.familiarity(Dimension::Mfa, palisade_core::mfa_value(true))?;
    if with.share < w.anchor_share || with.weight < HABIT_SIGN_INS {
        return None;
    }
    let (novelty, rare, share) =
        match profile.familiarity(Dimension::Mfa, palisade_core::mfa_value(false)) {
            None => (1.0, false, 0.0),
            Some(f) if f.share < w.rare_share => (w.rare_factor, true, f.share),
            Some(_) => return None,
        };
    Some(Novel {
        dim: Dimension::Mfa,
        value: palisade_core::mfa_value(false).to_owned(),
        rare,
        share,
        surprise: w.without_mfa * novelty,
    })
}

/// Whether the sign-in's country, network and address block are the identity's routine:
/// neither new nor rare, and, while the profile still learns, a network it has used on more
/// than one day (so the first flagged sign-ins of a new profile still count).
fn routine_network(
    event: &Event,
    profile: &dyn ProfileView,
    a: &Assessment,
    network: Option<Familiarity>,
) -> bool {
    // A few sign-ins, over more than a day: a habit, not one morning's session.
    let habit = |f: Familiarity| {
        f.weight >= HABIT_SIGN_INS && f.last_seen.since(f.first_seen) >= Duration::from_days(1)
    };
    has_value(event, Dimension::Country)
        && !a.is_unfamiliar(Dimension::Country)
        && !a.is_unfamiliar(Dimension::Asn)
        && !a.is_unfamiliar(Dimension::Prefix)
        && network.is_some_and(|f| profile.trusted() || habit(f))
}

/// Whether the identity's sign-ins have named their client (a user agent or a device).
fn knows_clients(profile: &dyn ProfileView) -> bool {
    [Dimension::UserAgent, Dimension::Device]
        .into_iter()
        .any(|d| !profile.top_values(d).is_empty())
}

fn short(v: &str) -> String {
    const MAX: usize = 60;
    if v.chars().count() <= MAX {
        v.to_owned()
    } else {
        let cut: String = v.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// "first sign-in from US (AS7922), new device, new browser family (python-requests/2.31)".
/// What [`describe_novelty`] says when none of the novelty is of a kind it names (a new address
/// block or hour alone).
pub(crate) const NOTHING_NAMED: &str = "unfamiliar properties";

pub(crate) fn describe_novelty(a: &Assessment, event: &Event) -> String {
    let mut parts = Vec::new();
    let asn = event.origin.asn.map(|n| format!("AS{n}"));
    let country = a.novel.iter().find(|n| n.dim == Dimension::Country);
    let asn_novel = a.novel.iter().find(|n| n.dim == Dimension::Asn);
    match (country, &asn) {
        (Some(c), Some(asn)) if !c.rare => {
            parts.push(format!("first sign-in from {} ({asn})", c.value))
        }
        (Some(c), None) if !c.rare => parts.push(format!("first sign-in from {}", c.value)),
        (Some(c), _) => parts.push(format!(
            "rare country {} ({:.0}% of sign-ins)",
            c.value,
            c.share * 100.0
        )),
        (None, _) => {}
    }
    if let Some(n) = asn_novel {
        if country.is_none() {
            let org = event
                .origin
                .as_org
                .as_deref()
                .map(|o| format!(" {}", short(o)))
                .unwrap_or_default();
            if n.rare {
                parts.push(format!("rare network AS{}{org}", n.value));
            } else {
                parts.push(format!("first sign-in from AS{}{org}", n.value));
            }
        }
    }
    for n in &a.novel {
        let what = match n.dim {
            Dimension::City if country.is_none() => format!("city {}", n.value),
            Dimension::Device => format!("device {}", short(&n.value)),
            Dimension::UserAgent => format!("browser/OS {}", short(&n.value)),
            Dimension::App => format!("application {}", short(&n.value)),
            Dimension::Mfa => {
                parts.push(if n.rare {
                    format!("without MFA ({:.0}% of sign-ins)", n.share * 100.0)
                } else {
                    "first sign-in without MFA".to_owned()
                });
                continue;
            }
            _ => continue,
        };
        parts.push(if n.rare {
            format!("rare {what}")
        } else {
            format!("new {what}")
        });
    }
    if a.anonymous {
        let what = if event.vendor_signals.tor == Some(true) {
            "Tor"
        } else {
            "an anonymizing proxy"
        };
        parts.push(format!("the vendor flags {what}"));
    }
    if parts.is_empty() {
        parts.push(NOTHING_NAMED.into());
    }
    parts.join(", ")
}

/// "212 earlier sign-ins over 90 days, all from AU" (or "mostly from AU (85%), also NZ").
pub(crate) fn describe_history(p: &dyn ProfileView) -> String {
    let n = p.sign_ins();
    let plural = if n == 1 { "" } else { "s" };
    let mut s = format!(
        "{n} earlier sign-in{plural} over {} day{}",
        p.days(),
        if p.days() == 1 { "" } else { "s" }
    );
    let top = p.top_values(Dimension::Country);
    match top.as_slice() {
        [] => {}
        [(only, _)] => s.push_str(&format!(", all from {only}")),
        [(first, share), rest @ ..] => {
            let others: Vec<&str> = rest.iter().take(3).map(|(c, _)| c.as_str()).collect();
            s.push_str(&format!(
                ", mostly from {first} ({:.0}%), also {}",
                share * 100.0,
                others.join(", ")
            ));
        }
    }
    if !p.trusted() {
        s.push_str(" (still learning)");
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Text;
    use std::net::IpAddr;

    #[test]
    fn hand_written_text_matches_display() {
        for ip in [
            "0.0.0.0",
            "1.2.3.4",
            "10.20.30.40",
            "100.200.255.9",
            "2001:db8::1",
        ] {
            let addr: IpAddr = ip.parse().unwrap();
            assert_eq!(Text::ip(addr).as_str(), addr.to_string());
        }
        for n in [0u32, 7, 10, 7545, 4_294_967_295] {
            assert_eq!(Text::number(n).as_str(), n.to_string());
        }
    }
}
