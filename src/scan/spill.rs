//! The events of a batch scan, held in memory up to a bound and past it sorted into runs on disk,
//! then merged back in batch order: a scan's memory does not grow with its input, and its output
//! is the same as if every event had been held.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use palisade_pipeline::batch_cmp;
use palisade_schema::Event;

/// A sorted run written to a temporary file, removed when dropped.
struct Run {
    path: PathBuf,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Events waiting for a batch: in memory up to `limit` bytes, the rest in sorted runs on disk.
pub(super) struct Held {
    events: Vec<Event>,
    bytes: usize,
    limit: usize,
    dir: PathBuf,
    runs: Vec<Run>,
    count: u64,
}

impl Held {
    /// Holds up to `limit` bytes of events in memory; runs go to `dir`.
    pub(super) fn new(limit: usize, dir: PathBuf) -> Self {
        Held {
            events: Vec::new(),
            bytes: 0,
            limit,
            dir,
            runs: Vec::new(),
            count: 0,
        }
    }

    /// How many events are held, in memory and on disk.
    pub(super) fn len(&self) -> u64 {
        self.count
    }

    pub(super) fn push(&mut self, event: Event) -> io::Result<()> {
        self.bytes += std::mem::size_of::<Event>() + event.heap_bytes();
        self.events.push(event);
        self.count += 1;
        if self.bytes > self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts what is in memory and writes it out as a run.
    fn spill(&mut self) -> io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        self.events.sort_by(batch_cmp);
        let name = format!(
            "palisade-scan-{}-{}.jsonl",
            std::process::id(),
            NEXT.fetch_add(1, AtomicOrdering::Relaxed)
        );
        let run = Run {
            path: self.dir.join(name),
        };
        let mut w = BufWriter::new(File::create(&run.path)?);
        for e in self.events.drain(..) {
            serde_json::to_writer(&mut w, &e)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        self.runs.push(run);
        self.bytes = 0;
        Ok(())
    }

    /// Every event in batch order: the runs and what is still in memory, merged. A run that
    /// cannot be read back ends the stream; the error is left in `failed`.
    pub(super) fn into_sorted<'a>(
        mut self,
        failed: &'a mut Option<io::Error>,
    ) -> io::Result<Box<dyn Iterator<Item = Event> + 'a>> {
        self.events.sort_by(batch_cmp);
        if self.runs.is_empty() {
            return Ok(Box::new(std::mem::take(&mut self.events).into_iter()));
        }
        let mut sources: Vec<Source> = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            sources.push(Source::File(BufReader::new(File::open(&run.path)?)));
        }
        sources.push(Source::Memory(std::mem::take(&mut self.events).into_iter()));
        Ok(Box::new(Merge {
            heap: BinaryHeap::new(),
            sources,
            started: false,
            failed,
            _runs: std::mem::take(&mut self.runs),
        }))
    }
}

/// Where a merge reads one sorted run from.
enum Source {
    File(BufReader<File>),
    Memory(std::vec::IntoIter<Event>),
}

impl Source {
    fn next(&mut self) -> io::Result<Option<Event>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::File(r) => {
                let mut line = String::new();
                if r.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                Ok(Some(serde_json::from_str(&line)?))
            }
        }
    }
}

/// The next event of one run, ordered for a min-heap; equal events come from the earlier run
/// first (they are the same record, so either would do, but the merge stays deterministic).
struct Head {
    event: Event,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        batch_cmp(&other.event, &self.event).then_with(|| other.run.cmp(&self.run))
    }
}

struct Merge<'a> {
    heap: BinaryHeap<Head>,
    sources: Vec<Source>,
    started: bool,
    failed: &'a mut Option<io::Error>,
    /// Kept until the merge is done, so the files stay until read.
    _runs: Vec<Run>,
}

impl Merge<'_> {
    fn refill(&mut self, run: usize) {
        if self.failed.is_some() {
            return;
        }
        let Some(source) = self.sources.get_mut(run) else {
            return;
        };
        match source.next() {
            Ok(Some(event)) => self.heap.push(Head { event, run }),
            Ok(None) => {}
            Err(e) => *self.failed = Some(e),
        }
    }
}

impl Iterator for Merge<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if !self.started {
            self.started = true;
            for run in 0..self.sources.len() {
                self.refill(run);
            }
        }
        if self.failed.is_some() {
            return None;
        }
        let Head { event, run } = self.heap.pop()?;
        self.refill(run);
        Some(event)
    }
}

/// The directory runs go to by default: the system's temporary directory.
pub(super) fn default_dir() -> PathBuf {
    std::env::temp_dir()
}
