//! The mailbox detector's settings, with documented defaults, as read from a policy file.

use palisade_core::{Error, Severity};
use serde::{Deserialize, Serialize};

/// Settings of [`MailboxRules`](crate::MailboxRules). Every field has a default, so a policy file
/// names only what it changes.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `org_domains` | `[]` | the organisation's mail domains (subdomains included); learned when empty |
/// | `learn_domains` | `true` | also learn domains from the identities seen in events |
/// | `learn_min_identities` | `2` | distinct identities a domain needs before it counts as the organisation's |
/// | `max_learned_domains` | `64` | cap on learned (and candidate) domains: bounded state |
/// | `public_mail_domains` | gmail.com, outlook.com, ... | never the organisation's, even if identities use them |
/// | `keywords` | invoice, payment, wire, bank, password, ... | condition words attackers watch or hide |
/// | `hiding_folders` | RSS Feeds, Conversation History, Deleted Items, ... (+ translations) | where moved mail goes unseen |
/// | `filing_folders` | Archive (+ translations) | where people file their own mail out of the inbox |
/// | `risky_sign_in_lookback_minutes` | `240` | how far back a risky sign-in raises a rule's severity |
/// | `risky_sign_in_detectors` | unfamiliar_signin, failed_then_success, impossible_travel, mfa_fatigue | findings that count as a risky sign-in |
/// | `risky_sign_in_min_severity` | `medium` | the least severity such a finding needs to count |
/// | `min_severity` | `low` | findings below this are not emitted |
///
/// ```
/// use palisade_mailbox::MailboxRulesConfig;
/// let cfg: MailboxRulesConfig =
///     serde_json::from_str(r#"{ "org_domains": ["contoso.com"], "min_severity": "medium" }"#).unwrap();
/// assert_eq!(cfg.org_domains, ["contoso.com"]);
/// assert!(cfg.keywords.iter().any(|k| k == "invoice"));
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailboxRulesConfig {
    /// The organisation's mail domains. An address in one of them, or in a subdomain of one, is
    /// internal. When empty, domains are learned (see `learn_domains`).
    pub org_domains: Vec<String>,
    /// Learn the organisation's domains from the identities events name (actors and subjects),
    /// on top of `org_domains`.
    pub learn_domains: bool,
    /// How many distinct identities must use a domain before it is learned. A rule owner's own
    /// domain is always internal for that owner's rules.
    pub learn_min_identities: usize,
    /// At most this many domains are learned or tracked as candidates; later ones are ignored
    /// (and counted), which keeps state bounded whatever the input.
    pub max_learned_domains: usize,
    /// Consumer mail domains: never internal, never learned, even when identities use them.
    pub public_mail_domains: Vec<String>,
    /// Words that make a rule's conditions suspicious (matched case-insensitively as whole words,
    /// allowing plural and -ing/-ed endings: "invoice" matches "Invoices").
    pub keywords: Vec<String>,
    /// Folders where moved mail goes unseen. Matched ignoring case, accents, spacing and
    /// punctuation, on every segment of the folder path.
    pub hiding_folders: Vec<String>,
    /// Folders people file their own mail into, out of the inbox (Outlook's Archive). A rule
    /// moving mail there scores less than a hiding folder: "mark receipts read and archive them"
    /// is an ordinary rule, while nobody reads their mail in RSS Feeds. Matched as
    /// `hiding_folders` are; a folder in both lists counts as hiding.
    pub filing_folders: Vec<String>,
    /// A risky sign-in finding for the same identity this many minutes (or fewer) before the rule
    /// change raises its severity one step.
    pub risky_sign_in_lookback_minutes: u32,
    /// Detector names whose findings count as a risky sign-in (at `risky_sign_in_min_severity`
    /// or above). Findings of any detector with technique T1078.004 or T1621 count too, at
    /// that severity and never below medium.
    pub risky_sign_in_detectors: Vec<String>,
    /// The least severity a named detector's finding needs to count as a risky sign-in. The
    /// default, medium, leaves out what the sign-in detectors themselves judged low: a move
    /// between a VPN egress and home, a profile still learning. Counting those would raise every
    /// ordinary rule of a VPN user to medium.
    pub risky_sign_in_min_severity: Severity,
    /// Findings below this severity are not emitted.
    pub min_severity: Severity,
}

/// Default keywords: payment fraud, credential theft, and the words of a victim's warning mail
/// (what a business-email-compromise rule hides from the account owner).
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "invoice",
    "payment",
    "wire",
    "bank",
    "banking",
    "transfer",
    "remittance",
    "iban",
    "swift",
    "payroll",
    "w-2",
    "w2",
    "password",
    "credentials",
    "helpdesk",
    "help desk",
    "phish",
    "phishing",
    "hacked",
    "compromised",
    "suspicious",
    "fraud",
    "scam",
    "malware",
    "virus",
];

/// Default hiding folders: Outlook's RSS Feeds, RSS Subscriptions, Conversation History,
/// Deleted Items and Junk Email, Gmail's Trash and Spam, and the common translations of Outlook's
/// (French, German, Spanish, Italian, Dutch, Portuguese).
pub const DEFAULT_HIDING_FOLDERS: &[&str] = &[
    "RSS Feeds",
    "RSS Subscriptions",
    "Conversation History",
    "Deleted Items",
    "Junk Email",
    "Junk E-mail",
    "Junk",
    "Trash",
    "Spam",
    // French
    "Flux RSS",
    "Historique des conversations",
    "Éléments supprimés",
    "Courrier indésirable",
    // German
    "RSS-Feeds",
    "Unterhaltungsverlauf",
    "Gelöschte Elemente",
    "Junk-E-Mail",
    // Spanish
    "Fuentes RSS",
    "Historial de conversaciones",
    "Elementos eliminados",
    "Correo no deseado",
    // Italian
    "Feed RSS",
    "Cronologia conversazioni",
    "Posta eliminata",
    "Posta indesiderata",
    // Dutch
    "Gespreksgeschiedenis",
    "Verwijderde items",
    "Ongewenste e-mail",
    // Portuguese
    "Feeds RSS",
    "Histórico de Conversas",
    "Itens Excluídos",
    "Lixo Eletrônico",
];

/// Default filing folders: Outlook's Archive and its translations (French, German, Spanish,
/// Italian, Dutch, Portuguese).
pub const DEFAULT_FILING_FOLDERS: &[&str] = &[
    "Archive", "Archives", "Archiv", "Archivo", "Archivio", "Archief", "Arquivo",
];

/// Default consumer mail domains (never the organisation's).
pub const DEFAULT_PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "mail.ru",
    "yandex.ru",
    "yandex.com",
    "qq.com",
    "163.com",
    "zoho.com",
    "tutanota.com",
];

/// Default detectors whose findings count as a risky sign-in.
pub const DEFAULT_RISKY_SIGN_IN_DETECTORS: &[&str] = &[
    "unfamiliar_signin",
    "failed_then_success",
    "impossible_travel",
    "mfa_fatigue",
];

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for MailboxRulesConfig {
    fn default() -> Self {
        MailboxRulesConfig {
            org_domains: Vec::new(),
            learn_domains: true,
            learn_min_identities: 2,
            max_learned_domains: 64,
            public_mail_domains: owned(DEFAULT_PUBLIC_MAIL_DOMAINS),
            keywords: owned(DEFAULT_KEYWORDS),
            hiding_folders: owned(DEFAULT_HIDING_FOLDERS),
            filing_folders: owned(DEFAULT_FILING_FOLDERS),
            risky_sign_in_lookback_minutes: 240,
            risky_sign_in_detectors: owned(DEFAULT_RISKY_SIGN_IN_DETECTORS),
            risky_sign_in_min_severity: Severity::Medium,
            min_severity: Severity::Low,
        }
    }
}

/// Upper bounds that keep a policy file from asking for unbounded state.
const MAX_DOMAINS: usize = 10_000;
const MAX_LIST: usize = 10_000;
const MAX_LOOKBACK_MINUTES: u32 = 7 * 24 * 60;

impl MailboxRulesConfig {
    /// Checks ranges: `learn_min_identities` 1..=1000, `max_learned_domains` and every list at most
    /// 10 000 entries, the lookback at most 7 days, no empty domain or keyword.
    ///
    /// ```
    /// use palisade_mailbox::MailboxRulesConfig;
    /// let bad = MailboxRulesConfig { learn_min_identities: 0, ..Default::default() };
    /// assert!(bad.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |msg: String| Err(Error::Config(format!("mailbox_rules: {msg}")));
        if !(1..=1000).contains(&self.learn_min_identities) {
            return fail(format!(
                "learn_min_identities must be 1..=1000, got {}",
                self.learn_min_identities
            ));
        }
        if self.max_learned_domains > MAX_DOMAINS {
            return fail(format!(
                "max_learned_domains must be at most {MAX_DOMAINS}, got {}",
                self.max_learned_domains
            ));
        }
        if self.risky_sign_in_lookback_minutes > MAX_LOOKBACK_MINUTES {
            return fail(format!(
                "risky_sign_in_lookback_minutes must be at most {MAX_LOOKBACK_MINUTES}, got {}",
                self.risky_sign_in_lookback_minutes
            ));
        }
        let lists = [
            ("org_domains", &self.org_domains),
            ("public_mail_domains", &self.public_mail_domains),
            ("keywords", &self.keywords),
            ("hiding_folders", &self.hiding_folders),
            ("risky_sign_in_detectors", &self.risky_sign_in_detectors),
        ];
        for (name, list) in lists {
            if list.len() > MAX_LIST {
                return fail(format!(
                    "{name} has {} entries, at most {MAX_LIST}",
                    list.len()
                ));
            }
            if list.iter().any(|s| s.trim().is_empty()) {
                return fail(format!("{name} holds an empty entry"));
            }
        }
        Ok(())
    }
}
