//! Detector throughput (events/s) through `mailbox_rules`: a tenant-like mix where most events are
//! sign-ins (only domain learning) and one in ten is an inbox rule or forwarding change.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use palisade_core::{Context, Detector};
use palisade_mailbox::MailboxRules;
use palisade_schema::*;

fn events(n: u64) -> Vec<Event> {
    let base = Timestamp::from_millis_unchecked(1_709_546_400_000);
    (0..n)
        .map(|i| {
            let who = format!("user{}@contoso.com", i % 5_000);
            let activity = match i % 40 {
                0 => Activity::MailboxRule(MailboxRule {
                    name: Some(".".into()),
                    conditions: RuleConditions {
                        from: vec![format!("user{}@contoso.com", (i + 1) % 5_000)],
                        ..Default::default()
                    },
                    actions: vec![
                        RuleAction::MarkAsRead,
                        RuleAction::MoveToFolder("RSS Feeds".into()),
                    ],
                    ..Default::default()
                }),
                1 => Activity::MailboxRule(MailboxRule {
                    name: Some("Newsletters".into()),
                    conditions: RuleConditions {
                        from: vec!["news@shop.example".into()],
                        subject_contains: vec!["Weekly digest".into()],
                        ..Default::default()
                    },
                    actions: vec![RuleAction::MoveToFolder("Newsletters".into())],
                    ..Default::default()
                }),
                2 => Activity::MailboxRule(MailboxRule {
                    name: Some("Sync\u{200B}".into()),
                    actions: vec![
                        RuleAction::ForwardTo("eve@evil.example".into()),
                        RuleAction::Delete,
                    ],
                    ..Default::default()
                }),
                3 => Activity::MailboxForwarding(MailboxForwarding {
                    forward_to: Some("assistant@contoso.com".into()),
                    keep_copy: Some(true),
                    ..Default::default()
                }),
                _ => Activity::SignIn(SignIn::success(SignInStage::Primary)),
            };
            Event::new(
                base + Duration::from_secs(i as i64),
                format!("e{i}"),
                Source::M365,
                activity,
            )
            .with_actor(Identity::new(&who))
        })
        .collect()
}

fn throughput(c: &mut Criterion) {
    let events = events(20_000);
    let mut group = c.benchmark_group("mailbox_rules");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("observe_mixed_20k", |b| {
        b.iter(|| {
            let mut d = MailboxRules::default();
            let mut out = Vec::new();
            for e in &events {
                d.observe(black_box(e), &Context::empty(), &mut out);
            }
            black_box(out.len())
        })
    });
    let sign_ins: Vec<Event> = events
        .iter()
        .filter(|e| matches!(e.activity, Activity::SignIn(_)))
        .cloned()
        .collect();
    group.throughput(Throughput::Elements(sign_ins.len() as u64));
    group.bench_function("observe_sign_ins_only", |b| {
        b.iter(|| {
            let mut d = MailboxRules::default();
            let mut out = Vec::new();
            for e in &sign_ins {
                d.observe(black_box(e), &Context::empty(), &mut out);
            }
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
