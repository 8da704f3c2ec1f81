//! Throughput of the MFA fatigue detector on 10M normalized MFA events over 1M identities,
//! against a bare `HashMap<u64, u64>` increment pass over the same events, plus bytes per
//! tracked identity.
//!
//! A normalized `Event` is about 900 bytes, so 10M of them at once would not fit beside
//! everything else on a small machine. The stream is therefore 20 chunks of 500k events: one
//! template chunk (sign-ins whose push is sent then approved, denied, timed out, and now and
//! then a push-bombing burst) is rewritten in place before each chunk with new identities
//! (drawn from 1M), ids, correlation ids and times. Only the passes over the events are timed,
//! never the rewriting.
// A bench reports what it measured.
#![allow(clippy::print_stderr, clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration as StdDuration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use palisade_core::{stable_hash, Context, Detector};
use palisade_mfa_fatigue::MfaFatigue;
use palisade_schema::*;

const EVENTS: usize = 10_000_000;
const IDENTITIES: u64 = 1_000_000;
const CHUNK: usize = 500_000;
/// 2024-01-01T00:00:00Z; the 10M events span one day.
const START: i64 = 1_704_067_200_000;
const CHUNK_SPAN_MS: i64 = 86_400_000 / (EVENTS / CHUNK) as i64;

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

/// One chunk of events, and for each event its sign-in session and time within the chunk.
struct Stream {
    events: Vec<Event>,
    session: Vec<u32>,
    offset: Vec<i64>,
    sessions: usize,
    buf: String,
}

impl Stream {
    fn new() -> Self {
        let mut rng = Rng(7);
        let mut rows: Vec<(i64, u32, PromptResult)> = Vec::with_capacity(CHUNK + 16);
        let step = CHUNK_SPAN_MS / CHUNK as i64;
        let mut s = 0u32;
        while rows.len() < CHUNK {
            let t = rows.len() as i64 * step;
            match rng.next() % 1000 {
                0..=899 => {
                    rows.push((t, s, PromptResult::Sent));
                    rows.push((t + 4_000, s, PromptResult::Approved));
                }
                900..=969 => {
                    rows.push((t, s, PromptResult::Sent));
                    rows.push((t + 6_000, s, PromptResult::Denied));
                }
                970..=997 => rows.push((t, s, PromptResult::TimedOut)),
                _ => {
                    for n in 0..8 {
                        rows.push((t + n * 500, s, PromptResult::Denied));
                    }
                }
            }
            s += 1;
        }
        rows.truncate(CHUNK);
        rows.sort_by_key(|r| r.0);
        let ip: std::net::IpAddr = "198.51.100.20".parse().unwrap();
        let events = rows
            .iter()
            .map(|&(_, _, r)| {
                let mut e = Event::new(
                    Timestamp::from_millis_unchecked(START),
                    String::with_capacity(16),
                    Source::Okta,
                    Activity::MfaPrompt(MfaPrompt {
                        factor: Factor::Push,
                        result: r,
                    }),
                );
                e.origin.ip = Some(ip);
                e.correlation_id = Some(String::with_capacity(16));
                e
            })
            .collect();
        Stream {
            events,
            session: rows.iter().map(|r| r.1).collect(),
            offset: rows.iter().map(|r| r.0).collect(),
            sessions: s as usize,
            buf: String::new(),
        }
    }

    /// Rewrites the template as chunk `k` of the stream (untimed).
    fn chunk(&mut self, k: usize) -> &[Event] {
        let mut rng = Rng(k as u64 + 1);
        let users: Vec<u64> = (0..self.sessions)
            .map(|_| rng.next() % IDENTITIES)
            .collect();
        let base = START + k as i64 * CHUNK_SPAN_MS;
        for (i, e) in self.events.iter_mut().enumerate() {
            let session = self.session[i] as usize;
            e.time = Timestamp::from_millis_unchecked(base + self.offset[i]);
            self.buf.clear();
            let _ = write!(self.buf, "user{}@corp.example", users[session]);
            e.actor = Some(Identity::new(&self.buf));
            e.id.clear();
            let _ = write!(e.id, "{k}-{i}");
            if let Some(c) = e.correlation_id.as_mut() {
                c.clear();
                let _ = write!(c, "{k}-{session}");
            }
        }
        &self.events
    }
}

/// What the detector said: how many findings (revisions) and a digest of all of them, so that a
/// faster detector can be checked to say exactly the same.
/// With `MFA_BENCH_DUMP=<path>` every finding is also written there, one JSON line each.
#[derive(Default)]
struct Said {
    findings: u64,
    digest: u64,
    dump: Option<std::io::BufWriter<std::fs::File>>,
}

impl Said {
    fn new() -> Self {
        let dump = std::env::var_os("MFA_BENCH_DUMP")
            .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
        Said {
            dump,
            ..Said::default()
        }
    }

    fn add(&mut self, out: &[palisade_core::Finding]) {
        for f in out {
            self.findings += 1;
            let line = serde_json::to_string(f).unwrap();
            self.digest = self.digest.rotate_left(5) ^ stable_hash(&[&line]);
            if let Some(w) = self.dump.as_mut() {
                use std::io::Write as _;
                writeln!(w, "{line}").unwrap();
            }
        }
    }
}

fn detector_pass(stream: &mut Stream, mut said: Option<&mut Said>) -> (StdDuration, MfaFatigue) {
    let mut total = StdDuration::ZERO;
    let mut d = MfaFatigue::default();
    let mut out = Vec::new();
    for k in 0..EVENTS / CHUNK {
        let events = stream.chunk(k);
        let started = Instant::now();
        for (n, e) in events.iter().enumerate() {
            d.observe(e, &Context::empty(), &mut out);
            // The pipeline moves the watermark as events arrive (here every 1000 events).
            if n % 1000 == 999 {
                d.advance(e.time - Duration::from_secs(30), &mut out);
            }
            if let Some(s) = said.as_deref_mut() {
                s.add(&out);
            }
            out.clear();
        }
        total += started.elapsed();
    }
    (total, d)
}

fn baseline_pass(stream: &mut Stream) -> StdDuration {
    let mut total = StdDuration::ZERO;
    let mut counts: HashMap<u64, u64> = HashMap::new();
    for k in 0..EVENTS / CHUNK {
        let events = stream.chunk(k);
        let started = Instant::now();
        for e in events {
            let key = stable_hash(&[e.identity().map_or("", IdentityKey::as_str)]);
            *counts.entry(key).or_insert(0) += 1;
        }
        total += started.elapsed();
    }
    criterion::black_box(counts.len());
    total
}

/// This thread's user + system CPU time in clock ticks (Linux; 0 elsewhere).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let mut stream = Stream::new();
    // Bytes per tracked identity, at the end of the day (state of the last hour's identities)
    // and with every identity still held (no `advance`).
    let mut said = Said::new();
    let (_, d) = detector_pass(&mut stream, Some(&mut said));
    eprintln!(
        "findings (revisions) emitted: {}, digest {:016x}",
        said.findings, said.digest
    );
    let (b, n) = (d.state_bytes(), d.tracked_identities());
    eprintln!(
        "with advance: {b} bytes / {n} tracked identities = {} bytes per identity",
        b / n.max(1)
    );
    if std::env::var_os("MFA_BENCH_QUICK").is_some() {
        // Three alternating timed passes of each, best of three, for profiling and quick
        // comparisons on a shared machine (not a criterion run).
        let (mut base, mut det) = (StdDuration::MAX, StdDuration::MAX);
        let (mut base_cpu, mut det_cpu) = (u64::MAX, u64::MAX);
        for _ in 0..3 {
            // CPU ticks of the whole pass, rewriting included, so only comparable in sum.
            let c = cpu_ticks();
            base = base.min(baseline_pass(&mut stream));
            let c2 = cpu_ticks();
            det = det.min(detector_pass(&mut stream, None).0);
            let c3 = cpu_ticks();
            base_cpu = base_cpu.min(c2 - c);
            det_cpu = det_cpu.min(c3 - c2);
        }
        let c = cpu_ticks();
        for k in 0..EVENTS / CHUNK {
            criterion::black_box(stream.chunk(k).len());
        }
        let rewrite = cpu_ticks() - c;
        eprintln!(
            "quick: cpu ticks per pass less rewriting ({rewrite}): hashmap {}, detector {}, ratio {:.3}",
            base_cpu - rewrite,
            det_cpu - rewrite,
            (base_cpu - rewrite) as f64 / (det_cpu - rewrite) as f64
        );
        eprintln!(
            "quick: hashmap {:.3} s, detector {:.3} s, detector/hashmap throughput {:.3}",
            base.as_secs_f64(),
            det.as_secs_f64(),
            base.as_secs_f64() / det.as_secs_f64()
        );
        return;
    }
    let mut held = MfaFatigue::default();
    let mut out = Vec::new();
    for k in 0..EVENTS / CHUNK {
        for e in stream.chunk(k) {
            held.observe(e, &Context::empty(), &mut out);
            out.clear();
        }
    }
    let (b, n) = (held.state_bytes(), held.tracked_identities());
    eprintln!(
        "without advance: {b} bytes / {n} tracked identities = {} bytes per identity",
        b / n.max(1)
    );
    drop(held);

    let mut g = c.benchmark_group("mfa_fatigue_10M_events_1M_identities");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(StdDuration::from_millis(1));
    g.measurement_time(StdDuration::from_secs(1));
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("hashmap_u64_increment", |bch| {
        bch.iter_custom(|iters| (0..iters).map(|_| baseline_pass(&mut stream)).sum())
    });
    g.bench_function("detector", |bch| {
        bch.iter_custom(|iters| (0..iters).map(|_| detector_pass(&mut stream, None).0).sum())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
