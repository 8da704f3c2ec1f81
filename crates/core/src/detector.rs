//! The [`Detector`] trait every detection plugs into, and the combinators that make optional and
//! composite detectors detectors too.

use palisade_schema::{Event, IdentityKey, Timestamp};

use crate::{decode_frames, encode_frames, Context, Error, Finding};

/// A detection: reads events in the pipeline's single event-time order and writes findings into a
/// caller-owned buffer.
///
/// Every hook but `name` and `observe` has a no-op default. `Option<D>`, `Vec<D>` and
/// `Box<dyn Detector>` are detectors too, so optional parts cost nothing.
///
/// Rules every implementation follows (the testkit's conformance suite checks them):
/// - results depend only on the events (never the wall clock, never hash-map order);
/// - a finding is emitted no earlier than its evidence;
/// - `advance(now)` twice with the same `now` emits nothing the second time;
/// - `snapshot` then `restore` into a fresh instance, mid-stream, changes nothing downstream;
/// - state per identity is small and bounded, and `forget` drops it.
///
/// ```
/// use palisade_core::*;
/// use palisade_schema::*;
///
/// /// Flags any sign-in the vendor marked as coming through Tor.
/// struct TorSignIn;
/// impl Detector for TorSignIn {
///     fn name(&self) -> &'static str { "tor_sign_in" }
///     fn observe(&mut self, e: &Event, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
///         if e.activity.is_successful_sign_in() && e.vendor_signals.tor == Some(true) {
///             out.push(Finding::new(self.name(), e.identity().cloned(), &e.id, e.time)
///                 .with_severity(Severity::High)
///                 .with_summary("sign-in through Tor"));
///         }
///     }
/// }
///
/// let mut e = Event::new(Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap(), "e1",
///     Source::Okta, Activity::SignIn(SignIn::success(SignInStage::Primary)))
///     .with_actor(Identity::new("alice@x.com"));
/// e.vendor_signals.tor = Some(true);
/// let mut detectors: Vec<Box<dyn Detector>> = vec![Box::new(TorSignIn)];
/// let mut out = Vec::new();
/// detectors.observe(&e, &Context::empty(), &mut out);
/// assert_eq!(out.len(), 1);
/// ```
pub trait Detector: Send {
    /// Stable name used in findings and in policy files, e.g. `"mfa_fatigue"`.
    fn name(&self) -> &'static str;

    /// One event, in the pipeline's event-time order, with read access to context.
    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>);

    /// Event time has reached `now` (watermark or heartbeat): close windows, forget expired state.
    fn advance(&mut self, _now: Timestamp, _out: &mut Vec<Finding>) {}

    /// Drops the state kept for `identity` (memory-budget eviction). State kept for something
    /// else that merely names the identity (a password spray's source, listing the accounts
    /// it tried) may keep the name: it is bounded on its own, and the identities evicted
    /// first, sprayed once, are that state's evidence.
    fn forget(&mut self, _identity: &IdentityKey) {}

    /// Approximate heap bytes of state held, for the pipeline's memory budget.
    fn state_bytes(&self) -> usize {
        0
    }

    /// Detector state for whole-pipeline snapshots; stateless detectors keep the default.
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }

    /// Restores state written by [`Detector::snapshot`] (of the same detector and version).
    fn restore(&mut self, _bytes: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

impl<D: Detector + ?Sized> Detector for Box<D> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        (**self).observe(event, ctx, out)
    }
    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        (**self).advance(now, out)
    }
    fn forget(&mut self, identity: &IdentityKey) {
        (**self).forget(identity)
    }
    fn state_bytes(&self) -> usize {
        (**self).state_bytes()
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        (**self).snapshot()
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        (**self).restore(bytes)
    }
}

impl<D: Detector> Detector for Option<D> {
    fn name(&self) -> &'static str {
        self.as_ref().map_or("none", Detector::name)
    }
    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if let Some(d) = self {
            d.observe(event, ctx, out)
        }
    }
    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        if let Some(d) = self {
            d.advance(now, out)
        }
    }
    fn forget(&mut self, identity: &IdentityKey) {
        if let Some(d) = self {
            d.forget(identity)
        }
    }
    fn state_bytes(&self) -> usize {
        self.as_ref().map_or(0, Detector::state_bytes)
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        self.as_ref().map_or(Ok(Vec::new()), Detector::snapshot)
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Some(d) => d.restore(bytes),
            None => Ok(()),
        }
    }
}

/// Runs every detector in order. Snapshots are framed per detector, in order.
impl<D: Detector> Detector for Vec<D> {
    fn name(&self) -> &'static str {
        "detectors"
    }
    fn observe(&mut self, event: &Event, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for d in self.iter_mut() {
            d.observe(event, ctx, out);
        }
    }
    fn advance(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        for d in self.iter_mut() {
            d.advance(now, out);
        }
    }
    fn forget(&mut self, identity: &IdentityKey) {
        for d in self.iter_mut() {
            d.forget(identity);
        }
    }
    fn state_bytes(&self) -> usize {
        self.iter().map(Detector::state_bytes).sum()
    }
    fn snapshot(&self) -> Result<Vec<u8>, Error> {
        let parts = self
            .iter()
            .map(Detector::snapshot)
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Ok(encode_frames(&refs))
    }
    fn restore(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let frames = decode_frames(bytes)?;
        if frames.len() != self.len() {
            return Err(Error::CorruptSnapshot(format!(
                "snapshot holds {} detectors, this pipeline has {}",
                frames.len(),
                self.len()
            )));
        }
        for (d, f) in self.iter_mut().zip(frames) {
            d.restore(f)?;
        }
        Ok(())
    }
}
