//! Properties over arbitrary input: no Unicode text panics name normalization, folder matching
//! or address parsing; normalization is idempotent and leaves nothing invisible; the detector is
//! deterministic and never panics on any rule, and restoring arbitrary bytes is an error, not a
//! panic.

#![allow(clippy::unwrap_used)]

use palisade_core::{Context, Detector};
use palisade_mailbox::{
    address_domain, name_concealment, normalize_rule_name, HidingFolders, MailboxRules,
    DEFAULT_HIDING_FOLDERS,
};
use palisade_schema::*;
use proptest::prelude::*;

/// Text biased towards the characters that matter: dots, look-alikes, invisibles, spaces.
fn tricky_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '.',
        ',',
        '-',
        ' ',
        '\u{A0}',
        '\u{2024}',
        '\u{3002}',
        '\u{FF0E}',
        '\u{FE52}',
        '\u{200B}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{202E}',
        '\u{3000}',
        '\u{301}',
        '\u{3164}',
        '\u{FFA0}',
        '\u{E0041}',
        'a',
        'Z',
        '\u{430}',
        '\t',
        '\u{0}',
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(special, 0..12).prop_map(|v| v.into_iter().collect()),
    ]
}

fn is_invisible_or_space(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}')
        || (c.is_whitespace() && c != ' ')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn name_functions_never_panic_and_normalization_is_stable(raw in tricky_text()) {
        let n = normalize_rule_name(&raw);
        prop_assert_eq!(normalize_rule_name(&n), n.clone(), "idempotent");
        prop_assert!(!n.chars().any(is_invisible_or_space), "{:?}", n);
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        // The verdict reads the normalized name: a name that normalizes to nothing is empty.
        let verdict = name_concealment(&raw);
        if n.is_empty() {
            prop_assert_eq!(verdict, Some(palisade_mailbox::NameConcealment::Empty));
        }
        if n.chars().any(char::is_alphanumeric) && n.chars().count() > 1 {
            prop_assert!(!matches!(
                verdict,
                Some(palisade_mailbox::NameConcealment::Empty)
                    | Some(palisade_mailbox::NameConcealment::PunctuationOnly)
            ));
        }
    }

    #[test]
    fn folders_and_addresses_never_panic(raw in tricky_text(), at in any::<bool>()) {
        let folders = HidingFolders::new(DEFAULT_HIDING_FOLDERS);
        let _ = folders.matches(&raw);
        let addr = if at { format!("x@{raw}") } else { raw };
        if let Some(d) = address_domain(&addr) {
            prop_assert!(d.contains('.') && !d.is_empty());
        }
    }

    #[test]
    fn the_detector_never_panics_and_is_deterministic(
        name in proptest::option::of(tricky_text()),
        folder in tricky_text(),
        target in tricky_text(),
        from in tricky_text(),
        words in prop::collection::vec(tricky_text(), 0..3),
        pick in prop::collection::vec(0u8..9, 0..6),
    ) {
        let actions: Vec<RuleAction> = pick.iter().map(|p| match p {
            0 => RuleAction::MoveToFolder(folder.clone()),
            1 => RuleAction::CopyToFolder(folder.clone()),
            2 => RuleAction::MarkAsRead,
            3 => RuleAction::Delete,
            4 => RuleAction::PermanentDelete,
            5 => RuleAction::ForwardTo(target.clone()),
            6 => RuleAction::ForwardAsAttachmentTo(format!("{target}@{folder}")),
            7 => RuleAction::RedirectTo(target.clone()),
            _ => RuleAction::StopProcessingRules,
        }).collect();
        let rule = MailboxRule {
            name,
            conditions: RuleConditions {
                from: vec![from.clone()],
                subject_contains: words.clone(),
                body_contains: words,
                sent_to: vec![],
                unknown: from.len() % 2 == 0,
            },
            actions,
            ..MailboxRule::default()
        };
        let e = Event::new(
            Timestamp::parse_rfc3339("2024-03-04T10:00:00Z").unwrap(),
            "e",
            Source::M365,
            Activity::MailboxRule(rule),
        )
        .with_actor(Identity::new(&from));
        let run = || {
            let mut d = MailboxRules::default();
            let mut out = Vec::new();
            d.observe(&e, &Context::empty(), &mut out);
            out
        };
        let a = run();
        prop_assert!(a.len() <= 1);
        prop_assert_eq!(a, run());
    }

    #[test]
    fn restoring_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut d = MailboxRules::default();
        let _ = d.restore(&bytes);
    }
}
