//! Who acted: the normalized identity key that joins one person's events across vendors.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A normalized identity: the vendor's login (Okta `alternateId`, Entra `userPrincipalName`,
/// M365 `UserId`, ...) trimmed, Unicode NFC-normalized and lowercased.
///
/// Look-alike characters are never folded into plain ones: `аlice` with a Cyrillic `а` is a
/// different identity from `alice`, because an attacker registering the look-alike is a different
/// person.
///
/// ```
/// use palisade_schema::IdentityKey;
/// assert_eq!(IdentityKey::new("  Alice@Contoso.COM ").as_str(), "alice@contoso.com");
/// // "e" + combining acute accent is NFC-composed into "é".
/// assert_eq!(IdentityKey::new("Ame\u{301}lie@x.fr"), IdentityKey::new("am\u{e9}lie@x.fr"));
/// // A Cyrillic "а" stays a different identity.
/// assert_ne!(IdentityKey::new("\u{430}lice@x.com"), IdentityKey::new("alice@x.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct IdentityKey(String);

impl IdentityKey {
    /// Normalizes a vendor login into a key.
    pub fn new(raw: &str) -> Self {
        let trimmed = raw.trim();
        // Fast path: plain ASCII needs only lowercasing (NFC leaves ASCII unchanged).
        if trimmed.is_ascii() {
            return IdentityKey(trimmed.to_ascii_lowercase());
        }
        let nfc: String = trimmed.nfc().collect();
        // Lowercasing can produce decomposed sequences (e.g. U+0130), so re-compose.
        IdentityKey(nfc.to_lowercase().nfc().collect())
    }

    /// The normalized key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the last `@`, if the key looks like an address.
    ///
    /// ```
    /// use palisade_schema::IdentityKey;
    /// assert_eq!(IdentityKey::new("bob@contoso.com").domain(), Some("contoso.com"));
    /// assert_eq!(IdentityKey::new("bob").domain(), None);
    /// ```
    pub fn domain(&self) -> Option<&str> {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d)
            .filter(|d| !d.is_empty())
    }

    /// Whether the key is empty after normalization (such events have no usable actor).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for IdentityKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(IdentityKey::new(&s))
    }
}

impl fmt::Display for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for IdentityKey {
    fn from(raw: &str) -> Self {
        IdentityKey::new(raw)
    }
}

/// An identity as an event names it: the normalized key plus what the vendor itself calls it.
///
/// ```
/// use palisade_schema::Identity;
/// let who = Identity::new("Alice@Contoso.com").with_vendor_id("00u1abcd");
/// assert_eq!(who.key.as_str(), "alice@contoso.com");
/// assert_eq!(who.vendor_id.as_deref(), Some("00u1abcd"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// The normalized key every stage joins on.
    pub key: IdentityKey,
    /// The vendor's own user id (Okta `actor.id`, Entra `userId`, Duo `user.key`), kept beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// A display name, when the vendor gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Identity {
    /// An identity from a vendor login.
    pub fn new(login: &str) -> Self {
        Identity {
            key: IdentityKey::new(login),
            vendor_id: None,
            display_name: None,
        }
    }

    /// The same identity with the vendor's user id attached.
    pub fn with_vendor_id(mut self, id: impl Into<String>) -> Self {
        self.vendor_id = Some(id.into());
        self
    }

    /// The same identity with a display name attached.
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_dotted_capital_i_is_stable() {
        // U+0130 lowercases to "i" + U+0307; NFC keeps that pair, and it stays stable on re-keying.
        let k = IdentityKey::new("\u{130}stanbul@x.tr");
        assert_eq!(IdentityKey::new(k.as_str()), k);
    }

    #[test]
    fn deserialize_normalizes() {
        let k: IdentityKey = serde_json::from_str("\" BOB@X.COM\"").unwrap();
        assert_eq!(k.as_str(), "bob@x.com");
    }
}
