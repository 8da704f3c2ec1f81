//! Property tests: the window count against a brute-force oracle, and order independence.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use palisade_core::{Context, Detector, Finding};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_pipeline::{Output, Pipeline, PipelineConfig};
use palisade_schema::*;
use proptest::prelude::*;

/// One generated event: (identity, seconds after T0, kind, correlation id, source).
type Spec = (u8, i64, u8, u8, bool);

fn build(specs: &[Spec]) -> Vec<Event> {
    let mut events: Vec<Event> = specs
        .iter()
        .enumerate()
        .map(|(i, &(who, secs, kind, c, duo))| {
            let user = ["a@x.com", "b@x.com", "c@x.com"][who as usize % 3];
            let id = format!("e{i:03}");
            let mut e = match kind % 8 {
                0 | 1 => prompt(user, secs, &id, PromptResult::Sent),
                2 => prompt(user, secs, &id, PromptResult::Denied),
                3 => prompt(user, secs, &id, PromptResult::TimedOut),
                4 => prompt(user, secs, &id, PromptResult::FraudReported),
                5 => prompt(user, secs, &id, PromptResult::Approved),
                6 => mfa_sign_in(user, secs, &id, Some(FailureReason::MfaDenied)),
                _ => mfa_sign_in(user, secs, &id, None),
            };
            if duo {
                e.source = Source::Duo;
            }
            if c % 4 != 0 {
                e.correlation_id = Some(format!("tx{}", c % 4));
            }
            e
        })
        .collect();
    sort(&mut events);
    events
}

// ---------------------------------------------------------------------------------------------
// The oracle: replays every event from the start for each question, with plain vectors and the
// rules as the documentation states them. It shares no code with the detector.

#[derive(Clone, Copy, PartialEq, Debug)]
enum St {
    Waiting,
    Ignored,
    No,
    Fraud,
    Yes,
}

struct OraclePrompt {
    user: String,
    sent: i64,
    answered: i64,
    corr: Option<String>,
    st: St,
    via_prompt: bool,
    via_sign_in: bool,
}

const AW: i64 = 5 * 60_000;
const PW: i64 = 2 * 60_000;

fn oracle_count(events: &[Event], user: &str, at: i64, span: i64) -> usize {
    let mut all: Vec<OraclePrompt> = Vec::new();
    for e in events {
        let who = e.actor.as_ref().unwrap().key.as_str().to_owned();
        let t = e.time.as_millis();
        let c = e.correlation_id.clone();
        let fits = |a: &Option<String>, b: &Option<String>| a.is_none() || b.is_none() || a == b;
        // (is_send, is_answer_yes, refusal state, via prompt?)
        let (send, yes, no, via_prompt) = match &e.activity {
            Activity::MfaPrompt(p) => match p.result {
                PromptResult::Sent => (true, false, None, true),
                PromptResult::Approved => (false, true, None, true),
                PromptResult::Denied | PromptResult::TimedOut => (false, false, Some(St::No), true),
                PromptResult::FraudReported => (false, false, Some(St::Fraud), true),
                _ => continue,
            },
            Activity::SignIn(s) => match &s.outcome {
                Outcome::Success => (false, true, None, false),
                Outcome::Failure { .. } => (false, false, Some(St::No), false),
            },
            _ => continue,
        };
        if send {
            for p in all
                .iter_mut()
                .filter(|p| p.user == who && p.st == St::Waiting)
            {
                p.st = St::Ignored;
            }
            all.push(OraclePrompt {
                user: who,
                sent: t,
                answered: t,
                corr: c,
                st: St::Waiting,
                via_prompt: false,
                via_sign_in: false,
            });
            continue;
        }
        let new_st = if yes { St::Yes } else { no.unwrap() };
        let unanswered = |p: &OraclePrompt| {
            p.user == who
                && (p.st == St::Waiting || p.st == St::Ignored)
                && !p.via_prompt
                && !p.via_sign_in
                && p.sent <= t
                && t - p.sent < AW
        };
        let mut pick = None;
        if c.is_some() {
            pick = (0..all.len())
                .rev()
                .find(|&i| unanswered(&all[i]) && all[i].corr == c);
        }
        if pick.is_none() {
            pick = (0..all.len()).rev().find(|&i| {
                unanswered(&all[i]) && all[i].st == St::Waiting && fits(&all[i].corr, &c)
            });
        }
        if let Some(i) = pick {
            let p = &mut all[i];
            p.st = new_st;
            p.answered = t;
            if via_prompt {
                p.via_prompt = true;
            } else {
                p.via_sign_in = true;
            }
            continue;
        }
        if yes {
            continue;
        }
        let twin = |p: &OraclePrompt| {
            p.user == who
                && (p.st == St::No || p.st == St::Fraud)
                && if via_prompt {
                    !p.via_prompt
                } else {
                    !p.via_sign_in
                }
                && p.answered <= t
                && t - p.answered < PW
                && fits(&p.corr, &c)
        };
        let mut dup = None;
        if c.is_some() {
            dup = (0..all.len()).find(|&i| twin(&all[i]) && all[i].corr == c);
        }
        if dup.is_none() {
            dup = (0..all.len()).find(|&i| twin(&all[i]));
        }
        match dup {
            Some(i) => {
                let p = &mut all[i];
                if via_prompt {
                    p.via_prompt = true;
                } else {
                    p.via_sign_in = true;
                }
                if new_st == St::Fraud {
                    p.st = St::Fraud;
                }
            }
            None => all.push(OraclePrompt {
                user: who,
                sent: t,
                answered: t,
                corr: c,
                st: new_st,
                via_prompt,
                via_sign_in: !via_prompt,
            }),
        }
    }
    all.iter()
        .filter(|p| p.user == user && p.sent > at - span && p.sent <= at)
        .filter(|p| match p.st {
            St::Ignored | St::No | St::Fraud => true,
            St::Waiting => p.sent + AW <= at,
            St::Yes => false,
        })
        .count()
}

fn spec() -> impl Strategy<Value = Vec<Spec>> {
    // Up to 48 events within 90 minutes (so never more than max_prompts per identity), often
    // bunched together so that pairing and ties in time are exercised.
    prop::collection::vec(
        (
            0u8..3,
            (0i64..90).prop_map(|m| m * 60),
            0u8..8,
            0u8..8,
            any::<bool>(),
        ),
        0..48,
    )
    .prop_flat_map(|v| {
        let n = v.len();
        (Just(v), prop::collection::vec(0i64..60, n))
    })
    .prop_map(|(v, jitter)| {
        v.into_iter()
            .zip(jitter)
            .map(|((w, m, k, c, d), j)| (w, m + if j < 30 { 0 } else { j }, k, c, d))
            .collect()
    })
}

fn run_all(events: &[Event], heartbeat: Option<i64>) -> Vec<Finding> {
    let mut d = MfaFatigue::default();
    let mut out = Vec::new();
    for e in events {
        if let Some(lateness) = heartbeat {
            d.advance(
                Timestamp::from_millis_unchecked(e.time.as_millis() - lateness),
                &mut out,
            );
        }
        d.observe(e, &Context::empty(), &mut out);
    }
    d.advance(at(86_400), &mut out);
    out
}

fn latest(findings: &[Finding]) -> BTreeMap<String, Finding> {
    findings
        .iter()
        .map(|f| (f.id.to_string(), f.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn window_count_matches_a_brute_force_oracle(specs in spec(), probe in 0i64..600) {
        let events = build(&specs);
        let mut d = MfaFatigue::default();
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            d.observe(e, &Context::empty(), &mut out);
            let t = e.time.as_millis();
            for user in ["a@x.com", "b@x.com", "c@x.com"] {
                let key = IdentityKey::new(user);
                for span in [10 * 60_000, 60 * 60_000] {
                    for at in [t, t + probe * 1000] {
                        let got = d.window_count(&key, Timestamp::from_millis_unchecked(at), Duration::from_millis(span));
                        let want = oracle_count(&events[..=i], user, at, span);
                        prop_assert_eq!(got, want, "user {} at {} span {} after {} events", user, at, span, i + 1);
                    }
                }
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_arrival_order_within_lateness(
        specs in spec(),
        seed in any::<u64>(),
    ) {
        let events = build(&specs);
        // Shuffle: each event may arrive up to 5 minutes late, then the pipeline re-sorts.
        let lateness = 5 * 60_000;
        let mut rng = Rng(seed);
        let mut arrived: Vec<(i64, Event)> = events
            .iter()
            .map(|e| (e.time.as_millis() + rng.below(lateness as u64) as i64, e.clone()))
            .collect();
        arrived.sort_by_key(|(arrival, _)| *arrival);
        let arrival_order: Vec<Event> = arrived.into_iter().map(|(_, e)| e).collect();
        let mut resorted = arrival_order.clone();
        sort(&mut resorted);
        prop_assert_eq!(&resorted, &events);

        // The streaming pipeline's reorder buffer undoes the arrival order: pushed as they
        // arrived, the events give the findings the sorted batch gives.
        let mut streaming = Pipeline::builder()
            .config(PipelineConfig {
                allowed_lateness_secs: (lateness / 1000) as u64,
                ..PipelineConfig::default()
            })
            .detector(MfaFatigue::default())
            .build()
            .unwrap();
        let mut pushed = Output::default();
        for e in arrival_order {
            streaming.push(e, &mut pushed);
        }
        streaming.finish(&mut pushed);
        prop_assert_eq!(streaming.stats().late_events, 0);
        let mut batch = Pipeline::builder().detector(MfaFatigue::default()).build().unwrap();
        let mut sorted = Output::default();
        batch.run_batch(events.clone(), &mut sorted);
        prop_assert_eq!(latest(&sorted.findings), latest(&pushed.findings));

        let once = run_all(&events, None);
        let again = run_all(&resorted, None);
        prop_assert_eq!(&once, &again);
        // Heartbeats at every watermark step change when findings come out, not what they say.
        let streamed = run_all(&resorted, Some(lateness));
        prop_assert_eq!(latest(&once), latest(&streamed));
        // One burst, one id: every id's revisions run 1, 2, 3 ... and end closed.
        let mut next: BTreeMap<String, u32> = BTreeMap::new();
        for f in &once {
            let r = next.entry(f.id.to_string()).or_insert(1);
            prop_assert_eq!(f.revision, *r);
            *r += 1;
        }
        for f in latest(&once).values() {
            prop_assert_eq!(f.status, palisade_core::FindingStatus::Closed);
        }
    }
}

#[test]
fn ties_in_time_follow_source_then_id() {
    // Same instant, two sources: the pipeline's order is (time, source, id), and so is ours.
    let mut a = prompt("t@x.com", 0, "z", PromptResult::Denied);
    a.source = Source::Duo;
    let b = prompt("t@x.com", 0, "a", PromptResult::Denied);
    let c = prompt("t@x.com", 0, "m", PromptResult::Denied);
    let mut d = prompt("t@x.com", 0, "b", PromptResult::Denied);
    d.source = Source::Duo;
    let mut events = vec![a, b, c, d];
    sort(&mut events);
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a", "m", "b", "z"]);
    let out = run_all(&events, None);
    assert_eq!(
        out[0].evidence.first(),
        Some("a"),
        "the first in total order names the finding"
    );
}
