//! Embedding Palisade with a detector of your own: streaming events into a pipeline, closing
//! windows with heartbeats, and snapshotting state across a restart.
//!
//! Run with `cargo run --example custom_detector`.

#![allow(clippy::print_stdout)] // An example's output is the point.

use palisade::core::{Context, Detector, Error, Finding, FindingStatus, Severity, Technique};
use palisade::pipeline::{Output, Pipeline, PipelineConfig};
use palisade::schema::{
    Activity, Duration, Event, FailureReason, Identity, IdentityKey, SignIn, SignInStage, Source,
    Timestamp,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Flags an identity whose password fails five times within a quarter of an hour.
#[derive(Default, Serialize, Deserialize)]
struct PasswordGuessing {
    /// Failure times per identity, oldest first, never more than five kept.
    failures: BTreeMap<IdentityKey, Vec<(Timestamp, String)>>,
}

const WINDOW: Duration = Duration::from_mins(15);
const THRESHOLD: usize = 5;

impl Detector for PasswordGuessing {
    fn name(&self) -> &'static str {
        "password_guessing"
    }

    fn observe(&mut self, e: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(who), Activity::SignIn(sign_in)) = (e.identity(), &e.activity) else {
            return;
        };
        if sign_in.outcome.is_success() {
            return;
        }
        let name = self.name();
        let list = self.failures.entry(who.clone()).or_default();
        list.retain(|(t, _)| e.time.since(*t) <= WINDOW);
        list.push((e.time, e.id.clone()));
        if list.len() >= THRESHOLD {
            let mut f = Finding::new(name, Some(who.clone()), &list[0].1, list[0].0)
                .with_severity(Severity::Medium)
                .with_technique(Technique::PasswordGuessing)
                .with_summary(format!("{} failed passwords within 15 minutes", list.len()));
            for (_, id) in &list[1..] {
                f.evidence.push(id.clone());
            }
            f.last_seen = e.time;
            f.status = FindingStatus::Closed;
            out.push(f);
            list.clear();
        }
    }

    fn advance(&mut self, now: Timestamp, _out: &mut Vec<Finding>) {
        // Forget identities whose failures are all older than the window: bounded memory.
        self.failures
            .retain(|_, list| list.last().is_some_and(|(t, _)| now.since(*t) <= WINDOW));
    }

    fn forget(&mut self, identity: &IdentityKey) {
        self.failures.remove(identity);
    }

    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|e| Error::Snapshot {
            component: self.name().into(),
            reason: e.to_string(),
        })
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        *self = serde_json::from_slice(bytes).map_err(|e| Error::CorruptSnapshot(e.to_string()))?;
        Ok(())
    }
}

fn failure(minute: i64, who: &str) -> Event {
    let t0 = Timestamp::parse_rfc3339("2024-03-04T08:00:00Z").expect("valid time");
    Event::new(
        t0 + Duration::from_mins(minute),
        format!("evt-{minute}"),
        Source::Custom,
        Activity::SignIn(SignIn::failure(
            SignInStage::Primary,
            FailureReason::BadPassword,
        )),
    )
    .with_actor(Identity::new(who))
}

fn build() -> Pipeline {
    let config = PipelineConfig {
        allowed_lateness_secs: 60,
        ..PipelineConfig::default()
    };
    Pipeline::builder()
        .detector(PasswordGuessing::default())
        .config(config)
        .build()
        .expect("valid configuration")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = Output::default();
    let mut pipeline = build();
    for minute in 0..3 {
        pipeline.push(failure(minute, "mallory@contoso.com"), &mut out);
    }

    // The process restarts: state survives through a snapshot file.
    let dir = std::env::temp_dir().join("palisade-example");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("pipeline.snapshot");
    pipeline.save_snapshot(&path)?;
    let mut pipeline = build();
    pipeline.load_snapshot(&path)?;

    for minute in 3..5 {
        pipeline.push(failure(minute, "mallory@contoso.com"), &mut out);
    }
    // A heartbeat during a quiet period moves event time on, releasing buffered events.
    pipeline.advance_to(Timestamp::parse_rfc3339("2024-03-04T09:00:00Z")?, &mut out);
    pipeline.finish(&mut out);

    for f in &out.findings {
        println!(
            "[{}] {} {:?}: {}",
            f.severity, f.detector, f.identity, f.summary
        );
    }
    assert_eq!(
        out.findings.len(),
        1,
        "five failures across the restart make one finding"
    );
    Ok(())
}
