//! Fuzzes every snapshot reader with damaged snapshots: a restore must return an error or a
//! usable state, never panic or allocate what the bytes merely claim. The first byte picks the
//! reader and how the rest reaches it:
//! - the baseline store's body behind a valid header and checksum, for each version it reads
//!   (restored from memory and streamed, which must agree);
//! - a real baseline or pipeline snapshot with bytes overwritten where the input says, its
//!   checksum recomputed, so the damage reaches the decoders behind it;
//! - each detector's own restore, and the pipeline's, on the bytes as they are.
//!
//! A state that restores must then take events and snapshot again.
#![no_main]

mod damage;
mod every_detector;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use damage::damaged;
use libfuzzer_sys::fuzz_target;
use palisade_baseline::{BaselineStore, SnapshotIoError};
use palisade_core::{Context, Detector, ProfileStore};
use palisade_mailbox::MailboxRules;
use palisade_mfa_fatigue::MfaFatigue;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::{
    Activity, Event, FailureReason, GeoPoint, Identity, MailboxRule, Origin, RuleAction,
    RuleChange, SignIn, SignInStage, Source, Timestamp,
};
use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};
use palisade_travel::ImpossibleTravel;

/// 2024-01-01T00:00:00Z.
const START_MS: i64 = 1_704_067_200_000;
/// The baseline store's snapshot header (see `palisade-baseline`'s snapshot module).
const BASELINE_MAGIC: &[u8; 8] = b"PALBASE\0";
const BASELINE_HEADER: usize = 24;
const PIPELINE_HEADER: usize = 16;

fn pipeline() -> Pipeline {
    every_detector::pipeline(PipelineConfig::default())
}

/// A day of sign-ins, failures and a mailbox rule for a few identities from a few places, made
/// once: every run replays some of them.
fn events() -> &'static [Event] {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(make_events)
}

fn make_events() -> Vec<Event> {
    let places = [(-33.87, 151.21), (40.71, -74.01), (50.11, 8.68)];
    (0..120u8)
        .map(|n| {
            let (lat, lon) = places[usize::from(n % 3)];
            let activity = match n % 6 {
                0 => Activity::SignIn(SignIn::failure(
                    SignInStage::Primary,
                    FailureReason::BadPassword,
                )),
                1 => Activity::MailboxRule(MailboxRule {
                    change: RuleChange::Create,
                    name: Some(".".into()),
                    actions: vec![RuleAction::MarkAsRead],
                    ..MailboxRule::default()
                }),
                _ => Activity::SignIn(SignIn::success(SignInStage::Primary)),
            };
            let time = Timestamp::from_millis_unchecked(START_MS + i64::from(n) * 600_000);
            Event::new(time, format!("ev{n}"), Source::Custom, activity)
                .with_actor(Identity::new(&format!("user{}@contoso.com", n % 5)))
                .with_origin(Origin {
                    ip: Some(IpAddr::V4(Ipv4Addr::new(10, n % 3, 0, n % 7))),
                    geo: GeoPoint::new(lat, lon, Some(20.0)),
                    country: Some(["AU", "US", "DE"][usize::from(n % 3)].into()),
                    asn: Some(64_500 + u32::from(n % 3)),
                    ..Origin::default()
                })
        })
        .collect()
}

/// Valid snapshots to damage: (baseline store, whole pipeline).
fn valid() -> &'static (Vec<u8>, Vec<u8>) {
    static VALID: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    VALID.get_or_init(|| {
        let mut store = BaselineStore::default();
        let mut p = pipeline();
        let mut out = Output::default();
        for e in events() {
            store.learn(e);
            p.push(e.clone(), &mut out);
        }
        (
            store.snapshot().expect("a store snapshots"),
            p.snapshot().expect("a pipeline snapshots"),
        )
    })
}

/// `body` behind a valid baseline header for `version`: magic, version, length, checksum.
fn seal_baseline(version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(BASELINE_HEADER + body.len());
    out.extend_from_slice(BASELINE_MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Restores `bytes` from memory and streamed, which must agree (the same state, or the same
/// error); the store, when they both restore one.
fn restore_store(bytes: &[u8]) -> Option<BaselineStore> {
    let mut from_memory = BaselineStore::default();
    let mut streamed = BaselineStore::default();
    match (from_memory.restore(bytes), streamed.restore_from(bytes)) {
        (Ok(()), Ok(())) => {
            assert!(
                from_memory.snapshot().ok() == streamed.snapshot().ok(),
                "a streamed restore restored another state"
            );
            Some(from_memory)
        }
        (Err(a), Err(SnapshotIoError::Snapshot(b))) => {
            assert_eq!(a, b, "a streamed restore refused it for another reason");
            None
        }
        (a, b) => panic!("from memory {a:?}, streamed {b:?}"),
    }
}

/// A restored store takes a sign-in and snapshots again.
fn use_store(mut store: BaselineStore) {
    let e = &events()[2];
    let _ = store.view(e.identity().expect("an actor"));
    store.learn(e);
    store.snapshot().expect("a restored store snapshots");
}

/// A restored pipeline takes a dozen events and snapshots again.
fn use_pipeline(mut p: Pipeline) {
    let mut out = Output::default();
    for e in events().iter().take(12) {
        p.push(e.clone(), &mut out);
    }
    p.finish(&mut out);
    p.snapshot().expect("a restored pipeline snapshots");
}

fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(UnfamiliarSignIn::default()),
        Box::new(FailedThenSuccess::default()),
        Box::new(PasswordSpray::default()),
        Box::new(MfaFatigue::default()),
        Box::new(ImpossibleTravel::default()),
        Box::new(MailboxRules::default()),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 4 {
        0 => {
            let version = 2 + u32::from(pick / 4 % 4);
            if let Some(store) = restore_store(&seal_baseline(version, rest)) {
                use_store(store);
            }
        }
        1 => {
            let (store_bytes, _) = valid();
            let body = damaged(&store_bytes[BASELINE_HEADER..], rest);
            if let Some(store) =
                restore_store(&seal_baseline(palisade_baseline::SNAPSHOT_VERSION, &body))
            {
                use_store(store);
            }
        }
        2 => {
            let (_, pipeline_bytes) = valid();
            let payload = damaged(&pipeline_bytes[PIPELINE_HEADER..], rest);
            let mut bytes = pipeline_bytes[..PIPELINE_HEADER].to_vec();
            bytes[12..16].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            bytes.extend_from_slice(&payload);
            let mut p = pipeline();
            if p.restore(&bytes).is_ok() {
                use_pipeline(p);
            }
        }
        _ => {
            for mut d in detectors() {
                if d.restore(rest).is_ok() {
                    let mut out = Vec::new();
                    for e in events().iter().take(12) {
                        d.observe(e, &Context::empty(), &mut out);
                    }
                    d.snapshot().expect("a restored detector snapshots");
                }
            }
            if let Some(store) = restore_store(rest) {
                use_store(store);
            }
            let mut p = pipeline();
            if p.restore(rest).is_ok() {
                use_pipeline(p);
            }
        }
    }
});
