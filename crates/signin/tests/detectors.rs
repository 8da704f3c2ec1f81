//! Behaviour of the sign-in detectors against real baselines (palisade-baseline as a dev-dependency).
#![allow(clippy::unwrap_used)]

use palisade_baseline::BaselineStore;
use palisade_core::*;
use palisade_schema::*;
use palisade_signin::*;
use proptest::prelude::*;

const T0: i64 = 1_709_283_600_000; // 2024-03-01T09:00:00Z

fn at_min(m: i64) -> Timestamp {
    Timestamp::from_millis_unchecked(T0 + m * 60_000)
}

#[derive(Clone, Debug)]
struct Origin {
    country: &'static str,
    city: &'static str,
    asn: u32,
    ip: &'static str,
    device: Option<&'static str>,
    ua: &'static str,
}

const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

impl Origin {
    /// The same client on the home network.
    fn with_home_network(self) -> Origin {
        let h = home();
        Origin {
            country: h.country,
            city: h.city,
            asn: h.asn,
            ip: h.ip,
            ..self
        }
    }
}

fn home() -> Origin {
    Origin {
        country: "AU",
        city: "Sydney",
        asn: 7545,
        ip: "110.174.9.20",
        device: Some("laptop-1"),
        ua: CHROME_WIN,
    }
}

fn paris_hotel() -> Origin {
    Origin {
        country: "FR",
        city: "Paris",
        asn: 3215,
        ip: "90.12.4.7",
        device: Some("laptop-1"),
        ua: CHROME_WIN,
    }
}

/// Another trip, on the same laptop.
fn tokyo_hotel() -> Origin {
    Origin {
        country: "JP",
        city: "Tokyo",
        asn: 2516,
        ip: "133.1.2.3",
        ..paris_hotel()
    }
}

fn attacker() -> Origin {
    Origin {
        country: "US",
        city: "Ashburn",
        asn: 7922,
        ip: "73.22.1.9",
        device: None,
        ua: "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    }
}

fn event(who: &str, t: Timestamp, id: &str, o: &Origin, act: Activity) -> Event {
    let mut e = Event::new(t, id, Source::Entra, act).with_actor(Identity::new(who));
    e.origin.country = Some(o.country.into());
    e.origin.city = Some(o.city.into());
    e.origin.asn = Some(o.asn);
    e.origin.ip = Some(o.ip.parse().unwrap());
    e.origin.device_id = o.device.map(Into::into);
    e.origin.user_agent = Some(o.ua.into());
    e
}

fn ok() -> Activity {
    Activity::SignIn(SignIn::success(SignInStage::Primary))
}

fn failed(reason: FailureReason) -> Activity {
    let stage = if reason.is_mfa() {
        SignInStage::Mfa
    } else {
        SignInStage::Primary
    };
    Activity::SignIn(SignIn::failure(stage, reason))
}

fn mfa_ok() -> Activity {
    Activity::SignIn(SignIn::success(SignInStage::Mfa))
}

/// A failed MFA step with `factor`, as a vendor that says only "failed" logs it.
fn failed_step(factor: Factor) -> Activity {
    let mut s = SignIn::failure(SignInStage::Mfa, FailureReason::MfaFailed);
    s.factor = Some(factor);
    Activity::SignIn(s)
}

/// `e` as `source` logs it; Google Workspace names no client (no device, no user agent).
fn from(source: Source, mut e: Event) -> Event {
    e.source = source;
    if source == Source::GoogleWorkspace {
        e.origin.user_agent = None;
        e.origin.device_id = None;
    }
    e
}

/// Runs events through a store and detectors the way the pipeline does: view, observe, learn.
struct Harness<D: Detector> {
    store: BaselineStore,
    det: D,
    out: Vec<Finding>,
}

impl<D: Detector> Harness<D> {
    fn new(det: D) -> Self {
        Harness {
            store: BaselineStore::default(),
            det,
            out: Vec::new(),
        }
    }
    fn run(&mut self, e: &Event) -> Vec<Finding> {
        self.run_after(e, &[])
    }
    /// Runs `e` with `recent` as the identity's recent findings.
    fn run_after(&mut self, e: &Event, recent: &[FindingRef]) -> Vec<Finding> {
        let start = self.out.len();
        let profile = e.identity().and_then(|k| self.store.view(k));
        let ctx = Context {
            profile,
            recent,
            ..Context::empty()
        };
        self.det.observe(e, &ctx, &mut self.out);
        self.store.learn(e);
        self.out[start..].to_vec()
    }
    fn advance(&mut self, t: Timestamp) -> Vec<Finding> {
        let start = self.out.len();
        self.det.advance(t, &mut self.out);
        self.out[start..].to_vec()
    }
    /// 40 sign-ins over 40 days from home.
    fn learn_home(&mut self, who: &str) {
        for d in 0..40 {
            let e = event(who, at_min(d * 1440), &format!("{who}-h{d}"), &home(), ok());
            assert!(self.run(&e).is_empty(), "home sign-ins are familiar");
        }
    }
}

const DAY: i64 = 1440;

#[test]
fn traveller_on_own_laptop_stays_low_attacker_is_high() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let trip = h.run(&event(
        "ana@x.com",
        at_min(41 * DAY),
        "trip",
        &paris_hotel(),
        ok(),
    ));
    assert_eq!(trip.len(), 1);
    assert_eq!(trip[0].severity, Severity::Low, "{}", trip[0].summary);
    h.advance(at_min(42 * DAY));

    let x = h.run(&event(
        "ana@x.com",
        at_min(50 * DAY),
        "x1",
        &attacker(),
        ok(),
    ));
    assert_eq!(x.len(), 1);
    let f = &x[0];
    assert_eq!(f.severity, Severity::High, "{}", f.summary);
    assert_eq!(f.technique, Technique::ValidCloudAccounts);
    assert!(
        f.summary.starts_with("first sign-in from US (AS7922)"),
        "{}",
        f.summary
    );
    assert!(
        f.summary
            .contains("41 earlier sign-ins over 41 days, mostly from AU"),
        "{}",
        f.summary
    );
    let b = f.baseline.unwrap();
    assert_eq!((b.sign_ins, b.trusted), (41, true));
    assert_eq!(
        f.id,
        FindingId::derive(&["unfamiliar_signin", "ana@x.com", "x1"])
    );
}

/// The identity provider's own verdict adds to what the sign-in's novelty scores: a trip Entra
/// rates medium risk is medium, a familiar sign-in it rates medium is only low, a high rating is
/// at least medium whatever the profile knows (even with no profile yet), and a low rating (the
/// vendors give one to many ordinary sign-ins) changes nothing.
#[test]
fn the_vendors_own_risk_verdict_adds_to_the_score() {
    let rated = |id: &str, at: Timestamp, o: &Origin, level: RiskLevel| {
        let mut e = event("ana@x.com", at, id, o, ok());
        e.vendor_signals.risk_level = Some(level);
        e.vendor_signals.risk_event_types = vec!["unfamiliarFeatures".into()];
        e
    };
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");

    // A trip alone is low (see above); rated low by Entra, still low.
    let f = h.run(&rated(
        "t1",
        at_min(41 * DAY),
        &paris_hotel(),
        RiskLevel::Low,
    ));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(!f[0].summary.contains("risk"), "{}", f[0].summary);
    h.advance(at_min(42 * DAY));
    // Another trip, rated medium: medium, and the summary says who judged what.
    let tokyo = tokyo_hotel();
    let f = h.run(&rated("t2", at_min(43 * DAY), &tokyo, RiskLevel::Medium));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
    assert!(
        f[0].summary.starts_with("first sign-in from JP (AS2516), ")
            && f[0]
                .summary
                .contains(", Entra rates the sign-in medium risk (unfamiliarFeatures); "),
        "{}",
        f[0].summary
    );
    h.advance(at_min(44 * DAY));
    // From home, rated medium: low. Rated high: medium, naming only the verdict.
    let f = h.run(&rated("h1", at_min(45 * DAY), &home(), RiskLevel::Medium));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    h.advance(at_min(46 * DAY));
    let f = h.run(&rated("h2", at_min(47 * DAY), &home(), RiskLevel::High));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
    assert!(
        f[0].summary
            .starts_with("Entra rates the sign-in high risk (unfamiliarFeatures); "),
        "{}",
        f[0].summary
    );

    // A profile still learning: a medium verdict on a trip with a new browser is medium, not
    // more (Entra rates many of a new hire's sign-ins medium).
    let mut h2 = Harness::new(UnfamiliarSignIn::default());
    for d in 0..3 {
        h2.run(&event(
            "ana@x.com",
            at_min(d * DAY),
            &format!("n{d}"),
            &home(),
            ok(),
        ));
    }
    let f = h2.run(&rated(
        "l1",
        at_min(4 * DAY),
        &attacker(),
        RiskLevel::Medium,
    ));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);

    // No profile yet: only a high verdict speaks, with the vendor's flags beside it.
    let mut first = event("new3@x.com", at_min(0), "n3", &attacker(), ok());
    first.vendor_signals.risk_level = Some(RiskLevel::High);
    first.vendor_signals.tor = Some(true);
    let f = h.run(&first);
    assert_eq!(f[0].severity, Severity::High, "{}", f[0].summary);
    assert!(
        f[0].summary.contains("the vendor flags Tor"),
        "{}",
        f[0].summary
    );
    let mut first = event("new@x.com", at_min(0), "n1", &attacker(), ok());
    first.vendor_signals.risk_level = Some(RiskLevel::Medium);
    assert!(h.run(&first).is_empty());
    let mut first = event("new2@x.com", at_min(0), "n2", &attacker(), ok());
    first.vendor_signals.risk_state = Some("confirmedCompromised".into());
    let f = h.run(&first);
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
}

/// A vendor rates a later record of the visit, not the first: Okta logs the MFA step of a
/// sign-in before the session start that carries the risk. The verdict counts as if the first
/// record had carried it (the profile has learned from that record since, so the later one
/// alone scores less), and the finding names it.
#[test]
fn a_verdict_on_a_later_record_of_the_visit_raises_the_open_finding() {
    let tokyo = tokyo_hotel();
    let rate = |mut e: Event, level: RiskLevel| {
        e.vendor_signals.risk_level = Some(level);
        e.vendor_signals.reasons = vec!["New Geo-Location".into()];
        e
    };
    for level in [RiskLevel::Medium, RiskLevel::High] {
        let step = from(
            Source::Okta,
            event("ana@x.com", at_min(41 * DAY), "mfa1", &tokyo, mfa_ok()),
        );
        // What the visit earns when its first record carries the verdict.
        let mut h = Harness::new(UnfamiliarSignIn::default());
        h.learn_home("ana@x.com");
        let want = h.run(&rate(step.clone(), level))[0].severity;
        assert!(want >= Severity::Medium, "{level:?}");

        let mut h = Harness::new(UnfamiliarSignIn::default());
        h.learn_home("ana@x.com");
        let f = h.run(&step);
        assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
        let start = rate(
            from(
                Source::Okta,
                event("ana@x.com", at_min(41 * DAY + 1), "start1", &tokyo, ok()),
            ),
            level,
        );
        let f = h.run(&start);
        let revised = f.last().unwrap();
        assert_eq!(
            revised.id,
            FindingId::derive(&["unfamiliar_signin", "ana@x.com", "mfa1"])
        );
        assert_eq!(revised.severity, want, "{level:?}: {}", revised.summary);
        assert!(
            revised.summary.ends_with(
                "; then Okta rates the sign-in {} risk (New Geo-Location)"
                    .replace(
                        "{}",
                        if level == RiskLevel::High {
                            "high"
                        } else {
                            "medium"
                        }
                    )
                    .as_str()
            ),
            "{}",
            revised.summary
        );
        // Named once: the same verdict again adds nothing.
        let mut again = start.clone();
        again.id = "start2".into();
        again.time = at_min(41 * DAY + 2);
        let f = h.run(&again);
        assert!(f
            .iter()
            .all(|f| f.summary.matches("then Okta").count() <= 1));
    }
}

/// Where the vendor says whether MFA was satisfied (CloudTrail `MFAUsed`), going without it
/// counts for an identity whose sign-ins always had it: from home it is low, on a trip it makes
/// the trip medium. An identity that never used MFA, or a source that does not say, changes
/// nothing.
#[test]
fn a_sign_in_without_mfa_by_an_identity_that_always_had_it() {
    let with_mfa = |e: Event, satisfied: Option<bool>| {
        let mut e = from(Source::CloudTrail, e);
        if let Activity::SignIn(s) = &mut e.activity {
            s.mfa_satisfied = satisfied;
        }
        e
    };
    let brazil = Origin {
        country: "BR",
        city: "Sao Paulo",
        asn: 28573,
        ip: "177.10.1.2",
        ..home()
    };
    let learn = |h: &mut Harness<UnfamiliarSignIn>, who: &str, satisfied: Option<bool>| {
        for d in 0..20 {
            let e = event(who, at_min(d * DAY), &format!("{who}-{d}"), &home(), ok());
            assert!(h.run(&with_mfa(e, satisfied)).is_empty());
        }
    };
    let mut h = Harness::new(UnfamiliarSignIn::default());

    // Always with MFA: a trip with it is low, the same trip without it medium.
    learn(&mut h, "root@x.com", Some(true));
    let trip = event("root@x.com", at_min(21 * DAY), "t1", &brazil, ok());
    let f = h.run(&with_mfa(trip.clone(), Some(true)));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(!f[0].summary.contains("MFA"), "{}", f[0].summary);
    h.advance(at_min(22 * DAY));
    learn(&mut h, "ops@x.com", Some(true));
    let mut bare = trip.clone();
    bare.actor = Some(Identity::new("ops@x.com"));
    bare.id = "t2".into();
    let f = h.run(&with_mfa(bare, Some(false)));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
    assert!(
        f[0].summary
            .contains("first sign-in from BR (AS28573), first sign-in without MFA"),
        "{}",
        f[0].summary
    );
    // From home, without MFA for the first time: low, and said.
    learn(&mut h, "dev@x.com", Some(true));
    let e = event("dev@x.com", at_min(21 * DAY), "h1", &home(), ok());
    let f = h.run(&with_mfa(e, Some(false)));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(
        f[0].summary.starts_with("first sign-in without MFA"),
        "{}",
        f[0].summary
    );

    // Never with MFA, or never said: the trip without it stays low.
    for (who, habit) in [("legacy@x.com", Some(false)), ("okta@x.com", None)] {
        learn(&mut h, who, habit);
        let mut e = trip.clone();
        e.actor = Some(Identity::new(who));
        e.id = format!("{who}-trip");
        let f = h.run(&with_mfa(e, habit.and(Some(false))));
        assert_eq!(f[0].severity, Severity::Low, "{who}: {}", f[0].summary);
        assert!(!f[0].summary.contains("MFA"), "{who}: {}", f[0].summary);
    }

    // Entra's `singleFactorAuthentication` names only what was required (an earlier MFA
    // claim meets it): from an identity with the MFA habit, it is not "without MFA".
    learn(&mut h, "entra@x.com", Some(true));
    let mut e = with_mfa(trip.clone(), Some(false));
    e.source = Source::Entra;
    e.actor = Some(Identity::new("entra@x.com"));
    e.id = "entra-trip".into();
    let f = h.run(&e);
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(!f[0].summary.contains("MFA"), "{}", f[0].summary);

    // Two sign-ins with MFA are not yet a habit to go without.
    let mut fresh = Harness::new(UnfamiliarSignIn::default());
    for d in 0..2 {
        let e = event(
            "new@x.com",
            at_min(d * DAY),
            &format!("n{d}"),
            &home(),
            ok(),
        );
        fresh.run(&with_mfa(e, Some(true)));
    }
    let e = event("new@x.com", at_min(3 * DAY), "n3", &home(), ok());
    assert!(fresh.run(&with_mfa(e, Some(false))).is_empty());
}

/// A phishing proxy (adversary in the middle) on a rented server in the victim's own city
/// relays the victim's own browser: the only new things are the network, its address block,
/// and that it is a data centre. The built-in lists name the rented-server providers, so the
/// finding says where it came from; it stays low (a tenant's VPN on a cloud reads the same).
#[test]
fn a_rented_server_in_the_victims_own_city_is_named() {
    let proxy = Origin {
        asn: 16276,
        ip: "51.161.20.7",
        device: None,
        ..home()
    };
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("cy@x.com");
    let f = h.run(&event("cy@x.com", at_min(41 * DAY), "p1", &proxy, ok()));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(
        f[0].summary
            .contains("from a hosting network (egress list \"ovhcloud\")"),
        "{}",
        f[0].summary
    );
}

/// An adversary-in-the-middle proxy in the victim's own city relays their browser (low: a Cloud
/// PC reads the same); forty minutes later another browser signs in from the proxy's address.
/// Together they are a stranger's client on a data-centre address, whichever record showed
/// which: the finding is raised and says why.
#[test]
fn another_browser_at_a_relayed_sign_ins_address_raises_the_visit() {
    let proxy = Origin {
        country: "AU",
        city: "Sydney",
        asn: 14061,
        ip: "170.64.1.2",
        device: None,
        ua: CHROME_WIN,
    };
    let firefox = Origin {
        ua: "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ..proxy.clone()
    };
    let visit = |second: &Origin| {
        let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
        h.learn_home("ana@x.com");
        let mut said = h.run(&event("ana@x.com", at_min(41 * DAY), "relay", &proxy, ok()));
        assert_eq!(said.len(), 1, "{said:?}");
        assert_eq!(said[0].severity, Severity::Low, "{}", said[0].summary);
        said.extend(h.run(&event(
            "ana@x.com",
            at_min(41 * DAY + 40),
            "replay",
            second,
            ok(),
        )));
        said.extend(h.advance(at_min(42 * DAY)));
        said
    };
    let said = visit(&firefox);
    let last = said.last().unwrap();
    assert!(last.severity >= Severity::Medium, "{}", last.summary);
    assert!(
        last.summary
            .ends_with("; then new browser/OS Firefox on Linux from the same network"),
        "{}",
        last.summary
    );
    assert_eq!(last.evidence.event_ids, ["relay", "replay"]);
    // The same browser again is the same visit, and says nothing new.
    let said = visit(&proxy);
    let last = said.last().unwrap();
    assert_eq!(last.severity, Severity::Low, "{}", last.summary);
    assert!(!last.summary.contains("; then"), "{}", last.summary);

    // A traveller's laptop at the hotel, then the phone they used once at home: a client the
    // identity knows adds nothing to the visit, though the phone is less familiar than the
    // laptop and the hotel's network less new by the second record.
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    h.learn_home("ana@x.com");
    let phone = Origin {
        device: None,
        ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
        ..home()
    };
    h.run(&event(
        "ana@x.com",
        at_min(30 * DAY + 600),
        "ph",
        &phone,
        ok(),
    ));
    let mut said = h.run(&event(
        "ana@x.com",
        at_min(41 * DAY),
        "l",
        &paris_hotel(),
        ok(),
    ));
    let first = said[0].severity;
    let phone_there = Origin {
        device: phone.device,
        ua: phone.ua,
        ..paris_hotel()
    };
    let t = at_min(41 * DAY + 20);
    said.extend(h.run(&event("ana@x.com", t, "p", &phone_there, ok())));
    said.extend(h.advance(at_min(42 * DAY)));
    let last = said.last().unwrap();
    assert_eq!(last.severity, first, "{}", last.summary);
    assert!(!last.summary.contains("; then"), "{}", last.summary);
}

/// Egress lists of one hosting provider and one SASE service, as a tenant would write them.
fn networks() -> palisade_geo::EgressRegistry {
    let mut lists = palisade_geo::EgressRegistry::new();
    let problems = lists.add_text(
        "[vps]\nkind = hosting\nsource = test\nAS14061\n\
         [zscaler]\nkind = sase\nsource = test\n165.225.0.0/16\n",
        "test",
    );
    assert!(problems.is_empty(), "{problems:?}");
    lists
}

/// Nobody's laptop sits in a data centre: a first sign-in from a hosting network with the
/// identity's usual browser is medium where a trip is low. A service refreshing a token from
/// one (a non-interactive sign-in) is low at most, unless it comes from a new country on a
/// server network nobody here uses (a replayed token); a SASE node in another country locates
/// the node, not the person.
#[test]
fn hosting_networks_and_egresses_change_what_a_new_place_means() {
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    h.learn_home("ana@x.com");
    let vps = Origin {
        country: "NL",
        city: "Amsterdam",
        asn: 14061,
        ip: "188.166.9.9",
        device: None,
        ua: CHROME_WIN,
    };
    let f = h.run(&event("ana@x.com", at_min(41 * DAY), "v1", &vps, ok()));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
    assert!(
        f[0].summary
            .contains("from a hosting network (egress list \"vps\")"),
        "{}",
        f[0].summary
    );
    // The same place with no lists (the built-in ones name DigitalOcean too): a traveller's.
    let no_lists = || UnfamiliarSignIn::default().with_egress(palisade_geo::EgressRegistry::new());
    let mut plain = Harness::new(no_lists());
    plain.learn_home("ana@x.com");
    let f = plain.run(&event("ana@x.com", at_min(41 * DAY), "v1", &vps, ok()));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);

    // A mail app's cloud refreshing a token (a non-interactive sign-in) from a data centre in
    // Bo's own country: a service acting for him, low at most.
    let cloud = |country: &'static str, city: &'static str| Origin {
        country,
        city,
        ua: "Outlook-iOS/709.2189947.prod.iphone (4.2351.0)",
        ..vps
    };
    let refresh = |who: &str, id: &str, o: &Origin| {
        let mut e = event(who, at_min(41 * DAY), id, o, ok());
        e.sign_in_kind = Some(SignInKind::NonInteractive);
        e
    };
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    h.learn_home("bo@x.com");
    let f = h.run(&refresh("bo@x.com", "r1", &cloud("AU", "Sydney")));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    assert!(
        f[0].summary.contains("a service acting for the identity"),
        "{}",
        f[0].summary
    );
    // From another continent, on a server network neither Bo nor anyone here uses: a stolen
    // token replayed from a data centre.
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    h.learn_home("bo@x.com");
    let f = h.run(&refresh("bo@x.com", "r2", &cloud("IE", "Dublin")));
    let open = f.iter().find(|f| f.status == FindingStatus::Open).unwrap();
    assert!(open.severity >= Severity::High, "{}", open.summary);
    assert!(
        open.summary.contains("from a hosting network"),
        "{}",
        open.summary
    );
    // The same, where the tenant's people commonly sign in through that cloud: a service.
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    for i in 0..24 {
        let who = format!("user{i}@x.com");
        h.learn_home(&who);
        h.run(&refresh(&who, &format!("c{i}"), &cloud("IE", "Dublin")));
    }
    h.learn_home("bo@x.com");
    let f = h.run(&refresh("bo@x.com", "r3", &cloud("IE", "Dublin")));
    assert!(f.iter().all(|f| f.severity == Severity::Low), "{f:?}");
    // Interactive, the same sign-in is a stranger in a data centre.
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    h.learn_home("bo@x.com");
    let f = h.run(&event(
        "bo@x.com",
        at_min(41 * DAY),
        "r4",
        &cloud("IE", "Dublin"),
        ok(),
    ));
    assert!(f[0].severity >= Severity::High, "{}", f[0].summary);

    // Ana works through Zscaler (its Sydney node), then a new laptop of hers comes out of its
    // node in the US: the node's country counts for little. An egress she never used is no
    // allowance: an intruder can pick one.
    let sydney_node = Origin {
        country: "AU",
        city: "Sydney",
        asn: 53813,
        ip: "165.225.114.1",
        ..home()
    };
    let node = Origin {
        country: "US",
        city: "San Jose",
        ip: "165.225.242.17",
        device: Some("laptop-2"),
        ..sydney_node
    };
    let run_both = |with_zscaler_days: bool| {
        let mut out = Vec::new();
        for lists in [networks(), palisade_geo::EgressRegistry::new()] {
            let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(lists));
            h.learn_home("ana@x.com");
            if with_zscaler_days {
                for d in 0..12 {
                    let at = at_min(d * DAY + 600);
                    h.run(&event(
                        "ana@x.com",
                        at,
                        &format!("zs{d}"),
                        &sydney_node,
                        ok(),
                    ));
                }
            }
            h.advance(at_min(40 * DAY + 700));
            out.push(h.run(&event("ana@x.com", at_min(41 * DAY), "z1", &node, ok())));
        }
        (out.remove(0), out.remove(0))
    };
    let (through, direct) = run_both(true);
    assert_eq!(direct.len(), 1, "without the list, a trip");
    assert!(
        through.is_empty()
            || (through[0].confidence < direct[0].confidence
                && through[0]
                    .summary
                    .contains("(sase), which locates the egress")),
        "{through:?} vs {direct:?}"
    );
    let (through, direct) = run_both(false);
    assert_eq!(through.len(), 1);
    assert_eq!(through[0].confidence, direct[0].confidence, "{through:?}");
}

/// A Cloud PC opened every other week, between two sign-ins a day from home: its data centre
/// network is rare for the identity (under 5% of its sign-ins), not new, so it adds nothing
/// for being a data centre; only the first session was a data centre never seen.
#[test]
fn an_occasional_cloud_pc_is_not_a_stranger_in_a_data_centre() {
    let cloud_pc = Origin {
        country: "AU",
        city: "Sydney",
        asn: 14061,
        ip: "170.64.1.1",
        device: Some("cloudpc-1"),
        ua: CHROME_WIN,
    };
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(networks()));
    for d in 0..90 {
        for (half, at) in [(0, d * DAY), (1, d * DAY + 480)] {
            let e = if d % 15 == 14 && half == 1 {
                event("ana@x.com", at_min(at), &format!("c{d}"), &cloud_pc, ok())
            } else {
                event(
                    "ana@x.com",
                    at_min(at),
                    &format!("h{d}-{half}"),
                    &home(),
                    ok(),
                )
            };
            let f = h.run(&e);
            let hosting = f
                .iter()
                .any(|f| f.summary.contains("from a hosting network"));
            if e.id == "c14" {
                assert!(
                    hosting,
                    "the first session is a data centre never seen: {f:?}"
                );
            } else if e.id.starts_with('c') {
                assert!(!hosting, "{}: {f:?}", e.id);
            }
        }
    }
}

/// The device outranks the browser family, and the place discounts the client: a new laptop
/// on the home network is low; the same new laptop on a network nobody here uses is not; a
/// stranger's machine abroad running the identity's usual browser is a stranger all the same.
/// Where an identity's sign-ins name their client, one that names none (legacy protocols,
/// scripts) from another continent is no traveller's laptop: medium or above. Where they never
/// do (Google Workspace), a trip is as ambiguous as with the usual browser: low.
#[test]
fn a_sign_in_naming_no_client_is_judged_by_what_the_identity_usually_names() {
    let bare = |o: &Origin| {
        let mut e = event("bo@x.com", at_min(41 * DAY), "bare", o, ok());
        e.origin.user_agent = None;
        e.origin.device_id = None;
        e
    };
    let mut named = Harness::new(UnfamiliarSignIn::default());
    named.learn_home("bo@x.com");
    let f = named.run(&bare(&attacker()));
    assert_eq!(f.len(), 1);
    assert!(f[0].severity >= Severity::Medium, "{}", f[0].summary);

    let mut never = Harness::new(UnfamiliarSignIn::default());
    for d in 0..40 {
        let e = from(
            Source::GoogleWorkspace,
            event("bo@x.com", at_min(d * DAY), &format!("h{d}"), &home(), ok()),
        );
        assert!(never.run(&e).is_empty());
    }
    let f = never.run(&from(Source::GoogleWorkspace, bare(&paris_hotel())));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
}

#[test]
fn new_laptop_at_home_is_low_a_stranger_with_a_familiar_browser_is_high() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    for who in ["ana@x.com", "bo@x.com", "cy@x.com"] {
        h.learn_home(who);
    }
    let new_laptop = Origin {
        device: Some("laptop-2"),
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
        ..home()
    };
    let t = at_min(41 * DAY);
    let at_home = h.run(&event("ana@x.com", t, "a", &new_laptop, ok()));
    assert_eq!(at_home.len(), 1);
    assert_eq!(at_home[0].severity, Severity::Low, "{}", at_home[0].summary);

    let cafe = Origin {
        asn: 1221,
        ip: "1.129.40.7",
        ..new_laptop
    };
    let f = h.run(&event("bo@x.com", t, "b", &cafe, ok()));
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);

    let stranger = Origin {
        device: Some("not-hers"),
        ua: CHROME_WIN,
        ..attacker()
    };
    let f = h.run(&event("cy@x.com", t, "c", &stranger, ok()));
    assert_eq!(f[0].severity, Severity::High, "{}", f[0].summary);
    assert!(
        f[0].summary.starts_with("first sign-in from US (AS7922)")
            && f[0].summary.contains("new device not-hers")
            && !f[0].summary.contains("browser"),
        "{}",
        f[0].summary
    );
}

/// An intruder signs in from their own machine and network (high), then comes back every three
/// hours for a day. The profile learns each visit, so by the third their network and browser
/// read as familiar; the network of a high alert stays at least medium for `follow_up_hours`,
/// and each finding says why.
#[test]
fn an_intruder_returning_to_an_alerted_network_stays_medium() {
    let intruder = Origin {
        device: Some("x-box"),
        ..attacker()
    };
    let visits = |config: UnfamiliarConfig, cut: Option<usize>| {
        let mut h = Harness::new(UnfamiliarSignIn::new(config.clone()).unwrap());
        h.learn_home("ana@x.com");
        let t0 = at_min(41 * DAY);
        let mut closed = Vec::new();
        for k in 0..9 {
            if Some(k) == cut {
                let bytes = h.det.snapshot().unwrap();
                h.det = UnfamiliarSignIn::new(config.clone()).unwrap();
                h.det.restore(&bytes).unwrap();
            }
            let t = t0 + Duration::from_hours(3 * k as i64);
            h.run(&event("ana@x.com", t, &format!("x{k}"), &intruder, ok()));
            closed.extend(
                h.advance(t + Duration::from_hours(2))
                    .into_iter()
                    .filter(|f| f.status == FindingStatus::Closed),
            );
        }
        // The intruder's device at their own, now familiar, place vouches for nothing: the
        // first finding is never revised down.
        let first = closed.first().unwrap().id.clone();
        let last = h.out.iter().rev().find(|f| f.id == first).unwrap();
        assert_eq!(last.severity, closed[0].severity, "{}", last.summary);
        closed
    };
    let said = visits(UnfamiliarConfig::default(), None);
    assert_eq!(said.len(), 9, "one finding per visit: {said:?}");
    assert_eq!(said[0].severity, Severity::High, "{}", said[0].summary);
    for f in &said[1..] {
        assert_eq!(f.severity, Severity::Medium, "{}", f.summary);
    }
    assert!(
        said[1].summary.ends_with(
            "; AS7922 is the network of a high alert on this identity 3 h 00 min earlier"
        ),
        "{}",
        said[1].summary
    );
    // The memory survives a snapshot.
    for cut in [1, 4] {
        assert_eq!(
            visits(UnfamiliarConfig::default(), Some(cut)),
            said,
            "cut at {cut}"
        );
    }
    // Without it (follow_up_hours 0), the later visits fade to low or to nothing.
    let plain = UnfamiliarConfig {
        follow_up_hours: 0,
        ..UnfamiliarConfig::default()
    };
    let faded = visits(plain, None);
    assert!(
        faded.iter().skip(1).all(|f| f.severity < Severity::Medium),
        "{faded:?}"
    );
    assert!(faded.len() < 9, "some visits say nothing: {faded:?}");

    // A network the tenant lists as one many people share (here a mobile carrier) is not
    // remembered against: the high finding stands, and the visits after it fade as above.
    let mut carriers = palisade_geo::EgressRegistry::new();
    let problems = carriers.add_text("[carrier]\nkind = mobile\nsource = test\nAS7922\n", "test");
    assert!(problems.is_empty(), "{problems:?}");
    let mut h = Harness::new(UnfamiliarSignIn::default().with_egress(carriers));
    h.learn_home("ana@x.com");
    let t0 = at_min(41 * DAY);
    let mut said = Vec::new();
    for k in 0..9 {
        let t = t0 + Duration::from_hours(3 * k);
        said.extend(h.run(&event("ana@x.com", t, &format!("x{k}"), &intruder, ok())));
        said.extend(h.advance(t + Duration::from_hours(2)));
    }
    let closed: Vec<&Finding> = said
        .iter()
        .filter(|f| f.status == FindingStatus::Closed)
        .collect();
    assert_eq!(closed[0].severity, Severity::High, "{}", closed[0].summary);
    assert!(
        closed[1..].iter().all(|f| f.severity < Severity::Medium),
        "{closed:?}"
    );
}

/// A new laptop first used on a new network is medium; when that laptop then signs in from the
/// identity's home network, the closed finding is revised down to low with the reason. The
/// same device from anywhere else, a device that comes back after the wait, or the wait off,
/// leave the finding as it was.
#[test]
fn a_new_laptop_seen_later_at_home_is_vouched_for() {
    let new_laptop = |device| Origin {
        device: Some(device),
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
        asn: 1221,
        ip: "1.129.40.7",
        ..home()
    };
    let at_home = |device| new_laptop(device).with_home_network();
    let run = |config: UnfamiliarConfig, later: Origin, after_days: i64| {
        let mut h = Harness::new(UnfamiliarSignIn::new(config.clone()).unwrap());
        h.learn_home("ana@x.com");
        let t = at_min(41 * DAY);
        let first = h.run(&event("ana@x.com", t, "new", &new_laptop("laptop-2"), ok()));
        assert_eq!(first[0].severity, Severity::Medium, "{}", first[0].summary);
        h.advance(t + Duration::from_hours(2));
        // The wait survives a snapshot: the rest runs in a detector restored from it.
        let bytes = h.det.snapshot().unwrap();
        h.det = UnfamiliarSignIn::new(config).unwrap();
        h.det.restore(&bytes).unwrap();
        let t2 = t + Duration::from_days(after_days);
        h.advance(t2);
        h.run(&event("ana@x.com", t2, "later", &later, ok()));
        h.advance(t2 + Duration::from_hours(2));
        h.out
            .iter()
            .rev()
            .find(|f| f.id == first[0].id)
            .unwrap()
            .clone()
    };
    let f = run(UnfamiliarConfig::default(), at_home("laptop-2"), 3);
    assert_eq!(
        (f.severity, f.status),
        (Severity::Low, FindingStatus::Closed)
    );
    assert!(
        f.summary.ends_with(
            "lowered: the same device later signed in from this identity's usual place and \
             network (AS7545, AU), so it is the identity's own new machine"
        ),
        "{}",
        f.summary
    );
    assert_eq!(f.evidence.event_ids, ["new", "later"]);

    let unchanged = |f: &Finding| f.severity == Severity::Medium && f.revision == 2;
    // Another device at home vouches for nothing; nor does the laptop from abroad.
    assert!(unchanged(&run(
        UnfamiliarConfig::default(),
        at_home("laptop-3"),
        3
    )));
    let abroad = Origin {
        device: Some("laptop-2"),
        ..paris_hotel()
    };
    assert!(unchanged(&run(UnfamiliarConfig::default(), abroad, 3)));
    // Nor does a residential proxy on the identity's own ISP in its own city, in another
    // address block: an intruder laundering the finding.
    let proxy = Origin {
        ip: "110.174.200.9",
        ..at_home("laptop-2")
    };
    assert!(unchanged(&run(UnfamiliarConfig::default(), proxy, 3)));
    // Past the week, or with the wait off, the finding stands.
    assert!(unchanged(&run(
        UnfamiliarConfig::default(),
        at_home("laptop-2"),
        9
    )));
    let off = UnfamiliarConfig {
        vouch_hours: 0,
        ..Default::default()
    };
    assert!(unchanged(&run(off, at_home("laptop-2"), 3)));

    // A version-1 snapshot (open findings only) is still read.
    let mut d = UnfamiliarSignIn::default();
    d.restore(br#"{"detector":"unfamiliar_signin","version":1,"state":{}}"#)
        .unwrap();
    assert_eq!(d.state_bytes(), 0);
}

/// A trip on the identity's own laptop is low; a recent alert about the identity raises it one
/// level, but being one of a password spray's many targets is no such alert.
#[test]
fn a_trip_after_an_alert_is_raised_but_not_after_being_sprayed() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    h.learn_home("bo@x.com");
    let t = at_min(41 * DAY);
    let earlier = |detector: &'static str, technique| {
        Finding::new(detector, None, "x", t - Duration::from_hours(20))
            .with_severity(Severity::High)
            .with_technique(technique)
            .as_ref()
    };
    let sprayed = [earlier("password_spray", Technique::PasswordSpraying)];
    let f = h.run_after(&event("ana@x.com", t, "a", &paris_hotel(), ok()), &sprayed);
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);
    let alert = [earlier("mfa_fatigue", Technique::MfaRequestGeneration)];
    let f = h.run_after(&event("bo@x.com", t, "b", &paris_hotel(), ok()), &alert);
    assert_eq!(f[0].severity, Severity::Medium, "{}", f[0].summary);
    assert!(f[0]
        .summary
        .ends_with("follows a recent alert on this identity"));
}

#[test]
fn summary_names_history_all_from_one_country() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let f = &h.run(&event(
        "ana@x.com",
        at_min(41 * DAY),
        "x1",
        &attacker(),
        ok(),
    ))[0];
    assert!(
        f.summary
            .starts_with("first sign-in from US (AS7922), new browser/OS Firefox on Linux;")
            && f.summary
                .contains("; 40 earlier sign-ins over 39 days, all from AU"),
        "{}",
        f.summary
    );
}

#[test]
fn new_browser_version_is_not_novel() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let mut o = home();
    let newer = CHROME_WIN.replace("Chrome/120.0.0.0", "Chrome/126.0.6478.61");
    o.ua = Box::leak(newer.into_boxed_str());
    assert!(h
        .run(&event("ana@x.com", at_min(41 * DAY), "v", &o, ok()))
        .is_empty());
}

/// An export with no user agents (Entra's `deviceDetail`, Duo's access device): the browser
/// and OS names are learned as a family, a new version stays quiet, and a different browser
/// and OS are named in the finding as their family.
#[test]
fn vendor_browser_and_os_names_work_without_user_agents() {
    let named = |who: &str, t: Timestamp, id: &str, o: &Origin, browser: &str, os: &str| {
        let mut e = event(who, t, id, o, ok());
        e.origin.user_agent = None;
        e.origin.client = ClientSoftware::new(Some(browser), Some(os));
        e
    };
    let mut h = Harness::new(UnfamiliarSignIn::default());
    for d in 0..40 {
        let e = named(
            "bo@x.com",
            at_min(d * DAY),
            &format!("b{d}"),
            &home(),
            "Chrome 77.0.3865",
            "Windows10",
        );
        assert!(h.run(&e).is_empty(), "home sign-ins are familiar");
    }
    let newer = named(
        "bo@x.com",
        at_min(41 * DAY),
        "v",
        &home(),
        "Chrome 120.0.0",
        "Windows 11",
    );
    assert!(h.run(&newer).is_empty(), "a new version is not novel");
    let f = h.run(&named(
        "bo@x.com",
        at_min(42 * DAY),
        "x",
        &attacker(),
        "Firefox 121.0",
        "Linux",
    ));
    assert!(
        f[0].summary.contains("new browser/OS Firefox on Linux"),
        "{}",
        f[0].summary
    );
}

#[test]
fn learning_profiles_stay_below_medium_unless_anonymous() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    for d in 0..3 {
        h.run(&event(
            "bo@x.com",
            at_min(d * DAY),
            &format!("h{d}"),
            &home(),
            ok(),
        ));
    }
    let f = h.run(&event("bo@x.com", at_min(3 * DAY), "x1", &attacker(), ok()));
    assert_eq!(f[0].severity, Severity::Low);
    assert!(!f[0].baseline.unwrap().trusted);
    assert!(f[0].summary.contains("(still learning)"));

    let mut tor = event("bo@x.com", at_min(4 * DAY), "tor", &home(), ok());
    tor.vendor_signals.tor = Some(true);
    let f = h.run(&tor);
    // The earlier finding (another origin) closes; the Tor sign-in opens its own.
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].status, FindingStatus::Closed);
    assert!(f[1].severity >= Severity::Medium);
    assert!(
        f[1].summary.contains("the vendor flags Tor"),
        "{}",
        f[1].summary
    );

    // A first-ever sign-in is judged on the vendor's flags alone.
    assert!(h
        .run(&event("new@x.com", at_min(0), "n1", &attacker(), ok()))
        .is_empty());
    let mut proxy = event("new2@x.com", at_min(0), "n2", &attacker(), ok());
    proxy.vendor_signals.anonymous_proxy = Some(true);
    let f = h.run(&proxy);
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(f[0].baseline, Some(BaselineMaturity::default()));
}

/// Bo signs in through iCloud Private Relay (flagged as an anonymizing proxy) from home every
/// other day: an alarm while the profile learns, then the identity's routine; a flagged
/// sign-in from a country or network it never used still counts.
#[test]
fn a_private_relay_habit_is_learned_but_a_new_proxy_still_counts() {
    let relay = |country: &'static str, city: &'static str, asn: u32| Origin {
        country,
        city,
        asn,
        ip: "172.224.226.10",
        device: Some("laptop-1"),
        ua: CHROME_WIN,
    };
    let flagged = |at: Timestamp, id: &str, o: &Origin| {
        let mut e = event("bo@x.com", at, id, o, ok());
        e.vendor_signals.anonymous_proxy = Some(true);
        e
    };
    let mut h = Harness::new(UnfamiliarSignIn::default());
    let mut medium_while_learning = 0;
    for d in 0..40 {
        let at = at_min(d * DAY);
        let f = if d % 2 == 0 {
            h.run(&event("bo@x.com", at, &format!("h{d}"), &home(), ok()))
        } else {
            h.run(&flagged(
                at,
                &format!("r{d}"),
                &relay("AU", "Sydney", 13335),
            ))
        };
        let trusted = h.store.profile("bo@x.com").is_some_and(|p| p.trusted());
        let alarms: Vec<&Finding> = f
            .iter()
            .filter(|f| f.severity >= Severity::Medium && f.status == FindingStatus::Open)
            .collect();
        if d >= 30 {
            assert!(trusted);
            assert!(alarms.is_empty(), "day {d}: {alarms:?}");
        } else {
            medium_while_learning += alarms.len();
        }
    }
    assert!(
        medium_while_learning > 0,
        "the flag counts while the profile learns"
    );

    // The relay's network, but from a country Bo never signs in from.
    let f = h.run(&flagged(
        at_min(41 * DAY),
        "x1",
        &relay("US", "Ashburn", 13335),
    ));
    let open = f.iter().find(|f| f.status == FindingStatus::Open).unwrap();
    assert!(open.severity >= Severity::Medium);
    assert!(open
        .summary
        .contains("the vendor flags an anonymizing proxy"));
    // Tor is never routine, even from Bo's own relay network.
    let mut tor = flagged(at_min(42 * DAY), "t1", &relay("AU", "Sydney", 13335));
    tor.vendor_signals.anonymous_proxy = None;
    tor.vendor_signals.tor = Some(true);
    let f = h.run(&tor);
    let open = f.iter().find(|f| f.status == FindingStatus::Open).unwrap();
    assert!(open.severity >= Severity::Medium);
    assert!(
        open.summary.contains("the vendor flags Tor"),
        "{}",
        open.summary
    );
    // Home country, but a proxy network Bo never used.
    let f = h.run(&flagged(
        at_min(43 * DAY),
        "x2",
        &relay("AU", "Sydney", 9009),
    ));
    let open = f.iter().find(|f| f.status == FindingStatus::Open).unwrap();
    assert!(open.severity >= Severity::Medium, "{open:?}");
    assert!(open
        .summary
        .contains("the vendor flags an anonymizing proxy"));
}

#[test]
fn tenant_prior_lowers_surprise_for_sparse_identities() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    // Thirty colleagues sign in through the Paris office.
    for i in 0..30 {
        h.run(&event(
            &format!("c{i}@x.com"),
            at_min(i),
            &format!("c{i}"),
            &paris_hotel(),
            ok(),
        ));
    }
    for d in 0..3 {
        h.run(&event(
            "sparse@x.com",
            at_min(d * DAY),
            &format!("s{d}"),
            &home(),
            ok(),
        ));
    }
    let mut via_office = paris_hotel();
    via_office.device = Some("other-laptop");
    let common = h.run(&event(
        "sparse@x.com",
        at_min(3 * DAY),
        "p",
        &via_office,
        ok(),
    ));
    let rare = {
        let mut h2 = Harness::new(UnfamiliarSignIn::default());
        for i in 0..30 {
            h2.run(&event(
                &format!("c{i}@x.com"),
                at_min(i),
                &format!("c{i}"),
                &home(),
                ok(),
            ));
        }
        for d in 0..3 {
            h2.run(&event(
                "sparse@x.com",
                at_min(d * DAY),
                &format!("s{d}"),
                &home(),
                ok(),
            ));
        }
        h2.run(&event(
            "sparse@x.com",
            at_min(3 * DAY),
            "p",
            &via_office,
            ok(),
        ))
    };
    let conf = |v: &[Finding]| v.first().map_or(0.0, |f| f.confidence);
    assert!(
        conf(&common) < conf(&rare),
        "common {:?} rare {:?}",
        common,
        rare
    );
}

#[test]
fn repeated_sign_ins_from_one_new_origin_grow_one_finding_then_close() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let t = at_min(41 * DAY);
    let mut all = Vec::new();
    for i in 0..5 {
        all.extend(h.run(&event(
            "ana@x.com",
            t + Duration::from_mins(i * 5),
            &format!("x{i}"),
            &attacker(),
            ok(),
        )));
    }
    assert!(all.iter().all(|f| f.id == all[0].id));
    assert_eq!(
        all.iter().map(|f| f.revision).collect::<Vec<_>>(),
        [1, 2, 3],
        "revisions at 1, 2 and 4 events"
    );
    assert!(
        h.advance(t + Duration::from_mins(30)).is_empty(),
        "still inside the merge window"
    );
    let closed = h.advance(t + Duration::from_hours(3));
    assert_eq!(closed.len(), 1);
    assert_eq!(
        (
            closed[0].status,
            closed[0].revision,
            closed[0].evidence.total
        ),
        (FindingStatus::Closed, 4, 5)
    );
    assert!(
        h.advance(t + Duration::from_hours(3)).is_empty(),
        "advance is idempotent"
    );
}

#[test]
fn failed_mfa_then_success_from_another_continent() {
    let mut h = Harness::new(FailedThenSuccess::default());
    h.learn_home("ana@x.com");
    let t = at_min(41 * DAY);
    assert!(h
        .run(&event(
            "ana@x.com",
            t,
            "f1",
            &attacker(),
            failed(FailureReason::MfaDenied)
        ))
        .is_empty());
    assert!(h
        .run(&event(
            "ana@x.com",
            t + Duration::from_mins(1),
            "f2",
            &attacker(),
            failed(FailureReason::MfaTimeout)
        ))
        .is_empty());
    let f = h.run(&event(
        "ana@x.com",
        t + Duration::from_mins(3),
        "s",
        &attacker(),
        ok(),
    ));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High, "{}", f[0].summary);
    assert_eq!(f[0].first_seen, t);
    assert_eq!(f[0].last_seen, t + Duration::from_mins(3));
    assert!(
        f[0].summary.contains("first sign-in from US (AS7922)"),
        "{}",
        f[0].summary
    );
    assert_eq!(
        f[0].id,
        FindingId::derive(&["failed_then_success", "ana@x.com", "f1"])
    );
}

/// Google Workspace says only that a push challenge (`google_prompt`) failed, not whether it was
/// denied: with no code to mistype, a failed push is a refusal too. A failed code (a typo) is
/// not.
#[test]
fn a_failed_push_challenge_is_remembered_as_a_refusal() {
    let gws = |who: &str, t: Timestamp, id: &str, act: Activity| {
        from(Source::GoogleWorkspace, event(who, t, id, &attacker(), act))
    };
    let mut h = Harness::new(FailedThenSuccess::default());
    let t = at_min(41 * DAY);
    for (who, factor) in [("ana@x.com", Factor::Push), ("bo@x.com", Factor::Totp)] {
        h.learn_home(who);
        assert!(h
            .run(&gws(who, t, &format!("{who}-no"), failed_step(factor)))
            .is_empty());
    }
    let back = t + Duration::from_hours(30);
    let f = h.run(&gws("ana@x.com", back, "ana-in", ok()));
    assert_eq!(f.len(), 1);
    assert!(
        f[0].summary
            .starts_with("a refused MFA prompt from this network"),
        "{}",
        f[0].summary
    );
    assert!(h.run(&gws("bo@x.com", back, "bo-in", ok())).is_empty());
}

/// Google Workspace names no client (no device, no user agent), so "the identity's own client
/// fumbling its prompts" cannot be seen: a new network in a country the profile knows is low
/// after failed pushes, for a learning profile and a trusted one; another country is not.
#[test]
fn without_client_details_a_known_country_stands_for_the_client() {
    let gws = |who: &str, t: Timestamp, id: &str, o: &Origin, act: Activity| {
        from(Source::GoogleWorkspace, event(who, t, id, o, act))
    };
    let carrier = Origin {
        asn: 1221,
        ip: "1.128.0.9",
        ..home()
    };
    let mut h = Harness::new(FailedThenSuccess::default());
    let mut severity = Vec::new();
    let cases = [
        ("ana@x.com", &carrier, 3),
        ("bo@x.com", &attacker(), 3),
        ("cy@x.com", &carrier, 40),
        ("di@x.com", &attacker(), 40),
    ];
    for (who, o, days) in cases {
        for d in 0..days {
            let e = gws(who, at_min(d * DAY), &format!("{who}-h{d}"), &home(), ok());
            assert!(h.run(&e).is_empty());
        }
        let t = at_min(days * DAY);
        for i in 0..2 {
            let e = gws(
                who,
                t + Duration::from_mins(i),
                &format!("{who}-f{i}"),
                o,
                failed_step(Factor::Push),
            );
            assert!(h.run(&e).is_empty());
        }
        let f = h.run(&gws(
            who,
            t + Duration::from_mins(4),
            &format!("{who}-in"),
            o,
            ok(),
        ));
        severity.push(f.first().map(|f| f.severity));
    }
    let (low, high) = (Some(Severity::Low), Some(Severity::High));
    let medium = Some(Severity::Medium);
    assert_eq!(severity, [low, medium, low, high]);
}

/// A new identity's very first Okta flow: the password-stage success waits for its MFA step,
/// so the profile exists but has learned nothing, and the user fumbles two prompts before
/// approving. Nothing is unfamiliar to a profile with no sign-in: no finding. Once the profile
/// has learned that flow, the same fumble from another continent is judged.
#[test]
fn a_new_identity_fumbling_its_first_prompts_is_not_a_return_from_somewhere_new() {
    let okta = |t: Timestamp, id: &str, o: &Origin, act: Activity| {
        from(Source::Okta, event("new@x.com", t, id, o, act))
    };
    let mut h = Harness::new(FailedThenSuccess::default());
    for (at, o, tag) in [(0, home(), "home"), (DAY, attacker(), "away")] {
        let t = at_min(at);
        let mut said = h.run(&okta(t, &format!("{tag}-pw"), &o, ok()));
        for (i, reason) in [FailureReason::MfaDenied, FailureReason::MfaTimeout]
            .into_iter()
            .enumerate()
        {
            let e = okta(
                t + Duration::from_mins(1 + i as i64),
                &format!("{tag}-f{i}"),
                &o,
                failed(reason),
            );
            said.extend(h.run(&e));
        }
        said.extend(h.run(&okta(
            t + Duration::from_mins(4),
            &format!("{tag}-ok"),
            &o,
            mfa_ok(),
        )));
        if tag == "home" {
            assert!(said.is_empty(), "{said:?}");
            assert_eq!(h.store.profile("new@x.com").unwrap().sign_ins(), 1);
        } else {
            assert_eq!(said.len(), 1, "{said:?}");
            assert!(
                said[0].summary.contains("first sign-in from US"),
                "{}",
                said[0].summary
            );
        }
    }
}

/// Okta's shape of the reference case: every try starts with a password-stage success
/// (`user.session.start`) that the baseline learns from, and each refused push is reported twice
/// (`deny_push` and the failed `auth_via_mfa`, one transaction id). Two refused pushes are two
/// attempts, not four, and they add up across the tries.
#[test]
fn okta_style_retries_count_each_refused_push_once() {
    let mut h = Harness::new(FailedThenSuccess::default());
    h.learn_home("ana@x.com");
    let t = at_min(41 * DAY);
    let with_corr = |mut e: Event, corr: &str| {
        e.source = Source::Okta;
        e.correlation_id = Some(corr.into());
        e
    };
    let prompt = |result| {
        Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Push,
            result,
        })
    };
    let steps = [
        with_corr(event("ana@x.com", t, "s1", &attacker(), ok()), "a"),
        with_corr(
            event(
                "ana@x.com",
                t + Duration::from_secs(10),
                "d1",
                &attacker(),
                prompt(PromptResult::Denied),
            ),
            "b",
        ),
        with_corr(
            event(
                "ana@x.com",
                t + Duration::from_secs(11),
                "m1",
                &attacker(),
                failed(FailureReason::MfaDenied),
            ),
            "b",
        ),
        with_corr(
            event(
                "ana@x.com",
                t + Duration::from_mins(2),
                "s2",
                &attacker(),
                ok(),
            ),
            "c",
        ),
        with_corr(
            event(
                "ana@x.com",
                t + Duration::from_mins(3),
                "m2",
                &attacker(),
                failed(FailureReason::MfaTimeout),
            ),
            "d",
        ),
        with_corr(
            event(
                "ana@x.com",
                t + Duration::from_mins(3),
                "p2",
                &attacker(),
                prompt(PromptResult::TimedOut),
            ),
            "d",
        ),
    ];
    for e in &steps {
        assert!(
            h.run(e).is_empty(),
            "nothing before the second refused push completes a try"
        );
    }
    let f = h.run(&with_corr(
        event(
            "ana@x.com",
            t + Duration::from_mins(6),
            "s3",
            &attacker(),
            ok(),
        ),
        "e",
    ));
    assert_eq!(f.len(), 1);
    assert!(
        f[0].summary.starts_with("2 failed MFA attempts"),
        "{}",
        f[0].summary
    );
    assert!(f[0].severity >= Severity::Medium, "{}", f[0].severity);
    assert_eq!(f[0].evidence.event_ids, ["d1", "m1", "m2", "p2", "s3"]);
}

#[test]
fn typo_then_success_from_a_trip_is_low_and_from_home_is_nothing() {
    let mut h = Harness::new(FailedThenSuccess::default());
    h.learn_home("ana@x.com");
    let t = at_min(41 * DAY);
    for (i, o) in [(0, home()), (1, home())] {
        h.run(&event(
            "ana@x.com",
            t + Duration::from_mins(i),
            &format!("f{i}"),
            &o,
            failed(FailureReason::BadPassword),
        ));
    }
    assert!(h
        .run(&event(
            "ana@x.com",
            t + Duration::from_mins(2),
            "s",
            &home(),
            ok()
        ))
        .is_empty());

    let t = at_min(45 * DAY);
    for i in 0..2 {
        h.run(&event(
            "ana@x.com",
            t + Duration::from_mins(i),
            &format!("g{i}"),
            &paris_hotel(),
            failed(FailureReason::BadPassword),
        ));
    }
    let f = h.run(&event(
        "ana@x.com",
        t + Duration::from_mins(2),
        "s2",
        &paris_hotel(),
        ok(),
    ));
    assert_eq!(f[0].severity, Severity::Low, "{}", f[0].summary);

    // Failures that are too old are forgotten (prompts left unanswered: a refused one is
    // remembered longer, see `the_same_network_back_after_a_refused_push`).
    let t = at_min(50 * DAY);
    for i in 0..3 {
        h.run(&event(
            "ana@x.com",
            t + Duration::from_mins(i),
            &format!("o{i}"),
            &attacker(),
            failed(FailureReason::MfaTimeout),
        ));
    }
    h.advance(t + Duration::from_hours(2));
    assert!(h
        .run(&event(
            "ana@x.com",
            t + Duration::from_hours(2),
            "late",
            &attacker(),
            ok()
        ))
        .is_empty());
}

/// The attacker refused at MFA comes back through the same network a day later: one refused
/// push is enough once it is a return, judged against the origin as it was when refused.
/// Another network, a return past the memory, a password-stage success that still waits for
/// its push, or a refusal from the identity's own home are not.
#[test]
fn the_same_network_back_after_a_refused_push() {
    // Entra's 500121: the refused sign-in is one failed record.
    let refuse = |h: &mut Harness<FailedThenSuccess>, who: &str, t: Timestamp, o: &Origin| {
        let d = h.run(&event(
            who,
            t,
            &format!("{who}-no"),
            o,
            failed(FailureReason::MfaDenied),
        ));
        assert!(d.is_empty(), "one refusal alone is no finding");
    };
    let mut h = Harness::new(FailedThenSuccess::default());
    let t = at_min(41 * DAY);
    for who in ["ana@x.com", "bo@x.com", "cy@x.com", "fy@x.com"] {
        h.learn_home(who);
        refuse(&mut h, who, t, &attacker());
    }
    h.learn_home("ed@x.com");
    refuse(&mut h, "ed@x.com", t, &home());

    let back = t + Duration::from_hours(26);
    // The password stage alone (Okta's `user.session.start`): retrying, not yet in.
    let okta_pw = from(
        Source::Okta,
        event("fy@x.com", back, "fy-pw", &attacker(), ok()),
    );
    assert!(h.run(&okta_pw).is_empty());
    let f = h.run(&event("ana@x.com", back, "ana-in", &attacker(), mfa_ok()));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High, "{}", f[0].summary);
    assert!(
        f[0].summary.starts_with(
            "a refused MFA prompt from this network, back 26 hours later, then success: \
             first sign-in from US (AS7922)"
        ),
        "{}",
        f[0].summary
    );
    assert_eq!(f[0].first_seen, t);
    assert_eq!(f[0].evidence.event_ids, ["ana@x.com-no", "ana-in"]);

    // Another network entirely: nothing to do with the refusal.
    let elsewhere = Origin {
        asn: 16509,
        ip: "3.91.2.2",
        ..attacker()
    };
    let other_country = Origin {
        country: "DE",
        city: "Frankfurt",
        ..elsewhere
    };
    assert!(h
        .run(&event("bo@x.com", back, "bo-in", &other_country, mfa_ok()))
        .is_empty());
    // Past the week the refusal is remembered.
    h.advance(t + Duration::from_days(8));
    assert!(h
        .run(&event(
            "cy@x.com",
            t + Duration::from_days(8),
            "cy-in",
            &attacker(),
            mfa_ok()
        ))
        .is_empty());
    // A push the user refused at home (a fat finger), then home again: a familiar origin.
    assert!(h
        .run(&event(
            "ed@x.com",
            t + Duration::from_days(8),
            "ed-in",
            &home(),
            mfa_ok()
        ))
        .is_empty());

    // With no memory the same return is nothing.
    let mut forgetful = Harness::new(
        FailedThenSuccess::new(FailedThenSuccessConfig {
            refusal_memory_hours: 0,
            ..Default::default()
        })
        .unwrap(),
    );
    forgetful.learn_home("di@x.com");
    refuse(&mut forgetful, "di@x.com", t, &attacker());
    forgetful.advance(back);
    assert!(forgetful
        .run(&event("di@x.com", back, "di-in", &attacker(), mfa_ok()))
        .is_empty());
}

/// Runs the failures `range` of a spray, the `i`th at `who(i)` from `ip(i)`; returns what was
/// said.
fn spray(
    h: &mut Harness<PasswordSpray>,
    range: std::ops::Range<i64>,
    who: impl Fn(i64) -> String,
    ip: impl Fn(i64) -> String,
) -> Vec<Finding> {
    range
        .flat_map(|i| h.run(&spray_failure(i, &who(i), &ip(i))))
        .collect()
}

/// Account `i` of a spray.
fn account(i: i64) -> String {
    format!("u{i:02}@x.com")
}

/// The attacker's one address.
fn one_address(_: i64) -> String {
    "73.22.1.9".into()
}

/// The `i`th failure of a spray (twenty seconds apart), at `who`, from `ip` on the attacker's
/// network.
fn spray_failure(i: i64, who: &str, ip: &str) -> Event {
    let mut e = event(
        who,
        at_min(0) + Duration::from_secs(i * 20),
        &format!("sp{i}-{who}"),
        &attacker(),
        failed(FailureReason::BadPassword),
    );
    e.origin.ip = Some(ip.parse().unwrap());
    e
}

#[test]
fn spray_is_keyed_on_the_ip_and_escalates_on_success() {
    let mut h = Harness::new(
        PasswordSpray::new(PasswordSprayConfig {
            asn_min_identities: 0,
            ..Default::default()
        })
        .unwrap(),
    );
    let mut all = Vec::new();
    all.extend(spray(&mut h, 0..40, account, one_address));
    assert_eq!(
        all.iter().map(|f| f.revision).collect::<Vec<_>>(),
        [1, 2, 3],
        "at 10, 20 and 40 identities"
    );
    let f = all.last().unwrap();
    assert_eq!(f.identity, None);
    assert_eq!(f.identities.len(), 40);
    assert_eq!(f.technique, Technique::PasswordSpraying);
    assert_eq!(
        f.id,
        FindingId::derive(&["password_spray", "ip:73.22.1.9", "sp0-u00@x.com"])
    );
    // Anyone signing in from the spraying address escalates: an account whose password was
    // guessed right first time never failed. Each identity once.
    let mut o = attacker();
    o.ip = "73.22.1.9";
    let esc = h.run(&event("other@x.com", at_min(15), "ok0", &o, ok()));
    assert_eq!((esc[0].revision, esc[0].severity), (4, Severity::High));
    // From then on the finding names the account that got in.
    assert_eq!(esc[0].identity, Some(IdentityKey::new("other@x.com")));
    assert!(
        esc[0]
            .summary
            .ends_with("; other@x.com signed in successfully from it"),
        "{}",
        esc[0].summary
    );
    assert_eq!(
        esc[0].evidence.event_ids.last().map(String::as_str),
        Some("ok0")
    );
    assert!(h
        .run(&event("other@x.com", at_min(15), "ok0b", &o, ok()))
        .is_empty());
    let esc = h.run(&event("u07@x.com", at_min(16), "ok1", &o, ok()));
    assert_eq!((esc[0].revision, esc[0].severity), (5, Severity::High));
    // The first account in stays the one named.
    assert_eq!(esc[0].identity, Some(IdentityKey::new("other@x.com")));
    assert!(esc[0]
        .summary
        .ends_with("; other@x.com, u07@x.com signed in successfully from it"));
    let closed = h.advance(at_min(200));
    assert_eq!((closed.len(), closed[0].status), (1, FindingStatus::Closed));
}

#[test]
fn a_success_before_the_spray_is_recognised_still_counts() {
    // Three failures, an account signs in from the address (its password guessed right), then
    // the spray goes on: the finding opens high, naming that account, its sign-in in evidence.
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    all.extend(spray(&mut h, 0..3, account, one_address));
    let mut o = attacker();
    o.ip = "73.22.1.9";
    all.extend(h.run(&event(
        "got-in@x.com",
        at_min(1) + Duration::from_secs(1),
        "ok0",
        &o,
        ok(),
    )));
    all.extend(spray(&mut h, 3..5, account, one_address));
    // A second account gets in later (its name sorts first).
    all.extend(h.run(&event("a-later@x.com", at_min(2), "ok1", &o, ok())));
    all.extend(spray(&mut h, 5..15, account, one_address));
    assert_eq!(all.len(), 1, "{all:?}");
    let f = &all[0];
    assert_eq!((f.revision, f.severity), (1, Severity::High));
    // The finding names the first account that got in.
    assert_eq!(f.identity, Some(IdentityKey::new("got-in@x.com")));
    assert!(
        f.summary
            .ends_with("; a-later@x.com, got-in@x.com signed in successfully from it"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence.event_ids[..5],
        [
            "sp0-u00@x.com",
            "sp1-u01@x.com",
            "sp2-u02@x.com",
            "ok0",
            "sp3-u03@x.com"
        ],
        "evidence in event order"
    );
}

#[test]
fn sign_ins_past_the_per_source_cap_are_each_listed_once() {
    // Twenty-two accounts sign in from the address before the spray is recognised, two of them
    // twice: past the cap of twenty counted identities each is still listed, and a repeat is
    // still not listed again.
    let config = PasswordSprayConfig {
        min_identities: 10,
        asn_min_identities: 0,
        max_identities_per_source: 20,
        min_failure_ratio: 0.4,
        ..PasswordSprayConfig::default()
    };
    let mut h = Harness::new(PasswordSpray::new(config).unwrap());
    let mut all = spray(&mut h, 0..1, account, one_address);
    let o = attacker();
    let sign_in = |k: usize, step: i64, id: String| {
        let t = at_min(0) + Duration::from_millis(500 * step);
        event(&format!("in{k:02}@x.com"), t, &id, &o, ok())
    };
    for k in 0..22 {
        all.extend(h.run(&sign_in(k, k as i64 + 1, format!("ok{k}"))));
    }
    all.extend(h.run(&sign_in(0, 23, "again0".into())));
    all.extend(h.run(&sign_in(21, 24, "again21".into())));
    all.extend(spray(&mut h, 1..20, account, one_address));
    let first = all.first().expect("a spray");
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.identity, Some(IdentityKey::new("in00@x.com")));
    assert!(
        first.summary.ends_with(
            "; in00@x.com, in01@x.com, in02@x.com and 19 more signed in successfully from it"
        ),
        "{}",
        first.summary
    );
    let ids = &first.evidence.event_ids;
    let sign_ins: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| !id.starts_with("sp"))
        .collect();
    let expected: Vec<String> = (0..22).map(|k| format!("ok{k}")).collect();
    assert_eq!(sign_ins, expected, "each account's first sign-in, once");
}

#[test]
fn one_account_signing_in_over_and_over_does_not_hide_a_spray() {
    // The ratio counts identities: one account's fifteen sign-ins are one identity beside the
    // fifty that failed.
    let mut h = Harness::new(PasswordSpray::default());
    let mut o = attacker();
    o.ip = "73.22.1.9";
    let mut all = h.run(&spray_failure(0, "u00@x.com", "73.22.1.9"));
    for k in 0..15 {
        all.extend(h.run(&event(
            "mule@x.com",
            at_min(0) + Duration::from_secs(5 + k),
            &format!("m{k}"),
            &o,
            ok(),
        )));
    }
    all.extend(spray(&mut h, 1..50, account, one_address));
    assert!(!all.is_empty());
    assert_eq!(all[0].severity, Severity::High, "{}", all[0].summary);
    assert!(all[0].summary.contains("mule@x.com signed in successfully"));
}

#[test]
fn an_ipv6_spray_rotating_through_one_64_is_one_source() {
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    for i in 0..40 {
        let ip = format!("2a01:4f8:1:2::{:x}", i + 1);
        let mut e = spray_failure(i, &format!("u{i:02}@x.com"), &ip);
        e.origin.asn = None;
        all.extend(h.run(&e));
    }
    assert!(!all.is_empty());
    let f = all.last().unwrap();
    assert_eq!(f.identities.len(), 40);
    assert!(
        f.summary
            .starts_with("password spray from 2a01:4f8:1:2::/64:"),
        "{}",
        f.summary
    );
    assert!(f.entities.ips.contains(&"2a01:4f8:1:2::a".parse().unwrap()));
    assert!(
        !f.entities.ips.contains(&"2a01:4f8:1:2::".parse().unwrap()),
        "the hosts, not the network"
    );
    // Another /64 is another source.
    let mut e = spray_failure(99, "v@x.com", "2a01:4f8:1:3::1");
    e.origin.asn = None;
    assert!(h.run(&e).is_empty());
}

#[test]
fn a_network_spray_escalates_only_on_a_sprayed_identity() {
    // Thirty identities fail from thirty addresses of one network: a network-level spray. The
    // network also carries ordinary sign-ins, so only a sprayed identity getting in escalates.
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    all.extend(spray(&mut h, 0..30, account, |i| {
        format!("73.22.{}.{}", i / 200, i % 200 + 1)
    }));
    let asn = all
        .iter()
        .find(|f| f.summary.contains("network AS"))
        .expect("a network finding");
    assert_eq!(asn.severity, Severity::Medium);
    let mut o = attacker();
    o.ip = "73.22.9.9";
    let out = h.run(&event("bystander@x.com", at_min(11), "b0", &o, ok()));
    assert!(
        out.iter().all(|f| !f.summary.contains("network AS")),
        "{out:?}"
    );
    let out = h.run(&event("u05@x.com", at_min(11), "b1", &o, ok()));
    assert!(
        out.iter()
            .any(|f| f.summary.contains("network AS") && f.severity == Severity::High),
        "{out:?}"
    );
}

#[test]
fn one_address_spraying_a_network_threshold_is_one_spray() {
    // Forty identities fail from one address: that address's spray. Its network saw the same
    // failures from that one address, which is no second spray to report.
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    all.extend(spray(&mut h, 0..40, account, one_address));
    all.extend(h.run(&event("u05@x.com", at_min(21), "in", &attacker(), ok())));
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{all:#?}");
    assert!(all.iter().all(|f| !f.summary.contains("network AS")));
    assert!(all.iter().any(|f| f.severity == Severity::High));

    // Padding one address with failures at three accounts (too few to be its own spray) does
    // not hide thirty others tried once each from thirty more addresses of the network.
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    all.extend(spray(
        &mut h,
        0..100,
        |i| format!("p{}@x.com", i % 3),
        one_address,
    ));
    all.extend(spray(&mut h, 100..130, account, |i| {
        format!("73.22.2.{}", i - 99)
    }));
    assert!(
        all.iter().any(|f| f.summary.contains("network AS7922")),
        "{all:#?}"
    );

    // Nor does padding a reported address: ten decoys tried over and over from one address
    // (its own spray), then two hundred accounts once each from two hundred more, and one of
    // them gets in from yet another: the network's spray, and high.
    let mut h = Harness::new(PasswordSpray::default());
    let mut all = Vec::new();
    all.extend(spray(
        &mut h,
        0..250,
        |i| format!("d{}@x.com", i % 10),
        one_address,
    ));
    all.extend(spray(
        &mut h,
        250..450,
        |i| format!("t{:03}@x.com", i - 250),
        |i| format!("73.22.{}.{}", 2 + (i - 250) / 100, (i - 250) % 100 + 1),
    ));
    let mut o = attacker();
    o.ip = "73.22.9.9";
    all.extend(h.run(&event("t150@x.com", at_min(160), "in", &o, ok())));
    assert!(
        all.iter().any(|f| f.summary.contains("network AS7922")
            && f.severity == Severity::High
            && f.summary.contains("t150@x.com signed in successfully")),
        "{all:#?}"
    );
}

#[test]
fn a_morning_of_typos_at_the_office_is_not_a_spray() {
    // Twelve colleagues each mistype, then sign in a minute later, from the office's one
    // address; hundreds more sign in after. Failed-then-got-in is a typo, not a spray.
    let mut h = Harness::new(PasswordSpray::default());
    let mut o = home();
    o.ip = "203.0.113.50";
    let mut all = Vec::new();
    for i in 0..12 {
        let who = format!("emp{i}@x.com");
        all.extend(h.run(&event(
            &who,
            at_min(i * 2),
            &format!("t{i}"),
            &o,
            failed(FailureReason::BadPassword),
        )));
        all.extend(h.run(&event(&who, at_min(i * 2 + 1), &format!("r{i}"), &o, ok())));
    }
    for i in 12..400 {
        let who = format!("emp{i}@x.com");
        all.extend(h.run(&event(
            &who,
            at_min(30) + Duration::from_secs(i),
            &format!("n{i}"),
            &o,
            ok(),
        )));
    }
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn busy_egress_with_typos_is_not_a_spray() {
    let mut h = Harness::new(PasswordSpray::default());
    let egress = "203.0.113.10";
    for i in 0..400 {
        let who = format!("u{}@x.com", i % 200);
        let mut o = home();
        o.ip = egress;
        let e = if i % 20 == 0 {
            event(
                &who,
                at_min(i),
                &format!("e{i}"),
                &o,
                failed(FailureReason::BadPassword),
            )
        } else {
            event(&who, at_min(i), &format!("e{i}"), &o, ok())
        };
        assert!(h.run(&e).is_empty());
    }
}

#[test]
fn spray_from_a_million_addresses_keeps_bounded_state() {
    let config = PasswordSprayConfig {
        max_sources: 1000,
        ..Default::default()
    };
    let mut det = PasswordSpray::new(config).unwrap();
    let mut out = Vec::new();
    for i in 0..50_000u32 {
        let mut e = Event::new(
            at_min(0) + Duration::from_millis(i64::from(i)),
            format!("e{i}"),
            Source::Okta,
            failed(FailureReason::BadPassword),
        )
        .with_actor(Identity::new(&format!("u{}@x.com", i % 500)));
        e.origin.ip = Some(std::net::IpAddr::from(i.to_be_bytes()));
        det.observe(&e, &Context::empty(), &mut out);
    }
    assert!(det.tracked_sources() <= 1000);
    assert!(det.state_bytes() < 2_000_000, "{}", det.state_bytes());
}

#[test]
fn restore_refuses_foreign_versioned_and_damaged_bytes() {
    let mut spray = PasswordSpray::default();
    let mut out = Vec::new();
    spray.observe(
        &spray_failure(0, "a@x.com", "73.22.1.9"),
        &Context::empty(),
        &mut out,
    );
    let bytes = spray.snapshot().unwrap();
    let mut other = UnfamiliarSignIn::default();
    assert!(
        matches!(other.restore(&bytes), Err(Error::CorruptSnapshot(m)) if m.contains("password_spray"))
    );
    let v2 = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("\"version\":2", "\"version\":7");
    assert_eq!(
        PasswordSpray::default().restore(v2.as_bytes()),
        Err(Error::SnapshotVersion {
            found: 7,
            expected: 2
        })
    );
    assert!(matches!(
        PasswordSpray::default().restore(&bytes[..bytes.len() / 2]),
        Err(Error::CorruptSnapshot(_))
    ));
    assert!(matches!(
        FailedThenSuccess::default().restore(b""),
        Err(Error::CorruptSnapshot(_))
    ));
    let mut fresh = PasswordSpray::default();
    fresh.restore(&bytes).unwrap();
    assert_eq!(fresh.tracked_sources(), 2);
}

#[test]
fn configs_are_validated() {
    assert!(UnfamiliarSignIn::new(UnfamiliarConfig {
        medium_score: 1.0,
        ..Default::default()
    })
    .is_err());
    assert!(FailedThenSuccess::new(FailedThenSuccessConfig {
        min_failures: 0,
        ..Default::default()
    })
    .is_err());
    assert!(FailedThenSuccess::new(FailedThenSuccessConfig {
        refusal_memory_hours: -1,
        ..Default::default()
    })
    .is_err());
    assert!(PasswordSpray::new(PasswordSprayConfig {
        min_failure_ratio: 2.0,
        ..Default::default()
    })
    .is_err());
    let w = NoveltyWeights {
        country: -1.0,
        ..Default::default()
    };
    assert!(UnfamiliarSignIn::new(UnfamiliarConfig {
        weights: w,
        ..Default::default()
    })
    .is_err());
}

/// A random mix of home sign-ins, trips, attacks, failures and sprays for a few identities.
fn arb_events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec((0u8..5, 0u8..9, 1i64..400), 1..160).prop_map(|steps| {
        let mut t = 0i64;
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (who, kind, gap))| {
                t += gap;
                let who = format!("u{who}@x.com");
                let at = at_min(t);
                let id = format!("e{i}");
                match kind {
                    0..=2 => event(&who, at, &id, &home(), ok()),
                    3 => event(&who, at, &id, &paris_hotel(), ok()),
                    4 => event(&who, at, &id, &attacker(), ok()),
                    5 => event(&who, at, &id, &attacker(), failed(FailureReason::MfaDenied)),
                    6 => event(
                        &format!("v{i}@x.com"),
                        at,
                        &id,
                        &attacker(),
                        failed(FailureReason::BadPassword),
                    ),
                    7 => event(&who, at, &id, &home(), failed(FailureReason::BadPassword)),
                    // Through the MFA step: a return after a refusal when one came before.
                    _ => event(
                        &who,
                        at,
                        &id,
                        &attacker(),
                        Activity::SignIn(SignIn::success(SignInStage::Mfa)),
                    ),
                }
            })
            .collect()
    })
}

fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(UnfamiliarSignIn::default()),
        Box::new(FailedThenSuccess::default()),
        Box::new(
            PasswordSpray::new(PasswordSprayConfig {
                min_identities: 3,
                asn_min_identities: 5,
                ..Default::default()
            })
            .unwrap(),
        ),
    ]
}

fn run_all(
    store: &mut BaselineStore,
    dets: &mut Vec<Box<dyn Detector>>,
    events: &[Event],
    out: &mut Vec<Finding>,
) {
    for e in events {
        let ctx = Context {
            profile: e.identity().and_then(|k| store.view(k)),
            ..Context::empty()
        };
        dets.observe(e, &ctx, out);
        store.learn(e);
        dets.advance(e.time - Duration::from_mins(1), out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A then B gives the same findings as A, snapshot, restore into fresh instances, B —
    /// wherever the cut falls (inside open sprays and merge windows included).
    #[test]
    fn snapshot_cut_anywhere_changes_nothing(events in arb_events(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(events.len() + 1);
        let mut store = BaselineStore::default();
        let mut dets = detectors();
        let mut straight = Vec::new();
        run_all(&mut store, &mut dets, &events, &mut straight);

        let mut store_a = BaselineStore::default();
        let mut dets_a = detectors();
        let mut split = Vec::new();
        run_all(&mut store_a, &mut dets_a, &events[..cut], &mut split);
        let (sb, db) = (store_a.snapshot().unwrap(), dets_a.snapshot().unwrap());
        let mut store_b = BaselineStore::default();
        let mut dets_b = detectors();
        store_b.restore(&sb).unwrap();
        dets_b.restore(&db).unwrap();
        run_all(&mut store_b, &mut dets_b, &events[cut..], &mut split);
        prop_assert_eq!(straight, split);
    }

    /// Deterministic: the same events give byte-identical findings and snapshots.
    #[test]
    fn same_events_same_output(events in arb_events()) {
        let run = || {
            let mut store = BaselineStore::default();
            let mut dets = detectors();
            let mut out = Vec::new();
            run_all(&mut store, &mut dets, &events, &mut out);
            dets.advance(at_min(10_000_000), &mut out);
            (serde_json::to_string(&out).unwrap(), dets.snapshot().unwrap())
        };
        prop_assert_eq!(run(), run());
    }
}

#[test]
fn a_traveller_with_the_browser_everyone_uses_and_no_device_id_stays_below_medium() {
    // Okta names no device for a browser sign-in. Twenty-five colleagues and Tom all use
    // Chrome on Windows: the family is common, but it is still Tom's own.
    let mut h = Harness::new(UnfamiliarSignIn::default());
    let no_device = Origin {
        device: None,
        ..home()
    };
    for d in 0..40 {
        for u in 0..26 {
            let who = if u == 0 {
                "tom@x.com".to_owned()
            } else {
                format!("c{u}@x.com")
            };
            let e = event(
                &who,
                at_min(d * DAY + u),
                &format!("{who}-{d}"),
                &no_device,
                ok(),
            );
            h.run(&e);
        }
    }
    let hotel = Origin {
        device: None,
        ..paris_hotel()
    };
    let trip = h.run(&event("tom@x.com", at_min(41 * DAY), "trip", &hotel, ok()));
    // Still reported, at low: a first trip abroad is worth a look.
    assert_eq!(trip.len(), 1, "{trip:?}");
    assert_eq!(trip[0].severity, Severity::Low, "{}", trip[0].summary);
    // An intruder's own client from there is still medium or above.
    let x = h.run(&event(
        "c3@x.com",
        at_min(41 * DAY),
        "x1",
        &attacker(),
        ok(),
    ));
    assert!(x.iter().any(|f| f.severity >= Severity::Medium), "{x:?}");
}

#[test]
fn a_finding_replaced_early_is_not_closed_by_the_old_deadline() {
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let t = 41 * DAY;
    let fr = h.run(&event("ana@x.com", at_min(t), "fr", &paris_hotel(), ok()));
    assert_eq!(fr.len(), 1);
    let us = h.run(&event(
        "ana@x.com",
        at_min(t + 30),
        "us1",
        &attacker(),
        ok(),
    ));
    let open = us.last().unwrap().clone();
    assert_eq!(open.status, FindingStatus::Open);
    // Past the French finding's deadline, before the American one's: nothing closes.
    let merge = UnfamiliarConfig::default().merge_minutes;
    assert!(h.advance(at_min(t + merge + 1)).is_empty());
    // The intruder's next sign-in joins its finding.
    let again = h.run(&event(
        "ana@x.com",
        at_min(t + 40),
        "us2",
        &attacker(),
        ok(),
    ));
    assert!(again.iter().all(|f| f.id == open.id), "{again:?}");
    let closed = h.advance(at_min(t + 40 + merge + 1));
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].id, open.id);
    assert!(closed[0].evidence.event_ids.contains(&"us2".to_owned()));
}

#[test]
fn a_finding_does_not_absorb_sign_ins_past_its_window() {
    // Without `advance` (a batch whose watermark lags), a sign-in days later from the same
    // place starts afresh: the old finding closes, unchanged.
    let mut h = Harness::new(UnfamiliarSignIn::default());
    h.learn_home("ana@x.com");
    let first = h.run(&event(
        "ana@x.com",
        at_min(41 * DAY),
        "x1",
        &attacker(),
        ok(),
    ));
    assert_eq!(first.len(), 1);
    let later = h.run(&event(
        "ana@x.com",
        at_min(45 * DAY),
        "x2",
        &attacker(),
        ok(),
    ));
    let closed: Vec<_> = later.iter().filter(|f| f.id == first[0].id).collect();
    assert_eq!(closed.len(), 1, "{later:?}");
    assert_eq!(closed[0].status, FindingStatus::Closed);
    assert_eq!(closed[0].evidence.event_ids, ["x1"]);
}

#[test]
fn a_profile_with_nothing_learned_yet_is_no_history() {
    // Okta logs the password stage first; while it waits for its MFA step the identity has a
    // profile with no sign-in in it. Its first sign-in is judged as a first sign-in: nothing.
    let mut h = Harness::new(UnfamiliarSignIn::default());
    let okta = |id: &str, m: i64, act: Activity| {
        let mut e = event("new@x.com", at_min(m), id, &home(), act);
        e.source = Source::Okta;
        e
    };
    let mut out = h.run(&okta("p1", 0, ok()));
    out.extend(h.run(&okta("m1", 1, mfa_ok())));
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_traveller_on_their_own_device_fumbling_mfa_abroad_stays_low() {
    let mut h = Harness::new(FailedThenSuccess::default());
    h.learn_home("ana@x.com");
    let t = 41 * DAY;
    for (i, m) in [0, 1].into_iter().enumerate() {
        h.run(&event(
            "ana@x.com",
            at_min(t + m),
            &format!("f{i}"),
            &paris_hotel(),
            failed(FailureReason::MfaTimeout),
        ));
    }
    let out = h.run(&event(
        "ana@x.com",
        at_min(t + 2),
        "ok",
        &paris_hotel(),
        mfa_ok(),
    ));
    // Still reported, at low: failures then success from abroad is worth a look.
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].severity, Severity::Low, "{}", out[0].summary);
    // Without the device id (only the browser family) the same story is medium: a browser
    // family can be copied.
    let mut h = Harness::new(FailedThenSuccess::default());
    h.learn_home("bo@x.com");
    let hotel = Origin {
        device: None,
        ..paris_hotel()
    };
    for (i, m) in [0, 1].into_iter().enumerate() {
        h.run(&event(
            "bo@x.com",
            at_min(t + m),
            &format!("g{i}"),
            &hotel,
            failed(FailureReason::MfaTimeout),
        ));
    }
    let out = h.run(&event("bo@x.com", at_min(t + 2), "ok", &hotel, mfa_ok()));
    assert!(
        out.iter().any(|f| f.severity >= Severity::Medium),
        "{out:?}"
    );
}

#[test]
fn a_network_common_in_the_tenant_still_surprises_a_trusted_identity() {
    // Thirty colleagues sign in from Melbourne on AS1221; Ana, for forty days, from Sydney on
    // AS7545. An intruder in Melbourne on AS1221, after two refused prompts: the tenant's
    // prior is for identities without a history, so Ana's own history decides.
    let mut h = Harness::new(FailedThenSuccess::default());
    let colleague = Origin {
        city: "Melbourne",
        asn: 1221,
        ip: "1.129.40.7",
        device: None,
        ..home()
    };
    for d in 0..40 {
        for u in 0..30 {
            let who = format!("c{u}@x.com");
            h.run(&event(
                &who,
                at_min(d * DAY + u),
                &format!("{who}-{d}"),
                &colleague,
                ok(),
            ));
        }
    }
    h.learn_home("ana@x.com");
    let intruder = Origin {
        ip: "1.129.77.3",
        ua: "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ..colleague
    };
    let t = 41 * DAY;
    for (i, m) in [0, 1].into_iter().enumerate() {
        h.run(&event(
            "ana@x.com",
            at_min(t + m),
            &format!("d{i}"),
            &intruder,
            failed(FailureReason::MfaDenied),
        ));
    }
    let out = h.run(&event(
        "ana@x.com",
        at_min(t + 3),
        "in",
        &intruder,
        mfa_ok(),
    ));
    assert!(
        out.iter().any(|f| f.severity >= Severity::Medium),
        "{out:?}"
    );
}
