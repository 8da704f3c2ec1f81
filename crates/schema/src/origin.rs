//! Where a request came from, as the vendor supplied it, and the MFA device that answered a prompt.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A point on the Earth with how far off it may be.
///
/// Construct it with [`GeoPoint::new`], which refuses out-of-range or non-finite coordinates, so
/// every `GeoPoint` in an event is usable for distance arithmetic.
///
/// ```
/// use palisade_schema::GeoPoint;
/// let sydney = GeoPoint::new(-33.87, 151.21, Some(10.0)).unwrap();
/// assert_eq!(sydney.accuracy_km, Some(10.0));
/// assert!(GeoPoint::new(91.0, 0.0, None).is_none());
/// assert!(GeoPoint::new(f64::NAN, 0.0, None).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
    /// Accuracy radius in kilometres, when known (vendor-supplied, or a default per resolution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_km: Option<f32>,
}

impl GeoPoint {
    /// A checked point; `None` when a coordinate is out of range or not finite, or the accuracy
    /// radius is negative or not finite.
    pub fn new(lat: f64, lon: f64, accuracy_km: Option<f32>) -> Option<Self> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && accuracy_km.is_none_or(|a| a.is_finite() && a >= 0.0);
        ok.then_some(GeoPoint {
            lat,
            lon,
            accuracy_km,
        })
    }
}

/// The requesting client, as vendors supply it. Every field is optional: sources differ widely.
///
/// ```
/// use palisade_schema::{Origin, GeoPoint};
/// let origin = Origin {
///     ip: Some("81.2.69.142".parse().unwrap()),
///     country: Some("GB".into()),
///     city: Some("London".into()),
///     geo: GeoPoint::new(51.5142, -0.0931, Some(10.0)),
///     asn: Some(20712),
///     ..Origin::default()
/// };
/// assert!(origin.has_location());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// Client IP address (IPv4-mapped IPv6 is unmapped by adapters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Coordinates with an accuracy radius.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoPoint>,
    /// Country as the vendor gives it: an ISO 3166 alpha-2 code where known, else the vendor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region or state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Autonomous system number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// Autonomous system organisation or ISP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
    /// The client's user agent string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The client's browser and operating system as the vendor names them, from sources that
    /// report them apart from a user agent, or instead of one (Entra `deviceDetail`, Duo
    /// `access_device`). Boxed, so that events without them stay small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Box<ClientSoftware>>,
    /// The client device's id (Entra `deviceDetail.deviceId`, Okta `device.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The client's session id (Okta `externalSessionId`, Entra `sessionId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl Origin {
    /// Whether the origin says anything about where it is (coordinates, country or city).
    pub fn has_location(&self) -> bool {
        self.point().is_some() || self.country.is_some() || self.city.is_some()
    }

    /// The coordinates, unless they are exactly (0, 0): "null island", in the Gulf of Guinea,
    /// is what vendors and pipelines write for an unknown location (a zeroed field), not where
    /// anyone signs in from. Everything that locates an origin reads its coordinates here.
    ///
    /// ```
    /// use palisade_schema::{GeoPoint, Origin};
    /// let mut o = Origin { geo: GeoPoint::new(-33.87, 151.21, None), ..Origin::default() };
    /// assert!(o.point().is_some());
    /// o.geo = GeoPoint::new(0.0, 0.0, None);
    /// assert!(o.point().is_none() && !o.has_location());
    /// ```
    pub fn point(&self) -> Option<GeoPoint> {
        self.geo.filter(|g| g.lat != 0.0 || g.lon != 0.0)
    }
}

/// A client's browser and operating system, in the vendor's own words, versions included when
/// the vendor includes them (Entra: `"Chrome 120.0.0"`, `"Windows10"`; Duo: `"Chrome"`,
/// `"Mac OS X"`).
///
/// ```
/// use palisade_schema::{ClientSoftware, Origin};
/// let client = ClientSoftware::new(Some("Edge 80.0.361"), Some("Windows 10"));
/// let origin = Origin { client, ..Origin::default() };
/// assert_eq!(origin.client.unwrap().os.as_deref(), Some("Windows 10"));
/// assert!(ClientSoftware::new(Some(" "), None).is_none());
/// assert!(ClientSoftware::new(Some("UNKNOWN"), Some("Unknown")).is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSoftware {
    /// The browser or client program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// The operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

impl ClientSoftware {
    /// The pair as an origin holds it, so adapters can pass what the record had: a name that
    /// is blank or says `Unknown` (Entra writes both) is left out, and `None` when neither
    /// name is left.
    pub fn new(browser: Option<&str>, os: Option<&str>) -> Option<Box<Self>> {
        let name = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("unknown"))
                .map(str::to_owned)
        };
        let (browser, os) = (name(browser), name(os));
        (browser.is_some() || os.is_some()).then(|| Box::new(ClientSoftware { browser, os }))
    }

    /// The pair as one text, `"<browser> on <os>"`, with `Unknown` for a missing name.
    ///
    /// ```
    /// use palisade_schema::ClientSoftware;
    /// let c = ClientSoftware::new(Some("Chrome 77.0.3865"), None).unwrap();
    /// assert_eq!(c.describe(), "Chrome 77.0.3865 on Unknown");
    /// ```
    pub fn describe(&self) -> String {
        let browser = self.browser.as_deref().unwrap_or("Unknown");
        let os = self.os.as_deref().unwrap_or("Unknown");
        format!("{browser} on {os}")
    }
}

/// The device that answered an MFA prompt (Duo's auth device, Okta Verify's device).
///
/// Kept apart from [`Origin`]: the phone that approved a push is not where the sign-in came from,
/// and mixing the two would hide exactly the distance that push bombing exploits.
///
/// ```
/// use palisade_schema::MfaDevice;
/// let phone = MfaDevice { name: Some("iPhone".into()), ..MfaDevice::default() };
/// assert!(phone.ip.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MfaDevice {
    /// Vendor id of the device or authenticator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name (a phone number, "iPhone 13", ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The IP the device answered from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Where the device answered from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoPoint>,
    /// Country the device answered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}
