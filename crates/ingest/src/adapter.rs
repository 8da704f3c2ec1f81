//! The [`Adapter`] trait: one vendor's record shape into normalized events.

use palisade_schema::{Event, Source};

use crate::BadRecordReason;

/// What became of one record that was not malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The record became zero or more events, pushed to the output buffer.
    Events,
    /// A record type no detector needs (counted in `skipped_unsupported`, never an error), named by
    /// the vendor's own event type, e.g. `user.lifecycle.create`.
    Unsupported(String),
}

/// Side counts an adapter keeps while parsing (what was repaired rather than rejected).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Notes {
    /// Coordinates out of range (or not numbers) dropped from otherwise good events.
    pub coords_dropped: u64,
}

/// One vendor's record shape.
///
/// Adapters are stateless and shared: `parse` takes `&self`. They never panic on any input;
/// malformed records are `Err` with a typed reason.
pub trait Adapter: Send + Sync {
    /// Which source its events carry.
    fn source(&self) -> Source;

    /// The name used with `--source` (the same as [`Source::as_str`]).
    fn name(&self) -> &'static str {
        self.source().as_str()
    }

    /// A cheap check (byte search, no full parse) that a raw JSON record is in this adapter's
    /// shape. Used for auto-detection per file and per line of mixed JSON Lines.
    fn sniff(&self, record: &[u8]) -> bool;

    /// Parses one JSON record, appending its events to `out`.
    fn parse(
        &self,
        record: &[u8],
        out: &mut Vec<Event>,
        notes: &mut Notes,
    ) -> Result<Parsed, BadRecordReason>;
}
