//! Event builders, a test profile and a seeded generator shared by this crate's tests.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use palisade_core::{Dimension, Familiarity, ProfileView};
use palisade_schema::*;

/// 2022-09-15T23:00:00Z
pub const T0: i64 = 1_663_282_800_000;

pub fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis_unchecked(T0 + secs * 1000)
}

pub fn prompt(user: &str, secs: i64, id: &str, result: PromptResult) -> Event {
    Event::new(
        at(secs),
        id,
        Source::Okta,
        Activity::MfaPrompt(MfaPrompt {
            factor: Factor::Push,
            result,
        }),
    )
    .with_actor(Identity::new(user))
}

pub fn mfa_sign_in(user: &str, secs: i64, id: &str, failure: Option<FailureReason>) -> Event {
    let s = match failure {
        Some(r) => SignIn::failure(SignInStage::Mfa, r),
        None => SignIn::success(SignInStage::Mfa),
    };
    Event::new(at(secs), id, Source::Entra, Activity::SignIn(s)).with_actor(Identity::new(user))
}

pub fn from(mut e: Event, ip: &str, country: &str, asn: u32) -> Event {
    e.origin.ip = Some(ip.parse().unwrap());
    e.origin.country = Some(country.into());
    e.origin.asn = Some(asn);
    e
}

pub fn corr(mut e: Event, c: &str) -> Event {
    e.correlation_id = Some(c.into());
    e
}

/// A trusted profile that knows some countries and ASNs.
pub struct Known {
    pub countries: Vec<&'static str>,
    pub asns: Vec<u32>,
}

impl ProfileView for Known {
    fn sign_ins(&self) -> u64 {
        120
    }
    fn days(&self) -> u32 {
        60
    }
    fn trusted(&self) -> bool {
        true
    }
    fn familiarity(&self, dim: Dimension, value: &str) -> Option<Familiarity> {
        let known = match dim {
            Dimension::Country => self.countries.contains(&value),
            Dimension::Asn => self.asns.iter().any(|a| a.to_string() == value),
            _ => false,
        };
        known.then(|| Familiarity {
            weight: 10.0,
            share: 1.0,
            first_seen: Timestamp::from_millis_unchecked(T0 - 86_400_000 * 60),
            last_seen: Timestamp::from_millis_unchecked(T0 - 86_400_000),
        })
    }
    fn top_values(&self, _dim: Dimension) -> Vec<(String, f64)> {
        Vec::new()
    }
}

/// A small deterministic generator (SplitMix64), so seeds mean the same everywhere.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Sorts events into the pipeline's total order.
pub fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}
