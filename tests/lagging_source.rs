//! A source whose log lags the others: its events reach the streaming pipeline behind the
//! watermark, are processed at once marked late, and an intruder's sign-in among them is still
//! caught.
#![cfg(all(feature = "pipeline", feature = "travel"))]
#![allow(clippy::unwrap_used)]

use palisade::core::Severity;
use palisade::pipeline::{Output, Pipeline, PipelineConfig};
use palisade::schema::*;
use palisade::travel::ImpossibleTravel;

fn sign_in(source: Source, id: &str, at: &str, who: &str, ip: &str, place: (f64, f64)) -> Event {
    Event::new(
        Timestamp::parse_rfc3339(at).unwrap(),
        id,
        source,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    )
    .with_actor(Identity::new(who))
    .with_origin(Origin {
        ip: Some(ip.parse().unwrap()),
        geo: GeoPoint::new(place.0, place.1, Some(20.0)),
        ..Origin::default()
    })
}

const SYDNEY: (f64, f64) = (-33.8688, 151.2093);
const FRANKFURT: (f64, f64) = (50.1109, 8.6821);

#[test]
fn an_intruders_sign_in_in_a_lagging_log_is_still_flagged() {
    let mut p = Pipeline::builder()
        .detector(ImpossibleTravel::default())
        .config(PipelineConfig {
            allowed_lateness_secs: 60,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    let alice = "alice@contoso.com.au";
    // Okta's log is current: Alice works from Sydney all morning.
    for (i, at) in ["09:30", "10:00", "10:30", "11:00"].iter().enumerate() {
        let at = format!("2024-03-20T{at}:00Z");
        let e = sign_in(
            Source::Okta,
            &format!("okta-{i}"),
            &at,
            alice,
            "1.129.10.20",
            SYDNEY,
        );
        p.push(e, &mut out);
    }
    assert!(out.findings.is_empty());
    // Entra's log arrives two hours behind: a sign-in from Frankfurt at 10:15, between two
    // of hers from Sydney.
    let intruder = sign_in(
        Source::Entra,
        "entra-1",
        "2024-03-20T10:15:00Z",
        alice,
        "79.215.3.4",
        FRANKFURT,
    );
    p.push(intruder, &mut out);
    p.finish(&mut out);
    assert_eq!(p.stats().late_events, 1, "{:?}", p.stats());
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    let f = &out.findings[0];
    assert_eq!(f.detector, "impossible_travel");
    assert_eq!(f.severity, Severity::Medium);
    // Judged against her newest sign-in processed so far (10:30; the 11:00 one still waited in
    // the reorder buffer), in time order.
    assert_eq!(f.evidence.event_ids, ["entra-1", "okta-2"]);
    assert!(
        f.summary.contains("reported after the later one"),
        "{}",
        f.summary
    );
}
