//! The impossible travel detector's settings, with documented defaults.

use std::path::PathBuf;

use palisade_geo::AccuracyDefaults;
use serde::{Deserialize, Serialize};

/// Settings of [`ImpossibleTravel`](crate::ImpossibleTravel). Every field has a default
/// ([`TravelConfig::default`]), so a configuration file names only what it changes.
///
/// ```
/// use palisade_travel::TravelConfig;
/// let cfg: TravelConfig = serde_json::from_str(r#"{"speed_kmh": 900, "egress_lists": ["corp.txt"]}"#).unwrap();
/// assert_eq!(cfg.speed_kmh, 900.0);
/// assert_eq!(cfg.min_distance_km, 300.0);
/// assert!(cfg.validate().is_ok());
/// let negative: TravelConfig = serde_json::from_str(r#"{"accuracy": {"city_km": -1}}"#).unwrap();
/// assert!(negative.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TravelConfig {
    /// Speed above which a move is impossible, in km/h, computed from the great-circle distance
    /// minus both locations' accuracy radii. Default **800** (Okta's velocity default is 805,
    /// Elastic's 800, Panther's 900): a door-to-door trip by plane, airport time included, stays
    /// well below it.
    pub speed_kmh: f64,
    /// Moves shorter than this, in km after subtracting both accuracy radii, are never flagged.
    /// Default **300** (Elastic requires 500 km of raw distance; 300 km after the radii keeps
    /// neighbouring cities and a carrier's regional gateways quiet while catching any flight).
    pub min_distance_km: f64,
    /// The shortest elapsed time a speed is computed over, in seconds, so two sign-ins in the
    /// same second give a large finite speed rather than a division by zero, and vendors' clock
    /// skew cannot inflate it without bound. Default **60**.
    pub min_elapsed_secs: u32,
    /// How many *other* identities must make the same impossible move (between the same two
    /// places) as a habit — each on more than one day, at least `pair_settle_hours` apart —
    /// before it counts as a shared egress and is reported low. Default **3**. Moves made once
    /// do not count, so one attacker moving many accounts between the same places never lowers
    /// their own campaign.
    pub shared_pair_identities: u32,
    /// A pair of places an identity moved between counts as familiar only once this many hours
    /// have passed since its first such move, so an attacker's own back-and-forth in one
    /// session never lowers itself. Default **24**.
    pub pair_settle_hours: u32,
    /// How many place pairs each identity remembers having moved between. Default **4**.
    pub identity_pairs: usize,
    /// How many place pairs the tenant-wide memory holds. Default **4,096**. The memory spans
    /// every identity the detector sees: a feed that mixes organisations runs one detector per
    /// organisation, so one customer's shared VPN never lowers another's moves.
    pub tenant_pairs: usize,
    /// How long a remembered pair counts, in days. Default **30**.
    pub pair_memory_days: u32,
    /// For this many hours after a high finding that says intruder rather than traveller (an
    /// interactive sign-in from a hosting network), the
    /// network (ASN) its new end came from is not usual for that identity, and a move to or
    /// from it is no habit, however often it recurs: the profile learns every sign-in it is
    /// shown, so an intruder who keeps coming back would otherwise make their own network
    /// usual within a day. Default **168** (a week); 0 turns it off.
    pub alert_memory_hours: u32,
    /// Whether an *interactive* sign-in from a hosting/cloud network lowers the move to low.
    /// Default **false**: hosting networks lower background (non-interactive) sign-ins, which
    /// cloud services make on users' behalf, but a person signing in interactively from a rented
    /// server is what stolen credentials look like.
    pub hosting_lowers_interactive: bool,
    /// A network counts as usual for an identity when its profile's decayed weight for the ASN
    /// is at least this (see `palisade_core::ProfileView`). When both ends of a move are usual
    /// networks the move is reported low. Default **3**.
    pub familiar_network_weight: f64,
    /// Addresses the learned IP-location cache holds (about 2 MiB at the default). It locates
    /// records that carry only an address (the Microsoft 365 audit log) from sign-ins that
    /// carried coordinates for it; an address in use is heard of at least once a day. Raise it
    /// when the tenant uses more addresses in a week than this, or the least recently seen are
    /// evicted and records from them go unlocated. Default **16,384**.
    pub learned_ips: usize,
    /// Days a learned address location stays usable after it was last seen. Default **7**.
    pub learned_ip_days: u32,
    /// The accuracy radius, in km, an address on a `mobile` egress list counts with at least:
    /// a carrier's addresses geolocate to its gateways, often hundreds of kilometres from the
    /// subscriber, so only the country is taken as known. Default **1,000** (the country-level
    /// default of `accuracy`). A mobile end is not lowered: a move it makes is still judged,
    /// from the wider circle, and a phone abroad is still far away (unless it is a roaming
    /// phone's: see `ImpossibleTravel`).
    pub mobile_radius_km: f64,
    /// Default accuracy radii per resolution level (city 50 km, region 200 km, country
    /// 1,000 km) for locations whose source gives none.
    pub accuracy: AccuracyDefaults,
    /// Whether the built-in egress lists are loaded. Default **true**.
    pub builtin_egress: bool,
    /// Egress list files to load (format: `palisade_geo::egress`). Default none.
    pub egress_lists: Vec<PathBuf>,
    /// `.mmdb` geolocation databases (GeoLite2 City/ASN, DB-IP Lite), consulted in order for
    /// events that carry only an IP address. Default none. (In a pipeline with a
    /// `palisade_geo::GeoEnricher` over the same files, events arrive located and this list
    /// can stay empty.)
    pub mmdb: Vec<PathBuf>,
}

impl Default for TravelConfig {
    fn default() -> Self {
        TravelConfig {
            speed_kmh: 800.0,
            min_distance_km: 300.0,
            min_elapsed_secs: 60,
            shared_pair_identities: 3,
            pair_settle_hours: 24,
            identity_pairs: 4,
            tenant_pairs: 4_096,
            pair_memory_days: 30,
            alert_memory_hours: 168,
            hosting_lowers_interactive: false,
            familiar_network_weight: 3.0,
            mobile_radius_km: 1_000.0,
            learned_ips: 16_384,
            learned_ip_days: 7,
            accuracy: AccuracyDefaults::default(),
            builtin_egress: true,
            egress_lists: Vec::new(),
            mmdb: Vec::new(),
        }
    }
}

impl TravelConfig {
    /// Checks that numbers are finite and in range.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.speed_kmh.is_finite() && self.speed_kmh > 0.0) {
            return Err(format!(
                "speed_kmh must be positive, not {}",
                self.speed_kmh
            ));
        }
        if !(self.min_distance_km.is_finite() && self.min_distance_km >= 0.0) {
            return Err(format!(
                "min_distance_km must be >= 0, not {}",
                self.min_distance_km
            ));
        }
        if !(self.familiar_network_weight.is_finite() && self.familiar_network_weight >= 0.0) {
            return Err(format!(
                "familiar_network_weight must be >= 0, not {}",
                self.familiar_network_weight
            ));
        }
        if !(self.mobile_radius_km.is_finite() && self.mobile_radius_km >= 0.0) {
            return Err(format!(
                "mobile_radius_km must be >= 0, not {}",
                self.mobile_radius_km
            ));
        }
        for (name, km) in [
            ("accuracy.city_km", self.accuracy.city_km),
            ("accuracy.region_km", self.accuracy.region_km),
            ("accuracy.country_km", self.accuracy.country_km),
        ] {
            if !(km.is_finite() && km >= 0.0) {
                return Err(format!("{name} must be >= 0, not {km}"));
            }
        }
        if self.min_elapsed_secs == 0 {
            return Err("min_elapsed_secs must be at least 1".into());
        }
        if self.identity_pairs > 64 {
            return Err(format!(
                "identity_pairs must be at most 64, not {}",
                self.identity_pairs
            ));
        }
        Ok(())
    }
}
