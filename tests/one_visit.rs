//! End to end, in Okta's System Log shape: an intruder's visit teaches the victim's baseline
//! its network once, however many applications it opens.
//!
//! Okta logs a `user.session.start`, an MFA step, then a `user.authentication.sso` for every
//! application the session opens, all with one `externalSessionId`. Were each record a sign-in
//! of its own, an intruder who opened three apps would make their network "usual" for the
//! victim in a single visit, and their next visit that day would read as an ordinary move
//! between two usual networks. One visit counts once (`BaselineConfig::session_window_secs`), so
//! the second visit is still impossible travel at medium or above.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/run_scan.rs"]
mod run_scan;

use std::ffi::OsStr;

use palisade::schema::{
    Activity, Event, Factor, GeoPoint, Identity, Origin, SignIn, SignInKind, SignInStage, Source,
    Timestamp,
};
use palisade_testkit::shapes::{render, Okta};
use palisade_testkit::Rng;
use run_scan::run_scan;
use serde_json::Value;

const VICTIM: &str = "ana.silva@contoso.com.au";
const APPS: [&str; 4] = ["Salesforce", "Slack", "Atlassian Cloud", "Box"];

/// Sydney on the victim's broadband, or New York on a residential network the intruder rents.
fn origin(abroad: bool, host: u8, session: &str) -> Origin {
    let (ip, geo, country, region, city, asn, org) = if abroad {
        (
            format!("73.41.12.{host}"),
            GeoPoint::new(40.7128, -74.006, Some(20.0)),
            "US",
            "New York",
            "New York",
            7922,
            "Comcast Cable Communications, LLC",
        )
    } else {
        (
            format!("110.174.9.{host}"),
            GeoPoint::new(-33.8688, 151.2093, Some(20.0)),
            "AU",
            "New South Wales",
            "Sydney",
            7545,
            "TPG Telecom Limited",
        )
    };
    Origin {
        ip: Some(ip.parse().unwrap()),
        geo,
        country: Some(country.into()),
        region: Some(region.into()),
        city: Some(city.into()),
        asn: Some(asn),
        as_org: Some(org.into()),
        user_agent: Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Safari/537.36"
                .into(),
        ),
        client: None,
        device_id: None,
        session_id: Some(session.into()),
    }
}

/// One visit: the password, an approved push, then single sign-on into `apps` applications a
/// few minutes apart, all of one session.
fn visit(events: &mut Vec<Event>, at: Timestamp, o: &Origin, apps: usize, rng: &mut Rng) {
    let mut t = at;
    let mut push = |stage: SignInStage, app: &str, t: Timestamp| {
        let mut s = SignIn::success(stage);
        s.app = Some(app.into());
        if stage == SignInStage::Mfa {
            s.factor = Some(Factor::Push);
        }
        let mut e = Event::new(
            t,
            format!("ev-{}", events.len()),
            Source::Okta,
            Activity::SignIn(s),
        )
        .with_actor(Identity::new(VICTIM))
        .with_origin(o.clone());
        e.sign_in_kind = Some(SignInKind::Interactive);
        events.push(e);
    };
    push(SignInStage::Primary, "Okta Dashboard", t);
    t = t + palisade::schema::Duration::from_secs(8 + rng.range_i64(0, 20));
    push(SignInStage::Mfa, "Okta Dashboard", t);
    for app in APPS.iter().take(apps) {
        t = t + palisade::schema::Duration::from_secs(60 + rng.range_i64(0, 300));
        push(SignInStage::Sso, app, t);
    }
}

/// Three weeks of the victim at home, then an intruder's two visits on the last day, after the
/// victim's morning sign-in and either side of their afternoon one; the impossible travel findings' severities in order,
/// from a scan with `baseline` as the configuration's `[baseline]` table.
fn travel_severities(seed: u64, baseline: &str) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let day0 = Timestamp::parse_rfc3339("2024-03-01T22:30:00Z").unwrap(); // 09:30 in Sydney
    let hours = |h: f64| palisade::schema::Duration::from_millis((h * 3_600_000.0) as i64);
    let mut events = Vec::new();
    for d in 0..=21 {
        let at = day0 + hours(24.0 * f64::from(d) + rng.f64());
        let o = origin(false, 20, &format!("home-{d}"));
        let apps = rng.below(3);
        visit(&mut events, at, &o, apps, &mut rng);
    }
    let day = day0 + hours(24.0 * 21.0 + 1.0);
    let intruder = |n: u8| origin(true, 100 + n, &format!("intruder-{n}"));
    visit(&mut events, day + hours(3.0), &intruder(1), 3, &mut rng);
    visit(
        &mut events,
        day + hours(7.5),
        &origin(false, 20, "home-21-pm"),
        1,
        &mut rng,
    );
    visit(&mut events, day + hours(12.0), &intruder(2), 3, &mut rng);

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("okta.jsonl");
    let rendered = render(&Okta, &events);
    assert_eq!(rendered.written, events.len(), "every record is written");
    std::fs::write(&log, rendered.text).unwrap();
    let config = dir.path().join("palisade.toml");
    std::fs::write(
        &config,
        format!("[organisation]\ndomains = [\"contoso.com.au\"]\n\n[baseline]\n{baseline}\n"),
    )
    .unwrap();
    let output = dir.path().join("findings.jsonl");
    let text = run_scan(
        [
            OsStr::new("scan"),
            log.as_os_str(),
            OsStr::new("--config"),
            config.as_os_str(),
            OsStr::new("--output"),
            output.as_os_str(),
        ],
        &output,
    );
    let mut latest: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["type"] == "finding" && r["detector"] == "impossible_travel" {
            let id = r["id"].as_str().unwrap_or_default().to_owned();
            let severity = r["severity"].as_str().unwrap_or_default().to_owned();
            match latest.iter_mut().find(|(i, _)| *i == id) {
                Some(slot) => slot.1 = severity,
                None => latest.push((id, severity)),
            }
        }
    }
    latest.into_iter().map(|(_, s)| s).collect()
}

#[test]
fn an_intruders_second_visit_is_still_impossible_travel() {
    for seed in palisade_testkit::seeds(0..5) {
        // Sydney → New York, New York → Sydney, Sydney → New York: each leg impossible. The
        // intruder's network was seen in one visit only, so no leg is an ordinary move.
        let severities = travel_severities(seed, "");
        assert_eq!(severities.len(), 3, "seed {seed}: {severities:?}");
        let last = &severities[2];
        assert!(
            last == "medium" || last == "high",
            "seed {seed}: the second visit is {last} ({severities:?})"
        );
        // Counting every record as a sign-in, the first visit's four records make the
        // intruder's network usual and the second visit reads as an ordinary move.
        let every_record = travel_severities(seed, "session_window_secs = 0");
        assert_eq!(
            every_record.get(2).map(String::as_str),
            Some("low"),
            "seed {seed}: {every_record:?}"
        );
    }
}
