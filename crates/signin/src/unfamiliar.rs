//! `unfamiliar_signin`: a successful sign-in whose properties are new for its identity.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use palisade_core::{
    Context, Detector, Dimension, Error, Finding, FindingStatus, ProfileView, Severity, Technique,
};
use palisade_geo::{EgressKind, EgressRegistry};
use palisade_schema::{Duration, Event, IdentityKey, RiskLevel, Timestamp};
use serde::{Deserialize, Serialize};

use crate::alerted::{Alerted, AlertedNetworks};
use crate::assess::{
    assess, describe_history, describe_novelty, Assessment, NoveltyWeights, NOTHING_NAMED,
};
use crate::network::Through;
use crate::state::{self, Expiry};
use crate::verdict::Verdict;
use crate::vouch::{Suspect, Suspects};

const NAME: &str = "unfamiliar_signin";
/// Version 2 adds the findings waiting to be vouched for; version 1 is still read.
const VERSION: u32 = 2;

/// Settings of [`UnfamiliarSignIn`].
///
/// ```
/// use palisade_signin::UnfamiliarConfig;
/// let c: UnfamiliarConfig = serde_json::from_str(r#"{"medium_score": 5.5}"#).unwrap();
/// assert_eq!(c.medium_score, 5.5);
/// assert_eq!(c.high_score, 7.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnfamiliarConfig {
    /// What each unfamiliar property is worth.
    pub weights: NoveltyWeights,
    /// Score for a low finding (default 2.0); below it nothing is reported.
    pub low_score: f64,
    /// Score for a medium finding (default 5.0): a traveller on their own laptop scores about
    /// 2.6, a new laptop on the home network about 2, an unknown client in a new country
    /// about 7.
    pub medium_score: f64,
    /// Score for a high finding (default 7.0).
    pub high_score: f64,
    /// What the vendor's anonymous-proxy or Tor flag adds (default 4.0); such a sign-in is at
    /// least medium, even while the profile is still learning. A flagged sign-in from a
    /// country and network that are the identity's routine (known to a trusted profile, or
    /// used on more than one day while it learns: someone on iCloud Private Relay every day)
    /// is judged on its other properties alone.
    pub anonymous_score: f64,
    /// What the identity provider's own verdict of medium risk adds (default 2.5): Entra's or
    /// Okta's risk level, Google's suspicious-login mark. A familiar sign-in the vendor rates
    /// medium is low; a trip it rates medium is medium. Counts while the profile learns, where
    /// such a sign-in is medium at most.
    pub vendor_medium_score: f64,
    /// What the vendor's verdict of high risk (or Entra's `confirmedCompromised`) adds (default
    /// 4.0); such a sign-in is at least medium, even while the profile is still learning.
    pub vendor_high_score: f64,
    /// What an interactive sign-in from a hosting or cloud provider's network the identity has
    /// not used adds (default 3.0): people sign in from homes, offices and phones, not data
    /// centres. Not more: a tenant's own VPN or Cloud PCs run on the same clouds, and how many
    /// of the tenant use a network is something an intruder's first victims can change. A
    /// phishing proxy in the victim's own city relaying the victim's browser is low, naming
    /// the list. A non-interactive one (a service refreshing a token for the identity) is
    /// reported low at most, unless the vendor flags or rates it, or it looks like a replayed
    /// token (see `service_network_share`). The networks come from the egress lists (see
    /// [`UnfamiliarSignIn::with_egress`]).
    pub hosting_score: f64,
    /// The share of its weight a new place keeps when the sign-in came through a satellite
    /// egress, or a SASE or corporate egress the identity or the tenant already uses (default
    /// 0.25): such an address locates the egress (a Zscaler node, an in-flight satellite's
    /// ground station), not the person. Through iCloud Private Relay, which keeps the user's
    /// country, only the city and address block are discounted.
    pub egress_location_factor: f64,
    /// A non-interactive sign-in from a hosting network counts as a service acting for the
    /// identity (low at most) unless it looks like a stolen token replayed from a server: a
    /// country new to the identity, on a network it does not know and that fewer than this
    /// share of the tenant's identities use (default 0.05). A mail app's cloud is used by many.
    pub service_network_share: f64,
    /// Further sign-ins from the same country and network within this many minutes of the last
    /// one join the open finding (default 60); after it the finding closes.
    pub merge_minutes: i64,
    /// A new-country sign-in within this many hours of a medium-or-higher finding about the same
    /// identity (from any detector; being one of a password spray's targets does not count) is
    /// raised one level (default 168, a week). For as long, a sign-in from the network of one
    /// of this detector's own high findings on the identity is at least medium, however often
    /// it returns: the profile learns every sign-in, so an intruder's network would otherwise
    /// look familiar within a day. (Not a network on a list of carriers, corporate egresses,
    /// gateways, relays or satellite links: many people share those.)
    pub follow_up_hours: i64,
    /// A medium-or-higher finding about a device the identity had never used is revised down
    /// to low when, within this many hours of closing (default 168, a week; 0 never), that
    /// device signs in from the identity's own country, city, network and address block (its
    /// /24 or /48): it is the identity's new machine. The address block keeps an intruder
    /// from laundering the finding through a residential proxy on the victim's own ISP in
    /// the victim's own city; the country and network must have been the identity's before the
    /// finding, so an intruder whose own returns made their place familiar vouches for
    /// nothing. Held at most `max_open` at once.
    pub vouch_hours: i64,
    /// Open findings kept at most (default 100 000); past it the oldest is closed early.
    pub max_open: usize,
}

impl Default for UnfamiliarConfig {
    fn default() -> Self {
        UnfamiliarConfig {
            weights: NoveltyWeights::default(),
            low_score: 2.0,
            medium_score: 5.0,
            high_score: 7.0,
            anonymous_score: 4.0,
            vendor_medium_score: 2.5,
            vendor_high_score: 4.0,
            hosting_score: 3.0,
            egress_location_factor: 0.25,
            service_network_share: 0.05,
            merge_minutes: 60,
            follow_up_hours: 168,
            vouch_hours: 168,
            max_open: 100_000,
        }
    }
}

impl UnfamiliarConfig {
    /// Checks that thresholds rise and windows are positive.
    pub fn validate(&self) -> Result<(), Error> {
        self.weights.validate().map_err(Error::Config)?;
        let ok = self.low_score.is_finite()
            && self.low_score > 0.0
            && self.low_score <= self.medium_score
            && self.medium_score <= self.high_score
            && self.high_score.is_finite();
        if !ok {
            return Err(Error::Config(
                "unfamiliar_signin needs 0 < low_score <= medium_score <= high_score".into(),
            ));
        }
        let added = [
            self.anonymous_score,
            self.vendor_medium_score,
            self.vendor_high_score,
            self.hosting_score,
        ];
        if !added.iter().all(|s| s.is_finite() && *s >= 0.0)
            || self.vendor_medium_score > self.vendor_high_score
        {
            return Err(Error::Config(
                "unfamiliar_signin needs anonymous_score, vendor_medium_score, \
                 vendor_high_score and hosting_score finite and not negative, and \
                 vendor_medium_score <= vendor_high_score"
                    .into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.egress_location_factor)
            || !(0.0..=1.0).contains(&self.service_network_share)
        {
            return Err(Error::Config(
                "unfamiliar_signin needs egress_location_factor and service_network_share \
                 within 0..=1"
                    .into(),
            ));
        }
        if self.merge_minutes <= 0
            || self.follow_up_hours < 0
            || self.vouch_hours < 0
            || self.max_open == 0
        {
            return Err(Error::Config(
                "unfamiliar_signin needs merge_minutes > 0, follow_up_hours >= 0, \
                 vouch_hours >= 0, max_open > 0"
                    .into(),
            ));
        }
        Ok(())
    }

    /// What the vendor's verdict adds.
    fn vendor_score(&self, verdict: Option<RiskLevel>) -> f64 {
        match verdict {
            Some(RiskLevel::High) => self.vendor_high_score,
            Some(_) => self.vendor_medium_score,
            None => 0.0,
        }
    }

    /// What a judgement scores: the sign-in's own score plus what its verdict adds.
    fn score(&self, j: &Judged) -> f64 {
        j.score + self.vendor_score(j.verdict)
    }

    /// What the sign-in's own properties score: novelty, network and anonymity.
    fn own_score(&self, a: &Assessment) -> f64 {
        let anonymous = if a.anonymous {
            self.anonymous_score
        } else {
            0.0
        };
        a.score(&self.weights) + anonymous
    }

    /// The severity a judgement earns from its [`score`](Self::score), given what else is
    /// known.
    fn severity(&self, j: &Judged) -> Option<Severity> {
        let Judged {
            anonymous,
            trusted,
            service,
            verdict,
            ..
        } = *j;
        let score = self.score(j);
        // What the vendor says needs no mature profile: it comes from outside the profile.
        let at_least_medium = anonymous || verdict == Some(RiskLevel::High);
        let mut sev = if score >= self.high_score {
            Severity::High
        } else if score >= self.medium_score {
            Severity::Medium
        } else if score >= self.low_score {
            Severity::Low
        } else if at_least_medium {
            Severity::Medium
        } else {
            return None;
        };
        if at_least_medium {
            sev = sev.max(Severity::Medium);
        } else if verdict.is_some() {
            // A medium verdict speaks for itself, but a profile still learning cannot add
            // much to it.
            if !trusted {
                sev = sev.min(Severity::Medium);
            }
        } else if service || !trusted {
            sev = sev.min(Severity::Low);
        }
        Some(sev)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Open {
    finding: Finding,
    country: Option<String>,
    asn: Option<u32>,
    #[serde(with = "state::millis")]
    deadline: Timestamp,
    /// The device the sign-in came from when the identity had never used it.
    #[serde(default)]
    new_device: Option<String>,
    /// How the opening sign-in was judged, so a verdict on a later sign-in of the same visit
    /// is added to what the first one scored (absent in snapshots before it was kept: then a
    /// later verdict counts on its own).
    #[serde(default)]
    judged: Judged,
    /// Whether the opening sign-in came through a network many people share whose address
    /// is not the person's (a listed carrier, corporate egress, SASE, relay or satellite):
    /// its high finding is not remembered against the network.
    #[serde(default)]
    shared_network: bool,
}

/// What the opening sign-in of a finding scored before any vendor verdict, and what bounds
/// its severity.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Judged {
    /// Novelty, network and anonymity, without the vendor's verdict.
    score: f64,
    anonymous: bool,
    trusted: bool,
    service: bool,
    /// The strongest verdict the finding has named so far.
    verdict: Option<RiskLevel>,
    /// The parts `score` adds up, over the visit's sign-ins so far (absent in snapshots before
    /// they were kept: then a later sign-in adds nothing to the first's score).
    #[serde(default)]
    parts: Option<ScoreParts>,
}

/// The parts of a sign-in's score ([`Assessment::score`]): novelty of place and client, the
/// rest, and how familiar the client and the place are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct ScoreParts {
    location: f64,
    client: f64,
    other: f64,
    anchor: f64,
    place: f64,
}

impl ScoreParts {
    fn of(a: &Assessment) -> ScoreParts {
        ScoreParts {
            location: a.location,
            client: a.client,
            other: a.other,
            anchor: a.anchor,
            place: a.place,
        }
    }

    /// Two sign-ins of one visit as one: each part at its most unfamiliar. The victim's own
    /// browser relayed through a proxy, then another browser at the same address, is a new
    /// client at a new place, whichever record showed which.
    fn union(self, other: ScoreParts) -> ScoreParts {
        ScoreParts {
            location: self.location.max(other.location),
            client: self.client.max(other.client),
            other: self.other.max(other.other),
            anchor: self.anchor.min(other.anchor),
            place: self.place.min(other.place),
        }
    }

    fn score(self, w: &NoveltyWeights) -> f64 {
        Assessment {
            location: self.location,
            client: self.client,
            other: self.other,
            anchor: self.anchor,
            place: self.place,
            ..Assessment::default()
        }
        .score(w)
    }
}

/// What a snapshot holds (version 2; alerted networks absent before they were kept).
#[derive(Serialize)]
struct Saved<'a> {
    open: BTreeMap<&'a IdentityKey, &'a Open>,
    suspects: BTreeMap<&'a IdentityKey, &'a Suspect>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    alerted: BTreeMap<&'a IdentityKey, &'a Alerted>,
}

#[derive(Deserialize)]
struct Restored {
    open: BTreeMap<IdentityKey, Open>,
    suspects: BTreeMap<IdentityKey, Suspect>,
    #[serde(default)]
    alerted: BTreeMap<IdentityKey, Alerted>,
}

/// Flags a successful sign-in whose properties are new for its identity, scored by how many and
/// how rare: a new country, network and device together are worth far more than a new browser
/// version (which is no novelty at all: profiles keep browser families).
///
/// A finding about a device the identity had never used is revised down to low when that device
/// later signs in from the identity's own place and network, its own since before the finding
/// (a new laptop first used at a café is the user's, once it is seen at home); see
/// [`UnfamiliarConfig::vouch_hours`]. A sign-in from the network of one of its high findings
/// stays at least medium for [`UnfamiliarConfig::follow_up_hours`], so an intruder who keeps
/// coming back does not fade into the baseline (unless that network is a listed one many
/// people share: a carrier, a corporate egress, a gateway, a relay).
///
/// Every finding carries the baseline's maturity. While a profile is still learning, findings
/// stay below medium unless the vendor flags an anonymizing proxy or Tor, or gives its own
/// verdict of medium or high risk (Entra's and Okta's risk level, Google's suspicious-login
/// mark), which count from the first sign-in. Sign-ins with no profile at all (the identity's
/// first) are judged only on the proxy flags and a high-risk verdict.
///
/// ```
/// use palisade_baseline::BaselineStore;
/// use palisade_core::*;
/// use palisade_schema::*;
/// use palisade_signin::UnfamiliarSignIn;
///
/// let mut store = BaselineStore::default();
/// let mut detector = UnfamiliarSignIn::default();
/// let t0 = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
/// let sign_in = |t: Timestamp, id: &str, country: &str, asn: u32, ua: &str| {
///     let mut e = Event::new(t, id, Source::Entra,
///         Activity::SignIn(SignIn::success(SignInStage::Primary)))
///         .with_actor(Identity::new("ana@contoso.com"));
///     e.origin.country = Some(country.into());
///     e.origin.asn = Some(asn);
///     e.origin.user_agent = Some(ua.into());
///     e
/// };
/// let mut out = Vec::new();
/// let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36";
/// for d in 0..30 {
///     let e = sign_in(t0 + Duration::from_days(d), &format!("e{d}"), "AU", 7545, chrome);
///     let ctx = Context { profile: store.view(&IdentityKey::new("ana@contoso.com")), ..Context::empty() };
///     detector.observe(&e, &ctx, &mut out);
///     store.learn(&e);
/// }
/// assert!(out.is_empty());
/// let attack = sign_in(t0 + Duration::from_days(31), "x1", "US", 7922, "python-requests/2.31");
/// let ctx = Context { profile: store.view(&IdentityKey::new("ana@contoso.com")), ..Context::empty() };
/// detector.observe(&attack, &ctx, &mut out);
/// // New country (3) + new network (1.5) + new browser family (2): medium.
/// assert_eq!(out[0].severity, Severity::Medium);
/// assert!(out[0].summary.starts_with("first sign-in from US (AS7922)"));
/// assert!(out[0].summary.contains("30 earlier sign-ins over 29 days, all from AU"));
/// assert_eq!(out[0].baseline.unwrap().sign_ins, 30);
/// ```
#[derive(Debug)]
pub struct UnfamiliarSignIn {
    config: UnfamiliarConfig,
    /// Which networks are hosting providers or egresses (the built-in lists unless replaced).
    egress: Arc<EgressRegistry>,
    /// Keyed by a fast hash; snapshots sort, so no output depends on hash order.
    open: FxHashMap<IdentityKey, Open>,
    expiry: Expiry<IdentityKey>,
    bytes: usize,
    suspects: Suspects,
    alerted: AlertedNetworks,
}

impl Default for UnfamiliarSignIn {
    fn default() -> Self {
        UnfamiliarSignIn {
            config: UnfamiliarConfig::default(),
            egress: Arc::new(EgressRegistry::builtin()),
            open: FxHashMap::default(),
            expiry: Expiry::default(),
            bytes: 0,
            suspects: Suspects::default(),
            alerted: AlertedNetworks::default(),
        }
    }
}

impl UnfamiliarSignIn {
    /// A detector with these settings (validated) and the built-in egress lists.
    pub fn new(config: UnfamiliarConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(UnfamiliarSignIn {
            config,
            ..Self::default()
        })
    }

    /// The same detector reading these egress lists (share one registry with the impossible
    /// travel detector: build it once, hand each an `Arc`).
    ///
    /// ```
    /// use palisade_geo::EgressRegistry;
    /// use palisade_signin::UnfamiliarSignIn;
    /// let mut lists = EgressRegistry::builtin();
    /// let problems = lists.add_text("[corp]\nkind = corporate\nsource = us\n198.51.100.0/24\n", "corp");
    /// assert!(problems.is_empty());
    /// let detector = UnfamiliarSignIn::default().with_egress(lists);
    /// ```
    pub fn with_egress(mut self, egress: impl Into<Arc<EgressRegistry>>) -> Self {
        self.egress = egress.into();
        self
    }

    /// The settings.
    pub fn config(&self) -> &UnfamiliarConfig {
        &self.config
    }

    /// Applies what the sign-in's network says to `a` (see [`Through`]); returns the network
    /// when it changed the score or may hold the severity down.
    fn weigh_network(&self, a: &mut Assessment, event: &Event) -> Option<Through> {
        let through = match Through::of(&self.egress, event)? {
            // From a new country, on a server network neither the identity nor the tenant
            // uses: a token replayed, judged as a sign-in from a data centre.
            Through::Service { list }
                if a.is_new(Dimension::Country)
                    && a.is_unfamiliar(Dimension::Asn)
                    && a.network_share < self.config.service_network_share =>
            {
                Through::Hosting { list }
            }
            other => other,
        };
        // An egress the identity or the tenant knows: the place it shows is its own.
        let known = !a.is_unfamiliar(Dimension::Asn)
            || a.network_share >= self.config.service_network_share;
        match through {
            // iCloud Private Relay keeps the user's country: only the finer places are the
            // relay's.
            Through::Egress {
                kind: EgressKind::PrivateRelay,
                ..
            } if a.location > 0.0 => {
                let country: f64 = a
                    .novel
                    .iter()
                    .filter(|n| n.dim == Dimension::Country)
                    .map(|n| n.surprise)
                    .sum();
                let rest = (a.location - country).max(0.0);
                a.location = country + rest * self.config.egress_location_factor;
            }
            Through::Egress { kind, .. }
                if a.location > 0.0 && (kind == EgressKind::Satellite || known) =>
            {
                a.location *= self.config.egress_location_factor;
            }
            // New, not merely rare: an occasional Cloud PC session is the identity's own.
            Through::Hosting { .. } if a.is_new(Dimension::Asn) => {
                a.other += self.config.hosting_score;
            }
            Through::Service { .. } => {}
            _ => return None,
        }
        Some(through)
    }

    fn close(&mut self, key: &IdentityKey, out: &mut Vec<Finding>) {
        if let Some(mut open) = self.open.remove(key) {
            // Closed early (replaced, or evicted): its deadline must not close a successor.
            self.expiry.remove(key, open.deadline);
            self.bytes = self.bytes.saturating_sub(open_bytes(&open));
            out.push(state::revise(&mut open.finding, FindingStatus::Closed));
            // High on its own merits, not raised for following another alert: one false
            // alarm must not make a week of them.
            let own_high = self.config.severity(&open.judged) >= Some(Severity::High);
            if let (Some(asn), true, false) = (open.asn, own_high, open.shared_network) {
                let seen = open.finding.last_seen;
                let until = seen + Duration::from_hours(self.config.follow_up_hours);
                let alert = Alerted { asn, seen, until };
                self.alerted.hold(key, alert, self.config.max_open);
            }
            let hours = self.config.vouch_hours;
            if let Some(device) = open.new_device.filter(|_| hours > 0) {
                if open.finding.severity >= Severity::Medium {
                    let until = open.finding.last_seen + Duration::from_hours(hours);
                    let s = Suspect {
                        finding: open.finding,
                        device,
                        until,
                    };
                    self.suspects.hold(key, s, self.config.max_open);
                }
            }
        }
    }

    /// Revises a closed finding about this sign-in's device down to low when the sign-in
    /// comes from the identity's own place and network (see [`UnfamiliarConfig::vouch_hours`]).
    fn vouch(
        &mut self,
        event: &Event,
        key: &IdentityKey,
        (a, profile): (&Assessment, Option<&dyn ProfileView>),
        out: &mut Vec<Finding>,
    ) {
        let (Some(device), Some(p)) = (event.origin.device_id.as_deref(), profile) else {
            return;
        };
        let home = p.trusted()
            && event.origin.country.is_some()
            && ![
                Dimension::Country,
                Dimension::City,
                Dimension::Asn,
                Dimension::Prefix,
            ]
            .into_iter()
            .any(|d| a.is_unfamiliar(d));
        if !home {
            return;
        }
        let Some(since) = self
            .suspects
            .get(key)
            .filter(|s| s.device == device)
            .map(|s| s.finding.first_seen)
        else {
            return;
        };
        // Usual since before the finding: a place that only the device's own later visits made
        // familiar (an intruder coming back) vouches for nothing.
        let known_before = |dim: Dimension, value: &str| {
            p.familiarity(dim, value)
                .is_some_and(|f| f.first_seen < since)
        };
        let country = event.origin.country.as_deref().unwrap_or_default();
        let network = event
            .origin
            .asn
            .is_none_or(|asn| known_before(Dimension::Asn, &asn.to_string()));
        if !known_before(Dimension::Country, country) || !network {
            return;
        }
        let Some(Suspect { mut finding, .. }) = self.suspects.take(key, device) else {
            return;
        };
        // The identity's own machine: its network was no intruder's either.
        self.alerted.remove(key);
        let network = match (event.origin.asn, &event.origin.country) {
            (Some(asn), Some(c)) => format!(" (AS{asn}, {c})"),
            (None, Some(c)) => format!(" ({c})"),
            _ => String::new(),
        };
        finding.summary.push_str(&format!(
            "; lowered: the same device later signed in from this identity's usual place and \
             network{network}, so it is the identity's own new machine"
        ));
        finding.severity = Severity::Low;
        finding.evidence.push(event.id.clone());
        finding.last_seen = finding.last_seen.max(event.time);
        out.push(state::revise(&mut finding, FindingStatus::Closed));
    }

    /// Joins a sign-in from the open finding's origin to it; true when it did. A client the
    /// identity never used (another browser at the same address) adds what it shows to the
    /// visit's score, and is named.
    fn extend(
        &mut self,
        event: &Event,
        key: &IdentityKey,
        (sev, assessment): (Option<Severity>, &Assessment),
        verdict: Option<&Verdict>,
        out: &mut Vec<Finding>,
    ) -> bool {
        if self.open.is_empty() {
            return false;
        }
        let merge = Duration::from_mins(self.config.merge_minutes);
        let Some(open) = self.open.get_mut(key) else {
            return false;
        };
        if event.time > open.deadline {
            // Past its merge window (in batch mode `advance` may not have closed it yet): this
            // sign-in starts afresh.
            self.close(key, out);
            return false;
        }
        if open.country != event.origin.country || open.asn != event.origin.asn {
            return false;
        }
        let f = &mut open.finding;
        f.evidence.push(event.id.clone());
        f.last_seen = f.last_seen.max(event.time);
        f.entities.add_origin_of(event);
        let old = open.deadline;
        open.deadline = open.deadline.max(event.time + merge);
        self.expiry.set(key, Some(old), open.deadline);
        // A verdict the vendor gives a later record of the visit (Okta rates the session
        // start, not the MFA step before it) counts as if the first had carried it: the
        // profile has since learned from the first, so the later one alone scores less.
        let mut sev = sev;
        if let Some(v) = verdict.filter(|v| Some(v.level) > open.judged.verdict) {
            open.judged.verdict = Some(v.level);
            sev = sev.max(self.config.severity(&open.judged));
            let before = f.summary.capacity();
            f.summary.push_str("; then ");
            f.summary.push_str(&v.describe(event.source));
            self.bytes += f.summary.capacity() - before;
        }
        // Only a client the identity never used counts as the visit's news: a known one that
        // is merely less familiar than the first record's is the same person.
        let another_client =
            assessment.is_new(Dimension::Device) || assessment.is_new(Dimension::UserAgent);
        if let (Some(parts), true) = (open.judged.parts, another_client) {
            let visit = parts.union(ScoreParts::of(assessment));
            let score = visit.score(&self.config.weights)
                + if open.judged.anonymous {
                    self.config.anonymous_score
                } else {
                    0.0
                };
            if score > open.judged.score + 1e-9 {
                open.judged.score = score;
                open.judged.parts = Some(visit);
                sev = sev.max(self.config.severity(&open.judged));
                // The place is the visit's already: what is new is the client.
                let client = Assessment {
                    novel: assessment
                        .novel
                        .iter()
                        .filter(|n| {
                            !n.rare && matches!(n.dim, Dimension::Device | Dimension::UserAgent)
                        })
                        .cloned()
                        .collect(),
                    ..Assessment::default()
                };
                let what = describe_novelty(&client, event);
                let before = f.summary.capacity();
                f.summary.push_str("; then ");
                f.summary.push_str(&what);
                f.summary.push_str(" from the same network");
                self.bytes += f.summary.capacity() - before;
            }
        }
        let raised = sev.is_some_and(|s| s > f.severity);
        if let Some(s) = sev {
            f.severity = f.severity.max(s);
        }
        if raised || state::doubling(f.evidence.total) {
            out.push(state::revise(f, FindingStatus::Open));
        }
        true
    }

    fn recent_alarm(&self, event: &Event, ctx: &Context<'_>) -> bool {
        let window = Duration::from_hours(self.config.follow_up_hours);
        ctx.recent.iter().any(|r| {
            // One target among a spray's many was attacked, not taken: a spray that got in is
            // escalated by its own detector, and sprays hit most of a tenant.
            r.technique != Technique::PasswordSpraying
                && r.severity >= Severity::Medium
                && r.last_seen <= event.time
                && event.time.since(r.last_seen) <= window
        })
    }
}

fn open_bytes(o: &Open) -> usize {
    state::finding_bytes(&o.finding) + o.country.as_ref().map_or(0, String::capacity) + 64
}

impl Detector for UnfamiliarSignIn {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if !event.activity.is_successful_sign_in() {
            return;
        }
        let Some(identity) = event.identity() else {
            return;
        };
        // A profile with no sign-in learned yet (one whose first password stage waits for its
        // MFA step) is no history at all, as no profile is.
        let verdict = Verdict::of(event);
        let (mut assessment, trusted) = match ctx.profile.filter(|p| p.sign_ins() > 0) {
            Some(p) => (assess(event, p, &self.config.weights), p.trusted()),
            None => {
                let anonymous = event.vendor_signals.says_anonymous();
                if !anonymous && verdict.as_ref().is_none_or(|v| v.level != RiskLevel::High) {
                    return;
                }
                let a = Assessment {
                    anonymous,
                    ..Assessment::default()
                };
                (a, false)
            }
        };
        let through = self.weigh_network(&mut assessment, event);
        let service = matches!(through, Some(Through::Service { .. }));
        if !self.suspects.is_empty() {
            self.vouch(event, identity, (&assessment, ctx.profile), out);
        }
        let judged = Judged {
            score: self.config.own_score(&assessment),
            anonymous: assessment.anonymous,
            trusted,
            service,
            verdict: verdict.as_ref().map(|v| v.level),
            parts: Some(ScoreParts::of(&assessment)),
        };
        let score = self.config.score(&judged);
        let mut sev = self.config.severity(&judged);
        let returning = match self.alerted.is_empty() {
            true => None,
            false => self
                .alerted
                .of(identity, event.origin.asn, event.time)
                .map(|a| event.time.since(a.seen)),
        };
        if returning.is_some() {
            sev = sev.max(Some(Severity::Medium));
        }
        if self.extend(event, identity, (sev, &assessment), verdict.as_ref(), out) {
            return;
        }
        let Some(base) = sev else { return };
        // A service's sign-in is not the identity moving on after an alert.
        let follow_up = trusted
            && !service
            && assessment.is_new(Dimension::Country)
            && self.recent_alarm(event, ctx);
        if follow_up {
            sev = Some(base.bump());
        }
        let severity = sev.unwrap_or(base);
        if self.open.contains_key(identity) {
            self.close(identity, out);
        }
        if self.open.len() >= self.config.max_open {
            if let Some(oldest) = self.expiry.pop_earliest() {
                self.close(&oldest, out);
            }
        }
        let history = match ctx.profile {
            Some(p) => describe_history(p),
            None => "no earlier sign-ins".to_owned(),
        };
        let service_low = severity < Severity::Medium;
        let mut what = match &verdict {
            Some(v) if assessment.novel.is_empty() && !assessment.anonymous => {
                v.describe(event.source)
            }
            Some(v) => format!(
                "{}, {}",
                describe_novelty(&assessment, event),
                v.describe(event.source)
            ),
            None => match describe_novelty(&assessment, event) {
                // Back on an alerted network with nothing new worth naming: the network is
                // the news.
                d if returning.is_some() && d == NOTHING_NAMED => match event.origin.asn {
                    Some(asn) => format!("a sign-in from AS{asn}"),
                    None => "a sign-in".to_owned(),
                },
                d => d,
            },
        };
        // Named where it changed the score, or held the severity down.
        if let Some(t) = through.filter(|t| !matches!(t, Through::Service { .. }) || service_low) {
            what.push_str(", ");
            what.push_str(&t.describe(&self.egress));
        }
        let mut summary = format!("{what}; {history}");
        if follow_up {
            summary.push_str("; follows a recent alert on this identity");
        }
        if let (Some(ago), Some(asn)) = (returning, event.origin.asn) {
            summary.push_str(&format!(
                "; AS{asn} is the network of a high alert on this identity {} earlier",
                ago.plain()
            ));
        }
        let mut finding = Finding::new(NAME, Some(identity.clone()), &event.id, event.time)
            .with_severity(severity)
            .with_technique(Technique::ValidCloudAccounts)
            .with_confidence((score / (self.config.high_score * 1.5)) as f32)
            .with_summary(summary);
        finding.entities.add_origin_of(event);
        finding.baseline = Some(match ctx.profile {
            Some(p) => p.maturity(),
            None => Default::default(),
        });
        out.push(finding.clone());
        let deadline = event.time + Duration::from_mins(self.config.merge_minutes);
        let open = Open {
            finding,
            country: event.origin.country.clone(),
            asn: event.origin.asn,
            deadline,
            new_device: assessment
                .is_new(Dimension::Device)
                .then(|| event.origin.device_id.clone())
                .flatten(),
            judged,
            shared_network: self
                .egress
                .lookup(event.origin.ip, event.origin.asn)
                .is_some_and(|m| {
                    matches!(
                        m.list.kind,
                        EgressKind::Mobile
                            | EgressKind::Corporate
                            | EgressKind::Sase
                            | EgressKind::PrivateRelay
                            | EgressKind::Satellite
                    )
                }),
        };
        self.bytes += open_bytes(&open) + identity.as_str().len();
        self.expiry.set(identity, None, deadline);
        self.open.insert(identity.clone(), open);
    }

    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        while let Some(key) = self.expiry.pop_due(now) {
            self.close(&key, out);
        }
        self.suspects.expire(now);
        self.alerted.expire(now);
    }

    fn forget(&mut self, identity: &IdentityKey) {
        if let Some(open) = self.open.remove(identity) {
            self.expiry.remove(identity, open.deadline);
            self.bytes = self.bytes.saturating_sub(open_bytes(&open));
        }
        self.suspects.remove(identity);
        self.alerted.remove(identity);
    }

    fn state_bytes(&self) -> usize {
        self.bytes
            + self.expiry.len() * 48
            + self.suspects.state_bytes()
            + self.alerted.state_bytes()
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let saved = Saved {
            open: self.open.iter().collect(),
            suspects: self.suspects.sorted(),
            alerted: self.alerted.sorted(),
        };
        state::encode(NAME, VERSION, &saved)
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let Restored {
            open,
            suspects,
            alerted,
        } = match state::decode(NAME, VERSION, bytes) {
            Err(Error::SnapshotVersion { found: 1, .. }) => Restored {
                open: state::decode(NAME, 1, bytes)?,
                suspects: BTreeMap::new(),
                alerted: BTreeMap::new(),
            },
            restored => restored?,
        };
        self.suspects = Suspects::restored(suspects);
        self.alerted = AlertedNetworks::restored(alerted);
        self.expiry.clear();
        self.bytes = 0;
        for (k, o) in &open {
            self.expiry.set(k, None, o.deadline);
            self.bytes += open_bytes(o) + k.as_str().len();
        }
        self.open = open.into_iter().collect();
        Ok(())
    }
}
