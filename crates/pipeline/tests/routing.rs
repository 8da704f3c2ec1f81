//! What detectors see and where their findings go: the profile as it was before the event,
//! recent findings from other detectors, the correlator and responder, and the counters.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_core::{Context, Detector, Finding, FindingStatus};
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{Activity, Event, Source};

#[test]
fn detectors_see_the_profile_as_it_was_before_the_event() {
    let probe = Probe::new();
    let seen = probe.seen.clone();
    let mut p = Pipeline::builder()
        .detector(probe)
        .profiles(CountingProfiles::new(10))
        .build()
        .unwrap();
    let mut out = Output::default();
    let events = vec![
        success(0, "a", "u@x.com", Source::Okta),
        success(10, "b", "u@x.com", Source::Okta),
        failure(20, "c", "u@x.com", Source::Okta),
        success(30, "d", "u@x.com", Source::Okta),
    ];
    p.run_batch(events, &mut out);
    let profiles: Vec<Option<u64>> = seen.lock().unwrap().iter().map(|s| s.4).collect();
    assert_eq!(profiles, [None, Some(1), Some(2), Some(2)]);
}

/// Emits a finding for every event of kind `other` named `flag`.
struct Flagger;
impl Detector for Flagger {
    fn name(&self) -> &'static str {
        "flagger"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, out: &mut Vec<Finding>) {
        if matches!(&e.activity, Activity::Other { name } if name == "flag") {
            out.push(Finding::new(
                self.name(),
                e.identity().cloned(),
                &e.id,
                e.time,
            ));
        }
    }
}

fn flag(secs: i64, id: &str, who: &str) -> Event {
    let mut e = success(secs, id, who, Source::Okta);
    e.activity = Activity::Other {
        name: "flag".into(),
    };
    e
}

#[test]
fn recent_findings_are_per_identity_bounded_and_expire() {
    let probe = Probe::new();
    let seen = probe.seen.clone();
    let mut p = Pipeline::builder()
        .detector(Flagger)
        .detector(probe)
        .config(PipelineConfig {
            recent_findings_per_identity: 2,
            recent_findings_horizon_secs: 3600,
            ..PipelineConfig::default()
        })
        .build()
        .unwrap();
    let mut out = Output::default();
    let events = vec![
        flag(0, "f1", "u@x.com"),
        success(1, "s1", "u@x.com", Source::Okta),
        success(2, "s2", "other@x.com", Source::Okta),
        flag(3, "f2", "u@x.com"),
        flag(4, "f3", "u@x.com"),
        success(5, "s3", "u@x.com", Source::Okta),
        success(7200, "s4", "u@x.com", Source::Okta),
    ];
    p.run_batch(events, &mut out);
    let recent: Vec<(String, usize)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| (s.0.clone(), s.3))
        .collect();
    assert_eq!(
        recent,
        [
            // A detector earlier in the list has already reported on this very event.
            ("f1".to_string(), 0),
            ("s1".into(), 1),
            ("s2".into(), 0),
            ("f2".into(), 1),
            ("f3".into(), 2),
            ("s3".into(), 2),
            ("s4".into(), 0),
        ]
    );
    assert_eq!(out.findings.len(), 3);
}

#[test]
fn findings_flow_to_the_correlator_and_incidents_to_the_responder() {
    let mut p = Pipeline::builder()
        .detector(FailureBurst::new(3))
        .correlator(PerIdentity::default())
        .responder(Numbering::default())
        .build()
        .unwrap();
    let mut out = Output::default();
    let mut events: Vec<Event> = (0..4)
        .map(|i| failure(i * 10, &format!("a{i}"), "ann@x.com", Source::Okta))
        .collect();
    events.extend((0..3).map(|i| failure(i * 10, &format!("b{i}"), "ben@x.com", Source::Entra)));
    p.run_batch(events, &mut out);
    assert_eq!(
        out.findings.len(),
        3,
        "finish advances only to the last event time"
    );
    p.advance_to(at(3600), &mut out);
    // ann: opened at her 3rd failure, grew at her 4th, closed by the heartbeat; ben likewise.
    let revs: Vec<(Option<&str>, u32, FindingStatus)> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.identity.as_ref().map(|k| k.as_str()),
                f.revision,
                f.status,
            )
        })
        .collect();
    assert_eq!(
        revs,
        [
            (Some("ann@x.com"), 1, FindingStatus::Open),
            (Some("ben@x.com"), 1, FindingStatus::Open),
            (Some("ann@x.com"), 2, FindingStatus::Open),
            (Some("ann@x.com"), 3, FindingStatus::Closed),
            (Some("ben@x.com"), 2, FindingStatus::Closed),
        ]
    );
    // One incident per identity; later revisions of a known finding do not grow it.
    assert_eq!(out.incidents.len(), 2);
    assert_eq!(out.decisions.len(), 2);
    assert_eq!(out.decisions[1].reasons, ["decision #2"]);
    assert_eq!(p.stats().by_source["okta"], 4);
    assert_eq!(p.stats().by_source["entra"], 3);
    assert_eq!(p.stats().by_activity["sign_in"], 7);
    let json = serde_json::to_value(p.stats()).unwrap();
    assert_eq!(json["events_processed"], 7);
}

#[test]
fn output_is_only_appended_to() {
    let mut p = Pipeline::builder().detector(Flagger).build().unwrap();
    let mut out = Output::default();
    p.run_batch(vec![flag(0, "x", "u@x.com")], &mut out);
    let before = out.findings[0].clone();
    p.run_batch(vec![flag(10, "y", "u@x.com")], &mut out);
    assert_eq!(out.findings.len(), 2);
    assert_eq!(out.findings[0], before);
    out.clear();
    assert!(out.is_empty());
}

#[test]
fn pipelines_are_send() {
    fn send<T: Send>() {}
    send::<Pipeline>();
}

/// Names the country of addresses in 192.0.2.0/24, where the event named none.
struct DocumentationNet;
impl palisade_core::Enricher for DocumentationNet {
    fn enrich(&mut self, e: &mut Event) {
        let ours =
            matches!(e.origin.ip, Some(std::net::IpAddr::V4(a)) if a.octets()[..3] == [192, 0, 2]);
        if ours && e.origin.country.is_none() {
            e.origin.country = Some("AU".into());
        }
    }
}

/// Event ids and countries, as a detector saw them.
type SeenCountries = std::sync::Arc<std::sync::Mutex<Vec<(String, Option<String>)>>>;

/// Records the country of every event it observes.
struct Countries(SeenCountries);
impl Detector for Countries {
    fn name(&self) -> &'static str {
        "countries"
    }
    fn observe(&mut self, e: &Event, _: &Context<'_>, _: &mut Vec<Finding>) {
        self.0
            .lock()
            .unwrap()
            .push((e.id.clone(), e.origin.country.clone()));
    }
}

#[test]
fn detectors_see_events_as_the_enrichers_left_them_however_they_arrive() {
    let events = || {
        let mut bare = success(0, "bare", "u@x.com", Source::M365);
        bare.origin.ip = Some("192.0.2.7".parse().unwrap());
        let mut named = success(10, "named", "u@x.com", Source::M365);
        named.origin.ip = Some("192.0.2.8".parse().unwrap());
        named.origin.country = Some("NZ".into());
        let mut elsewhere = success(20, "elsewhere", "u@x.com", Source::M365);
        elsewhere.origin.ip = Some("198.51.100.1".parse().unwrap());
        vec![bare, named, elsewhere]
    };
    let expected = [
        ("bare".to_owned(), Some("AU".to_owned())),
        ("named".to_owned(), Some("NZ".to_owned())),
        ("elsewhere".to_owned(), None),
    ];
    for mode in ["batch", "streaming", "sorted"] {
        let seen = SeenCountries::default();
        let mut p = Pipeline::builder()
            .enricher(DocumentationNet)
            .detector(Countries(std::sync::Arc::clone(&seen)))
            .build()
            .unwrap();
        let mut out = Output::default();
        match mode {
            "streaming" => {
                for e in events() {
                    p.push(e, &mut out);
                }
                p.finish(&mut out);
            }
            "sorted" => {
                let mut sorted = events();
                sorted.sort_by(palisade_pipeline::batch_cmp);
                p.run_sorted(sorted, &mut out);
            }
            _ => p.run_batch(events(), &mut out),
        }
        assert_eq!(*seen.lock().unwrap(), expected, "{mode}");
    }
}
