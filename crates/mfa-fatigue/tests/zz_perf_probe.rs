#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]
use std::time::Instant;
use palisade_core::{Context, Detector};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::*;

#[test]
#[ignore]
fn probe() {
    let n = 1_000_000usize;
    let ip: std::net::IpAddr = "198.51.100.20".parse().unwrap();
    let mut events = Vec::with_capacity(n);
    let mut x = 1u64;
    for i in 0..n / 2 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let user = format!("user{}@corp.example", (x >> 33) % 100_000);
        for (dt, r) in [(0, PromptResult::Sent), (4000, PromptResult::Approved)] {
            let mut e = Event::new(Timestamp::from_millis_unchecked(1_704_067_200_000 + i as i64 * 17 + dt), format!("{i}-{dt}"), Source::Okta,
                Activity::MfaPrompt(MfaPrompt { factor: Factor::Push, result: r })).with_actor(Identity::new(&user));
            e.origin.ip = Some(ip);
            e.correlation_id = Some(format!("{i}"));
            events.push(e);
        }
    }
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    for _ in 0..2 {
        let t = Instant::now();
        let mut m: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
        for e in &events {
            *m.entry(palisade_core::stable_hash(&[e.identity().unwrap().as_str()])).or_insert(0) += 1;
        }
        eprintln!("baseline: {:?} {}", t.elapsed(), m.len());
    }
    for adv in [false, true] {
        let mut d = MfaFatigue::default();
        let mut out = Vec::new();
        let t = Instant::now();
        for (k, e) in events.iter().enumerate() {
            d.observe(e, &Context::empty(), &mut out);
            if adv && k % 1000 == 999 { d.advance(e.time - Duration::from_secs(30), &mut out); }
            out.clear();
        }
        eprintln!("advance={adv}: {:?} for {n} events, tracked {}", t.elapsed(), d.tracked_identities());
    }
}
