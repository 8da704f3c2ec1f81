//! Country names to ISO 3166-1 alpha-2 codes.
//!
//! `Origin::country` is an ISO code, but vendors disagree: Entra, Google and OCSF give `"FR"`,
//! Okta and Duo print the geolocation provider's English name (`"France"`, `"Russia"`,
//! `"Korea, Republic of"`). Without one spelling, a user's usual country looks new the first time
//! another source reports it, and every baseline, travel label and country comparison downstream
//! would be wrong.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::country_names::{CODES, NAMES};

/// The ISO 3166-1 alpha-2 code for a country name or code, or the trimmed text as given when it
/// is neither (so nothing the vendor said is lost). `None` for empty text.
///
/// Names are matched without case, accents or punctuation.
///
/// ```
/// use palisade_ingest::country_code;
/// assert_eq!(country_code("France").as_deref(), Some("FR"));
/// assert_eq!(country_code("united states").as_deref(), Some("US"));
/// assert_eq!(country_code("Korea, Republic of").as_deref(), Some("KR"));
/// assert_eq!(country_code("Côte d'Ivoire").as_deref(), Some("CI"));
/// assert_eq!(country_code("de").as_deref(), Some("DE"));
/// assert_eq!(country_code("Atlantis").as_deref(), Some("Atlantis"));
/// assert_eq!(country_code("  "), None);
/// ```
pub fn country_code(text: &str) -> Option<String> {
    let text = text.trim();
    // A country has a name with letters in it; `-` and `--` are placeholders for unknown
    // (Duo prints `-` where it could not locate an address).
    if !text.chars().any(char::is_alphabetic) {
        return None;
    }
    if let [a, b] = *text.as_bytes() {
        let upper = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
        if let Some(code) = index().codes.get(&upper[..]) {
            return Some((*code).to_owned());
        }
    }
    // Vendors print plain ASCII names (`United States`), folded here without an allocation.
    let mut buf = [0u8; 4 * MAX_ASCII_NAME];
    let owned;
    let key = match fold_ascii(text, &mut buf) {
        Some(key) => key,
        None => {
            owned = fold(text);
            owned.as_bytes()
        }
    };
    match index().names.get(key) {
        Some(code) => Some((*code).to_owned()),
        None => Some(text.to_owned()),
    }
}

/// The tables as hash maps, built on first use: a binary search over some seven hundred names
/// mispredicted a branch at nearly every step, on every event that names a country. Keys are a
/// few trusted bytes, so the fast word-at-a-time hasher fits (SipHash's set-up would cost more
/// than the lookup).
struct Index {
    codes: FxHashMap<&'static [u8], &'static str>,
    names: FxHashMap<&'static [u8], &'static str>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| Index {
        codes: CODES.iter().map(|c| (c.as_bytes(), *c)).collect(),
        names: NAMES.iter().map(|(n, c)| (n.as_bytes(), *c)).collect(),
    })
}

/// The longest name [`fold_ascii`] takes; folding writes at most four bytes per input byte
/// (`&` becomes ` and`).
const MAX_ASCII_NAME: usize = 64;

/// [`fold`] for ASCII text of at most [`MAX_ASCII_NAME`] bytes, into `buf`; `None` for any
/// other text.
fn fold_ascii<'b>(text: &str, buf: &'b mut [u8; 4 * MAX_ASCII_NAME]) -> Option<&'b [u8]> {
    if text.len() > MAX_ASCII_NAME || !text.is_ascii() {
        return None;
    }
    let mut len = 0;
    let mut space = false;
    for c in text.bytes().map(|c| c.to_ascii_lowercase()) {
        if c == b'&' {
            if len > 0 {
                buf[len] = b' ';
                len += 1;
            }
            buf[len..len + 3].copy_from_slice(b"and");
            len += 3;
            space = true;
        } else if c.is_ascii_alphanumeric() {
            if space && len > 0 {
                buf[len] = b' ';
                len += 1;
            }
            space = false;
            buf[len] = c;
            len += 1;
        } else {
            space = true;
        }
    }
    Some(&buf[..len])
}

/// Lowercase ASCII letters and digits, one space between words; the accented Latin letters that
/// country names use lose their accents.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        };
        if c == '&' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("and");
            space = true;
        } else if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{country_code, fold, fold_ascii, CODES, MAX_ASCII_NAME, NAMES};

    #[test]
    fn tables_are_sorted_for_binary_search_and_name_only_known_codes() {
        assert!(NAMES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CODES.windows(2).all(|w| w[0] < w[1]));
        for (name, code) in NAMES {
            assert_eq!(fold(name), *name, "table keys are folded");
            assert!(CODES.binary_search(code).is_ok(), "{name} -> {code}");
        }
    }

    #[test]
    fn vendor_spellings_of_one_country_agree() {
        for (spellings, code) in [
            (
                &["United States", "United States of America", "US", "us"][..],
                "US",
            ),
            (&["United Kingdom", "UK", "GB"], "GB"),
            (&["Russia", "Russian Federation"], "RU"),
            (&["Türkiye", "Turkey", "Turkiye"], "TR"),
            (&["Czechia", "Czech Republic"], "CZ"),
            (&["Bosnia & Herzegovina", "Bosnia and Herzegovina"], "BA"),
            (&["Netherlands", "The Netherlands"], "NL"),
            (&["Australia", "AUSTRALIA", " australia "], "AU"),
        ] {
            for s in spellings {
                assert_eq!(country_code(s).as_deref(), Some(code), "{s}");
            }
        }
    }

    #[test]
    fn ascii_folding_matches_the_general_folding() {
        for text in [
            "United States",
            "  Korea,  Republic of ",
            "Bosnia & Herzegovina",
            "&&x",
            "a&&b",
            "& ",
            "St. Kitts-and-Nevis",
            "",
            "---",
            "A1 b2",
        ] {
            let mut buf = [0u8; 4 * MAX_ASCII_NAME];
            let fast = fold_ascii(text, &mut buf).map(<[u8]>::to_vec);
            assert_eq!(fast, Some(fold(text).into_bytes()), "{text:?}");
        }
        let long = "&".repeat(MAX_ASCII_NAME);
        let mut buf = [0u8; 4 * MAX_ASCII_NAME];
        assert_eq!(
            fold_ascii(&long, &mut buf).map(<[u8]>::to_vec),
            Some(fold(&long).into_bytes())
        );
        assert!(fold_ascii(&format!("{long}&"), &mut buf).is_none());
        assert!(fold_ascii("Türkiye", &mut buf).is_none());
    }

    #[test]
    fn unknown_text_is_kept_and_odd_text_does_not_panic() {
        assert_eq!(country_code("ZZ").as_deref(), Some("ZZ"));
        assert_eq!(country_code("Unknown").as_deref(), Some("Unknown"));
        for odd in ["\u{0}", "é", "İstanbul", "---", "🇫🇷", "a\u{301}"] {
            let _ = country_code(odd);
        }
    }
}
