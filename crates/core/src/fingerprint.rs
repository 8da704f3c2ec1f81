//! A 128-bit fingerprint of a key, so that per-identity state can be keyed by plain integers.

/// A 128-bit fingerprint of `s` started from `seed` (two independent multiply-rotate lanes over
/// 8-byte words), used as the in-memory key of per-identity state so that a lookup never chases
/// the key's heap buffer. Two different keys collide with probability about n² / 2¹²⁹; a store
/// that picks a secret random seed also makes collisions impossible to aim. In-memory only
/// (snapshots keep the keys themselves), so it may change between versions.
///
/// ```
/// use palisade_core::fingerprint;
/// let seed = [7, 11];
/// assert_eq!(fingerprint(seed, "alice@contoso.com"), fingerprint(seed, "alice@contoso.com"));
/// assert_ne!(fingerprint(seed, "alice@contoso.com"), fingerprint(seed, "alice@contoso.co"));
/// assert_ne!(fingerprint(seed, "alice@contoso.com"), fingerprint([7, 12], "alice@contoso.com"));
/// ```
pub fn fingerprint(seed: [u64; 2], s: &str) -> u128 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let bytes = s.as_bytes();
    let n = bytes.len();
    let [mut a, mut b] = seed;
    let mut mix = |w: u64| {
        a = (a.rotate_left(5) ^ w).wrapping_mul(K1);
        b = (b.rotate_left(23) ^ w).wrapping_mul(K2);
    };
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let half = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let mut at = 0;
    while at + 8 <= n {
        mix(word(at));
        at += 8;
    }
    // The tail, read without a variable-length copy: the last 8 bytes (overlapping the words
    // above), or two overlapping halves, or three bytes; with the length, every byte counts.
    let tail = if n >= 8 {
        word(n - 8)
    } else if n >= 4 {
        half(0) | (half(n - 4) << 32)
    } else if n > 0 {
        u64::from(bytes[0]) | (u64::from(bytes[n / 2]) << 8) | (u64::from(bytes[n - 1]) << 16)
    } else {
        0
    };
    mix(tail ^ ((n as u64) << 56));
    // Final avalanche of each lane.
    let fin = |mut z: u64| {
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    };
    (u128::from(fin(a)) << 64) | u128::from(fin(b ^ a.rotate_left(17)))
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    const SEED: [u64; 2] = [1, 2];
    use std::collections::HashSet;

    #[test]
    fn every_byte_and_the_length_count() {
        let mut seen = HashSet::new();
        let words = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "acb",
            "abcd",
            "abce",
            "abcdefg",
            "abcdefh",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
            "abcdefghj",
            "xbcdefghi",
            "a\0",
            "a\0\0",
        ];
        for w in words {
            assert!(seen.insert(fingerprint(SEED, w)), "{w:?}");
        }
        for i in 0..2_000 {
            assert!(seen.insert(fingerprint(SEED, &format!("user{i}@corp.example"))));
        }
    }
}
