//! The generated people: names, homes, devices, and the network origins they sign in from.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use palisade_schema::{GeoPoint, Identity, MfaDevice, Origin};

use super::places::{city, EgressPoint, Isp, CITIES, EGRESS_POINTS, HOMES};
use super::{Archetype, AttackKind, Persona, PopulationConfig, BASE62};
use crate::rng::Rng;

const FIRST: &[&str] = &[
    "Olivia",
    "Jack",
    "Charlotte",
    "William",
    "Amelia",
    "Noah",
    "Isla",
    "Oliver",
    "Mia",
    "Thomas",
    "Grace",
    "James",
    "Chloe",
    "Lucas",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Hiroshi",
    "Yuki",
    "Aroha",
    "Tane",
    "Sofia",
    "Mateo",
    "Fatima",
    "Omar",
    "Zara",
    "Liam",
    "Ava",
    "Ethan",
    "Emily",
    "Daniel",
    "Hannah",
    "Samuel",
    "Chen",
    "Ananya",
    "Kai",
    "Leilani",
    "Anna",
    "Lukas",
    "Emma",
    "Hugo",
    "Nina",
    "Felix",
    "Ruby",
    "Max",
    "Ivy",
    "Leo",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin",
    "White", "Anderson", "Walker", "Thompson", "Harris", "Lee", "Ryan", "Robinson", "Kelly",
    "King", "Patel", "Singh", "Wang", "Li", "Zhang", "Tanaka", "Sato", "Ngata", "Parata", "Garcia",
    "Rossi", "Muller", "Schmidt", "Dubois", "Khan", "Ali", "Murphy", "Campbell", "Clarke",
    "Wright", "Mitchell", "Young", "Hall", "Scott", "Green", "Baker", "Adams", "Chan", "Kim",
];

/// Desktop browsers people sign in with (real user-agent strings of the period).
pub(crate) const DESKTOP_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
];
/// What a refreshed laptop runs.
pub(crate) const NEW_LAPTOP_UAS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
];
/// Phone browsers.
pub(crate) const MOBILE_UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
];
/// What attackers' tooling presents.
pub(crate) const ATTACKER_UAS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
];
const PHONES: &[&str] = &[
    "iPhone 14",
    "iPhone 15 Pro",
    "iPhone 13",
    "Pixel 8",
    "Galaxy S23",
];

/// A client device: its id and user agent.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Device {
    pub(crate) id: String,
    pub(crate) ua: &'static str,
}

impl Device {
    pub(crate) fn random(rng: &mut Rng, uas: &[&'static str]) -> Device {
        Device {
            id: guid(rng),
            ua: uas[rng.below(uas.len())],
        }
    }
}

/// An Entra-style device GUID.
pub(crate) fn guid(rng: &mut Rng) -> String {
    let a = rng.u64();
    let b = rng.u64();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// One generated person and everything their events are made of.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub(crate) index: usize,
    pub(crate) identity: Identity,
    pub(crate) archetype: Archetype,
    pub(crate) home: usize,
    pub(crate) home_isp: Isp,
    pub(crate) home_third: u8,
    pub(crate) home_host: u8,
    pub(crate) home_geo: Option<GeoPoint>,
    pub(crate) office_third: u8,
    pub(crate) office_geo: Option<GeoPoint>,
    pub(crate) laptop: Device,
    /// The day a new laptop replaces the old one, and the new laptop.
    pub(crate) new_laptop: Option<(i64, Device)>,
    pub(crate) phone: Device,
    pub(crate) authenticator: MfaDevice,
    pub(crate) push: bool,
    pub(crate) egress: Option<&'static EgressPoint>,
    /// The attack stories planned against this person (indices into the attack list).
    pub(crate) victim_of: Vec<usize>,
}

impl Person {
    pub(crate) fn persona(&self) -> Persona {
        Persona {
            identity: self.identity.key.clone(),
            display_name: self.identity.display_name.clone().unwrap_or_default(),
            archetype: self.archetype,
            home_city: CITIES[self.home].name.to_owned(),
            home_country: CITIES[self.home].country.to_owned(),
            push_mfa: self.push,
        }
    }

    pub(crate) fn city(&self) -> &'static super::places::City {
        &CITIES[self.home]
    }

    /// The laptop in use on period day `day`.
    pub(crate) fn laptop_on(&self, day: i64) -> &Device {
        match &self.new_laptop {
            Some((d, dev)) if day >= *d => dev,
            _ => &self.laptop,
        }
    }

    /// Home broadband.
    pub(crate) fn home_origin(&self, device: &Device, session: String) -> Origin {
        let ip = v4(self.home_isp.v4, self.home_third, self.home_host);
        network_origin(
            self.city(),
            &self.home_isp,
            ip,
            self.home_geo,
            device,
            session,
        )
    }

    /// The office network (shared by everyone in the city's office; a small NAT pool).
    pub(crate) fn office_origin(&self, rng: &mut Rng, device: &Device, session: String) -> Origin {
        let isp = self.city().broadband[0];
        let ip = v4(isp.v4, self.office_third, 10 + rng.range(0, 6) as u8);
        let mut o = network_origin(self.city(), &isp, ip, self.office_geo, device, session);
        o.geo = self.office_geo;
        o
    }

    /// The mobile carrier: a fresh address per connection, IPv6 half the time, coarse geo.
    /// Half the carrier's addresses (by address, as a database's entries go) geolocate to its
    /// gateway city ([`carrier_gateway`](super::places::carrier_gateway)), the rest to the
    /// subscriber's own city.
    pub(crate) fn carrier_origin(&self, rng: &mut Rng, device: &Device, session: String) -> Origin {
        let isp = self.city().carrier;
        let ip = carrier_ip(rng, &isp);
        let at_gateway = match ip {
            IpAddr::V4(a) => a.octets()[2] % 2 == 0,
            IpAddr::V6(a) => a.segments()[2] % 2 == 0,
        };
        let c = if at_gateway {
            &CITIES[super::places::carrier_gateway(self.home)]
        } else {
            self.city()
        };
        let geo = GeoPoint::new(c.lat, c.lon, Some(isp.accuracy_km));
        network_origin(c, &isp, ip, geo, device, session)
    }

    /// The corporate egress, for VPN users.
    pub(crate) fn egress_origin(&self, device: &Device, session: String) -> Option<Origin> {
        let e = self.egress?;
        let c = &CITIES[city(e.city)];
        let geo = GeoPoint::new(c.lat, c.lon, Some(e.isp.accuracy_km));
        Some(network_origin(
            c,
            &e.isp,
            egress_ip(e),
            geo,
            device,
            session,
        ))
    }
}

/// A fresh carrier address.
pub(crate) fn carrier_ip(rng: &mut Rng, isp: &Isp) -> IpAddr {
    match isp.v6 {
        Some((a, b)) if rng.chance(0.5) => IpAddr::V6(Ipv6Addr::new(
            a,
            b,
            rng.range(0, 0x1_0000) as u16,
            rng.range(0, 0x1_0000) as u16,
            rng.range(0, 0x1_0000) as u16,
            rng.range(0, 0x1_0000) as u16,
            rng.range(0, 0x1_0000) as u16,
            rng.range(1, 0x1_0000) as u16,
        )),
        _ => v4(isp.v4, rng.range(0, 256) as u8, rng.range(1, 255) as u8),
    }
}

/// The fixed address an egress point's traffic leaves from.
pub(crate) fn egress_ip(e: &EgressPoint) -> IpAddr {
    v4(e.isp.v4, e.third_octet, 17)
}

pub(crate) fn v4(ab: (u8, u8), c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(ab.0, ab.1, c, d))
}

/// An origin on a network in a city.
pub(crate) fn network_origin(
    c: &super::places::City,
    isp: &Isp,
    ip: IpAddr,
    geo: Option<GeoPoint>,
    device: &Device,
    session: String,
) -> Origin {
    Origin {
        ip: Some(ip),
        geo,
        country: Some(c.country.to_owned()),
        region: Some(c.region.to_owned()),
        city: Some(c.name.to_owned()),
        asn: Some(isp.asn),
        as_org: Some(isp.org.to_owned()),
        user_agent: Some(device.ua.to_owned()),
        client: None,
        device_id: Some(device.id.clone()),
        session_id: Some(session),
    }
}

/// A point near a city centre (suburbs), with an accuracy radius.
pub(crate) fn near(
    rng: &mut Rng,
    c: &super::places::City,
    spread: f64,
    acc: f32,
) -> Option<GeoPoint> {
    let lat = c.lat + (rng.f64() - 0.5) * spread;
    let lon = c.lon + (rng.f64() - 0.5) * spread;
    GeoPoint::new(
        (lat * 1e4).round() / 1e4,
        (lon * 1e4).round() / 1e4,
        Some(acc),
    )
}

/// Whether a story needs a victim who answers push prompts.
fn needs_push(kind: AttackKind) -> bool {
    matches!(
        kind,
        AttackKind::ReferenceCase
            | AttackKind::PushBombing
            | AttackKind::PushBurstNoApproval
            | AttackKind::IgnoredPromptsThenApproval
            | AttackKind::FraudReport
            | AttackKind::ReturnAfterRefusedMfa
    )
}

/// Creates everyone, chooses the victims of `attacks` (and moves them home to where their story
/// needs them), then derives their networks and devices.
pub(crate) fn populate(cfg: &PopulationConfig, root: &Rng, attacks: &[AttackKind]) -> Vec<Person> {
    let n = cfg.users.max(1);
    let mut rng = root.fork("population", 0);

    // Archetypes: a shuffled deck with each share's count, the rest office workers.
    let shares = [
        (Archetype::Traveller, cfg.traveller_share),
        (Archetype::VpnUser, cfg.vpn_share),
        (Archetype::MobileUser, cfg.mobile_share),
        (Archetype::LaptopRefresh, cfg.laptop_refresh_share),
        (Archetype::MissedPush, cfg.missed_push_share),
        (Archetype::InboxRules, cfg.inbox_rules_share),
    ];
    let mut deck = Vec::with_capacity(n);
    for (a, share) in shares {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut count = (share * n as f64).round() as usize;
        if share > 0.0 && n >= 20 {
            count = count.max(1);
        }
        for _ in 0..count {
            if deck.len() + 1 < n {
                deck.push(a);
            }
        }
    }
    deck.resize(n, Archetype::OfficeWorker);
    rng.shuffle(&mut deck);

    let homes: Vec<(usize, f64)> = HOMES.iter().map(|(c, w)| (city(c), *w)).collect();
    let mut taken = BTreeSet::new();
    let mut people: Vec<Person> = Vec::with_capacity(n);
    for (index, archetype) in deck.into_iter().enumerate() {
        let mut prng = root.fork("person", index as u64);
        let home = *prng.choose_weighted(&homes).unwrap_or(&0);
        let first = FIRST[prng.below(FIRST.len())];
        let last = LAST[prng.below(LAST.len())];
        let base = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let mut login = format!("{base}@{}", cfg.domain);
        let mut k = 2;
        while !taken.insert(login.clone()) {
            login = format!("{base}{k}@{}", cfg.domain);
            k += 1;
        }
        let identity = Identity::new(&login)
            .with_vendor_id(format!("00u{}", prng.token(BASE62, 17)))
            .with_display_name(format!("{first} {last}"));
        let push = match archetype {
            Archetype::MissedPush => true,
            _ => prng.chance(cfg.push_share),
        };
        people.push(Person {
            index,
            identity,
            archetype,
            home,
            home_isp: CITIES[home].broadband[0],
            home_third: 0,
            home_host: 0,
            home_geo: None,
            office_third: 0,
            office_geo: None,
            laptop: Device {
                id: String::new(),
                ua: DESKTOP_UAS[0],
            },
            new_laptop: None,
            phone: Device {
                id: String::new(),
                ua: MOBILE_UAS[0],
            },
            authenticator: MfaDevice::default(),
            push,
            egress: None,
            victim_of: Vec::new(),
        });
    }

    plan_victims(&mut people, attacks, &mut rng);

    let sydney = city("Sydney");
    for p in &mut people {
        let mut prng = root.fork("networks", p.index as u64);
        let c = &CITIES[p.home];
        p.home_isp = c.broadband[prng.below(c.broadband.len())];
        p.home_third = prng.range(0, 256) as u8;
        p.home_host = prng.range(2, 255) as u8;
        p.home_geo = near(&mut prng, c, 0.25, p.home_isp.accuracy_km);
        // One office per city: everyone there shares its /24 and location.
        let mut orng = root.fork("office", p.home as u64);
        p.office_third = orng.range(0, 256) as u8;
        p.office_geo = near(&mut orng, c, 0.04, 10.0);
        p.laptop = Device::random(&mut prng, DESKTOP_UAS);
        p.phone = Device::random(&mut prng, MOBILE_UAS);
        p.authenticator = MfaDevice {
            id: Some(format!("opf{}", prng.token(BASE62, 17))),
            name: Some(PHONES[prng.below(PHONES.len())].to_owned()),
            ip: Some(carrier_ip(&mut prng, &c.carrier)),
            geo: None,
            country: Some(c.country.to_owned()),
        };
        if p.archetype == Archetype::LaptopRefresh {
            let days = i64::from(cfg.days.max(3));
            let day = prng.range_i64(days / 3, (2 * days / 3).max(days / 3 + 1));
            let mut dev = Device::random(&mut prng, NEW_LAPTOP_UAS);
            if dev.ua == p.laptop.ua {
                dev.ua = NEW_LAPTOP_UAS[(NEW_LAPTOP_UAS
                    .iter()
                    .position(|u| *u == dev.ua)
                    .unwrap_or(0)
                    + 1)
                    % NEW_LAPTOP_UAS.len()];
            }
            p.new_laptop = Some((day, dev));
        }
        if p.archetype == Archetype::VpnUser {
            // The egress far from home: Asia-Pacific people exit in the US, the rest in Singapore.
            let far = if c.lon > 60.0 || p.home == sydney {
                0
            } else {
                1
            };
            p.egress = EGRESS_POINTS.get(far);
        }
    }
    people
}

/// Chooses one victim per story: office workers first, never the same person twice while others
/// remain; moves the victim home to Australia (reference case) or Sydney (impossible travel).
fn plan_victims(people: &mut [Person], attacks: &[AttackKind], rng: &mut Rng) {
    let sydney = city("Sydney");
    for (n, kind) in attacks.iter().enumerate() {
        let free = |p: &Person| p.victim_of.is_empty();
        let office = |p: &Person| p.archetype == Archetype::OfficeWorker;
        let wants_home = |p: &Person| match kind {
            AttackKind::ReferenceCase => CITIES[p.home].country == "AU",
            AttackKind::ImpossibleTravel => p.home == sydney,
            _ => true,
        };
        let tiers: [&dyn Fn(&Person) -> bool; 4] = [
            &|p| free(p) && office(p) && wants_home(p),
            &|p| free(p) && office(p),
            &|p| free(p),
            &|_| true,
        ];
        let mut chosen = None;
        for tier in tiers {
            let candidates: Vec<usize> =
                people.iter().filter(|p| tier(p)).map(|p| p.index).collect();
            if let Some(&i) = rng.choose(&candidates) {
                chosen = Some(i);
                break;
            }
        }
        let Some(i) = chosen else { continue };
        let p = &mut people[i];
        p.victim_of.push(n);
        if needs_push(*kind) {
            p.push = true;
        }
        if !wants_home(p) {
            p.home = sydney;
        }
    }
}
