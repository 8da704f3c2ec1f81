//! Length-prefixed framing for composite snapshots (a `Vec` of detectors, a whole pipeline).

use crate::Error;

/// Joins byte chunks into one buffer: a u32 count, then each chunk as u32 length + bytes (LE).
///
/// ```
/// use palisade_core::{encode_frames, decode_frames};
/// let buf = encode_frames(&[b"ab".as_slice(), b"".as_slice(), b"xyz".as_slice()]);
/// assert_eq!(decode_frames(&buf).unwrap(), vec![b"ab".as_slice(), b"".as_slice(), b"xyz".as_slice()]);
/// assert!(decode_frames(&buf[..buf.len() - 1]).is_err());
/// ```
pub fn encode_frames(chunks: &[&[u8]]) -> Vec<u8> {
    let total: usize = chunks.iter().map(|c| c.len() + 4).sum();
    let mut out = Vec::with_capacity(total + 4);
    out.extend_from_slice(&(chunks.len() as u32).to_le_bytes());
    for c in chunks {
        out.extend_from_slice(&(c.len() as u32).to_le_bytes());
        out.extend_from_slice(c);
    }
    out
}

/// Splits a buffer written by [`encode_frames`]; a truncated or padded buffer is an error.
pub fn decode_frames(buf: &[u8]) -> Result<Vec<&[u8]>, Error> {
    fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
        if buf.len() < n {
            return Err(Error::CorruptSnapshot("frame truncated".into()));
        }
        let (head, rest) = buf.split_at(n);
        *buf = rest;
        Ok(head)
    }
    fn u32_le(b: &[u8]) -> usize {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
    }
    let mut rest = buf;
    let count = u32_le(take(&mut rest, 4)?);
    // Each frame needs at least 4 bytes, which bounds the allocation by the input size.
    if count > rest.len() / 4 + 1 {
        return Err(Error::CorruptSnapshot(format!(
            "frame count {count} exceeds buffer"
        )));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32_le(take(&mut rest, 4)?);
        out.push(take(&mut rest, len)?);
    }
    if !rest.is_empty() {
        return Err(Error::CorruptSnapshot(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    Ok(out)
}
