//! Throughput of the impossible travel detector on 2M normalized sign-in events over 200k
//! identities, against a bare `HashMap<u64, u64>` increment pass over the same events; and
//! `.mmdb` lookups per second on a database of 20k networks built in memory.
//!
//! Events are generated in chunks of 250k (generation is never timed), as an identity provider's
//! stream looks: 67% successful sign-ins (SSO into apps, session starts) from the identity's
//! usual address, 10% MFA prompts (skipped: their flow's sign-in teaches the address), 12% other
//! activity (file and mail events the detector skips), 10% sign-ins from another address in the
//! same city (a new address each time: the slow path, geolocation and a distance; the sign-in
//! after it, back at the usual address, is a slow path too), and 1% from another city far away
//! (mostly flagged).
//!
//! `IDENTITIES` (default 200 000) sets the population: the ratio depends on it, because the
//! bare map's 16-byte entries stay in cache long after the detector's per-identity state (a
//! 128-byte line pair read per sign-in, more on a new address) no longer does.
//!
//! The one-pass line also prints a digest of every finding (its JSON form, in emission order,
//! from a separate untimed pass), so a faster detector can be checked to say exactly the same
//! things. With `PALISADE_BENCH_ONLY=detector` (or `reference`) only that pass runs, five times
//! (or `PALISADE_BENCH_PASSES`), each printing its thread CPU time: for profilers, and for
//! comparing two builds pass against pass (on a shared machine, alternate the builds: one pass
//! swings by a tenth from minute to minute); with `PALISADE_BENCH_CPU` set, both passes
//! alternate five times timed in this thread's CPU time, best of five (a quick check on a
//! shared machine).
// A bench reports what it measured.
#![allow(clippy::print_stderr, clippy::unwrap_used, missing_docs)]

#[path = "../../geo/tests/support/mmdb_writer.rs"]
mod mmdb_writer;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use std::time::{Duration as StdDuration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use palisade_core::{stable_hash, Context, Detector};
use palisade_geo::{GeoResolver, MmdbResolver};
use palisade_schema::*;
use palisade_travel::ImpossibleTravel;

const EVENTS: usize = 2_000_000;
/// The population, from `IDENTITIES` (default 200 000).
fn identities() -> u64 {
    static N: OnceLock<u64> = OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("IDENTITIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(200_000)
    })
}
const CHUNK: usize = 250_000;
/// 2024-01-01T00:00:00Z; the events span two days.
const START: i64 = 1_704_067_200_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

const CITIES: &[(&str, &str, f64, f64)] = &[
    ("Sydney", "AU", -33.8688, 151.2093),
    ("Melbourne", "AU", -37.8136, 144.9631),
    ("London", "GB", 51.5074, -0.1278),
    ("New York", "US", 40.7128, -74.0060),
    ("Frankfurt", "DE", 50.1109, 8.6821),
    ("Singapore", "SG", 1.3521, 103.8198),
];

fn chunk(k: usize) -> Vec<Event> {
    let mut rng = Rng(k as u64 + 7);
    let step = 2 * 86_400_000 / EVENTS as i64;
    (0..CHUNK)
        .map(|n| {
            let i = k * CHUNK + n;
            let user = rng.next() % identities();
            let home = (user % 6) as usize;
            let roll = rng.next() % 100;
            let (city, third) = match roll {
                0..=81 | 92..=98 => (home, 0u8),
                82..=91 => (home, 1 + (rng.next() % 200) as u8),
                _ => ((home + 1 + (rng.next() % 5) as usize) % 6, 250),
            };
            let (name, cc, lat, lon) = CITIES[city];
            let activity = match roll {
                60..=69 => Activity::MfaPrompt(MfaPrompt {
                    factor: Factor::Push,
                    result: PromptResult::Sent,
                }),
                70..=81 => Activity::Other {
                    name: "app.generic.unauth_app_access_attempt".into(),
                },
                _ => Activity::SignIn(SignIn::success(SignInStage::Sso)),
            };
            let ip = IpAddr::V4(Ipv4Addr::new(
                10 + city as u8,
                (user >> 8) as u8,
                third,
                user as u8,
            ));
            Event::new(
                Timestamp::from_millis_unchecked(START + i as i64 * step),
                format!("ev{i}"),
                Source::Okta,
                activity,
            )
            .with_actor(Identity::new(&format!("user{user}@corp.example")))
            .with_origin(Origin {
                ip: Some(ip),
                geo: GeoPoint::new(lat, lon, Some(20.0)),
                country: Some(cc.into()),
                city: Some(name.into()),
                asn: Some(64_500 + city as u32),
                ..Origin::default()
            })
        })
        .collect()
}

/// What a detector pass said: how many findings, and a digest of all of them in order.
struct Said {
    findings: usize,
    digest: u64,
}

/// A reading of a clock that only goes forward: wall time, or this thread's CPU time.
type Clock = fn() -> StdDuration;

fn wall() -> StdDuration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`; zero if unreadable).
fn thread_cpu() -> StdDuration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(StdDuration::ZERO, StdDuration::from_nanos)
}

fn detector_pass() -> (StdDuration, Said, ImpossibleTravel) {
    detector_pass_on(wall, false)
}

/// A timed pass; with `digest`, the findings are digested inside the timed loop too (so that
/// pass checks what was said, and its time means nothing).
fn detector_pass_on(clock: Clock, digest: bool) -> (StdDuration, Said, ImpossibleTravel) {
    let mut total = StdDuration::ZERO;
    let mut d = ImpossibleTravel::default();
    let mut out = Vec::new();
    let mut said = Said {
        findings: 0,
        digest: 0,
    };
    for k in 0..EVENTS / CHUNK {
        let events = chunk(k);
        let started = clock();
        for (n, e) in events.iter().enumerate() {
            d.observe(e, &Context::empty(), &mut out);
            if n % 1000 == 999 {
                d.advance(e.time, &mut out);
            }
            said.findings += out.len();
            if digest {
                for f in &out {
                    let json = serde_json::to_string(f).unwrap();
                    said.digest = stable_hash(&[&said.digest.to_string(), &json]);
                }
            }
            out.clear();
        }
        total += clock().saturating_sub(started);
    }
    (total, said, d)
}

/// The findings count and digest of one untimed pass.
fn what_is_said() -> Said {
    detector_pass_on(wall, true).1
}

fn baseline_pass() -> StdDuration {
    baseline_pass_on(wall)
}

fn baseline_pass_on(clock: Clock) -> StdDuration {
    let mut total = StdDuration::ZERO;
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for k in 0..EVENTS / CHUNK {
        let events = chunk(k);
        let started = clock();
        for e in &events {
            let key = stable_hash(&[e.identity().map_or("", IdentityKey::as_str)]);
            *counts.entry(key).or_insert(0) += 1;
        }
        total += clock().saturating_sub(started);
    }
    criterion::black_box(counts.len());
    total
}

/// Both passes alternated five times in thread CPU time; prints each run and the best of each.
fn cpu_time_check() {
    let mut best = (StdDuration::MAX, StdDuration::MAX);
    for _ in 0..5 {
        let (det, _, _) = detector_pass_on(thread_cpu, false);
        let base = baseline_pass_on(thread_cpu);
        best = (best.0.min(det), best.1.min(base));
        eprintln!(
            "cpu: detector {:.1} ms, hashmap baseline {:.1} ms, ratio {:.3}x",
            det.as_secs_f64() * 1e3,
            base.as_secs_f64() * 1e3,
            base.as_secs_f64() / det.as_secs_f64(),
        );
    }
    eprintln!(
        "cpu best of 5: detector {:.1} ms, hashmap baseline {:.1} ms, ratio {:.3}x",
        best.0.as_secs_f64() * 1e3,
        best.1.as_secs_f64() * 1e3,
        best.1.as_secs_f64() / best.0.as_secs_f64()
    );
    let said = what_is_said();
    eprintln!("{} findings, digest {:016x}", said.findings, said.digest);
}

fn mmdb() -> (MmdbResolver, Vec<IpAddr>) {
    let mut w = mmdb_writer::MmdbWriter::new("GeoLite2-City");
    let mut rng = Rng(99);
    let mut nets = Vec::new();
    for i in 0..20_000u32 {
        // Disjoint /24s spread over the IPv4 space.
        let base = (i.wrapping_mul(2_654_435_761) & 0xffff_ff00) | 0x0100_0000;
        let a = Ipv4Addr::from(base);
        if nets.iter().any(|n: &Ipv4Addr| u32::from(*n) == base) {
            continue;
        }
        let (name, cc, lat, lon) = CITIES[(rng.next() % 6) as usize];
        w.insert(
            &format!("{a}/24"),
            &mmdb_writer::city(cc, None, Some(name), lat, lon, 20),
        );
        nets.push(a);
    }
    let mut r = MmdbResolver::new();
    r.add_bytes(w.finish(), "bench").unwrap();
    let probes = (0..100_000)
        .map(|_| {
            let n = u32::from(nets[(rng.next() % nets.len() as u64) as usize]);
            IpAddr::V4(Ipv4Addr::from(n | (rng.next() % 256) as u32))
        })
        .collect();
    (r, probes)
}

fn bench(c: &mut Criterion) {
    if let Some(pass) = std::env::var_os("PALISADE_BENCH_ONLY") {
        // For profilers (`perf record`): one pass alone, so its profile is not mixed with the
        // other's; `PALISADE_BENCH_PASSES` times (default five).
        let passes = std::env::var("PALISADE_BENCH_PASSES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(5);
        for _ in 0..passes {
            let took = match pass.to_str() {
                Some("reference") => baseline_pass_on(thread_cpu),
                Some("detector") => detector_pass_on(thread_cpu, false).0,
                _ => panic!("PALISADE_BENCH_ONLY is `detector` or `reference`"),
            };
            eprintln!("{pass:?} pass: {:.1} ms of CPU", took.as_secs_f64() * 1e3);
        }
        return;
    }
    if std::env::var_os("PALISADE_BENCH_CPU").is_some() {
        cpu_time_check();
        return;
    }
    let (det, timed, d) = detector_pass();
    let base = baseline_pass();
    let said = what_is_said();
    let findings = said.findings;
    assert_eq!(
        timed.findings, findings,
        "the timed pass says what the digested one says"
    );
    eprintln!(
        "one pass: detector {:.0} ns/event, hashmap baseline {:.0} ns/event, ratio {:.2}x of baseline \
         throughput; {findings} findings (digest {:016x}); {} bytes for {} identities ({} bytes each)",
        det.as_nanos() as f64 / EVENTS as f64,
        base.as_nanos() as f64 / EVENTS as f64,
        base.as_secs_f64() / det.as_secs_f64(),
        said.digest,
        d.state_bytes(),
        d.tracked_identities(),
        d.state_bytes() / d.tracked_identities().max(1)
    );
    drop(d);

    let mut g = c.benchmark_group(format!(
        "impossible_travel_2M_events_{}k_identities",
        identities() / 1000
    ));
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(StdDuration::from_millis(1));
    g.measurement_time(StdDuration::from_secs(1));
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("hashmap_u64_increment", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| baseline_pass()).sum())
    });
    g.bench_function("detector", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| detector_pass().0).sum())
    });
    g.finish();

    let (r, probes) = mmdb();
    let mut g = c.benchmark_group("mmdb_city_lookup_20k_networks");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.sample_size(10);
    g.bench_function("resolve", |b| {
        b.iter(|| probes.iter().filter(|ip| r.resolve(**ip).is_some()).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
