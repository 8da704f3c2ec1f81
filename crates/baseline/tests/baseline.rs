//! Behaviour of the baseline store: learning, trust, decay, caps, priors, forgetting, snapshots.
#![allow(clippy::unwrap_used)]

use palisade_baseline::{BaselineConfig, BaselineStore, DimensionCaps, SNAPSHOT_VERSION};
use palisade_core::{Dimension, Error, ProfileStore, ProfileView};
use palisade_schema::*;
use proptest::prelude::*;

const T0: i64 = 1_709_283_600_000; // 2024-03-01T09:00:00Z

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis_unchecked(T0 + ms)
}

fn day(d: f64) -> i64 {
    (d * 86_400_000.0) as i64
}

#[derive(Clone, Debug)]
struct Props {
    country: &'static str,
    asn: u32,
    ip: &'static str,
    device: Option<&'static str>,
    ua: &'static str,
}

fn home() -> Props {
    Props {
        country: "AU",
        asn: 7545,
        ip: "110.174.9.20",
        device: Some("dev-laptop"),
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36",
    }
}

fn sign_in(who: &str, t: Timestamp, id: &str, p: &Props, ok: bool) -> Event {
    let act = if ok {
        Activity::SignIn(SignIn::success(SignInStage::Primary))
    } else {
        Activity::SignIn(SignIn::failure(
            SignInStage::Primary,
            FailureReason::BadPassword,
        ))
    };
    let mut e = Event::new(t, id, Source::Entra, act).with_actor(Identity::new(who));
    e.origin.country = Some(p.country.into());
    e.origin.asn = Some(p.asn);
    e.origin.ip = Some(p.ip.parse().unwrap());
    e.origin.device_id = p.device.map(Into::into);
    e.origin.user_agent = Some(p.ua.into());
    e
}

fn key(s: &str) -> IdentityKey {
    IdentityKey::new(s)
}

#[test]
fn failed_sign_ins_never_create_a_profile() {
    let mut store = BaselineStore::default();
    for i in 0..50 {
        store.learn(&sign_in(
            "bob@x.com",
            at(i * 1000),
            &format!("f{i}"),
            &home(),
            false,
        ));
    }
    assert!(store.is_empty());
    assert!(store.view(&key("bob@x.com")).is_none());
    store.learn(&sign_in("bob@x.com", at(99_000), "s1", &home(), true));
    assert_eq!(store.len(), 1);
}

#[test]
fn trust_needs_the_earlier_of_days_or_sign_ins_but_never_under_the_floor() {
    let mut store = BaselineStore::default();
    // 30 sign-ins on day 0..4: many sign-ins but only 4 days — under the 5-day floor.
    for i in 0..30 {
        store.learn(&sign_in(
            "a@x.com",
            at(day(i as f64 * 4.0 / 29.0)),
            &format!("a{i}"),
            &home(),
            true,
        ));
    }
    let p = store.view(&key("a@x.com")).unwrap();
    assert_eq!(p.days(), 4);
    assert!(!p.trusted());
    store.learn(&sign_in("a@x.com", at(day(5.0)), "a-last", &home(), true));
    assert!(
        store.view(&key("a@x.com")).unwrap().trusted(),
        "10+ sign-ins over 5 days"
    );

    // Three sign-ins over 14 days: trusted by days alone.
    for (i, d) in [0.0, 7.0, 13.0].into_iter().enumerate() {
        store.learn(&sign_in(
            "b@x.com",
            at(day(d)),
            &format!("b{i}"),
            &home(),
            true,
        ));
    }
    assert!(!store.view(&key("b@x.com")).unwrap().trusted());
    store.learn(&sign_in("b@x.com", at(day(14.0)), "b-last", &home(), true));
    let b = store.view(&key("b@x.com")).unwrap();
    assert_eq!((b.sign_ins(), b.days(), b.trusted()), (4, 14, true));
}

/// Sources without user agents (Entra exports without `userAgent`, Duo) name the browser and
/// OS instead: the profile learns the same family from those names as from a user agent, so a
/// new version stays familiar, another OS is new, and sources agree with one another.
#[test]
fn vendor_browser_and_os_names_are_the_same_family_as_a_user_agent() {
    let named = |id: &str, browser: &str, os: &str| {
        let mut e = sign_in("n@x.com", at(0), id, &home(), true);
        e.origin.user_agent = None;
        e.origin.client = ClientSoftware::new(Some(browser), Some(os));
        e
    };
    let mut store = BaselineStore::default();
    store.learn(&named("e1", "Chrome 77.0.3865", "Windows10"));
    let p = store.view(&key("n@x.com")).unwrap();
    assert_eq!(
        p.top_values(Dimension::UserAgent),
        vec![("Chrome on Windows".to_string(), 1.0)]
    );
    let ask = |e: &Event| {
        let (mut fam, mut share) = ([None], [0.0]);
        p.event_familiarity(e, &[Dimension::UserAgent], &mut fam, &mut share);
        fam[0].is_some()
    };
    assert!(
        ask(&named("e2", "Chrome 120.0.0", "Windows 11")),
        "a new version"
    );
    assert!(
        !ask(&named("e3", "Firefox 98.0", "Windows10")),
        "another browser"
    );
    assert!(
        !ask(&named("e4", "Chrome 77.0.3865", "MacOs")),
        "another OS"
    );
    // A user agent of the same family (another source for the same person) is familiar too.
    assert!(ask(&sign_in("n@x.com", at(1), "e5", &home(), true)));
    assert!(!p.is_new(Dimension::UserAgent, "Chrome 99.0.4844 on Windows 10"));
    assert!(p.is_new(Dimension::UserAgent, "Mobile Safari 16.6 on Ios"));
    // Okta's own reading of a user agent ("CHROME", "Windows 10") is the same family too.
    assert!(ask(&named("e6", "CHROME", "Windows 10")), "Okta's names");
    assert!(
        !ask(&named("e7", "FIREFOX", "Windows 10")),
        "Okta, another browser"
    );
}

#[test]
fn family_not_version_and_prefix_not_address() {
    let mut store = BaselineStore::default();
    store.learn(&sign_in("a@x.com", at(0), "e1", &home(), true));
    let p = store.view(&key("a@x.com")).unwrap();
    assert!(!p.is_new(
        Dimension::UserAgent,
        "Mozilla/5.0 (Windows NT 10.0) Chrome/125.0 Safari/537.36"
    ));
    assert!(p.is_new(
        Dimension::UserAgent,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/120.0"
    ));
    assert!(!p.is_new(Dimension::Prefix, "110.174.9.250"));
    assert!(p.is_new(Dimension::Prefix, "110.174.10.20"));
    assert!(!p.is_new(Dimension::Asn, "AS7545"));
    assert!(!p.is_new(Dimension::Device, "dev-laptop"));
    assert!(
        p.is_new(Dimension::Device, "DEV-LAPTOP"),
        "device ids are compared exactly"
    );
    let hour = at(0).hour_of_week().to_string();
    assert!(!p.is_new(Dimension::HourOfWeek, &hour));
    assert_eq!(
        p.top_values(Dimension::Asn),
        vec![("7545".to_string(), 1.0)]
    );
    assert_eq!(
        p.top_values(Dimension::UserAgent),
        vec![("Chrome on Windows".to_string(), 1.0)]
    );
    assert!(
        p.top_values(Dimension::Device).is_empty(),
        "hashed dimensions have no labels"
    );
}

#[test]
fn decay_halves_weight_per_half_life_and_forgets_old_values() {
    let mut store = BaselineStore::default();
    let mut us = home();
    us.country = "US";
    store.learn(&sign_in("a@x.com", at(0), "e1", &us, true));
    store.learn(&sign_in("a@x.com", at(day(30.0)), "e2", &home(), true));
    let p = store.view(&key("a@x.com")).unwrap();
    let f = p.familiarity(Dimension::Country, "US").unwrap();
    assert!(
        (f.weight - 0.5).abs() < 1e-4,
        "one half-life later: {}",
        f.weight
    );
    assert!((f.share - 0.5 / 1.5).abs() < 1e-4);
    assert_eq!(f.first_seen, at(0));
    // 30 × log2(1 / 0.05) ≈ 130 days after its only sighting the US is forgotten.
    store.learn(&sign_in("a@x.com", at(day(140.0)), "e3", &home(), true));
    let p = store.view(&key("a@x.com")).unwrap();
    assert!(p.is_new(Dimension::Country, "US"));
    assert_eq!(p.top_values(Dimension::Country)[0].0, "AU");
}

#[test]
fn late_events_count_as_already_decayed() {
    let mut store = BaselineStore::default();
    let mut us = home();
    us.country = "US";
    store.learn(&sign_in("a@x.com", at(day(30.0)), "e2", &home(), true));
    store.learn(&sign_in("a@x.com", at(0), "e1", &us, true));
    let p = store.view(&key("a@x.com")).unwrap();
    let f = p.familiarity(Dimension::Country, "US").unwrap();
    assert!((f.weight - 0.5).abs() < 1e-4);
    assert_eq!(store.profile("a@x.com").unwrap().first_seen(), at(0));
}

#[test]
fn tenant_prior_counts_identities_and_forgets_with_them() {
    let mut store = BaselineStore::default();
    for i in 0..30 {
        let mut p = home();
        if i % 3 == 0 {
            p.country = "NZ";
        }
        store.learn(&sign_in(
            &format!("u{i}@x.com"),
            at(i),
            &format!("e{i}"),
            &p,
            true,
        ));
    }
    let v = store.view(&key("u1@x.com")).unwrap();
    assert!((v.tenant_share(Dimension::Country, "AU") - 20.0 / 30.0).abs() < 1e-9);
    assert!((v.tenant_share(Dimension::Country, "nz") - 10.0 / 30.0).abs() < 1e-9);
    assert_eq!(v.tenant_share(Dimension::Country, "US"), 0.0);
    assert_eq!(
        v.tenant_share(Dimension::Device, "dev-laptop"),
        0.0,
        "devices are personal"
    );
    for i in 0..30 {
        if i % 3 == 0 {
            store.forget(&key(&format!("u{i}@x.com")));
        }
    }
    assert_eq!(store.len(), 20);
    let v = store.view(&key("u1@x.com")).unwrap();
    assert_eq!(v.tenant_share(Dimension::Country, "NZ"), 0.0);
    assert_eq!(v.tenant_share(Dimension::Country, "AU"), 1.0);
    // Forgotten identities are gone; the others are still found after the swap-removal.
    for i in 0..30 {
        assert_eq!(
            store.view(&key(&format!("u{i}@x.com"))).is_some(),
            i % 3 != 0,
            "u{i}"
        );
    }
}

#[test]
fn tenant_prior_is_silent_below_the_minimum_population() {
    let mut store = BaselineStore::default();
    store.learn(&sign_in("a@x.com", at(0), "e1", &home(), true));
    let v = store.view(&key("a@x.com")).unwrap();
    assert_eq!(v.tenant_share(Dimension::Country, "AU"), 0.0);
}

#[test]
fn snapshot_errors_are_clear_and_leave_state_alone() {
    let mut store = BaselineStore::default();
    store.learn(&sign_in("a@x.com", at(0), "e1", &home(), true));
    let bytes = store.snapshot().unwrap();
    let mut other = BaselineStore::default();
    other.learn(&sign_in("z@x.com", at(0), "z1", &home(), true));

    assert!(matches!(other.restore(&[]), Err(Error::CorruptSnapshot(m)) if m.contains("empty")));
    assert!(
        matches!(other.restore(b"hello world, not a snapshot"), Err(Error::CorruptSnapshot(m)) if m.contains("magic"))
    );
    let mut v2 = bytes.clone();
    v2[8..12].copy_from_slice(&(SNAPSHOT_VERSION + 1).to_le_bytes());
    assert_eq!(
        other.restore(&v2),
        Err(Error::SnapshotVersion {
            found: SNAPSHOT_VERSION + 1,
            expected: SNAPSHOT_VERSION
        })
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x40;
    assert!(
        matches!(other.restore(&flipped), Err(Error::CorruptSnapshot(m)) if m.contains("checksum"))
    );
    assert!(other.restore(&bytes[..bytes.len() - 1]).is_err());
    // Nothing above touched the state.
    assert!(other.profile("z@x.com").is_some());
    other.restore(&bytes).unwrap();
    assert!(other.profile("z@x.com").is_none());
    assert_eq!(other.profile("a@x.com").unwrap().sign_ins(), 1);
}

#[test]
fn restore_applies_this_stores_caps() {
    let big = BaselineConfig {
        caps: DimensionCaps {
            country: 10,
            ..DimensionCaps::default()
        },
        ..BaselineConfig::default()
    };
    let mut store = BaselineStore::new(big).unwrap();
    let countries = ["AU", "NZ", "US", "GB", "FR", "DE", "JP", "SG"];
    for (i, c) in countries.into_iter().enumerate() {
        let mut p = home();
        p.country = c;
        store.learn(&sign_in(
            "a@x.com",
            at(i as i64),
            &format!("e{i}"),
            &p,
            true,
        ));
    }
    assert_eq!(
        store
            .profile("a@x.com")
            .unwrap()
            .value_count(Dimension::Country),
        countries.len()
    );
    let mut small = BaselineStore::default();
    small.restore(&store.snapshot().unwrap()).unwrap();
    assert_eq!(
        small
            .profile("a@x.com")
            .unwrap()
            .value_count(Dimension::Country),
        usize::from(DimensionCaps::default().country)
    );
}

#[test]
fn config_is_validated() {
    for bad in [
        BaselineConfig {
            half_life_days: f64::NAN,
            ..BaselineConfig::default()
        },
        BaselineConfig {
            min_weight: 1.5,
            ..BaselineConfig::default()
        },
        BaselineConfig {
            min_learning_days: 20,
            ..BaselineConfig::default()
        },
        BaselineConfig {
            caps: DimensionCaps {
                device: 0,
                ..DimensionCaps::default()
            },
            ..BaselineConfig::default()
        },
        // Both answers of "did the sign-in satisfy MFA" must fit.
        BaselineConfig {
            caps: DimensionCaps {
                mfa: 1,
                ..DimensionCaps::default()
            },
            ..BaselineConfig::default()
        },
    ] {
        assert!(matches!(BaselineStore::new(bad), Err(Error::Config(_))));
    }
    let unknown = serde_json::from_str::<BaselineConfig>(r#"{"half_life": 3}"#);
    assert!(unknown.is_err(), "unknown settings are refused");
}

#[test]
fn a_realistic_profile_stays_under_a_kibibyte() {
    let mut store = BaselineStore::default();
    let n = 2000;
    for i in 0..n {
        let who = format!("user{i:06}@contoso.example");
        for s in 0..40 {
            let mut p = home();
            p.ip = [
                "110.174.9.20",
                "49.180.3.4",
                "1.129.200.9",
                "203.0.113.7",
                "49.180.77.1",
            ][s % 5];
            p.asn = [7545, 4804, 1221, 64500, 4804][s % 5];
            p.country = if s % 13 == 0 { "NZ" } else { "AU" };
            p.device = Some(["dev-a", "dev-b"][s % 2]);
            let t = at(day(s as f64 * 0.7) + (i as i64) * 1000);
            store.learn(&sign_in(&who, t, &format!("e{i}-{s}"), &p, true));
        }
    }
    let per = store.state_bytes() / n;
    assert!(per <= 1024, "{per} bytes per identity");
    assert!(per >= 200, "state_bytes must count the profiles: {per}");
}

/// One visit counts once. Okta logs a session start and then an SSO record per app, all of one
/// session: an intruder's single visit must not teach its network as often as it opened an app.
#[test]
fn one_session_counts_once_per_window() {
    let mut store = BaselineStore::default();
    // `n` records of one session a minute apart, each into another app.
    let visit = |store: &mut BaselineStore, t: i64, session: Option<&str>, p: &Props, n: usize| {
        for k in 0..n {
            let id = format!("{}-{t}-{k}", session.unwrap_or("none"));
            let mut e = sign_in("ana@x.com", at(t + k as i64 * 60_000), &id, p, true);
            e.origin.session_id = session.map(Into::into);
            if let Activity::SignIn(s) = &mut e.activity {
                s.stage = SignInStage::Sso;
                s.app = Some(format!("app{k}"));
            }
            store.learn(&e);
        }
    };
    let weight = |store: &BaselineStore, dim: Dimension, value: &str| {
        store
            .view(&key("ana@x.com"))
            .and_then(|v| v.familiarity(dim, value))
            .map_or(0.0, |f| f.weight)
    };
    let sign_ins = |store: &BaselineStore| store.profile("ana@x.com").unwrap().sign_ins();

    visit(&mut store, 0, Some("s1"), &home(), 4);
    assert_eq!(sign_ins(&store), 1);
    assert!((weight(&store, Dimension::Asn, "AS7545") - 1.0).abs() < 1e-3);
    // Every app the visit opened is learned, once.
    let apps = store
        .profile("ana@x.com")
        .unwrap()
        .top_values(Dimension::App);
    assert_eq!(apps.len(), 4, "{apps:?}");

    // Another session is another visit.
    visit(&mut store, day(1.0), Some("s2"), &home(), 2);
    assert_eq!(sign_ins(&store), 2);
    let home_weight = weight(&store, Dimension::Asn, "AS7545");
    assert!((home_weight - (1.0 + (-1.0f64 / 30.0).exp2())).abs() < 1e-3);

    // The same session from another network (a replayed cookie) teaches that network once,
    // however many records it makes, and is not another sign-in.
    let us = Props {
        country: "US",
        asn: 7922,
        ip: "73.12.0.9",
        device: None,
        ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0",
    };
    visit(&mut store, day(1.0) + 3_600_000, Some("s2"), &us, 3);
    assert_eq!(sign_ins(&store), 2);
    assert!((weight(&store, Dimension::Asn, "AS7922") - 1.0).abs() < 1e-3);
    assert!(weight(&store, Dimension::Asn, "AS7545") <= home_weight);

    // A session that outlasts the window counts once per window, so long-lived sessions still
    // teach.
    visit(
        &mut store,
        day(1.0) + 13 * 3_600_000,
        Some("s2"),
        &home(),
        2,
    );
    assert_eq!(sign_ins(&store), 3);
    assert!(weight(&store, Dimension::Asn, "AS7545") > home_weight + 0.9);

    // Records that name no session count one by one, as does every record with no window.
    visit(&mut store, day(3.0), None, &home(), 3);
    assert_eq!(sign_ins(&store), 6);
    let config = BaselineConfig {
        session_window_secs: 0,
        ..BaselineConfig::default()
    };
    let mut every = BaselineStore::new(config).unwrap();
    visit(&mut every, 0, Some("s1"), &home(), 4);
    assert_eq!(sign_ins(&every), 4);
}

fn arb_props() -> impl Strategy<Value = (u8, u8, u8, u8, u8, bool)> {
    (0u8..12, 0u8..12, 0u8..40, 0u8..12, 0u8..6, any::<bool>())
}

fn event_of(who: u8, t: i64, i: usize, p: (u8, u8, u8, u8, u8, bool)) -> Event {
    let (c, a, ip, d, ua, ok) = p;
    let act = if ok {
        Activity::SignIn(SignIn::success(SignInStage::Primary))
    } else {
        Activity::SignIn(SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied))
    };
    let mut e = Event::new(at(t), format!("e{i}"), Source::Okta, act)
        .with_actor(Identity::new(&format!("u{who}@x.com")));
    e.origin.country = Some(format!("C{c}"));
    e.origin.city = Some(format!("City {c}-{a}"));
    e.origin.asn = Some(64_500 + u32::from(a));
    e.origin.ip = Some(format!("10.{ip}.{}.1", ip / 3).parse().unwrap());
    e.origin.device_id = Some(format!("d{d}"));
    // A few sessions, so records of one visit meet (and cross snapshots) too.
    e.origin.session_id = Some(format!("s{}", d % 4));
    e.origin.user_agent = Some(
        [
            "Chrome/1 Windows",
            "Firefox/2 Linux",
            "Safari/3 iPhone",
            "Edg/4 Windows",
            "curl/8",
            "Opera Android",
        ][usize::from(ua)]
        .into(),
    );
    if let Activity::SignIn(s) = &mut e.activity {
        s.app = Some(format!("app{}", (c + a) % 7));
    }
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever an identity does, no dimension holds more than its cap, weights stay positive
    /// and finite, and shares of a dimension sum to one.
    #[test]
    fn caps_hold_and_shares_sum_to_one(
        events in prop::collection::vec((0u8..4, 0i64..100_000_000, arb_props()), 1..300)
    ) {
        let mut store = BaselineStore::default();
        let caps = DimensionCaps::default();
        for (i, (who, dt, p)) in events.iter().enumerate() {
            store.learn(&event_of(*who, *dt * 60, i, *p));
        }
        for id in store.identities().map(str::to_owned).collect::<Vec<_>>() {
            let p = store.profile(&id).unwrap();
            prop_assert!(p.len() <= caps.total());
            for dim in [Dimension::Country, Dimension::City, Dimension::Asn, Dimension::Prefix,
                        Dimension::Device, Dimension::UserAgent, Dimension::HourOfWeek, Dimension::App] {
                prop_assert!(p.value_count(dim) <= caps.get(dim));
            }
            for dim in [Dimension::Country, Dimension::Asn, Dimension::City, Dimension::App] {
                let top = p.top_values(dim);
                if !top.is_empty() {
                    let sum: f64 = top.iter().map(|(_, s)| s).sum();
                    prop_assert!((sum - 1.0).abs() < 1e-3, "{:?} sums to {}", dim, sum);
                    prop_assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
                }
            }
        }
    }

    /// A value's weight decays by exactly 2^(-Δ/half-life) and never grows without a sighting.
    #[test]
    fn decay_follows_the_half_life(half_life in 1.0f64..90.0, gaps in prop::collection::vec(1i64..2_000_000, 1..20)) {
        let config = BaselineConfig { half_life_days: half_life, min_weight: 1e-6, ..BaselineConfig::default() };
        let mut store = BaselineStore::new(config).unwrap();
        let mut us = home();
        us.country = "US";
        store.learn(&sign_in("a@x.com", at(0), "e0", &us, true));
        let mut t = 0i64;
        let mut prev = 1.0f64;
        for (i, g) in gaps.iter().enumerate() {
            t += g * 1000;
            store.learn(&sign_in("a@x.com", at(t), &format!("e{}", i + 1), &home(), true));
            let expect = (-(t as f64 / 1000.0) / (half_life * 86_400.0)).exp2();
            let fam = store.view(&key("a@x.com")).unwrap().familiarity(Dimension::Country, "US");
            if expect < 1e-5 {
                // Near or under the minimum weight: forgotten, or about to be.
                prop_assert!(fam.is_none_or(|f| f.weight < 2e-5));
                break;
            }
            let w = fam.unwrap().weight;
            prop_assert!((w - expect).abs() <= 1e-3 * expect.max(1e-3), "w {} expected {}", w, expect);
            prop_assert!(w <= prev + 1e-9);
            prev = w;
        }
    }

    /// Snapshot mid-stream, restore into a new store, continue: the result equals never stopping.
    #[test]
    fn snapshot_restore_is_invisible(
        events in prop::collection::vec((0u8..6, 0i64..50_000_000, arb_props()), 2..200),
        cut in 0usize..200,
    ) {
        let cut = cut % events.len();
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.1);
        let evs: Vec<Event> = sorted.iter().enumerate().map(|(i, (w, t, p))| event_of(*w, *t * 60, i, *p)).collect();
        let mut straight = BaselineStore::default();
        for e in &evs { straight.learn(e); }
        let mut first = BaselineStore::default();
        for e in &evs[..cut] { first.learn(e); }
        let mut second = BaselineStore::default();
        second.restore(&first.snapshot().unwrap()).unwrap();
        for e in &evs[cut..] { second.learn(e); }
        prop_assert_eq!(straight.snapshot().unwrap(), second.snapshot().unwrap());
    }

    /// Damaged snapshots are refused with an error, never a panic or a silently empty store.
    #[test]
    fn damaged_snapshots_are_refused(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut store = BaselineStore::default();
        for i in 0..20 {
            store.learn(&event_of((i % 4) as u8, i * 60_000, i as usize, (i as u8 % 12, 1, 2, 3, 1, true)));
        }
        let mut bytes = store.snapshot().unwrap();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let mut other = BaselineStore::default();
        prop_assert!(other.restore(&bytes).is_err());
        prop_assert!(other.restore(&bytes[..i]).is_err());
    }

    /// Forgetting every identity leaves a store whose priors are empty.
    #[test]
    fn forgetting_releases_the_prior(events in prop::collection::vec((0u8..30, 0i64..1_000_000, arb_props()), 1..200)) {
        let mut store = BaselineStore::default();
        for (i, (who, dt, p)) in events.iter().enumerate() {
            store.learn(&event_of(*who, *dt * 60, i, *p));
        }
        let ids: Vec<String> = store.identities().map(str::to_owned).collect();
        for id in ids.iter().skip(1) {
            store.forget(&key(id));
        }
        if let Some(first) = ids.first() {
            let p = store.profile(first).unwrap();
            // One identity left: below the minimum population, the prior says nothing.
            prop_assert_eq!(p.tenant_share(Dimension::Country, "C1"), 0.0);
            store.forget(&key(first));
        }
        prop_assert!(store.is_empty());
        let mut fresh = home();
        fresh.country = "ZZ";
        for i in 0..20 {
            store.learn(&sign_in(&format!("n{i}@x.com"), at(i), &format!("n{i}"), &fresh, true));
        }
        let p = store.view(&key("n0@x.com")).unwrap();
        prop_assert_eq!(p.tenant_share(Dimension::Country, "ZZ"), 1.0);
        prop_assert_eq!(p.tenant_share(Dimension::Country, "C1"), 0.0);
        prop_assert_eq!(p.tenant_share(Dimension::Asn, "64501"), 0.0);
    }
}

/// Identity keys share one arena: forgetting most identities compacts it, and the rest are
/// still found, listed in creation order and snapshotted under their own keys.
#[test]
fn forgetting_many_identities_keeps_the_rest_intact() {
    let mut store = BaselineStore::default();
    let t = at(day(1.0));
    let n = 3000;
    let who = |i: usize| format!("someone.with.a.long.name.{i:05}@contoso.example");
    for i in 0..n {
        store.learn(&sign_in(&who(i), t, &format!("e{i}"), &home(), true));
    }
    let bytes_full = store.state_bytes();
    for i in (0..n).filter(|i| i % 10 != 0) {
        store.forget(&key(&who(i)));
    }
    assert_eq!(store.len(), n / 10);
    assert!(store.state_bytes() < bytes_full);
    let kept: Vec<String> = (0..n).step_by(10).map(who).collect();
    assert_eq!(store.identities().collect::<Vec<_>>(), kept);
    for id in &kept {
        assert_eq!(store.view(&key(id)).map(|p| p.sign_ins()), Some(1), "{id}");
    }
    assert!(store.view(&key(&who(1))).is_none());
    // Learning after compaction finds the same profiles, and snapshots round-trip.
    store.learn(&sign_in(&who(10), t, "again", &home(), true));
    assert_eq!(store.view(&key(&who(10))).map(|p| p.sign_ins()), Some(2));
    let snap = store.snapshot().unwrap();
    let mut copy = BaselineStore::default();
    copy.restore(&snap).unwrap();
    assert_eq!(copy.identities().collect::<Vec<_>>(), kept);
    assert_eq!(copy.snapshot().unwrap(), snap);
}

/// The event's value in `dim` as text, as `ProfileView::event_familiarity` describes it.
fn text_of(e: &Event, dim: Dimension) -> Option<String> {
    let o = &e.origin;
    match dim {
        Dimension::Country => o.country.clone(),
        Dimension::City => o.city.clone(),
        Dimension::Asn => o.asn.map(|a| a.to_string()),
        Dimension::Prefix => o.ip.map(|ip| ip.to_string()),
        Dimension::Device => o.device_id.clone(),
        Dimension::UserAgent => o.user_agent.clone(),
        Dimension::HourOfWeek => Some(e.time.hour_of_week().to_string()),
        _ => match &e.activity {
            Activity::SignIn(s) => s.app.clone(),
            _ => None,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Asking about a whole event at once gives exactly what asking one dimension at a time
    /// about its values as text gives, odd values included (blank, padded, IPv6, mapped IPv4,
    /// a user-agent family label, no value at all), and for repeated dimensions too.
    #[test]
    fn event_familiarity_equals_asking_one_dimension_at_a_time(
        events in prop::collection::vec((0u8..3, 0i64..50_000_000, arb_props()), 1..120),
        odd in prop::collection::vec((0u8..3, 0u8..10, arb_props()), 1..30),
    ) {
        let mut store = BaselineStore::default();
        let mut sorted = events.clone();
        sorted.sort_by_key(|e| e.1);
        for (i, (who, t, p)) in sorted.iter().enumerate() {
            store.learn(&event_of(*who, *t * 60, i, *p));
        }
        // Enough identities for the tenant prior to speak.
        for i in 0..25 {
            store.learn(&event_of(3 + i, 0, 1000 + usize::from(i), (1, 1, 1, 1, 1, true)));
        }
        let all = [Dimension::Country, Dimension::City, Dimension::Asn, Dimension::Prefix,
                   Dimension::Device, Dimension::UserAgent, Dimension::HourOfWeek, Dimension::App];
        let many: Vec<Dimension> = all.iter().chain(all.iter()).copied().collect();
        for (who, twist, p) in odd {
            let mut e = event_of(who, 40_000_000 * 60, 9_999, p);
            match twist {
                0 => e.origin.country = Some("  ".into()),
                1 => e.origin.country = Some(" c1 ".into()),
                2 => e.origin.ip = Some("2001:db8:1234:5678::1".parse().unwrap()),
                3 => e.origin.ip = Some("::ffff:10.3.1.1".parse().unwrap()),
                4 => e.origin.user_agent = Some("Chrome on Windows".into()),
                5 => e.origin.device_id = None,
                6 => e.origin.city = Some("\u{a0}".into()),
                7 => { e.origin.asn = None; e.origin.city = None; e.origin.ip = None; }
                8 => e.activity = Activity::SignIn(SignIn::success(SignInStage::Mfa)),
                _ => e.origin.user_agent = Some(String::new()),
            }
            // The identity of a failed sign-in may have no profile; a settled one always does.
            let view = store.view(&key(&format!("u{who}@x.com")))
                .or_else(|| store.view(&key("u3@x.com")))
                .unwrap();
            for dims in [&all[..], &many[..], &all[2..5]] {
                let mut familiar = vec![None; dims.len()];
                let mut shares = vec![0.0; dims.len()];
                view.event_familiarity(&e, dims, &mut familiar, &mut shares);
                for (k, dim) in dims.iter().enumerate() {
                    let (f, s) = match text_of(&e, *dim) {
                        Some(v) => (view.familiarity(*dim, &v), view.tenant_share(*dim, &v)),
                        None => (None, 0.0),
                    };
                    prop_assert_eq!(familiar[k], f, "{:?} of {:?}", dim, e.origin);
                    prop_assert_eq!(shares[k], s, "{:?} of {:?}", dim, e.origin);
                }
            }
        }
    }
}

/// One step of an Okta-like flow for `who` at `secs` seconds from T0, from country `c`.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A password-stage success (`user.session.start`).
    Password,
    MfaOk,
    MfaDenied,
}

/// Identities named `…@entra.x.com` sign in through Entra (whole sign-ins); the rest through
/// Okta, which logs the password stage first.
fn step(who: &str, secs: i64, i: usize, c: u8, s: Step) -> Event {
    let source = if who.ends_with("@entra.x.com") {
        Source::Entra
    } else {
        Source::Okta
    };
    let act = match s {
        Step::Password => SignIn::success(SignInStage::Primary),
        Step::MfaOk => SignIn::success(SignInStage::Mfa),
        Step::MfaDenied => SignIn::failure(SignInStage::Mfa, FailureReason::MfaDenied),
    };
    let mut e = Event::new(
        at(secs * 1000),
        format!("s{i}"),
        source,
        Activity::SignIn(act),
    )
    .with_actor(Identity::new(who));
    e.origin.country = Some(format!("C{c}"));
    e.origin.asn = Some(64_500 + u32::from(c));
    e
}

fn countries(store: &BaselineStore, who: &str) -> Vec<String> {
    let mut c: Vec<String> = store
        .profile(who)
        .map(|p| {
            p.top_values(Dimension::Country)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        })
        .unwrap_or_default();
    c.sort();
    c
}

/// Okta logs `user.session.start` once the password is verified, before MFA. An attacker who
/// has the password but is refused at MFA must not teach the victim's profile their origin,
/// even before the victim was ever seen taking a step; the victim's own flows count once each,
/// and a sign-in on a device that remembers its MFA (no second step) is learned once the wait
/// is over.
#[test]
fn a_password_stage_success_waits_for_its_mfa_step() {
    let mut store = BaselineStore::default();
    let run = |store: &mut BaselineStore, e: &Event| {
        store.advance(e.time);
        store.learn(e);
    };
    let mut i = 0;
    let mut next = |who: &str, secs: i64, c: u8, s: Step| {
        i += 1;
        step(who, secs, i, c, s)
    };
    // A week of the victim's own flows from C0: password, then push approved 20 s later.
    for d in 0..7 {
        run(
            &mut store,
            &next("ana@x.com", d * 86_400, 0, Step::Password),
        );
        run(
            &mut store,
            &next("ana@x.com", d * 86_400 + 20, 0, Step::MfaOk),
        );
    }
    // One sign-in a flow, the first too.
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 7);

    // The attacker from C9: password accepted, push denied, twice.
    let t = 8 * 86_400;
    run(&mut store, &next("ana@x.com", t, 9, Step::Password));
    run(&mut store, &next("ana@x.com", t + 30, 9, Step::MfaDenied));
    run(&mut store, &next("ana@x.com", t + 200, 9, Step::Password));
    run(&mut store, &next("ana@x.com", t + 230, 9, Step::MfaDenied));
    // A day later, long past every wait: the profile never learned C9.
    run(
        &mut store,
        &next("ana@x.com", t + 86_400, 0, Step::Password),
    );
    assert_eq!(countries(&store, "ana@x.com"), ["C0"]);
    assert!(store
        .view(&key("ana@x.com"))
        .unwrap()
        .is_new(Dimension::Country, "C9"));
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 7);

    // That last password success has no MFA step (a remembered device): learned when the wait
    // ends.
    store.advance(at((t + 86_400 + 599) * 1000));
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 7);
    store.advance(at((t + 86_400 + 600) * 1000));
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 8);

    let t2 = t + 2 * 86_400;
    // A vendor that logs the sign-in after its MFA step (Google Workspace, Okta Identity
    // Engine): the step just before was this sign-in, learned with it; the two records count
    // once.
    run(&mut store, &next("ana@x.com", t2 + 7_200, 5, Step::MfaOk));
    run(
        &mut store,
        &next("ana@x.com", t2 + 7_201, 5, Step::Password),
    );
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 9);
    assert_eq!(countries(&store, "ana@x.com"), ["C0", "C5"]);

    // An MFA step of another session answers nothing: the victim approving their own push
    // does not confirm the attacker's waiting sign-in.
    let t3 = t2 + 86_400;
    let mut attacker = next("ana@x.com", t3, 9, Step::Password);
    attacker.origin.session_id = Some("attacker-session".into());
    run(&mut store, &attacker);
    let mut own = next("ana@x.com", t3 + 20, 0, Step::MfaOk);
    own.origin.session_id = Some("ana-session".into());
    run(&mut store, &own);
    let mut refused = next("ana@x.com", t3 + 40, 9, Step::MfaDenied);
    refused.origin.session_id = Some("attacker-session".into());
    run(&mut store, &refused);
    store.advance(at((t3 + 3_600) * 1000));
    assert!(!countries(&store, "ana@x.com").contains(&"C9".to_owned()));
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 10);

    // Nor does a step of another session just before: the victim approved their own push four
    // minutes before the attacker's password success, which still waits and is refused, also
    // in a store restored between the two (the step's session is in the snapshot).
    let t4 = t3 + 86_400;
    let mut own = next("ana@x.com", t4, 0, Step::MfaOk);
    own.origin.session_id = Some("ana-session-2".into());
    run(&mut store, &own);
    let mut restored = BaselineStore::default();
    restored.restore(&store.snapshot().unwrap()).unwrap();
    let mut attacker = next("ana@x.com", t4 + 240, 9, Step::Password);
    attacker.origin.session_id = Some("attacker-session-2".into());
    let mut refused = next("ana@x.com", t4 + 270, 9, Step::MfaDenied);
    refused.origin.session_id = Some("attacker-session-2".into());
    for s in [&mut store, &mut restored] {
        run(s, &attacker);
        run(s, &refused);
        s.advance(at((t4 + 3_600) * 1000));
        assert!(!countries(s, "ana@x.com").contains(&"C9".to_owned()));
        assert_eq!(s.profile("ana@x.com").unwrap().sign_ins(), 11);
    }

    // Someone never seen taking an MFA step, whose own device is not asked: from Okta, each
    // sign-in is learned when its wait ends (a newer one replaces one still waiting); from a
    // source that logs whole sign-ins, at once.
    run(&mut store, &next("bob@x.com", t, 1, Step::Password));
    run(&mut store, &next("bob@x.com", t + 60, 1, Step::Password));
    assert!(store
        .profile("bob@x.com")
        .is_some_and(|p| p.sign_ins() == 0));
    store.advance(at((t + 660) * 1000));
    assert_eq!(store.profile("bob@x.com").unwrap().sign_ins(), 1);
    run(&mut store, &next("bob@entra.x.com", t, 1, Step::Password));
    run(
        &mut store,
        &next("bob@entra.x.com", t + 60, 1, Step::Password),
    );
    assert_eq!(store.profile("bob@entra.x.com").unwrap().sign_ins(), 2);
    // The attacker refused at the first step ever asked of carol: nothing of theirs is learned.
    run(&mut store, &next("carol@x.com", t, 0, Step::Password));
    store.advance(at((t + 700) * 1000));
    run(&mut store, &next("carol@x.com", t + 800, 9, Step::Password));
    run(
        &mut store,
        &next("carol@x.com", t + 830, 9, Step::MfaDenied),
    );
    store.advance(at((t + 3_600) * 1000));
    assert_eq!(countries(&store, "carol@x.com"), ["C0"]);
    // A failed MFA step never creates a profile.
    run(&mut store, &next("eve@x.com", t, 1, Step::MfaDenied));
    assert!(store.profile("eve@x.com").is_none());

    // With the wait turned off, the attacker's password success is learned (the old behaviour).
    let config = BaselineConfig {
        mfa_step_wait_secs: 0,
        ..BaselineConfig::default()
    };
    let mut eager = BaselineStore::new(config).unwrap();
    run(&mut eager, &next("ana@x.com", 0, 0, Step::MfaOk));
    run(&mut eager, &next("ana@x.com", 100, 9, Step::Password));
    run(&mut eager, &next("ana@x.com", 130, 9, Step::MfaDenied));
    assert_eq!(countries(&eager, "ana@x.com"), ["C0", "C9"]);
}

/// Waiting sign-ins are bounded: past `max_waiting` the oldest is learned early, the memory
/// they hold is counted, and sign-ins
/// answered one after another leave nothing behind however many there are.
#[test]
fn waiting_sign_ins_are_capped_and_counted() {
    let config = BaselineConfig {
        max_waiting: 3,
        ..BaselineConfig::default()
    };
    let mut store = BaselineStore::new(config).unwrap();
    for u in 0..8 {
        store.learn(&step(&format!("u{u}@x.com"), 0, u, 0, Step::MfaOk));
    }
    let before = store.state_bytes();
    for u in 0..8 {
        let t = 1_000 + u as i64;
        store.learn(&step(&format!("u{u}@x.com"), t, 100 + u, 0, Step::Password));
    }
    assert!(
        store.state_bytes() > before,
        "waiting sign-ins must be counted"
    );
    // The five oldest were learned early; the three newest still wait.
    for u in 0..8 {
        let n = store.profile(&format!("u{u}@x.com")).unwrap().sign_ins();
        assert_eq!(n, if u < 5 { 2 } else { 1 }, "u{u}");
    }
    // An attacker's password succeeding and MFA refused, over and over in one second.
    let full = store.state_bytes();
    for k in 0..20_000 {
        store.learn(&step("u7@x.com", 2_000, 1_000 + 2 * k, 9, Step::Password));
        store.learn(&step("u7@x.com", 2_000, 1_001 + 2 * k, 9, Step::MfaDenied));
    }
    assert!(
        store.state_bytes() <= full + 4_096,
        "answered sign-ins must leave nothing: {} > {full}",
        store.state_bytes()
    );
}

/// A reference model of what the store learns from flows, checked against the store, and a
/// snapshot cut anywhere (a sign-in waiting for its MFA step across the cut) changes nothing.
/// Identities 0 and 1 sign in through Okta, 2 and 3 through Entra.
fn model(events: &[(u8, i64, u8, Step)], wait: i64) -> Vec<(u64, Vec<String>)> {
    #[derive(Default, Clone)]
    struct Who {
        last_mfa: Option<i64>,
        waiting: Option<(i64, u8)>,
        learned: Vec<u8>,
    }
    impl Who {
        /// A wait that ended unanswered: learned.
        fn end_wait(&mut self) {
            if let Some((_, wc)) = self.waiting.take() {
                self.learned.push(wc);
            }
        }
    }
    let mut who = vec![Who::default(); 4];
    for &(w, t, c, s) in events {
        for x in who.iter_mut() {
            if x.waiting.is_some_and(|(wt, _)| wt + wait <= t) {
                x.end_wait();
            }
        }
        let x = &mut who[usize::from(w)];
        // Okta logs the password stage first: its success waits for a step unless one just
        // came. Entra's waits only for an identity seen taking a step.
        let password_stage_first = w < 2;
        match s {
            Step::Password => match x.last_mfa {
                // The step just before was this sign-in, already learned with it.
                Some(m) if t - m <= wait => {}
                Some(_) => x.waiting = Some((t, c)),
                None if password_stage_first => x.waiting = Some((t, c)),
                None => x.learned.push(c),
            },
            Step::MfaOk => {
                x.last_mfa = Some(x.last_mfa.map_or(t, |m| m.max(t)));
                match x.waiting.take() {
                    Some((_, wc)) => x.learned.push(wc),
                    None => x.learned.push(c),
                }
            }
            Step::MfaDenied => x.waiting = None,
        }
    }
    who.into_iter()
        .map(|mut x| {
            x.end_wait();
            let mut c: Vec<String> = x.learned.iter().map(|c| format!("C{c}")).collect();
            c.sort();
            c.dedup();
            (x.learned.len() as u64, c)
        })
        .collect()
}

/// A snapshot of one profile (three sign-ins, one value) as an older version wrote it: version
/// 2 has no MFA step; version 3 has its time (a day after the first sign-in), no session, and
/// nothing waiting.
fn old_snapshot(version: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0u64.to_le_bytes()); // sweep counter
    body.extend_from_slice(&0u32.to_le_bytes()); // labels
    for _ in 0..8 {
        body.extend_from_slice(&0u32.to_le_bytes()); // priors
    }
    body.extend_from_slice(&1u32.to_le_bytes()); // one profile
    let id = b"ana@x.com";
    body.extend_from_slice(&(id.len() as u16).to_le_bytes());
    body.extend_from_slice(id);
    let t = (T0 / 1000) as u32;
    for v in [3u32, t, t + 86_400, t + 86_400] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    if version == 3 {
        body.extend_from_slice(&(t + 86_400).to_le_bytes()); // last MFA step
    }
    body.push(1); // one value: hour of week 0 (dimension 6)
    body.push(6);
    body.extend_from_slice(&0u64.to_le_bytes());
    body.extend_from_slice(&3.0f32.to_le_bytes());
    body.extend_from_slice(&t.to_le_bytes());
    body.extend_from_slice(&(t + 86_400).to_le_bytes());
    if version == 3 {
        body.extend_from_slice(&0u32.to_le_bytes()); // nothing waiting
    }
    let mut bytes = b"PALBASE\0".to_vec();
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    bytes
}

/// A version-2 snapshot (written before sign-ins waited for their MFA step) is still read:
/// its profiles come back with no MFA step on record and nothing waiting.
#[test]
fn a_version_2_snapshot_is_still_read() {
    let mut store = BaselineStore::default();
    store.restore(&old_snapshot(2)).unwrap();
    let ana = store.profile("ana@x.com").unwrap();
    assert_eq!((ana.sign_ins(), ana.len()), (3, 1));
    // No MFA step on record: a password-stage success from a source that logs whole sign-ins
    // is learned at once.
    let mut whole = step("ana@x.com", 2 * 86_400, 1, 0, Step::Password);
    whole.source = Source::Entra;
    store.learn(&whole);
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 4);
    // Written back as the current version, and read again.
    let again = store.snapshot().unwrap();
    assert_eq!(again[8..12], SNAPSHOT_VERSION.to_le_bytes());
    BaselineStore::default().restore(&again).unwrap();
}

/// A version-3 snapshot (before the MFA step's session was kept) is still read: the step's
/// time comes back, so a later password-stage success waits for its own step, and a step of
/// any session answers it.
#[test]
fn a_version_3_snapshot_is_still_read() {
    let mut store = BaselineStore::default();
    store.restore(&old_snapshot(3)).unwrap();
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 3);
    let mut password = step("ana@x.com", 2 * 86_400, 1, 4, Step::Password);
    password.origin.session_id = Some("s-1".into());
    store.learn(&password);
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 3, "waits");
    store.learn(&step("ana@x.com", 2 * 86_400 + 20, 2, 4, Step::MfaOk));
    assert_eq!(store.profile("ana@x.com").unwrap().sign_ins(), 4);
    let again = store.snapshot().unwrap();
    assert_eq!(again[8..12], SNAPSHOT_VERSION.to_le_bytes());
    BaselineStore::default().restore(&again).unwrap();
}

/// The model's identity `w`: 0 and 1 through Okta, 2 and 3 through Entra.
fn user(w: u8) -> String {
    if w < 2 {
        format!("u{w}@x.com")
    } else {
        format!("u{w}@entra.x.com")
    }
}

/// Version 4 has version 5's layout and is still read; but a sign-in waiting for an identity
/// never seen taking an MFA step was damage then (only a source that logs the password stage
/// first makes one, since version 5), so such a version-4 snapshot is refused.
#[test]
fn a_version_4_snapshot_is_still_read() {
    let as_version = as_version_6_layout;
    let mut store = BaselineStore::default();
    store.learn(&step("carol@x.com", 0, 1, 0, Step::Password));
    let waiting = store.snapshot().unwrap();
    assert_eq!(waiting[8..12], SNAPSHOT_VERSION.to_le_bytes());
    let mut restored = BaselineStore::default();
    restored.restore(&waiting).unwrap();
    restored.advance(at(601_000));
    assert_eq!(restored.profile("carol@x.com").unwrap().sign_ins(), 1);
    assert!(matches!(
        BaselineStore::default().restore(&as_version(&waiting, 4)),
        Err(Error::CorruptSnapshot(_))
    ));
    // Once the wait is over nothing waits, and the same bytes as version 4 read the same.
    store.advance(at(601_000));
    let settled = store.snapshot().unwrap();
    let mut old = BaselineStore::default();
    old.restore(&as_version(&settled, 4)).unwrap();
    let written = old.snapshot().unwrap();
    assert_eq!(written[8..12], SNAPSHOT_VERSION.to_le_bytes());
    assert_eq!(as_version(&written, 4), as_version(&settled, 4));
}

/// A current snapshot as version `v` (4 to 6) wrote it: the same bytes without each profile's
/// last sign-in session and the start of its window (the 12 head bytes version 7 added).
fn as_version_6_layout(bytes: &[u8], v: u32) -> Vec<u8> {
    let body = &bytes[24..];
    let u32_at = |k: usize| u32::from_le_bytes(body[k..k + 4].try_into().unwrap()) as usize;
    let u16_at = |k: usize| usize::from(u16::from_le_bytes(body[k..k + 2].try_into().unwrap()));
    // Sweep counter, labels, the eight priors.
    let mut at = 8;
    let labels = u32_at(at);
    at += 4;
    for _ in 0..labels {
        at += 8;
        at += 2 + u16_at(at);
    }
    for _ in 0..8 {
        at += 4 + 12 * u32_at(at);
    }
    let profiles = u32_at(at);
    at += 4;
    let mut old = Vec::with_capacity(body.len());
    let mut copied = 0;
    for _ in 0..profiles {
        at += 2 + u16_at(at);
        // The head: five u32, the MFA step's session, then version 7's 12 bytes, then the
        // value count and the values.
        old.extend_from_slice(&body[copied..at + 28]);
        copied = at + 40;
        at += 41 + 21 * usize::from(body[at + 40]);
    }
    old.extend_from_slice(&body[copied..]);
    let mut b = b"PALBASE\0".to_vec();
    b.extend_from_slice(&v.to_le_bytes());
    b.extend_from_slice(&(old.len() as u64).to_le_bytes());
    b.extend_from_slice(&crc32fast::hash(&old).to_le_bytes());
    b.extend_from_slice(&old);
    b
}

/// The flow's events run straight through a store made by `config`, and cut at `cut` by a
/// snapshot restored into a fresh one: both stores, after the last event.
fn straight_and_cut(
    events: &[(u8, i64, u8, Step)],
    cut: usize,
    config: &BaselineConfig,
) -> (BaselineStore, BaselineStore) {
    let evs: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(i, &(w, t, c, s))| step(&user(w), t, i, c, s))
        .collect();
    let feed = |store: &mut BaselineStore, evs: &[Event]| {
        for e in evs {
            store.advance(e.time);
            store.learn(e);
        }
    };
    let fresh = || BaselineStore::new(config.clone()).unwrap();
    let mut straight = fresh();
    feed(&mut straight, &evs);
    let mut first = fresh();
    feed(&mut first, &evs[..cut]);
    let mut second = fresh();
    second.restore(&first.snapshot().unwrap()).unwrap();
    feed(&mut second, &evs[cut..]);
    (straight, second)
}

fn arb_flow() -> impl Strategy<Value = Vec<(u8, i64, u8, Step)>> {
    let step = prop_oneof![
        Just(Step::Password),
        Just(Step::MfaOk),
        Just(Step::MfaDenied)
    ];
    prop::collection::vec((0u8..4, 0i64..3_600, 0u8..3, step), 1..80).prop_map(|mut v| {
        v.sort_by_key(|e| e.1);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn waiting_for_mfa_matches_the_model_and_survives_snapshots(
        events in arb_flow(),
        cut in 0usize..80,
    ) {
        let cut = cut % (events.len() + 1);
        let (mut straight, second) = straight_and_cut(&events, cut, &BaselineConfig::default());
        prop_assert_eq!(straight.snapshot().unwrap(), second.snapshot().unwrap());

        straight.advance(at(86_400_000));
        let want = model(&events, 600);
        for (w, (n, c)) in want.iter().enumerate() {
            let id = user(w as u8);
            let got = straight.profile(&id).map_or(0, |p| p.sign_ins());
            prop_assert_eq!(got, *n, "{} sign-ins", id);
            prop_assert_eq!(&countries(&straight, &id), c, "{} countries", id);
        }
    }

    /// With more sign-ins waiting than the cap, which one is decided early depends on the
    /// events alone: a snapshot cut anywhere still changes nothing.
    #[test]
    fn the_cap_decides_the_same_way_after_a_restore(
        events in arb_flow(),
        cut in 0usize..80,
    ) {
        let cut = cut % (events.len() + 1);
        let capped = BaselineConfig { max_waiting: 1, ..BaselineConfig::default() };
        let (straight, second) = straight_and_cut(&events, cut, &capped);
        prop_assert_eq!(straight.snapshot().unwrap(), second.snapshot().unwrap());
    }
}
