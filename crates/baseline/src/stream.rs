//! Snapshots streamed to and from files (anything that reads, or writes and seeks) a chunk at a
//! time, so a million identities need no half-gigabyte buffer on the way: the bytes are the
//! same as [`ProfileStore::snapshot`](palisade_core::ProfileStore::snapshot)'s.

use std::io::{self, Read, Seek, SeekFrom, Write};

use palisade_core::Error;

use crate::snapshot::{self, corrupt, Put, Source, HEADER, LENGTH_AT};
use crate::store::BaselineStore;
use crate::BaselineConfig;

/// Bytes moved per read or write: large enough that calls cost nothing, small enough to stay
/// in the core's cache while they are decoded.
const CHUNK: usize = 256 * 1024;

/// Why a snapshot could not be streamed: the reading or writing failed, or the bytes read are
/// not a snapshot this build restores.
///
/// ```
/// use palisade_baseline::{BaselineStore, SnapshotIoError};
/// let mut store = BaselineStore::default();
/// let err = store.restore_from(&b"not a snapshot at all, but long enough"[..]).unwrap_err();
/// assert!(matches!(err, SnapshotIoError::Snapshot(_)));
/// assert!(err.to_string().contains("bad magic"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotIoError {
    /// Reading or writing failed.
    #[error("snapshot I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The bytes are damaged, of another version, or no snapshot at all.
    #[error(transparent)]
    Snapshot(#[from] Error),
}

impl BaselineStore {
    /// Writes the store's snapshot (the bytes [`ProfileStore::snapshot`] returns) to `out` from
    /// its current position, a chunk at a time, and returns how many bytes that was. `out` must
    /// seek: the header's length and checksum are written last. The caller syncs a file
    /// ([`File::sync_all`](std::fs::File::sync_all)) when it must survive a crash.
    ///
    /// [`ProfileStore::snapshot`]: palisade_core::ProfileStore::snapshot
    ///
    /// ```
    /// use std::io::Cursor;
    /// use palisade_baseline::BaselineStore;
    /// use palisade_core::ProfileStore;
    /// use palisade_schema::*;
    ///
    /// let mut store = BaselineStore::default();
    /// let t = Timestamp::parse_rfc3339("2024-03-01T09:00:00Z").unwrap();
    /// store.learn(&Event::new(t, "e1", Source::Entra,
    ///     Activity::SignIn(SignIn::success(SignInStage::Primary)))
    ///     .with_actor(Identity::new("ana@contoso.com")));
    /// let mut file = Cursor::new(Vec::new());
    /// let written = store.snapshot_to(&mut file).unwrap();
    /// assert_eq!(file.get_ref(), &store.snapshot().unwrap());
    /// assert_eq!(written, file.get_ref().len() as u64);
    ///
    /// let mut copy = BaselineStore::default();
    /// copy.restore_from(&file.get_ref()[..]).unwrap();
    /// assert_eq!(copy.len(), 1);
    /// // A damaged file is refused, and the store keeps what it had.
    /// let mut damaged = file.into_inner();
    /// damaged.pop();
    /// assert!(copy.restore_from(&damaged[..]).is_err());
    /// assert_eq!(copy.len(), 1);
    /// ```
    pub fn snapshot_to<W: Write + Seek>(&self, out: W) -> Result<u64, SnapshotIoError> {
        encode_to(self, out)
    }

    /// Restores the store from a snapshot read from `input` to its end, a chunk at a time: the
    /// same checks as [`ProfileStore::restore`], in the same order (the body's length, its
    /// checksum, then what it holds), and on any error the store is left as it was.
    ///
    /// [`ProfileStore::restore`]: palisade_core::ProfileStore::restore
    pub fn restore_from<R: Read>(&mut self, input: R) -> Result<(), SnapshotIoError> {
        *self = decode_from(input, self.shared.config.clone())?;
        Ok(())
    }
}

/// Encoded bytes on their way to a writer: buffered, checksummed and counted as they go. The
/// first write error is kept (and later writes skipped) for [`Sink::finish`] to return.
struct Sink<W> {
    out: W,
    buf: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
    failed: Option<io::Error>,
}

impl<W: Write> Sink<W> {
    fn flush_buf(&mut self) {
        if self.failed.is_none() {
            self.crc.update(&self.buf);
            self.len += self.buf.len() as u64;
            if let Err(e) = self.out.write_all(&self.buf) {
                self.failed = Some(e);
            }
        }
        self.buf.clear();
    }

    /// The body's length and checksum once every byte is written.
    fn finish(mut self) -> io::Result<(u64, u32)> {
        self.flush_buf();
        match self.failed {
            Some(e) => Err(e),
            None => Ok((self.len, self.crc.finalize())),
        }
    }
}

impl<W: Write> Put for Sink<W> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.flush_buf();
        }
    }
}

/// Writes `store`'s snapshot to `out` from its current position; returns the bytes written.
pub(crate) fn encode_to<W: Write + Seek>(
    store: &BaselineStore,
    mut out: W,
) -> Result<u64, SnapshotIoError> {
    let start = out.stream_position()?;
    out.write_all(&snapshot::header_placeholder())?;
    let (len, crc) = {
        let tenant = store.shared.tenant();
        let mut sink = Sink {
            out: &mut out,
            buf: Vec::with_capacity(CHUNK + 1024),
            crc: crc32fast::Hasher::new(),
            len: 0,
            failed: None,
        };
        snapshot::encode_body(store, &tenant, &mut sink);
        sink.finish()?
    };
    // The length and checksum are known only now: back to the header, then to the end.
    out.seek(SeekFrom::Start(start + LENGTH_AT as u64))?;
    out.write_all(&snapshot::sealed(len, crc))?;
    let end = start + HEADER as u64 + len;
    out.seek(SeekFrom::Start(end))?;
    out.flush()?;
    Ok(end - start)
}

/// A body read from a stream a chunk at a time, checksummed as it arrives, never past the
/// length the header declares.
struct Chunks<R> {
    src: R,
    buf: Box<[u8]>,
    /// The bytes of `buf` read and not yet taken.
    pos: usize,
    end: usize,
    /// Declared body bytes not yet read from `src`.
    unread: u64,
    crc: crc32fast::Hasher,
    /// The read error that cut the body short, if one did.
    failed: Option<io::Error>,
}

impl<R: Read> Chunks<R> {
    /// Reads into `buf[end..]`, at most `limit` bytes: how many arrived (0 at the end).
    fn read_some(&mut self, limit: u64) -> io::Result<usize> {
        let room = (self.buf.len() - self.end).min(usize::try_from(limit).unwrap_or(usize::MAX));
        loop {
            match self.src.read(&mut self.buf[self.end..self.end + room]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Makes `n` bytes ready to take: false when the declared body (or the stream) ends first.
    fn fill(&mut self, n: usize) -> bool {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.buf.len() < n {
            let mut bigger = vec![0u8; n].into_boxed_slice();
            bigger[..self.end].copy_from_slice(&self.buf[..self.end]);
            self.buf = bigger;
        }
        while self.end < n && self.unread > 0 && self.failed.is_none() {
            match self.read_some(self.unread) {
                Ok(0) => break,
                Ok(k) => {
                    self.crc.update(&self.buf[self.end..self.end + k]);
                    self.end += k;
                    self.unread -= k as u64;
                }
                Err(e) => self.failed = Some(e),
            }
        }
        self.end >= n
    }

    /// Reads the rest of the stream: the declared body into the checksum, anything past it
    /// only counted. Returns the body's actual length given the declared `len`.
    fn drain(&mut self, len: u64) -> io::Result<u64> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut short = 0;
        while self.unread > 0 {
            self.pos = 0;
            self.end = 0;
            match self.read_some(self.unread)? {
                0 => {
                    short = self.unread;
                    break;
                }
                k => {
                    self.crc.update(&self.buf[..k]);
                    self.unread -= k as u64;
                }
            }
        }
        let mut past = 0u64;
        if short == 0 {
            loop {
                self.pos = 0;
                self.end = 0;
                match self.read_some(u64::MAX)? {
                    0 => break,
                    k => past += k as u64,
                }
            }
        }
        Ok(len - short + past)
    }
}

impl<R: Read> Source for Chunks<R> {
    #[inline]
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Error> {
        if self.end - self.pos < n && !self.fill(n) {
            return Err(corrupt(format!("truncated in {what}")));
        }
        let at = self.pos;
        self.pos += n;
        Ok(&self.buf[at..at + n])
    }

    fn left(&self) -> u64 {
        (self.end - self.pos) as u64 + self.unread
    }
}

/// Restores a store from `src`, read to its end. The same checks in the same order as a
/// restore from memory: the body's length, its checksum, then what it holds.
pub(crate) fn decode_from<R: Read>(
    mut src: R,
    config: BaselineConfig,
) -> Result<BaselineStore, SnapshotIoError> {
    let mut head = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match src.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    if got == 0 {
        return Err(corrupt("empty snapshot (no baseline state was written)").into());
    }
    if got < HEADER {
        return Err(corrupt("not a baseline snapshot (bad magic)").into());
    }
    let (version, len, crc) = snapshot::check_header(&head)?;
    let mut body = Chunks {
        src,
        buf: vec![0u8; CHUNK].into_boxed_slice(),
        pos: 0,
        end: 0,
        unread: len,
        crc: crc32fast::Hasher::new(),
        failed: None,
    };
    let decoded = snapshot::decode_body(&mut body, version, config);
    let trailing = body.left();
    let actual = body.drain(len)?;
    snapshot::check_body(len, actual, crc, body.crc.finalize())?;
    let store = decoded?;
    if trailing > 0 {
        return Err(corrupt(format!("{trailing} trailing bytes")).into());
    }
    Ok(store)
}
