//! `palisade`: scan exported identity and SaaS logs for account takeover.
//!
//! Exit codes: 0 a normal run (with or without findings or bad records), 2 usage error or bad
//! configuration, 3 an input that cannot be read, 4 `--strict` stopped at a bad record,
//! 5 output that cannot be written.

mod cli;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use palisade::scan::{self, IdentityJoin, Input, Progress, ScanError, ScanOptions, ScanReport};
use palisade::schema::IdentityKey;

use cli::config::Config;

/// Catch account takeover after the password, and even MFA, have been beaten.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan log files (Okta, Entra, Microsoft 365, Google Workspace, Duo, CloudTrail, OCSF;
    /// JSON Lines, JSON arrays, `.gz`) and write findings, incidents, decisions and a summary as
    /// JSON Lines.
    Scan(ScanArgs),
    /// Scan the built-in demo data: the reference account-takeover story.
    Demo(OutputArgs),
    /// Print every configuration setting with its default, as TOML.
    Defaults,
}

#[derive(Debug, clap::Args)]
struct ScanArgs {
    /// Log files to read, in any order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Read every file with this adapter instead of detecting the format
    /// (okta, entra, m365, google_workspace, duo, cloudtrail, ocsf).
    #[arg(long, value_name = "NAME")]
    source: Option<String>,
    /// Stop at the first malformed record (exit code 4) instead of counting and skipping it.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Write JSON Lines here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Settings file (TOML); `palisade defaults` prints every setting.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write every revision of findings and incidents as it happens, not only the latest.
    #[arg(long)]
    updates: bool,
    /// No progress or human summary on standard error.
    #[arg(long, short)]
    quiet: bool,
}

const EXIT_USAGE: u8 = 2;
const EXIT_INPUT: u8 = 3;
const EXIT_STRICT: u8 = 4;
const EXIT_OUTPUT: u8 = 5;

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Defaults => {
            match io::stdout()
                .lock()
                .write_all(Config::defaults_toml().as_bytes())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(EXIT_OUTPUT, &e),
            }
        }
        Command::Scan(scan_args) => {
            let inputs = scan_args
                .files
                .iter()
                .cloned()
                .map(Input::Path)
                .collect::<Vec<_>>();
            run(
                &inputs,
                scan_args.source,
                scan_args.strict,
                &scan_args.output,
            )
        }
        Command::Demo(output) => run(&cli::demo::inputs(), None, false, &output),
    }
}

fn run(inputs: &[Input], source: Option<String>, strict: bool, out: &OutputArgs) -> ExitCode {
    let config = match &out.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => return fail(EXIT_USAGE, &e),
        },
        None => Config::default(),
    };
    let mut pipeline = match cli::detectors::pipeline(&config, &mut io::stderr().lock()) {
        Ok(p) => p,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let options = ScanOptions {
        source,
        strict,
        max_record_bytes: config.ingest.max_record_bytes,
        bad_record_examples: config.ingest.bad_record_examples,
        identities: identity_join(&config),
        hold_bytes: config.ingest.hold_mb.max(1).saturating_mul(1 << 20),
        spill_dir: config.ingest.spill_dir.clone(),
    };
    let bar = progress_bar(out.quiet);
    let mut on_progress = |p: Progress<'_>| match p {
        Progress::Reading(path) => bar.set_message(format!("reading {}", path.display())),
        Progress::Detecting(n) => bar.set_message(format!("detecting over {n} events")),
    };
    let report = match scan::scan(inputs, &mut pipeline, &options, &mut on_progress) {
        Ok(r) => r,
        Err(e) => {
            bar.finish_and_clear();
            let code = match e {
                ScanError::Strict(_) => EXIT_STRICT,
                ScanError::Write(_) | ScanError::Spill(_) => EXIT_OUTPUT,
                ScanError::Pipeline(_) => EXIT_USAGE,
                _ => EXIT_INPUT,
            };
            return fail(code, &e);
        }
    };
    bar.finish_and_clear();
    if let Err(e) = write_output(&report, out) {
        return fail(EXIT_OUTPUT, &e);
    }
    if !out.quiet {
        cli::human::summarize(&report, &mut io::stderr().lock());
    }
    ExitCode::SUCCESS
}

fn identity_join(config: &Config) -> IdentityJoin {
    IdentityJoin {
        aliases: config
            .organisation
            .aliases
            .iter()
            .map(|(from, to)| (IdentityKey::new(from), IdentityKey::new(to)))
            .collect(),
        default_domain: config
            .organisation
            .domains
            .first()
            .map(|d| d.trim().to_lowercase()),
        domain_sources: config.organisation.bare_username_sources.clone(),
    }
}

fn write_output(report: &ScanReport, out: &OutputArgs) -> io::Result<()> {
    match &out.output {
        Some(path) => {
            let mut w = BufWriter::new(File::create(path)?);
            scan::write_jsonl(report, out.updates, &mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        }
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            scan::write_jsonl(report, out.updates, &mut w)?;
            w.flush()
        }
    }
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn fail(code: u8, error: &dyn std::error::Error) -> ExitCode {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "palisade: {error}");
    let mut source = error.source();
    while let Some(s) = source {
        let _ = writeln!(err, "  caused by: {s}");
        source = s.source();
    }
    ExitCode::from(code)
}
