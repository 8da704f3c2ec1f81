//! Writes the reference story as a tenant would export it: Okta System Log and Microsoft 365
//! unified audit log, gzip-compressed JSON Lines under `<workspace>/demo/`.
//!
//! ```text
//! cargo run -p palisade-testkit --example demo_data -- /path/to/workspace
//! ```
//!
//! The population is small (8 people over 21 days, one fixed seed) with the reference case and a
//! push-bombing story, so the files stay small and the story is easy to follow.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use flate2::write::GzEncoder;
use flate2::Compression;
use palisade_schema::Source;
use palisade_testkit::shapes::export;
use palisade_testkit::{generate, AttackKind, PopulationConfig};

/// The seed of the demo story; changing it changes every demo file.
const SEED: u64 = 20_240_304;

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: demo_data <workspace root>");
        return ExitCode::from(2);
    };
    let config = PopulationConfig {
        users: 8,
        days: 21,
        idp: Source::Okta,
        mail: Source::M365,
        ..PopulationConfig::new(SEED)
    };
    let scenario = generate(
        &config,
        &[AttackKind::ReferenceCase, AttackKind::PushBombing],
    );
    let out = export(&scenario, config.idp, config.mail);
    let dir = root.join("demo");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for (name, text) in &out.files {
        let stem = name.trim_end_matches(".jsonl");
        let path = dir.join(format!("reference-case.{stem}.jsonl.gz"));
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        let bytes = gz
            .write_all(text.as_bytes())
            .and_then(|()| gz.finish())
            .and_then(|bytes| std::fs::write(&path, &bytes).map(|()| bytes.len()));
        match bytes {
            Ok(n) => println!(
                "{}: {} records, {n} bytes",
                path.display(),
                text.lines().count()
            ),
            Err(e) => {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    for label in &scenario.labels {
        println!(
            "{}: {} — {}",
            label.kind.as_str(),
            label.primary,
            label.summary
        );
    }
    println!(
        "{} events: {} written, {} carried by another record, {} not expressible",
        scenario.events.len(),
        out.written,
        out.carried.len(),
        out.skipped.len()
    );
    ExitCode::SUCCESS
}
