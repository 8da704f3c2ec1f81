//! Writers that render scenario events in vendor shapes as JSON Lines text, so the same
//! generated population can be fed through every ingest adapter.
//!
//! Each vendor is one sibling file implementing [`Shape`]; `ocsf` is the first. A writer returns
//! `false` for an event its vendor has no way to express (OCSF Authentication has no inbox
//! rules), and [`render`] counts those as skipped.
//!
//! ```
//! use palisade_testkit::{generate, AttackKind, PopulationConfig};
//! use palisade_testkit::shapes::{render, Ocsf};
//! let s = generate(&PopulationConfig { users: 5, days: 3, ..PopulationConfig::small(1) }, &[]);
//! let out = render(&Ocsf, &s.events);
//! assert_eq!(out.text.lines().count(), out.written);
//! assert!(out.written > 0);
//! ```

mod ocsf;

pub use ocsf::{Ocsf, OCSF_VERSION};

use palisade_schema::Event;

/// One vendor's log shape.
pub trait Shape {
    /// The vendor shape's name, e.g. `"ocsf"`.
    fn name(&self) -> &'static str;
    /// Appends `event` as one JSON object and a newline to `out`; returns `false` (writing
    /// nothing) when the vendor has no way to express the event.
    fn write(&self, event: &Event, out: &mut String) -> bool;
}

/// What [`render`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// JSON Lines text, one record per written event, in event order.
    pub text: String,
    /// How many events were written.
    pub written: usize,
    /// Ids of the events the shape cannot express.
    pub skipped: Vec<String>,
}

/// Renders `events` in `shape` as JSON Lines.
pub fn render(shape: &dyn Shape, events: &[Event]) -> Rendered {
    let mut r = Rendered::default();
    for e in events {
        if shape.write(e, &mut r.text) {
            r.written += 1;
        } else {
            r.skipped.push(e.id.clone());
        }
    }
    r
}
