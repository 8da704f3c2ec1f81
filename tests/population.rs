//! The whole detector set as an analyst runs it: generated tenants (benign people and attack
//! stories together) exported as an identity provider's and a mail service's log files, scanned
//! by the `palisade` binary with one configuration file, and its findings scored against the
//! stories. Every story is found at medium or above and no one else is raised to medium, over
//! many seeds (`PALISADE_SEEDS` sweeps more), with four identity providers' shapes beside the
//! Microsoft 365 audit log, and that log alone.
//!
//! This is where detectors meet each other: a finding one of them reports low (a VPN user's
//! hop to the corporate egress) reaches the others through the pipeline's recent findings, and
//! must not make an ordinary mail rule look like an intruder's.
//!
//! The configuration is what an administrator would write: the organisation's domain, its
//! corporate egress and its people's mobile carriers as an egress list file, and a city
//! database for the sources that log addresses only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../crates/geo/tests/support/mmdb_writer.rs"]
mod mmdb_writer;
#[path = "support/run_scan.rs"]
mod run_scan;

use std::fmt::Write as _;
use std::path::Path;

use palisade::core::{Finding, Severity};
use palisade::schema::{Activity, RiskLevel, SignInStage, Source};
use palisade_testkit::population::places::{city, CITIES, HOMES};
use palisade_testkit::shapes::export;
use palisade_testkit::{generate, Archetype, AttackKind, PopulationConfig, Scenario, Score};
use run_scan::run_scan;
use serde_json::Value;

/// Ten seeds a shape by default; `PALISADE_SEEDS=0..2000` sweeps more.
fn seeds() -> std::ops::Range<u64> {
    palisade_testkit::seeds(0..10)
}

const STORIES: [AttackKind; 5] = [
    AttackKind::ReferenceCase,
    AttackKind::ImpossibleTravel,
    AttackKind::PasswordSpray,
    AttackKind::PushBombing,
    AttackKind::ForwardToExternal,
];

fn population(seed: u64, idp: Source) -> Scenario {
    let cfg = PopulationConfig {
        users: 60,
        idp,
        mail: Source::M365,
        // More rules than usual, so rules made after an ordinary low finding occur every seed.
        inbox_rules_share: 0.15,
        vpn_share: 0.12,
        ..PopulationConfig::new(seed)
    };
    generate(&cfg, &STORIES)
}

/// The egress list file: the tenant's corporate egress, and its people's mobile carriers.
fn egress_lists(s: &Scenario) -> String {
    let mut text =
        String::from("[tenant-carriers]\nkind = mobile\nsource = tenant configuration\n");
    for (home, _) in HOMES {
        let isp = CITIES[city(home)].carrier;
        let _ = writeln!(text, "{}.{}.0.0/16", isp.v4.0, isp.v4.1);
        if let Some((a, b)) = isp.v6 {
            let _ = writeln!(text, "{a:x}:{b:x}::/32");
        }
    }
    for e in &s.egress {
        let _ = write!(
            text,
            "[{}]\nkind = corporate\nsource = tenant configuration\n{}\n",
            e.name, e.cidr
        );
    }
    text
}

/// The scenario exported, configured and scanned; the findings the binary wrote.
fn scan(s: &Scenario, idp: Source, dir: &Path) -> Vec<Finding> {
    let exported = export(s, idp, Source::M365);
    let mut args = vec!["scan".to_owned()];
    for (name, text) in &exported.files {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        args.push(path.display().to_string());
    }
    let lists = dir.join("egress.txt");
    std::fs::write(&lists, egress_lists(s)).unwrap();
    let db = dir.join("city.mmdb");
    std::fs::write(&db, mmdb_writer::city_db_of(&s.events)).unwrap();
    let config = dir.join("palisade.toml");
    let toml = format!(
        "[organisation]\ndomains = [\"contoso.com.au\"]\n\n[geo]\nmmdb = [{db:?}]\n\n\
         [detectors.impossible_travel]\negress_lists = [{lists:?}]\n",
        lists = lists.display().to_string(),
        db = db.display().to_string(),
    );
    std::fs::write(&config, toml).unwrap();
    let output = dir.join("findings.jsonl");
    args.extend([
        "--config".to_owned(),
        config.display().to_string(),
        "--output".to_owned(),
        output.display().to_string(),
    ]);
    let text = run_scan(&args, &output);
    let mut findings = Vec::new();
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        match record["type"].as_str() {
            Some("finding") => findings.push(finding_of(record)),
            Some("summary") => {
                assert_eq!(record["bad_records"]["count"], 0, "{line}");
            }
            _ => {}
        }
    }
    findings
}

/// A finding as the scan output writes it (evidence ids and their total side by side) read back
/// into the core type.
fn finding_of(mut record: Value) -> Finding {
    let ids = record["evidence"].take();
    let total = record["evidence_total"].take();
    record["evidence"] = serde_json::json!({ "event_ids": ids, "total": total });
    serde_json::from_value(record).unwrap()
}

fn stories_found_and_no_one_else_raised(idp: Source) {
    let dir = tempfile::tempdir().unwrap();
    for seed in seeds() {
        let s = population(seed, idp);
        for archetype in [Archetype::VpnUser, Archetype::InboxRules] {
            assert!(
                s.benign(archetype).next().is_some(),
                "{archetype:?} missing"
            );
        }
        let findings = scan(&s, idp, dir.path());
        let score = Score::of(&s, &STORIES, &findings, Severity::Medium);
        assert!(
            score.false_negatives.is_empty()
                && score
                    .false_positives_at_or_above(Severity::Medium)
                    .is_empty(),
            "seed {seed} ({idp}):\n{}",
            score.report(Severity::Medium)
        );
    }
}

#[test]
fn okta_and_microsoft_365() {
    stories_found_and_no_one_else_raised(Source::Okta);
}

#[test]
fn entra_and_microsoft_365() {
    stories_found_and_no_one_else_raised(Source::Entra);
}

#[test]
fn google_workspace_and_microsoft_365() {
    stories_found_and_no_one_else_raised(Source::GoogleWorkspace);
}

#[test]
fn ocsf_and_microsoft_365() {
    stories_found_and_no_one_else_raised(Source::Ocsf);
}

/// A tenant whose only log is Microsoft 365's audit log: sign-ins are `UserLoggedIn` and
/// `UserLoginFailed` records with a bare `ClientIP`, located through the city database.
#[test]
fn microsoft_365_alone() {
    stories_found_and_no_one_else_raised(Source::M365);
}

/// Where the identity provider gives its own verdict, the intruder's sign-ins it flags are
/// raised by it: Google marks the reference case's logins suspicious, Entra rates them medium
/// risk, and each such sign-in's `unfamiliar_signin` finding is medium or above and says who
/// judged what. (In Google Workspace nothing else names the client, so without the mark a
/// first login from another continent reads as a traveller's, low.) No one else is raised.
#[test]
fn vendor_verdicts_raise_the_sign_ins_they_flag() {
    let dir = tempfile::tempdir().unwrap();
    for idp in [Source::GoogleWorkspace, Source::Entra] {
        for seed in palisade_testkit::seeds(0..4) {
            let mut s = population(seed, idp);
            let flagged: std::collections::BTreeSet<String> = s
                .labels
                .iter()
                .filter(|l| l.kind == AttackKind::ReferenceCase)
                .flat_map(|l| l.evidence.iter().cloned())
                .collect();
            let mut marked = Vec::new();
            for e in &mut s.events {
                // Google's login audit has no record of a single sign-on into another app.
                let unwritten = idp == Source::GoogleWorkspace
                    && matches!(&e.activity, Activity::SignIn(s) if s.stage == SignInStage::Sso);
                if flagged.contains(&e.id) && e.activity.is_successful_sign_in() && !unwritten {
                    let v = &mut e.vendor_signals;
                    match idp {
                        Source::GoogleWorkspace => v.reasons.push("is_suspicious".into()),
                        _ => {
                            v.risk_level = Some(RiskLevel::Medium);
                            v.risk_event_types = vec!["unfamiliarFeatures".into()];
                        }
                    }
                    // Google's record ids are its own: a sign-in is known by who and when.
                    let password_stage = matches!(
                        &e.activity,
                        Activity::SignIn(s) if s.stage == SignInStage::Primary
                    );
                    marked.push((e.identity().cloned(), e.time, password_stage));
                }
            }
            assert!(!marked.is_empty(), "seed {seed}: nothing to flag");
            let findings = scan(&s, idp, dir.path());
            let verdict = match idp {
                Source::GoogleWorkspace => "Google marks the login suspicious",
                _ => "Entra rates the sign-in medium risk (unfamiliarFeatures)",
            };
            let mut raised = 0;
            for (who, at, password_stage) in &marked {
                let f = findings.iter().find(|f| {
                    f.detector == "unfamiliar_signin"
                        && f.identity == *who
                        && (f.first_seen..=f.last_seen).contains(at)
                });
                // A password stage is judged with its flow's MFA step, where the finding
                // opens (and a flow whose step failed is failed_then_success's to tell).
                let Some(f) = f else {
                    assert!(
                        *password_stage,
                        "seed {seed} ({idp}): no finding covers the flagged sign-in of {who:?} at {at}"
                    );
                    continue;
                };
                assert!(
                    f.severity >= Severity::Medium && f.summary.contains(verdict),
                    "seed {seed} ({idp}): {} {}",
                    f.severity,
                    f.summary
                );
                raised += 1;
            }
            assert!(raised > 0, "seed {seed} ({idp}): no flagged sign-in found");
            let score = Score::of(&s, &STORIES, &findings, Severity::Medium);
            assert!(
                score
                    .false_positives_at_or_above(Severity::Medium)
                    .is_empty(),
                "seed {seed} ({idp}):\n{}",
                score.report(Severity::Medium)
            );
        }
    }
}
