//! Where generated people live and sign in from: real cities with real coordinates, and the
//! internet providers that serve them.
//!
//! Coordinates are the cities' published centres; ASNs and organisation names are the providers'
//! real ones. Address blocks are plausible blocks of those providers (good enough for generated
//! data; geolocation in generated events always comes with the event, never from a lookup).

/// An internet provider's presence in one city.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Isp {
    /// Autonomous system number.
    pub asn: u32,
    /// Autonomous system organisation.
    pub org: &'static str,
    /// First two octets of the IPv4 block used in this city.
    pub v4: (u8, u8),
    /// First two hextets of an IPv6 block, for providers that hand out IPv6.
    pub v6: Option<(u16, u16)>,
    /// Typical geolocation accuracy radius for this provider's addresses, in km.
    pub accuracy_km: f32,
}

/// A city people live in, travel to or attack from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct City {
    /// City name.
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 country code.
    pub country: &'static str,
    /// Region or state.
    pub region: &'static str,
    /// Latitude of the city centre.
    pub lat: f64,
    /// Longitude of the city centre.
    pub lon: f64,
    /// Offset of local standard time from UTC, in minutes (daylight saving is ignored).
    pub utc_offset_min: i32,
    /// Residential broadband providers.
    pub broadband: &'static [Isp],
    /// The mobile carrier.
    pub carrier: Isp,
}

const fn isp(asn: u32, org: &'static str, a: u8, b: u8, accuracy_km: f32) -> Isp {
    Isp {
        asn,
        org,
        v4: (a, b),
        v6: None,
        accuracy_km,
    }
}

const fn carrier(asn: u32, org: &'static str, a: u8, b: u8, v6: (u16, u16)) -> Isp {
    Isp {
        asn,
        org,
        v4: (a, b),
        v6: Some(v6),
        accuracy_km: 200.0,
    }
}

/// Every city the generators know, residential and attacker locations alike.
pub static CITIES: &[City] = &[
    City {
        name: "Sydney",
        country: "AU",
        region: "New South Wales",
        lat: -33.8688,
        lon: 151.2093,
        utc_offset_min: 600,
        broadband: &[
            isp(7545, "TPG Telecom Limited", 110, 174, 20.0),
            isp(1221, "Telstra Corporation Ltd", 1, 129, 20.0),
        ],
        carrier: carrier(4804, "Optus Internet Pty Ltd", 49, 180, (0x2001, 0x8003)),
    },
    City {
        name: "Melbourne",
        country: "AU",
        region: "Victoria",
        lat: -37.8136,
        lon: 144.9631,
        utc_offset_min: 600,
        broadband: &[
            isp(7545, "TPG Telecom Limited", 110, 175, 20.0),
            isp(1221, "Telstra Corporation Ltd", 1, 130, 20.0),
        ],
        carrier: carrier(4804, "Optus Internet Pty Ltd", 49, 181, (0x2001, 0x8003)),
    },
    City {
        name: "Brisbane",
        country: "AU",
        region: "Queensland",
        lat: -27.4698,
        lon: 153.0251,
        utc_offset_min: 600,
        broadband: &[isp(1221, "Telstra Corporation Ltd", 1, 131, 20.0)],
        carrier: carrier(4804, "Optus Internet Pty Ltd", 49, 182, (0x2001, 0x8003)),
    },
    City {
        name: "Perth",
        country: "AU",
        region: "Western Australia",
        lat: -31.9523,
        lon: 115.8613,
        utc_offset_min: 480,
        broadband: &[isp(7545, "TPG Telecom Limited", 110, 176, 20.0)],
        carrier: carrier(1221, "Telstra Corporation Ltd", 1, 144, (0x2001, 0x8004)),
    },
    City {
        name: "Auckland",
        country: "NZ",
        region: "Auckland",
        lat: -36.8485,
        lon: 174.7633,
        utc_offset_min: 720,
        broadband: &[isp(4771, "Spark New Zealand Trading Ltd", 122, 56, 20.0)],
        carrier: carrier(
            9500,
            "One New Zealand Group Limited",
            27,
            252,
            (0x2406, 0xe000),
        ),
    },
    City {
        name: "Singapore",
        country: "SG",
        region: "Singapore",
        lat: 1.3521,
        lon: 103.8198,
        utc_offset_min: 480,
        broadband: &[
            isp(3758, "SingNet Pte Ltd", 116, 86, 10.0),
            isp(4657, "StarHub Ltd", 203, 116, 10.0),
        ],
        carrier: carrier(4773, "M1 Limited", 118, 189, (0x2406, 0x3003)),
    },
    City {
        name: "Tokyo",
        country: "JP",
        region: "Tokyo",
        lat: 35.6762,
        lon: 139.6503,
        utc_offset_min: 540,
        broadband: &[
            isp(4713, "NTT Communications Corporation", 153, 156, 20.0),
            isp(2516, "KDDI CORPORATION", 106, 72, 20.0),
        ],
        carrier: carrier(2516, "KDDI CORPORATION", 106, 128, (0x2001, 0x0268)),
    },
    City {
        name: "Mumbai",
        country: "IN",
        region: "Maharashtra",
        lat: 19.0760,
        lon: 72.8777,
        utc_offset_min: 330,
        broadband: &[isp(24560, "Bharti Airtel Ltd.", 122, 170, 50.0)],
        carrier: carrier(
            55836,
            "Reliance Jio Infocomm Limited",
            49,
            36,
            (0x2409, 0x4040),
        ),
    },
    City {
        name: "London",
        country: "GB",
        region: "England",
        lat: 51.5074,
        lon: -0.1278,
        utc_offset_min: 0,
        broadband: &[
            isp(2856, "British Telecommunications PLC", 86, 140, 20.0),
            isp(5089, "Virgin Media Limited", 82, 14, 20.0),
        ],
        carrier: carrier(12576, "EE Limited", 31, 94, (0x2a01, 0x4c8)),
    },
    City {
        name: "Paris",
        country: "FR",
        region: "Ile-de-France",
        lat: 48.8566,
        lon: 2.3522,
        utc_offset_min: 60,
        broadband: &[
            isp(3215, "Orange S.A.", 90, 3, 20.0),
            isp(12322, "Free SAS", 78, 194, 20.0),
        ],
        carrier: carrier(51207, "Free Mobile SAS", 37, 165, (0x2a04, 0xcec0)),
    },
    City {
        name: "Frankfurt",
        country: "DE",
        region: "Hesse",
        lat: 50.1109,
        lon: 8.6821,
        utc_offset_min: 60,
        broadband: &[
            isp(3320, "Deutsche Telekom AG", 79, 214, 20.0),
            isp(3209, "Vodafone GmbH", 88, 70, 20.0),
        ],
        carrier: carrier(3320, "Deutsche Telekom AG", 80, 187, (0x2a01, 0x598)),
    },
    City {
        name: "Berlin",
        country: "DE",
        region: "Berlin",
        lat: 52.5200,
        lon: 13.4050,
        utc_offset_min: 60,
        broadband: &[isp(3320, "Deutsche Telekom AG", 79, 220, 20.0)],
        carrier: carrier(
            6805,
            "Telefonica Germany GmbH & Co.OHG",
            176,
            0,
            (0x2a02, 0x3030),
        ),
    },
    City {
        name: "Amsterdam",
        country: "NL",
        region: "North Holland",
        lat: 52.3676,
        lon: 4.9041,
        utc_offset_min: 60,
        broadband: &[isp(1136, "KPN B.V.", 77, 167, 20.0)],
        carrier: carrier(33915, "Vodafone Libertel B.V.", 62, 140, (0x2a02, 0xa440)),
    },
    City {
        name: "New York",
        country: "US",
        region: "New York",
        lat: 40.7128,
        lon: -74.0060,
        utc_offset_min: -300,
        broadband: &[
            isp(7922, "Comcast Cable Communications, LLC", 73, 215, 20.0),
            isp(701, "Verizon Business", 108, 46, 20.0),
        ],
        carrier: carrier(21928, "T-Mobile USA, Inc.", 172, 56, (0x2607, 0xfb90)),
    },
    City {
        name: "Chicago",
        country: "US",
        region: "Illinois",
        lat: 41.8781,
        lon: -87.6298,
        utc_offset_min: -360,
        broadband: &[isp(7922, "Comcast Cable Communications, LLC", 73, 44, 20.0)],
        carrier: carrier(21928, "T-Mobile USA, Inc.", 172, 58, (0x2607, 0xfb90)),
    },
    City {
        name: "San Francisco",
        country: "US",
        region: "California",
        lat: 37.7749,
        lon: -122.4194,
        utc_offset_min: -480,
        broadband: &[
            isp(7922, "Comcast Cable Communications, LLC", 73, 92, 20.0),
            isp(7018, "AT&T Services, Inc.", 107, 197, 20.0),
        ],
        carrier: carrier(7018, "AT&T Services, Inc.", 166, 205, (0x2600, 0x0387)),
    },
    City {
        name: "Toronto",
        country: "CA",
        region: "Ontario",
        lat: 43.6532,
        lon: -79.3832,
        utc_offset_min: -300,
        broadband: &[isp(812, "Rogers Communications Canada Inc.", 99, 231, 20.0)],
        carrier: carrier(577, "Bell Canada", 142, 114, (0x2001, 0x56a)),
    },
    City {
        name: "Sao Paulo",
        country: "BR",
        region: "Sao Paulo",
        lat: -23.5505,
        lon: -46.6333,
        utc_offset_min: -180,
        broadband: &[isp(27699, "TELEFONICA BRASIL S.A", 177, 139, 50.0)],
        carrier: carrier(26599, "TELEFONICA BRASIL S.A", 191, 193, (0x2804, 0x0018)),
    },
    City {
        name: "Lagos",
        country: "NG",
        region: "Lagos",
        lat: 6.5244,
        lon: 3.3792,
        utc_offset_min: 60,
        broadband: &[isp(36873, "Airtel Networks Limited", 105, 112, 100.0)],
        carrier: carrier(
            29465,
            "MTN NIGERIA Communication limited",
            102,
            89,
            (0x2c0f, 0xf400),
        ),
    },
    City {
        name: "Nuremberg",
        country: "DE",
        region: "Bavaria",
        lat: 49.4521,
        lon: 11.0767,
        utc_offset_min: 60,
        broadband: &[isp(3320, "Deutsche Telekom AG", 79, 246, 20.0)],
        carrier: carrier(3320, "Deutsche Telekom AG", 80, 188, (0x2a01, 0x599)),
    },
    City {
        name: "Ashburn",
        country: "US",
        region: "Virginia",
        lat: 39.0438,
        lon: -77.4874,
        utc_offset_min: -300,
        broadband: &[isp(701, "Verizon Business", 108, 48, 20.0)],
        carrier: carrier(21928, "T-Mobile USA, Inc.", 172, 59, (0x2607, 0xfb90)),
    },
    City {
        name: "San Jose",
        country: "US",
        region: "California",
        lat: 37.3382,
        lon: -121.8863,
        utc_offset_min: -480,
        broadband: &[isp(7922, "Comcast Cable Communications, LLC", 73, 93, 20.0)],
        carrier: carrier(7018, "AT&T Services, Inc.", 166, 206, (0x2600, 0x0387)),
    },
];

/// The index in [`CITIES`] of the city with this name.
///
/// ```
/// use palisade_testkit::population::places::{city, CITIES};
/// assert_eq!(CITIES[city("Sydney")].country, "AU");
/// ```
///
/// # Panics
/// When no city has that name (a programming error in the generators).
pub fn city(name: &str) -> usize {
    CITIES
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no city named {name:?} in the testkit's table"))
}

/// The city a carrier's addresses in the city at `home` geolocate to when they locate to its
/// gateway rather than to the subscriber: the first city of the table in the same country that
/// the same carrier serves (for a city that is that first one, itself). Geolocation databases
/// commonly place mobile addresses at a carrier's points of presence, hundreds of kilometres
/// from the phone.
///
/// ```
/// use palisade_testkit::population::places::{carrier_gateway, city};
/// assert_eq!(carrier_gateway(city("Melbourne")), city("Sydney"));
/// assert_eq!(carrier_gateway(city("Sydney")), city("Sydney"));
/// ```
pub fn carrier_gateway(home: usize) -> usize {
    let Some(c) = CITIES.get(home) else {
        return home;
    };
    CITIES
        .iter()
        .position(|g| g.country == c.country && g.carrier.asn == c.carrier.asn)
        .unwrap_or(home)
}

/// Where the generated tenant's people live, with weights: mostly Australia (the reference
/// case's tenant), with offices abroad.
pub static HOMES: &[(&str, f64)] = &[
    ("Sydney", 0.34),
    ("Melbourne", 0.20),
    ("Brisbane", 0.08),
    ("Perth", 0.05),
    ("Auckland", 0.04),
    ("Singapore", 0.07),
    ("London", 0.08),
    ("Frankfurt", 0.04),
    ("New York", 0.06),
    ("San Francisco", 0.04),
];

/// Where business travellers go.
pub static DESTINATIONS: &[&str] = &[
    "Singapore",
    "Tokyo",
    "London",
    "Paris",
    "Frankfurt",
    "New York",
    "San Francisco",
    "Toronto",
    "Auckland",
    "Mumbai",
    "Sydney",
    "Melbourne",
];

/// A hosting or attacker-side network: where stolen credentials get used from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttackerNetwork {
    /// City (index into [`CITIES`] by name).
    pub city: &'static str,
    /// The network.
    pub isp: Isp,
}

/// Networks attackers sign in from: hosting providers and residential proxies.
pub static ATTACKER_NETWORKS: &[AttackerNetwork] = &[
    AttackerNetwork {
        city: "New York",
        isp: isp(14061, "DIGITALOCEAN-ASN", 159, 203, 50.0),
    },
    AttackerNetwork {
        city: "Chicago",
        isp: isp(20473, "AS-CHOOPA", 45, 63, 50.0),
    },
    AttackerNetwork {
        city: "Chicago",
        isp: isp(7922, "Comcast Cable Communications, LLC", 73, 45, 20.0),
    },
    AttackerNetwork {
        city: "Ashburn",
        isp: isp(16509, "AMAZON-02", 3, 91, 100.0),
    },
    AttackerNetwork {
        city: "Frankfurt",
        isp: isp(9009, "M247 Europe SRL", 185, 220, 50.0),
    },
    AttackerNetwork {
        city: "Nuremberg",
        isp: isp(24940, "Hetzner Online GmbH", 88, 99, 50.0),
    },
    AttackerNetwork {
        city: "Frankfurt",
        isp: isp(3320, "Deutsche Telekom AG", 79, 215, 20.0),
    },
    AttackerNetwork {
        city: "Amsterdam",
        isp: isp(60781, "LeaseWeb Netherlands B.V.", 185, 107, 50.0),
    },
    AttackerNetwork {
        city: "Lagos",
        isp: isp(29465, "MTN NIGERIA Communication limited", 102, 90, 100.0),
    },
    AttackerNetwork {
        city: "Sao Paulo",
        isp: isp(27699, "TELEFONICA BRASIL S.A", 177, 140, 50.0),
    },
];

/// A corporate VPN / secure web gateway egress: traffic leaves the company from here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EgressPoint {
    /// The egress provider's name.
    pub name: &'static str,
    /// City it geolocates to.
    pub city: &'static str,
    /// The network.
    pub isp: Isp,
    /// Third octet of the egress /24 (inside `isp.v4`).
    pub third_octet: u8,
}

/// The corporate egress points VPN users exit through.
pub static EGRESS_POINTS: &[EgressPoint] = &[
    EgressPoint {
        name: "zscaler-sjc",
        city: "San Jose",
        isp: isp(53813, "ZSCALER-INC", 165, 225, 50.0),
        third_octet: 242,
    },
    EgressPoint {
        name: "zscaler-sin",
        city: "Singapore",
        isp: isp(53813, "ZSCALER-INC", 165, 225, 50.0),
        third_octet: 112,
    },
];

/// Great-circle distance in km (haversine, mean Earth radius 6371 km).
///
/// ```
/// use palisade_testkit::population::places::{distance_km, city, CITIES};
/// let d = distance_km(&CITIES[city("Sydney")], &CITIES[city("Singapore")]);
/// assert!((6_200.0..6_400.0).contains(&d), "{d}");
/// ```
pub fn distance_km(a: &City, b: &City) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

/// Door-to-door hours for a trip by plane between two cities: flight time at 800 km/h cruise
/// (great-circle) plus 3.5 h of airports and taxis, plus 2 h for a connection past 9,000 km.
///
/// ```
/// use palisade_testkit::population::places::{door_to_door_hours, city, CITIES};
/// assert!(door_to_door_hours(&CITIES[city("Sydney")], &CITIES[city("Singapore")]) >= 8.0);
/// ```
pub fn door_to_door_hours(a: &City, b: &City) -> f64 {
    let d = distance_km(a, b);
    let connection = if d > 9_000.0 { 2.0 } else { 0.0 };
    d / 800.0 + 3.5 + connection
}
