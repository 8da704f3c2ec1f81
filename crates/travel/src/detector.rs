//! The impossible travel detector: consecutive successful sign-ins of one identity from places
//! no one could travel between in the time that passed.

use std::net::IpAddr;
use std::sync::Arc;

use palisade_core::{
    stable_hash, Context, Detector, Dimension, Error, Evidence, Finding, FindingStatus,
    ProfileView, Severity, Technique,
};
use palisade_geo::{
    EgressKind, EgressRegistry, GeoError, GeoResolver, Geolocator, LearnedLocations, Spot,
    MAX_DISTANCE_KM,
};
use palisade_schema::{Activity, Duration, Event, IdentityKey, SignInKind, Timestamp};

use crate::identities::{Anchor, Identities, Record, SameAddress};
use crate::movement::{push_plain_elapsed, push_plain_number, Movement};
use crate::state::{Expiry, IdentityState, LastSignIn, Snapshot, TenantPairs, SNAPSHOT_VERSION};
use crate::TravelConfig;

/// The in-memory key of an identity's state: its fingerprint from a fixed seed (the key is
/// never persisted, so the seed only has to stay put within one run).
fn identity_print(key: &str) -> u128 {
    palisade_core::fingerprint([0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344], key)
}

/// The detector's stable name.
pub const NAME: &str = "impossible_travel";

/// Why the detector could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TravelError {
    /// A setting is out of range.
    #[error("invalid impossible_travel configuration: {0}")]
    Config(String),
    /// A database or list file could not be opened.
    #[error(transparent)]
    Geo(#[from] GeoError),
}

impl From<TravelError> for Error {
    fn from(e: TravelError) -> Error {
        Error::Config(e.to_string())
    }
}

/// Impossible travel (MITRE ATT&CK T1078.004, valid cloud accounts): between consecutive
/// successful sign-ins (and session starts) of one identity, the great-circle distance minus
/// both locations' accuracy radii, over the elapsed time, above
/// [`TravelConfig::speed_kmh`] (default 800 km/h).
///
/// What it does *not* flag, and why:
/// - the same IP address twice (whatever the vendor's geolocation says, in whatever order the
///   two arrive);
/// - moves under [`TravelConfig::min_distance_km`] after the radii (default 300 km);
/// - IPv4/IPv6 flips and mobile-carrier hops within one device session in one country: the
///   same session id or device id at both ends with either the address family changing or the
///   same network (ASN). Into another country the same session is a replay, judged (and high).
///   Where the source names neither session nor device at either end (Google Workspace's login
///   audit), an address family flip on the same network in the same country stands for one;
/// - service-principal sign-ins (no person travels);
/// - a move with an end on a `mobile` egress list, within that country (a carrier's address
///   locates its gateway, not the phone), or across a border but inside the end's wider circle
///   of [`TravelConfig::mobile_radius_km`] (default 1,000 km). Moves still impossible from that
///   circle are flagged as usual (a phone abroad is still abroad), the summary naming the list.
///
/// What it reports at `low` rather than `medium`/`high`, naming the reason in the summary:
/// - either end on a configured egress list (VPN/SASE, corporate, private relay, satellite;
///   hosting/cloud for non-interactive sign-ins) — the finding names the list;
/// - a pair of places this identity already moved between, on the same networks, at least
///   [`TravelConfig::pair_settle_hours`] earlier (default a day), or that at least
///   [`TravelConfig::shared_pair_identities`] other identities of the tenant move between on
///   the same networks as a habit, each on more than one day (a shared VPN egress; one
///   attacker moving many accounts once each does not count, nor does an intruder on another
///   network between the same cities);
/// - both ends' networks are usual for the identity (its profile's ASN weights);
/// - a move from a `mobile` list's address to a client the identity's profile knows (its
///   device, or its browser and OS when the source names no device) that is possible from the
///   identity's anchor (below), or a move to a `mobile` list's address from a client it knows:
///   a roaming phone, whose carrier routes its traffic home.
///
/// Its anchor: while an identity's sign-ins come through listed networks (VPN, gateway, relay,
/// carrier, hosting), it keeps its last sign-in before them from an address on no list, where
/// the person last demonstrably was. A sign-in from an unlisted address (or an interactive one
/// from a hosting network, which lowers nothing) after such a run is judged from the anchor
/// first: impossible from there, it is reported from there like any
/// move, the sign-in between named in the summary and the evidence (a VPN in between hides
/// nothing); possible from there, only the move from the listed address is judged, as above.
///
/// Neither habit nor usual networks lower a move to or from the network of the identity's last
/// high finding that said intruder (a person on a hosting network) for
/// [`TravelConfig::alert_memory_hours`]: an intruder who keeps coming back does not become a
/// habit.
///
/// It raises to `high` when the identity's trusted profile has never seen the destination
/// country, or when the same session id appears at both ends (a replayed session cookie).
///
/// A sign-in older than the identity's newest one (its log lagged, so it reached the detector
/// late) is judged against that newest one, in time order, and the newest stays on record.
///
/// State per identity is the last located sign-in, its anchor while it has one, a few place
/// pairs and the network of its last high finding; addresses without coordinates are located
/// through the [`Geolocator`] (event coordinates, then `.mmdb`, then what earlier sign-ins
/// taught about the address).
///
/// ```
/// use palisade_core::{Context, Detector, Severity};
/// use palisade_schema::*;
/// use palisade_travel::ImpossibleTravel;
///
/// let sign_in = |id: &str, at: &str, ip: &str, lat: f64, lon: f64, city: &str, cc: &str| {
///     Event::new(Timestamp::parse_rfc3339(at).unwrap(), id, Source::Okta,
///         Activity::SignIn(SignIn::success(SignInStage::Primary)))
///         .with_actor(Identity::new("alice@contoso.com.au"))
///         .with_origin(Origin {
///             ip: Some(ip.parse().unwrap()),
///             geo: GeoPoint::new(lat, lon, Some(20.0)),
///             city: Some(city.into()),
///             country: Some(cc.into()),
///             ..Origin::default()
///         })
/// };
/// let mut d = ImpossibleTravel::default();
/// let mut out = Vec::new();
/// d.observe(&sign_in("e1", "2024-03-20T09:00:00Z", "1.129.10.20", -33.8688, 151.2093, "Sydney", "AU"),
///     &Context::empty(), &mut out);
/// d.observe(&sign_in("e2", "2024-03-20T11:05:00Z", "79.215.3.4", 50.1109, 8.6821, "Frankfurt", "DE"),
///     &Context::empty(), &mut out);
/// assert_eq!(out.len(), 1);
/// assert_eq!(out[0].severity, Severity::Medium);
/// assert_eq!(out[0].summary, "Sydney, AU → Frankfurt, DE: 16,500 km in 2 h 05 min = 7,890 km/h");
/// assert_eq!(out[0].evidence.event_ids, ["e1", "e2"]);
/// ```
pub struct ImpossibleTravel {
    config: TravelConfig,
    geo: Geolocator,
    egress: Arc<EgressRegistry>,
    problems: Vec<GeoError>,
    /// Each identity's state, found by a 128-bit fingerprint of its key.
    identities: Identities,
    /// When identities' state next needs looking at (the last sign-in can no longer be part of
    /// an impossible move, or a remembered pair expires). Each identity has one live entry
    /// (its `Record::queued`); others are stale and skipped.
    expiry: Expiry,
    /// Scratch for the entries `advance` takes (not state).
    due: Vec<(Timestamp, u32)>,
    /// Past this, no move from a sign-in can exceed the speed threshold.
    horizon: Duration,
    tenant: TenantPairs,
    last_sweep: Option<Timestamp>,
    /// Tests only: every sign-in takes the slow path, the reference the same-address path must
    /// agree with.
    #[cfg(test)]
    pub(crate) slow_path_only: bool,
}

impl Default for ImpossibleTravel {
    /// Default settings and the built-in egress lists, no database.
    fn default() -> Self {
        Self::with_parts(TravelConfig::default(), Arc::new(EgressRegistry::builtin()))
    }
}

impl std::fmt::Debug for ImpossibleTravel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImpossibleTravel")
            .field("config", &self.config)
            .field("egress_lists", &self.egress.lists().len())
            .field("identities", &self.identities.len())
            .finish()
    }
}

impl ImpossibleTravel {
    /// A detector from settings: validates them, loads the built-in egress lists (unless turned
    /// off), the configured list files and `.mmdb` databases. A file that cannot be opened is an
    /// error; malformed lines in a list file are kept as [`ImpossibleTravel::problems`] and the
    /// rest of the file loads.
    ///
    /// ```
    /// use palisade_travel::{ImpossibleTravel, TravelConfig};
    /// let d = ImpossibleTravel::new(TravelConfig::default()).unwrap();
    /// assert!(d.problems().is_empty());
    /// let bad = TravelConfig { speed_kmh: -1.0, ..TravelConfig::default() };
    /// assert!(ImpossibleTravel::new(bad).is_err());
    /// ```
    pub fn new(config: TravelConfig) -> Result<Self, TravelError> {
        config.validate().map_err(TravelError::Config)?;
        let mut egress = if config.builtin_egress {
            EgressRegistry::builtin()
        } else {
            EgressRegistry::new()
        };
        let mut problems = Vec::new();
        for path in &config.egress_lists {
            problems.extend(egress.add_file(path)?);
        }
        #[cfg(feature = "mmdb")]
        let database = if config.mmdb.is_empty() {
            None
        } else {
            let mut db = palisade_geo::MmdbResolver::new().with_defaults(config.accuracy);
            for path in &config.mmdb {
                db.add_file(path)?;
            }
            Some(db)
        };
        #[cfg(not(feature = "mmdb"))]
        if let Some(path) = config.mmdb.first() {
            return Err(TravelError::Config(format!(
                "{} needs palisade-travel's `mmdb` feature",
                path.display()
            )));
        }
        let mut d = Self::with_parts(config, Arc::new(egress));
        d.problems = problems;
        #[cfg(feature = "mmdb")]
        if let Some(db) = database {
            d = d.with_database(db);
        }
        Ok(d)
    }

    fn with_parts(config: TravelConfig, egress: Arc<EgressRegistry>) -> Self {
        let geo = Geolocator::new()
            .with_defaults(config.accuracy)
            .with_learned(LearnedLocations::new(
                config.learned_ips,
                Duration::from_days(i64::from(config.learned_ip_days)),
            ));
        // Past this horizon no move can exceed the speed threshold, so the last sign-in is
        // useless; dropping it never changes a finding.
        let horizon_ms = (MAX_DISTANCE_KM / config.speed_kmh * 3_600_000.0).min(1e15) as i64;
        let horizon = Duration::from_millis(horizon_ms.saturating_add(3_600_000));
        ImpossibleTravel {
            config,
            geo,
            egress,
            problems: Vec::new(),
            identities: Identities::default(),
            expiry: Expiry::default(),
            due: Vec::new(),
            horizon,
            tenant: TenantPairs::default(),
            last_sweep: None,
            #[cfg(test)]
            slow_path_only: false,
        }
    }

    /// Whether a sign-in from the last one's address may skip the slow path (always, outside
    /// tests).
    fn same_address_path(&self) -> bool {
        #[cfg(test)]
        return !self.slow_path_only;
        #[cfg(not(test))]
        true
    }

    /// The same detector with another egress registry (shared: build it once, hand an `Arc` to
    /// every instance).
    pub fn with_egress(mut self, egress: impl Into<Arc<EgressRegistry>>) -> Self {
        self.egress = egress.into();
        self
    }

    /// The same detector looking IP-only events up in `database` (an `Arc<MmdbResolver>` shares
    /// one opened file between instances).
    pub fn with_database(mut self, database: impl GeoResolver + 'static) -> Self {
        let learned = std::mem::take(self.geo.learned_mut());
        self.geo = Geolocator::new()
            .with_defaults(self.config.accuracy)
            .with_learned(learned)
            .with_database(database);
        self
    }

    /// The settings in use.
    pub fn config(&self) -> &TravelConfig {
        &self.config
    }

    /// The egress lists in use.
    pub fn egress(&self) -> &EgressRegistry {
        &self.egress
    }

    /// Malformed lines found in the configured egress list files (each names its file and line).
    pub fn problems(&self) -> &[GeoError] {
        &self.problems
    }

    /// How many identities have state.
    pub fn tracked_identities(&self) -> usize {
        self.identities.len()
    }

    /// Looks at the identity in `slot` whose expiry entry fell due at `due`: drops its last
    /// sign-in past the horizon and its expired pairs, forgets it when nothing is left, and
    /// queues its next look otherwise.
    fn expire(&mut self, slot: u32, due: Timestamp, now: Timestamp) {
        let memories @ (memory, alert_memory) = self.memories();
        let horizon = self.horizon;
        let Some(r) = self.identities.get_mut(slot) else {
            return;
        };
        if r.queued != Some(due) {
            return; // stale: the identity was forgotten or queued again
        }
        r.queued = None;
        let has_last = r.has_last && now.since(r.time) <= horizon;
        r.pairs.retain(|(_, _, last)| now.since(*last) <= memory);
        r.alert = r.alert.filter(|(_, at)| now.since(*at) <= alert_memory);
        if r.has_last && !has_last {
            r.clear_last();
        }
        match next_due(has_last, r, horizon, memories) {
            Some(next) => {
                self.expiry.push(next, slot);
                r.queued = Some(next);
            }
            None => self.identities.release(slot),
        }
    }

    /// How long a remembered pair counts, and an alert.
    fn memories(&self) -> (Duration, Duration) {
        (
            Duration::from_days(i64::from(self.config.pair_memory_days)),
            Duration::from_hours(i64::from(self.config.alert_memory_hours)),
        )
    }
}

/// A stable key for the place a location names: city, else region, else a one-degree cell.
fn place_key(l: &Spot) -> u64 {
    let cc = l.country().unwrap_or("");
    match (l.city(), l.region()) {
        (Some(city), _) => stable_hash(&["city", cc, city]),
        (None, Some(region)) => stable_hash(&["region", cc, region]),
        _ => {
            let cell = format!("{:.0},{:.0}", l.lat().round(), l.lon().round());
            stable_hash(&["cell", cc, &cell])
        }
    }
}

/// A stable key for one end of a move as the pair memories know it: its place and its network.
/// The network is part of it because what makes a move familiar is the route (a corporate VPN
/// that exits in Frankfurt), not the city: an intruder on a Frankfurt ISP does not inherit the
/// VPN users' habit.
fn end_key(l: &Spot) -> u64 {
    let asn = l.asn.map_or(0, u64::from);
    place_key(l) ^ asn.wrapping_mul(0xff51_afd7_ed55_8ccd).rotate_left(17)
}

/// When an identity's state next needs looking at: when its last sign-in passes the horizon,
/// its earliest remembered pair expires, or its alert is over; `None` when nothing is left.
fn next_due(
    has_last: bool,
    c: &Record,
    horizon: Duration,
    (memory, alert_memory): (Duration, Duration),
) -> Option<Timestamp> {
    let last = has_last.then(|| c.time + horizon);
    let pairs = c.pairs.iter().map(|(_, _, last)| *last + memory).min();
    let alert = c.alert.map(|(_, at)| at + alert_memory);
    [last, pairs, alert].into_iter().flatten().min()
}

/// Queues a look at the identity in `slot` at `due`, unless one is queued earlier.
fn schedule(expiry: &mut Expiry, c: &mut Record, slot: u32, due: Timestamp) {
    if c.queued.is_none_or(|q| q > due) {
        expiry.push(due, slot);
        c.queued = Some(due);
    }
}

/// One end of a move: the last sign-in on record, or the one being judged.
struct End<'a> {
    time: Timestamp,
    /// Empty when not kept.
    event_id: &'a str,
    ip: Option<IpAddr>,
    spot: &'a Spot,
    session: u64,
    device: u64,
    egress: Option<u32>,
    interactive: bool,
}

/// An unordered pair key: the same for A→B and B→A.
fn pair_key(a: u64, b: u64) -> u64 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    lo.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(31) ^ hi.wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
}

/// `parts` joined by "; ", appended to `out`.
fn push_joined(out: &mut String, parts: &[String]) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(p);
    }
}

/// Whether a person signed in (rather than a background client): only a vendor's explicit
/// "non-interactive" says otherwise.
fn interactive(event: &Event) -> bool {
    event.sign_in_kind != Some(SignInKind::NonInteractive)
}

fn id_hash(s: Option<&str>) -> u64 {
    match s {
        Some(s) if !s.is_empty() => stable_hash(&[s]).max(1),
        _ => 0,
    }
}

fn familiar_network(p: &dyn ProfileView, asn: Option<u32>, weight: f64) -> bool {
    let Some(asn) = asn else { return false };
    p.familiarity(Dimension::Asn, &asn.to_string())
        .is_some_and(|f| f.weight >= weight)
}

/// What a reported move leaves the identity to remember: its place pair, and the network of a
/// high finding with its time.
struct Reported {
    pair: u64,
    alert: Option<(u32, Timestamp)>,
}

/// What a judged move is reported with: the movement, whether the event in hand is its earlier
/// end (it arrived late), the sign-in between when the move is judged from the identity's
/// anchor (a note and its event id), and the anchor's place when the move is a roaming phone's.
struct Report<'a> {
    m: Movement,
    late: bool,
    via: Option<(String, &'a str)>,
    roaming: Option<String>,
}

/// Whether the sign-in comes from a client the identity's profile knows: its device, or when
/// the source names none, its browser and OS family.
fn known_client(event: &Event, ctx: &Context<'_>) -> bool {
    let Some(p) = ctx.profile else { return false };
    match (&event.origin.device_id, &event.origin.user_agent) {
        (Some(d), _) if !d.is_empty() => !p.is_new(Dimension::Device, d),
        (_, Some(ua)) if !ua.is_empty() => !p.is_new(Dimension::UserAgent, ua),
        _ => false,
    }
}

/// Everything a judgement reads or updates besides the identity's own state.
struct Judge<'a> {
    config: &'a TravelConfig,
    egress: &'a EgressRegistry,
    tenant: &'a mut TenantPairs,
}

impl Judge<'_> {
    /// The egress reason for one end, if it lowers the move; `Err` with a note when the end is
    /// on a hosting list that does not lower it.
    fn egress_reason(&self, end: &End<'_>) -> Option<Result<String, String>> {
        let list = self.egress.lists().get(end.egress? as usize)?;
        let label = end.spot.label();
        if list.kind == EgressKind::Mobile {
            let mut note = format!(
                "the {label} end is on mobile network list \"{}\", located to its country only (",
                list.name
            );
            push_plain_number(&mut note, self.mobile_radius_km(end));
            note.push_str(" km)");
            return Some(Err(note));
        }
        if list.kind == EgressKind::Hosting
            && end.interactive
            && !self.config.hosting_lowers_interactive
        {
            return Some(Err(format!(
                "the {label} end is on hosting network list \"{}\"",
                list.name
            )));
        }
        Some(Ok(format!(
            "the {label} end is on egress list \"{}\" ({})",
            list.name, list.kind
        )))
    }

    /// The accuracy radius one end counts with: its own, or for an address on a mobile network
    /// list at least [`TravelConfig::mobile_radius_km`] (the carrier's gateway, not the person,
    /// is what the address locates).
    fn mobile_radius_km(&self, end: &End<'_>) -> f64 {
        let own = f64::from(end.spot.accuracy_km());
        if self.is_mobile(end) {
            own.max(self.config.mobile_radius_km)
        } else {
            own
        }
    }

    /// Whether the end's address is on a `hosting` egress list.
    fn is_hosting(&self, end: &End<'_>) -> bool {
        end.egress
            .and_then(|i| self.egress.lists().get(i as usize))
            .is_some_and(|l| l.kind == EgressKind::Hosting)
    }

    /// Whether the end's address is on a `mobile` egress list.
    fn is_mobile(&self, end: &End<'_>) -> bool {
        end.egress
            .and_then(|i| self.egress.lists().get(i as usize))
            .is_some_and(|l| l.kind == EgressKind::Mobile)
    }

    /// Judges the move from `prev` to `cur` (in time order); returns what the identity
    /// remembers of it when a finding was made. `late` when the event in hand is `prev`: it
    /// arrived after the newer sign-in on record.
    ///
    /// When `prev` came through a network whose address does not say where the person was (an
    /// egress or mobile list) and `cur` did not, the move is judged from the identity's
    /// `anchor` first: its last sign-in before that from an address that does. Impossible from
    /// there, it is reported from there as any move (a VPN in between hides nothing, whether
    /// or not the move from the VPN's exit is possible too); possible from there, a move from
    /// `prev` that is impossible rests on the listed end alone, and is low.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &mut self,
        who: &IdentityKey,
        state: &Record,
        (prev, cur): (&End<'_>, &End<'_>),
        late: bool,
        (anchor, known_client): (Option<&Anchor>, bool),
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) -> Option<Reported> {
        let mut through_anchor = None;
        // The same address is never a move, whatever came before it.
        if prev.ip.is_some() && prev.ip == cur.ip {
            return None;
        }
        // The end in hand locates the person, or is a rented server whose list lowers nothing.
        let located = cur.egress.is_none()
            || (self.is_hosting(cur) && matches!(self.egress_reason(cur), Some(Err(_))));
        if let (Some(a), Some(i), true, false) = (anchor, prev.egress, located, late) {
            let from = End {
                time: a.time,
                event_id: &a.event_id,
                ip: a.ip,
                spot: &a.spot,
                session: a.session,
                device: a.device,
                egress: None,
                interactive: a.interactive,
            };
            if let Some(m) = self.impossible_move(&from, cur) {
                let list = self
                    .egress
                    .lists()
                    .get(i as usize)
                    .map_or("", |l| l.name.as_str());
                let via = format!(
                    "between them, a sign-in from {} came through list \"{list}\", whose \
                     address does not say where the person was",
                    prev.spot.label()
                );
                let report = Report {
                    m,
                    late: false,
                    via: Some((via, prev.event_id)),
                    roaming: None,
                };
                return self.report(who, state, (&from, cur), report, ctx, out);
            }
            through_anchor = Some(from.spot.label());
        }
        let m = self.impossible_move(prev, cur)?;
        // A carrier routes a roaming phone's traffic home: its address may be a country away
        // from the phone. From a client the identity knows, and possible from where the person
        // last demonstrably was, the move is that.
        let fresh = if late { prev } else { cur };
        let roaming = match through_anchor.filter(|_| self.is_mobile(prev) && known_client) {
            Some(anchor) => Some(format!(
                "the sign-in in hand is from a client this identity uses, and possible from \
                 {anchor}, its last sign-in from an address that locates the person (a roaming \
                 phone's carrier address is at home)"
            )),
            // The phone itself, on its carrier: wherever the carrier places it, a roaming
            // phone's address is at home.
            None if self.is_mobile(fresh) && known_client => Some(format!(
                "the {} end is a phone this identity uses, on a mobile network list (a roaming \
                 phone's carrier address is at home)",
                fresh.spot.label()
            )),
            None => None,
        };
        let report = Report {
            m,
            late,
            via: None,
            roaming,
        };
        self.report(who, state, (prev, cur), report, ctx, out)
    }

    /// The move from `prev` to `cur`, when it is faster than the threshold over more than the
    /// minimum distance and nothing shows the two ends are one client that did not move.
    fn impossible_move(&self, prev: &End<'_>, cur: &End<'_>) -> Option<Movement> {
        // The same point (another address in the same city), or the same address whatever its
        // geolocation says (a late sign-in reaches here without the same-address path's
        // check): never a move.
        if prev.spot.lat() == cur.spot.lat() && prev.spot.lon() == cur.spot.lon() {
            return None;
        }
        if prev.ip.is_some() && prev.ip == cur.ip {
            return None;
        }
        // Both ends' countries compared, when both are known.
        let same_country = match (prev.spot.country(), cur.spot.country()) {
            (Some(a), Some(b)) => Some(a.eq_ignore_ascii_case(b)),
            _ => None,
        };
        let abroad = same_country == Some(false);
        let same_session = cur.session != 0 && cur.session == prev.session;
        let same_device = cur.device != 0 && cur.device == prev.device;
        let family_flip =
            matches!((prev.ip, cur.ip), (Some(a), Some(b)) if a.is_ipv4() != b.is_ipv4());
        let same_network = prev.spot.asn.is_some() && prev.spot.asn == cur.spot.asn;
        if (same_session || same_device) && !abroad && (family_flip || same_network) {
            // An IPv4/IPv6 flip or a carrier hop within one session or device: the two
            // addresses geolocate differently, the person did not move. Into another country it
            // is a replayed session or a stolen device token, judged as any move.
            return None;
        }
        // A source that names neither session nor device (Google's login audit) cannot show
        // the two ends are one client: a dual-stack line flipping family on the same network
        // within the same country stands for it. (Its IPv6 block often locates hundreds of
        // kilometres from its IPv4 address.)
        let unnamed = cur.session == 0 && prev.session == 0 && cur.device == 0 && prev.device == 0;
        if unnamed && same_country == Some(true) && family_flip && same_network {
            return None;
        }
        // A carrier's address is located to its country only: within that country it says
        // nothing about where the phone is.
        if same_country == Some(true) && (self.is_mobile(prev) || self.is_mobile(cur)) {
            return None;
        }
        let elapsed = cur.time.since(prev.time);
        let min_elapsed = Duration::from_secs(i64::from(self.config.min_elapsed_secs));
        let radii = self.mobile_radius_km(prev) + self.mobile_radius_km(cur);
        let m = Movement::between_spots(prev.spot, cur.spot, radii, elapsed, min_elapsed);
        if m.effective_km < self.config.min_distance_km || m.speed_kmh <= self.config.speed_kmh {
            return None;
        }
        Some(m)
    }

    /// Reports the impossible move from `prev` to `cur`.
    fn report(
        &mut self,
        who: &IdentityKey,
        state: &Record,
        (prev, cur): (&End<'_>, &End<'_>),
        report: Report<'_>,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) -> Option<Reported> {
        let Report {
            m,
            late,
            via,
            roaming,
        } = report;
        let elapsed = cur.time.since(prev.time);
        let min_elapsed = Duration::from_secs(i64::from(self.config.min_elapsed_secs));
        let same_session = cur.session != 0 && cur.session == prev.session;
        let mut lowered: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        if let Some((via, _)) = &via {
            notes.push(via.clone());
        }
        if let Some(reason) = roaming {
            lowered.push(reason);
        }
        for end in [cur, prev] {
            match self.egress_reason(end) {
                Some(Ok(r)) => lowered.push(r),
                Some(Err(n)) => notes.push(n),
                None => {}
            }
        }
        let pair = pair_key(end_key(prev.spot), end_key(cur.spot));
        let memory = Duration::from_days(i64::from(self.config.pair_memory_days));
        let me = stable_hash(&[who.as_str()]);
        let settle = Duration::from_hours(i64::from(self.config.pair_settle_hours));
        // The network of a recent high finding is no habit and not usual, however often it
        // has come back since.
        let alert_memory = Duration::from_hours(i64::from(self.config.alert_memory_hours));
        let alerted = state.alert.filter(|(asn, at)| {
            cur.time >= *at
                && cur.time.since(*at) <= alert_memory
                && (prev.spot.asn == Some(*asn) || cur.spot.asn == Some(*asn))
        });
        if let Some((asn, at)) = alerted {
            let mut note = format!("AS{asn} is the network of a high alert on this identity ");
            push_plain_elapsed(&mut note, cur.time.since(at));
            note.push_str(" earlier");
            notes.push(note);
        }
        let habitual = alerted.is_none() && state.knows_pair(pair, cur.time, settle, memory);
        if habitual {
            lowered.push(
                "this identity has moved between these places, on these networks, on an earlier \
                 day"
                .into(),
            );
        }
        let others = self.tenant.others(pair, me, cur.time, memory);
        let shared = self.config.shared_pair_identities as usize;
        if shared > 0 && others >= shared && alerted.is_none() {
            lowered.push(format!(
                "{others} other identities of the tenant move between these places on these \
                 networks"
            ));
        }
        // The end the event in hand brought: its country is the one the profile may not know.
        let fresh = if late { prev } else { cur };
        if late {
            notes.push(format!(
                "the {} sign-in was reported after the later one",
                fresh.spot.label()
            ));
        }
        let mut severity = Severity::Medium;
        if let Some(p) = ctx.profile {
            let w = self.config.familiar_network_weight;
            if alerted.is_none()
                && familiar_network(p, prev.spot.asn, w)
                && familiar_network(p, cur.spot.asn, w)
            {
                lowered.push("both networks are usual for this identity".into());
            } else if p.trusted()
                && fresh
                    .spot
                    .country()
                    .is_some_and(|c| p.is_new(Dimension::Country, c))
            {
                severity = Severity::High;
            }
        }
        if same_session {
            notes.push("the same session id at both ends".into());
            severity = Severity::High;
        }
        if !lowered.is_empty() {
            severity = Severity::Low;
        }

        // "Sydney, AU → Frankfurt, DE: 16,500 km in 2 h 05 min = 7,890 km/h", in one buffer.
        let mut summary = String::with_capacity(96);
        prev.spot.push_label(&mut summary);
        summary.push_str(" → ");
        cur.spot.push_label(&mut summary);
        summary.push_str(": ");
        push_plain_number(&mut summary, m.distance_km);
        summary.push_str(" km");
        // The speed is over the distance the locations' accuracy leaves, and over at least
        // the minimum elapsed time: where either differs from what is written (by more than
        // rounding), say so, so the words add up.
        if m.effective_km < 0.99 * m.distance_km {
            summary.push_str(" (at least ");
            push_plain_number(&mut summary, m.effective_km);
            summary.push_str(" km allowing for location accuracy)");
        }
        summary.push_str(" in ");
        push_plain_elapsed(&mut summary, elapsed);
        if elapsed.as_millis().checked_abs().unwrap_or(i64::MAX) < min_elapsed.as_millis() {
            summary.push_str(" (timed as ");
            push_plain_elapsed(&mut summary, min_elapsed);
            summary.push(')');
        }
        summary.push_str(" = ");
        push_plain_number(&mut summary, m.speed_kmh);
        summary.push_str(" km/h");
        if !notes.is_empty() {
            summary.push_str(" (");
            push_joined(&mut summary, &notes);
            summary.push(')');
        }
        if !lowered.is_empty() {
            summary.push_str("; reported low: ");
            push_joined(&mut summary, &lowered);
        }

        // The end on record has an empty id when it was too long to keep.
        let first_id = if prev.event_id.is_empty() {
            cur.event_id
        } else {
            prev.event_id
        };
        let mut f = Finding::new_keyed(NAME, who.as_str(), Some(who.clone()), first_id, prev.time)
            .with_severity(severity)
            .with_technique(Technique::ValidCloudAccounts)
            .with_summary(summary);
        f.last_seen = cur.time;
        f.status = FindingStatus::Closed;
        if !prev.event_id.is_empty() && !cur.event_id.is_empty() {
            f.evidence = Evidence::of(prev.event_id);
            if let Some((_, id)) = via.as_ref().filter(|(_, id)| !id.is_empty()) {
                f.evidence.push(*id);
            }
            f.evidence.push(cur.event_id);
        }
        // Confidence grows with how far past the threshold the speed is, and halves when lowered.
        let over = 1.0 - self.config.speed_kmh / m.speed_kmh.max(self.config.speed_kmh);
        let mut confidence = 0.55 + 0.4 * over as f32;
        if severity == Severity::Low {
            confidence *= 0.5;
        }
        f = f.with_confidence(confidence);
        for end in [prev, cur] {
            if let Some(ip) = end.ip {
                f.entities.add_ip(ip);
            }
            if let Some(asn) = end.spot.asn {
                f.entities.add_asn(asn);
            }
            if let Some(c) = end.spot.country() {
                f.entities.add_country(c);
            }
        }
        f.baseline = ctx.profile.map(|p| p.maturity());
        out.push(f);

        // Only habits count for the tenant: one attacker moving many accounts between the same
        // two places makes each move once, and must not make the next one look shared.
        if habitual {
            let keep = shared + 1;
            self.tenant
                .record(pair, me, cur.time, memory, keep, self.config.tenant_pairs);
        }
        // Remembered only where the high finding says intruder, not traveller: a person on a
        // rented server. A traveller's first move abroad is high too, and so is a phone that
        // keeps its session from hotel Wi-Fi to its roaming carrier; their flips must still
        // settle into a habit.
        let intruder = self.is_hosting(fresh);
        let alert = match (severity, fresh.spot.asn) {
            (Severity::High, Some(asn)) if intruder && alert_memory > Duration::ZERO => {
                Some((asn, cur.time))
            }
            _ => None,
        };
        Some(Reported { pair, alert })
    }
}

/// The detector's parts the slow path (a new address, or a new identity) works with.
struct Parts<'a> {
    config: &'a TravelConfig,
    geo: &'a mut Geolocator,
    egress: &'a EgressRegistry,
    identities: &'a mut Identities,
    expiry: &'a mut Expiry,
    horizon: Duration,
    tenant: &'a mut TenantPairs,
}

impl Parts<'_> {
    /// A sign-in from another address than last time, or of a new identity (`found` is the
    /// identity's slot, if it has one): locate it, judge the move, keep it. Out of line, so the
    /// same-address path stays short. The session and device are the event's ids' stable
    /// hashes, taken once for both paths.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn observe_slow(
        self,
        (found, print): (Option<u32>, u128),
        ids: (u64, u64),
        who: &IdentityKey,
        event: &Event,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        let Parts {
            config,
            geo,
            egress,
            identities,
            expiry,
            horizon,
            tenant,
        } = self;
        let ip = event.origin.ip;
        // The last sign-in's place, to share its names when the place is the same.
        let near = found
            .and_then(|slot| identities.get(slot))
            .and_then(|r| r.spot.as_ref());
        let Some(spot) = geo.locate_spot_near(&event.origin, event.time, near) else {
            return;
        };
        let cur_egress = egress
            .lookup(ip, spot.asn.or(event.origin.asn))
            .map(|m| m.index as u32);
        let interactive = interactive(event);

        let slot = match found {
            Some(slot) => slot,
            None => identities.insert(Record::new(print, who.clone())),
        };
        let Some(r) = identities.get(slot) else {
            return;
        };
        if r.has_last {
            // A sign-in older than the one on record arrived late (a lagging source): it is
            // judged against that newer one, in time order, and the newer one stays. Skipping
            // it would let an intruder's sign-in through whenever its log lags; and a pair that
            // is not consecutive is never flagged when the consecutive ones are all possible
            // (were one sign-in in between, one of the two legs would be at least as fast).
            let late = event.time < r.time;
            let reported = match &r.spot {
                Some(on_record) => {
                    let on_record = End {
                        time: r.time,
                        event_id: identities.event_id(slot),
                        ip: r.ip,
                        spot: on_record,
                        session: r.session,
                        device: r.device,
                        egress: r.egress(),
                        interactive: r.interactive,
                    };
                    let in_hand = End {
                        time: event.time,
                        event_id: &event.id,
                        ip,
                        spot: &spot,
                        session: ids.0,
                        device: ids.1,
                        egress: cur_egress,
                        interactive,
                    };
                    let (prev, cur) = if late {
                        (&in_hand, &on_record)
                    } else {
                        (&on_record, &in_hand)
                    };
                    let mut j = Judge {
                        config,
                        egress,
                        tenant,
                    };
                    // Read only when the last sign-in came through a listed network (rare).
                    let known_client =
                        (r.egress().is_some() || cur_egress.is_some()) && known_client(event, ctx);
                    let anchor = r.anchor.as_deref();
                    j.judge(who, r, (prev, cur), late, (anchor, known_client), ctx, out)
                }
                None => None,
            };
            if let (Some(reported), Some(r)) = (reported, identities.get_mut(slot)) {
                let memory = Duration::from_days(i64::from(config.pair_memory_days));
                let at = event.time.max(r.time);
                r.remember_pair(reported.pair, at, memory, config.identity_pairs);
                if reported.alert.is_some() {
                    r.alert = reported.alert;
                }
            }
            if late {
                return;
            }
        }
        // Where the person last demonstrably was: the last sign-in before a run through
        // listed networks (kept for that run), none after a sign-in that locates them itself.
        let anchor = match identities.get(slot) {
            Some(r) if cur_egress.is_some() && r.has_last && r.egress().is_none() => {
                r.spot.as_ref().map(|on_record| {
                    Some(Box::new(Anchor {
                        time: r.time,
                        spot: on_record.clone(),
                        ip: r.ip,
                        session: r.session,
                        device: r.device,
                        interactive: r.interactive,
                        event_id: identities.event_id(slot).to_owned(),
                    }))
                })
            }
            Some(_) if cur_egress.is_some() => None,
            _ => Some(None),
        };
        identities.set_event_id(slot, &event.id);
        let Some(r) = identities.get_mut(slot) else {
            return;
        };
        if let Some(anchor) = anchor {
            r.anchor = anchor;
        }
        r.set_last(event.time, ip, spot, ids, cur_egress, interactive);
        schedule(expiry, r, slot, event.time + horizon);
    }
}

impl Detector for ImpossibleTravel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let counts = match &event.activity {
            Activity::SignIn(s) => s.outcome.is_success(),
            Activity::SessionStart => true,
            // A prompt belongs to a sign-in of the same flow, from the same address, and that
            // sign-in (successful or failed) teaches the address: nothing to do here.
            _ => return,
        };
        if !counts || event.sign_in_kind == Some(SignInKind::ServicePrincipal) {
            // Failed sign-ins still teach where their address is.
            self.geo.learn(&event.origin, event.time);
            return;
        }
        let Some(who) = event.identity() else { return };
        // Start loading the event id (kept by every sign-in) now, so that load overlaps the
        // identity lookup instead of following it.
        std::hint::black_box(event.id.as_bytes().last().copied());
        let ip: Option<IpAddr> = event.origin.ip;
        // Read before the lookup, so these loads overlap it.
        let session = id_hash(event.origin.session_id.as_deref());
        let device = id_hash(event.origin.device_id.as_deref());
        let same_address_path = self.same_address_path();
        let ImpossibleTravel {
            config,
            geo,
            egress,
            identities,
            expiry,
            horizon,
            tenant,
            ..
        } = self;

        // One lookup per event, by a fingerprint of the identity.
        let print = identity_print(who.as_str());
        let found = identities.find(print);
        if let (Some(ip), Some(slot), true) = (ip, found, same_address_path) {
            // The same address as last time is never travel: refresh and stop.
            let at = (event.time, event.id.as_str());
            let interactive = interactive(event);
            if let SameAddress::Refreshed { first_of_day } =
                identities.refresh_same_address(slot, ip, at, (session, device), interactive)
            {
                // The address is still in use: the learned address cache hears so once a
                // day, or it would forget (and evict first) the addresses used most.
                if first_of_day {
                    geo.learn(&event.origin, event.time);
                }
                return;
            }
        }
        let parts = Parts {
            config,
            geo,
            egress,
            identities,
            expiry,
            horizon: *horizon,
            tenant,
        };
        parts.observe_slow((found, print), (session, device), who, event, ctx, out);
    }

    fn advance(&mut self, now: Timestamp, _out: &mut Vec<Finding>) {
        // Only identities whose state fell due are looked at: no scan of every identity.
        let mut due = std::mem::take(&mut self.due);
        self.expiry.take_due(now, &mut due);
        for (at, slot) in due.drain(..) {
            self.expire(slot, at, now);
        }
        self.due = due;
        if self.last_sweep.is_none_or(|t| now > t) {
            self.last_sweep = Some(now);
        }
    }

    fn forget(&mut self, identity: &IdentityKey) {
        if let Some(slot) = self.identities.find(identity_print(identity.as_str())) {
            self.identities.release(slot);
        }
    }

    fn state_bytes(&self) -> usize {
        self.identities.heap_bytes()
            + self.expiry.heap_bytes()
            + self.tenant.heap_bytes()
            + self.geo.learned().state_bytes()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let mut identities: Vec<IdentityState> = self
            .identities
            .slots()
            .filter_map(|slot| {
                let r = self.identities.get(slot)?;
                let last = match (&r.spot, r.has_last) {
                    (Some(spot), true) => Some(LastSignIn {
                        time: r.time,
                        event_id: self.identities.event_id(slot).to_owned(),
                        ip: r.ip,
                        location: spot.to_location(),
                        session: r.session,
                        device: r.device,
                        egress: r.egress(),
                        interactive: r.interactive,
                    }),
                    _ => None,
                };
                let anchor = r.anchor.as_ref().map(|a| LastSignIn {
                    time: a.time,
                    event_id: a.event_id.clone(),
                    ip: a.ip,
                    location: a.spot.to_location(),
                    session: a.session,
                    device: a.device,
                    egress: None,
                    interactive: a.interactive,
                });
                Some(IdentityState {
                    key: r.key.clone()?,
                    last,
                    pairs: r.pairs.clone(),
                    anchor,
                    alert: r.alert,
                })
            })
            .collect();
        identities.sort_by(|a, b| a.key.cmp(&b.key));
        let mut tenant: Vec<_> = self
            .tenant
            .pairs
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        tenant.sort_by_key(|(k, _)| *k);
        let snap = Snapshot {
            version: SNAPSHOT_VERSION,
            identities,
            tenant,
            learned: self.geo.learned().to_snapshot(),
            last_sweep: self.last_sweep,
        };
        serde_json::to_vec(&snap).map_err(|e| Error::Snapshot {
            component: NAME.into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.is_empty() {
            return Ok(());
        }
        let snap: Snapshot = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptSnapshot(format!("{NAME}: {e}")))?;
        if snap.version != SNAPSHOT_VERSION {
            return Err(Error::SnapshotVersion {
                found: snap.version,
                expected: SNAPSHOT_VERSION,
            });
        }
        let lists = self.egress.lists().len() as u32;
        if snap.identities.iter().any(|s| {
            s.last
                .as_ref()
                .and_then(|l| l.egress)
                .is_some_and(|i| i >= lists)
        }) {
            return Err(Error::CorruptSnapshot(format!(
                "{NAME}: snapshot names egress lists this detector does not have"
            )));
        }
        self.identities.clear();
        self.expiry.clear();
        let memories = self.memories();
        for s in snap.identities {
            let mut r = Record::new(identity_print(s.key.as_str()), s.key);
            r.pairs = s.pairs;
            r.alert = s.alert;
            let mut event_id = String::new();
            if let Some(l) = s.last {
                event_id = l.event_id;
                let spot = self.geo.spot(&l.location);
                let ids = (l.session, l.device);
                r.set_last(l.time, l.ip, spot, ids, l.egress, l.interactive);
                // An anchor is kept only behind a last sign-in through a listed network.
                if r.egress().is_some() {
                    r.anchor = s.anchor.map(|a| {
                        Box::new(Anchor {
                            time: a.time,
                            spot: self.geo.spot(&a.location),
                            ip: a.ip,
                            session: a.session,
                            device: a.device,
                            interactive: a.interactive,
                            event_id: a.event_id,
                        })
                    });
                }
            }
            // An identity with nothing left is looked at on the next advance.
            let due = next_due(r.has_last, &r, self.horizon, memories)
                .unwrap_or(Timestamp::MIN_PLAUSIBLE);
            // The same key twice in a damaged snapshot: the later one replaces the earlier.
            let slot = self.identities.insert(r);
            self.identities.set_event_id(slot, &event_id);
            if let Some(r) = self.identities.get_mut(slot) {
                schedule(&mut self.expiry, r, slot, due);
            }
        }
        self.tenant.pairs = snap.tenant.into_iter().collect();
        self.geo.learned_mut().restore(snap.learned);
        self.last_sweep = snap.last_sweep;
        Ok(())
    }
}
