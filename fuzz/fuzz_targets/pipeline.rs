//! Fuzzes the whole pipeline with every built-in detector on arbitrary event streams: events
//! decoded from the input (a handful of identities, addresses, countries and activities, so
//! detectors' state really builds up), pushed out of order and late, heartbeats, and a snapshot
//! restored into a fresh pipeline mid-stream. Nothing may panic, and the restored pipeline must
//! say what the original says from the cut on.
#![no_main]

mod every_detector;

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{
    Activity, Event, Factor, FailureReason, GeoPoint, Identity, MailboxRule, MfaPrompt, Origin,
    PromptResult, RuleAction, RuleChange, SignIn, SignInStage, Source, Timestamp,
};

/// 2024-01-01T00:00:00Z.
const START_MS: i64 = 1_704_067_200_000;
const PLACES: [(&str, f64, f64); 6] = [
    ("AU", -33.87, 151.21),
    ("US", 40.71, -74.01),
    ("DE", 50.11, 8.68),
    ("GB", 51.51, -0.13),
    ("SG", 1.35, 103.82),
    ("BR", -23.55, -46.63),
];

fn pipeline() -> Pipeline {
    every_detector::pipeline(PipelineConfig {
        allowed_lateness_secs: 120,
        ..PipelineConfig::default()
    })
}

/// One event from 6 bytes: time step, identity, place and address, activity, detail.
fn event(n: usize, b: &[u8], clock: &mut i64) -> Event {
    // Mostly forward in time, sometimes back (out of order), now and then a big jump.
    *clock += match b[0] % 16 {
        0 => -i64::from(b[1]) * 1_000,
        1 => i64::from(b[1]) * 3_600_000,
        _ => i64::from(b[0]) * 1_000,
    };
    let time = Timestamp::from_millis_unchecked(START_MS + (*clock).max(0));
    let who = format!("user{}@contoso.com", b[1] % 8);
    let (country, lat, lon) = PLACES[usize::from(b[2] % 6)];
    let ip = IpAddr::V4(Ipv4Addr::new(10, b[2] % 6, b[3] % 4, b[2]));
    let stage = [SignInStage::Primary, SignInStage::Mfa, SignInStage::Sso][usize::from(b[5] % 3)];
    let reasons = [
        FailureReason::BadPassword,
        FailureReason::MfaDenied,
        FailureReason::MfaTimeout,
        FailureReason::MfaFailed,
    ];
    let results = [
        PromptResult::Sent,
        PromptResult::Approved,
        PromptResult::Denied,
        PromptResult::TimedOut,
        PromptResult::FraudReported,
        PromptResult::Failed,
    ];
    let activity = match b[4] % 8 {
        0..=2 => Activity::SignIn(SignIn::success(stage)),
        3 => Activity::SignIn(SignIn::failure(stage, reasons[usize::from(b[5] % 4)].clone())),
        4 | 5 => Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Push,
            result: results[usize::from(b[5] % 6)],
        }),
        6 => Activity::MailboxRule(MailboxRule {
            change: RuleChange::Create,
            name: Some(if b[5] % 2 == 0 { "." } else { "Newsletters" }.into()),
            actions: vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())],
            ..MailboxRule::default()
        }),
        _ => Activity::SessionStart,
    };
    let mut e = Event::new(time, format!("ev{n}"), Source::Custom, activity)
        .with_actor(Identity::new(&who))
        .with_origin(Origin {
            ip: Some(ip),
            geo: GeoPoint::new(lat, lon, Some(f32::from(b[3]))),
            country: Some(country.into()),
            asn: Some(64_500 + u32::from(b[2] % 6)),
            ..Origin::default()
        });
    e.correlation_id = Some(format!("c{}", b[5] % 4));
    e
}

fuzz_target!(|data: &[u8]| {
    let mut clock = 0i64;
    let events: Vec<Event> = data
        .chunks_exact(6)
        .take(2_000)
        .enumerate()
        .map(|(n, b)| event(n, b, &mut clock))
        .collect();
    let cut = usize::from(data.first().copied().unwrap_or(0)) % (events.len() + 1);

    let mut whole = pipeline();
    let mut before = Output::default();
    for (n, e) in events[..cut].iter().enumerate() {
        whole.push(e.clone(), &mut before);
        if n % 50 == 49 {
            whole.advance_to(e.time, &mut before);
        }
    }
    let snapshot = whole.snapshot().expect("a pipeline snapshots");
    let mut restored = pipeline();
    restored.restore(&snapshot).expect("its own snapshot restores");

    let (mut a, mut b) = (Output::default(), Output::default());
    for e in &events[cut..] {
        whole.push(e.clone(), &mut a);
        restored.push(e.clone(), &mut b);
    }
    whole.finish(&mut a);
    restored.finish(&mut b);
    assert_eq!(a.findings, b.findings, "restored pipeline disagrees after the cut");
});
