//! Folders where moved mail goes unseen: matching a rule's target folder against the configured
//! hiding folders, whatever the case, spacing, accents, language or path form.

use unicode_normalization::UnicodeNormalization;

/// A set of folder names a rule can move mail into: where it goes unread (RSS Feeds,
/// Conversation History, Deleted Items, Junk Email, and their translations), or where people file
/// their own mail (Archive).
///
/// Matching ignores case, accents, spaces, hyphens and other punctuation ("RSS-Feeds" is "RSS
/// Feeds", "Éléments supprimés" is "elements supprimes"), and looks at every segment of a folder
/// path, so `alice@contoso.com:\RSS Feeds`, `\Inbox\RSS Feeds` and `RSS Feeds/Old` all match.
///
/// ```
/// use palisade_mailbox::HidingFolders;
/// let folders = HidingFolders::new(["RSS Feeds", "Conversation History", "Éléments supprimés"]);
/// assert!(folders.matches("rss feeds"));
/// assert!(folders.matches("alice@contoso.com:\\RSS-Feeds"));
/// assert!(folders.matches("\\Elements Supprimes"));
/// assert!(!folders.matches("Newsletters"));
/// assert!(!folders.matches("Inbox\\Feeds"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HidingFolders {
    /// Folded keys, sorted, deduplicated.
    keys: Vec<String>,
}

impl HidingFolders {
    /// A set from folder names (in any form; they are folded the same way targets are).
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut keys: Vec<String> = names
            .into_iter()
            .map(|n| fold(n.as_ref()))
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort();
        keys.dedup();
        HidingFolders { keys }
    }

    /// Whether any segment of the folder path `target` is a hiding folder.
    pub fn matches(&self, target: &str) -> bool {
        self.matching_segment(target).is_some()
    }

    /// The first segment of `target` that is a hiding folder, as written.
    pub(crate) fn matching_segment<'t>(&self, target: &'t str) -> Option<&'t str> {
        folder_segments(target).find(|seg| self.keys.binary_search(&fold(seg)).is_ok())
    }
}

/// The path segments of a folder target, without Exchange's `MailboxID:` prefix.
///
/// Exchange writes folder targets as `MailboxID:\Parent\Child`; Graph and Outlook use `\` or `/`.
fn folder_segments(target: &str) -> impl Iterator<Item = &str> {
    // Only a colon followed by a separator is a mailbox prefix ("alice:\Inbox"); a colon inside a
    // folder name ("Re: invoices") is not.
    let path = match target.find(":\\").or_else(|| target.find(":/")) {
        Some(at) => &target[at + 1..],
        None => target,
    };
    path.split(['\\', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Lowercase letters and digits only, accents removed: the form folder names are compared in.
fn fold(name: &str) -> String {
    name.nfkd()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_spacing() {
        assert_eq!(fold("Éléments  supprimés"), "elementssupprimes");
        assert_eq!(fold("Junk E-mail"), "junkemail");
        assert_eq!(fold("RSS-Feeds"), "rssfeeds");
        assert_eq!(fold("\u{200B}"), "");
    }

    #[test]
    fn segments_drop_the_mailbox_prefix() {
        let segs: Vec<_> = folder_segments("alice@contoso.com:\\Inbox\\RSS Feeds").collect();
        assert_eq!(segs, ["Inbox", "RSS Feeds"]);
        let segs: Vec<_> = folder_segments("Re: invoices").collect();
        assert_eq!(segs, ["Re: invoices"]);
        assert_eq!(folder_segments("\\\\").count(), 0);
    }

    #[test]
    fn matching_segment_is_returned_as_written() {
        let f = HidingFolders::new(["Conversation History"]);
        assert_eq!(
            f.matching_segment("bob:\\Conversation history\\x"),
            Some("Conversation history")
        );
        assert_eq!(f.matching_segment("History"), None);
        assert!(!HidingFolders::new(Vec::<String>::new()).matches("RSS Feeds"));
    }
}
