//! Deterministic ids: a stable 64-bit hash (FNV-1a) of the parts that make a thing itself.
//!
//! Never random and never `std`'s `RandomState`: the same logs must give the same ids on every
//! machine and every run.

use std::fmt;

use serde::{Deserialize, Serialize};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `parts`, with a separator byte between parts so `("ab","c")` ≠ `("a","bc")`.
///
/// ```
/// use palisade_core::stable_hash;
/// assert_eq!(stable_hash(&["a", "b"]), stable_hash(&["a", "b"]));
/// assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
/// ```
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h = FNV_OFFSET;
    for part in parts {
        for b in part.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        h ^= 0xff;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// `"<prefix>-<16 lowercase hex digits>"`, written without the formatting machinery: a finding
/// id is made for every finding.
fn hex_id(prefix: &str, h: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(prefix.len() + 17);
    s.push_str(prefix);
    s.push('-');
    for shift in (0..16).rev() {
        s.push(char::from(HEX[((h >> (shift * 4)) & 0xf) as usize]));
    }
    s
}

macro_rules! hashed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id derived from `parts` (deterministic).
            pub fn derive(parts: &[&str]) -> Self {
                $name(hex_id($prefix, stable_hash(parts)))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

hashed_id!(
    /// A finding's id: a hash of the detector, the key it is about (identity, spraying IP ...) and
    /// its first evidence id.
    ///
    /// ```
    /// use palisade_core::FindingId;
    /// let id = FindingId::derive(&["mfa_fatigue", "alice@x.com", "evt-1"]);
    /// assert_eq!(id, FindingId::derive(&["mfa_fatigue", "alice@x.com", "evt-1"]));
    /// assert!(id.as_str().starts_with("f-"));
    /// ```
    FindingId,
    "f"
);
hashed_id!(
    /// An incident's id: a hash of the first finding that opened it.
    ///
    /// ```
    /// let id = palisade_core::IncidentId::derive(&["f-0123"]);
    /// assert!(id.as_str().starts_with("i-"));
    /// ```
    IncidentId,
    "i"
);
hashed_id!(
    /// A decision's id: a hash of its incident and the incident revision it answers.
    ///
    /// ```
    /// let id = palisade_core::DecisionId::derive(&["i-0123", "1"]);
    /// assert!(id.as_str().starts_with("d-"));
    /// ```
    DecisionId,
    "d"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_prefix_and_sixteen_hex_digits() {
        for h in [0, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef] {
            assert_eq!(hex_id("f", h), format!("f-{h:016x}"));
        }
        let parts = ["mfa_fatigue", "alice@x.com", "evt-1"];
        assert_eq!(
            FindingId::derive(&parts).as_str(),
            format!("f-{:016x}", stable_hash(&parts))
        );
    }
}
