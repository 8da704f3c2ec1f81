//! A 128-bit fingerprint of an identity key, so per-identity state is keyed by a plain integer.

/// A 128-bit fingerprint of a string (two independent multiply-rotate lanes over 8-byte words),
/// used as the in-memory key of per-identity state so that a lookup never chases the key's
/// heap buffer. Two different identities collide with probability about n² / 2¹²⁹.
pub(crate) fn fingerprint(s: &str) -> u128 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let (mut a, mut b) = (0x243f_6a88_85a3_08d3_u64, 0x1319_8a2e_0370_7344_u64);
    let bytes = s.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        a = (a.rotate_left(5) ^ w).wrapping_mul(K1);
        b = (b.rotate_left(23) ^ w).wrapping_mul(K2);
    }
    let rest = chunks.remainder();
    let mut w = [0u8; 8];
    w[..rest.len()].copy_from_slice(rest);
    let w = u64::from_le_bytes(w) ^ ((bytes.len() as u64) << 56);
    a = (a.rotate_left(5) ^ w).wrapping_mul(K1);
    b = (b.rotate_left(23) ^ w).wrapping_mul(K2);
    // Final avalanche of each lane.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        z ^ (z >> 33)
    };
    (u128::from(mix(a)) << 64) | u128::from(mix(b ^ a.rotate_left(17)))
}
