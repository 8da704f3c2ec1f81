//! Country names to ISO 3166-1 alpha-2 codes.
//!
//! `Origin::country` is an ISO code, but vendors disagree: Entra, Google and OCSF give `"FR"`,
//! Okta and Duo print the geolocation provider's English name (`"France"`, `"Russia"`,
//! `"Korea, Republic of"`). Without one spelling, a user's usual country looks new the first time
//! another source reports it, and every baseline, travel label and country comparison downstream
//! would be wrong.

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
    if text.is_empty() {
        return None;
    }
    if text.len() == 2 && text.is_ascii() {
        let upper = text.to_ascii_uppercase();
        if CODES.binary_search(&upper.as_str()).is_ok() {
            return Some(upper);
        }
    }
    let key = fold(text);
    match NAMES.binary_search_by(|(name, _)| (*name).cmp(key.as_str())) {
        Ok(i) => Some(NAMES[i].1.to_owned()),
        Err(_) => Some(text.to_owned()),
    }
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
    use super::{country_code, fold, CODES, NAMES};

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
    fn unknown_text_is_kept_and_odd_text_does_not_panic() {
        assert_eq!(country_code("ZZ").as_deref(), Some("ZZ"));
        assert_eq!(country_code("Unknown").as_deref(), Some("Unknown"));
        for odd in ["\u{0}", "é", "İstanbul", "---", "🇫🇷", "a\u{301}"] {
            let _ = country_code(odd);
        }
    }
}
