//! Palisade's vendor adapters (work in progress: see the framework helper).

#![forbid(unsafe_code)]

mod adapter;
mod error;

pub use adapter::{Adapter, Notes, Parsed};
pub use error::{BadRecordReason, IngestError, Location};
