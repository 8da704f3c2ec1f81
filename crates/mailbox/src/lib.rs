//! Mailbox persistence after an account takeover: inbox rules that hide mail (MITRE ATT&CK
//! T1564.008, Email Hiding Rules) and rules or mailbox settings that forward mail outside the
//! organisation (T1114.003, Email Forwarding Rule).
//!
//! After the login, attackers hide in the mailbox. In the reference case the attacker created an
//! inbox rule named "." that marked a colleague's mail as read and moved it away, and ran invoice
//! fraud from the account unseen. [`MailboxRules`] judges every rule creation or change
//! ([`Activity::MailboxRule`](palisade_schema::Activity::MailboxRule), from M365 `New-InboxRule`,
//! `Set-InboxRule`, `UpdateInboxRules` or Google Workspace filters) and every mailbox-level
//! forwarding change ([`Activity::MailboxForwarding`](palisade_schema::Activity::MailboxForwarding),
//! from `Set-Mailbox -ForwardingSmtpAddress` or Gmail's auto-forward) on what it does and how it is
//! named, and raises the severity one step when the same identity had a risky sign-in shortly
//! before (read from [`Context::recent`](palisade_core::Context::recent), so this crate depends on
//! no other detector). Joining the rule to the login into an incident is the graph's job.
//!
//! # One detector, two techniques
//!
//! One rule change is one event and yields at most one finding (detector `mailbox_rules`), whose
//! technique says what makes it dangerous: T1114.003 when the rule (or mailbox) sends mail outside
//! the organisation, T1564.008 otherwise. A rule that forwards *and* hides would otherwise become
//! two findings about one event and be counted twice downstream; its one summary names both. One
//! detector also keeps one table of learned organisation domains instead of two.
//!
//! # How a rule scores
//!
//! | signal | points |
//! |---|---|
//! | name empty, invisible or only punctuation (".", "..", "․" U+2024, "。" U+3002, "\u{200B}") | 3 |
//! | name of one letter, or with invisible / look-alike characters mixed in | 2 |
//! | moves mail to a hiding folder (RSS Feeds, Conversation History, Deleted Items, Junk Email, translations) | 2 |
//! | ... or to a filing folder (Archive, translations), where people file their own mail (2 when the name hides) | 1 |
//! | deletes mail (soft or permanent) | 2 |
//! | marks mail as read | 1 |
//! | stops processing more rules, when it also hides mail | 1 |
//! | forwards, forwards as attachment or redirects outside the organisation | 6 |
//! | ... and hides the original (deletes, moves to a hiding or filing folder, marks read) | +1 |
//! | mailbox-level forwarding outside the organisation | 6 |
//! | ... keeping no copy in the mailbox | +3 |
//! | a condition on a colleague's address (a sender in the organisation's domains) | 1 |
//! | a condition on a watched keyword (invoice, payment, wire, bank, password, ...) | 2 |
//! | targeted conditions (colleague or keyword) and mail moved away or deleted | +1 |
//! | no conditions at all and mail moved away or deleted | +1 |
//!
//! Severity: 9 or more critical, 6 to 8 high, 3 to 5 medium, 1 or 2 low; a risky sign-in of the
//! same identity within the lookback (default 4 hours) raises it one step. Findings below
//! [`MailboxRulesConfig::min_severity`] (default low) are not emitted, so an ordinary rule (a
//! newsletter moved to "Newsletters", an internal forward to an assistant) yields nothing, and a
//! rule that marks a ticketing system's mail read stays low. Rule removals are not judged.
//!
//! The reference rule scores 8 (name 3, hiding folder 2, read 1, colleague 1, targeted 1; the
//! same into Archive, since its name hides): high, critical after a risky sign-in.
//!
//! # Example
//!
//! ```
//! use palisade_core::{Context, Detector, FindingRef, FindingId, Severity, Technique};
//! use palisade_mailbox::MailboxRules;
//! use palisade_schema::*;
//!
//! let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
//! let mut detector = MailboxRules::default();
//! // Domains are learned from the identities seen: two colleagues at contoso.com.
//! for (i, who) in ["alice@contoso.com", "bob@contoso.com"].iter().enumerate() {
//!     let e = Event::new(t("2024-03-04T09:00:00Z"), format!("s{i}"), Source::Entra,
//!         Activity::SignIn(SignIn::success(SignInStage::Primary))).with_actor(Identity::new(who));
//!     detector.observe(&e, &Context::empty(), &mut Vec::new());
//! }
//! let rule = MailboxRule {
//!     name: Some("\u{2024}".into()), // one dot leader: looks like "."
//!     conditions: RuleConditions { from: vec!["bob@contoso.com".into()], ..Default::default() },
//!     actions: vec![RuleAction::MarkAsRead, RuleAction::MoveToFolder("RSS Feeds".into())],
//!     ..Default::default()
//! };
//! let event = Event::new(t("2024-03-04T10:20:00Z"), "rule-1", Source::M365,
//!     Activity::MailboxRule(rule)).with_actor(Identity::new("alice@contoso.com"));
//! // An unfamiliar sign-in 20 minutes earlier, as the pipeline passes it in the context.
//! let signin = FindingRef {
//!     id: FindingId::derive(&["unfamiliar_signin", "alice@contoso.com", "s9"]),
//!     detector: "unfamiliar_signin".into(),
//!     severity: Severity::Medium,
//!     technique: Technique::ValidCloudAccounts,
//!     first_seen: t("2024-03-04T10:00:00Z"),
//!     last_seen: t("2024-03-04T10:00:00Z"),
//! };
//! let recent = [signin];
//! let ctx = Context { recent: &recent, ..Context::empty() };
//! let mut out = Vec::new();
//! detector.observe(&event, &ctx, &mut out);
//! assert_eq!(out[0].severity, Severity::Critical);
//! assert!(out[0].summary.contains("20 minutes after a risky sign-in (unfamiliar_signin, medium)"));
//! assert_eq!(out[0].entities.mailboxes, ["alice@contoso.com"]);
//! ```

#![forbid(unsafe_code)]

mod assess;
mod config;
mod detector;
mod domains;
mod folder;
mod name;

pub use config::{
    MailboxRulesConfig, DEFAULT_FILING_FOLDERS, DEFAULT_HIDING_FOLDERS, DEFAULT_KEYWORDS,
    DEFAULT_PUBLIC_MAIL_DOMAINS, DEFAULT_RISKY_SIGN_IN_DETECTORS,
};
pub use detector::{MailboxRules, DETECTOR_NAME};
pub use domains::address_domain;
pub use folder::HidingFolders;
pub use name::{name_concealment, normalize_rule_name, NameConcealment};
