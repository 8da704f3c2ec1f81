//! The real public Duo sample (Elastic's integration test log): user narroway denies a push,
//! reports the next as fraud, then approves one. Skipped when `../shared/data` is absent.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use palisade_core::{Context, Detector, FindingStatus, Severity};
use palisade_ingest::duo::Duo;
use palisade_ingest::{Adapter, Notes};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::{Duration, Event};

#[test]
fn narroway_deny_fraud_approve_is_critical() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/elastic_integrations/cisco_duo/test-auth.log");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let mut events: Vec<Event> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // Records the adapter rejects are its own tests' business; keep the good ones.
        let _ = Duo.parse(line.as_bytes(), &mut events, &mut Notes::default());
    }
    // As the pipeline does: drop duplicates (same source and id), then total order.
    let mut seen = BTreeSet::new();
    events.retain(|e| seen.insert((e.source, e.id.clone())));
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    assert!(!events.is_empty());

    let mut d = MfaFatigue::default();
    let mut out = Vec::new();
    for e in &events {
        d.observe(e, &Context::empty(), &mut out);
    }
    d.advance(
        events.last().unwrap().time + Duration::from_days(1),
        &mut out,
    );
    let ids: BTreeSet<_> = out.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids.len(), 1, "one burst: {out:#?}");
    let last = out.last().unwrap();
    assert_eq!(last.status, FindingStatus::Closed);
    assert_eq!(last.severity, Severity::Critical, "{}", last.summary);
    assert_eq!(last.identity.as_ref().unwrap().as_str(), "narroway");
    assert!(
        last.summary.contains("reported as fraud"),
        "{}",
        last.summary
    );
    assert!(
        last.summary.contains("then approved at 07:21"),
        "{}",
        last.summary
    );
}
