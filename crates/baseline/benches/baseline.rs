//! Baseline store at scale: bytes per identity with realistic profiles, learning throughput, and
//! snapshot/restore of the whole store against plain `fs::write` + fsync / `fs::read` of the same
//! number of bytes. Inputs are generated in memory.
//!
//! Snapshot and restore are timed both ways the store offers: streamed to and from the file a
//! chunk at a time (`snapshot_to`, `restore_from`: no buffer of the snapshot's size), and
//! through one buffer in memory (`snapshot`, `restore`). A restore builds its state in fresh
//! heap memory, so the bench also times fresh memory of the state's size, alone and after a
//! plain read: the floor no restore of this design goes under.
//!
//! `IDENTITIES` (default 1 000 000) scales the population for smaller machines.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration as StdDuration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use palisade_baseline::BaselineStore;
use palisade_core::ProfileStore;
use palisade_schema::*;

struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const HOMES: [(&str, &str, u32, u32); 6] = [
    ("AU", "Sydney", 7545, 4804),
    ("AU", "Melbourne", 1221, 4804),
    ("NZ", "Auckland", 9500, 4771),
    ("US", "Seattle", 7922, 21928),
    ("GB", "London", 2856, 5089),
    ("SG", "Singapore", 9506, 4773),
];
const TRIPS: [(&str, &str, u32); 4] = [
    ("FR", "Paris", 3215),
    ("JP", "Tokyo", 2516),
    ("DE", "Berlin", 3320),
    ("US", "New York", 7018),
];
const UAS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
];
const APPS: [&str; 6] = [
    "Office 365",
    "Salesforce",
    "Slack",
    "Atlassian Cloud",
    "Workday",
    "Zoom",
];

/// Builds a store of `n` identities, each with `per` sign-ins over 30 days from a realistic mix:
/// home broadband, a mobile carrier for a third of people, the office egress, an occasional trip,
/// one or two devices and browser families, a few applications.
fn populate(n: usize, per: usize) -> BaselineStore {
    let mut store = BaselineStore::default();
    let t0 = Timestamp::parse_rfc3339("2024-03-04T00:00:00Z")
        .unwrap()
        .as_millis();
    let mut e = Event::new(
        Timestamp::from_millis_unchecked(t0),
        "e",
        Source::Entra,
        Activity::SignIn(SignIn::success(SignInStage::Primary)),
    );
    let mut rng = Mix(42);
    for i in 0..n {
        let home = HOMES[rng.below(HOMES.len() as u64) as usize];
        let mobile = rng.below(3) == 0;
        let devices = 1 + rng.below(2);
        let ua0 = rng.below(UAS.len() as u64) as usize;
        e.actor = Some(Identity::new(&format!("user{i:07}@contoso.example")));
        for s in 0..per {
            let r = rng.next();
            let o = &mut e.origin;
            let trip = r % 40 == 0;
            let (country, city, asn) = if trip {
                let t = TRIPS[(r >> 8) as usize % TRIPS.len()];
                (t.0, t.1, t.2)
            } else {
                (
                    home.0,
                    home.1,
                    if mobile && r % 3 == 0 { home.3 } else { home.2 },
                )
            };
            o.country = Some(country.into());
            o.city = Some(city.into());
            o.asn = Some(asn);
            let office = r % 2 == 0 && !trip;
            o.ip = Some(if office {
                std::net::IpAddr::from([203, 0, (i % 16) as u8, 10])
            } else {
                std::net::IpAddr::from([
                    100 + (asn % 100) as u8,
                    (i >> 8) as u8,
                    (i & 0xff) as u8,
                    (r >> 16) as u8,
                ])
            });
            o.device_id = Some(format!("dev-{i}-{}", (r >> 20) % devices));
            o.user_agent = Some(UAS[(ua0 + ((r >> 24) % 4 == 0) as usize) % UAS.len()].into());
            if let Activity::SignIn(si) = &mut e.activity {
                si.app = Some(APPS[(r >> 28) as usize % 3 + (i % 3)].into());
            }
            let day = (s * 30 / per) as i64;
            let hour = 7 + ((r >> 32) % 11) as i64;
            e.time = Timestamp::from_millis_unchecked(t0 + day * 86_400_000 + hour * 3_600_000);
            store.learn(&e);
        }
    }
    store
}

fn rss_bytes() -> usize {
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<usize>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn identities() -> usize {
    std::env::var("IDENTITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn bench(c: &mut Criterion) {
    let n = identities();
    let per = 25;
    let rss0 = rss_bytes();
    let start = Instant::now();
    let store = populate(n, per);
    let took = start.elapsed();
    let rss1 = rss_bytes();
    let state = store.state_bytes();
    println!(
        "baseline: {n} identities x {per} sign-ins learned in {:.2?} ({:.0} sign-ins/s)",
        took,
        (n * per) as f64 / took.as_secs_f64()
    );
    println!(
        "baseline: state_bytes {:.1} MiB = {} bytes/identity; RSS growth {} bytes/identity",
        state as f64 / 1_048_576.0,
        state / n,
        rss1.saturating_sub(rss0) / n
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.snap");
    let plain = dir.path().join("plain.bin");
    let bytes = store.snapshot().unwrap();
    println!(
        "baseline: snapshot {:.1} MiB ({} bytes/identity)",
        bytes.len() as f64 / 1_048_576.0,
        bytes.len() / n
    );
    let filler = vec![0x5au8; bytes.len()];
    let t = Instant::now();
    black_box(store.snapshot().unwrap().len());
    let enc = t.elapsed();
    let t = Instant::now();
    let mut copy = BaselineStore::default();
    copy.restore(&bytes).unwrap();
    let dec = t.elapsed();
    drop(copy);
    println!("baseline: snapshot() alone {enc:.2?}, restore() alone {dec:.2?} (in memory, no I/O)");
    // What no restore that builds its state on the heap avoids: the kernel handing out (and
    // zeroing) fresh pages for that state, here as one buffer of `state_bytes` written once.
    let t = Instant::now();
    let fresh = black_box(vec![1u8; state]);
    let took = t.elapsed();
    drop(fresh);
    println!(
        "baseline: fresh memory for the restored state alone ({:.1} MiB, allocated and written once) {took:.2?}",
        state as f64 / 1_048_576.0
    );

    let write_sync = |p: &std::path::Path, b: &[u8]| {
        let mut f = fs::File::create(p).unwrap();
        f.write_all(b).unwrap();
        f.sync_all().unwrap();
    };

    let mut g = c.benchmark_group("baseline_1m");
    g.sample_size(10)
        .measurement_time(StdDuration::from_secs(20))
        .warm_up_time(StdDuration::from_secs(1));
    g.bench_function("snapshot_to file + fsync (streamed)", |b| {
        b.iter(|| {
            let mut f = fs::File::create(&path).unwrap();
            store.snapshot_to(&mut f).unwrap();
            f.sync_all().unwrap();
        })
    });
    g.bench_function("snapshot + write + fsync (in memory first)", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            write_sync(&path, &s);
        })
    });
    g.bench_function("plain write+fsync (same bytes)", |b| {
        b.iter(|| write_sync(&plain, &filler))
    });
    write_sync(&path, &bytes);
    write_sync(&plain, &filler);
    // Each returns what it built, so that freeing it (which a restoring process never has to
    // do) is not timed in any.
    g.bench_function("restore_from file (streamed)", |b| {
        b.iter_with_large_drop(|| {
            let mut s = BaselineStore::default();
            s.restore_from(fs::File::open(&path).unwrap()).unwrap();
            s
        })
    });
    g.bench_function("read + restore (in memory first)", |b| {
        b.iter_with_large_drop(|| {
            let data = fs::read(&path).unwrap();
            let mut s = BaselineStore::default();
            s.restore(&data).unwrap();
            s
        })
    });
    g.bench_function("plain read (same bytes)", |b| {
        b.iter_with_large_drop(|| fs::read(&plain).unwrap())
    });
    // The floor of any restore into heap-built state: the read, plus fresh memory for what
    // the restored store holds.
    g.bench_function("plain read + fresh memory for the state", |b| {
        b.iter_with_large_drop(|| (fs::read(&plain).unwrap(), vec![1u8; state]))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
