//! Which mail domains are the organisation's: configured ones, plus ones learned from the
//! identities seen, in a bounded table.

use std::collections::BTreeMap;

use palisade_core::stable_hash;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// The domain of a mail address as the detector compares it: after the last `@`, lowercased and
/// NFC-normalized, with an `smtp:` prefix, angle brackets, quotes and a trailing dot removed.
/// `None` when the text is not an address (a display name, an Exchange legacy DN).
///
/// Look-alike letters are not folded: `cοntoso.com` with a Greek omicron is another domain.
///
/// ```
/// use palisade_mailbox::address_domain;
/// assert_eq!(address_domain("Bob@Contoso.COM").as_deref(), Some("contoso.com"));
/// assert_eq!(address_domain("SMTP:<eve@evil.example.>").as_deref(), Some("evil.example"));
/// assert_eq!(address_domain("Bob Smith"), None);
/// ```
pub fn address_domain(address: &str) -> Option<String> {
    let a = address.trim();
    let a = match a.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("smtp:") => &a[5..],
        _ => a,
    };
    let a = a
        .trim_matches(|c: char| c == '<' || c == '>' || c == '"' || c == '\'' || c.is_whitespace());
    let (local, domain) = a.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if !plausible {
        return None;
    }
    if domain.is_ascii() {
        return Some(domain.to_ascii_lowercase());
    }
    Some(
        domain
            .nfc()
            .collect::<String>()
            .to_lowercase()
            .nfc()
            .collect(),
    )
}

/// Whether `domain` is `org` or a subdomain of it.
fn within(domain: &str, org: &str) -> bool {
    domain == org
        || (domain.len() > org.len()
            && domain.ends_with(org)
            && domain.as_bytes()[domain.len() - org.len() - 1] == b'.')
}

/// A learned or candidate domain: the distinct identities seen using it (hashes, capped at the
/// learning threshold).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tally {
    pub(crate) identities: Vec<u64>,
}

/// The organisation's domains: configured, plus learned.
#[derive(Clone, Debug)]
pub(crate) struct OrgDomains {
    configured: Vec<String>,
    public: Vec<String>,
    learn: bool,
    min_identities: usize,
    max_domains: usize,
    pub(crate) tallies: BTreeMap<String, Tally>,
    /// Domains not tracked because the table was full.
    pub(crate) ignored: u64,
}

impl OrgDomains {
    pub(crate) fn new(
        configured: &[String],
        public: &[String],
        learn: bool,
        min_identities: usize,
        max_domains: usize,
    ) -> Self {
        let norm = |list: &[String]| {
            let mut v: Vec<String> = list
                .iter()
                .filter_map(|d| address_domain(&format!("x@{}", d.trim().trim_start_matches('@'))))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let configured = norm(configured);
        // A domain the operator named as the organisation's wins over the public list.
        let public = norm(public)
            .into_iter()
            .filter(|d| !configured.contains(d))
            .collect();
        OrgDomains {
            configured,
            public,
            learn,
            min_identities: min_identities.max(1),
            max_domains,
            tallies: BTreeMap::new(),
            ignored: 0,
        }
    }

    fn is_public(&self, domain: &str) -> bool {
        self.public
            .binary_search_by(|p| p.as_str().cmp(domain))
            .is_ok()
    }

    /// Counts `identity` (a normalized identity key) as a user of its domain.
    pub(crate) fn observe(&mut self, identity: &str) {
        if !self.learn {
            return;
        }
        let Some((_, raw)) = identity.rsplit_once('@') else {
            return;
        };
        // Most events come from identities of an already learned domain: settle those without
        // allocating (identity keys are already lowercased and NFC-normalized).
        if self
            .tallies
            .get(raw)
            .is_some_and(|t| t.identities.len() >= self.min_identities)
        {
            return;
        }
        if let Some(domain) = address_domain(identity) {
            self.count(domain, stable_hash(&[identity]));
        }
    }

    fn count(&mut self, domain: String, who: u64) {
        if self.is_public(&domain) {
            return;
        }
        let full = self.tallies.len() >= self.max_domains;
        match self.tallies.get_mut(&domain) {
            Some(t) => {
                if t.identities.len() < self.min_identities && !t.identities.contains(&who) {
                    t.identities.push(who);
                }
            }
            None if full => self.ignored += 1,
            None => {
                self.tallies.insert(
                    domain,
                    Tally {
                        identities: vec![who],
                    },
                );
            }
        }
    }

    /// Whether `domain` belongs to the organisation, or is the owner's own domain.
    pub(crate) fn is_internal(&self, domain: &str, owner_domain: Option<&str>) -> bool {
        if self.is_public(domain) {
            // A personal address at a webmail provider is never "inside", even the owner's own.
            return false;
        }
        if owner_domain.is_some_and(|o| within(domain, o)) {
            return true;
        }
        if self.configured.iter().any(|o| within(domain, o)) {
            return true;
        }
        self.tallies
            .iter()
            .filter(|(_, t)| t.identities.len() >= self.min_identities)
            .any(|(o, _)| within(domain, o))
    }

    /// Drops `identity` from candidate domains not yet learned (a learned domain stays learned: it
    /// is the organisation's knowledge, not the identity's).
    pub(crate) fn forget(&mut self, identity: &str) {
        let who = stable_hash(&[identity]);
        let min = self.min_identities;
        self.tallies.retain(|_, t| {
            if t.identities.len() < min {
                t.identities.retain(|h| *h != who);
            }
            !t.identities.is_empty()
        });
    }

    pub(crate) fn state_bytes(&self) -> usize {
        self.tallies
            .iter()
            .map(|(d, t)| d.capacity() + t.identities.capacity() * 8 + 48)
            .sum::<usize>()
    }

    /// The learned domains, sorted.
    pub(crate) fn learned(&self) -> impl Iterator<Item = &str> {
        self.tallies
            .iter()
            .filter(|(_, t)| t.identities.len() >= self.min_identities)
            .map(|(d, _)| d.as_str())
    }

    /// Replaces the learned table after checking it against this configuration's bounds.
    pub(crate) fn restore(
        &mut self,
        tallies: BTreeMap<String, Tally>,
        ignored: u64,
    ) -> Result<(), String> {
        if tallies.len() > self.max_domains {
            return Err(format!(
                "{} domains in snapshot, configuration allows {}",
                tallies.len(),
                self.max_domains
            ));
        }
        if tallies
            .values()
            .any(|t| t.identities.is_empty() || t.identities.len() > self.min_identities)
        {
            return Err("domain tally out of range".into());
        }
        self.tallies = tallies;
        self.ignored = ignored;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(configured: &[&str]) -> OrgDomains {
        let c: Vec<String> = configured.iter().map(|s| s.to_string()).collect();
        OrgDomains::new(&c, &["gmail.com".into()], true, 2, 3)
    }

    #[test]
    fn domains_parse_strictly() {
        assert_eq!(address_domain("a@b"), None);
        assert_eq!(address_domain("@b.com"), None);
        assert_eq!(address_domain("a@b..com"), None);
        assert_eq!(address_domain("a@b com.x"), None);
        assert_eq!(
            address_domain("/o=EXAMPLE/ou=Exchange/cn=Recipients/cn=bob"),
            None
        );
        assert_eq!(
            address_domain("smtp:Eve@Evil.Example").as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            address_domain("a@MÜNCHEN.de").as_deref(),
            Some("münchen.de")
        );
    }

    #[test]
    fn subdomains_are_within() {
        assert!(within("eu.contoso.com", "contoso.com"));
        assert!(within("contoso.com", "contoso.com"));
        assert!(!within("evilcontoso.com", "contoso.com"));
        assert!(!within("contoso.com.evil.example", "contoso.com"));
    }

    #[test]
    fn configured_and_owner_domains_are_internal() {
        let o = org(&["contoso.com"]);
        assert!(o.is_internal("contoso.com", None));
        assert!(o.is_internal("mail.contoso.com", None));
        assert!(!o.is_internal("fabrikam.com", None));
        assert!(o.is_internal("fabrikam.com", Some("fabrikam.com")));
        assert!(!o.is_internal("gmail.com", Some("gmail.com")));
    }

    #[test]
    fn learning_needs_distinct_identities_and_is_bounded() {
        let mut o = org(&[]);
        o.observe("a@contoso.com");
        o.observe("a@contoso.com");
        assert!(
            !o.is_internal("contoso.com", None),
            "one identity is not enough"
        );
        o.observe("b@contoso.com");
        assert!(o.is_internal("contoso.com", None));
        o.observe("x@gmail.com");
        o.observe("y@gmail.com");
        assert!(
            !o.is_internal("gmail.com", None),
            "public domains are never learned"
        );
        for d in ["one.example", "two.example", "three.example"] {
            o.observe(&format!("u@{d}"));
        }
        assert_eq!(o.tallies.len(), 3);
        assert_eq!(o.ignored, 1);
    }

    #[test]
    fn forget_drops_pending_candidates_only() {
        let mut o = org(&[]);
        o.observe("a@contoso.com");
        o.observe("b@contoso.com");
        o.observe("c@fabrikam.com");
        o.forget("c@fabrikam.com");
        o.forget("a@contoso.com");
        assert_eq!(o.tallies.len(), 1);
        assert!(o.is_internal("contoso.com", None));
    }
}
