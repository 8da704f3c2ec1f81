//! Profile update + detection throughput at scale, against a bare `HashMap<u64, u64>` increment
//! pass over the same events in the same bench. Inputs are generated in memory.
//!
//! The store is warmed with `IDENTITIES` (default 1 000 000) realistic profiles; the measured
//! stream is one more sign-in per identity in shuffled order — mostly familiar, ~2% trips, ~3%
//! failures, a few attacks. Per event the detection path does what the pipeline does: look up
//! the profile, run the three detectors, learn. With `PALISADE_BENCH_ONLY` set, only the
//! detection pass runs (`PALISADE_BENCH_PASSES` times, default five), for profilers; with
//! `PALISADE_BENCH_LOCAL` also set, in identity order rather than shuffled.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use palisade_baseline::BaselineStore;
use palisade_core::{stable_hash, Context, Detector, Finding, ProfileStore};
use palisade_schema::*;
use palisade_signin::{FailedThenSuccess, PasswordSpray, UnfamiliarSignIn};

struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const HOMES: [(&str, &str, u32); 4] = [
    ("AU", "Sydney", 7545),
    ("NZ", "Auckland", 9500),
    ("US", "Seattle", 7922),
    ("GB", "London", 2856),
];

fn sign_in(i: usize, day: i64, r: u64, kind: u64) -> Event {
    let t0 = 1_709_510_400_000i64; // 2024-03-04
    let home = HOMES[i % HOMES.len()];
    let act = match kind {
        0 => Activity::SignIn(SignIn::failure(
            SignInStage::Primary,
            FailureReason::BadPassword,
        )),
        _ => Activity::SignIn(SignIn::success(SignInStage::Primary)),
    };
    let time = Timestamp::from_millis_unchecked(
        t0 + day * 86_400_000 + (8 + (r % 9) as i64) * 3_600_000 + (r >> 40) as i64 % 3_600_000,
    );
    let mut e = Event::new(time, format!("e{i}-{day}-{r:x}"), Source::Entra, act)
        .with_actor(Identity::new(&format!("user{i:07}@contoso.example")));
    let o = &mut e.origin;
    let (country, city, asn, ip, device, ua) = match kind {
        // A trip: new country and network, own laptop.
        2 => (
            "FR",
            "Paris",
            3215,
            [90, 12, (r >> 8) as u8, 7],
            format!("dev-{i}"),
            UA,
        ),
        // An attacker: new everything.
        3 => (
            "RU",
            "Moscow",
            12389,
            [95, 24, (r >> 8) as u8, 1],
            format!("x-{r:x}"),
            "python-requests/2.31.0",
        ),
        _ => (
            home.0,
            home.1,
            home.2,
            [100, (i >> 16) as u8, (i >> 8) as u8, (i & 0xff) as u8],
            format!("dev-{i}"),
            UA,
        ),
    };
    o.country = Some(country.into());
    o.city = Some(city.into());
    o.asn = Some(asn);
    o.ip = Some(std::net::IpAddr::from(ip));
    o.device_id = Some(device);
    o.user_agent = Some(ua.into());
    e
}

/// What the pipeline runs per event: the profile as it was, the three detectors, then learning.
#[derive(Default)]
struct Detectors {
    unfamiliar: UnfamiliarSignIn,
    failed: FailedThenSuccess,
    spray: PasswordSpray,
    out: Vec<Finding>,
}

impl Detectors {
    fn pass(&mut self, store: &mut BaselineStore, stream: &[Event]) {
        for e in stream {
            store.advance(e.time);
            let ctx = Context {
                profile: e.identity().and_then(|k| store.view(k)),
                ..Context::empty()
            };
            self.unfamiliar.observe(e, &ctx, &mut self.out);
            self.failed.observe(e, &ctx, &mut self.out);
            self.spray.observe(e, &ctx, &mut self.out);
            store.learn(e);
        }
        let end = stream.last().map(|e| e.time).unwrap_or_default() + Duration::from_hours(2);
        self.unfamiliar.advance(end, &mut self.out);
        self.failed.advance(end, &mut self.out);
        self.spray.advance(end, &mut self.out);
        black_box(self.out.len());
        self.out.clear();
    }
}

fn identities() -> usize {
    std::env::var("IDENTITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn bench(c: &mut Criterion) {
    let n = identities();
    let mut rng = Mix(7);
    let mut store = BaselineStore::default();
    for day in 0..15 {
        for i in 0..n {
            store.learn(&sign_in(i, day, rng.next(), 1));
        }
    }
    println!(
        "signin: warmed {n} identities, state {} bytes/identity",
        store.state_bytes() / n
    );
    let mut stream: Vec<Event> = (0..n)
        .map(|i| {
            let r = rng.next();
            let kind = match r % 1000 {
                0..=29 => 0,
                30..=49 => 2,
                50..=52 => 3,
                _ => 1,
            };
            sign_in(i, 16, r, kind)
        })
        .collect();
    // Shuffle, then sort by time: the pipeline hands detectors events in time order. With
    // `PALISADE_BENCH_LOCAL` set the stream stays in identity order, the order the profiles
    // were made in, so the pass reads memory in sequence: the difference is what random access
    // costs, the rest is the work itself.
    if std::env::var_os("PALISADE_BENCH_LOCAL").is_none() {
        for k in (1..stream.len()).rev() {
            let j = (rng.next() % (k as u64 + 1)) as usize;
            stream.swap(k, j);
        }
        stream.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    }

    if std::env::var_os("PALISADE_BENCH_ONLY").is_some() {
        // For profilers (`perf record`): the detection pass alone, `PALISADE_BENCH_PASSES`
        // times (default five), each printing its time, so the profile is mostly that pass.
        let passes = std::env::var("PALISADE_BENCH_PASSES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(5);
        let mut d = Detectors::default();
        for _ in 0..passes {
            let t = Instant::now();
            d.pass(&mut store, &stream);
            println!("detection pass: {:.1?}", t.elapsed());
        }
        return;
    }
    let mut g = c.benchmark_group("signin_1m");
    g.sample_size(10)
        .measurement_time(StdDuration::from_secs(30))
        .warm_up_time(StdDuration::from_secs(1));
    g.throughput(Throughput::Elements(stream.len() as u64));
    g.bench_function("bare HashMap<u64,u64> increment", |b| {
        let mut counts: HashMap<u64, u64> = HashMap::with_capacity(n);
        b.iter(|| {
            for e in &stream {
                let k = stable_hash(&[e.identity().map_or("", IdentityKey::as_str)]);
                *counts.entry(k).or_insert(0) += 1;
            }
            black_box(counts.len());
        })
    });
    g.bench_function("profile view + 3 detectors + learn", |b| {
        let mut d = Detectors::default();
        b.iter(|| d.pass(&mut store, &stream))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
