//! The severity ladder and the burst lifecycle, one behaviour per test.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use palisade_core::{Context, Detector, Error, Finding, FindingStatus, Severity, Technique};
use palisade_mfa_fatigue::{MfaFatigue, MfaFatigueConfig};
use palisade_schema::*;

fn run(d: &mut MfaFatigue, events: &[Event], ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        d.observe(e, ctx, &mut out);
    }
    out
}

fn last_of(out: &[Finding]) -> &Finding {
    out.last().expect("a finding")
}

fn denials(user: &str, n: i64, every: i64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            from(
                prompt(
                    user,
                    i * every,
                    &format!("{user}-d{i}"),
                    PromptResult::Denied,
                ),
                "203.0.113.7",
                "US",
                64500,
            )
        })
        .collect()
}

/// `n` denials of `user` every `every` seconds from the attacker's address, then an approval
/// from it at `approved` seconds.
fn denials_then_approval(user: &str, n: i64, every: i64, approved: i64) -> Vec<Event> {
    let mut events = denials(user, n, every);
    events.push(from(
        prompt(user, approved, "ok", PromptResult::Approved),
        "203.0.113.7",
        "US",
        64500,
    ));
    events
}

/// Runs `events` as the pipeline does: time advances to each event before it is observed.
fn run_in_time(d: &mut MfaFatigue, events: &[Event]) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in events {
        d.advance(e.time, &mut out);
        d.observe(e, &Context::empty(), &mut out);
    }
    out
}

#[test]
fn uber_burst_then_approval_is_critical_one_finding_then_closed() {
    let mut d = MfaFatigue::default();
    let events = denials_then_approval("victim@x.com", 9, 40, 9 * 40);
    let out = run(&mut d, &events, &Context::empty());
    assert!(!out.is_empty());
    let id = &out[0].id;
    assert!(out.iter().all(|f| &f.id == id), "one finding per burst");
    for (i, f) in out.iter().enumerate() {
        assert_eq!(f.revision as usize, i + 1);
    }
    assert_eq!(out[0].severity, Severity::Medium);
    assert_eq!(out[0].evidence.total, 4);
    let f = last_of(&out);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.technique, Technique::MfaRequestGeneration);
    assert_eq!(f.evidence.total, 10);
    assert_eq!(f.evidence.first(), Some("victim@x.com-d0"));
    assert_eq!(f.entities.ips[0].to_string(), "203.0.113.7");
    assert_eq!(f.entities.asns, vec![64500]);
    assert_eq!(
        f.summary,
        "9 push prompts denied or unanswered in 5 min from 203.0.113.7 (US), then approved at \
         23:06: account probably taken over"
    );
    let mut closed = Vec::new();
    d.advance(at(9 * 40 + 600), &mut closed);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].status, FindingStatus::Closed);
    assert_eq!(closed[0].id, *id);
    assert_eq!(closed[0].revision, f.revision + 1);
    assert_eq!(closed[0].severity, Severity::Critical);
    // The same `now` again emits nothing.
    let mut again = Vec::new();
    d.advance(at(9 * 40 + 600), &mut again);
    assert!(again.is_empty());
}

#[test]
fn burst_without_approval_is_medium_then_high_when_larger() {
    let mut d = MfaFatigue::default();
    let out = run(&mut d, &denials("a@x.com", 5, 30), &Context::empty());
    assert_eq!(last_of(&out).severity, Severity::Medium);
    assert!(last_of(&out)
        .summary
        .contains("probably prompting until the user approves"));
    let mut d = MfaFatigue::default();
    let out = run(&mut d, &denials("a@x.com", 10, 30), &Context::empty());
    assert_eq!(out[0].severity, Severity::Medium);
    assert_eq!(last_of(&out).severity, Severity::High);
}

#[test]
fn three_denials_stay_quiet_at_a_familiar_place_but_not_from_an_unfamiliar_one() {
    let au = Known {
        countries: vec!["AU"],
        asns: vec![1221],
    };
    let ctx = Context {
        profile: Some(&au),
        ..Context::empty()
    };
    let mut d = MfaFatigue::default();
    let home: Vec<Event> = (0..3)
        .map(|i| {
            from(
                prompt("b@x.com", i * 30, &format!("h{i}"), PromptResult::Denied),
                "1.1.1.1",
                "AU",
                1221,
            )
        })
        .collect();
    assert!(run(&mut d, &home, &ctx).is_empty());

    let mut d = MfaFatigue::default();
    let abroad: Vec<Event> = (0..3)
        .map(|i| {
            from(
                prompt("b@x.com", i * 30, &format!("u{i}"), PromptResult::Denied),
                "203.0.113.9",
                "US",
                64500,
            )
        })
        .collect();
    let out = run(&mut d, &abroad, &ctx);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::High);
    assert!(out[0]
        .summary
        .contains("from an origin this identity does not use"));
    let maturity = out[0].baseline.unwrap();
    assert!(maturity.trusted && maturity.sign_ins == 120);
}

#[test]
fn without_a_trusted_profile_vendor_signals_make_an_origin_unfamiliar() {
    let mut d = MfaFatigue::default();
    let events: Vec<Event> = (0..3)
        .map(|i| {
            let mut e = prompt("c@x.com", i * 30, &format!("t{i}"), PromptResult::Denied);
            e.vendor_signals.tor = Some(true);
            e
        })
        .collect();
    let out = run(&mut d, &events, &Context::empty());
    assert_eq!(last_of(&out).severity, Severity::High);
}

#[test]
fn ignored_prompts_then_approval_is_critical() {
    let mut d = MfaFatigue::default();
    let mut events: Vec<Event> = (0..7)
        .map(|i| prompt("e@x.com", i * 30, &format!("s{i}"), PromptResult::Sent))
        .collect();
    events.push(mfa_sign_in("e@x.com", 7 * 30 - 5, "win", None));
    let out = run(&mut d, &events, &Context::empty());
    let f = last_of(&out);
    assert_eq!(f.severity, Severity::Critical);
    // Six ignored (superseded) prompts; the seventh is the one approved.
    assert!(
        f.summary.starts_with("6 push prompts denied or unanswered"),
        "{}",
        f.summary
    );
}

#[test]
fn ignored_prompts_alone_count_when_time_moves_on() {
    let mut d = MfaFatigue::default();
    let events: Vec<Event> = (0..4)
        .map(|i| prompt("f@x.com", i * 30, &format!("s{i}"), PromptResult::Sent))
        .collect();
    // Three superseded prompts: not yet a burst.
    assert!(run(&mut d, &events, &Context::empty()).is_empty());
    let mut out = Vec::new();
    d.advance(at(90 + 299), &mut out);
    assert!(out.is_empty(), "the last prompt may still be answered");
    d.advance(at(90 + 300), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Medium);
    assert_eq!(out[0].evidence.total, 4);
}

#[test]
fn a_fraud_report_is_high_at_once_and_an_approval_after_it_critical() {
    let mut d = MfaFatigue::default();
    let out = run(
        &mut d,
        &[from(
            prompt("g@x.com", 0, "fr", PromptResult::FraudReported),
            "198.51.100.4",
            "NL",
            64501,
        )],
        &Context::empty(),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::High);
    assert!(out[0].summary.contains("1 reported as fraud by the user"));
    let out = run(
        &mut d,
        &[prompt("g@x.com", 60, "ap", PromptResult::Approved)],
        &Context::empty(),
    );
    assert_eq!(last_of(&out).severity, Severity::Critical);
    assert_eq!(last_of(&out).revision, 2);
}

/// The user reports the attacker's push as fraud, then minutes later signs in from their own
/// home network and approves their own push: that is not the attacker getting through. An
/// approval from the attacker's network (another address in the same AS) still is.
#[test]
fn the_users_own_approval_from_elsewhere_is_not_the_attackers() {
    let mut d = MfaFatigue::default();
    let report = |who: &str| {
        from(
            prompt(who, 0, &format!("{who}-fr"), PromptResult::FraudReported),
            "198.51.100.4",
            "NL",
            64501,
        )
    };
    let mut out = run(
        &mut d,
        &[report("g@x.com"), report("k@x.com")],
        &Context::empty(),
    );
    assert_eq!(out.len(), 2);
    out.extend(run(
        &mut d,
        &[
            from(
                prompt("g@x.com", 480, "own", PromptResult::Approved),
                "110.174.9.20",
                "AU",
                7545,
            ),
            from(
                prompt("k@x.com", 480, "theirs", PromptResult::Approved),
                "198.51.100.77",
                "NL",
                64501,
            ),
        ],
        &Context::empty(),
    ));
    d.advance(at(86_400), &mut out);
    let last = |who: &str| {
        out.iter()
            .rev()
            .find(|f| f.identity.as_ref().is_some_and(|k| k.as_str() == who))
            .unwrap()
            .clone()
    };
    let g = last("g@x.com");
    assert_eq!(g.severity, Severity::High, "{}", g.summary);
    assert!(!g.evidence.event_ids.contains(&"own".to_owned()));
    let k = last("k@x.com");
    assert_eq!(k.severity, Severity::Critical, "{}", k.summary);
    assert!(k.evidence.event_ids.contains(&"theirs".to_owned()));
}

#[test]
fn a_benign_user_who_misses_two_prompts_then_approves_stays_quiet() {
    let mut d = MfaFatigue::default();
    let events = vec![
        prompt("h@x.com", 0, "s1", PromptResult::Sent),
        prompt("h@x.com", 60, "to1", PromptResult::TimedOut),
        prompt("h@x.com", 120, "s2", PromptResult::Sent),
        prompt("h@x.com", 180, "to2", PromptResult::TimedOut),
        prompt("h@x.com", 240, "s3", PromptResult::Sent),
        prompt("h@x.com", 250, "ok", PromptResult::Approved),
    ];
    let mut out = run(&mut d, &events, &Context::empty());
    d.advance(at(86_400), &mut out);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(d.tracked_identities(), 0, "idle identities expire");
    assert_eq!(d.state_bytes(), 0, "nothing is left");
}

#[test]
fn a_prompt_reported_twice_counts_once() {
    // Entra: an MfaPrompt denial and a failed MFA sign-in for each prompt, no correlation id.
    let mut d = MfaFatigue::default();
    let mut events = Vec::new();
    for i in 0..3 {
        events.push(prompt(
            "i@x.com",
            i * 40,
            &format!("p{i}"),
            PromptResult::Denied,
        ));
        events.push(mfa_sign_in(
            "i@x.com",
            i * 40,
            &format!("s{i}"),
            Some(FailureReason::MfaDenied),
        ));
    }
    sort(&mut events);
    assert!(
        run(&mut d, &events, &Context::empty()).is_empty(),
        "3 prompts, not 6"
    );
    let key = IdentityKey::new("i@x.com");
    assert_eq!(d.window_count(&key, at(80), Duration::from_mins(10)), 3);

    // Okta: sent, denied and a failed MFA step, all with one transaction id per prompt.
    let mut d = MfaFatigue::default();
    let mut events = Vec::new();
    for i in 0..3 {
        let c = format!("tx{i}");
        events.push(corr(
            prompt("j@x.com", i * 40, &format!("a{i}"), PromptResult::Sent),
            &c,
        ));
        events.push(corr(
            prompt(
                "j@x.com",
                i * 40 + 5,
                &format!("b{i}"),
                PromptResult::Denied,
            ),
            &c,
        ));
        events.push(corr(
            mfa_sign_in(
                "j@x.com",
                i * 40 + 5,
                &format!("c{i}"),
                Some(FailureReason::MfaDenied),
            ),
            &c,
        ));
    }
    sort(&mut events);
    assert!(run(&mut d, &events, &Context::empty()).is_empty());
    assert_eq!(
        d.window_count(
            &IdentityKey::new("j@x.com"),
            at(85),
            Duration::from_mins(10)
        ),
        3
    );
}

#[test]
fn one_transaction_id_shared_by_many_pushes_still_counts_each() {
    let mut d = MfaFatigue::default();
    let mut events = Vec::new();
    for i in 0..5 {
        events.push(corr(
            prompt("k@x.com", i * 20, &format!("s{i}"), PromptResult::Sent),
            "tx",
        ));
        events.push(corr(
            prompt(
                "k@x.com",
                i * 20 + 3,
                &format!("d{i}"),
                PromptResult::Denied,
            ),
            "tx",
        ));
    }
    let out = run(&mut d, &events, &Context::empty());
    assert_eq!(last_of(&out).evidence.total, 5);
}

#[test]
fn a_burst_straddling_a_window_edge_is_one_burst() {
    // Two denials at minutes 8 and 9, two at 10.5 and 11: no fixed 10-minute bucket holds four.
    let mut d = MfaFatigue::default();
    let events: Vec<Event> = [480, 540, 630, 660]
        .iter()
        .enumerate()
        .map(|(i, s)| prompt("l@x.com", *s, &format!("d{i}"), PromptResult::Denied))
        .collect();
    let out = run(&mut d, &events, &Context::empty());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].first_seen, at(480));
}

#[test]
fn slow_prompting_is_caught_by_the_hour_window_and_long_bursts_are_high() {
    let mut d = MfaFatigue::default();
    // Never more than two in ten minutes, five in 28 minutes: Okta Workflows' "5 in an hour".
    let out = run(&mut d, &denials("m@x.com", 5, 7 * 60), &Context::empty());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].severity, Severity::Medium);
    assert_eq!(out[0].evidence.total, 5);

    let mut d = MfaFatigue::default();
    let out = run(&mut d, &denials("m@x.com", 5, 12 * 60), &Context::empty());
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].severity,
        Severity::High,
        "48 minutes of prompting is a long burst"
    );

    let mut d = MfaFatigue::default();
    let out = run(&mut d, &denials("n@x.com", 9, 4 * 60), &Context::empty());
    assert_eq!(
        last_of(&out).severity,
        Severity::High,
        "32 minutes of prompting"
    );
}

#[test]
fn after_a_burst_closes_a_new_burst_gets_a_new_finding() {
    let mut d = MfaFatigue::default();
    let mut out = run(&mut d, &denials("o@x.com", 4, 30), &Context::empty());
    d.advance(at(3 * 30 + 600), &mut out);
    assert_eq!(last_of(&out).status, FindingStatus::Closed);
    let later: Vec<Event> = (0..4)
        .map(|i| {
            prompt(
                "o@x.com",
                7200 + i * 30,
                &format!("late{i}"),
                PromptResult::Denied,
            )
        })
        .collect();
    let out2 = run(&mut d, &later, &Context::empty());
    assert_eq!(out2.len(), 1);
    assert_ne!(out2[0].id, out[0].id);
    assert_eq!(out2[0].revision, 1);
}

#[test]
fn state_is_capped_per_identity() {
    let mut d = MfaFatigue::default();
    let events: Vec<Event> = (0..500)
        .map(|i| prompt("p@x.com", i, &format!("d{i}"), PromptResult::Denied))
        .collect();
    let out = run(&mut d, &events, &Context::empty());
    let key = IdentityKey::new("p@x.com");
    assert!(d.window_count(&key, at(500), Duration::from_hours(2)) <= 64);
    assert_eq!(
        last_of(&out).evidence.total,
        500,
        "the burst itself keeps counting"
    );
    assert_eq!(last_of(&out).evidence.event_ids.len(), 100);
    let bytes = d.state_bytes();
    assert!(bytes < 64 * 1024, "{bytes}");
    d.forget(&key);
    assert_eq!(d.tracked_identities(), 0);
    assert!(d.state_bytes() < 1024);
}

#[test]
fn a_flood_of_identities_is_capped_and_the_one_being_bombed_is_still_caught() {
    let config = MfaFatigueConfig {
        max_identities: 512,
        ..MfaFatigueConfig::default()
    };
    let mut d = MfaFatigue::new(config).unwrap();
    // 20 000 identities each denying one push within 20 minutes (every one of them would be
    // held for the hour), with a push-bombing victim among them. The cap holds about half a
    // minute of the flood; the victim gets four pushes, a two-minute pause, then eight more.
    let mut events: Vec<Event> = (0..20_000)
        .map(|i| {
            prompt(
                &format!("flood{i}@x.com"),
                i / 16,
                &format!("f{i}"),
                PromptResult::Denied,
            )
        })
        .collect();
    let pushes = (0..4)
        .map(|i| 300 + i * 5)
        .chain((0..8).map(|i| 435 + i * 5));
    events.extend(pushes.enumerate().map(|(n, secs)| {
        from(
            prompt("victim@x.com", secs, &format!("v{n}"), PromptResult::Denied),
            "203.0.113.7",
            "US",
            64500,
        )
    }));
    sort(&mut events);
    let mut out = run(&mut d, &events, &Context::empty());
    let mut peak_bytes = d.state_bytes();
    assert!(d.tracked_identities() <= 512, "{}", d.tracked_identities());
    assert!(peak_bytes < 512 * 2048, "{peak_bytes}");
    let victim = out
        .iter()
        .rfind(|f| f.identity.as_ref().map(IdentityKey::as_str) == Some("victim@x.com"))
        .expect("the bombed identity is still tracked and caught");
    assert_eq!(
        (victim.severity, victim.evidence.total),
        (Severity::High, 12),
        "one burst of all twelve pushes: the pause did not drop the victim"
    );
    // Dropped identities never leave state behind.
    d.advance(at(86_400), &mut out);
    peak_bytes = peak_bytes.max(d.state_bytes());
    assert_eq!(d.tracked_identities(), 0);
    assert_eq!(d.state_bytes(), 0, "after a peak of {peak_bytes}");
}

#[test]
fn snapshot_restore_mid_stream_changes_nothing() {
    let events = {
        let mut v = denials("q@x.com", 6, 30);
        v.extend(denials("r@x.com", 2, 50));
        v.push(prompt("r@x.com", 200, "rs", PromptResult::Sent));
        v.push(prompt("q@x.com", 400, "qa", PromptResult::Approved));
        sort(&mut v);
        v
    };
    let mut whole = MfaFatigue::default();
    let mut expected = run(&mut whole, &events, &Context::empty());
    whole.advance(at(7200), &mut expected);
    for cut in 0..events.len() {
        let mut a = MfaFatigue::default();
        let mut got = run(&mut a, &events[..cut], &Context::empty());
        let bytes = a.snapshot().unwrap();
        let mut b = MfaFatigue::default();
        b.restore(&bytes).unwrap();
        assert_eq!(b.snapshot().unwrap(), bytes, "snapshots are stable");
        got.extend(run(&mut b, &events[cut..], &Context::empty()));
        b.advance(at(7200), &mut got);
        assert_eq!(got, expected, "cut at {cut}");
    }
}

#[test]
fn bad_snapshots_are_typed_errors() {
    let mut d = MfaFatigue::default();
    assert!(matches!(
        d.restore(b"not json"),
        Err(Error::CorruptSnapshot(_))
    ));
    assert!(matches!(d.restore(b""), Err(Error::CorruptSnapshot(_))));
    assert!(matches!(
        d.restore(br#"{"version":1,"tracks":[{"key":"a"}]}"#),
        Err(Error::CorruptSnapshot(_))
    ));
    assert!(matches!(
        d.restore(br#"{"version":7,"tracks":[]}"#),
        Err(Error::SnapshotVersion {
            found: 7,
            expected: 1
        })
    ));
}

#[test]
fn config_round_trips_and_rejects_nonsense() {
    let c = MfaFatigueConfig::default();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<MfaFatigueConfig>(&json).unwrap(), c);
    assert!(serde_json::from_str::<MfaFatigueConfig>(r#"{"windw": 5}"#).is_err());
    let neg = MfaFatigueConfig {
        window: Duration::from_millis(-1),
        ..c.clone()
    };
    assert!(matches!(MfaFatigue::new(neg), Err(Error::Config(_))));
    let strict = MfaFatigueConfig { medium_at: 2, ..c };
    let mut d = MfaFatigue::new(strict).unwrap();
    assert_eq!(
        run(&mut d, &denials("s@x.com", 2, 30), &Context::empty()).len(),
        1
    );
}

#[test]
fn other_factors_and_other_activities_are_ignored() {
    let mut d = MfaFatigue::default();
    let events: Vec<Event> = (0..6)
        .map(|i| {
            Event::new(
                at(i * 10),
                format!("t{i}"),
                Source::Okta,
                Activity::MfaPrompt(MfaPrompt {
                    factor: Factor::Totp,
                    result: PromptResult::Denied,
                }),
            )
            .with_actor(Identity::new("t@x.com"))
        })
        .collect();
    assert!(run(&mut d, &events, &Context::empty()).is_empty());
    let pw = Event::new(
        at(0),
        "pw",
        Source::Entra,
        Activity::SignIn(SignIn::failure(
            SignInStage::Primary,
            FailureReason::BadPassword,
        )),
    )
    .with_actor(Identity::new("t@x.com"));
    assert!(run(&mut d, &[pw], &Context::empty()).is_empty());
    assert_eq!(d.tracked_identities(), 0);
}

/// Low and slow: a push every twelve minutes for over two hours stays under the short window,
/// but the slow window opens a burst, and the burst stays open as long as the attacker's pace
/// (twice it): every prompt, and the approval twelve minutes after the last, are one finding,
/// critical, not a string of separate high ones that never see the approval.
#[test]
fn a_slow_campaign_is_one_burst_up_to_its_approval() {
    let mut d = MfaFatigue::default();
    let out = run_in_time(
        &mut d,
        &denials_then_approval("slow@x.com", 12, 720, 12 * 720),
    );
    let id = &out[0].id;
    assert!(out.iter().all(|f| &f.id == id), "one burst: {out:#?}");
    let f = last_of(&out);
    assert_eq!(f.severity, Severity::Critical, "{}", f.summary);
    assert_eq!(f.evidence.total, 13);
    assert!(f.summary.contains("then approved"), "{}", f.summary);

    // A fast burst still closes ten minutes after its last prompt: an approval twelve minutes
    // later is the user's own.
    let mut d = MfaFatigue::default();
    let out = run_in_time(
        &mut d,
        &denials_then_approval("fast@x.com", 6, 30, 5 * 30 + 720),
    );
    assert!(
        out.iter().all(|f| f.severity < Severity::Critical),
        "{out:#?}"
    );
}
