//! Snapshots streamed to and from files: the same bytes as a snapshot in memory, the same
//! verdict as a restore from memory on any damage, and failures to read or write reported as
//! such, with the store left as it was.
#![allow(clippy::unwrap_used)]

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};

use palisade_baseline::{BaselineStore, SnapshotIoError};
use palisade_core::{Error, ProfileStore};
use palisade_schema::*;
use proptest::prelude::*;

const T0: i64 = 1_709_283_600_000; // 2024-03-01T09:00:00Z

/// `n` identities with a fortnight of sign-ins each from a few places; every third has passed
/// an MFA step and has a password-stage sign-in waiting for its next one, so the snapshot
/// holds every section.
fn populated(n: usize) -> BaselineStore {
    let mut store = BaselineStore::default();
    for i in 0..n {
        let who = format!("user{i:05}@contoso.com");
        for day in 0..14i64 {
            let t = T0 + day * 86_400_000 + (i as i64 % 600) * 60_000;
            let stage = if i % 3 == 0 {
                SignInStage::Mfa
            } else {
                SignInStage::Primary
            };
            let mut e = Event::new(
                Timestamp::from_millis_unchecked(t),
                format!("e{i}-{day}"),
                Source::Okta,
                Activity::SignIn(SignIn::success(stage)),
            )
            .with_actor(Identity::new(&who));
            let place = (i + day as usize / 5) % 4;
            e.origin.country = Some(["AU", "NZ", "US", "GB"][place].into());
            e.origin.city = Some(["Sydney", "Auckland", "Seattle", "London"][place].into());
            e.origin.asn = Some(7545 + place as u32);
            e.origin.ip = Some(format!("100.{}.{}.{place}", i % 250, day).parse().unwrap());
            e.origin.session_id = Some(format!("s{i}-{day}"));
            store.learn(&e);
        }
        if i % 3 == 0 {
            let t = T0 + 14 * 86_400_000;
            let mut e = Event::new(
                Timestamp::from_millis_unchecked(t),
                format!("w{i}"),
                Source::Okta,
                Activity::SignIn(SignIn::success(SignInStage::Primary)),
            )
            .with_actor(Identity::new(&who));
            e.origin.country = Some("FR".into());
            e.origin.session_id = Some(format!("w{i}"));
            store.learn(&e);
        }
    }
    store
}

/// A reader that hands out one to seven bytes at a time, so every record of a snapshot
/// straddles reads somewhere.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.step = self.step % 7 + 1;
        Ok(n)
    }
}

fn trickle(bytes: &[u8]) -> Trickle<'_> {
    Trickle { bytes, step: 1 }
}

/// A reader whose source fails after `ok` bytes.
struct Failing<'a> {
    bytes: &'a [u8],
    ok: usize,
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok == 0 {
            return Err(io::Error::other("disk went away"));
        }
        let n = buf.len().min(self.ok).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.ok -= n;
        Ok(n)
    }
}

#[test]
fn a_streamed_snapshot_is_the_same_bytes_and_restores() {
    // Large enough that the snapshot crosses several of the stream's chunks.
    let store = populated(3000);
    let bytes = store.snapshot().unwrap();
    assert!(bytes.len() > 1 << 20, "{} bytes", bytes.len());

    // Written from the writer's current position, which ends up after the snapshot.
    let mut file = Cursor::new(b"head:".to_vec());
    file.seek(SeekFrom::End(0)).unwrap();
    let written = store.snapshot_to(&mut file).unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert_eq!(file.position(), 5 + written);
    assert_eq!(&file.get_ref()[..5], b"head:");
    assert!(
        file.get_ref()[5..] == bytes[..],
        "the same bytes as in memory"
    );

    for restored in [
        {
            let mut s = BaselineStore::default();
            s.restore_from(&bytes[..]).unwrap();
            s
        },
        {
            let mut s = BaselineStore::default();
            s.restore_from(trickle(&bytes)).unwrap();
            s
        },
    ] {
        assert_eq!(restored.len(), 3000);
        assert!(
            restored.snapshot().unwrap() == bytes,
            "restores to the same state"
        );
    }

    // Through a real file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.snap");
    let mut f = std::fs::File::create(&path).unwrap();
    store.snapshot_to(&mut f).unwrap();
    f.sync_all().unwrap();
    drop(f);
    assert!(std::fs::read(&path).unwrap() == bytes);
    let mut from_file = BaselineStore::default();
    from_file
        .restore_from(std::fs::File::open(&path).unwrap())
        .unwrap();
    assert!(from_file.snapshot().unwrap() == bytes);
}

#[test]
fn read_and_write_failures_are_io_errors_and_change_nothing() {
    let store = populated(40);
    let bytes = store.snapshot().unwrap();
    let mut other = populated(2);
    let before = other.snapshot().unwrap();
    for ok in [0, 10, 30, bytes.len() / 2, bytes.len() - 1] {
        let err = other
            .restore_from(Failing { bytes: &bytes, ok })
            .unwrap_err();
        assert!(
            matches!(&err, SnapshotIoError::Io(e) if e.to_string() == "disk went away"),
            "after {ok} bytes: {err}"
        );
        assert!(other.snapshot().unwrap() == before);
    }
    // A writer with room for half the snapshot.
    let mut room = vec![0u8; bytes.len() / 2];
    let err = store.snapshot_to(Cursor::new(&mut room[..])).unwrap_err();
    assert!(matches!(err, SnapshotIoError::Io(_)), "{err}");
    // A reader that ends early is a damaged snapshot, named as one.
    let err = other.restore_from(&bytes[..bytes.len() - 5]).unwrap_err();
    assert!(
        matches!(&err, SnapshotIoError::Snapshot(Error::CorruptSnapshot(m)) if m.contains("header says")),
        "{err}"
    );
    let err = other.restore_from(&b""[..]).unwrap_err();
    assert!(err.to_string().contains("empty snapshot"), "{err}");
}

/// The snapshot of a small store, made once.
fn small() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| populated(30).snapshot().unwrap())
}

/// `bytes` with the header's length and checksum made to match its body again, so damage
/// reaches the decoder behind them.
fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= 24 {
        let len = (bytes.len() - 24) as u64;
        let crc = crc32fast::hash(&bytes[24..]);
        bytes[12..20].copy_from_slice(&len.to_le_bytes());
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the damage, a streamed restore says what a restore from memory says: the same
    /// state, or the same error.
    #[test]
    fn a_streamed_restore_agrees_with_a_restore_from_memory(
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        kind in 0u8..5,
        extra in prop::collection::vec(any::<u8>(), 1..40),
    ) {
        let mut bytes = small().to_vec();
        let i = at.index(bytes.len());
        let bytes = match kind {
            0 => { bytes[i] ^= 1 << bit; bytes }
            1 => { bytes[i] ^= 1 << bit; resealed(bytes) }
            2 => { bytes.truncate(i); bytes }
            3 => { bytes.truncate(i); resealed(bytes) }
            _ => { bytes.extend_from_slice(&extra); if bit % 2 == 0 { resealed(bytes) } else { bytes } }
        };
        let mut from_memory = BaselineStore::default();
        let mut streamed = BaselineStore::default();
        let a = from_memory.restore(&bytes);
        let b = streamed.restore_from(trickle(&bytes));
        match (a, b) {
            (Ok(()), Ok(())) => {
                prop_assert!(from_memory.snapshot().unwrap() == streamed.snapshot().unwrap());
            }
            (Err(a), Err(SnapshotIoError::Snapshot(b))) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "from memory {:?}, streamed {:?}", a, b),
        }
    }
}

/// `Write` that counts what it is given: a snapshot written to it needs no buffer of its size.
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        assert!(buf.len() <= 1 << 20, "written in chunks, not in one piece");
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Counting {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match to {
            SeekFrom::Start(at) => Ok(at),
            _ => Ok(self.0),
        }
    }
}

#[test]
fn a_snapshot_is_written_in_chunks() {
    let store = populated(3000);
    let mut out = Counting(0);
    let written = store.snapshot_to(&mut out).unwrap();
    assert_eq!(written, store.snapshot().unwrap().len() as u64);
}
