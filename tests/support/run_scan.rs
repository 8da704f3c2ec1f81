//! Runs the `palisade` binary as an analyst would, for the end-to-end tests that read its
//! findings back.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// Runs `palisade` with `args`, which must succeed, and returns what it wrote to `output`.
pub(crate) fn run_scan<I, S>(args: I, output: &Path) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let run = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .output()
        .expect("the palisade binary runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read_to_string(output).expect("the scan wrote its output file")
}
