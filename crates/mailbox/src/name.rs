//! Rule names as an analyst would read them: look-alikes folded, invisible characters removed, and
//! the verdict on whether a name is there to hide the rule.
//!
//! Attackers name their rules ".", "..", "," or " " so that the rule list looks empty, and they
//! reach for look-alikes ("․" U+2024 one dot leader, "。" U+3002, "．" U+FF0E) and invisible
//! characters (U+200B zero-width space) when a detection matches the plain ASCII names. Judging the
//! normalized name closes that gap.

use unicode_normalization::UnicodeNormalization;

/// Why a rule name hides the rule.
///
/// ```
/// use palisade_mailbox::{name_concealment, NameConcealment};
/// assert_eq!(name_concealment("."), Some(NameConcealment::PunctuationOnly));
/// assert_eq!(name_concealment("\u{200B}"), Some(NameConcealment::Empty));
/// assert_eq!(name_concealment("x"), Some(NameConcealment::SingleCharacter));
/// assert_eq!(name_concealment("Newsletters"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameConcealment {
    /// Nothing visible: empty, spaces only, or invisible characters only.
    Empty,
    /// Only punctuation or symbols (".", "..", ",", "-", "※"), once look-alikes are folded.
    PunctuationOnly,
    /// One letter or digit.
    SingleCharacter,
    /// A readable name with invisible characters or look-alikes mixed in ("News\u{200B}letter").
    Disguised,
}

impl NameConcealment {
    /// A short phrase for summaries.
    ///
    /// ```
    /// assert_eq!(palisade_mailbox::NameConcealment::PunctuationOnly.describe(), "a name of punctuation only");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            NameConcealment::Empty => "an empty or invisible name",
            NameConcealment::PunctuationOnly => "a name of punctuation only",
            NameConcealment::SingleCharacter => "a one-character name",
            NameConcealment::Disguised => "a name with invisible or look-alike characters",
        }
    }
}

/// The name an analyst would read: compatibility-normalized (NFKC), dot, comma and dash
/// look-alikes folded to `.`, `,` and `-`, invisible characters (zero-width, bidi controls,
/// variation selectors, blank fillers, controls) removed, every Unicode space made a plain space,
/// runs of spaces collapsed and the ends trimmed.
///
/// Letters are never folded into other letters (a Cyrillic "а" stays itself): only punctuation and
/// spacing, where look-alikes serve nothing but hiding, are folded.
///
/// ```
/// use palisade_mailbox::normalize_rule_name;
/// assert_eq!(normalize_rule_name("\u{2024}"), ".");        // one dot leader
/// assert_eq!(normalize_rule_name("\u{3002}"), ".");        // ideographic full stop
/// assert_eq!(normalize_rule_name("\u{FF0E}\u{FF0E}"), ".."); // full-width full stops
/// assert_eq!(normalize_rule_name("a\u{200B}b"), "ab");     // zero-width space removed
/// assert_eq!(normalize_rule_name("\u{A0}Team\u{A0}\u{A0}mail "), "Team mail");
/// ```
pub fn normalize_rule_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    // Invisible characters go before composition too, so that "e", U+200B, U+0301 composes into
    // "é" exactly as it will when the result is normalized again.
    let visible = raw.chars().filter(|c| !is_invisible(*c));
    for c in visible.nfkc() {
        let c = match fold_punctuation(c) {
            Some(p) => p,
            None if is_invisible(c) => continue,
            None if c.is_whitespace() || c.is_control() => {
                pending_space = true;
                continue;
            }
            None => c,
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// Whether `raw` is a name chosen to hide its rule, and how; `None` for an ordinary name.
///
/// A name is judged after [`normalize_rule_name`]; a readable name that only became readable by
/// dropping invisible characters or folding look-alikes is [`NameConcealment::Disguised`].
///
/// ```
/// use palisade_mailbox::{name_concealment, NameConcealment};
/// assert_eq!(name_concealment("\u{3002}\u{3002}"), Some(NameConcealment::PunctuationOnly));
/// assert_eq!(name_concealment("  "), Some(NameConcealment::Empty));
/// assert_eq!(name_concealment("Inv\u{200D}oices"), Some(NameConcealment::Disguised));
/// // Plain spacing differences are not a disguise.
/// assert_eq!(name_concealment(" Tickets\u{A0}"), None);
/// ```
pub fn name_concealment(raw: &str) -> Option<NameConcealment> {
    let normalized = normalize_rule_name(raw);
    let mut chars = normalized.chars();
    match (chars.next(), chars.next()) {
        (None, _) => return Some(NameConcealment::Empty),
        (Some(c), None) if c.is_alphanumeric() => return Some(NameConcealment::SingleCharacter),
        _ => {}
    }
    if !normalized.chars().any(char::is_alphanumeric) {
        return Some(NameConcealment::PunctuationOnly);
    }
    let disguised = raw
        .chars()
        .any(|c| is_invisible(c) || fold_punctuation(c).is_some_and(|p| p != c));
    disguised.then_some(NameConcealment::Disguised)
}

/// Punctuation look-alikes that survive NFKC, folded to the ASCII mark they imitate.
fn fold_punctuation(c: char) -> Option<char> {
    match c {
        '.' | ',' | '-' => Some(c),
        // Full stops and dots: ideographic and halfwidth ideographic full stop, one dot leader
        // (NFKC already maps it, kept for clarity), middle dots, bullets and dot operators,
        // other scripts' full stops that render as a dot.
        '\u{3002}' | '\u{FF61}' | '\u{2024}' | '\u{FE52}' | '\u{FF0E}' | '\u{00B7}'
        | '\u{0387}' | '\u{2027}' | '\u{2E31}' | '\u{2E33}' | '\u{2E3C}' | '\u{2219}'
        | '\u{22C5}' | '\u{30FB}' | '\u{FF65}' | '\u{0589}' | '\u{06D4}' | '\u{0701}'
        | '\u{0702}' | '\u{1362}' | '\u{166E}' | '\u{1803}' | '\u{1809}' | '\u{A4F8}'
        | '\u{A60E}' | '\u{A6F3}' | '\u{10A56}' | '\u{1D16D}' => Some('.'),
        // Commas: ideographic, Arabic, small and full-width commas, low-9 quotation mark.
        '\u{3001}' | '\u{FF64}' | '\u{060C}' | '\u{FE50}' | '\u{FE51}' | '\u{FF0C}'
        | '\u{201A}' | '\u{A4F9}' | '\u{2E34}' | '\u{2E41}' => Some(','),
        // Hyphens and dashes: the General Punctuation dashes, minus sign, small and full-width
        // hyphen-minus, hyphen bullet, Armenian hyphen, Mongolian todo hyphen.
        '\u{2010}'..='\u{2015}'
        | '\u{2212}'
        | '\u{2043}'
        | '\u{FE58}'
        | '\u{FE63}'
        | '\u{FF0D}'
        | '\u{058A}'
        | '\u{1806}'
        | '\u{2E3A}'
        | '\u{2E3B}'
        | '\u{30FC}'
        | '\u{FF70}' => Some('-'),
        _ => None,
    }
}

/// Characters that render as nothing (or as blank space that is not whitespace to Unicode).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        // Soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer
        // inherent vowels, Mongolian vowel separator and free variation selectors.
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        // Zero-width space, non-joiner, joiner, LRM, RLM; bidi embeddings and overrides.
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        // Word joiner, invisible operators, bidi isolates, deprecated format characters.
        | '\u{2060}'..='\u{206F}'
        // Braille blank, Hangul filler, variation selectors, BOM / zero-width no-break space.
        | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        // Interlinear annotation marks, shorthand format controls, musical format controls.
        | '\u{FFF9}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        // Tag characters and supplementary variation selectors.
        | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Renders a name for a summary: as given, with invisible and space-like characters other than a
/// plain space spelled out (`\u{200b}`), so the analyst sees what the attacker typed.
pub(crate) fn display_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars().take(200) {
        if c != ' ' && (is_invisible(c) || c.is_whitespace() || c.is_control()) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else if c == '\'' {
            out.push_str("\\'");
        } else {
            out.push(c);
        }
    }
    if raw.chars().nth(200).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_look_alikes_become_a_full_stop() {
        for c in [
            '\u{2024}', '\u{3002}', '\u{FF0E}', '\u{FE52}', '\u{FF61}', '\u{2E31}', '\u{B7}',
        ] {
            assert_eq!(
                normalize_rule_name(&c.to_string()),
                ".",
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn comma_and_dash_look_alikes_fold() {
        assert_eq!(normalize_rule_name("\u{3001}"), ",");
        assert_eq!(normalize_rule_name("\u{FF0C}"), ",");
        assert_eq!(normalize_rule_name("\u{2013}"), "-");
        assert_eq!(normalize_rule_name("\u{2212}\u{2014}"), "--");
    }

    #[test]
    fn invisible_characters_are_removed() {
        for c in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{202E}', '\u{3164}',
        ] {
            assert_eq!(
                normalize_rule_name(&format!("a{c}b")),
                "ab",
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn unicode_spaces_become_plain_spaces_trimmed_and_collapsed() {
        assert_eq!(normalize_rule_name("\u{A0}"), "");
        assert_eq!(normalize_rule_name("a\u{A0}b"), "a b");
        assert_eq!(
            normalize_rule_name("\u{3000}a\u{2003}\u{2009}\tb\u{202F}"),
            "a b"
        );
        assert_eq!(normalize_rule_name("a\u{200B} \u{200B}b"), "a b");
    }

    #[test]
    fn letters_are_not_folded() {
        // Cyrillic а stays itself: look-alike letters are another matter than hiding punctuation.
        assert_eq!(normalize_rule_name("\u{430}"), "\u{430}");
    }

    #[test]
    fn verdicts() {
        assert_eq!(name_concealment(""), Some(NameConcealment::Empty));
        assert_eq!(
            name_concealment("\u{A0}\u{200B}"),
            Some(NameConcealment::Empty)
        );
        for n in [".", "..", ",", "-", "\u{2024}", "\u{FF0E}", ". .", "※", "_"] {
            assert_eq!(
                name_concealment(n),
                Some(NameConcealment::PunctuationOnly),
                "{n:?}"
            );
        }
        assert_eq!(
            name_concealment("a"),
            Some(NameConcealment::SingleCharacter)
        );
        assert_eq!(
            name_concealment(" 7 "),
            Some(NameConcealment::SingleCharacter)
        );
        assert_eq!(name_concealment("Newsletters"), None);
        assert_eq!(name_concealment("Move to Archive"), None);
        assert_eq!(
            name_concealment("Invoice\u{200B}s"),
            Some(NameConcealment::Disguised)
        );
    }

    #[test]
    fn display_spells_out_invisibles() {
        assert_eq!(display_name("."), ".");
        assert_eq!(display_name("\u{200B}"), "\\u{200b}");
        assert_eq!(display_name("it's"), "it\\'s");
        assert_eq!(display_name("a b"), "a b");
    }
}
