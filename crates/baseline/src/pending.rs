//! Password-stage sign-ins waiting for their MFA step before a profile learns them.
//!
//! Some vendors log a sign-in once the password is verified and the MFA step separately
//! (Okta's `user.session.start` fires after the first factor, then `user.authentication.*`
//! records the second). An attacker who holds the password but keeps failing MFA would
//! otherwise teach the victim's profile their own origin, and the next attempt from there
//! would look familiar. So a password-stage success the vendor does not mark as MFA-satisfied
//! waits, from such a source (`Source::logs_password_stage_first`) or for an identity seen
//! passing an MFA step: an MFA success of the same session confirms it, an MFA failure of the
//! same session discards it, and one nobody answers is learned when its wait ends (a device
//! that remembers its MFA asks for no second step).

use std::collections::BTreeSet;

use hashbrown::HashMap;

use crate::keys::{Label, Observation};

/// One observation of a waiting sign-in, owning its display name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HeldObservation {
    pub(crate) dim: u8,
    pub(crate) key: u64,
    pub(crate) label: Option<Box<str>>,
}

impl HeldObservation {
    pub(crate) fn borrow(&self) -> Observation<'_> {
        Observation {
            dim: self.dim,
            key: self.key,
            label: self.label.as_deref().map_or(Label::None, Label::Text),
        }
    }
}

/// Whether two session hashes may be one session: equal, or either names none.
pub(crate) fn same_session(a: u64, b: u64) -> bool {
    a == 0 || b == 0 || a == b
}

/// A sign-in waiting for its MFA step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Waiting {
    /// Event time, seconds since the Unix epoch.
    pub(crate) t: u32,
    /// When it is decided without an answer.
    pub(crate) deadline: u32,
    /// Its profile's creation order: ties between equal deadlines are broken by it, so the
    /// order depends on the events alone (a restored store decides as the original would).
    pub(crate) seq: u64,
    /// A stable hash of the vendor's session id (0: none), so an MFA step of another session
    /// answers nothing here.
    pub(crate) session: u64,
    pub(crate) obs: Vec<HeldObservation>,
}

impl Waiting {
    pub(crate) fn new(
        t: u32,
        deadline: u32,
        seq: u64,
        session: u64,
        obs: &[Observation<'_>],
    ) -> Self {
        Waiting {
            t,
            deadline,
            seq,
            session,
            obs: obs
                .iter()
                .map(|o| HeldObservation {
                    dim: o.dim,
                    key: o.key,
                    label: o.label.text().map(|s| s.into()),
                })
                .collect(),
        }
    }

    /// Whether an MFA step of `session` answers this sign-in: the same session, or either
    /// side names none.
    pub(crate) fn answered_by(&self, session: u64) -> bool {
        same_session(self.session, session)
    }

    fn bytes(&self) -> usize {
        size_of::<Waiting>()
            + self.obs.capacity() * size_of::<HeldObservation>()
            + self
                .obs
                .iter()
                .map(|o| o.label.as_ref().map_or(0, |l| l.len()))
                .sum::<usize>()
    }

    fn due_key(&self, print: [u64; 2]) -> (u32, u64, [u64; 2]) {
        (self.deadline, self.seq, print)
    }
}

/// Every waiting sign-in, keyed by identity fingerprint, with their deadlines in order. At
/// most one sign-in waits per identity, and each has exactly one place in `due`, so both stay
/// as small as the number waiting.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    waiting: HashMap<[u64; 2], Waiting>,
    /// `(deadline, profile order, fingerprint)` of every waiting sign-in.
    due: BTreeSet<(u32, u64, [u64; 2])>,
    bytes: usize,
}

impl Pending {
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn get(&self, print: &[u64; 2]) -> Option<&Waiting> {
        self.waiting.get(print)
    }

    /// Holds `w` for `print`; gives back the sign-in it replaces, if any.
    pub(crate) fn hold(&mut self, print: [u64; 2], w: Waiting) -> Option<Waiting> {
        // The replaced sign-in's place in the queue goes first: one of the same second has the
        // same place, which the new one then takes.
        let due = w.due_key(print);
        self.bytes += w.bytes();
        let old = self.waiting.insert(print, w);
        if let Some(old) = &old {
            self.due.remove(&old.due_key(print));
            self.bytes -= old.bytes();
        }
        self.due.insert(due);
        old
    }

    /// Takes the sign-in waiting for `print`, if any.
    pub(crate) fn take(&mut self, print: &[u64; 2]) -> Option<Waiting> {
        if self.waiting.is_empty() {
            return None;
        }
        let w = self.waiting.remove(print)?;
        self.due.remove(&w.due_key(*print));
        self.bytes -= w.bytes();
        Some(w)
    }

    /// The next sign-in whose deadline is at or before `now`, or the oldest one while more
    /// than `cap` wait.
    pub(crate) fn pop_due(&mut self, now: u32, cap: usize) -> Option<([u64; 2], Waiting)> {
        let &(deadline, _, print) = self.due.first()?;
        if deadline > now && self.waiting.len() <= cap {
            return None;
        }
        let w = self.take(&print)?;
        Some((print, w))
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        // A B-tree entry is 32 bytes, its nodes about two-thirds full.
        self.bytes
            + self.waiting.capacity() * (size_of::<[u64; 2]>() + size_of::<Waiting>() + 1)
            + self.due.len() * 48
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn w(t: u32, seq: u64) -> Waiting {
        Waiting {
            t,
            deadline: t + 600,
            seq,
            session: 0,
            obs: vec![HeldObservation {
                dim: 0,
                key: 7,
                label: Some("AU".into()),
            }],
        }
    }

    #[test]
    fn comes_due_in_deadline_order_and_skips_what_was_resolved() {
        let mut p = Pending::default();
        assert!(p.hold([1, 1], w(100, 1)).is_none());
        assert!(p.hold([2, 2], w(90, 2)).is_none());
        assert!(p.hold([3, 3], w(95, 3)).is_none());
        // Identity 3 answered its MFA step: its deadline passes without it.
        assert_eq!(p.take(&[3, 3]).map(|w| w.t), Some(95));
        // Identity 1 signed in again: the older sign-in is given back, the new one waits.
        assert_eq!(p.hold([1, 1], w(110, 1)).map(|w| w.t), Some(100));
        assert_eq!(p.due.len(), 2, "one place in the queue per waiting sign-in");
        assert!(p.pop_due(689, usize::MAX).is_none());
        assert_eq!(
            p.pop_due(705, usize::MAX).map(|(k, w)| (k, w.t)),
            Some(([2, 2], 90))
        );
        assert!(p.pop_due(705, usize::MAX).is_none());
        assert_eq!(
            p.pop_due(710, usize::MAX).map(|(k, w)| (k, w.t)),
            Some(([1, 1], 110))
        );
        assert_eq!((p.len(), p.due.len(), p.bytes), (0, 0, 0));
    }

    #[test]
    fn a_sign_in_replaced_in_the_same_second_still_comes_due() {
        let mut p = Pending::default();
        assert!(p.hold([1, 1], w(100, 1)).is_none());
        assert_eq!(p.hold([1, 1], w(100, 1)).map(|w| w.t), Some(100));
        assert_eq!(p.due.len(), 1);
        assert_eq!(p.pop_due(700, usize::MAX).map(|(k, _)| k), Some([1, 1]));
        assert_eq!((p.len(), p.due.len(), p.bytes), (0, 0, 0));
    }

    #[test]
    fn equal_deadlines_go_in_profile_order_whatever_the_arrival() {
        let mut p = Pending::default();
        for (k, seq) in [(5u64, 9u64), (6, 2), (7, 4)] {
            p.hold([k, k], w(100, seq));
        }
        let order: Vec<u64> = std::iter::from_fn(|| p.pop_due(700, usize::MAX))
            .map(|(_, w)| w.seq)
            .collect();
        assert_eq!(order, [2, 4, 9]);
    }

    #[test]
    fn over_the_cap_the_oldest_goes_first() {
        let mut p = Pending::default();
        for i in 0..5u64 {
            p.hold([i, i], w(i as u32, i));
        }
        assert_eq!(p.pop_due(0, 3).map(|(k, _)| k), Some([0, 0]));
        assert_eq!(p.pop_due(0, 3).map(|(k, _)| k), Some([1, 1]));
        assert!(p.pop_due(0, 3).is_none());
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn answering_needs_the_same_session_when_both_name_one() {
        let mut a = w(1, 1);
        assert!(a.answered_by(0) && a.answered_by(42));
        a.session = 42;
        assert!(a.answered_by(0) && a.answered_by(42) && !a.answered_by(43));
    }
}
