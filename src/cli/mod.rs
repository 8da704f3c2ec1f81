//! The command-line tool's parts: configuration, the detector set, demo data, the human summary.

pub(crate) mod config;
pub(crate) mod demo;
pub(crate) mod detectors;
pub(crate) mod human;
