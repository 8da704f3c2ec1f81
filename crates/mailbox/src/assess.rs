//! Judging one rule or forwarding change: the points it scores, the technique it shows, and the
//! sentence that says exactly what it does.

use palisade_core::{Severity, Technique};
use palisade_schema::{MailboxForwarding, MailboxRule, RuleAction, RuleChange, RuleConditions};
use unicode_normalization::UnicodeNormalization;

use crate::domains::{address_domain, OrgDomains};
use crate::name::{display_name, name_concealment, NameConcealment};
use crate::HidingFolders;

/// Points per signal (see the crate documentation's table).
pub(crate) mod points {
    /// Empty, invisible or punctuation-only name.
    pub(crate) const HIDING_NAME: u32 = 3;
    /// One-letter name, or a readable name with invisible or look-alike characters.
    pub(crate) const ODD_NAME: u32 = 2;
    /// Moves mail into a hiding folder.
    pub(crate) const HIDING_FOLDER: u32 = 2;
    /// Moves mail into a filing folder (Archive).
    pub(crate) const FILING_FOLDER: u32 = 1;
    /// Deletes mail (soft or permanently).
    pub(crate) const DELETE: u32 = 2;
    /// Marks mail as read.
    pub(crate) const MARK_READ: u32 = 1;
    /// Stops later rules, when the rule also hides mail.
    pub(crate) const STOP: u32 = 1;
    /// Forwards or redirects outside the organisation.
    pub(crate) const EXTERNAL_FORWARD: u32 = 6;
    /// Forwards outside and hides the original.
    pub(crate) const FORWARD_AND_HIDE: u32 = 1;
    /// Mailbox-level forwarding that keeps no copy.
    pub(crate) const NO_COPY: u32 = 3;
    /// A condition on a colleague's address.
    pub(crate) const COLLEAGUE: u32 = 1;
    /// A condition on a watched keyword.
    pub(crate) const KEYWORD: u32 = 2;
    /// Targeted conditions (colleague or keyword) with mail moved away or deleted.
    pub(crate) const TARGETED_HIDING: u32 = 1;
    /// No conditions at all (or none the record spells out, and none targeted), with mail
    /// moved away or deleted.
    pub(crate) const ALL_MAIL_HIDDEN: u32 = 1;
}

/// The severity a score earns before context: 9+ critical, 6+ high, 3+ medium, 1+ low, else info.
pub(crate) fn severity_of(score: u32) -> Severity {
    match score {
        9.. => Severity::Critical,
        6..=8 => Severity::High,
        3..=5 => Severity::Medium,
        1..=2 => Severity::Low,
        0 => Severity::Info,
    }
}

/// Case-insensitive whole-word keyword matching.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keywords {
    /// Lowercased, NFKC, sorted, deduplicated.
    words: Vec<String>,
}

impl Keywords {
    pub(crate) fn new(list: &[String]) -> Self {
        let mut words: Vec<String> = list
            .iter()
            .map(|k| lower(k.trim()))
            .filter(|k| !k.is_empty())
            .collect();
        words.sort();
        words.dedup();
        Keywords { words }
    }

    /// The first keyword `text` contains as a whole word (plural, -ed and -ing endings allowed).
    pub(crate) fn find(&self, text: &str) -> Option<&str> {
        let text = lower(text);
        self.words
            .iter()
            .find(|k| contains_word(&text, k))
            .map(String::as_str)
    }
}

fn lower(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

fn contains_word(text: &str, word: &str) -> bool {
    let boundary = |c: Option<char>| !matches!(c, Some(c) if c.is_alphanumeric());
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let rest = &text[at + word.len()..];
        boundary(before)
            && ["", "s", "es", "ed", "ing"].iter().any(|suffix| {
                rest.strip_prefix(suffix)
                    .is_some_and(|after| boundary(after.chars().next()))
            })
    })
}

/// What a rule change scored, and how to say it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Judgement {
    pub(crate) score: u32,
    pub(crate) technique: Technique,
    /// What the rule does, in one sentence without a final stop.
    pub(crate) sentence: String,
    /// Why it scored, short phrases.
    pub(crate) reasons: Vec<String>,
    /// The owner and every forwarding target.
    pub(crate) mailboxes: Vec<String>,
    /// Whose mailbox it is.
    pub(crate) owner: String,
    /// Whether `sentence` already names the owner.
    pub(crate) names_owner: bool,
}

/// Everything the judge reads besides the rule.
pub(crate) struct Lens<'a> {
    pub(crate) org: &'a OrgDomains,
    pub(crate) folders: &'a HidingFolders,
    /// Folders people file their own mail into: moving mail there counts for less.
    pub(crate) filing: &'a HidingFolders,
    pub(crate) keywords: &'a Keywords,
}

/// Which way an address points.
fn is_external(lens: &Lens<'_>, address: &str, owner_domain: Option<&str>) -> bool {
    address_domain(address).is_some_and(|d| !lens.org.is_internal(&d, owner_domain))
}

/// Judges an inbox rule owned by `owner` (an address or login).
///
/// `owner_domain` is the owner's mail domain, or, when the owner is named by something other than
/// an address (an Exchange display name), the domain of the identity the event is about.
pub(crate) fn judge_rule(
    rule: &MailboxRule,
    owner: &str,
    owner_domain: Option<&str>,
    lens: &Lens<'_>,
) -> Judgement {
    let mut score = 0;
    let mut reasons = Vec::new();
    let mut mailboxes = vec![owner.trim().to_owned()];

    let concealed = rule.name.as_deref().and_then(name_concealment);
    if let Some(how) = concealed {
        score += match how {
            NameConcealment::Empty | NameConcealment::PunctuationOnly => points::HIDING_NAME,
            _ => points::ODD_NAME,
        };
        reasons.push(how.describe().to_owned());
    }

    let (mut hiding_folder, mut filing_folder): (Option<&str>, Option<&str>) = (None, None);
    // Moved to a folder the record does not name (Outlook's rules give only its id): judged
    // as an ordinary folder, unless the rule also hides its own name.
    let mut unnamed_folder = false;
    let (mut deletes, mut marks_read, mut stops) = (false, false, false);
    let mut external: Vec<&str> = Vec::new();
    for action in &rule.actions {
        match action {
            // Copying into a hiding folder hides nothing (CopyToFolder falls through): only a
            // move takes mail away.
            RuleAction::MoveToFolder(f) if f.trim().is_empty() => unnamed_folder = true,
            RuleAction::MoveToFolder(f) => {
                hiding_folder = hiding_folder.or_else(|| lens.folders.matching_segment(f));
                filing_folder = filing_folder.or_else(|| lens.filing.matching_segment(f));
            }
            RuleAction::MarkAsRead => marks_read = true,
            RuleAction::Delete | RuleAction::PermanentDelete => deletes = true,
            RuleAction::StopProcessingRules => stops = true,
            RuleAction::ForwardTo(a)
            | RuleAction::ForwardAsAttachmentTo(a)
            | RuleAction::RedirectTo(a) => {
                mailboxes.push(a.trim().to_owned());
                if is_external(lens, a, owner_domain) {
                    external.push(a.trim());
                }
            }
            _ => {}
        }
    }
    let hidden_unnamed = unnamed_folder && concealed.is_some();
    let removes = hiding_folder.is_some() || filing_folder.is_some() || hidden_unnamed || deletes;
    if let Some(f) = hiding_folder {
        score += points::HIDING_FOLDER;
        reasons.push(format!("moves mail to the hiding folder '{f}'"));
    } else if let Some(f) = filing_folder {
        // Filed out of sight by a rule that hides its own name: that is hiding.
        if concealed.is_some() {
            score += points::HIDING_FOLDER;
            reasons.push(format!("moves mail to '{f}', out of sight"));
        } else {
            score += points::FILING_FOLDER;
            reasons.push(format!("moves mail out of the inbox to '{f}'"));
        }
    } else if hidden_unnamed {
        // Where it goes is unknown; that a rule hiding its own name takes it out of sight
        // is not.
        score += points::HIDING_FOLDER;
        reasons.push("moves mail out of sight".into());
    }
    if deletes {
        score += points::DELETE;
        reasons.push("deletes mail".into());
    }
    if marks_read {
        score += points::MARK_READ;
    }
    if stops && (removes || marks_read) {
        score += points::STOP;
    }
    if !external.is_empty() {
        score += points::EXTERNAL_FORWARD;
        reasons.push(format!(
            "sends mail outside the organisation to {}",
            list(&external, 3)
        ));
        if removes || marks_read {
            score += points::FORWARD_AND_HIDE;
        }
    }

    let c = &rule.conditions;
    let owner_key = owner.trim().to_lowercase();
    let colleagues: Vec<&str> = c
        .from
        .iter()
        .map(|a| a.trim())
        .filter(|a| a.to_lowercase() != owner_key)
        .filter(|a| sender_domain(a).is_some_and(|d| lens.org.is_internal(&d, owner_domain)))
        .collect();
    if !colleagues.is_empty() {
        score += points::COLLEAGUE;
        reasons.push(format!(
            "aimed at mail from a colleague ({})",
            list(&colleagues, 2)
        ));
    }
    let keyword = c
        .subject_contains
        .iter()
        .chain(&c.body_contains)
        .find_map(|w| lens.keywords.find(w));
    if let Some(k) = keyword {
        score += points::KEYWORD;
        reasons.push(format!("aimed at mail about '{k}'"));
    }
    if removes && (!colleagues.is_empty() || keyword.is_some()) {
        score += points::TARGETED_HIDING;
    }
    if removes && c.is_empty() {
        score += points::ALL_MAIL_HIDDEN;
        reasons.push("applies to all mail".into());
    } else if removes && c.unknown && colleagues.is_empty() && keyword.is_none() {
        // Conditions the record does not spell out may be none at all: leaving them out of a
        // record (or adding one that matches everything) must never make a rule cheaper.
        score += points::ALL_MAIL_HIDDEN;
        reasons.push("may apply to all mail".into());
    }

    let technique = if external.is_empty() {
        Technique::EmailHidingRules
    } else {
        Technique::EmailForwardingRule
    };
    let sentence = describe_rule(rule, |a| is_external(lens, a, owner_domain));
    mailboxes.sort();
    mailboxes.dedup();
    Judgement {
        score,
        technique,
        sentence,
        reasons,
        mailboxes,
        owner: owner.trim().to_owned(),
        names_owner: false,
    }
}

/// Judges a mailbox-level forwarding change of `owner`'s mailbox; `None` when it clears
/// forwarding.
pub(crate) fn judge_forwarding(
    f: &MailboxForwarding,
    owner: &str,
    owner_domain: Option<&str>,
    lens: &Lens<'_>,
) -> Option<Judgement> {
    let target = f
        .forward_to
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())?;
    let external = is_external(lens, target, owner_domain);
    let mut score = 0;
    let mut reasons = Vec::new();
    if external {
        score += points::EXTERNAL_FORWARD;
        reasons.push("outside the organisation".into());
        if f.keep_copy == Some(false) {
            score += points::NO_COPY;
            reasons.push("no copy stays in the mailbox".into());
        }
    }
    let copy = match f.keep_copy {
        Some(true) => ", keeping a copy",
        Some(false) => ", keeping no copy",
        None => "",
    };
    let sentence = format!(
        "mailbox {} forwards all mail to {target}{copy}",
        owner.trim()
    );
    let mut mailboxes = vec![owner.trim().to_owned(), target.to_owned()];
    mailboxes.sort();
    mailboxes.dedup();
    let technique = Technique::EmailForwardingRule;
    Some(Judgement {
        score,
        technique,
        sentence,
        reasons,
        mailboxes,
        owner: owner.trim().to_owned(),
        names_owner: true,
    })
}

/// The domain a sender condition names: an address's, or a bare `@domain`
/// (`FromAddressContainsWords`), which aims at everyone there.
fn sender_domain(sender: &str) -> Option<String> {
    let s = sender.trim();
    match s.strip_prefix('@') {
        Some(domain) => address_domain(&format!("sender@{domain}")),
        None => address_domain(s),
    }
}

/// "a", "a and b", "a, b and c", "a, b and 2 more".
fn list(items: &[&str], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).copied().collect();
    let more = items.len().saturating_sub(max);
    match (shown.as_slice(), more) {
        ([], _) => String::new(),
        ([one], 0) => (*one).to_owned(),
        (_, 0) => {
            let (last, head) = shown.split_last().map_or(("", &[][..]), |(l, h)| (*l, h));
            format!("{} and {last}", head.join(", "))
        }
        (_, n) => format!("{} and {n} more", shown.join(", ")),
    }
}

/// Which mail a rule applies to, e.g. "mail from bob@contoso.com with 'invoice' in the subject".
fn describe_mail(c: &RuleConditions) -> String {
    if c.is_empty() {
        return "all incoming mail".into();
    }
    if c.names_none() {
        return "its mail (conditions not read from this record)".into();
    }
    let quoted = |words: &[String]| -> String {
        let q: Vec<String> = words
            .iter()
            .take(3)
            .map(|w| format!("'{}'", w.trim()))
            .collect();
        let more = words.len().saturating_sub(3);
        let mut s = match q.split_last() {
            Some((last, head)) if !head.is_empty() => format!("{} or {last}", head.join(", ")),
            Some((last, _)) => last.clone(),
            None => String::new(),
        };
        if more > 0 {
            s.push_str(&format!(" (or {more} more words)"));
        }
        s
    };
    let mut s = String::from("mail");
    if !c.from.is_empty() {
        let from: Vec<&str> = c.from.iter().map(|a| a.trim()).collect();
        s.push_str(&format!(" from {}", list(&from, 3)));
    }
    if !c.sent_to.is_empty() {
        let to: Vec<&str> = c.sent_to.iter().map(|a| a.trim()).collect();
        s.push_str(&format!(" sent to {}", list(&to, 3)));
    }
    if !c.subject_contains.is_empty() {
        s.push_str(&format!(
            " with {} in the subject",
            quoted(&c.subject_contains)
        ));
    }
    if !c.body_contains.is_empty() {
        let joiner = if c.subject_contains.is_empty() {
            " with"
        } else {
            " or"
        };
        s.push_str(&format!(
            "{joiner} {} in the subject or body",
            quoted(&c.body_contains)
        ));
    }
    if c.unknown {
        s.push_str(" (among other conditions)");
    }
    s
}

/// The sentence: "rule '.' marks mail from bob@contoso.com as read and moves it to RSS Feeds".
fn describe_rule(rule: &MailboxRule, external: impl Fn(&str) -> bool) -> String {
    // Group targets by verb, verbs in first-appearance order, "stop processing" last.
    #[derive(PartialEq, Clone, Copy)]
    enum Verb {
        Read,
        Move,
        Copy,
        Delete,
        Purge,
        Forward,
        Attach,
        Redirect,
    }
    let mut groups: Vec<(Verb, Vec<String>)> = Vec::new();
    let mut stops = false;
    for a in &rule.actions {
        let (verb, target) = match a {
            RuleAction::MarkAsRead => (Verb::Read, None),
            RuleAction::MoveToFolder(f) => (Verb::Move, Some(folder_phrase(f))),
            RuleAction::CopyToFolder(f) => (Verb::Copy, Some(folder_phrase(f))),
            RuleAction::Delete => (Verb::Delete, None),
            RuleAction::PermanentDelete => (Verb::Purge, None),
            RuleAction::ForwardTo(t) => (Verb::Forward, Some(address_phrase(t, &external))),
            RuleAction::ForwardAsAttachmentTo(t) => {
                (Verb::Attach, Some(address_phrase(t, &external)))
            }
            RuleAction::RedirectTo(t) => (Verb::Redirect, Some(address_phrase(t, &external))),
            RuleAction::StopProcessingRules => {
                stops = true;
                continue;
            }
            _ => continue,
        };
        match groups.iter_mut().find(|(v, _)| *v == verb) {
            Some((_, targets)) => targets.extend(target),
            None => groups.push((verb, target.into_iter().collect())),
        }
    }
    let mail = describe_mail(&rule.conditions);
    let mut phrases: Vec<String> = Vec::new();
    for (i, (verb, targets)) in groups.iter().enumerate() {
        let it = if i == 0 { mail.as_str() } else { "it" };
        let t: Vec<&str> = targets.iter().map(String::as_str).collect();
        let to = list(&t, 3);
        phrases.push(match verb {
            Verb::Read => format!("marks {it} as read"),
            Verb::Move => format!("moves {it} to {to}"),
            Verb::Copy => format!("copies {it} to {to}"),
            Verb::Delete => format!("deletes {it}"),
            Verb::Purge => format!("permanently deletes {it}"),
            Verb::Forward => format!("forwards {it} to {to}"),
            Verb::Attach => format!("forwards {it} as an attachment to {to}"),
            Verb::Redirect => format!("redirects {it} to {to}"),
        });
    }
    if stops {
        phrases.push(if groups.is_empty() {
            format!("stops processing more rules for {mail}")
        } else {
            "stops processing more rules".into()
        });
    }
    if phrases.is_empty() {
        phrases.push(format!("applies to {mail} with no action recorded"));
    }
    let refs: Vec<&str> = phrases.iter().map(String::as_str).collect();
    let what = list(&refs, usize::MAX);
    let changed = if rule.change == RuleChange::Modify {
        " (changed)"
    } else {
        ""
    };
    match rule.name.as_deref() {
        Some(n) => format!("rule '{}'{changed} {what}", display_name(n)),
        None => format!("an unnamed rule{changed} {what}"),
    }
}

/// A folder as named, or what the record says of one it names only by id.
fn folder_phrase(folder: &str) -> String {
    match folder.trim() {
        "" => "a folder the log does not name".to_owned(),
        f => f.to_owned(),
    }
}

fn address_phrase(address: &str, external: &impl Fn(&str) -> bool) -> String {
    let a = address.trim();
    if external(a) {
        format!("{a} (outside the organisation)")
    } else {
        a.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the judge reads besides the rule: the organisation `contoso.com` and the defaults.
    struct Parts {
        org: OrgDomains,
        folders: HidingFolders,
        filing: HidingFolders,
        keywords: Keywords,
    }

    impl Parts {
        fn new() -> Self {
            let kw: Vec<String> = crate::DEFAULT_KEYWORDS
                .iter()
                .map(|s| s.to_string())
                .collect();
            Parts {
                org: OrgDomains::new(&["contoso.com".into()], &["gmail.com".into()], true, 2, 8),
                folders: HidingFolders::new(crate::DEFAULT_HIDING_FOLDERS),
                filing: HidingFolders::new(crate::DEFAULT_FILING_FOLDERS),
                keywords: Keywords::new(&kw),
            }
        }

        fn lens(&self) -> Lens<'_> {
            Lens {
                org: &self.org,
                folders: &self.folders,
                filing: &self.filing,
                keywords: &self.keywords,
            }
        }
    }

    fn rule(name: &str, actions: Vec<RuleAction>, conditions: RuleConditions) -> MailboxRule {
        MailboxRule {
            name: Some(name.into()),
            actions,
            conditions,
            ..MailboxRule::default()
        }
    }

    fn from(a: &str) -> RuleConditions {
        RuleConditions {
            from: vec![a.into()],
            ..RuleConditions::default()
        }
    }

    #[test]
    fn the_reference_rule_reads_exactly() {
        let parts = Parts::new();
        let lens = parts.lens();
        let r = rule(
            ".",
            vec![
                RuleAction::MarkAsRead,
                RuleAction::MoveToFolder("RSS Feeds".into()),
            ],
            from("bob@contoso.com"),
        );
        let j = judge_rule(&r, "alice@contoso.com", Some("contoso.com"), &lens);
        assert_eq!(
            j.sentence,
            "rule '.' marks mail from bob@contoso.com as read and moves it to RSS Feeds"
        );
        // name 3 + folder 2 + read 1 + colleague 1 + targeted hiding 1
        assert_eq!(j.score, 8);
        assert_eq!(severity_of(j.score), Severity::High);
        assert_eq!(j.technique, Technique::EmailHidingRules);
    }

    #[test]
    fn ordinary_rules_stay_below_medium() {
        let parts = Parts::new();
        let lens = parts.lens();
        let newsletter = rule(
            "Newsletters",
            vec![
                RuleAction::MoveToFolder("Newsletters".into()),
                RuleAction::StopProcessingRules,
            ],
            from("news@shop.example"),
        );
        let ticketing = rule(
            "Tickets",
            vec![RuleAction::MarkAsRead],
            from("servicedesk@contoso.com"),
        );
        let assistant = rule(
            "To my assistant",
            vec![RuleAction::ForwardTo("carol@contoso.com".into())],
            from("ceo@contoso.com"),
        );
        let archive = rule(
            "Old promos",
            vec![RuleAction::MoveToFolder("Archive".into())],
            from("promo@shop.example"),
        );
        for r in [newsletter, ticketing, assistant, archive] {
            let j = judge_rule(&r, "alice@contoso.com", Some("contoso.com"), &lens);
            assert!(
                severity_of(j.score) < Severity::Medium,
                "{}: {}",
                j.sentence,
                j.score
            );
        }
    }

    /// "Mark receipts read and archive them" is an ordinary rule; the same into RSS Feeds, or the
    /// reference rule filing a colleague's mail into Archive, is not.
    #[test]
    fn filing_into_archive_counts_less_than_hiding() {
        let parts = Parts::new();
        let lens = parts.lens();
        let judge = |name: &str, folder: &str, sender: &str| {
            let actions = vec![
                RuleAction::MarkAsRead,
                RuleAction::MoveToFolder(folder.into()),
            ];
            judge_rule(
                &rule(name, actions, from(sender)),
                "alice@contoso.com",
                Some("contoso.com"),
                &lens,
            )
        };
        let receipts = judge("Receipts", "Archive", "noreply@rides.example");
        assert_eq!(receipts.score, 2);
        assert_eq!(severity_of(receipts.score), Severity::Low);
        assert!(receipts
            .reasons
            .iter()
            .any(|r| r == "moves mail out of the inbox to 'Archive'"));
        // German Outlook, as a path.
        let archiv = judge(
            "Belege",
            "alice@contoso.com:\\Archiv",
            "noreply@rides.example",
        );
        assert_eq!(archiv.score, 2);
        let hidden = judge("Receipts", "RSS Feeds", "noreply@rides.example");
        assert_eq!(severity_of(hidden.score), Severity::Medium);
        // A rule hiding its own name files out of sight: name 3 + folder 2 + read 1 +
        // colleague 1 + targeted 1, as into RSS Feeds.
        let reference = judge(".", "Archive", "bob@contoso.com");
        assert_eq!(reference.score, 8);
        assert_eq!(severity_of(reference.score), Severity::High);
        // Listed as hiding too (an older policy file): hiding wins.
        let strict = HidingFolders::new(["Archive"]);
        let lens = Lens {
            folders: &strict,
            ..lens
        };
        let r = rule(
            "Receipts",
            vec![RuleAction::MoveToFolder("Archive".into())],
            from("noreply@rides.example"),
        );
        assert_eq!(
            judge_rule(&r, "alice@contoso.com", Some("contoso.com"), &lens).score,
            2
        );
    }

    #[test]
    fn external_forwarding_is_high_and_hiding_it_is_critical() {
        let parts = Parts::new();
        let lens = parts.lens();
        let fwd = rule(
            "Sync",
            vec![RuleAction::ForwardTo("eve@evil.example".into())],
            RuleConditions::default(),
        );
        let j = judge_rule(&fwd, "alice@contoso.com", Some("contoso.com"), &lens);
        assert_eq!(severity_of(j.score), Severity::High);
        assert_eq!(j.technique, Technique::EmailForwardingRule);
        assert_eq!(
            j.sentence,
            "rule 'Sync' forwards all incoming mail to eve@evil.example (outside the organisation)"
        );
        assert_eq!(j.mailboxes, ["alice@contoso.com", "eve@evil.example"]);
        let hide = rule(
            "..",
            vec![
                RuleAction::RedirectTo("eve@gmail.com".into()),
                RuleAction::Delete,
            ],
            RuleConditions::default(),
        );
        let j = judge_rule(&hide, "alice@contoso.com", Some("contoso.com"), &lens);
        assert_eq!(severity_of(j.score), Severity::Critical);
        assert_eq!(
            j.sentence,
            "rule '..' redirects all incoming mail to eve@gmail.com (outside the organisation) and deletes it"
        );
    }

    #[test]
    fn keyword_rules_that_hide_are_at_least_medium() {
        let parts = Parts::new();
        let lens = parts.lens();
        let c = RuleConditions {
            subject_contains: vec!["Invoices".into(), "wire".into()],
            ..Default::default()
        };
        let r = rule("Finance", vec![RuleAction::Delete], c);
        let j = judge_rule(&r, "alice@contoso.com", Some("contoso.com"), &lens);
        assert!(severity_of(j.score) >= Severity::Medium);
        assert_eq!(
            j.sentence,
            "rule 'Finance' deletes mail with 'Invoices' or 'wire' in the subject"
        );
        assert!(
            j.reasons.iter().any(|r| r.contains("invoice")),
            "{:?}",
            j.reasons
        );
    }

    #[test]
    fn keywords_match_whole_words_only() {
        let k = Keywords::new(&["wire".into(), "phish".into(), "help desk".into()]);
        assert_eq!(k.find("Wire transfer"), Some("wire"));
        assert_eq!(k.find("wires"), Some("wire"));
        assert_eq!(k.find("wireless mouse"), None);
        assert_eq!(k.find("PHISHING report"), Some("phish"));
        assert_eq!(k.find("the Help Desk"), Some("help desk"));
        assert_eq!(k.find("wham"), None);
    }

    #[test]
    fn mailbox_forwarding() {
        let parts = Parts::new();
        let lens = parts.lens();
        let out = MailboxForwarding {
            forward_to: Some("smtp:eve@evil.example".into()),
            keep_copy: Some(false),
            ..Default::default()
        };
        let j = judge_forwarding(&out, "alice@contoso.com", Some("contoso.com"), &lens)
            .expect("forwarding set");
        assert_eq!(severity_of(j.score), Severity::Critical);
        assert_eq!(
            j.sentence,
            "mailbox alice@contoso.com forwards all mail to smtp:eve@evil.example, keeping no copy"
        );
        let keep = MailboxForwarding {
            keep_copy: Some(true),
            ..out.clone()
        };
        let j = judge_forwarding(&keep, "alice@contoso.com", Some("contoso.com"), &lens)
            .expect("forwarding set");
        assert_eq!(severity_of(j.score), Severity::High);
        let inside = MailboxForwarding {
            forward_to: Some("bob@contoso.com".into()),
            ..out
        };
        assert_eq!(
            judge_forwarding(&inside, "alice@contoso.com", Some("contoso.com"), &lens)
                .map(|j| j.score),
            Some(0)
        );
        assert!(judge_forwarding(
            &MailboxForwarding::default(),
            "alice@contoso.com",
            Some("contoso.com"),
            &lens
        )
        .is_none());
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(list(&["a"], 3), "a");
        assert_eq!(list(&["a", "b"], 3), "a and b");
        assert_eq!(list(&["a", "b", "c"], 3), "a, b and c");
        assert_eq!(list(&["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
