//! The events of a batch scan, held in memory up to a bound and past it sorted into runs on disk,
//! then merged back in batch order: a scan's memory does not grow with its input, and its output
//! is the same as if every event had been held.
//!
//! Runs are anonymous temporary files (unlinked when created, so nothing is left behind however
//! the process ends, and no name in a shared directory can be raced), and at most
//! [`MAX_RUNS`] are open at once: more are first merged into one.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

use palisade_pipeline::batch_cmp;
use palisade_schema::Event;

/// Runs open at once; when spilling one more would pass it, the runs are merged into one.
const MAX_RUNS: usize = 64;

/// A sorted run in an anonymous temporary file, one event a line.
struct Run(File);

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

    /// Writes what is in memory out as a sorted run (merging the runs into one first when
    /// there are already as many as may be open).
    fn spill(&mut self) -> io::Result<()> {
        if self.runs.len() + 1 >= MAX_RUNS {
            let runs = std::mem::take(&mut self.runs);
            let mut failed = None;
            let merged = merge(runs, Vec::new(), &mut failed)?;
            let run = self.write_run(merged)?;
            if let Some(e) = failed {
                return Err(e);
            }
            self.runs.push(run);
        }
        let events = std::mem::take(&mut self.events);
        let run = self.write_run(sorted(events))?;
        self.runs.push(run);
        self.bytes = 0;
        Ok(())
    }

    fn write_run(&self, events: impl Iterator<Item = Event>) -> io::Result<Run> {
        let mut w = BufWriter::new(tempfile::tempfile_in(&self.dir)?);
        for e in events {
            serde_json::to_writer(&mut w, &e)?;
            w.write_all(b"\n")?;
        }
        let mut file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Run(file))
    }

    /// Every event in batch order: the runs and what is still in memory, merged. A run that
    /// cannot be read back ends the stream; the error is left in `failed`.
    pub(super) fn into_sorted(
        mut self,
        failed: &mut Option<io::Error>,
    ) -> io::Result<Box<dyn Iterator<Item = Event> + '_>> {
        let events = std::mem::take(&mut self.events);
        if self.runs.is_empty() {
            return Ok(Box::new(sorted(events)));
        }
        Ok(Box::new(merge(
            std::mem::take(&mut self.runs),
            events,
            failed,
        )?))
    }
}

/// `events` in batch order, sorted by index so the events themselves move once.
fn sorted(events: Vec<Event>) -> impl Iterator<Item = Event> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|&a, &b| batch_cmp(&events[a], &events[b]));
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    order.into_iter().filter_map(move |i| slots[i].take())
}

/// The runs and `events` (any order) merged in batch order.
fn merge(
    runs: Vec<Run>,
    events: Vec<Event>,
    failed: &mut Option<io::Error>,
) -> io::Result<Merge<'_>> {
    let mut sources: Vec<Source> = Vec::with_capacity(runs.len() + 1);
    for Run(file) in runs {
        sources.push(Source::File(BufReader::new(file)));
    }
    if !events.is_empty() {
        sources.push(Source::Memory(Box::new(sorted(events))));
    }
    Ok(Merge {
        heap: BinaryHeap::new(),
        sources,
        started: false,
        failed,
    })
}

/// Where a merge reads one sorted run from.
enum Source {
    File(BufReader<File>),
    Memory(Box<dyn Iterator<Item = Event>>),
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
