//! Damage done to a valid file, as a fuzz input describes it (shared by the targets that damage
//! real snapshots and databases, not a target itself).

/// `bytes` with bytes overwritten from `edits`: (position as a 16-bit share of the length,
/// value) triples, so any input lands inside the file whatever its size.
pub fn damaged(bytes: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    for e in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]])) * out.len() / 65_536;
        out[at] = e[2];
    }
    out
}
