//! The short human summary written to standard error after a scan.

use std::io::Write;

use palisade::scan::ScanReport;

/// Writes a few lines an analyst reads at a glance; the JSON Lines on stdout carry everything.
pub(crate) fn summarize(report: &ScanReport, w: &mut dyn Write) {
    let s = &report.summary;
    let truncated = match s.truncated_files {
        0 => String::new(),
        1 => " (one file truncated)".to_owned(),
        n => format!(" ({n} files truncated)"),
    };
    let _ = writeln!(
        w,
        "palisade: {} files, {} records, {} events; {} bad records{truncated}, {} unsupported skipped",
        s.files,
        s.records_read,
        s.events_read,
        s.bad_records.count,
        s.skipped_unsupported.values().sum::<u64>()
    );
    for ex in &s.bad_records.first {
        let _ = writeln!(w, "  bad record {}:{}: {}", ex.file, ex.line, ex.reason);
    }
    let findings = report.latest_findings();
    let _ = writeln!(
        w,
        "palisade: {} findings, {} incidents, {} decisions",
        findings.len(),
        s.incidents,
        s.decisions
    );
    let mut worst: Vec<_> = findings.iter().collect();
    worst.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_seen.cmp(&b.first_seen))
    });
    for f in worst.iter().take(10) {
        let who = f.identity.as_ref().map_or("(many)", |k| k.as_str());
        let _ = writeln!(
            w,
            "  [{}] {} {}: {}",
            f.severity, f.detector, who, f.summary
        );
    }
}
