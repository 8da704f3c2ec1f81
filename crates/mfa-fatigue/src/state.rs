//! Per-identity state: the recent prompts and the open burst, kept small and serializable.

use std::net::IpAddr;

use std::borrow::Cow;

use palisade_core::{BaselineMaturity, Finding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

/// A string kept inline when short (most logins and many event ids are under 24 bytes) and on
/// the heap when longer, so that tracking a prompt or an identity rarely allocates. Always valid
/// UTF-8 (it is only ever built from a `&str`); serialized as a plain string.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Text(SmallVec<[u8; 24]>);

impl Text {
    pub(crate) fn new(s: &str) -> Self {
        Text(SmallVec::from_slice(s.as_bytes()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text (borrowed: the bytes came from a `&str`, so they are valid).
    pub(crate) fn as_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Bytes held on the heap, beyond the inline buffer.
    pub(crate) fn heap_bytes(&self) -> usize {
        if self.0.spilled() {
            self.0.capacity()
        } else {
            0
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.as_str(), f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        Ok(Text::new(&s))
    }
}

/// A track's prompts: most identities hold one at a time (a push, then its answer), so one is
/// kept inline and more spill to the heap.
pub(crate) type Prompts = SmallVec<[Prompt; 1]>;

/// What became of one prompt so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PromptState {
    /// Sent, no answer yet, not yet timed out or superseded.
    Pending,
    /// Sent and never answered (timed out or superseded by a newer prompt).
    Unanswered,
    /// The user said no.
    Denied,
    /// The vendor said nobody answered.
    TimedOut,
    /// The user reported it as fraud.
    Fraud,
    /// The user (or someone holding the phone) said yes.
    Approved,
}

impl PromptState {
    /// Whether the prompt counts toward a burst.
    pub(crate) fn counts(self) -> bool {
        matches!(
            self,
            PromptState::Unanswered
                | PromptState::Denied
                | PromptState::TimedOut
                | PromptState::Fraud
        )
    }

    /// Whether an answer event said no (as opposed to silence).
    pub(crate) fn answered_no(self) -> bool {
        matches!(
            self,
            PromptState::Denied | PromptState::TimedOut | PromptState::Fraud
        )
    }
}

/// An answer arrived through an `MfaPrompt` event.
pub(crate) const SEEN_PROMPT: u8 = 1;
/// An answer arrived through a `SignIn` event.
pub(crate) const SEEN_SIGN_IN: u8 = 2;
/// Its origin was unfamiliar to the identity.
pub(crate) const UNFAMILIAR: u8 = 4;
/// It belongs to a burst (open or closed), so it never opens another one.
pub(crate) const CLAIMED: u8 = 8;
/// Its fraud report was counted in its burst.
pub(crate) const FRAUD_COUNTED: u8 = 16;

/// One MFA prompt, however many events reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Prompt {
    /// When it was sent (or first reported), ms since the epoch.
    pub(crate) time: i64,
    /// When its answer arrived (ms), for pairing a second report of the same answer.
    pub(crate) resolved_at: i64,
    /// Hash of the correlation id, 0 when none.
    pub(crate) corr: u64,
    pub(crate) state: PromptState,
    pub(crate) flags: u8,
    /// The first event that reported it: evidence, and the finding id when it opens a burst.
    pub(crate) event_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) asn: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<Box<str>>,
}

/// An open burst: the finding as last emitted and the facts behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Burst {
    pub(crate) finding: Finding,
    /// Earliest and latest member prompt times (ms).
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) prompts: u32,
    pub(crate) fraud_reports: u32,
    pub(crate) unfamiliar: bool,
    /// When an approval followed (ms).
    pub(crate) approved_at: Option<i64>,
}

fn never() -> i64 {
    i64::MAX
}

/// Everything kept about one identity.
///
/// The layout is fixed and cache-line aligned: the first line holds what a lookup compares
/// (the key) and what scheduling reads, and a whole track is exactly three lines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[repr(C, align(64))]
pub(crate) struct Track {
    /// The table hash of `key` (not persisted: recomputed on restore).
    #[serde(skip)]
    pub(crate) hash: u64,
    /// The identity, as normalized (restore normalizes what a snapshot says).
    pub(crate) key: Text,
    /// Time of the live expiry-queue entry, `i64::MAX` when none.
    #[serde(skip, default = "never")]
    pub(crate) queued: i64,
    /// Generation of this track's live expiry-queue entry (wrapping: a stale entry that comes
    /// round to the same number only brings an early, harmless catch-up).
    #[serde(skip)]
    pub(crate) gen: u32,
    /// This track's share of `state_bytes`, as last computed.
    #[serde(skip)]
    pub(crate) bytes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) burst: Option<Box<Burst>>,
    /// Prompts in time order (ties in event order). Approved prompts are not kept: nothing
    /// pairs with them, counts them or is closed by them.
    pub(crate) prompts: Prompts,
    /// The profile's maturity the last time one was shown with this identity's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) maturity: Option<BaselineMaturity>,
}

impl Track {
    pub(crate) fn new(key: &str, hash: u64) -> Self {
        Track {
            key: Text::new(key),
            prompts: Prompts::new(),
            burst: None,
            maturity: None,
            gen: 0,
            queued: i64::MAX,
            bytes: 0,
            hash,
        }
    }

    /// Approximate heap and inline bytes, its bucket in the table of tracks included.
    pub(crate) fn estimate_bytes(&self) -> usize {
        use std::mem::size_of;
        let key = self.key.heap_bytes();
        // The track itself (stored in the table) and its key, when too long to be inline.
        let mut n = size_of::<Track>() + key;
        if self.prompts.spilled() {
            n += self.prompts.capacity() * size_of::<Prompt>();
        }
        for p in &self.prompts {
            n += p.event_id.heap_bytes() + p.country.as_ref().map_or(0, |c| c.len());
        }
        if let Some(b) = &self.burst {
            n += size_of::<Burst>() + b.finding.summary.len();
            n += b
                .finding
                .evidence
                .event_ids
                .iter()
                .map(|s| s.len() + 24)
                .sum::<usize>();
            let e = &b.finding.entities;
            n += e.ips.len() * 17 + e.asns.len() * 4;
            n += e.countries.iter().map(|c| c.len() + 24).sum::<usize>();
        }
        n
    }
}
