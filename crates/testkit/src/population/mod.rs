//! Seeded generators of a realistic tenant population over N days, with attack stories injected
//! into chosen identities of the same population and ground-truth labels for every story.
//!
//! Everything is a pure function of [`PopulationConfig`] (seed included) and the list of
//! [`AttackKind`]s: the same inputs give byte-identical events on every machine, forever.
//!
//! # What a population holds
//!
//! Every person has a home city (real coordinates, time zone, residential ISP with ASN and a
//! stable /24, an office /24), a laptop (device id + user agent) and, for most, a phone with a
//! push authenticator. They sign in on working days in their own time zone (morning arrival,
//! sometimes after lunch or in the evening from home, rarely at weekends). Archetypes
//! ([`Archetype`]) add the behaviour that makes naive detectors cry wolf: business trips by
//! plane, a corporate VPN egress far from home, carrier/broadband switching, a laptop refresh,
//! missed pushes and ordinary inbox rules.
//!
//! # Event conventions
//!
//! One interactive sign-in ("flow") is written as:
//! `SignIn{Primary}` → for push MFA: `MfaPrompt{Sent}` and its answer `MfaPrompt{Approved|Denied|TimedOut|FraudReported}`
//! sharing one `correlation_id` (one id per prompt), then `SignIn{Mfa}` with the prompt's outcome
//! → `SessionStart` on success, for half of people's flows and every intruder's then
//! `SignIn{Sso}` into one to three other applications minutes apart. All events of a flow share
//! `origin.session_id`. Prompts that were
//! ignored have a `Sent` and no answer at all. Sign-in events come from
//! [`PopulationConfig::idp`]; mailbox and file events from [`PopulationConfig::mail`].
//!
//! ```
//! use palisade_testkit::population::{generate, AttackKind, PopulationConfig};
//! let scenario = generate(&PopulationConfig::small(7), &[AttackKind::PushBombing]);
//! assert!(!scenario.events.is_empty());
//! let label = &scenario.labels[0];
//! assert_eq!(label.kind, AttackKind::PushBombing);
//! assert!(label.evidence.len() >= 8);
//! ```

mod attacks;
mod benign;
mod flows;
mod people;
pub mod places;

use std::net::IpAddr;

use palisade_schema::{Event, IdentityKey, Source, Timestamp};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// How to generate a population. Every field has a documented default
/// ([`PopulationConfig::default`]); shares are fractions of `users`.
///
/// ```
/// use palisade_testkit::population::PopulationConfig;
/// let cfg: PopulationConfig = serde_json::from_str(r#"{"seed": 9, "users": 50}"#).unwrap();
/// assert_eq!(cfg.days, 30);
/// assert_eq!(cfg.domain, "contoso.com.au");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PopulationConfig {
    /// The seed every draw derives from. Default 1.
    pub seed: u64,
    /// How many people. Default 200.
    pub users: usize,
    /// How many days of activity. Default 30.
    pub days: u32,
    /// The first day (its UTC date; the time of day is ignored). Default 2024-03-04 (a Monday).
    pub start: Timestamp,
    /// The organisation's mail domain; logins are `first.last@domain`. Default `contoso.com.au`.
    pub domain: String,
    /// Where sign-in and MFA events come from. Default Okta.
    pub idp: Source,
    /// Where mailbox and file events come from. Default Microsoft 365.
    pub mail: Source,
    /// Share of people who answer push MFA (the rest use codes). Default 0.7.
    pub push_share: f64,
    /// Share of business travellers. Default 0.10.
    pub traveller_share: f64,
    /// Share of VPN users exiting through a corporate egress far from home. Default 0.08.
    pub vpn_share: f64,
    /// Share of mobile users switching between broadband and carrier. Default 0.12.
    pub mobile_share: f64,
    /// Share of people who get a new laptop during the period. Default 0.05.
    pub laptop_refresh_share: f64,
    /// Share of people who sometimes miss a push before approving it. Default 0.05.
    pub missed_push_share: f64,
    /// Share of people with ordinary inbox rules. Default 0.08.
    pub inbox_rules_share: f64,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            seed: 1,
            users: 200,
            days: 30,
            start: Timestamp::from_millis_unchecked(1_709_510_400_000), // 2024-03-04T00:00:00Z
            domain: "contoso.com.au".to_owned(),
            idp: Source::Okta,
            mail: Source::M365,
            push_share: 0.7,
            traveller_share: 0.10,
            vpn_share: 0.08,
            mobile_share: 0.12,
            laptop_refresh_share: 0.05,
            missed_push_share: 0.05,
            inbox_rules_share: 0.08,
        }
    }
}

impl PopulationConfig {
    /// The default configuration with another seed.
    ///
    /// ```
    /// assert_eq!(palisade_testkit::population::PopulationConfig::new(5).seed, 5);
    /// ```
    pub fn new(seed: u64) -> Self {
        PopulationConfig {
            seed,
            ..PopulationConfig::default()
        }
    }

    /// A small population for fast tests and the conformance suite: 30 people over 21 days
    /// (long enough for baselines to finish learning), every archetype present.
    ///
    /// ```
    /// let cfg = palisade_testkit::population::PopulationConfig::small(3);
    /// assert_eq!((cfg.users, cfg.days), (30, 21));
    /// ```
    pub fn small(seed: u64) -> Self {
        PopulationConfig {
            seed,
            users: 30,
            days: 21,
            ..PopulationConfig::default()
        }
    }
}

/// The kinds of ordinary behaviour a generated person shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Archetype {
    /// Office on working days, some evenings and working-from-home days from home broadband.
    OfficeWorker,
    /// An office worker who takes business trips by plane (new country, hotel wifi).
    Traveller,
    /// Most traffic exits a stable corporate egress (fixed ASN and IP) far from home.
    VpnUser,
    /// Switches between home broadband and a mobile carrier, phone and laptop; half the
    /// carrier's addresses geolocate to its gateway city, often hundreds of km from home.
    MobileUser,
    /// Gets a new laptop once (new device id and user agent from then on).
    LaptopRefresh,
    /// Sometimes misses one or two pushes (timeouts) and then approves.
    MissedPush,
    /// Creates ordinary inbox rules (newsletter folder, ticket mail marked read, internal
    /// forward to an assistant).
    InboxRules,
}

impl Archetype {
    /// Every archetype.
    pub const ALL: [Archetype; 7] = [
        Archetype::OfficeWorker,
        Archetype::Traveller,
        Archetype::VpnUser,
        Archetype::MobileUser,
        Archetype::LaptopRefresh,
        Archetype::MissedPush,
        Archetype::InboxRules,
    ];
}

/// The attack stories the generator can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// The seed write-up's case: an Australian user's two failed MFA attempts (push denied,
    /// push timed out) then success from a rare US endpoint; two days later a success from
    /// Germany, file previews, and an inbox rule named "." that marks a colleague's mail read
    /// and moves it to RSS Feeds (or Archive).
    ReferenceCase,
    /// Uber-like: 8–20 push prompts denied or timed out within minutes from a foreign origin,
    /// then an approval.
    PushBombing,
    /// A burst of 8–15 denied or timed-out prompts with no approval.
    PushBurstNoApproval,
    /// 5–10 prompts sent and never answered, then an approval.
    IgnoredPromptsThenApproval,
    /// The user reports a prompt from a foreign sign-in as fraud.
    FraudReport,
    /// A sign-in in Sydney, then one from Frankfurt two hours later.
    ImpossibleTravel,
    /// One IP failing across many identities (and a few unknown ones), then one success.
    PasswordSpray,
    /// An unfamiliar sign-in, then mailbox forwarding or a forward rule to an external domain.
    ForwardToExternal,
    /// The password works from abroad but the user denies the push; the attacker gives up and
    /// returns from the same network one to two days later, and this time the push is
    /// approved. (Okta logs each password-stage success before its MFA step.)
    ReturnAfterRefusedMfa,
}

impl AttackKind {
    /// Every attack story.
    pub const ALL: [AttackKind; 9] = [
        AttackKind::ReferenceCase,
        AttackKind::PushBombing,
        AttackKind::PushBurstNoApproval,
        AttackKind::IgnoredPromptsThenApproval,
        AttackKind::FraudReport,
        AttackKind::ImpossibleTravel,
        AttackKind::PasswordSpray,
        AttackKind::ForwardToExternal,
        AttackKind::ReturnAfterRefusedMfa,
    ];

    /// The snake_case name.
    ///
    /// ```
    /// assert_eq!(palisade_testkit::population::AttackKind::PushBombing.as_str(), "push_bombing");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AttackKind::ReferenceCase => "reference_case",
            AttackKind::PushBombing => "push_bombing",
            AttackKind::PushBurstNoApproval => "push_burst_no_approval",
            AttackKind::IgnoredPromptsThenApproval => "ignored_prompts_then_approval",
            AttackKind::FraudReport => "fraud_report",
            AttackKind::ImpossibleTravel => "impossible_travel",
            AttackKind::PasswordSpray => "password_spray",
            AttackKind::ForwardToExternal => "forward_to_external",
            AttackKind::ReturnAfterRefusedMfa => "return_after_refused_mfa",
        }
    }
}

/// Ground truth for one injected attack story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Which story.
    pub kind: AttackKind,
    /// The account the story is mainly about (the victim; for a spray, the account that fell).
    pub primary: IdentityKey,
    /// Every real identity the story touched, sorted (a spray's targets; otherwise the victim).
    pub identities: Vec<IdentityKey>,
    /// Time of the first evidence event.
    pub start: Timestamp,
    /// Time of the last evidence event.
    pub end: Timestamp,
    /// The ids of the attacker's events, in time order.
    pub evidence: Vec<String>,
    /// One sentence saying what happened.
    pub summary: String,
}

impl Label {
    /// Whether the story touched `identity`.
    pub fn involves(&self, identity: &IdentityKey) -> bool {
        self.identities.binary_search(identity).is_ok()
    }
}

/// One generated person: who they are and how they behave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    /// The normalized login.
    pub identity: IdentityKey,
    /// Display name.
    pub display_name: String,
    /// Their ordinary behaviour.
    pub archetype: Archetype,
    /// Home city name.
    pub home_city: String,
    /// Home country (ISO alpha-2).
    pub home_country: String,
    /// Whether they answer push MFA.
    pub push_mfa: bool,
}

/// A corporate egress network VPN users exit through, for detectors' egress lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EgressNetwork {
    /// Name of the egress point.
    pub name: String,
    /// Its ASN.
    pub asn: u32,
    /// Its /24 in CIDR notation.
    pub cidr: String,
    /// The fixed address traffic leaves from.
    pub ip: IpAddr,
}

/// A generated scenario: events in the pipeline's total order, and the truth about them.
///
/// ```
/// use palisade_testkit::population::{generate, AttackKind, PopulationConfig};
/// let s = generate(&PopulationConfig::small(1), &[AttackKind::ReferenceCase]);
/// assert!(s.events.windows(2).all(|w| w[0].order_key() <= w[1].order_key()));
/// let victim = &s.labels[0].primary;
/// assert!(s.events_of(victim).count() > 10);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// A name saying how it was made (seed, size, stories).
    pub name: String,
    /// Events sorted by `(time, source, id)`.
    pub events: Vec<Event>,
    /// One label per injected story.
    pub labels: Vec<Label>,
    /// Everyone in the population.
    pub personas: Vec<Persona>,
    /// Corporate egress networks used by VPN users.
    pub egress: Vec<EgressNetwork>,
}

impl Scenario {
    /// A scenario made of hand-built events (sorted here), with no labels or personas.
    ///
    /// ```
    /// use palisade_testkit::population::Scenario;
    /// assert!(Scenario::from_events("empty", vec![]).events.is_empty());
    /// ```
    pub fn from_events(name: impl Into<String>, mut events: Vec<Event>) -> Self {
        sort_events(&mut events);
        Scenario {
            name: name.into(),
            events,
            labels: Vec::new(),
            personas: Vec::new(),
            egress: Vec::new(),
        }
    }

    /// The events about `identity` (actor or subject), in order.
    pub fn events_of<'a>(&'a self, identity: &'a IdentityKey) -> impl Iterator<Item = &'a Event> {
        self.events
            .iter()
            .filter(move |e| e.identity() == Some(identity))
    }

    /// The labels of one story kind.
    pub fn labels_of(&self, kind: AttackKind) -> impl Iterator<Item = &Label> {
        self.labels.iter().filter(move |l| l.kind == kind)
    }

    /// Whether any story touched `identity`.
    pub fn is_attacked(&self, identity: &IdentityKey) -> bool {
        self.labels.iter().any(|l| l.involves(identity))
    }

    /// People of one archetype that no story touched: the ones that must stay quiet.
    ///
    /// ```
    /// use palisade_testkit::population::{generate, Archetype, PopulationConfig};
    /// let s = generate(&PopulationConfig::small(2), &[]);
    /// assert!(s.benign(Archetype::Traveller).count() >= 1);
    /// ```
    pub fn benign(&self, archetype: Archetype) -> impl Iterator<Item = &Persona> {
        self.personas
            .iter()
            .filter(move |p| p.archetype == archetype && !self.is_attacked(&p.identity))
    }

    /// The persona of `identity`.
    pub fn persona(&self, identity: &IdentityKey) -> Option<&Persona> {
        self.personas.iter().find(|p| &p.identity == identity)
    }

    /// Time of the first and last event (`None` when empty).
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.events.first()?.time, self.events.last()?.time))
    }
}

/// Sorts events into Palisade's total order `(time, source, id)`.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}

/// Generates a population per `config` and injects one story per entry of `attacks` (the same
/// kind may repeat: each gets its own victim). Victims are ordinary office workers when enough
/// exist, so the other archetypes stay clean benign controls.
///
/// ```
/// use palisade_testkit::population::{generate, AttackKind, PopulationConfig};
/// let cfg = PopulationConfig::small(11);
/// let a = generate(&cfg, &[AttackKind::ImpossibleTravel]);
/// let b = generate(&cfg, &[AttackKind::ImpossibleTravel]);
/// assert_eq!(a, b);
/// assert_eq!(a.labels.len(), 1);
/// ```
pub fn generate(config: &PopulationConfig, attacks: &[AttackKind]) -> Scenario {
    let root = Rng::new(config.seed);
    let people = people::populate(config, &root, attacks);
    let mut gen = Gen::new(config, root.fork("ids", 0));
    for p in &people {
        let mut rng = root.fork("life", p.index as u64);
        benign::live(&mut gen, p, &people, &mut rng);
    }
    let mut labels = Vec::new();
    for (n, kind) in attacks.iter().enumerate() {
        let mut rng = root.fork(kind.as_str(), n as u64);
        if let Some(label) = attacks::inject(&mut gen, n, *kind, &people, &mut rng) {
            labels.push(label);
        }
    }
    let mut events = gen.events;
    sort_events(&mut events);
    let mut name = format!(
        "population-s{}-u{}-d{}",
        config.seed, config.users, config.days
    );
    for k in attacks {
        name.push('+');
        name.push_str(k.as_str());
    }
    let egress = places::EGRESS_POINTS
        .iter()
        .map(|e| {
            let ip = people::egress_ip(e);
            EgressNetwork {
                name: e.name.to_owned(),
                asn: e.isp.asn,
                cidr: format!("{}.{}.{}.0/24", e.isp.v4.0, e.isp.v4.1, e.third_octet),
                ip,
            }
        })
        .collect();
    Scenario {
        name,
        events,
        labels,
        personas: people.iter().map(people::Person::persona).collect(),
        egress,
    }
}

/// The event writer shared by the benign and attack generators: deterministic ids, and the
/// period's bounds.
pub(crate) struct Gen<'a> {
    pub(crate) cfg: &'a PopulationConfig,
    ids: Rng,
    counter: u64,
    pub(crate) events: Vec<Event>,
    /// Midnight UTC of the first day.
    pub(crate) day0: i64,
}

const DAY_MS: i64 = 86_400_000;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl<'a> Gen<'a> {
    fn new(cfg: &'a PopulationConfig, ids: Rng) -> Self {
        let day0 = cfg.start.as_millis().div_euclid(DAY_MS) * DAY_MS;
        Gen {
            cfg,
            ids,
            counter: 0,
            events: Vec::new(),
            day0,
        }
    }

    /// A unique, UUID-shaped event id; the counter in the last group guarantees uniqueness.
    pub(crate) fn id(&mut self) -> String {
        let a = self.ids.u64();
        self.counter += 1;
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (self.ids.u64() & 0x3fff),
            self.counter
        )
    }

    /// An Okta-style transaction id.
    pub(crate) fn txn(&mut self) -> String {
        self.ids.token(BASE62, 27)
    }

    /// An Okta-style session id.
    pub(crate) fn session(&mut self) -> String {
        format!("idx{}", self.ids.token(BASE62, 22))
    }

    /// First instant of the period.
    pub(crate) fn start(&self) -> Timestamp {
        Timestamp::from_millis_unchecked(self.day0)
    }

    /// First instant after the period.
    pub(crate) fn end(&self) -> Timestamp {
        Timestamp::from_millis_unchecked(self.day0 + i64::from(self.cfg.days.max(1)) * DAY_MS)
    }

    /// `hour` (fractional) local time on day `day` in a zone `utc_offset_min` from UTC.
    pub(crate) fn local(&self, day: i64, hour: f64, utc_offset_min: i32) -> Timestamp {
        let ms = self.day0 + day * DAY_MS + (hour * 3_600_000.0) as i64
            - i64::from(utc_offset_min) * 60_000;
        Timestamp::from_millis_unchecked(ms)
    }

    /// Day of the week of period day `day`, 0 = Monday.
    pub(crate) fn weekday(&self, day: i64) -> i64 {
        ((self.day0 / DAY_MS) + day + 3).rem_euclid(7)
    }
}
