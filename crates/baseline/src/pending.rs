//! Password-stage sign-ins waiting for their MFA step before a profile learns them.
//!
//! Some vendors log a sign-in once the password is verified and the MFA step separately
//! (Okta's `user.session.start` fires after the first factor, then `user.authentication.*`
//! records the second). An attacker who holds the password but keeps failing MFA would
//! otherwise teach the victim's profile their own origin, and the next attempt from there
//! would look familiar. So for an identity known to use MFA, a password-stage success the
//! vendor does not mark as MFA-satisfied waits: an MFA success confirms it, an MFA failure
//! discards it, and one nobody answers is learned once the window has passed (a device that
//! remembers its MFA asks for no second step).

use std::collections::VecDeque;

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

/// A sign-in waiting for its MFA step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Waiting {
    /// Event time, seconds since the Unix epoch.
    pub(crate) t: u32,
    pub(crate) obs: Vec<HeldObservation>,
}

impl Waiting {
    pub(crate) fn new(t: u32, obs: &[Observation<'_>]) -> Self {
        Waiting {
            t,
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

    fn bytes(&self) -> usize {
        size_of::<Waiting>()
            + self.obs.capacity() * size_of::<HeldObservation>()
            + self
                .obs
                .iter()
                .map(|o| o.label.as_ref().map_or(0, |l| l.len()))
                .sum::<usize>()
    }
}

/// Every waiting sign-in, keyed by identity fingerprint, with their deadlines in order.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    waiting: HashMap<[u64; 2], Waiting>,
    /// `(deadline, fingerprint, t)` sorted by deadline; an entry whose sign-in was resolved
    /// or replaced since is skipped when it comes due (its `t` no longer matches).
    due: VecDeque<(u32, [u64; 2], u32)>,
    /// The latest event time seen, seconds.
    pub(crate) clock: u32,
    bytes: usize,
}

impl Pending {
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }

    pub(crate) fn get(&self, print: &[u64; 2]) -> Option<&Waiting> {
        self.waiting.get(print)
    }

    /// Holds `w` for `print` until `deadline`; gives back the sign-in it replaces, if any.
    pub(crate) fn hold(&mut self, print: [u64; 2], w: Waiting, deadline: u32) -> Option<Waiting> {
        let at = self.due.partition_point(|&(d, _, _)| d <= deadline);
        self.due.insert(at, (deadline, print, w.t));
        self.bytes += w.bytes();
        let old = self.waiting.insert(print, w);
        if let Some(o) = &old {
            self.bytes -= o.bytes();
        }
        old
    }

    /// Takes the sign-in waiting for `print`, if any (its MFA step answered).
    pub(crate) fn take(&mut self, print: &[u64; 2]) -> Option<Waiting> {
        if self.waiting.is_empty() {
            return None;
        }
        let w = self.waiting.remove(print)?;
        self.bytes -= w.bytes();
        if self.waiting.is_empty() {
            self.due.clear();
        }
        Some(w)
    }

    /// The next sign-in whose deadline is at or before `now`, or the oldest one while more
    /// than `cap` wait.
    pub(crate) fn pop_due(&mut self, now: u32, cap: usize) -> Option<([u64; 2], Waiting)> {
        while let Some(&(deadline, print, t)) = self.due.front() {
            if deadline > now && self.waiting.len() <= cap {
                return None;
            }
            self.due.pop_front();
            if self.waiting.get(&print).is_some_and(|w| w.t == t) {
                let w = self.take(&print)?;
                return Some((print, w));
            }
        }
        None
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes
            + self.waiting.capacity() * (size_of::<[u64; 2]>() + size_of::<Waiting>() + 1)
            + self.due.capacity() * size_of::<(u32, [u64; 2], u32)>()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn w(t: u32) -> Waiting {
        Waiting {
            t,
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
        assert!(p.hold([1, 1], w(100), 700).is_none());
        assert!(p.hold([2, 2], w(90), 690).is_none());
        assert!(p.hold([3, 3], w(95), 695).is_none());
        // Identity 3 answered its MFA step: its deadline passes without it.
        assert_eq!(p.take(&[3, 3]).map(|w| w.t), Some(95));
        // Identity 1 signed in again: the older sign-in is given back, the new one waits.
        assert_eq!(p.hold([1, 1], w(110), 710).map(|w| w.t), Some(100));
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
        assert_eq!(p.len(), 0);
        assert_eq!(p.bytes, 0);
    }

    #[test]
    fn over_the_cap_the_oldest_goes_first() {
        let mut p = Pending::default();
        for i in 0..5u64 {
            p.hold([i, i], w(i as u32), 1000 + i as u32);
        }
        assert_eq!(p.pop_due(0, 3).map(|(k, _)| k), Some([0, 0]));
        assert_eq!(p.pop_due(0, 3).map(|(k, _)| k), Some([1, 1]));
        assert!(p.pop_due(0, 3).is_none());
        assert_eq!(p.len(), 3);
    }
}
