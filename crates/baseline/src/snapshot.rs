//! The store's snapshot format: a versioned, checksummed little-endian encoding.
//!
//! ```text
//! magic "PALBASE\0" | version u32 | body length u64 | CRC-32 of body u32 | body
//! body: sweep counter u64
//!       labels   u32 n, n × (key u64, len u16, UTF-8 bytes)            sorted by key
//!       priors   8 × (u32 n, n × (key u64, identities u32))            sorted by key
//!       profiles u32 n, n × (id len u16, id, sign-ins u32, first u32, last u32,
//!                            decayed-at u32, last MFA step u32, its session u64,
//!                            last sign-in's session u64, its window's start u32, u8 m,
//!                            m × (dim u8, key u64, weight f32, first u32, last u32))
//!                                                                      in creation order
//!       waiting  u32 n, n × (profile u32, time u32, session u64, u8 m, m × (dim u8, key u64,
//!                            has label u8, [len u16, UTF-8 bytes]))   by profile
//! ```
//!
//! Version 2 had no last MFA step or waiting sign-ins, version 3 no session of that step; both
//! are still read (a step of no named session confirms a sign-in of any). Version 4 has the
//! layout of version 5, with every waiting sign-in's identity having taken a step; version 5
//! the layout of version 6 without the MFA dimension; version 6 that of version 7 without the
//! last sign-in's session and its window.
//!
//! A binary format rather than JSON because a million profiles must snapshot in about the time
//! the disk takes to write the bytes.

use std::sync::Arc;

use palisade_core::Error;

use crate::keys::DIMENSIONS;
use crate::pending::{HeldObservation, Waiting};
use crate::profile::{Entry, Profile, Tenant};
use crate::store::BaselineStore;
use crate::BaselineConfig;

const MAGIC: &[u8; 8] = b"PALBASE\0";
/// The snapshot format version this build writes and reads.
///
/// Version 2 keys text values with Palisade's own fixed word-at-a-time hash (version 1 used
/// FNV-1a); a version-1 snapshot is refused with [`Error::SnapshotVersion`]. Version 3 adds
/// the sign-ins waiting for their MFA step; version 4 the session of each identity's last MFA
/// step; version 5 lets a sign-in wait for an identity never seen taking a step (from a source
/// that logs the password stage first), which a version-4 reader refused as damage; version 6
/// adds whether sign-ins satisfied MFA (values of dimension 8, which keeps no tenant prior), which
/// a version-5 reader refused as an unknown dimension; version 7 the session of each identity's
/// last sign-in and when its window began (sign-ins of one session count as one visit), read
/// from older versions as no session. Versions 2 to 6 are still read.
pub const SNAPSHOT_VERSION: u32 = 7;
const OLDEST_READ: u32 = 2;
/// The dimensions whose tenant priors are written: the first eight (the MFA dimension, ninth,
/// keeps no prior).
const PRIOR_DIMENSIONS: usize = 8;
pub(crate) const HEADER: usize = 8 + 4 + 8 + 4;
/// Where the header's body length (u64) and checksum (u32) begin.
pub(crate) const LENGTH_AT: usize = 12;
const ENTRY_BYTES: usize = 1 + 8 + 4 + 4 + 4;
/// A profile's fixed part: five u32 counters and times, the MFA step's session, the last
/// sign-in's session and its window's start, the value count.
const HEAD_BYTES: usize = 5 * 4 + 8 + 8 + 4 + 1;

/// Where encoded bytes go: a buffer holding the whole snapshot, or a stream written a chunk at
/// a time ([`crate::stream`]).
pub(crate) trait Put {
    fn put(&mut self, bytes: &[u8]);
}

impl Put for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The header with its length and checksum still zero: they are written once the body is.
pub(crate) fn header_placeholder() -> [u8; HEADER] {
    let mut head = [0u8; HEADER];
    head[..8].copy_from_slice(MAGIC);
    head[8..12].copy_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    head
}

/// The header's length and checksum fields, at [`LENGTH_AT`].
pub(crate) fn sealed(len: u64, crc: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&len.to_le_bytes());
    b[8..].copy_from_slice(&crc.to_le_bytes());
    b
}

pub(crate) fn encode(store: &BaselineStore) -> Vec<u8> {
    let tenant = store.shared.tenant();
    // One buffer: the header is written with placeholders and patched once the body is known.
    let mut out = Vec::with_capacity(HEADER + estimate(store, &tenant));
    out.extend_from_slice(&header_placeholder());
    encode_body(store, &tenant, &mut out);
    let len = (out.len() - HEADER) as u64;
    let crc = crc32fast::hash(&out[HEADER..]);
    out[LENGTH_AT..HEADER].copy_from_slice(&sealed(len, crc));
    out
}

/// Everything after the header.
pub(crate) fn encode_body(store: &BaselineStore, tenant: &Tenant, body: &mut impl Put) {
    body.put(&tenant.refused.to_le_bytes());

    let mut labels: Vec<(&u64, &Box<str>)> = tenant.labels.iter().collect();
    labels.sort_unstable_by_key(|(k, _)| **k);
    put_u32(body, labels.len());
    for (key, label) in labels {
        body.put(&key.to_le_bytes());
        put_text(body, label);
    }

    for map in tenant.priors.iter().take(PRIOR_DIMENSIONS) {
        let mut items: Vec<(&u64, &u32)> = map.iter().collect();
        items.sort_unstable_by_key(|(k, _)| **k);
        put_u32(body, items.len());
        for (key, count) in items {
            body.put(&key.to_le_bytes());
            body.put(&count.to_le_bytes());
        }
    }

    let profiles = store.profiles_in_order();
    put_u32(body, profiles.len());
    for &p in &profiles {
        let id = store.id_of(p).as_bytes();
        let id = &id[..id.len().min(usize::from(u16::MAX))];
        body.put(&(id.len() as u16).to_le_bytes());
        body.put(id);
        let mut head = [0u8; HEAD_BYTES];
        for (k, v) in [p.sign_ins, p.first, p.last, p.decayed_at, p.last_mfa]
            .into_iter()
            .enumerate()
        {
            head[k * 4..k * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        head[20..28].copy_from_slice(&p.last_mfa_session.to_le_bytes());
        head[28..36].copy_from_slice(&p.session.to_le_bytes());
        head[36..40].copy_from_slice(&p.session_since.to_le_bytes());
        head[HEAD_BYTES - 1] = p.entries.len().min(255) as u8;
        body.put(&head);
        for e in p.entries.iter().take(255) {
            let mut b = [0u8; ENTRY_BYTES];
            b[0] = e.dim;
            b[1..9].copy_from_slice(&e.key.to_le_bytes());
            b[9..13].copy_from_slice(&e.weight.to_le_bytes());
            b[13..17].copy_from_slice(&e.first.to_le_bytes());
            b[17..21].copy_from_slice(&e.last.to_le_bytes());
            body.put(&b);
        }
    }

    let waiting: Vec<(usize, &Waiting)> = if store.pending.len() == 0 {
        Vec::new()
    } else {
        profiles
            .iter()
            .enumerate()
            .filter_map(|(i, p)| store.pending.get(&p.print).map(|w| (i, w)))
            .collect()
    };
    put_u32(body, waiting.len());
    for (i, w) in waiting {
        put_u32(body, i);
        body.put(&w.t.to_le_bytes());
        body.put(&w.session.to_le_bytes());
        body.put(&[w.obs.len().min(255) as u8]);
        for o in w.obs.iter().take(255) {
            body.put(&[o.dim]);
            body.put(&o.key.to_le_bytes());
            match &o.label {
                Some(label) => {
                    body.put(&[1]);
                    put_text(body, label);
                }
                None => body.put(&[0]),
            }
        }
    }
}

fn estimate(store: &BaselineStore, tenant: &Tenant) -> usize {
    let (entries, ids) = (store.heap / size_of::<Entry>(), store.id_bytes());
    64 + tenant.labels.len() * 10
        + tenant.label_bytes
        + tenant
            .priors
            .iter()
            .map(|m| 4 + m.len() * 12)
            .sum::<usize>()
        + store.len() * (2 + HEAD_BYTES)
        + ids
        + entries * ENTRY_BYTES
        + store.pending.len() * 96
}

fn put_u32(out: &mut impl Put, n: usize) {
    out.put(&(n as u32).to_le_bytes());
}

/// A u16 length and the text. Labels come from vendor fields; anything longer than u16 is cut
/// at a char boundary.
fn put_text(out: &mut impl Put, text: &str) {
    let mut end = text.len().min(usize::from(u16::MAX));
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.put(&(end as u16).to_le_bytes());
    out.put(&text.as_bytes()[..end]);
}

pub(crate) fn corrupt(why: impl Into<String>) -> Error {
    Error::CorruptSnapshot(format!("baseline: {}", why.into()))
}

/// Where a snapshot's body is read from: bytes in memory ([`Bytes`]), or a stream read a chunk
/// at a time ([`crate::stream`]).
pub(crate) trait Source {
    /// The next `n` bytes; an error naming `what` when the body ends first.
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Error>;
    /// Body bytes not yet taken (for a stream, as far as its header says).
    fn left(&self) -> u64;

    #[inline]
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    #[inline]
    fn u16(&mut self, what: &str) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    #[inline]
    fn u32(&mut self, what: &str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    #[inline]
    fn u64(&mut self, what: &str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    /// A u16 length and that much UTF-8.
    fn text(&mut self, what: &str) -> Result<&str, Error> {
        let len = usize::from(self.u16(what)?);
        std::str::from_utf8(self.take(len, what)?)
            .map_err(|_| corrupt(format!("{what} is not UTF-8")))
    }
    /// A count of items each at least `min_bytes` long: refused if the rest cannot hold them,
    /// so a damaged count cannot make us allocate gigabytes.
    fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize, Error> {
        let n = self.u32(what)? as usize;
        if (n as u64).saturating_mul(min_bytes as u64) > self.left() {
            return Err(corrupt(format!("{what} count {n} exceeds the snapshot")));
        }
        Ok(n)
    }
}

/// A body in memory.
struct Bytes<'a> {
    buf: &'a [u8],
}

impl Source for Bytes<'_> {
    #[inline]
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Error> {
        if self.buf.len() < n {
            return Err(corrupt(format!("truncated in {what}")));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn left(&self) -> u64 {
        self.buf.len() as u64
    }
}

/// Room reserved up front for what a count announces, at most: a stream's header may promise
/// more than it holds, and what it does hold grows the collections as it is read.
const RESERVE_AT_MOST: usize = 1 << 20;

/// The sign-ins waiting for their MFA step, onto the profiles just read.
fn read_waiting(r: &mut impl Source, store: &mut BaselineStore, version: u32) -> Result<(), Error> {
    let n = r.count(17, "waiting sign-ins")?;
    // Each profile's fingerprint, creation order and whether it has passed an MFA step.
    let profiles: Vec<([u64; 2], u64, bool)> = if n == 0 {
        Vec::new()
    } else {
        store
            .profiles_in_order()
            .iter()
            .map(|p| (p.print, p.seq, p.last_mfa != 0))
            .collect()
    };
    let wait = store.shared.config.mfa_step_wait_secs;
    let mut last = None;
    for _ in 0..n {
        let i = r.u32("waiting sign-in")? as usize;
        if last.is_some_and(|l| l >= i) {
            return Err(corrupt("waiting sign-ins out of order"));
        }
        last = Some(i);
        let &(print, seq, takes_mfa) = profiles
            .get(i)
            .ok_or_else(|| corrupt(format!("waiting sign-in of unknown profile {i}")))?;
        // Before version 5 only an identity seen taking a step had sign-ins waiting.
        if version < 5 && !takes_mfa {
            return Err(corrupt(
                "a sign-in waits for an identity that never passed MFA",
            ));
        }
        let t = r.u32("waiting sign-in")?;
        let session = r.u64("waiting sign-in")?;
        let m = usize::from(r.array::<1>("waiting sign-in")?[0]);
        let mut obs = Vec::with_capacity(m);
        for _ in 0..m {
            let [dim] = r.array::<1>("waiting value")?;
            if usize::from(dim) >= DIMENSIONS.len() {
                return Err(corrupt("unknown dimension"));
            }
            let key = r.u64("waiting value")?;
            let label = match r.array::<1>("waiting value")? {
                [0] => None,
                [1] => Some(r.text("waiting label")?.into()),
                _ => return Err(corrupt("waiting value has a bad label flag")),
            };
            obs.push(HeldObservation { dim, key, label });
        }
        let waiting = Waiting {
            t,
            deadline: t.saturating_add(wait),
            seq,
            session,
            obs,
        };
        store.pending.hold(print, waiting);
    }
    Ok(())
}

/// The snapshot version a header names, if this build reads it.
pub(crate) fn check_header(head: &[u8; HEADER]) -> Result<(u32, u64, u32), Error> {
    if &head[..8] != MAGIC {
        return Err(corrupt("not a baseline snapshot (bad magic)"));
    }
    let word = |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let version = word(8);
    if !(OLDEST_READ..=SNAPSHOT_VERSION).contains(&version) {
        return Err(Error::SnapshotVersion {
            found: version,
            expected: SNAPSHOT_VERSION,
        });
    }
    let len = u64::from(word(LENGTH_AT)) | (u64::from(word(LENGTH_AT + 4)) << 32);
    Ok((version, len, word(LENGTH_AT + 8)))
}

/// Why the body is not the one the header describes: its length or its checksum.
pub(crate) fn check_body(len: u64, actual: u64, crc: u32, computed: u32) -> Result<(), Error> {
    if len != actual {
        return Err(corrupt(format!(
            "body is {actual} bytes, header says {len}"
        )));
    }
    if computed != crc {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(())
}

/// Decodes a snapshot into a fresh store with `config` (whose caps apply to what is read).
pub(crate) fn decode(bytes: &[u8], config: BaselineConfig) -> Result<BaselineStore, Error> {
    if bytes.is_empty() {
        return Err(corrupt("empty snapshot (no baseline state was written)"));
    }
    let Some((head, body)) = bytes.split_first_chunk::<HEADER>() else {
        return Err(corrupt("not a baseline snapshot (bad magic)"));
    };
    let (version, len, crc) = check_header(head)?;
    check_body(len, body.len() as u64, crc, crc32fast::hash(body))?;
    let mut r = Bytes { buf: body };
    let store = decode_body(&mut r, version, config)?;
    if !r.buf.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.buf.len())));
    }
    Ok(store)
}

/// Decodes a body of `version` (everything after the header) into a fresh store; what it
/// leaves unread is the caller's to refuse.
pub(crate) fn decode_body(
    r: &mut impl Source,
    version: u32,
    config: BaselineConfig,
) -> Result<BaselineStore, Error> {
    let mut tenant = Tenant {
        refused: r.u64("sweep counter")?,
        ..Tenant::default()
    };

    let n = r.count(10, "labels")?;
    tenant.labels.reserve(n.min(RESERVE_AT_MOST));
    for _ in 0..n {
        let key = r.u64("label")?;
        let text = r.text("label")?;
        tenant.label_bytes += text.len();
        tenant.labels.insert(key, text.into());
    }

    for map in tenant.priors.iter_mut().take(PRIOR_DIMENSIONS) {
        let n = r.count(12, "prior")?;
        map.reserve(n.min(RESERVE_AT_MOST));
        for _ in 0..n {
            let key = r.u64("prior")?;
            let count = r.u32("prior")?;
            if count == 0 || map.insert(key, count).is_some() {
                return Err(corrupt("prior holds a zero count or a duplicate value"));
            }
        }
    }

    // Identity length, head (with the last MFA step from version 3 on, its session from 4 on,
    // the last sign-in's session from 7 on), at least one id byte.
    let head_bytes = match version {
        2 => 17,
        3 => 21,
        4..=6 => 29,
        _ => HEAD_BYTES,
    };
    let n = r.count(head_bytes + 2, "profiles")?;
    tenant.identities = n;
    let caps: [usize; DIMENSIONS.len()] = DIMENSIONS.map(|d| config.caps.get(d));
    let mut store = BaselineStore::build(config, tenant);
    store.reserve(n.min(RESERVE_AT_MOST));
    let shared = Arc::clone(&store.shared);
    let mut id = String::new();
    for _ in 0..n {
        let id_len = usize::from(r.u16("identity")?);
        id.clear();
        id.push_str(
            std::str::from_utf8(r.take(id_len, "identity")?)
                .map_err(|_| corrupt("identity is not UTF-8"))?,
        );
        if id.is_empty() {
            return Err(corrupt("empty identity"));
        }
        let mut head = [0u8; HEAD_BYTES];
        head[..head_bytes].copy_from_slice(r.take(head_bytes, "profile")?);
        let word = |k: usize| u32::from_le_bytes([head[k], head[k + 1], head[k + 2], head[k + 3]]);
        let mut profile = Profile::new(Arc::clone(&shared), 0);
        profile.sign_ins = word(0);
        profile.first = word(4);
        profile.last = word(8);
        profile.decayed_at = word(12);
        if version >= 3 {
            profile.last_mfa = word(16);
        }
        if version >= 4 {
            let mut session = [0u8; 8];
            session.copy_from_slice(&head[20..28]);
            profile.last_mfa_session = u64::from_le_bytes(session);
        }
        if version >= 7 {
            let mut session = [0u8; 8];
            session.copy_from_slice(&head[28..36]);
            profile.session = u64::from_le_bytes(session);
            profile.session_since = word(36);
        }
        if profile.first > profile.last {
            return Err(corrupt(format!("profile of {id:?} ends before it starts")));
        }
        let m = usize::from(head[head_bytes - 1]);
        let raw = r.take(m * ENTRY_BYTES, "value")?;
        let mut entries = Vec::with_capacity(m);
        let mut held = [0usize; DIMENSIONS.len()];
        for b in raw.chunks_exact(ENTRY_BYTES) {
            let u32_at = |k: usize| u32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
            let mut key = [0u8; 8];
            key.copy_from_slice(&b[1..9]);
            let e = Entry {
                dim: b[0],
                key: u64::from_le_bytes(key),
                weight: f32::from_bits(u32_at(9)),
                first: u32_at(13),
                last: u32_at(17),
            };
            let d = usize::from(e.dim);
            let cap = *caps.get(d).ok_or_else(|| corrupt("unknown dimension"))?;
            if !e.weight.is_finite() || e.weight < 0.0 {
                return Err(corrupt("weight is not a finite positive number"));
            }
            // A snapshot written with larger caps keeps only what this store's caps allow.
            if held[d] < cap {
                held[d] += 1;
                entries.push(e);
            }
        }
        profile.entries = entries;
        store
            .insert_new(&id, profile)
            .map_err(|()| corrupt(format!("duplicate identity {id:?}")))?;
    }
    if version >= 3 {
        read_waiting(r, &mut store, version)?;
    }
    store.shrink_ids();
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The priors section holds the first eight dimensions; one added after them must keep no
    /// prior, or a new format version must write it.
    #[test]
    fn every_dimension_with_a_prior_is_written() {
        for idx in PRIOR_DIMENSIONS..DIMENSIONS.len() {
            let idx = u8::try_from(idx).unwrap_or(u8::MAX);
            assert!(!crate::profile::tracks_prior(idx), "dimension {idx}");
        }
    }
}
