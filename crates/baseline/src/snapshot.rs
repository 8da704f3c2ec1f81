//! The store's snapshot format: a versioned, checksummed little-endian encoding.
//!
//! ```text
//! magic "PALBASE\0" | version u32 | body length u64 | CRC-32 of body u32 | body
//! body: sweep counter u64
//!       labels   u32 n, n × (key u64, len u16, UTF-8 bytes)            sorted by key
//!       priors   8 × (u32 n, n × (key u64, identities u32))            sorted by key
//!       profiles u32 n, n × (id len u16, id, sign-ins u32, first u32, last u32,
//!                            decayed-at u32, u8 m, m × (dim u8, key u64, weight f32,
//!                            first u32, last u32))                     in creation order
//! ```
//!
//! A binary format rather than JSON because a million profiles must snapshot in about the time
//! the disk takes to write the bytes.

use std::sync::Arc;

use palisade_core::Error;

use crate::keys::DIMENSIONS;
use crate::profile::{Entry, Profile, Tenant};
use crate::store::{BaselineStore, Slot};
use crate::BaselineConfig;

const MAGIC: &[u8; 8] = b"PALBASE\0";
/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8 + 4;
const ENTRY_BYTES: usize = 1 + 8 + 4 + 4 + 4;

pub(crate) fn encode(store: &BaselineStore) -> Vec<u8> {
    let tenant = store.shared.tenant();
    // One buffer: the header is written with placeholders and patched once the body is known.
    let mut body = Vec::with_capacity(HEADER + estimate(store, &tenant));
    body.extend_from_slice(MAGIC);
    body.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    body.extend_from_slice(&[0u8; 12]);
    body.extend_from_slice(&tenant.refused.to_le_bytes());

    let mut labels: Vec<(&u64, &Box<str>)> = tenant.labels.iter().collect();
    labels.sort_unstable_by_key(|(k, _)| **k);
    put_u32(&mut body, labels.len());
    for (key, label) in labels {
        body.extend_from_slice(&key.to_le_bytes());
        // Labels come from vendor fields; anything longer than u16 is cut at a char boundary.
        let mut end = label.len().min(usize::from(u16::MAX));
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        body.extend_from_slice(&(end as u16).to_le_bytes());
        body.extend_from_slice(&label.as_bytes()[..end]);
    }

    for map in &tenant.priors {
        let mut items: Vec<(&u64, &u32)> = map.iter().collect();
        items.sort_unstable_by_key(|(k, _)| **k);
        put_u32(&mut body, items.len());
        for (key, count) in items {
            body.extend_from_slice(&key.to_le_bytes());
            body.extend_from_slice(&count.to_le_bytes());
        }
    }

    put_u32(&mut body, store.slots.len());
    for slot in &store.slots {
        let id = slot.id.as_bytes();
        let id = &id[..id.len().min(usize::from(u16::MAX))];
        body.extend_from_slice(&(id.len() as u16).to_le_bytes());
        body.extend_from_slice(id);
        let p = &slot.profile;
        for v in [p.sign_ins, p.first, p.last, p.decayed_at] {
            body.extend_from_slice(&v.to_le_bytes());
        }
        body.push(p.entries.len().min(255) as u8);
        for e in p.entries.iter().take(255) {
            body.push(e.dim);
            body.extend_from_slice(&e.key.to_le_bytes());
            body.extend_from_slice(&e.weight.to_le_bytes());
            body.extend_from_slice(&e.first.to_le_bytes());
            body.extend_from_slice(&e.last.to_le_bytes());
        }
    }

    let len = (body.len() - HEADER) as u64;
    let crc = crc32fast::hash(&body[HEADER..]);
    body[12..20].copy_from_slice(&len.to_le_bytes());
    body[20..24].copy_from_slice(&crc.to_le_bytes());
    body
}

fn estimate(store: &BaselineStore, tenant: &Tenant) -> usize {
    let entries: usize = store.slots.iter().map(|s| s.profile.entries.len()).sum();
    let ids: usize = store.slots.iter().map(|s| s.id.len()).sum();
    64 + tenant.labels.len() * 10
        + tenant.label_bytes
        + tenant
            .priors
            .iter()
            .map(|m| 4 + m.len() * 12)
            .sum::<usize>()
        + store.slots.len() * 19
        + ids
        + entries * ENTRY_BYTES
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn corrupt(why: impl Into<String>) -> Error {
    Error::CorruptSnapshot(format!("baseline: {}", why.into()))
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        if self.buf.len() < n {
            return Err(corrupt(format!("truncated in {what}")));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32, Error> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A count of items each at least `min_bytes` long: refused if the rest cannot hold them,
    /// so a damaged count cannot make us allocate gigabytes.
    fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize, Error> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_bytes) > self.buf.len() {
            return Err(corrupt(format!("{what} count {n} exceeds the snapshot")));
        }
        Ok(n)
    }
}

/// Decodes a snapshot into a fresh store with `config` (whose caps apply to what is read).
pub(crate) fn decode(bytes: &[u8], config: BaselineConfig) -> Result<BaselineStore, Error> {
    if bytes.is_empty() {
        return Err(corrupt("empty snapshot (no baseline state was written)"));
    }
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(corrupt("not a baseline snapshot (bad magic)"));
    }
    let mut r = Reader { buf: &bytes[8..] };
    let version = r.u32("header")?;
    if version != SNAPSHOT_VERSION {
        return Err(Error::SnapshotVersion {
            found: version,
            expected: SNAPSHOT_VERSION,
        });
    }
    let len = r.u64("header")?;
    let crc = r.u32("header")?;
    if len != r.buf.len() as u64 {
        return Err(corrupt(format!(
            "body is {} bytes, header says {len}",
            r.buf.len()
        )));
    }
    if crc32fast::hash(r.buf) != crc {
        return Err(corrupt("checksum mismatch"));
    }
    let mut tenant = Tenant {
        refused: r.u64("sweep counter")?,
        ..Tenant::default()
    };

    let n = r.count(10, "labels")?;
    tenant.labels.reserve(n);
    for _ in 0..n {
        let key = r.u64("label")?;
        let len = usize::from(r.u16("label")?);
        let text = std::str::from_utf8(r.take(len, "label")?)
            .map_err(|_| corrupt("label is not UTF-8"))?;
        tenant.label_bytes += text.len();
        tenant.labels.insert(key, text.into());
    }

    for map in &mut tenant.priors {
        let n = r.count(12, "prior")?;
        map.reserve(n);
        for _ in 0..n {
            let key = r.u64("prior")?;
            let count = r.u32("prior")?;
            if count == 0 || map.insert(key, count).is_some() {
                return Err(corrupt("prior holds a zero count or a duplicate value"));
            }
        }
    }

    let n = r.count(19, "profiles")?;
    tenant.identities = n;
    let caps: [usize; DIMENSIONS.len()] = DIMENSIONS.map(|d| config.caps.get(d));
    let mut store = BaselineStore::build(config, tenant);
    store.slots.reserve_exact(n);
    let shared = Arc::clone(&store.shared);
    for _ in 0..n {
        let id_len = usize::from(r.u16("identity")?);
        let id = std::str::from_utf8(r.take(id_len, "identity")?)
            .map_err(|_| corrupt("identity is not UTF-8"))?;
        if id.is_empty() || store.find(id).is_some() {
            return Err(corrupt(format!("empty or duplicate identity {id:?}")));
        }
        let mut profile = Profile::new(Arc::clone(&shared), 0);
        profile.sign_ins = r.u32("profile")?;
        profile.first = r.u32("profile")?;
        profile.last = r.u32("profile")?;
        profile.decayed_at = r.u32("profile")?;
        if profile.first > profile.last {
            return Err(corrupt(format!("profile of {id:?} ends before it starts")));
        }
        let m = usize::from(r.u8("profile")?);
        let mut entries = Vec::with_capacity(m);
        let mut held = [0usize; DIMENSIONS.len()];
        for _ in 0..m {
            let e = Entry {
                dim: r.u8("value")?,
                key: r.u64("value")?,
                weight: r.f32("value")?,
                first: r.u32("value")?,
                last: r.u32("value")?,
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
        store.insert_slot(Slot {
            id: id.into(),
            profile,
        });
    }
    if !r.buf.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.buf.len())));
    }
    Ok(store)
}
