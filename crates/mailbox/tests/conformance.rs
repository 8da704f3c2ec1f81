//! The testkit's conformance suite, run against `mailbox_rules`: must fire on the reference case
//! and on forwarding to an external address, must stay quiet on ordinary rule writers, and pass
//! determinism, evidence-order, idempotent-advance, snapshot/restore, odd-event and revision
//! checks.

#![allow(clippy::unwrap_used)]

use palisade_core::Severity;
use palisade_mailbox::{MailboxRules, MailboxRulesConfig};
use palisade_testkit::{generate, Archetype, AttackKind, Conformance, PopulationConfig};

#[test]
fn mailbox_rules_conforms() {
    let attacked = generate(
        &PopulationConfig::small(3),
        &[AttackKind::ReferenceCase, AttackKind::ForwardToExternal],
    );
    let quiet = generate(
        &PopulationConfig {
            inbox_rules_share: 0.3,
            ..PopulationConfig::small(4)
        },
        &[],
    );
    let rule_writer = quiet
        .benign(Archetype::InboxRules)
        .next()
        .unwrap()
        .identity
        .clone();

    let mut suite = Conformance::new(MailboxRules::default);
    for label in &attacked.labels {
        suite = suite.must_fire(&attacked, label.primary.clone(), Severity::High);
    }
    suite
        .must_stay_quiet(&quiet, rule_writer, Severity::Medium)
        .run();
}

#[test]
fn conforms_with_configured_domains_and_a_small_table() {
    let attacked = generate(&PopulationConfig::small(8), &[AttackKind::ReferenceCase]);
    let victim = attacked.labels[0].primary.clone();
    let make = || {
        MailboxRules::new(MailboxRulesConfig {
            org_domains: vec!["contoso.com.au".into()],
            max_learned_domains: 2,
            ..MailboxRulesConfig::default()
        })
        .unwrap()
    };
    let quiet = generate(
        &PopulationConfig {
            inbox_rules_share: 0.3,
            ..PopulationConfig::small(9)
        },
        &[],
    );
    let rule_writer = quiet
        .benign(Archetype::InboxRules)
        .next()
        .unwrap()
        .identity
        .clone();
    Conformance::new(make)
        .must_fire(&attacked, victim, Severity::High)
        .must_stay_quiet(&quiet, rule_writer, Severity::Medium)
        .run();
}
